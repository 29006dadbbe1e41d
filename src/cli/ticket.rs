//! `rapport ticket …`

use super::output::{Column, Output, fields_view, table};
use super::{CliError, choice_arg, choices_arg, id_arg, json};
use crate::domain::Kind;
use crate::domain::sla::SlaState;
use crate::domain::ticket::{Action, Ticket};
use crate::domain::validate::format_duration;
use crate::ops::{Ops, SlaBook, TicketDraft, TicketFilter};
use clap::{Args, Subcommand};
use serde_json::Value;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Open a ticket and print its id
    #[command(
        after_help = "Example:\n  rapport ticket new --account A-1 --subject \"Invoice is wrong\" --priority high --queue billing"
    )]
    New(NewArgs),
    /// List tickets, most urgent first, then oldest first
    #[command(
        after_help = "Examples:\n  rapport ticket list --active --assignee bo\n  rapport ticket list --status open,escalated --priority urgent,high"
    )]
    List(ListArgs),
    /// Show a ticket with its whole history
    #[command(after_help = "Example:\n  rapport ticket show T-12")]
    Show {
        /// The ticket id (T-N)
        id: String,
    },
    /// Hand a ticket to an agent, or to the least-loaded agent of its queue
    #[command(
        after_help = "Examples:\n  rapport ticket assign T-12 --to bo --note \"billing expert\"\n  rapport ticket assign T-12 --next"
    )]
    Assign {
        /// The ticket id (T-N)
        id: String,
        /// The agent's login name
        #[arg(long, required_unless_present = "next", conflicts_with = "next")]
        to: Option<String>,
        /// The agent of the ticket's queue with the fewest active tickets
        #[arg(long)]
        next: bool,
        /// Why
        #[arg(long)]
        note: Option<String>,
    },
    /// Add a comment (public unless --internal)
    #[command(
        after_help = "Example:\n  rapport ticket comment T-12 \"Called back, refund on its way\""
    )]
    Comment {
        /// The ticket id (T-N)
        id: String,
        /// The comment
        text: String,
        /// An internal note the customer does not see
        #[arg(long)]
        internal: bool,
    },
    /// Record the customer's satisfaction (1 to 5) on a resolved ticket
    #[command(
        after_help = "Example:\n  rapport ticket csat T-12 --score 5 --comment \"quick and kind\""
    )]
    Csat {
        /// The ticket id (T-N)
        id: String,
        /// 1 (very unhappy) to 5 (very happy)
        #[arg(long)]
        score: u8,
        /// What the customer said
        #[arg(long)]
        comment: Option<String>,
    },
    /// Start work on a new ticket, or resume one on hold
    #[command(after_help = "Example:\n  rapport ticket open T-12")]
    Open(StepArgs),
    /// Put a ticket on hold, waiting on the customer
    #[command(
        after_help = "Example:\n  rapport ticket hold T-12 --note \"waiting for the invoice copy\""
    )]
    Hold(StepArgs),
    /// Escalate an open ticket
    #[command(after_help = "Example:\n  rapport ticket escalate T-12 --note \"needs tier 2\"")]
    Escalate(StepArgs),
    /// Resolve an open or escalated ticket
    #[command(after_help = "Example:\n  rapport ticket resolve T-12 --note \"credit note issued\"")]
    Resolve(StepArgs),
    /// Close a resolved ticket
    #[command(after_help = "Example:\n  rapport ticket close T-12")]
    Close(StepArgs),
    /// Reopen a resolved or closed ticket
    #[command(
        after_help = "Example:\n  rapport ticket reopen T-12 --note \"customer called again\""
    )]
    Reopen(StepArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The account (A-N)
    #[arg(long)]
    account: String,
    /// What it is about
    #[arg(long)]
    subject: String,
    /// urgent, high, normal or low
    #[arg(long, default_value = "normal")]
    priority: String,
    /// The person who asked (C-N)
    #[arg(long)]
    contact: Option<String>,
    /// The queue (billing, technical, …)
    #[arg(long)]
    queue: Option<String>,
    /// The longer story
    #[arg(long)]
    description: Option<String>,
    /// A category
    #[arg(long)]
    category: Option<String>,
    /// The agent to assign it to
    #[arg(long)]
    assignee: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only these statuses (new, open, pending, escalated, resolved, closed; comma-separated)
    #[arg(long, value_name = "STATUS")]
    status: Vec<String>,
    /// Only tickets still needing work (not resolved or closed)
    #[arg(long)]
    active: bool,
    /// Only tickets assigned to this agent
    #[arg(long)]
    assignee: Option<String>,
    /// Only these priorities (urgent, high, normal, low; comma-separated)
    #[arg(long, value_name = "PRIORITY")]
    priority: Vec<String>,
    /// Only this account's tickets (A-N)
    #[arg(long)]
    account: Option<String>,
    /// Only this queue's tickets
    #[arg(long)]
    queue: Option<String>,
}

#[derive(Debug, Args)]
pub struct StepArgs {
    /// The ticket id (T-N)
    id: String,
    /// Why, recorded in the ticket's history
    #[arg(long)]
    note: Option<String>,
}

/// The columns of a ticket list.
pub const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("PRIORITY", "/priority"),
    ("STATUS", "/status"),
    ("SLA", "/sla_left"),
    ("SUBJECT", "/subject"),
    ("ACCOUNT", "/account"),
    ("ASSIGNEE", "/assignee"),
    ("QUEUE", "/queue"),
];

const EVENT_COLUMNS: &[Column] = &[
    ("AT", "/at"),
    ("BY", "/by"),
    ("EVENT", "/type"),
    ("FROM", "/from"),
    ("TO", "/to"),
    ("NOTE", "/note"),
];

/// A ticket's JSON with its service levels: `first_response_due`, `resolution_due` (UTC),
/// `sla_state` (ok, warning, breached, paused, met) and `sla_left`, the time left or overdue
/// on the clock that runs (`2h05m left`, `35m overdue`).
pub fn sla_row(book: &SlaBook, now: jiff::Timestamp, ticket: Ticket) -> Value {
    let sla = book.evaluate(&ticket, now);
    let mut row = json(ticket);
    let left = match (sla.state, sla.next_due()) {
        (SlaState::Met, _) | (_, None) => sla.state.to_string(),
        (SlaState::Paused, _) => "paused".to_string(),
        (_, Some(clock)) => {
            let secs = now.duration_until(clock.due).as_secs();
            let text = format_duration(secs.unsigned_abs().min(u64::from(u32::MAX)) as u32);
            if secs >= 0 {
                format!("{text} left")
            } else {
                format!("{text} overdue")
            }
        }
    };
    if let Some(obj) = row.as_object_mut() {
        obj.insert("first_response_due".into(), json!(sla.first_response.due));
        obj.insert("resolution_due".into(), json!(sla.resolution.due));
        obj.insert("sla_state".into(), json!(sla.state));
        obj.insert("sla_left".into(), json!(left));
    }
    row
}

fn shown(ops: &Ops, ticket: Ticket) -> Result<Output, CliError> {
    let row = sla_row(&ops.sla_book()?, ops.now, ticket);
    let mut fields = row.clone();
    let events = fields.as_object_mut().and_then(|o| o.remove("events"));
    let mut detail = fields_view(&fields);
    if let Some(Value::Array(events)) = events {
        detail.push_str(&format!(
            "\nHistory ({})\n{}\n",
            events.len(),
            table(&events, EVENT_COLUMNS)
        ));
    }
    Ok(Output::One { row, detail })
}

pub fn run(ops: &Ops, command: &TicketCommand) -> Result<Output, CliError> {
    let step = |action: Action, a: &StepArgs| -> Result<Output, CliError> {
        shown(
            ops,
            ops.transition(id_arg(Kind::Ticket, &a.id)?, action, a.note.clone())?,
        )
    };
    Ok(match command {
        TicketCommand::New(a) => {
            let mut draft = TicketDraft::new(id_arg(Kind::Account, &a.account)?, a.subject.clone());
            draft.priority = choice_arg("priority", &a.priority)?;
            draft.contact = a
                .contact
                .as_deref()
                .map(|c| id_arg(Kind::Contact, c))
                .transpose()?;
            draft.queue = a.queue.clone();
            draft.description = a.description.clone();
            draft.category = a.category.clone();
            draft.assignee = a.assignee.clone();
            let ticket = ops.new_ticket(draft)?;
            Output::Created(sla_row(&ops.sla_book()?, ops.now, ticket))
        }
        TicketCommand::List(a) => {
            let filter = TicketFilter {
                statuses: choices_arg("status", &a.status)?,
                active: a.active,
                assignee: a.assignee.clone(),
                priorities: choices_arg("priority", &a.priority)?,
                account: a
                    .account
                    .as_deref()
                    .map(|x| id_arg(Kind::Account, x))
                    .transpose()?,
                queue: a.queue.clone(),
            };
            let book = ops.sla_book()?;
            let rows = ops
                .tickets(&filter)?
                .into_iter()
                .map(|t| sla_row(&book, ops.now, t))
                .collect();
            Output::List {
                rows,
                columns: COLUMNS,
            }
        }
        TicketCommand::Show { id } => shown(ops, ops.ticket(id_arg(Kind::Ticket, id)?)?)?,
        TicketCommand::Assign { id, to, next, note } => {
            let id = id_arg(Kind::Ticket, id)?;
            let ticket = match to {
                Some(to) if !next => ops.assign(id, Some(to.clone()), note.clone())?,
                _ => ops.assign_next(id, note.clone())?,
            };
            shown(ops, ticket)?
        }
        TicketCommand::Comment { id, text, internal } => shown(
            ops,
            ops.comment(id_arg(Kind::Ticket, id)?, text, !internal)?,
        )?,
        TicketCommand::Csat { id, score, comment } => shown(
            ops,
            ops.rate(id_arg(Kind::Ticket, id)?, *score, comment.clone())?,
        )?,
        TicketCommand::Open(a) => step(Action::Open, a)?,
        TicketCommand::Hold(a) => step(Action::Hold, a)?,
        TicketCommand::Escalate(a) => step(Action::Escalate, a)?,
        TicketCommand::Resolve(a) => step(Action::Resolve, a)?,
        TicketCommand::Close(a) => step(Action::Close, a)?,
        TicketCommand::Reopen(a) => step(Action::Reopen, a)?,
    })
}
