use clap::Parser;
use rapport::cli::{self, Cli};
use std::ffi::OsString;
use std::path::PathBuf;

/// `rapport [--db PATH] [--as USER] [--keymap NAME|PATH]` with no subcommand: the TUI.
struct TuiArgs {
    db: Option<PathBuf>,
    user: Option<String>,
    keymap: Option<String>,
}

/// The TUI's options when the command line names no subcommand, else `None`.
fn tui_args(args: &[OsString]) -> Option<TuiArgs> {
    let mut out = TuiArgs {
        db: std::env::var_os("RAPPORT_DB")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        user: std::env::var("RAPPORT_USER").ok().filter(|v| !v.is_empty()),
        keymap: None,
    };
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg, None),
        };
        if !matches!(name, "--db" | "--as" | "--keymap") {
            return None;
        }
        let value = match inline {
            Some(v) => v,
            None => rest.next()?.to_str()?.to_string(),
        };
        match name {
            "--db" => out.db = Some(PathBuf::from(value)),
            "--as" => out.user = Some(value),
            _ => out.keymap = Some(value),
        }
    }
    Some(out)
}

fn run_tui(args: TuiArgs) -> Result<(), (String, i32)> {
    let keymap =
        rapport::keymap::Keymap::load(args.keymap.as_deref()).map_err(|e| (e.to_string(), 2))?;
    let path = cli::database_path(args.db.as_ref()).map_err(|e| (e.to_string(), e.exit_code()))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| (e.to_string(), 1))?;
    }
    let store = rapport::store::sled::open(&path).map_err(|e| {
        let code = match e {
            rapport::store::StoreError::InUse { .. } => 5,
            _ => 1,
        };
        (e.to_string(), code)
    })?;
    let user = args
        .user
        .or_else(|| {
            ["USER", "LOGNAME", "USERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok())
        })
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "agent".to_string());
    let options = rapport::tui::TuiOptions {
        user,
        keymap,
        banner: None,
    };
    rapport::tui::run(Box::new(store), options).map_err(|e| (e.to_string(), 1))
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(tui) = tui_args(&args) {
        if let Err((message, code)) = run_tui(tui) {
            eprintln!("rapport: {message}");
            std::process::exit(code);
        }
        return;
    }
    let cli = Cli::parse();
    if let Err(e) = cli::run(cli) {
        eprintln!("rapport: {e}");
        std::process::exit(e.exit_code());
    }
}
