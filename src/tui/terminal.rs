//! The terminal guard: raw mode and the alternate screen while the TUI runs, and the terminal
//! given back however it ends — a normal return, an error, or a panic on any thread (ratatui's
//! panic hook restores before the message prints). A panic on a background job thread is the
//! exception: the job catches it and reports it in the status line, and the TUI carries on.

use ratatui::DefaultTerminal;

/// Restores the terminal when dropped; restoring twice does nothing.
pub struct TerminalGuard {
    restored: bool,
}

impl TerminalGuard {
    /// Takes over the terminal: raw mode, alternate screen, the restoring panic hook.
    pub fn enter() -> std::io::Result<(TerminalGuard, DefaultTerminal)> {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
            // Refused before anything is written, so a pipe gets the message alone.
            return Err(std::io::Error::other(
                "standard input and output must both be a terminal",
            ));
        }
        match ratatui::try_init() {
            Ok(terminal) => {
                let restore_and_report = std::panic::take_hook();
                std::panic::set_hook(Box::new(move |info| {
                    if !super::job::is_job_thread() {
                        restore_and_report(info);
                    }
                }));
                Ok((TerminalGuard { restored: false }, terminal))
            }
            Err(e) => {
                // Raw mode may be on even though the alternate screen failed.
                let _ = ratatui::try_restore();
                Err(e)
            }
        }
    }

    /// Gives the terminal back now.
    pub fn restore(&mut self) {
        if !self.restored {
            self.restored = true;
            ratatui::restore();
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.restore();
    }
}
