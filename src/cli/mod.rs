//! The command line: clap definitions (one module per command group), output formats, and the
//! composition root that opens the store and hands it to the operations.

mod account;
mod audit;
mod contact;
mod dump;
mod interaction;
mod interchange;
mod kb;
pub mod output;
mod progress;
mod report;
mod search;
mod sla;
mod terminal;
mod ticket;
mod user;

use crate::domain::validate::Invalid;
use crate::ops::{Ops, OpsError};
use crate::store::StoreError;
use clap::{CommandFactory, Parser, Subcommand};
use output::{Format, Output};
use std::path::PathBuf;

/// rapport: a terminal CRM for call centres. Find a customer in three keystrokes, see the
/// whole account, log the call, work the ticket. With no command, rapport opens the TUI.
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

    /// The TUI's keymap: default, vim, emacs or a file [default: keymap.toml in the config
    /// directory over the defaults]
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,

    /// With no command, the TUI opens on the database
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The TUI on a throwaway database full of demo data
    #[command(after_help = "Examples:\n  rapport demo\n  rapport demo --keep --keymap vim")]
    Demo {
        /// Keep the demo database after quitting (its path is printed)
        #[arg(long)]
        keep: bool,
    },
    /// Check or list the TUI's key bindings
    #[command(subcommand)]
    Keymap(terminal::KeymapCommand),
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
    /// The knowledge base: write, search and suggest articles, link them to tickets
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// Every change to every record: who, when, what from what to what
    Audit(audit::AuditArgs),
    /// Agents, supervisors and admins
    #[command(subcommand)]
    User(user::UserCommand),
    /// Write records out; with --all, a lossless dump of everything
    #[command(after_help = "Examples:
  rapport export --entity accounts -o accounts.csv
  rapport export --entity contacts --to vcard --where account=A-12 -o acme.vcf
  rapport export --entity tickets --to jsonl --where status=open
  rapport export --all -o dump.jsonl

What export writes, import reads back field for field.")]
    Export(ExportArgs),
    /// Read records in; with --all, load a dump into an empty database (admins)
    #[command(after_help = "Examples:
  rapport import salesforce-accounts.csv --entity accounts --dry-run
  rapport import contacts.vcf --entity contacts --create-accounts --rejects rejected.vcf
  rapport import calls.csv --entity interactions --map \"Call Date=started_at\" --encoding windows-1252
  rapport --db ./restored import --all dump.jsonl

Columns map to fields by name and common synonyms (Company, Account Name, Phone 1 - Value,
E-mail Address, 公司名称, Телефон…); unmapped columns become custom fields. Duplicates are found
by external id, then email, then phone. Exit code 4 when any row was rejected.")]
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
    /// accounts, contacts, interactions or tickets
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    entity: Option<String>,
    /// csv, json, jsonl or vcard (contacts) [default: from the file name, else csv]
    #[arg(long, value_name = "FORMAT")]
    to: Option<String>,
    /// Only records whose FIELD is VALUE (`relationship=customer`, `address.city=Leeds`,
    /// `tags=vip`); repeatable, all must hold
    #[arg(long = "where", value_name = "FIELD=VALUE")]
    filters: Vec<String>,
    /// Everything: every record, the audit log and the counters, as JSON lines
    #[arg(long)]
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
    /// accounts, contacts, interactions or tickets
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    entity: Option<String>,
    /// csv, json, jsonl or vcard [default: from the file name]
    #[arg(long, value_name = "FORMAT")]
    from: Option<String>,
    /// Map a column to a field (`--map "Org Name=name"`), or skip it (`--map Notes=-`)
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    maps: Vec<String>,
    /// Read, check and count everything, write nothing; shows the column mapping
    #[arg(long)]
    dry_run: bool,
    /// What a row matching an existing record does: skip, update or fail
    #[arg(long, default_value = "skip", value_name = "POLICY")]
    on_duplicate: String,
    /// Write rejected rows here, as they were plus the reason, to fix and import again
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// The file's encoding (windows-1252, gbk, gb18030, windows-1251, utf-16…) [default: detected]
    #[arg(long)]
    encoding: Option<String>,
    /// Create the accounts that contacts name by company when there is none
    #[arg(long)]
    create_accounts: bool,
    /// Rows written per transaction
    #[arg(long, default_value_t = 2000, value_name = "N")]
    batch_size: usize,
    /// The file is a dump written by `export --all`; the database must be empty
    #[arg(long)]
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
    #[error("{0} rows were rejected")]
    Rejected(u64),
    #[error("{0}")]
    Keymap(String),
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
            CliError::Rejected(_) | CliError::Keymap(_) => 4,
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
pub fn acting_user(cli: &Cli) -> String {
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

/// The database directory a command uses, its parent created if need be.
pub fn database_dir(cli: &Cli) -> Result<PathBuf, CliError> {
    let path = database_path(cli.db.as_ref())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(path)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let output = match &cli.command {
        None => terminal::terminal(&cli)?,
        Some(Command::Demo { keep }) => terminal::demo(&cli, *keep)?,
        Some(Command::Keymap(c)) => terminal::keymap(&cli, c)?,
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "rapport",
                &mut std::io::stdout(),
            );
            Output::Nothing
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Output::Nothing
        }
        Some(Command::Search(a)) => {
            let path = database_dir(&cli)?;
            match search::answer_closed(&path, a) {
                Some(output) => output,
                None => {
                    // The index file is read while sled opens.
                    let prefetch = crate::search::snapshot::Prefetch::start(&path);
                    let store = crate::store::sled::open_telling(&path, &progress::opening)?;
                    search::run(&Ops::new(&store, acting_user(&cli), now()?), a, prefetch)?
                }
            }
        }
        Some(command) => {
            let store = crate::store::sled::open_telling(&database_dir(&cli)?, &progress::opening)?;
            let ops = Ops::new(&store, acting_user(&cli), now()?);
            match command {
                Command::Account(c) => account::run(&ops, c)?,
                Command::Contact(c) => contact::run(&ops, c)?,
                Command::Log(a) => interaction::log(&ops, a)?,
                Command::History(a) => interaction::history(&ops, a)?,
                Command::Ticket(c) => ticket::run(&ops, c)?,
                Command::Kb(c) => kb::run(&ops, c)?,
                Command::Audit(a) => audit::run(&ops, a, cli.format)?,
                Command::Sla(c) => sla::run(&ops, c)?,
                Command::Report(c) => report::run(&ops, c)?,
                Command::User(c) => user::run(&ops, c)?,
                Command::Export(a) if a.all => dump::write_dump(&ops, a.output.as_deref())?,
                Command::Export(a) => interchange::export(
                    &ops,
                    a.entity.as_deref().unwrap_or_default(),
                    a.to.as_deref(),
                    &a.filters,
                    a.output.as_ref(),
                )?,
                Command::Import(a) if a.all => dump::read_dump(&ops, &a.file)?,
                Command::Import(a) => {
                    let request = interchange::ImportRequest {
                        file: &a.file,
                        entity: a.entity.as_deref().unwrap_or_default(),
                        from: a.from.as_deref(),
                        maps: &a.maps,
                        dry_run: a.dry_run,
                        on_duplicate: &a.on_duplicate,
                        rejects: a.rejects.as_deref(),
                        encoding: a.encoding.as_deref(),
                        create_accounts: a.create_accounts,
                        batch_size: a.batch_size,
                    };
                    interchange::import(&ops, &request, cli.format)?
                }
                Command::Backup { file } => dump::write_dump(&ops, Some(file))?,
                Command::Restore { file } => dump::read_dump(&ops, file)?,
                Command::Check => dump::check(&ops)?,
                Command::Completions { .. }
                | Command::Man
                | Command::Demo { .. }
                | Command::Keymap(_)
                | Command::Search(_) => unreachable!("handled above"),
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
