//! `rapport search QUERY`

use super::CliError;
use super::output::{Column, Output, object};
use crate::ops::Ops;
use crate::search::Hit;
use crate::search::keys::Shown;
use crate::search::snapshot;
use clap::Args;
use serde_json::json;
use std::path::Path;

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

/// Searches the database in `db` from its index file alone, when it is closed at the file's
/// generation (see [`snapshot::answer_closed`]).
pub fn answer_closed(db: &Path, a: &SearchArgs) -> Option<Output> {
    let found = snapshot::answer_closed(db, &a.query, a.limit)?;
    Some(list(&found))
}

/// Searches, the index file having been read meanwhile by `prefetch`.
pub fn run(ops: &Ops, a: &SearchArgs, prefetch: snapshot::Prefetch) -> Result<Output, CliError> {
    let (index, _) = prefetch.open(ops.store)?;
    let found = index
        .query(&a.query, a.limit)
        .into_iter()
        .map(|hit| {
            let account = ops.account(hit.account)?;
            Ok((hit, Shown::of(&account)))
        })
        .collect::<Result<Vec<_>, crate::ops::OpsError>>()?;
    Ok(list(&found))
}

fn list(found: &[(Hit, Shown)]) -> Output {
    let rows = found
        .iter()
        .map(|(hit, shown)| {
            object(vec![
                ("id", json!(hit.account)),
                ("name", json!(shown.name)),
                ("phone", json!(shown.phone)),
                ("email", json!(shown.email)),
                ("relationship", json!(shown.relationship)),
                ("last_contact_at", json!(shown.last_contact_at)),
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
    Output::List {
        rows,
        columns: COLUMNS,
    }
}
