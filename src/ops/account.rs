//! Accounts: add, edit, list, delete and merge.

#[cfg(test)]
use super::OpsError;
use super::{Ops, Result, fetch};
use crate::domain::record::{AccountKind, Relationship, Role};
use crate::domain::validate::{self, Phone};
use crate::domain::{Account, Choice, Id, Kind, Meta, Record};
use crate::store::{Commit, Index, IndexScan, Write, layout};

/// What a new account is made from; every value as typed.
#[derive(Debug, Clone, Default)]
pub struct AccountDraft {
    pub name: String,
    pub kind: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub tags: Vec<String>,
    /// Further `FIELD=VALUE` settings, as for `edit`.
    pub fields: Vec<(String, String)>,
}

/// Which accounts a list shows.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub tag: Option<String>,
    pub relationship: Option<Relationship>,
    pub owner: Option<String>,
    pub segment: Option<String>,
    pub limit: Option<usize>,
}

impl AccountFilter {
    fn admits(&self, a: &Account) -> bool {
        let eq = |want: &Option<String>, have: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| have.as_ref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        self.tag
            .as_ref()
            .is_none_or(|t| a.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            && self.relationship.is_none_or(|r| a.relationship == r)
            && eq(&self.owner, &a.owner)
            && eq(&self.segment, &a.segment)
    }
}

impl Ops<'_> {
    /// Creates an account.
    pub fn add_account(&self, draft: AccountDraft) -> Result<Account> {
        let name = validate::required("name", &draft.name)?;
        let mut account = Account::new(
            Meta::new(Id::new(Kind::Account, 1), &self.user, self.now),
            name,
        );
        if let Some(kind) = &draft.kind {
            account.kind = AccountKind::parse(kind)
                .map_err(|e| validate::Invalid::new("kind", e.to_string()))?;
        }
        account.phones = draft
            .phones
            .iter()
            .map(|p| Phone::parse(p))
            .collect::<Result<_, _>>()?;
        account.emails = draft
            .emails
            .iter()
            .map(|e| validate::email(e))
            .collect::<Result<_, _>>()?;
        account.tags = draft
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        for (field, value) in &draft.fields {
            account.set(field, value)?;
        }
        account.meta.id = self.store.allocate(Kind::Account)?;
        self.store
            .commit(Commit::new(&self.user, self.now).put(account.clone()))?;
        Ok(account)
    }

    /// The account with `id`.
    pub fn account(&self, id: Id) -> Result<Account> {
        Ok(fetch!(self, id, Account))
    }

    /// Changes fields of an account (`FIELD=VALUE`, lists comma-separated, empty clears).
    pub fn edit_account(&self, id: Id, fields: &[(String, String)]) -> Result<Account> {
        let mut account = self.account(id)?;
        for (field, value) in fields {
            account.set(field, value)?;
        }
        account.meta.touch(&self.user, self.now);
        self.store
            .commit(Commit::new(&self.user, self.now).put(account.clone()))?;
        Ok(account)
    }

    /// Accounts sorted by name.
    pub fn accounts(&self, filter: &AccountFilter) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        for id in self.store.ids(&IndexScan::prefix(Index::AccountName, ""))? {
            if filter.limit.is_some_and(|n| out.len() >= n) {
                break;
            }
            let account = self.account(id)?;
            if filter.admits(&account) {
                out.push(account);
            }
        }
        Ok(out)
    }

    /// Every record linked to an account: contacts, interactions and tickets.
    fn linked(&self, account: Id) -> Result<(Vec<Id>, Vec<Id>, Vec<Id>)> {
        let value = account.to_string();
        Ok((
            self.store
                .ids(&IndexScan::exact(Index::ContactAccount, value.clone()))?,
            self.store.ids(&IndexScan::prefix(
                Index::InteractionAccount,
                layout::interactions_of(account),
            ))?,
            self.store
                .ids(&IndexScan::exact(Index::TicketAccount, value))?,
        ))
    }

    /// Deletes an account that has no contacts, interactions or tickets (history is never
    /// deleted: merge a duplicate instead). Admins only.
    pub fn delete_account(&self, id: Id) -> Result<Account> {
        self.require(Role::Admin, "deleting an account")?;
        let account = self.account(id)?;
        let (contacts, interactions, tickets) = self.linked(id)?;
        if !(contacts.is_empty() && interactions.is_empty() && tickets.is_empty()) {
            return Err(validate::Invalid::new(
                "account",
                format!(
                    "{id} has {} contacts, {} interactions and {} tickets; history is kept, so merge it into another account instead (rapport account merge KEEP {id})",
                    contacts.len(),
                    interactions.len(),
                    tickets.len()
                ),
            )
            .into());
        }
        self.store
            .commit(Commit::new(&self.user, self.now).delete(id))?;
        Ok(account)
    }

    /// Merges `other` into `keep`: its contacts, interactions and tickets move over, its
    /// phones, emails, tags and custom fields are added, empty fields of `keep` are filled from
    /// it, and `other` is deleted, all in one commit. Supervisors and admins only.
    pub fn merge_accounts(&self, keep: Id, other: Id) -> Result<Account> {
        self.require(Role::Supervisor, "merging accounts")?;
        if keep == other {
            return Err(validate::Invalid::new(
                "account",
                format!("cannot merge {keep} into itself"),
            )
            .into());
        }
        let mut kept = self.account(keep)?;
        let gone = self.account(other)?;
        absorb(&mut kept, &gone);
        kept.meta.touch(&self.user, self.now);
        let note = format!("merged {other} into {keep}");
        let mut commit = Commit::new(&self.user, self.now).note(note);
        let (contacts, interactions, tickets) = self.linked(other)?;
        for id in contacts.into_iter().chain(interactions).chain(tickets) {
            let mut record = self.record(id)?;
            match &mut record {
                Record::Contact(c) => c.account = keep,
                Record::Interaction(i) => i.account = keep,
                Record::Ticket(t) => t.account = keep,
                _ => continue,
            }
            record.meta_mut().touch(&self.user, self.now);
            commit.writes.push(Write::Put(record));
        }
        commit.writes.push(Write::Put(kept.clone().into()));
        commit.writes.push(Write::Delete(other));
        self.store.commit(commit)?;
        Ok(kept)
    }
}

/// Adds what `other` knows to `keep`, keeping `keep`'s values where both have one.
fn absorb(keep: &mut Account, other: &Account) {
    fn union<T: PartialEq + Clone>(into: &mut Vec<T>, from: &[T]) {
        for item in from {
            if !into.contains(item) {
                into.push(item.clone());
            }
        }
    }
    fn fill(into: &mut Option<String>, from: &Option<String>) {
        if into.is_none() {
            into.clone_from(from);
        }
    }
    let phones: Vec<Phone> = other
        .phones
        .iter()
        .filter(|p| !keep.phones.iter().any(|k| k.digits == p.digits))
        .cloned()
        .collect();
    keep.phones.extend(phones);
    union(&mut keep.emails, &other.emails);
    union(&mut keep.tags, &other.tags);
    fill(&mut keep.segment, &other.segment);
    fill(&mut keep.owner, &other.owner);
    fill(&mut keep.website, &other.website);
    fill(&mut keep.external_id, &other.external_id);
    fill(&mut keep.lifecycle_stage, &other.lifecycle_stage);
    fill(&mut keep.notes, &other.notes);
    if keep.address.is_empty() {
        keep.address = other.address.clone();
    }
    keep.last_contact_at = keep.last_contact_at.max(other.last_contact_at);
    for (k, v) in &other.meta.custom {
        keep.meta
            .custom
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::ops;
    use crate::store::AuditQuery;

    fn draft(name: &str) -> AccountDraft {
        AccountDraft {
            name: name.into(),
            ..AccountDraft::default()
        }
    }

    #[test]
    fn ids_come_from_the_counter_and_are_never_reused() {
        let ops = ops();
        let a = ops.add_account(draft("Acme")).unwrap();
        let b = ops.add_account(draft("Beta")).unwrap();
        assert_eq!(
            (a.meta.id.to_string(), b.meta.id.to_string()),
            ("A-1".into(), "A-2".into())
        );
        ops.delete_account(b.meta.id).unwrap();
        let c = ops.add_account(draft("Gamma")).unwrap();
        assert_eq!(c.meta.id.to_string(), "A-3");
    }

    #[test]
    fn failed_validation_writes_nothing() {
        let ops = ops();
        let mut bad = draft("Acme");
        bad.emails = vec!["not-an-email".into()];
        assert!(matches!(ops.add_account(bad), Err(OpsError::Invalid(_))));
        assert!(ops.accounts(&AccountFilter::default()).unwrap().is_empty());
        assert!(ops.store.audit(&AuditQuery::default()).unwrap().is_empty());
    }

    #[test]
    fn accounts_list_sorted_by_name_whatever_the_case() {
        let ops = ops();
        for name in ["delta", "Alpha", "charlie", "Bravo"] {
            ops.add_account(draft(name)).unwrap();
        }
        let names: Vec<String> = ops
            .accounts(&AccountFilter::default())
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["Alpha", "Bravo", "charlie", "delta"]);
    }

    #[test]
    fn edits_are_audited_field_by_field() {
        let ops = ops();
        let a = ops.add_account(draft("Acme")).unwrap();
        ops.edit_account(a.meta.id, &[("segment".into(), "smb".into())])
            .unwrap();
        let log = ops
            .store
            .audit(&AuditQuery {
                record: Some(a.meta.id),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[1].changes.len(), 1);
        assert_eq!(log[1].changes[0].field, "segment");
        assert_eq!(log[1].changes[0].after, "smb");
    }

    #[test]
    fn merge_moves_history_and_unions_contact_points() {
        let ops = ops();
        let mut d = draft("Acme");
        d.phones = vec!["+1 415 555 0100".into()];
        let keep = ops.add_account(d).unwrap().meta.id;
        let mut d = draft("ACME Inc");
        d.phones = vec!["+1 (415) 555-0100".into(), "555 0199".into()];
        d.emails = vec!["info@acme.example".into()];
        let other = ops.add_account(d).unwrap().meta.id;
        let contact = ops
            .add_contact(crate::ops::ContactDraft {
                account: other,
                name: "Ann".into(),
                ..Default::default()
            })
            .unwrap();
        let merged = ops.merge_accounts(keep, other).unwrap();
        assert_eq!(merged.phones.len(), 2, "same digits are not repeated");
        assert_eq!(merged.emails, ["info@acme.example"]);
        assert!(matches!(ops.account(other), Err(OpsError::NotFound { .. })));
        assert_eq!(
            ops.contacts(Some(keep)).unwrap()[0].meta.id,
            contact.meta.id
        );
    }

    #[test]
    fn delete_refuses_accounts_with_history() {
        let ops = ops();
        let a = ops.add_account(draft("Acme")).unwrap().meta.id;
        ops.add_contact(crate::ops::ContactDraft {
            account: a,
            name: "Ann".into(),
            ..Default::default()
        })
        .unwrap();
        let err = ops.delete_account(a).unwrap_err().to_string();
        assert!(err.contains("1 contacts") && err.contains("merge"), "{err}");
    }
}
