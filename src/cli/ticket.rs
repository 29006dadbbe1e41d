//! `rapport ticket …`

use super::output::{Column, Output, fields_view, table};
use super::{CliError, choice_arg, choices_arg, id_arg, json};
use crate::domain::Kind;
use crate::domain::ticket::{Action, Ticket};
use crate::ops::{Ops, TicketDraft, TicketFilter};
use clap::{Args, Subcommand};
use serde_json::Value;

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
    /// Hand a ticket to an agent
    #[command(
        after_help = "Example:\n  rapport ticket assign T-12 --to bo --note \"billing expert\""
    )]
    Assign {
        /// The ticket id (T-N)
        id: String,
        /// The agent's login name
        #[arg(long)]
        to: String,
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
    ("SUBJECT", "/subject"),
    ("ACCOUNT", "/account"),
    ("ASSIGNEE", "/assignee"),
    ("QUEUE", "/queue"),
    ("CREATED", "/created_at"),
];

const EVENT_COLUMNS: &[Column] = &[
    ("AT", "/at"),
    ("BY", "/by"),
    ("EVENT", "/type"),
    ("FROM", "/from"),
    ("TO", "/to"),
    ("NOTE", "/note"),
];

fn shown(ticket: Ticket) -> Output {
    let row = json(ticket);
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
    Output::One { row, detail }
}

pub fn run(ops: &Ops, command: &TicketCommand) -> Result<Output, CliError> {
    let step = |action: Action, a: &StepArgs| -> Result<Output, CliError> {
        Ok(shown(ops.transition(
            id_arg(Kind::Ticket, &a.id)?,
            action,
            a.note.clone(),
        )?))
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
            Output::Created(json(ops.new_ticket(draft)?))
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
            let rows = ops.tickets(&filter)?.into_iter().map(json).collect();
            Output::List {
                rows,
                columns: COLUMNS,
            }
        }
        TicketCommand::Show { id } => shown(ops.ticket(id_arg(Kind::Ticket, id)?)?),
        TicketCommand::Assign { id, to, note } => {
            shown(ops.assign(id_arg(Kind::Ticket, id)?, Some(to.clone()), note.clone())?)
        }
        TicketCommand::Comment { id, text, internal } => {
            shown(ops.comment(id_arg(Kind::Ticket, id)?, text, !internal)?)
        }
        TicketCommand::Csat { id, score, comment } => {
            shown(ops.rate(id_arg(Kind::Ticket, id)?, *score, comment.clone())?)
        }
        TicketCommand::Open(a) => step(Action::Open, a)?,
        TicketCommand::Hold(a) => step(Action::Hold, a)?,
        TicketCommand::Escalate(a) => step(Action::Escalate, a)?,
        TicketCommand::Resolve(a) => step(Action::Resolve, a)?,
        TicketCommand::Close(a) => step(Action::Close, a)?,
        TicketCommand::Reopen(a) => step(Action::Reopen, a)?,
    })
}
