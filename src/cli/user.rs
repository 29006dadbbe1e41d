//! `rapport user …`

use super::output::{Column, Output, fields_view};
use super::{CliError, choice_arg, json};
use crate::domain::record::split_list;
use crate::ops::Ops;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Define a user (admins; the first user must be an admin and may be added by anyone)
    #[command(
        after_help = "Example:\n  rapport user add bo --role agent --queue billing --queue technical\n\nRoles: agent (log, edit, work tickets), supervisor (also reassign, merge, reports),\nadmin (also import, delete, restore, manage users). Until a user is defined,\neveryone may do everything."
    )]
    Add {
        /// The login name, as given to --as
        name: String,
        /// agent, supervisor or admin
        #[arg(long, default_value = "agent")]
        role: String,
        /// A queue the user works (repeatable)
        #[arg(long = "queue", value_name = "QUEUE")]
        queues: Vec<String>,
    },
    /// List users
    #[command(after_help = "Example:\n  rapport user list --format json")]
    List,
    /// Show a user
    #[command(after_help = "Example:\n  rapport user show bo")]
    Show {
        /// The login name
        name: String,
    },
    /// Change a user's role or queues (admins)
    #[command(
        after_help = "Example:\n  rapport user edit bo --role supervisor --queues billing,technical"
    )]
    Edit {
        /// The login name
        name: String,
        /// agent, supervisor or admin
        #[arg(long)]
        role: Option<String>,
        /// The queues, comma-separated (replaces the list)
        #[arg(long)]
        queues: Option<String>,
    },
}

const COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("NAME", "/name"),
    ("ROLE", "/role"),
    ("QUEUES", "/queues"),
];

pub fn run(ops: &Ops, command: &UserCommand) -> Result<Output, CliError> {
    Ok(match command {
        UserCommand::Add { name, role, queues } => Output::Created(json(ops.add_user(
            name,
            choice_arg("role", role)?,
            queues.clone(),
        )?)),
        UserCommand::List => Output::List {
            rows: ops.users()?.into_iter().map(json).collect(),
            columns: COLUMNS,
        },
        UserCommand::Show { name } => {
            let row = json(ops.user(name)?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
        UserCommand::Edit { name, role, queues } => {
            let role = role.as_deref().map(|r| choice_arg("role", r)).transpose()?;
            let row = json(ops.edit_user(name, role, queues.as_deref().map(split_list))?);
            Output::One {
                detail: fields_view(&row),
                row,
            }
        }
    })
}
