//! What sits above everything: the help screen, the command palette, one-line prompts and the
//! knowledge-base suggestions.

use super::text::{fit, scroll_line, truncate, width, wrap};
use super::{Theme, centered, offset};
use crate::app::help::HelpState;
use crate::app::palette::VERBS;
use crate::app::prompt::PromptKind;
use crate::app::suggest::SuggestState;
use crate::app::{App, Modal};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// Draws the open modal.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.modal {
        Some(Modal::Help(h)) => help(frame, area, app, h, theme),
        Some(Modal::Palette(p)) => {
            let hint = p.error.as_deref().map_or((VERBS, false), |e| (e, true));
            line_prompt(frame, area, " Command ", ":", &p.input, hint, theme);
        }
        Some(Modal::Prompt(p)) => {
            let label = p.label();
            let title = match p.kind {
                PromptKind::Csat => " Satisfaction ",
                _ => " Ticket ",
            };
            line_prompt(
                frame,
                area,
                title,
                &label,
                &p.input,
                (p.hint(), false),
                theme,
            );
        }
        Some(Modal::Suggest(s)) => suggest(frame, area, s, theme),
        None => {}
    }
}

/// The suggested articles above, the selected one's text below.
fn suggest(frame: &mut Frame, area: Rect, s: &SuggestState, theme: &Theme) {
    let title = format!(" Articles for {} · enter links · esc closes ", s.ticket);
    let Some(inner) = popup(frame, area, &title, theme) else {
        return;
    };
    let (w, height) = (inner.width as usize, inner.height as usize);
    let mut out: Vec<Line> = Vec::new();
    if s.pending.is_some() {
        out.push(Line::styled("finding articles…", theme.dim()));
    } else if s.rows.is_empty() {
        out.push(Line::styled(
            truncate("no article matches this ticket's subject or description", w),
            theme.dim(),
        ));
    }
    // The list takes up to half the room; the text of the selected article the rest.
    let list_rows = s.rows.len().min(height / 2).max(1);
    let first = offset(s.selected, list_rows);
    let (id_w, mark_w) = (7, 9);
    for (i, row) in s.rows.iter().enumerate().skip(first).take(list_rows) {
        let about: Vec<&str> = row
            .product
            .iter()
            .map(String::as_str)
            .chain(row.tags.iter().map(String::as_str))
            .collect();
        let title_w = w.saturating_sub(id_w + mark_w);
        let title = format!("{}  {}", row.title, about.join(", "));
        let line = Line::from(vec![
            Span::styled(fit(&row.id.to_string(), id_w), theme.key()),
            Span::raw(fit(&title, title_w)),
            Span::styled(
                fit(if row.linked { " linked" } else { "" }, mark_w),
                theme.dim(),
            ),
        ]);
        out.push(if i == s.selected {
            line.style(theme.selected(true))
        } else {
            line
        });
    }
    if let Some(row) = s.selected_row() {
        out.push(Line::styled("─".repeat(w), theme.dim()));
        let (body, _) = wrap(&row.body, w, 0);
        let room = height.saturating_sub(out.len());
        out.extend(body.into_iter().take(room).map(Line::raw));
    }
    out.truncate(height);
    frame.render_widget(Paragraph::new(out), inner);
}

/// A bordered window over the screen, up to 100 columns wide; the room inside it, if any.
fn popup(frame: &mut Frame, area: Rect, title: &str, theme: &Theme) -> Option<Rect> {
    framed(frame, centered(area, 100, area.height), title, theme)
}

/// Clears `rect` and draws a bordered, titled block over it; the room inside it, if any.
fn framed(frame: &mut Frame, rect: Rect, title: &str, theme: &Theme) -> Option<Rect> {
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(title.to_string())
        .border_style(theme.border(true));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    (inner.width > 0 && inner.height > 0).then_some(inner)
}

fn line_prompt(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    label: &str,
    input: &crate::app::text::TextInput,
    (hint, error): (&str, bool),
    theme: &Theme,
) {
    let height = 4.min(area.height);
    let popup = Rect {
        x: area.x,
        y: area.y + area.height - height,
        width: area.width,
        height,
    };
    let Some(inner) = framed(frame, popup, title, theme) else {
        return;
    };
    let w = inner.width as usize;
    let label = truncate(label, w / 2);
    let (shown, col) = scroll_line(
        input.text(),
        input.cursor(),
        w.saturating_sub(width(&label)).max(1),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(label.clone(), theme.key()),
        Span::raw(shown),
    ])];
    let style = if error { theme.error() } else { theme.dim() };
    lines.push(Line::styled(truncate(hint, w), style));
    frame.render_widget(Paragraph::new(lines), inner);
    let x = width(&label) + col;
    if x < w {
        frame.set_cursor_position(Position::new(inner.x + x as u16, inner.y));
    }
}

fn help(frame: &mut Frame, area: Rect, app: &App, h: &HelpState, theme: &Theme) {
    let Some(inner) = popup(
        frame,
        area,
        " Help · every key of the active keymap ",
        theme,
    ) else {
        return;
    };
    let (w, height) = (inner.width as usize, inner.height as usize);
    let mut out: Vec<Line> = Vec::new();
    if let Some(banner) = &app.banner {
        out.push(Line::styled(truncate(banner, w), theme.info()));
    }
    let label = "Filter: ";
    let (shown, col) = scroll_line(
        h.filter.text(),
        h.filter.cursor(),
        w.saturating_sub(label.len()).max(1),
    );
    let filter_row = out.len();
    out.push(Line::from(vec![
        Span::styled(label, theme.key()),
        Span::raw(shown),
    ]));
    out.push(Line::styled(
        truncate(
            "type to filter · arrows scroll · esc closes · : runs commands by name or CLI verb",
            w,
        ),
        theme.dim(),
    ));
    let rows = h.rows(&app.bindings);
    let (ctx_w, key_w, cmd_w) = (8, 14, 20);
    let doc_w = w.saturating_sub(ctx_w + key_w + cmd_w);
    let room = height.saturating_sub(out.len());
    let first = h.scroll.min(rows.len().saturating_sub(1));
    for b in rows.iter().skip(first).take(room) {
        let mut spans = vec![
            Span::styled(fit(b.context.name(), ctx_w), theme.dim()),
            Span::styled(fit(&b.key.to_string(), key_w), theme.key()),
        ];
        if doc_w > 0 {
            spans.push(Span::raw(fit(b.cmd.name(), cmd_w)));
            spans.push(Span::styled(truncate(b.cmd.doc(), doc_w), theme.dim()));
        } else {
            spans.push(Span::raw(truncate(
                b.cmd.name(),
                w.saturating_sub(ctx_w + key_w),
            )));
        }
        out.push(Line::from(spans));
    }
    if rows.is_empty() {
        out.push(Line::styled("no binding matches", theme.dim()));
    }
    out.truncate(height);
    frame.render_widget(Paragraph::new(out), inner);
    let x = label.len() + col;
    if filter_row < height && x < w {
        frame.set_cursor_position(Position::new(
            inner.x + x as u16,
            inner.y + filter_row as u16,
        ));
    }
}
