//! The command line: clap definitions (one module per command group), output formats, and the
//! composition root that opens the store and hands it to the operations.

mod account;
mod audit;
mod contact;
mod dump;
mod interaction;
pub mod output;
mod progress;
mod report;
mod search;
mod sla;
mod ticket;
mod user;

use crate::domain::validate::Invalid;
use crate::ops::{Ops, OpsError};
use crate::store::{Store, StoreError};
use clap::{CommandFactory, Parser, Subcommand};
use output::{Format, Output};
use std::path::PathBuf;

/// rapport: a terminal CRM for call centres. Find a customer in three keystrokes, see the
/// whole account, log the call, work the ticket.
#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "Examples:
  rapport account add --name \"Acme Ltd\" --phone \"+1 415 555 0100\" --email info@acme.example
  rapport search acme
  rapport log --account A-1 --channel call --direction inbound --duration 4m30s --outcome resolved
  rapport ticket new --account A-1 --subject \"Invoice is wrong\" --priority high

Exit codes: 0 ok, 2 usage, 3 not found, 4 invalid input or illegal transition,
5 database in use or locked, 1 anything else.")]
pub struct Cli {
    /// The database directory [default: the platform data directory]
    #[arg(long, global = true, env = "RAPPORT_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who is acting, recorded on every change [default: the login name]
    #[arg(long = "as", global = true, env = "RAPPORT_USER", value_name = "USER")]
    pub acting_user: Option<String>,

    /// How to print what lists or shows
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Customer organisations and people
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// People at an account
    #[command(subcommand)]
    Contact(contact::ContactCommand),
    /// Find accounts by name, contact, email, phone digits or id, as the TUI does
    Search(search::SearchArgs),
    /// Log a call or any other touch with a customer
    Log(interaction::LogArgs),
    /// An account's interactions, newest first
    History(interaction::HistoryArgs),
    /// Service requests: open, work and close them
    #[command(subcommand)]
    Ticket(ticket::TicketCommand),
    /// Service levels: breach check, policies per priority, business calendars
    #[command(subcommand)]
    Sla(sla::SlaCommand),
    /// Reports on tickets, service levels, agents and satisfaction (supervisors)
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Every change to every record: who, when, what from what to what
    Audit(audit::AuditArgs),
    /// Agents, supervisors and admins
    #[command(subcommand)]
    User(user::UserCommand),
    /// Write records out; with --all, a lossless dump of everything
    #[command(after_help = "Example:\n  rapport export --all -o dump.jsonl")]
    Export(ExportArgs),
    /// Read records in; with --all, load a dump into an empty database (admins)
    #[command(after_help = "Example:\n  rapport --db ./restored import --all dump.jsonl")]
    Import(ImportArgs),
    /// Write a consistent dump of the whole database to FILE
    #[command(after_help = "Example:\n  rapport backup rapport-2026-03-02.jsonl")]
    Backup {
        /// Where to write the dump
        file: PathBuf,
    },
    /// Load a backup into an empty database (admins)
    #[command(after_help = "Example:\n  rapport --db ./restored restore rapport-2026-03-02.jsonl")]
    Restore {
        /// The backup to load
        file: PathBuf,
    },
    /// Verify the database: every index entry points at a record, every record is indexed,
    /// counters are ahead of every id
    #[command(after_help = "Example:\n  rapport check")]
    Check,
    /// Print a shell completion script
    #[command(
        after_help = "Example:\n  rapport completions bash > ~/.local/share/bash-completion/completions/rapport"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    #[command(after_help = "Example:\n  rapport man | man -l -")]
    Man,
}

/// `rapport export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Everything: every record, the audit log and the counters, as JSON lines
    #[arg(long, required = true)]
    all: bool,
    /// The file to write [default: stdout]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `rapport import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file to read
    file: PathBuf,
    /// The file is a dump written by `export --all`; the database must be empty
    #[arg(long, required = true)]
    all: bool,
}

/// Why a command failed, mapped to the documented exit codes.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0} problems found")]
    Check(usize),
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        CliError::Ops(OpsError::Store(e))
    }
}

impl CliError {
    /// The exit code of design.md: 2 usage, 3 not found, 4 invalid input or illegal
    /// transition (or not allowed for the role), 5 database in use, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Invalid(_) => 4,
            CliError::Io(_) | CliError::Check(_) => 1,
            CliError::Ops(e) => match e {
                OpsError::NotFound { .. } | OpsError::UnknownUser(_) => 3,
                OpsError::Invalid(_) | OpsError::Illegal { .. } | OpsError::Forbidden { .. } => 4,
                OpsError::Store(StoreError::InUse { .. }) => 5,
                OpsError::Store(_) | OpsError::Io(_) => 1,
            },
        }
    }
}

/// The clock: `RAPPORT_NOW` (RFC 3339) pins it, for tests and replays.
pub fn now() -> Result<jiff::Timestamp, CliError> {
    match std::env::var("RAPPORT_NOW") {
        Ok(text) if !text.is_empty() => text.parse().map_err(|e| {
            CliError::Invalid(Invalid::new(
                "RAPPORT_NOW",
                format!("'{text}' is not an RFC 3339 time ({e})"),
            ))
        }),
        _ => Ok(jiff::Timestamp::now()),
    }
}

/// The acting user: `--as`, `RAPPORT_USER`, else the login name.
fn acting_user(cli: &Cli) -> String {
    cli.acting_user
        .clone()
        .or_else(|| {
            ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok())
        })
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "agent".to_string())
}

/// The database directory: `--db`, `RAPPORT_DB`, else the platform data directory.
pub fn database_path(explicit: Option<&PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(path) = explicit {
        return Ok(path.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "rapport").ok_or_else(|| {
        CliError::Usage("no home directory to keep the database in; pass --db PATH".into())
    })?;
    Ok(dirs.data_dir().join("db"))
}

/// Opens the database for a command.
pub fn open_store(cli: &Cli) -> Result<Box<dyn Store>, CliError> {
    let path = database_path(cli.db.as_ref())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(Box::new(crate::store::sled::open(&path)?))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let output = match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "rapport",
                &mut std::io::stdout(),
            );
            Output::Nothing
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Output::Nothing
        }
        command => {
            let store = open_store(&cli)?;
            let ops = Ops::new(store.as_ref(), acting_user(&cli), now()?);
            match command {
                Command::Account(c) => account::run(&ops, c)?,
                Command::Contact(c) => contact::run(&ops, c)?,
                Command::Search(a) => search::run(&ops, a)?,
                Command::Log(a) => interaction::log(&ops, a)?,
                Command::History(a) => interaction::history(&ops, a)?,
                Command::Ticket(c) => ticket::run(&ops, c)?,
                Command::Audit(a) => audit::run(&ops, a)?,
                Command::Sla(c) => sla::run(&ops, c)?,
                Command::Report(c) => report::run(&ops, c)?,
                Command::User(c) => user::run(&ops, c)?,
                Command::Export(a) => dump::write_dump(&ops, a.output.as_deref())?,
                Command::Import(a) => dump::read_dump(&ops, &a.file)?,
                Command::Backup { file } => dump::write_dump(&ops, Some(file))?,
                Command::Restore { file } => dump::read_dump(&ops, file)?,
                Command::Check => dump::check(&ops)?,
                Command::Completions { .. } | Command::Man => unreachable!("handled above"),
            }
        }
    };
    match output::print(output, cli.format) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Reads `FIELD=VALUE` pairs given to `--set`.
pub fn field_values(pairs: &[String]) -> Result<Vec<(String, String)>, CliError> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(f, v)| (f.trim().to_string(), v.to_string()))
                .ok_or_else(|| CliError::Usage(format!("--set takes FIELD=VALUE, not '{pair}'")))
        })
        .collect()
}

/// Reads an id of `kind` given on the command line.
pub fn id_arg(kind: crate::domain::Kind, text: &str) -> Result<crate::domain::Id, CliError> {
    crate::domain::Id::parse_of(kind, text)
        .map_err(|e| CliError::Invalid(Invalid::new("id", e.to_string())))
}

/// Reads a value of a closed set given on the command line.
pub fn choice_arg<C: crate::domain::Choice>(field: &str, text: &str) -> Result<C, CliError> {
    C::parse(text).map_err(|e| CliError::Invalid(Invalid::new(field, e.to_string())))
}

/// Reads a comma-separated list of values of a closed set.
pub fn choices_arg<C: crate::domain::Choice>(
    field: &str,
    texts: &[String],
) -> Result<Vec<C>, CliError> {
    texts
        .iter()
        .flat_map(|t| t.split(','))
        .filter(|t| !t.trim().is_empty())
        .map(|t| choice_arg(field, t))
        .collect()
}

/// Reads a date (`2026-03-01`, midnight UTC) or an RFC 3339 time.
pub fn time_arg(field: &str, text: &str) -> Result<jiff::Timestamp, CliError> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    text.parse::<jiff::civil::Date>()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|z| z.timestamp())
        .map_err(|_| {
            CliError::Invalid(Invalid::new(
                field,
                format!(
                    "'{text}' is not a date (2026-03-01) or an RFC 3339 time (2026-03-01T09:30:00Z)"
                ),
            ))
        })
}

/// The JSON form of a record.
pub fn json(record: impl Into<crate::domain::Record>) -> serde_json::Value {
    record.into().to_json()
}
