//! `rapport audit`

use super::output::{Column, Format, Output};
use super::{CliError, time_arg};
use crate::domain::audit::AuditEntry;
use crate::ops::Ops;
use crate::store::AuditQuery;
use clap::Args;
use serde_json::Value;
use std::io::Write;

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

/// Lists the audit log; as JSON lines, entries are written as they are read, in flat memory
/// however many.
pub fn run(ops: &Ops, a: &AuditArgs, format: Format) -> Result<Output, CliError> {
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
    if format == Format::Jsonl {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for entry in ops.store.audit_log(&query) {
            let written = writeln!(out, "{}", row(&entry?));
            if let Err(e) = written {
                return gone(e); // a reader that stopped reading (`| head`) ends the listing
            }
        }
        return out.flush().map_or_else(gone, |()| Ok(Output::Nothing));
    }
    let rows = ops.store.audit(&query)?.iter().map(row).collect();
    Ok(Output::List {
        rows,
        columns: COLUMNS,
    })
}

/// An entry as listed: its fields, and the names of the fields it changed.
fn row(entry: &AuditEntry) -> Value {
    let fields: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
    let mut row = serde_json::to_value(entry).expect("audit entries serialise");
    if let Some(obj) = row.as_object_mut() {
        obj.insert("fields".into(), fields.join(", ").into());
    }
    row
}

/// Nothing more to print when stdout was closed; an error otherwise.
fn gone(e: std::io::Error) -> Result<Output, CliError> {
    match e.kind() {
        std::io::ErrorKind::BrokenPipe => Ok(Output::Nothing),
        _ => Err(e.into()),
    }
}
