//! The interaction history: newest first, one row per touch (when, channel, direction,
//! duration, outcome, agent, notes); Enter expands one to show everything.

use super::text::{first_line, fit, truncate, width, wrap};
use super::{Theme, duration, has_focus, pane_block, when};
use crate::app::{App, Pane};
use crate::domain::record::Channel;
use crate::domain::{Choice, Interaction};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The channel in at most five cells, so that rows line up.
fn channel(channel: Channel) -> &'static str {
    match channel {
        Channel::Meeting => "meet",
        other => other.word(),
    }
}

fn summary<'a>(app: &App, i: &Interaction, w: usize, theme: &Theme) -> Line<'a> {
    let at = when(app, i.started_at);
    let length = if i.duration > 0 {
        duration(i.duration)
    } else {
        String::new()
    };
    let head = format!(
        "{} {:<5} {:<3} {:>6} {} ",
        &at[5..],
        channel(i.channel),
        &i.direction.to_string()[..3],
        length,
        i.outcome
    );
    let agent = format!("{} ", i.agent);
    let text = i
        .subject
        .as_deref()
        .or(i.notes.as_deref().map(first_line))
        .unwrap_or("");
    let rest = w.saturating_sub(width(&head) + width(&agent));
    Line::from(vec![
        Span::raw(truncate(&head, w)),
        Span::styled(
            truncate(&agent, w.saturating_sub(width(&head))),
            theme.dim(),
        ),
        Span::raw(fit(text, rest)),
    ])
}

fn details<'a>(i: &Interaction, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut links = vec![i.meta.id.to_string()];
    links.extend(i.contact.map(|c| format!("contact {c}")));
    links.extend(i.ticket.map(|t| format!("ticket {t}")));
    links.extend(i.follow_up.map(|d| format!("follow up {d}")));
    out.push(Line::styled(
        truncate(&format!("  {}", links.join(" · ")), w),
        theme.dim(),
    ));
    if let Some(subject) = &i.subject {
        out.push(Line::from(truncate(&format!("  {subject}"), w)));
    }
    if let Some(notes) = &i.notes {
        let (rows, _) = wrap(notes, w.saturating_sub(2), 0);
        out.extend(rows.into_iter().map(|r| Line::from(format!("  {r}"))));
    }
    out
}

/// Draws the history.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = has_focus(app, Pane::History);
    let count = app.open.as_ref().map_or(0, |o| o.history.len());
    let block = pane_block(format!(" History ({count}) "), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if h == 0 || w == 0 {
        return;
    }
    let Some(open) = &app.open else {
        super::lines(
            frame,
            inner,
            vec![Line::styled(truncate("no account open", w), theme.dim())],
        );
        return;
    };
    if open.history.is_empty() {
        super::lines(
            frame,
            inner,
            vec![Line::styled(
                truncate("no interactions yet (c logs a call)", w),
                theme.dim(),
            )],
        );
        return;
    }
    let selected = app.history.selected.min(open.history.len() - 1);
    // Start far enough back that the selected item, expanded or not, ends on screen.
    let mut first = selected;
    let mut used = 1 + if app
        .history
        .expanded
        .contains(&open.history[selected].meta.id)
    {
        details(&open.history[selected], w, theme).len()
    } else {
        0
    };
    while first > 0 && used < h {
        let prev = &open.history[first - 1];
        let need = 1 + if app.history.expanded.contains(&prev.meta.id) {
            details(prev, w, theme).len()
        } else {
            0
        };
        if used + need > h {
            break;
        }
        used += need;
        first -= 1;
    }
    let mut out = Vec::with_capacity(h);
    for (n, i) in open.history.iter().enumerate().skip(first) {
        if out.len() >= h {
            break;
        }
        let line = summary(app, i, w, theme);
        out.push(if n == selected {
            line.style(theme.selected(focused))
        } else {
            line
        });
        if app.history.expanded.contains(&i.meta.id) {
            out.extend(details(i, w, theme));
        }
    }
    out.truncate(h);
    super::lines(frame, inner, out);
}
