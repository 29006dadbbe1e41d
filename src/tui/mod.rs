//! The terminal front end, and the only module that names ratatui or crossterm.
//!
//! Three threads: this one runs the loop (drain every pending event into the [`App`], then
//! draw once), the input thread reads keys ([`input`]), and the worker owns the store and
//! carries out the app's effects ([`worker`]), so no keystroke waits on disk or search work.
//! Long work (an import, the dashboard) runs on [`job`] threads beside the worker.
//! The terminal is restored however the loop ends ([`terminal`]).

pub mod input;
pub mod job;
pub mod terminal;
pub mod view;
pub mod worker;

use crate::app::{App, Effect, Key, Msg};
use crate::keymap::Keymap;
use crate::store::{OpenWork, Store, StoreError};
use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// What the TUI runs with, besides the store.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The acting agent, recorded on every change.
    pub user: String,
    /// The keymap to use.
    pub keymap: Keymap,
    /// A line to show at start and in help (the demo says where its database is).
    pub banner: Option<String>,
    /// The database directory, whose search index file is read while the store opens so that
    /// the first search waits for the longer of the two instead of both in turn.
    pub database: Option<PathBuf>,
}

/// Opens the store: run on the worker thread while the first frame is drawn.
pub type OpenStore =
    Box<dyn FnOnce(&dyn Fn(OpenWork)) -> Result<Arc<dyn Store>, StoreError> + Send>;

/// Why the TUI stopped with an error. The terminal has been restored when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(
        "cannot use the terminal: {0} (the TUI needs an interactive terminal; scripts use the subcommands)"
    )]
    Terminal(#[from] std::io::Error),
    #[error("RAPPORT_NOW: '{0}' is not an RFC 3339 time")]
    Clock(String),
    #[error("reading keys failed: {0}")]
    Input(String),
    #[error("the background worker stopped unexpectedly; every change saved so far is kept")]
    Worker,
    /// The database could not be opened (in use, newer, damaged).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The clock: `RAPPORT_NOW` (RFC 3339) pins it, as on the command line.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pinned: Option<Timestamp>,
}

impl Clock {
    /// Reads `RAPPORT_NOW`.
    pub fn from_env() -> Result<Clock, TuiError> {
        match std::env::var("RAPPORT_NOW") {
            Ok(text) if !text.trim().is_empty() => text
                .trim()
                .parse()
                .map(|t| Clock { pinned: Some(t) })
                .map_err(|_| TuiError::Clock(text)),
            _ => Ok(Clock { pinned: None }),
        }
    }

    /// The time now.
    pub fn now(&self) -> Timestamp {
        self.pinned.unwrap_or_else(Timestamp::now)
    }
}

/// What the loop waits on.
pub enum Event {
    Key(Key),
    Resize,
    Reply(Msg),
    InputFailed(String),
    /// The worker could not open the store.
    StoreFailed(StoreError),
}

/// Runs the TUI on the store `open` opens until the agent quits. The first frame is drawn while
/// the worker opens the store, so that a large database does not hold up the screen.
pub fn run(open: OpenStore, options: TuiOptions) -> Result<(), TuiError> {
    let clock = Clock::from_env()?;
    let mut app = App::new(
        options.user.clone(),
        options.keymap.bindings().clone(),
        clock.now(),
    );
    app.tz = jiff::tz::TimeZone::system();
    app.banner = match (&options.banner, options.keymap.problem()) {
        (Some(banner), Some(problem)) => Some(format!("{banner} · {problem}")),
        (banner, problem) => banner.clone().or(problem.map(str::to_string)),
    };
    if let Some(problem) = options.keymap.problem() {
        app.notice = Some(crate::app::Notice {
            text: problem.to_string(),
            error: true,
        });
    } else if let Some(banner) = &options.banner {
        app.notice = Some(crate::app::Notice {
            text: banner.clone(),
            error: false,
        });
    }

    let (events_tx, events) = mpsc::channel::<Event>();
    let (effects_tx, effects_rx) = mpsc::channel::<Effect>();
    let (mut guard, mut terminal) = terminal::TerminalGuard::enter()?;
    let worker = worker::spawn(
        open,
        options.database,
        options.user,
        clock,
        effects_rx,
        events_tx.clone(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let input = input::spawn(events_tx, stop.clone());
    let theme = view::Theme::from_env();

    let result = (|| -> Result<(), TuiError> {
        for effect in app.start() {
            effects_tx.send(effect).map_err(|_| TuiError::Worker)?;
        }
        loop {
            terminal.draw(|frame| view::draw(frame, &app, &theme))?;
            // The call timer needs a tick each second; otherwise wait for something to happen.
            let wait = if app.form.is_some() {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(5)
            };
            let first = match events.recv_timeout(wait) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Err(TuiError::Worker),
            };
            let mut batch: Vec<Event> = first.into_iter().collect();
            batch.extend(events.try_iter());
            app.update(Msg::Tick(clock.now()));
            for event in batch {
                let msg = match event {
                    Event::Key(key) => Msg::Key(key),
                    Event::Reply(msg) => msg,
                    Event::Resize => continue, // the next draw takes the new size
                    Event::InputFailed(e) => return Err(TuiError::Input(e)),
                    Event::StoreFailed(e) => return Err(TuiError::Store(e)),
                };
                for effect in app.update(msg) {
                    if effect == Effect::Quit {
                        continue;
                    }
                    effects_tx.send(effect).map_err(|_| TuiError::Worker)?;
                }
            }
            if app.quit {
                return Ok(());
            }
            if worker.is_finished() {
                return Err(TuiError::Worker);
            }
        }
    })();

    // Let the worker finish what it was given (saves are durable once it returns), then give
    // the terminal back.
    drop(effects_tx);
    stop.store(true, Ordering::Relaxed);
    let worker_ok = worker.join().is_ok();
    let _ = input.join();
    guard.restore();
    result?;
    if !worker_ok {
        return Err(TuiError::Worker);
    }
    Ok(())
}
