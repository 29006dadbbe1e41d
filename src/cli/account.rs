//! `rapport account …`

use super::output::{Column, Output, fields_view, table};
use super::{CliError, choice_arg, field_values, id_arg, json};
use crate::domain::Kind;
use crate::domain::record::Relationship;
use crate::ops::{AccountDraft, AccountFilter, Ops, TicketFilter};
use clap::{Args, Subcommand};
use std::fmt::Write;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account and print its id
    #[command(
        after_help = "Example:\n  rapport account add --name \"Acme Ltd\" --phone \"+1 415 555 0100\" --email info@acme.example --tag vip --set city=Leeds"
    )]
    Add(AddArgs),
    /// List accounts, sorted by name
    #[command(after_help = "Example:\n  rapport account list --relationship customer --tag vip")]
    List(ListArgs),
    /// Show an account: details, contacts, open tickets and latest interactions
    #[command(after_help = "Example:\n  rapport account show A-1042")]
    Show {
        /// The account id (A-N)
        id: String,
    },
    /// Change fields of an account
    #[command(
        after_help = "Example:\n  rapport account edit A-1 --set relationship=customer --set phones=\"+1 415 555 0100, +1 415 555 0101\"\n\nFields: name, kind, relationship, segment, tags, owner, phones, emails, website, street,\ncity, region, postcode, country, external_id, lifecycle_stage, notes, custom.NAME.\nLists are comma-separated; an empty value clears the field."
    )]
    Edit {
        /// The account id (A-N)
        id: String,
        /// FIELD=VALUE to set (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
    /// Delete an account that has no contacts, interactions or tickets (admins)
    #[command(after_help = "Example:\n  rapport account delete A-7")]
    Delete {
        /// The account id (A-N)
        id: String,
    },
    /// Merge a duplicate into the account to keep: its contacts, history and tickets move
    /// over, its phones, emails and tags are added, then it is deleted (supervisors)
    #[command(after_help = "Example:\n  rapport account merge A-1 A-7")]
    Merge {
        /// The account that stays
        keep: String,
        /// The duplicate that goes
        other: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account's name
    #[arg(long)]
    name: String,
    /// A phone number (repeatable)
    #[arg(long = "phone", value_name = "PHONE")]
    phones: Vec<String>,
    /// An email address (repeatable)
    #[arg(long = "email", value_name = "EMAIL")]
    emails: Vec<String>,
    /// organisation or person [default: organisation]
    #[arg(long)]
    kind: Option<String>,
    /// A tag (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Any other field, FIELD=VALUE (repeatable; see `account edit --help`)
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only accounts with this tag
    #[arg(long)]
    tag: Option<String>,
    /// Only accounts with this relationship (prospect, customer, partner, reseller, former)
    #[arg(long)]
    relationship: Option<String>,
    /// Only accounts owned by this agent
    #[arg(long)]
    owner: Option<String>,
    /// Only accounts in this segment
    #[arg(long)]
    segment: Option<String>,
    /// At most this many
    #[arg(long)]
    limit: Option<usize>,
}

/// The columns of an account list.
pub const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("NAME", "/name"),
    ("RELATIONSHIP", "/relationship"),
    ("PHONE", "/phones/0/number"),
    ("EMAIL", "/emails/0"),
    ("LAST CONTACT", "/last_contact_at"),
];

pub fn run(ops: &Ops, command: &AccountCommand) -> Result<Output, CliError> {
    Ok(match command {
        AccountCommand::Add(a) => {
            let draft = AccountDraft {
                name: a.name.clone(),
                kind: a.kind.clone(),
                phones: a.phones.clone(),
                emails: a.emails.clone(),
                tags: a.tags.clone(),
                fields: field_values(&a.set)?,
            };
            Output::Created(json(ops.add_account(draft)?))
        }
        AccountCommand::List(a) => {
            let filter = AccountFilter {
                tag: a.tag.clone(),
                relationship: a
                    .relationship
                    .as_deref()
                    .map(|r| choice_arg::<Relationship>("relationship", r))
                    .transpose()?,
                owner: a.owner.clone(),
                segment: a.segment.clone(),
                limit: a.limit,
            };
            let rows = ops.accounts(&filter)?.into_iter().map(json).collect();
            Output::List {
                rows,
                columns: COLUMNS,
            }
        }
        AccountCommand::Show { id } => {
            let id = id_arg(Kind::Account, id)?;
            let account = ops.account(id)?;
            let row = json(account);
            let detail = overview(ops, id, &row)?;
            Output::One { row, detail }
        }
        AccountCommand::Edit { id, set } => {
            let id = id_arg(Kind::Account, id)?;
            let row = json(ops.edit_account(id, &field_values(set)?)?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
        AccountCommand::Delete { id } => {
            ops.delete_account(id_arg(Kind::Account, id)?)?;
            Output::Nothing
        }
        AccountCommand::Merge { keep, other } => {
            let keep = id_arg(Kind::Account, keep)?;
            let other = id_arg(Kind::Account, other)?;
            let row = json(ops.merge_accounts(keep, other)?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
    })
}

/// The 360 view of an account for people: its fields, then contacts, open tickets and the
/// latest interactions.
fn overview(ops: &Ops, id: crate::domain::Id, row: &serde_json::Value) -> Result<String, CliError> {
    let mut out = fields_view(row);
    let contacts: Vec<_> = ops.contacts(Some(id))?.into_iter().map(json).collect();
    let filter = TicketFilter {
        account: Some(id),
        active: true,
        ..TicketFilter::default()
    };
    let tickets: Vec<_> = ops.tickets(&filter)?.into_iter().map(json).collect();
    let history: Vec<_> = ops.history(id, Some(5))?.into_iter().map(json).collect();
    let sections: [(&str, Vec<serde_json::Value>, &[Column]); 3] = [
        ("Contacts", contacts, super::contact::COLUMNS),
        ("Open tickets", tickets, super::ticket::COLUMNS),
        ("Latest interactions", history, super::interaction::COLUMNS),
    ];
    for (title, rows, columns) in sections {
        let _ = write!(out, "\n{title} ({})\n", rows.len());
        if !rows.is_empty() {
            let _ = writeln!(out, "{}", table(&rows, columns));
        }
    }
    Ok(out)
}
