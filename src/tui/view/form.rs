//! The call log and new-ticket forms, drawn over the panes. The focused field is marked and
//! holds the terminal cursor; list fields show their value between arrows.

use super::text::{fit, scroll_line, truncate, wrap};
use super::{Theme, centered, duration, when};
use crate::app::App;
use crate::app::form::{CallField, CallForm, Form, FormState, TicketField, TicketForm, TicketLink};
use crate::app::text::TextInput;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

const LABEL: usize = 12;

/// A field's row: label, then value; the focused one is marked.
fn row<'a>(label: &str, value: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Line<'a> {
    let marker = if focused { "▸" } else { " " };
    let mut spans = vec![Span::styled(
        fit(&format!("{marker}{label}"), LABEL),
        if focused {
            theme.key()
        } else {
            theme.heading()
        },
    )];
    spans.extend(value);
    Line::from(spans)
}

fn choice<'a>(value: String, focused: bool, theme: &Theme) -> Vec<Span<'a>> {
    if focused {
        vec![
            Span::styled("‹ ", theme.key()),
            Span::styled(value, theme.heading().add_modifier(Modifier::UNDERLINED)),
            Span::styled(" ›", theme.key()),
        ]
    } else {
        vec![Span::raw(value)]
    }
}

/// Where the cursor goes: (row within the form's lines, column in cells).
type Cursor = Option<(usize, usize)>;

fn text_value<'a>(
    input: &TextInput,
    focused: bool,
    w: usize,
    line: usize,
    cursor: &mut Cursor,
) -> Vec<Span<'a>> {
    let (shown, col) = scroll_line(input.text(), input.cursor(), w.max(1));
    if focused {
        *cursor = Some((line, LABEL + col));
    }
    vec![Span::raw(shown)]
}

fn frame_form(frame: &mut Frame, area: Rect, title: String, theme: &Theme) -> Rect {
    // A margin shows the panes behind on a normal screen; a small one gets every cell.
    let width = if area.width < 40 {
        area.width
    } else {
        (area.width - 4).min(76)
    };
    let height = if area.height < 12 {
        area.height
    } else {
        (area.height - 2).min(20)
    };
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(true));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    inner
}

/// Lines of notes (multi-line) below the fields, with the cursor when focused.
fn notes<'a>(
    input: &TextInput,
    focused: bool,
    w: usize,
    rows: usize,
    first_line: usize,
    cursor: &mut Cursor,
) -> Vec<Line<'a>> {
    let (wrapped, (r, c)) = wrap(input.text(), w, input.cursor());
    let start = r.saturating_sub(rows.saturating_sub(1));
    if focused {
        *cursor = Some((first_line + r - start, c));
    }
    wrapped
        .into_iter()
        .skip(start)
        .take(rows)
        .map(Line::from)
        .collect()
}

fn footer<'a>(state: &FormState, w: usize, theme: &Theme) -> Option<Line<'a>> {
    if let Some(error) = &state.error {
        return Some(Line::styled(truncate(error, w), theme.error()));
    }
    state.saving.map(|_| Line::styled("saving…", theme.info()))
}

fn place(frame: &mut Frame, inner: Rect, mut lines: Vec<Line<'_>>, mut cursor: Cursor) {
    let h = inner.height as usize;
    // On a small screen, scroll so the cursor's line shows.
    if let Some((r, c)) = cursor
        && r >= h
        && h > 0
    {
        let skip = r + 1 - h;
        lines.drain(..skip.min(lines.len()));
        cursor = Some((r - skip, c));
    }
    if let Some((r, c)) = cursor
        && r < h
        && c < inner.width as usize
    {
        frame.set_cursor_position(Position::new(inner.x + c as u16, inner.y + r as u16));
    }
    frame.render_widget(
        Paragraph::new(lines.into_iter().take(h).collect::<Vec<_>>()),
        inner,
    );
}

fn render_call(frame: &mut Frame, area: Rect, app: &App, f: &CallForm, theme: &Theme) {
    let title = format!(" Log a call · {} {} ", f.account, f.account_name);
    let inner = frame_form(frame, area, title, theme);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w <= LABEL || h == 0 {
        return;
    }
    let vw = w - LABEL;
    let mut out: Vec<Line> = Vec::new();
    let mut cursor: Cursor = None;
    let timer = f.timer(app.now);
    out.push(Line::styled(
        truncate(
            &format!(
                "started {} · timer {} {}",
                when(app, f.started_at),
                duration(timer),
                if f.stopped_at.is_some() {
                    "(stopped)"
                } else {
                    "(running)"
                }
            ),
            w,
        ),
        theme.dim(),
    ));
    for field in f.fields() {
        let focused = f.focus == field;
        let value = match field {
            CallField::Contact => choice(
                f.contact
                    .and_then(|i| f.contacts.get(i))
                    .map_or("nobody in particular".to_string(), |(id, n)| {
                        format!("{n} ({id})")
                    }),
                focused,
                theme,
            ),
            CallField::Channel => choice(f.channel.to_string(), focused, theme),
            CallField::Direction => choice(f.direction.to_string(), focused, theme),
            CallField::Outcome => choice(f.outcome.to_string(), focused, theme),
            CallField::Ticket => choice(
                match f.ticket {
                    TicketLink::None => "none".to_string(),
                    TicketLink::Existing(i) => f
                        .tickets
                        .get(i)
                        .map_or("none".to_string(), |(id, s)| format!("{id} {s}")),
                    TicketLink::New => "open a new ticket".to_string(),
                },
                focused,
                theme,
            ),
            CallField::Resolve => {
                let which = f
                    .linked_ticket()
                    .map_or("the new ticket".to_string(), |id| id.to_string());
                let text = if f.resolve {
                    format!("yes, resolve {which} with this call")
                } else {
                    format!("no, leave {which} as it is")
                };
                choice(text, focused, theme)
            }
            CallField::Duration if f.duration.text().is_empty() && !focused => {
                vec![Span::styled(
                    format!("{} (from the timer)", duration(timer)),
                    theme.dim(),
                )]
            }
            CallField::Notes => {
                out.push(row(field.label(), Vec::new(), focused, theme));
                continue;
            }
            _ => {
                let input = match field {
                    CallField::Duration => &f.duration,
                    CallField::NewTicketSubject => &f.new_ticket_subject,
                    _ => &f.subject,
                };
                text_value(input, focused, vw, out.len(), &mut cursor)
            }
        };
        let value = value
            .into_iter()
            .map(|s| Span::styled(truncate(&s.content, vw), s.style))
            .collect();
        out.push(row(field.label(), value, focused, theme));
    }
    let foot = footer(&f.state, w, theme);
    let rows = h
        .saturating_sub(out.len() + usize::from(foot.is_some()))
        .max(1);
    let first = out.len();
    out.extend(notes(
        &f.notes,
        f.focus == CallField::Notes,
        w,
        rows,
        first,
        &mut cursor,
    ));
    while out.len() < h.saturating_sub(1) {
        out.push(Line::raw(""));
    }
    out.extend(foot);
    place(frame, inner, out, cursor);
}

fn render_ticket(frame: &mut Frame, area: Rect, f: &TicketForm, theme: &Theme) {
    let title = format!(" New ticket · {} {} ", f.account, f.account_name);
    let inner = frame_form(frame, area, title, theme);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w <= LABEL || h == 0 {
        return;
    }
    let vw = w - LABEL;
    let mut out: Vec<Line> = Vec::new();
    let mut cursor: Cursor = None;
    for field in TicketField::ALL {
        let focused = f.focus == field;
        let value = match field {
            TicketField::Priority => choice(f.priority.to_string(), focused, theme),
            TicketField::Contact => choice(
                f.contact
                    .and_then(|i| f.contacts.get(i))
                    .map_or("nobody in particular".to_string(), |(id, n)| {
                        format!("{n} ({id})")
                    }),
                focused,
                theme,
            ),
            TicketField::Description => {
                out.push(row(field.label(), Vec::new(), focused, theme));
                continue;
            }
            TicketField::Subject => text_value(&f.subject, focused, vw, out.len(), &mut cursor),
            TicketField::Queue => text_value(&f.queue, focused, vw, out.len(), &mut cursor),
        };
        out.push(row(field.label(), value, focused, theme));
    }
    let foot = footer(&f.state, w, theme);
    let rows = h
        .saturating_sub(out.len() + usize::from(foot.is_some()))
        .max(1);
    let first = out.len();
    out.extend(notes(
        &f.description,
        f.focus == TicketField::Description,
        w,
        rows,
        first,
        &mut cursor,
    ));
    while out.len() < h.saturating_sub(1) {
        out.push(Line::raw(""));
    }
    out.extend(foot);
    place(frame, inner, out, cursor);
}

/// Draws the open form.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.form {
        Some(Form::Call(f)) => render_call(frame, area, app, f, theme),
        Some(Form::Ticket(f)) => render_ticket(frame, area, f, theme),
        None => {}
    }
}
