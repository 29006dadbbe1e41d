//! The account view: who the customer is, how to reach them, their contacts and open tickets.

use super::text::{fit, truncate};
use super::{Theme, ago, has_focus, pane_block};
use crate::app::{App, Pane};
use crate::domain::Ticket;
use crate::domain::sla::{Sla, SlaState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// One row of a ticket list: SLA mark, id, priority, status, subject, assignee.
pub fn ticket_row<'a>(t: &Ticket, sla: Option<&Sla>, w: usize, theme: &Theme) -> Line<'a> {
    let (mark, mark_style) = match sla.map(|s| s.state) {
        Some(SlaState::Breached) => ("!", theme.sla(SlaState::Breached)),
        Some(SlaState::Warning) => ("~", theme.sla(SlaState::Warning)),
        _ => (" ", theme.dim()),
    };
    let id = format!("{:<6}", t.meta.id.to_string());
    let priority = format!("{:<7}", t.priority.to_string());
    let status = format!("{:<10}", t.status.to_string());
    let assignee = t
        .assignee
        .as_deref()
        .map(|a| format!(" @{a}"))
        .unwrap_or_default();
    let fixed = 1 + id.len() + priority.len() + status.len();
    let subject_w = w.saturating_sub(fixed + super::text::width(&assignee));
    Line::from(vec![
        Span::styled(mark, mark_style),
        Span::raw(id),
        Span::styled(priority, theme.priority(t.priority)),
        Span::styled(status, theme.status(t.status)),
        Span::raw(fit(&t.subject, subject_w)),
        Span::styled(truncate(&assignee, w.saturating_sub(fixed)), theme.dim()),
    ])
}

/// Draws the account view.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = has_focus(app, Pane::Account);
    let Some(open) = &app.open else {
        let block = pane_block(" Account ", focused, theme);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let message = match app.loading {
            Some((_, id)) => format!("loading {id}…"),
            None => "no account open: search, then enter".to_string(),
        };
        let w = inner.width as usize;
        super::lines(
            frame,
            inner,
            vec![Line::styled(truncate(&message, w), theme.dim())],
        );
        return;
    };
    let a = &open.account;
    let title = format!(" {} {} ", a.meta.id, a.name);
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if h == 0 || w == 0 {
        return;
    }

    let mut head: Vec<Line> = Vec::new();
    let mut facts = vec![a.relationship.to_string(), a.kind.to_string()];
    facts.extend(a.segment.clone());
    facts.extend(a.owner.as_ref().map(|o| format!("owner {o}")));
    if let Some(loading) = app.loading.filter(|(_, id)| *id != a.meta.id) {
        facts.push(format!("loading {}…", loading.1));
    }
    head.push(Line::from(truncate(&facts.join(" · "), w)));
    let mut reach: Vec<String> = a.phones.iter().map(|p| p.number.clone()).collect();
    reach.extend(a.emails.iter().cloned());
    if !reach.is_empty() {
        head.push(Line::from(truncate(&reach.join("  "), w)));
    }
    let mut extra = Vec::new();
    if let Some(last) = a.last_contact_at {
        extra.push(format!("last contact {} ago", ago(app.now, last)));
    }
    if !a.tags.is_empty() {
        extra.push(format!("tags {}", a.tags.join(", ")));
    }
    if let Some(city) = &a.address.city {
        extra.push(city.clone());
    }
    if !extra.is_empty() {
        head.push(Line::styled(truncate(&extra.join(" · "), w), theme.dim()));
    }

    let open_tickets = open.open_tickets();
    // Room: the header, then contacts and open tickets sharing the rest, tickets first served.
    let rest = h.saturating_sub(head.len());
    let ticket_rows = if open_tickets.is_empty() {
        1
    } else {
        open_tickets
            .len()
            .min(rest.saturating_sub(2).div_ceil(2).max(1))
    };
    let contact_rows = rest
        .saturating_sub(ticket_rows + 2)
        .min(open.contacts.len().max(1));

    let mut out = head;
    out.push(Line::styled(
        truncate(&format!("Contacts ({})", open.contacts.len()), w),
        theme.heading(),
    ));
    if open.contacts.is_empty() {
        out.push(Line::styled("  none", theme.dim()));
    }
    for (i, c) in open.contacts.iter().take(contact_rows).enumerate() {
        let more = open.contacts.len() - contact_rows;
        if i + 1 == contact_rows && more > 0 {
            out.push(Line::styled(format!("  +{} more", more + 1), theme.dim()));
            break;
        }
        let mut parts = vec![c.name.clone()];
        parts.extend(c.title.clone());
        parts.extend(c.phones.first().map(|p| p.number.clone()));
        parts.extend(c.emails.first().cloned());
        let star = if c.decision_maker { "*" } else { " " };
        out.push(Line::from(truncate(
            &format!(" {star}{}", parts.join(" · ")),
            w,
        )));
    }
    out.push(Line::styled(
        truncate(&format!("Open tickets ({})", open_tickets.len()), w),
        theme.heading(),
    ));
    if open_tickets.is_empty() {
        out.push(Line::styled("  none (t opens one)", theme.dim()));
    }
    let selected = open_tickets
        .iter()
        .position(|t| Some(t.meta.id) == app.selected_ticket)
        .unwrap_or(0);
    let first = super::offset(selected, ticket_rows);
    for (i, t) in open_tickets
        .iter()
        .enumerate()
        .skip(first)
        .take(ticket_rows)
    {
        let line = ticket_row(t, open.sla.get(&t.meta.id), w, theme);
        out.push(if Some(t.meta.id) == app.selected_ticket && i == selected {
            line.style(theme.selected(focused))
        } else {
            line
        });
    }
    out.truncate(h);
    super::lines(frame, inner, out);
}
