//! Users and their roles.

use super::{Ops, OpsError, Result};
use crate::domain::record::{Role, User};
use crate::domain::validate::{self, Invalid};
use crate::domain::{Kind, Meta, Record};
use crate::store::{Commit, Index, IndexScan, layout};

impl Ops<'_> {
    /// True once at least one user is defined; until then roles are not enforced.
    pub fn users_defined(&self) -> Result<bool> {
        Ok(!self
            .store
            .ids(&IndexScan::prefix(Index::UserName, "").limit(1))?
            .is_empty())
    }

    /// The user with login `name`, if defined.
    pub fn find_user(&self, name: &str) -> Result<Option<User>> {
        let ids = self
            .store
            .ids(&IndexScan::exact(Index::UserName, layout::fold(name)))?;
        match ids.first() {
            None => Ok(None),
            Some(id) => match self.record(*id)? {
                Record::User(u) => Ok(Some(u)),
                _ => Ok(None),
            },
        }
    }

    /// The user with login `name`.
    pub fn user(&self, name: &str) -> Result<User> {
        self.find_user(name)?
            .ok_or_else(|| OpsError::UnknownUser(name.to_string()))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let ids = self.store.ids(&IndexScan::prefix(Index::UserName, ""))?;
        ids.into_iter()
            .map(|id| match self.record(id)? {
                Record::User(u) => Ok(u),
                _ => Err(OpsError::NotFound { id }),
            })
            .collect()
    }

    /// Defines a user. Admins only, except the first user, who must be an admin.
    pub fn add_user(&self, name: &str, role: Role, queues: Vec<String>) -> Result<User> {
        let name = validate::required("name", name)?;
        if name.chars().any(char::is_whitespace) {
            return Err(Invalid::new(
                "name",
                format!("'{name}' has spaces; a login name is one word"),
            )
            .into());
        }
        if self.users_defined()? {
            self.require(Role::Admin, "adding a user")?;
        } else if role != Role::Admin {
            return Err(Invalid::new(
                "role",
                "the first user must be an admin, so that someone can manage users",
            )
            .into());
        }
        if self.find_user(&name)?.is_some() {
            return Err(Invalid::new("name", format!("user '{name}' already exists")).into());
        }
        let meta = Meta::new(self.store.allocate(Kind::User)?, &self.user, self.now);
        let user = User {
            meta,
            name,
            role,
            queues,
        };
        self.store
            .commit(Commit::new(&self.user, self.now).put(user.clone()))?;
        Ok(user)
    }

    /// Changes a user's role and queues. Admins only.
    pub fn edit_user(
        &self,
        name: &str,
        role: Option<Role>,
        queues: Option<Vec<String>>,
    ) -> Result<User> {
        self.require(Role::Admin, "changing a user")?;
        let mut user = self.user(name)?;
        if let Some(role) = role {
            user.role = role;
        }
        if let Some(queues) = queues {
            user.queues = queues;
        }
        user.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(user.clone()))?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Ops;
    use crate::ops::testing::store;

    #[test]
    fn roles_apply_once_users_exist() {
        let store = store();
        let now = "2026-03-02T10:00:00Z".parse().unwrap();
        let root = Ops::new(store, "root", now);
        let a = crate::ops::testing::account(&root, "Acme");
        assert!(
            root.add_user("bo", Role::Agent, vec![]).is_err(),
            "first user must be an admin"
        );
        root.add_user("root", Role::Admin, vec![]).unwrap();
        root.add_user("bo", Role::Agent, vec!["billing".into()])
            .unwrap();
        let bo = Ops::new(store, "bo", now);
        let err = bo.delete_account(a).unwrap_err();
        assert!(matches!(err, OpsError::Forbidden { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "deleting an account needs the admin role; bo is agent"
        );
        let stranger = Ops::new(store, "zed", now);
        assert!(matches!(
            stranger.merge_accounts(a, a),
            Err(OpsError::Forbidden { .. })
        ));
        root.delete_account(a).unwrap();
    }
}
