//! The use cases shared by the command line and the TUI: log a call, transition a ticket, add
//! an account. The one place business rules run: each operation validates, writes through the
//! [`Store`] (which keeps indexes and the audit log in step) and returns what it wrote.

mod account;
mod article;
mod contact;
mod dump;
mod import;
mod interaction;
mod report;
mod search;
mod sla;
mod ticket;
mod user;

pub use account::{AccountDraft, AccountFilter};
pub use article::{ArticleDraft, ArticleFilter, ArticleImport};
pub use contact::ContactDraft;
pub use import::{Entity, ImportOptions, ImportSummary, OnDuplicate, Rejected, SourceRow};
pub use interaction::CallLog;
pub use report::ReportData;
pub use sla::{CalendarDraft, DEFAULT_WARNING_PERCENT, SlaBook};
pub use ticket::{TicketDraft, TicketFilter};

use crate::domain::Id;
use crate::domain::record::Role;
use crate::domain::ticket::IllegalTransition;
use crate::domain::validate::Invalid;
use crate::store::{Store, StoreError};
use jiff::Timestamp;

/// Why an operation did not happen. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no {} {id}", .id.kind.noun())]
    NotFound { id: Id },
    #[error("no user '{0}'")]
    UnknownUser(String),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{id}: {source}")]
    Illegal {
        id: Id,
        #[source]
        source: IllegalTransition,
    },
    #[error("{what} needs the {needed} role; {user} is {role}")]
    Forbidden {
        user: String,
        role: String,
        needed: Role,
        what: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand for results of operations.
pub type Result<T, E = OpsError> = std::result::Result<T, E>;

/// Who acts, when, and on which store.
pub struct Ops<'a> {
    pub store: &'a dyn Store,
    /// The acting user's login name.
    pub user: String,
    /// The time every change made through this value is stamped with.
    pub now: Timestamp,
}

impl<'a> Ops<'a> {
    /// Operations by `user` at `now` on `store`.
    pub fn new(store: &'a dyn Store, user: impl Into<String>, now: Timestamp) -> Ops<'a> {
        Ops {
            store,
            user: user.into(),
            now: now.round(jiff::Unit::Second).unwrap_or(now),
        }
    }

    /// The record with `id`, or [`OpsError::NotFound`].
    pub fn record(&self, id: Id) -> Result<crate::domain::Record> {
        self.store.get(id)?.ok_or(OpsError::NotFound { id })
    }

    /// Checks that the acting user may do `what`. While no users are defined, everyone may
    /// do everything (a single-person installation).
    pub fn require(&self, needed: Role, what: &str) -> Result<()> {
        if !self.users_defined()? {
            return Ok(());
        }
        let forbidden = |role: &str| OpsError::Forbidden {
            user: self.user.clone(),
            role: role.to_string(),
            needed,
            what: what.to_string(),
        };
        match self.find_user(&self.user)? {
            Some(user) if user.role >= needed => Ok(()),
            Some(user) => Err(forbidden(&user.role.to_string())),
            None => Err(forbidden("not a known user (see `rapport user list`)")),
        }
    }
}

/// Fetches a record of a given type or reports it missing.
macro_rules! fetch {
    ($ops:expr, $id:expr, $variant:ident) => {{
        let id = $id;
        match $ops.record(id)? {
            $crate::domain::Record::$variant(r) => r,
            _ => return Err($crate::ops::OpsError::NotFound { id }),
        }
    }};
}
pub(crate) use fetch;

#[cfg(test)]
pub(crate) mod testing {
    use super::Ops;
    use crate::store::memory::MemoryStore;

    /// A fresh in-memory store, leaked so tests can hold `Ops` borrowing it.
    pub fn store() -> &'static MemoryStore {
        Box::leak(Box::new(MemoryStore::empty()))
    }

    /// Operations by `ann` at a fixed time on a fresh store.
    pub fn ops() -> Ops<'static> {
        Ops::new(store(), "ann", "2026-03-02T10:00:00Z".parse().unwrap())
    }

    /// Adds an account with only a name, and gives its id.
    pub fn account(ops: &Ops, name: &str) -> crate::domain::Id {
        ops.add_account(super::AccountDraft {
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
        .meta
        .id
    }
}
