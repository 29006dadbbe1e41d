//! Knowledge-base articles: what the organisation already knows, searched from a ticket.

use super::record::Meta;
use serde::{Deserialize, Serialize};

/// A knowledge-base article, written in Markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    #[serde(flatten)]
    pub meta: Meta,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}
