//! Drawing: one pure render function per pane, reading the [`App`] and drawing into a frame.
//! Nothing here changes state. Lists build only the rows that are shown.

pub mod account;
pub mod dashboard;
pub mod form;
pub mod history;
pub mod modal;
pub mod search;
pub mod status;
pub mod text;
pub mod theme;
pub mod tickets;
pub mod work;

pub use theme::Theme;

use crate::app::{App, Pane, View};
use crate::domain::sla::{Sla, SlaState};
use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

/// Below this many columns or rows, only the focused pane is shown.
const GRID_MIN: (u16, u16) = (60, 12);

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [main, bar] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(frame.area());
    if app.view == View::Work {
        work::render(frame, main, app, theme);
    } else if app.view == View::Dashboard {
        dashboard::render(frame, main, app, theme);
    } else if main.width >= GRID_MIN.0 && main.height >= GRID_MIN.1 {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main);
        let [s, a] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
        let [h, t] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(bottom);
        search::render(frame, s, app, theme);
        account::render(frame, a, app, theme);
        history::render(frame, h, app, theme);
        tickets::render(frame, t, app, theme);
    } else {
        match app.focus {
            Pane::Search => search::render(frame, main, app, theme),
            Pane::Account => account::render(frame, main, app, theme),
            Pane::History => history::render(frame, main, app, theme),
            Pane::Tickets => tickets::render(frame, main, app, theme),
        }
    }
    status::render(frame, bar, app, theme);
    if app.form.is_some() {
        form::render(frame, main, app, theme);
    }
    if app.modal.is_some() {
        modal::render(frame, main, app, theme);
    }
}

/// True when `pane` has the keys (no form or modal above it).
pub fn has_focus(app: &App, pane: Pane) -> bool {
    app.focus == pane && app.form.is_none() && app.modal.is_none()
}

/// A pane's frame, its border showing whether it has the focus.
pub fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
}

/// Draws `lines` (already cut to fit) into `area`.
pub fn lines(frame: &mut Frame, area: Rect, lines: Vec<Line<'_>>) {
    frame.render_widget(Paragraph::new(lines), area);
}

/// How long ago `then` was, in at most four cells: `now`, `5m`, `3h`, `2d`, `3w`, `4mo`, `2y`.
pub fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = (now.as_second() - then.as_second()).max(0);
    let (minute, hour, day) = (60, 3600, 86_400);
    match secs {
        s if s < minute => "now".into(),
        s if s < hour => format!("{}m", s / minute),
        s if s < day => format!("{}h", s / hour),
        s if s < 14 * day => format!("{}d", s / day),
        s if s < 60 * day => format!("{}w", s / (7 * day)),
        s if s < 365 * day => format!("{}mo", s / (30 * day)),
        s => format!("{}y", s / (365 * day)),
    }
}

/// A time as the agent reads it, in the app's time zone: `2026-03-02 10:04`.
pub fn when(app: &App, at: Timestamp) -> String {
    at.to_zoned(app.tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A duration in seconds as `4m30s`, `1h05m`, `45s`.
pub fn duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m"),
    }
}

/// A span of time in at most five cells: `45m`, `3h20m`, `2d04h`, `12d`.
pub fn span(secs: u64) -> String {
    let (minute, hour, day) = (60, 3600, 86_400);
    match secs {
        s if s < hour => format!("{}m", s / minute),
        s if s < day => format!("{}h{:02}m", s / hour, s % hour / minute),
        s if s < 10 * day => format!("{}d{:02}h", s / day, s % day / hour),
        s => format!("{}d", s / day),
    }
}

/// The time left on the clock a ticket's agent should watch, or how long it is overdue:
/// `3h20m left`, `12d overdue`, `paused`; and the state to colour it by.
pub fn sla_left(now: Timestamp, sla: &Sla) -> (String, SlaState) {
    let text = match (sla.state, sla.next_due()) {
        (SlaState::Met, _) | (_, None) => sla.state.to_string(),
        (SlaState::Paused, _) => "paused".to_string(),
        (_, Some(clock)) => {
            let secs = clock.due.as_second() - now.as_second();
            if secs >= 0 {
                format!("{} left", span(secs.unsigned_abs()))
            } else {
                format!("{} overdue", span(secs.unsigned_abs()))
            }
        }
    };
    (text, sla.state)
}

/// The first row to show so that `selected` is visible in `height` rows.
pub fn offset(selected: usize, height: usize) -> usize {
    if height == 0 {
        return selected;
    }
    selected.saturating_sub(height - 1)
}

/// A rectangle of at most `width` by `height`, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests;
