//! `rapport audit`

use super::output::{Column, Output};
use super::{CliError, time_arg};
use crate::ops::Ops;
use crate::store::AuditQuery;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  rapport audit --record A-1
  rapport audit --user bo --since 2026-03-01 --format jsonl")]
pub struct AuditArgs {
    /// Only changes to this record (A-1, T-7, …)
    #[arg(long)]
    record: Option<String>,
    /// Only changes made by this user
    #[arg(long)]
    user: Option<String>,
    /// Only changes at or after this date or time
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
}

const COLUMNS: &[Column] = &[
    ("SEQ", "/seq"),
    ("AT", "/at"),
    ("USER", "/user"),
    ("RECORD", "/record"),
    ("ACTION", "/action"),
    ("FIELDS", "/fields"),
];

pub fn run(ops: &Ops, a: &AuditArgs) -> Result<Output, CliError> {
    let query = AuditQuery {
        record: a
            .record
            .as_deref()
            .map(|r| {
                r.parse().map_err(|e: crate::domain::id::IdError| {
                    crate::domain::validate::Invalid::new("record", e.to_string())
                })
            })
            .transpose()?,
        user: a.user.clone(),
        since: a
            .since
            .as_deref()
            .map(|s| time_arg("since", s))
            .transpose()?,
    };
    let entries = ops.store.audit(&query)?;
    let rows = entries
        .into_iter()
        .map(|entry| {
            let fields: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
            let fields = fields.join(", ");
            let mut row = serde_json::to_value(&entry).expect("audit entries serialise");
            if let Some(obj) = row.as_object_mut() {
                obj.insert("fields".into(), fields.into());
            }
            row
        })
        .collect();
    Ok(Output::List {
        rows,
        columns: COLUMNS,
    })
}
