//! Keymaps: TOML files binding keys to registry commands, per context.
//!
//! ```toml
//! extends = "default"        # optional: default (the default), vim or emacs
//! [normal]
//! "e" = "ticket.escalate"
//! "x" = "none"               # removes a binding of the keymap extended
//! ```
//!
//! `keymaps/default.toml` is compiled in; `vim.toml` and `emacs.toml` are shipped too and are
//! deltas over it. `--keymap NAME|PATH` picks one; without it, the user's `keymap.toml` in the
//! platform config directory is read when there is one. Every file is a delta merged key by
//! key over the one it extends. An unknown context or action, a malformed key, or two actions
//! on one key in one context is an error naming the file and line.

pub mod key;

use crate::app::{Bindings, Cmd, Context, Key};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// The shipped keymaps: (name, file, text).
const SHIPPED: [(&str, &str, &str); 3] = [
    (
        "default",
        "keymaps/default.toml",
        include_str!("../../keymaps/default.toml"),
    ),
    (
        "vim",
        "keymaps/vim.toml",
        include_str!("../../keymaps/vim.toml"),
    ),
    (
        "emacs",
        "keymaps/emacs.toml",
        include_str!("../../keymaps/emacs.toml"),
    ),
];

/// The action that removes a binding.
const UNBIND: &str = "none";

/// Why a keymap cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// Something at a place in a file.
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read the keymap {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no keymap named '{0}': give one of default, vim, emacs, or the path of a .toml file")]
    Unknown(String),
    #[error("{file}: 'extends' goes round in a circle ({chain})")]
    Cycle { file: String, chain: String },
}

/// One row of `rapport keymap show` and the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRow {
    pub context: &'static str,
    pub key: String,
    pub action: &'static str,
    pub description: &'static str,
}

/// A loaded keymap: the bindings and where they came from.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Bindings,
    /// The files merged, first the compiled-in defaults.
    files: Vec<String>,
    /// A problem with the user's own keymap.toml, which was skipped for the defaults.
    problem: Option<String>,
}

/// One file's text and the name errors give it.
struct Source {
    file: String,
    text: String,
}

/// One binding line of a file.
struct Entry {
    context: Context,
    key: Key,
    /// `None` unbinds.
    cmd: Option<Cmd>,
}

/// A parsed file.
struct Layer {
    extends: Option<String>,
    entries: Vec<Entry>,
}

fn shipped(name: &str) -> Option<Source> {
    SHIPPED
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, file, text)| Source {
            file: file.to_string(),
            text: text.to_string(),
        })
}

fn read(path: &Path) -> Result<Source, KeymapError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeymapError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Source {
        file: path.display().to_string(),
        text,
    })
}

/// The user's keymap file: `keymap.toml` in the platform config directory.
pub fn user_keymap_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rapport").map(|d| d.config_dir().join("keymap.toml"))
}

/// The names of the shipped keymaps.
pub fn shipped_names() -> Vec<&'static str> {
    SHIPPED.iter().map(|(n, _, _)| *n).collect()
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

impl Source {
    fn error(&self, offset: usize, message: impl Into<String>) -> KeymapError {
        let (line, column) = position(&self.text, offset);
        KeymapError::At {
            file: self.file.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    fn parse(&self) -> Result<Layer, KeymapError> {
        let table = DeTable::parse(&self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.error(offset, e.message().trim().to_string())
        })?;
        let mut extends = None;
        let mut entries = Vec::new();
        // The first place each (context, key) was bound in this file, to report conflicts.
        let mut seen: BTreeMap<(Context, Key), (Cmd, usize)> = BTreeMap::new();
        for (name, value) in table.get_ref().iter() {
            let name_at = name.span().start;
            if name.get_ref().as_ref() == "extends" {
                match value.get_ref() {
                    DeValue::String(s) => extends = Some(s.to_string()),
                    _ => {
                        return Err(self.error(
                            value.span().start,
                            "'extends' names a keymap: \"default\", \"vim\" or \"emacs\"",
                        ));
                    }
                }
                continue;
            }
            let Some(context) = Context::from_name(name.get_ref()) else {
                let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                return Err(self.error(
                    name_at,
                    format!(
                        "unknown context '{}'; contexts: {}",
                        name.get_ref(),
                        names.join(", ")
                    ),
                ));
            };
            let DeValue::Table(bindings) = value.get_ref() else {
                return Err(self.error(
                    name_at,
                    format!("[{context}] must be a table of \"key\" = \"action\" lines"),
                ));
            };
            for (key_text, action) in bindings.iter() {
                let key_at = key_text.span().start;
                let key = key::parse(key_text.get_ref()).map_err(|m| self.error(key_at, m))?;
                let DeValue::String(action_name) = action.get_ref() else {
                    return Err(self.error(
                        action.span().start,
                        format!(
                            "the action for '{}' must be a string such as \"ticket.escalate\"",
                            key_text.get_ref()
                        ),
                    ));
                };
                let action_at = action.span().start;
                let cmd = if action_name.as_ref() == UNBIND {
                    None
                } else {
                    let cmd = Cmd::from_name(action_name)
                        .ok_or_else(|| self.error(action_at, unknown_action(action_name)))?;
                    if !cmd.works_in(context) {
                        let places: Vec<&str> =
                            cmd.spec().contexts.iter().map(|c| c.name()).collect();
                        return Err(self.error(
                            action_at,
                            format!(
                                "'{cmd}' does nothing in [{context}]; bind it in [{}]",
                                places.join("], [")
                            ),
                        ));
                    }
                    Some(cmd)
                };
                if let Some(cmd) = cmd {
                    if let Some((first, first_at)) = seen.get(&(context, key))
                        && *first != cmd
                    {
                        let (line, _) = position(&self.text, *first_at);
                        return Err(self.error(
                            key_at,
                            format!(
                                "'{key}' in [{context}] is bound to both '{first}' (line {line}) and '{cmd}'; one key runs one action in a context"
                            ),
                        ));
                    }
                    seen.insert((context, key), (cmd, key_at));
                }
                entries.push(Entry { context, key, cmd });
            }
        }
        Ok(Layer { extends, entries })
    }
}

fn unknown_action(name: &str) -> String {
    let close: Vec<&str> = crate::app::COMMANDS
        .iter()
        .map(|s| s.name)
        .filter(|n| {
            let (group, _) = n.split_once('.').unwrap_or((n, ""));
            name.starts_with(group) || n.ends_with(name.rsplit('.').next().unwrap_or(name))
        })
        .collect();
    let mut message = format!("unknown action '{name}'");
    if !close.is_empty() {
        message.push_str(&format!("; did you mean {}?", close.join(", ")));
    }
    message.push_str(" (`rapport keymap show` lists every action; \"none\" unbinds a key)");
    message
}

/// The chain of sources a keymap stands on, the compiled-in defaults first.
fn chain(top: Source) -> Result<Vec<(Source, Layer)>, KeymapError> {
    let mut out = Vec::new();
    let mut names = vec![top.file.clone()];
    let mut current = top;
    loop {
        let layer = current.parse()?;
        let is_default = current.file == SHIPPED[0].1;
        let parent = match (&layer.extends, is_default) {
            (_, true) => None,
            (None, false) => Some("default".to_string()),
            (Some(name), false) => Some(name.clone()),
        };
        let extends_at = current.text.find("extends").unwrap_or(0);
        out.push((current, layer));
        let Some(parent) = parent else { break };
        let Some(next) = shipped(&parent) else {
            let (source, _) = out.last().expect("just pushed");
            return Err(source.error(
                extends_at,
                format!(
                    "'extends' names no shipped keymap: '{parent}' (shipped: {})",
                    shipped_names().join(", ")
                ),
            ));
        };
        if names.contains(&next.file) {
            names.push(next.file.clone());
            return Err(KeymapError::Cycle {
                file: out[0].0.file.clone(),
                chain: names.join(" → "),
            });
        }
        names.push(next.file.clone());
        current = next;
    }
    out.reverse();
    Ok(out)
}

impl Keymap {
    /// The compiled-in default keymap.
    pub fn default_keymap() -> Keymap {
        Keymap::from_source(shipped("default").expect("default is shipped"))
            .expect("the default keymap is valid (tested)")
    }

    fn from_source(top: Source) -> Result<Keymap, KeymapError> {
        let mut bindings = Bindings::new();
        let mut files = Vec::new();
        for (source, layer) in chain(top)? {
            for entry in layer.entries {
                match entry.cmd {
                    Some(cmd) => bindings.bind(entry.context, entry.key, cmd),
                    None => bindings.unbind(entry.context, entry.key),
                };
            }
            files.push(source.file);
        }
        Ok(Keymap {
            bindings,
            files,
            problem: None,
        })
    }

    /// Loads the keymap `choice` names (a shipped name or a path) over the defaults; without
    /// one, the user's `keymap.toml` when there is one. A broken explicit choice is an error;
    /// a broken user file gives the defaults with [`problem`](Self::problem) saying why, so
    /// that the TUI starts and shows it.
    pub fn load(choice: Option<&str>) -> Result<Keymap, KeymapError> {
        match choice {
            Some(choice) => Keymap::from_source(Keymap::choose(choice)?),
            None => match user_keymap_path().filter(|p| p.is_file()) {
                None => Ok(Keymap::default_keymap()),
                Some(path) => match read(&path).and_then(Keymap::from_source) {
                    Ok(keymap) => Ok(keymap),
                    Err(e) => {
                        let mut keymap = Keymap::default_keymap();
                        keymap.problem = Some(problem_line(&e));
                        Ok(keymap)
                    }
                },
            },
        }
    }

    fn choose(choice: &str) -> Result<Source, KeymapError> {
        if let Some(source) = shipped(choice) {
            return Ok(source);
        }
        let path = Path::new(choice);
        if path.is_file() {
            return read(path);
        }
        if choice.ends_with(".toml") || choice.contains(std::path::MAIN_SEPARATOR) {
            // Looks like a path: say it is missing.
            return read(path);
        }
        Err(KeymapError::Unknown(choice.to_string()))
    }

    /// The bindings, for the state machine.
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    /// The files merged, the compiled-in defaults first.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// A problem with the user's keymap.toml, which was skipped for the defaults.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Every binding with its doc line, by context then action: what `rapport keymap show`
    /// prints and help lists.
    pub fn rows(&self) -> Vec<BindingRow> {
        self.bindings
            .all()
            .into_iter()
            .map(|b| BindingRow {
                context: b.context.name(),
                key: b.key.to_string(),
                action: b.cmd.name(),
                description: b.cmd.doc(),
            })
            .collect()
    }
}

/// A broken user keymap in one status line: the file's name (not its whole path), the line,
/// what is wrong, and that the defaults are in use.
fn problem_line(e: &KeymapError) -> String {
    let why = match e {
        KeymapError::At {
            file,
            line,
            message,
            ..
        } => {
            let name = Path::new(file)
                .file_name()
                .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
            format!("{name}:{line}: {message}")
        }
        other => other.to_string(),
    };
    format!("default keymap in use: {why}")
}

/// Checks a keymap file (and what it extends) without using it.
pub fn check(path: &Path) -> Result<(), KeymapError> {
    Keymap::from_source(read(path)?).map(|_| ())
}

#[cfg(test)]
mod tests;
