//! Finding accounts: the ranked search and the recently contacted list shown before a query.

use super::{Ops, Result};
use crate::domain::Account;
use crate::search::SearchIndex;

impl Ops<'_> {
    /// The `limit` most recently contacted accounts, newest first.
    pub fn recent_accounts(&self, index: &SearchIndex, limit: usize) -> Result<Vec<Account>> {
        index
            .recent(limit)
            .into_iter()
            .map(|id| self.account(id))
            .collect()
    }
}
