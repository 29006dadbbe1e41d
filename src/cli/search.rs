//! `rapport search QUERY`

use super::CliError;
use super::output::{Column, Output, object};
use crate::ops::Ops;
use crate::search::snapshot;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  rapport search acme
  rapport search 5550123          phone digits, whatever the formatting
  rapport search zw               pinyin initials of 张伟
  rapport search ivanov           transliteration of Иванов
  rapport search A-1042 --format json")]
pub struct SearchArgs {
    /// Name, contact, email, phone digits, id or external id; fuzzy
    query: String,
    /// At most this many results
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("NAME", "/name"),
    ("PHONE", "/phone"),
    ("RELATIONSHIP", "/relationship"),
    ("LAST CONTACT", "/last_contact_at"),
    ("MATCHED", "/matched"),
];

/// Searches, the index file having been read meanwhile by `prefetch`.
pub fn run(ops: &Ops, a: &SearchArgs, prefetch: snapshot::Prefetch) -> Result<Output, CliError> {
    let (index, _) = prefetch.open(ops.store)?;
    let rows = ops
        .search(&index, &a.query, a.limit)?
        .into_iter()
        .map(|(hit, account)| {
            object(vec![
                ("id", json!(account.meta.id)),
                ("name", json!(account.name)),
                ("phone", json!(account.main_phone())),
                ("email", json!(account.emails.first())),
                ("relationship", json!(account.relationship)),
                ("last_contact_at", json!(account.last_contact_at)),
                (
                    "matched",
                    json!(format!(
                        "{} {}: {}",
                        hit.via,
                        hit.field.label(),
                        hit.matched
                    )),
                ),
                ("via", json!(hit.via)),
                ("tier", json!(hit.tier)),
                ("score", json!(hit.score)),
            ])
        })
        .collect();
    Ok(Output::List {
        rows,
        columns: COLUMNS,
    })
}
