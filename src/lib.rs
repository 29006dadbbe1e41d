//! rapport: a terminal CRM for call-centre agents, power users, admins and scripts.
//!
//! The architecture, with arrows pointing one way:
//!
//! - [`domain`]: records, ids, validation, the ticket state machine. Pure: no I/O, no clock.
//! - [`store`]: the [`store::Store`] trait, an in-memory backend for tests and the sled backend
//!   (the only module that names sled), key layout, codec, schema migrations, audit log.
//! - [`search`]: search keys (folding, pinyin, transliteration, phone digits) and ranking.
//! - [`interchange`]: the format layer of import and export: CSV, JSON, JSON lines and vCard
//!   readers and writers, encodings, header → field mapping. Pure: no store, no terminal.
//! - [`ops`]: the use cases shared by the command line and the TUI. The one place business
//!   rules run: validate, write through the store, audit.
//! - [`cli`]: clap definitions and output formats; the composition root that opens the store.
//! - [`app`]: the TUI's state machine, pure (`App::update(Msg) -> Vec<Effect>`), with the
//!   registry of named commands that keymaps, the `:` palette and help share. Knows `domain` only.
//! - [`keymap`]: key notation and the TOML keymaps (compiled-in defaults, shipped and user ones).
//! - [`tui`]: the only module that names ratatui or crossterm: the terminal guard, the input
//!   thread, the worker thread that owns the store and turns Effects into Msgs, and the views.
#![forbid(unsafe_code)]
// Records travel whole (a write, a dump line) and are consumed at once; boxing them inside
// every enum that carries one would add an allocation per record for no gain.
#![allow(clippy::large_enum_variant)]

pub mod app;
pub mod cli;
pub mod domain;
pub mod interchange;
pub mod keymap;
pub mod ops;
pub mod report;
pub mod search;
pub mod store;
pub mod tui;
