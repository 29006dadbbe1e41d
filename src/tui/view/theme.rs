//! Styles. With NO_COLOR set (to anything but empty) no colour is used at all; focus and
//! selection still show through bold and reverse video.

use crate::domain::sla::SlaState;
use crate::domain::ticket::{Priority, Status};
use ratatui::style::{Color, Modifier, Style};

/// How things look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless NO_COLOR is set and not empty.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// With colour.
    pub fn colored() -> Theme {
        Theme { color: true }
    }

    /// Without colour (NO_COLOR).
    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// A pane's border and title.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }

    /// The selected row of a list: reversed in the focused pane, bold elsewhere.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// Secondary text.
    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Labels and headings.
    pub fn heading(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Errors.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Confirmations.
    pub fn info(&self) -> Style {
        self.fg(Color::Green)
    }

    /// A key in hints and help.
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Progress of background work in the status bar.
    pub fn job(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// The status bar.
    pub fn bar(&self) -> Style {
        if self.color {
            Style::new().bg(Color::DarkGray).fg(Color::White)
        } else {
            Style::new()
        }
    }

    /// A ticket's status word.
    pub fn status(&self, status: Status) -> Style {
        self.fg(match status {
            Status::New => Color::Cyan,
            Status::Open => Color::Green,
            Status::Pending => Color::Yellow,
            Status::Escalated => Color::Red,
            Status::Resolved | Status::Closed => Color::DarkGray,
        })
    }

    /// A service-level state: breaches stand out, near-breaches warn.
    pub fn sla(&self, state: SlaState) -> Style {
        match state {
            SlaState::Breached => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            SlaState::Warning => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            _ => self.dim(),
        }
    }

    /// A satisfaction score's bar: low scores warn.
    pub fn csat(&self, score: u8) -> Style {
        self.fg(match score {
            1 | 2 => Color::Red,
            3 => Color::Yellow,
            _ => Color::Green,
        })
    }

    /// The sparkline of daily volume.
    pub fn volume(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// A ticket's priority word.
    pub fn priority(&self, priority: Priority) -> Style {
        match priority {
            Priority::Urgent => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Priority::High => self.fg(Color::LightRed),
            Priority::Normal => Style::new(),
            Priority::Low => self.dim(),
        }
    }
}
