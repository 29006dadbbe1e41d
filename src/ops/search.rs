//! Finding accounts: the ranked search and the recently contacted list shown before a query.

use super::{Ops, Result};
use crate::domain::Account;
use crate::search::{Hit, SearchIndex};

impl Ops<'_> {
    /// The best `limit` accounts for `query`, with their records, best first.
    pub fn search(
        &self,
        index: &SearchIndex,
        query: &str,
        limit: usize,
    ) -> Result<Vec<(Hit, Account)>> {
        index
            .query(query, limit)
            .into_iter()
            .map(|hit| Ok((hit.clone(), self.account(hit.account)?)))
            .collect()
    }

    /// The `limit` most recently contacted accounts, newest first.
    pub fn recent_accounts(&self, index: &SearchIndex, limit: usize) -> Result<Vec<Account>> {
        index
            .recent(limit)
            .into_iter()
            .map(|id| self.account(id))
            .collect()
    }
}
