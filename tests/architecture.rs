//! Keeps the arrows of the architecture pointing one way: only `store/sled` names sled, only
//! `tui` names ratatui or crossterm, the TUI's state machine never touches the store, and the
//! pure domain does no I/O.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn violations(forbidden: &[&str], allowed_under: &[&str], only_under: Option<&str>) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if allowed_under.iter().any(|a| rel.starts_with(a)) {
            continue;
        }
        if only_under.is_some_and(|o| !rel.starts_with(o)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if forbidden.iter().any(|f| code.contains(f)) {
                found.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn only_the_sled_backend_names_sled() {
    let found = violations(
        &[
            "use ::sled",
            "use sled",
            " ::sled::",
            "(::sled::",
            "sled::Db",
            "sled::Config",
            "sled::Tree",
            "sled::IVec",
            "sled::transaction",
        ],
        &["store/sled/"],
        None,
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_the_tui_names_ratatui_or_crossterm() {
    let found = violations(&["ratatui", "crossterm"], &["tui/"], None);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_tui_state_machine_never_touches_the_store_or_ops() {
    let found = violations(
        &["crate::store", "crate::ops", "crate::tui"],
        &[],
        Some("app/"),
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_domain_is_pure() {
    let found = violations(
        &[
            "std::fs",
            "std::io",
            "std::env",
            "Timestamp::now",
            "crate::store",
            "crate::ops",
            "crate::cli",
        ],
        &[],
        Some("domain/"),
    );
    assert!(found.is_empty(), "{found:#?}");
}
