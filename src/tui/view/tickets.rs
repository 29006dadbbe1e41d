//! The ticket work area: the open account's tickets, then the selected ticket's details and
//! its timeline, newest step first.

use super::account::ticket_row;
use super::text::{truncate, wrap};
use super::{Theme, has_focus, pane_block, when};
use crate::app::{App, Pane};
use crate::domain::sla::Sla;
use crate::domain::ticket::{EventKind, Ticket, TicketEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

fn event_text(e: &TicketEvent) -> String {
    let what = match &e.kind {
        EventKind::Created => "created".to_string(),
        EventKind::Status { from, to } => format!("{from} → {to}"),
        EventKind::Assigned { to: Some(to), .. } => format!("assigned to {to}"),
        EventKind::Assigned { to: None, .. } => "unassigned".to_string(),
        EventKind::Comment { public: true } => "comment".to_string(),
        EventKind::Comment { public: false } => "internal note".to_string(),
        EventKind::Csat { score } => format!("csat {score}/5"),
        EventKind::KbLinked { article } => format!("linked {article}"),
    };
    match &e.note {
        Some(note) => format!("{what}: {}", note.replace('\n', " ")),
        None => what,
    }
}

fn details<'a>(
    app: &App,
    t: &Ticket,
    sla: Option<&Sla>,
    w: usize,
    h: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    out.push(Line::styled(
        truncate(&format!("{} {}", t.meta.id, t.subject), w),
        theme.heading(),
    ));
    let mut facts = vec![
        Span::styled(t.status.to_string(), theme.status(t.status)),
        Span::raw(" · "),
        Span::styled(t.priority.to_string(), theme.priority(t.priority)),
    ];
    let mut more = Vec::new();
    more.push(match &t.assignee {
        Some(a) => format!("assignee {a}"),
        None => "unassigned".to_string(),
    });
    more.extend(t.queue.as_ref().map(|q| format!("queue {q}")));
    more.extend(t.contact.map(|c| format!("contact {c}")));
    more.push(format!("opened {}", when(app, t.meta.created_at)));
    let used = t.status.to_string().len() + t.priority.to_string().len() + 3;
    facts.push(Span::styled(
        truncate(&format!(" · {}", more.join(" · ")), w.saturating_sub(used)),
        theme.dim(),
    ));
    out.push(Line::from(facts));
    if let Some(sla) = sla
        && t.status.is_active()
    {
        let text = match sla.next_due() {
            Some(clock) if clock.achieved.is_none() => {
                let which = if clock == &sla.first_response {
                    "respond"
                } else {
                    "resolve"
                };
                format!(
                    "SLA {} · {which} by {}",
                    sla.state,
                    &when(app, clock.due)[5..]
                )
            }
            _ => format!("SLA {}", sla.state),
        };
        out.push(Line::styled(truncate(&text, w), theme.sla(sla.state)));
    }
    if let Some(d) = &t.description {
        let (rows, _) = wrap(d, w, 0);
        out.extend(rows.into_iter().take(2).map(Line::from));
    }
    for e in t.events.iter().rev() {
        if out.len() >= h {
            break;
        }
        let at = when(app, e.at);
        let head = format!("{} {} ", &at[5..], e.by);
        out.push(Line::from(vec![
            Span::styled(truncate(&head, w), theme.dim()),
            Span::raw(truncate(
                &event_text(e),
                w.saturating_sub(super::text::width(&head)),
            )),
        ]));
    }
    out
}

/// Draws the ticket work area.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = has_focus(app, Pane::Tickets);
    let count = app.open.as_ref().map_or(0, |o| o.tickets.len());
    let block = pane_block(format!(" Tickets ({count}) "), focused, theme);
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
    if open.tickets.is_empty() {
        super::lines(
            frame,
            inner,
            vec![Line::styled(
                truncate("no tickets (t opens one)", w),
                theme.dim(),
            )],
        );
        return;
    }
    // A third of the height for the list (at least one row), the rest for the selected one.
    let list_rows = (h / 3).max(1).min(open.tickets.len());
    let selected = open
        .tickets
        .iter()
        .position(|t| Some(t.meta.id) == app.selected_ticket)
        .unwrap_or(0);
    let first = super::offset(selected, list_rows);
    let mut out: Vec<Line> = open
        .tickets
        .iter()
        .enumerate()
        .skip(first)
        .take(list_rows)
        .map(|(i, t)| {
            let line = ticket_row(t, open.sla.get(&t.meta.id), w, theme);
            if i == selected && app.selected_ticket.is_some() {
                line.style(theme.selected(focused))
            } else {
                line
            }
        })
        .collect();
    if let Some(t) = app.ticket() {
        let room = h.saturating_sub(out.len() + 1);
        if room > 0 {
            out.push(Line::styled("─".repeat(w), theme.dim()));
            out.extend(details(app, t, open.sla.get(&t.meta.id), w, room, theme));
        }
    }
    out.truncate(h);
    super::lines(frame, inner, out);
}
