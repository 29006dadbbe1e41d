//! The interaction history pane's state: which interaction is selected and which are
//! expanded. The interactions themselves are the open account's, newest first.

use crate::domain::Id;
use std::collections::BTreeSet;

/// Selection and expansion in the history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryState {
    pub selected: usize,
    /// Interactions shown in full (notes and all).
    pub expanded: BTreeSet<Id>,
}

impl HistoryState {
    /// Expands the interaction, or folds it back.
    pub fn toggle(&mut self, id: Id) {
        if !self.expanded.remove(&id) {
            self.expanded.insert(id);
        }
    }
}
