//! The status bar: the acting agent, what has the keys, then the last message or key hints,
//! and at the right the progress of work running in the background (an import).

use super::Theme;
use super::text::{truncate, width};
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws the status bar.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let w = area.width as usize;
    let head = format!(" {} │ {} │ ", app.user, app.focus_name());
    let mut spans = vec![Span::styled(truncate(&head, w), theme.heading())];
    let mut room = w.saturating_sub(width(&head));
    // Background progress keeps its place at the right, in the longest form that leaves the
    // message whole (or, when both are long, half the bar); the rest goes to the message or
    // the hints.
    let job = app.import.as_ref().map(|job| {
        let notice = app.notice.as_ref().map_or(0, |n| width(&n.text) + 1);
        let allowance = (room / 2).max(room.saturating_sub(notice));
        let forms = job.progress_forms();
        let text = forms
            .iter()
            .map(|f| format!(" {f} "))
            .find(|f| width(f) <= allowance)
            .unwrap_or_else(|| truncate(&format!(" {} ", forms[forms.len() - 1]), room));
        room -= width(&text);
        text
    });
    if let Some(notice) = &app.notice {
        let style = if notice.error {
            theme.error()
        } else {
            theme.info()
        };
        let text = truncate(&notice.text, room);
        room -= width(&text);
        spans.push(Span::styled(text, style));
    } else {
        for (key, hint) in app.hints() {
            let need = width(&key) + 1 + width(hint) + 2;
            if need > room {
                break;
            }
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::raw(format!(" {hint}  ")));
            room -= need;
        }
    }
    if let Some(job) = job {
        spans.push(Span::raw(" ".repeat(room)));
        spans.push(Span::styled(job, theme.job()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}
