//! The search pane: the query line and one row per account found (name, main phone,
//! relationship, last contact).

use super::text::{fit, scroll_line, truncate, width};
use super::{Theme, ago, has_focus, offset, pane_block};
use crate::app::{App, Pane};
use crate::domain::record::Relationship;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

fn short(relationship: Relationship) -> &'static str {
    match relationship {
        Relationship::Prospect => "pros",
        Relationship::Customer => "cust",
        Relationship::Partner => "part",
        Relationship::Reseller => "resl",
        Relationship::Former => "frmr",
    }
}

/// Draws the search pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = has_focus(app, Pane::Search);
    let search = &app.search;
    let title = if search.answered.is_empty() {
        " Search · recently contacted "
    } else {
        " Search "
    };
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let w = inner.width as usize;

    // The query line.
    let prompt = "> ";
    let (shown, col) = scroll_line(
        search.query.text(),
        search.query.cursor(),
        w - width(prompt),
    );
    let mut query = vec![Span::styled(prompt, theme.key()), Span::raw(shown)];
    if search.query.text().is_empty() && !focused {
        query.push(Span::styled("/ to search", theme.dim()));
    }
    super::lines(frame, Rect { height: 1, ..inner }, vec![Line::from(query)]);
    if focused {
        frame.set_cursor_position(Position::new(
            inner.x + (width(prompt) + col) as u16,
            inner.y,
        ));
    }

    let list = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let height = list.height as usize;
    if height == 0 {
        return;
    }
    if search.rows.is_empty() {
        let message = if search.pending.is_some() {
            "searching…".to_string()
        } else if search.answered.is_empty() {
            "no accounts yet".to_string()
        } else {
            format!("nothing matches '{}'", search.answered)
        };
        super::lines(
            frame,
            list,
            vec![Line::styled(truncate(&message, w), theme.dim())],
        );
        return;
    }

    // Columns: name | phone | relationship | last contact, narrowing with the pane. A phone
    // number cut short is useless, so the phone column takes what the shown numbers need
    // while the name keeps at least twelve cells.
    let first = offset(search.selected, height);
    let last_w = 4;
    let rel_w = if w >= 52 { 8 } else { 4 };
    let widest_phone = search
        .rows
        .iter()
        .skip(first)
        .take(height)
        .filter_map(|r| r.main_phone.as_deref().map(width))
        .max()
        .unwrap_or(0)
        .min(20);
    let fixed = last_w + rel_w + 2;
    let phone_w = widest_phone.min(w.saturating_sub(fixed + 1 + 12));
    let phone_w = if phone_w < 7 { 0 } else { phone_w };
    let gaps = 2 + usize::from(phone_w > 0);
    let name_w = w.saturating_sub(last_w + rel_w + phone_w + gaps);
    let rows = search
        .rows
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, row)| {
            let mut name = row.name.clone();
            if let Some(m) = &row.matched {
                name = format!("{name} ({m})");
            }
            let mut spans = vec![Span::raw(fit(&name, name_w)), Span::raw(" ")];
            if phone_w > 0 {
                spans.push(Span::raw(fit(
                    row.main_phone.as_deref().unwrap_or(""),
                    phone_w,
                )));
                spans.push(Span::raw(" "));
            }
            let rel = if rel_w >= 8 {
                row.relationship.to_string()
            } else {
                short(row.relationship).to_string()
            };
            spans.push(Span::styled(fit(&rel, rel_w), theme.dim()));
            spans.push(Span::raw(" "));
            let last = row
                .last_contact
                .map(|t| ago(app.now, t))
                .unwrap_or_default();
            spans.push(Span::styled(format!("{last:>last_w$}"), theme.dim()));
            let line = Line::from(spans);
            if i == search.selected {
                line.style(theme.selected(focused))
            } else {
                line
            }
        })
        .collect();
    super::lines(frame, list, rows);
}
