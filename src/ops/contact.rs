//! Contacts: the people at an account.

use super::{Ops, Result, fetch};
use crate::domain::record::Role;
use crate::domain::validate::{self, Phone};
use crate::domain::{Contact, Id, Kind, Meta};
use crate::store::{Commit, Index, IndexScan};

/// What a new contact is made from; every value as typed.
#[derive(Debug, Clone)]
pub struct ContactDraft {
    pub account: Id,
    pub name: String,
    pub title: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    /// Further `FIELD=VALUE` settings, as for `edit`.
    pub fields: Vec<(String, String)>,
}

impl Default for ContactDraft {
    fn default() -> Self {
        ContactDraft {
            account: Id::new(Kind::Account, 1),
            name: String::new(),
            title: None,
            phones: Vec::new(),
            emails: Vec::new(),
            fields: Vec::new(),
        }
    }
}

impl Ops<'_> {
    /// Creates a contact at an existing account.
    pub fn add_contact(&self, draft: ContactDraft) -> Result<Contact> {
        self.account(draft.account)?;
        let name = validate::required("name", &draft.name)?;
        let meta = Meta::new(Id::new(Kind::Contact, 1), &self.user, self.now);
        let mut contact = Contact::new(meta, draft.account, name);
        contact.title = validate::optional(draft.title.as_deref());
        contact.phones = draft
            .phones
            .iter()
            .map(|p| Phone::parse(p))
            .collect::<Result<_, _>>()?;
        contact.emails = draft
            .emails
            .iter()
            .map(|e| validate::email(e))
            .collect::<Result<_, _>>()?;
        for (field, value) in &draft.fields {
            contact.set(field, value)?;
        }
        contact.meta.id = self.store.allocate(Kind::Contact)?;
        self.store
            .commit(Commit::new(&self.user, self.now).put(contact.clone()))?;
        Ok(contact)
    }

    /// The contact with `id`.
    pub fn contact(&self, id: Id) -> Result<Contact> {
        Ok(fetch!(self, id, Contact))
    }

    /// Contacts of one account (or of all), sorted by name.
    pub fn contacts(&self, account: Option<Id>) -> Result<Vec<Contact>> {
        let mut contacts = match account {
            Some(account) => {
                self.account(account)?;
                let ids = self.store.ids(&IndexScan::exact(
                    Index::ContactAccount,
                    account.to_string(),
                ))?;
                ids.into_iter()
                    .map(|id| self.contact(id))
                    .collect::<Result<Vec<_>>>()?
            }
            None => self
                .store
                .scan(Kind::Contact)
                .filter_map(|r| match r {
                    Ok(crate::domain::Record::Contact(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e.into())),
                })
                .collect::<Result<Vec<_>>>()?,
        };
        contacts.sort_by_cached_key(|c| (c.name.to_lowercase(), c.meta.id));
        Ok(contacts)
    }

    /// Changes fields of a contact.
    pub fn edit_contact(&self, id: Id, fields: &[(String, String)]) -> Result<Contact> {
        let mut contact = self.contact(id)?;
        for (field, value) in fields {
            contact.set(field, value)?;
        }
        contact.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(contact.clone()))?;
        Ok(contact)
    }

    /// Deletes a contact. Interactions and tickets that name it keep its id. Admins only.
    pub fn delete_contact(&self, id: Id) -> Result<Contact> {
        self.require(Role::Admin, "deleting a contact")?;
        let contact = self.contact(id)?;
        self.store
            .commit(Commit::new(&self.user, self.now).delete(id))?;
        Ok(contact)
    }
}
