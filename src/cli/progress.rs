//! Progress on stderr for long work: a bar when stderr is a terminal, nothing otherwise.

use crate::store::OpenWork;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A spinner counting `unit`s, hidden when stderr is not a terminal.
pub fn counter(unit: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}} {unit} ({{per_sec}}, {{elapsed}})"
        ))
        .expect("the template is valid"),
    );
    bar
}

/// Says on stderr, when it is a terminal, why opening the database takes a while.
pub fn opening(work: OpenWork) {
    if std::io::stderr().is_terminal() {
        eprintln!("{work}…");
    }
}
