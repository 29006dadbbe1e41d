//! `rapport contact …`

use super::output::{Column, Output, fields_view};
use super::{CliError, field_values, id_arg, json};
use crate::domain::Kind;
use crate::ops::{ContactDraft, Ops};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Add a person to an account and print the new id
    #[command(
        after_help = "Example:\n  rapport contact add --account A-1 --name \"Ann Lee\" --title \"Accounts payable\" --email ann@acme.example"
    )]
    Add(AddArgs),
    /// List contacts, sorted by name
    #[command(after_help = "Example:\n  rapport contact list --account A-1")]
    List {
        /// Only the contacts of this account
        #[arg(long)]
        account: Option<String>,
    },
    /// Show a contact
    #[command(after_help = "Example:\n  rapport contact show C-12")]
    Show {
        /// The contact id (C-N)
        id: String,
    },
    /// Change fields of a contact
    #[command(
        after_help = "Example:\n  rapport contact edit C-12 --set title=CFO --set decision_maker=yes\n\nFields: name, title, phones, emails, preferred_channel, decision_maker, external_id,\ncustom.NAME. Lists are comma-separated; an empty value clears the field."
    )]
    Edit {
        /// The contact id (C-N)
        id: String,
        /// FIELD=VALUE to set (repeatable)
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
    /// Delete a contact (admins); interactions and tickets keep its id
    #[command(after_help = "Example:\n  rapport contact delete C-12")]
    Delete {
        /// The contact id (C-N)
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account the person belongs to (A-N)
    #[arg(long)]
    account: String,
    /// The person's name
    #[arg(long)]
    name: String,
    /// A phone number (repeatable)
    #[arg(long = "phone", value_name = "PHONE")]
    phones: Vec<String>,
    /// An email address (repeatable)
    #[arg(long = "email", value_name = "EMAIL")]
    emails: Vec<String>,
    /// Title or role
    #[arg(long)]
    title: Option<String>,
    /// Any other field, FIELD=VALUE (repeatable; see `contact edit --help`)
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
}

/// The columns of a contact list.
pub const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("NAME", "/name"),
    ("TITLE", "/title"),
    ("ACCOUNT", "/account"),
    ("PHONE", "/phones/0/number"),
    ("EMAIL", "/emails/0"),
];

pub fn run(ops: &Ops, command: &ContactCommand) -> Result<Output, CliError> {
    Ok(match command {
        ContactCommand::Add(a) => {
            let draft = ContactDraft {
                account: id_arg(Kind::Account, &a.account)?,
                name: a.name.clone(),
                title: a.title.clone(),
                phones: a.phones.clone(),
                emails: a.emails.clone(),
                fields: field_values(&a.set)?,
            };
            Output::Created(json(ops.add_contact(draft)?))
        }
        ContactCommand::List { account } => {
            let account = account
                .as_deref()
                .map(|a| id_arg(Kind::Account, a))
                .transpose()?;
            let rows = ops.contacts(account)?.into_iter().map(json).collect();
            Output::List {
                rows,
                columns: COLUMNS,
            }
        }
        ContactCommand::Show { id } => {
            let row = json(ops.contact(id_arg(Kind::Contact, id)?)?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
        ContactCommand::Edit { id, set } => {
            let row = json(ops.edit_contact(id_arg(Kind::Contact, id)?, &field_values(set)?)?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
        ContactCommand::Delete { id } => {
            ops.delete_contact(id_arg(Kind::Contact, id)?)?;
            Output::Nothing
        }
    })
}
