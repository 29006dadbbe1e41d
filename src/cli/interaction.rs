//! `rapport log` and `rapport history`.

use super::output::{Column, Output};
use super::{CliError, choice_arg, id_arg, json, time_arg};
use crate::domain::Kind;
use crate::domain::validate::{self, Invalid};
use crate::ops::{CallLog, Ops};
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  rapport log --account A-1 --channel call --direction inbound --duration 4m30s --outcome resolved
  rapport log --account A-1 --channel email --direction outbound --outcome sent --ticket T-3 --notes \"Sent the refund form\"

Channels: call, email, chat, sms, meeting, fax, note. Directions: inbound, outbound, internal.
Outcomes: answered, resolved, no-answer, voicemail, busy, callback-requested, follow-up,
wrong-number, sent. Durations: 4m30s, 90s, 1h5m, 00:04:30.")]
pub struct LogArgs {
    /// The account (A-N)
    #[arg(long)]
    account: String,
    /// call, email, chat, sms, meeting, fax or note
    #[arg(long, default_value = "call")]
    channel: String,
    /// inbound, outbound or internal
    #[arg(long, default_value = "inbound")]
    direction: String,
    /// How long it took: 4m30s, 90s, 1h5m, 00:04:30
    #[arg(long, default_value = "0s")]
    duration: String,
    /// How it ended
    #[arg(long, default_value = "answered")]
    outcome: String,
    /// The person spoken to (C-N)
    #[arg(long)]
    contact: Option<String>,
    /// The ticket it was about (T-N)
    #[arg(long)]
    ticket: Option<String>,
    /// A one-line subject
    #[arg(long)]
    subject: Option<String>,
    /// What was said and done
    #[arg(long)]
    notes: Option<String>,
    /// When it started [default: now less the duration]
    #[arg(long, value_name = "TIME")]
    started_at: Option<String>,
    /// A date to follow up on (2026-03-01)
    #[arg(long, value_name = "DATE")]
    follow_up: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  rapport history A-1 --limit 20 --format json")]
pub struct HistoryArgs {
    /// The account (A-N)
    account: String,
    /// At most this many, newest first
    #[arg(long)]
    limit: Option<usize>,
}

/// The columns of an interaction list.
pub const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("STARTED", "/started_at"),
    ("CHANNEL", "/channel"),
    ("DIRECTION", "/direction"),
    ("SECONDS", "/duration"),
    ("OUTCOME", "/outcome"),
    ("AGENT", "/agent"),
    ("NOTES", "/notes"),
];

pub fn log(ops: &Ops, a: &LogArgs) -> Result<Output, CliError> {
    let mut call = CallLog::call(id_arg(Kind::Account, &a.account)?);
    call.channel = choice_arg("channel", &a.channel)?;
    call.direction = choice_arg("direction", &a.direction)?;
    call.outcome = choice_arg("outcome", &a.outcome)?;
    call.duration = validate::duration(&a.duration)?;
    call.contact = a
        .contact
        .as_deref()
        .map(|c| id_arg(Kind::Contact, c))
        .transpose()?;
    call.ticket = a
        .ticket
        .as_deref()
        .map(|t| id_arg(Kind::Ticket, t))
        .transpose()?;
    call.subject = a.subject.clone();
    call.notes = a.notes.clone();
    call.started_at = a
        .started_at
        .as_deref()
        .map(|t| time_arg("started_at", t))
        .transpose()?;
    call.follow_up = a
        .follow_up
        .as_deref()
        .map(|d| {
            d.parse()
                .map_err(|_| Invalid::new("follow_up", format!("'{d}' is not a date (2026-03-01)")))
        })
        .transpose()?;
    Ok(Output::Created(json(ops.log(call)?)))
}

pub fn history(ops: &Ops, a: &HistoryArgs) -> Result<Output, CliError> {
    let account = id_arg(Kind::Account, &a.account)?;
    let rows = ops
        .history(account, a.limit)?
        .into_iter()
        .map(json)
        .collect();
    Ok(Output::List {
        rows,
        columns: COLUMNS,
    })
}
