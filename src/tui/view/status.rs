//! The status bar: the acting agent, what has the keys, then the last message or key hints.

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
    if let Some(notice) = &app.notice {
        let style = if notice.error {
            theme.error()
        } else {
            theme.info()
        };
        spans.push(Span::styled(truncate(&notice.text, room), style));
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
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}
