//! The search pane's state: the query line and the accounts it found. At start, and whenever
//! the query is blank, the list holds the most recently contacted accounts.

use super::msg::{AccountRow, RequestId};
use super::text::TextInput;

/// How many results a search asks for; views show the ones that fit.
pub const RESULT_LIMIT: usize = 100;

/// The query and its results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchState {
    pub query: TextInput,
    pub rows: Vec<AccountRow>,
    pub selected: usize,
    /// The latest request; replies to any other are stale and dropped.
    pub pending: Option<RequestId>,
    /// The query the shown rows answer (blank: most recently contacted).
    pub answered: String,
}

impl SearchState {
    /// The selected row.
    pub fn selected_row(&self) -> Option<&AccountRow> {
        self.rows.get(self.selected)
    }

    /// Takes results if they answer the latest request; returns false for stale ones.
    pub fn accept(&mut self, request: RequestId, rows: Vec<AccountRow>, query: String) -> bool {
        if self.pending != Some(request) {
            return false;
        }
        let keep = self.selected_row().map(|r| r.id);
        self.selected = keep
            .and_then(|id| rows.iter().position(|r| r.id == id))
            .filter(|_| query == self.answered)
            .unwrap_or(0);
        self.rows = rows;
        self.pending = None;
        self.answered = query;
        true
    }
}
