//! `rapport` with no subcommand (the TUI), `rapport demo`, and `rapport keymap …`.

use super::output::{Column, Output};
use super::{Cli, CliError, acting_user, database_dir, now};
use crate::interchange::dump::Reader;
use crate::keymap::{self, Keymap};
use crate::ops::Ops;
use crate::tui::{self, OpenStore, TuiError, TuiOptions};
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// The demo dataset, written by `cargo run --example gen` and loaded like any dump.
const DEMO: &str = include_str!("../../fixtures/demo/demo.jsonl");

#[derive(Debug, Subcommand)]
pub enum KeymapCommand {
    /// Check a keymap file: unknown actions, malformed keys, two actions on one key
    #[command(after_help = "Example:\n  rapport keymap check ~/.config/rapport/keymap.toml")]
    Check {
        /// The keymap file
        file: PathBuf,
    },
    /// Every binding of the active keymap (--keymap NAME|PATH, else the user's keymap.toml
    /// over the defaults)
    #[command(
        after_help = "Examples:\n  rapport keymap show\n  rapport --keymap vim keymap show --format csv"
    )]
    Show,
}

fn load_keymap(cli: &Cli) -> Result<Keymap, CliError> {
    Keymap::load(cli.keymap.as_deref()).map_err(|e| CliError::Keymap(e.to_string()))
}

fn run_tui(
    open: OpenStore,
    database: Option<PathBuf>,
    cli: &Cli,
    banner: Option<String>,
) -> Result<(), CliError> {
    let options = TuiOptions {
        user: acting_user(cli),
        keymap: load_keymap(cli)?,
        banner,
        database,
    };
    tui::run(open, options).map_err(|e| match e {
        TuiError::Store(e) => CliError::from(e),
        e => CliError::Io(std::io::Error::other(e.to_string())),
    })
}

/// The TUI on the default (or `--db`) database, opened by the TUI's worker while it draws.
pub fn terminal(cli: &Cli) -> Result<Output, CliError> {
    let path = database_dir(cli)?;
    let database = Some(path.clone());
    let open: OpenStore =
        Box::new(move |tell| Ok(Arc::new(crate::store::sled::open_telling(&path, tell)?)));
    run_tui(open, database, cli, None)?;
    Ok(Output::Nothing)
}

/// The TUI on a throwaway database filled with the demo dataset.
pub fn demo(cli: &Cli, keep: bool) -> Result<Output, CliError> {
    let dir = tempfile::Builder::new().prefix("rapport-demo-").tempdir()?;
    let path = dir.path().join("db");
    let store = crate::store::sled::open(&path)?;
    {
        let ops = Ops::new(&store, "demo", now()?);
        let reader = Reader::new(DEMO.as_bytes(), "fixtures/demo/demo.jsonl")
            .map_err(crate::ops::OpsError::from)?;
        ops.restore_dump(reader, |_| {})?;
    }
    let banner = if keep {
        format!(
            "Demo database at {} (kept: rapport --db {} to open it again)",
            path.display(),
            path.display()
        )
    } else {
        format!(
            "Demo database at {} (deleted on quit; rapport demo --keep keeps it)",
            path.display()
        )
    };
    eprintln!("{banner}");
    let result = run_tui(
        Box::new(move |_| Ok(Arc::new(store))),
        None,
        cli,
        Some(banner),
    );
    if keep {
        let kept = dir.keep();
        eprintln!("The demo database is kept at {}", kept.join("db").display());
    }
    result.map(|()| Output::Nothing)
}

const BINDINGS: &[Column] = &[
    ("CONTEXT", "/context"),
    ("KEY", "/key"),
    ("ACTION", "/action"),
    ("DESCRIPTION", "/description"),
];

/// `rapport keymap check|show`.
pub fn keymap(cli: &Cli, command: &KeymapCommand) -> Result<Output, CliError> {
    match command {
        KeymapCommand::Check { file } => {
            keymap::check(file).map_err(|e| CliError::Keymap(e.to_string()))?;
            eprintln!("{}: no problems found", file.display());
            Ok(Output::Nothing)
        }
        KeymapCommand::Show => {
            let keymap = load_keymap(cli)?;
            if let Some(problem) = keymap.problem() {
                eprintln!("rapport: {problem}; showing the defaults");
            }
            let rows = keymap
                .rows()
                .into_iter()
                .map(|r| json!({ "context": r.context, "key": r.key, "action": r.action, "description": r.description }))
                .collect();
            Ok(Output::List {
                rows,
                columns: BINDINGS,
            })
        }
    }
}
