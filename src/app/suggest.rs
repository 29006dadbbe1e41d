//! Knowledge-base suggestions for a ticket: the articles most relevant to its subject and
//! description, best first, with the selected one's text below; Enter links it to the ticket.

use super::msg::RequestId;
use crate::domain::Id;

/// One suggested article.
#[derive(Clone, Debug, PartialEq)]
pub struct ArticleRow {
    pub id: Id,
    pub title: String,
    pub product: Option<String>,
    pub tags: Vec<String>,
    /// The article's Markdown.
    pub body: String,
    /// Already linked to the ticket.
    pub linked: bool,
}

/// The suggestions modal.
#[derive(Clone, Debug, PartialEq)]
pub struct SuggestState {
    pub ticket: Id,
    /// The request whose answer is awaited, until it comes.
    pub pending: Option<RequestId>,
    pub rows: Vec<ArticleRow>,
    pub selected: usize,
}

impl SuggestState {
    /// Suggestions for `ticket`, asked for by `request`.
    pub fn new(ticket: Id, request: RequestId) -> SuggestState {
        SuggestState {
            ticket,
            pending: Some(request),
            rows: Vec::new(),
            selected: 0,
        }
    }

    /// Takes the answer to `request`, unless a newer one is awaited.
    pub fn accept(&mut self, request: RequestId, rows: Vec<ArticleRow>) {
        if self.pending == Some(request) {
            self.pending = None;
            self.rows = rows;
            self.selected = 0;
        }
    }

    /// The selected article, once loaded.
    pub fn selected_row(&self) -> Option<&ArticleRow> {
        self.rows.get(self.selected)
    }
}
