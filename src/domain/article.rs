//! Knowledge-base articles: what the organisation already knows, searched from a ticket.

use super::id::Id;
use super::record::{Meta, split_list};
use super::ticket::{EventKind, Ticket, TicketEvent};
use super::validate::{self, Invalid};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A knowledge-base article, written in Markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Article {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

impl Article {
    /// The fields `--set FIELD=VALUE` can change.
    pub const SETTABLE: &'static [&'static str] = &["title", "body", "tags", "product"];

    /// A new article; title and body must not be blank, tags are trimmed and deduplicated.
    pub fn new(
        meta: Meta,
        title: &str,
        body: &str,
        tags: &[String],
        product: Option<&str>,
    ) -> Result<Article, Invalid> {
        Ok(Article {
            meta,
            title: validate::required("title", title)?,
            body: body_text(body)?,
            tags: clean_tags(tags.iter().map(String::as_str)),
            product: validate::optional(product),
        })
    }

    /// Sets one field from text: tags comma-separated, an empty product clears it,
    /// `custom.NAME` sets (or, empty, removes) a custom field.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), Invalid> {
        match field {
            "title" => self.title = validate::required("title", value)?,
            "body" => self.body = body_text(value)?,
            "tags" | "tag" => self.tags = clean_tags(split_list(value).iter().map(String::as_str)),
            "product" => self.product = validate::optional(Some(value)),
            _ => match field.strip_prefix("custom.").map(str::trim) {
                Some(name) if !name.is_empty() => {
                    if value.trim().is_empty() {
                        self.meta.custom.remove(name);
                    } else {
                        self.meta.custom.insert(name.to_string(), value.to_string());
                    }
                }
                Some(_) => {
                    return Err(Invalid::new(
                        "custom",
                        "a custom field needs a name (custom.NAME=VALUE)",
                    ));
                }
                None => {
                    return Err(Invalid::new(
                        field,
                        format!(
                            "no such field; settable: {}, custom.NAME",
                            Self::SETTABLE.join(", ")
                        ),
                    ));
                }
            },
        }
        Ok(())
    }

    /// True when both articles say the same thing (title, body, tags, product, custom
    /// fields), whoever wrote them and when.
    pub fn same_content(&self, other: &Article) -> bool {
        self.title == other.title
            && self.body == other.body
            && self.tags == other.tags
            && self.product == other.product
            && self.meta.custom == other.meta.custom
    }
}

/// The body as stored: trailing white space dropped, leading blank lines dropped, never empty.
fn body_text(body: &str) -> Result<String, Invalid> {
    let trimmed = body.trim_end().trim_start_matches(['\n', '\r']);
    if trimmed.trim().is_empty() {
        return Err(Invalid::new("body", "must not be empty"));
    }
    Ok(trimmed.to_string())
}

/// Tags trimmed, blank ones dropped, repeats (whatever their case) kept once.
fn clean_tags<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags.map(str::trim).filter(|t| !t.is_empty()) {
        if !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag.to_string());
        }
    }
    out
}

impl Ticket {
    /// Links a knowledge-base article, recording who linked it and when; `note` says why (or
    /// names the article). Linking an article already linked changes nothing and returns
    /// false.
    pub fn link_article(
        &mut self,
        article: Id,
        by: &str,
        at: Timestamp,
        note: Option<String>,
    ) -> bool {
        if self.articles.contains(&article) {
            return false;
        }
        self.articles.push(article);
        self.meta.touch(by, at);
        self.events.push(TicketEvent {
            at,
            by: by.to_string(),
            kind: EventKind::KbLinked { article },
            note,
        });
        true
    }
}

crate::domain::stamped::stamped!(Article);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::id::Kind;
    use crate::domain::ticket::Priority;

    fn meta(kind: Kind) -> Meta {
        Meta::new(Id::new(kind, 1), "ann", Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn blank_title_or_body_is_refused_naming_the_field() {
        let err = Article::new(meta(Kind::Article), " ", "text", &[], None).unwrap_err();
        assert_eq!(err.field, "title");
        let err = Article::new(meta(Kind::Article), "T", "\n  \n", &[], None).unwrap_err();
        assert_eq!(err.field, "body");
    }

    #[test]
    fn tags_are_trimmed_and_kept_once_whatever_the_case() {
        let tags = [
            "Billing ".to_string(),
            "billing".into(),
            "".into(),
            "退款".into(),
        ];
        let a = Article::new(meta(Kind::Article), "T", "b", &tags, Some(" ")).unwrap();
        assert_eq!(a.tags, ["Billing", "退款"]);
        assert_eq!(a.product, None);
    }

    #[test]
    fn set_changes_fields_and_names_the_settable_ones() {
        let mut a = Article::new(meta(Kind::Article), "T", "b", &[], None).unwrap();
        a.set("tags", "a, b;c").unwrap();
        a.set("product", "Router X").unwrap();
        a.set("custom.owner", "docs team").unwrap();
        assert_eq!(a.tags, ["a", "b", "c"]);
        assert_eq!(a.product.as_deref(), Some("Router X"));
        assert_eq!(a.meta.custom["owner"], "docs team");
        let err = a.set("colour", "red").unwrap_err();
        assert!(err.to_string().contains("settable: title, body"), "{err}");
    }

    #[test]
    fn linking_records_an_event_once() {
        let mut t = Ticket::new(
            meta(Kind::Ticket),
            Id::new(Kind::Account, 1),
            "x".into(),
            Priority::Normal,
        );
        let kb = Id::new(Kind::Article, 3);
        let at: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        assert!(t.link_article(kb, "bo", at, None));
        assert!(!t.link_article(kb, "cy", at, None));
        assert_eq!(t.articles, [kb]);
        assert_eq!(t.events.len(), 2);
        let json = serde_json::to_value(&t.events[1]).unwrap();
        assert_eq!(json["type"], "kb-linked");
        assert_eq!(json["article"], "KB-3");
        assert_eq!(json["by"], "bo");
        assert_eq!(t.meta.updated_by, "bo");
    }
}
