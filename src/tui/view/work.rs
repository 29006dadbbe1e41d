//! The agent's work lists ("my tickets", "my queues") over the whole screen: one row per
//! ticket, most urgent service level first, each with its SLA state and the time left or
//! overdue.

use super::text::{fit, truncate};
use super::{Theme, offset, sla_left};
use crate::app::App;
use crate::app::work::{WorkKind, WorkRow, WorkState};
use crate::domain::sla::SlaState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

/// Below this width, rows keep only the mark, the id, the time left and the subject.
const NARROW: usize = 60;
/// The time left or overdue: `9d01h overdue` and a space.
const DUE: usize = 14;

fn title(work: &WorkState, user: &str) -> String {
    let whose = match work.kind {
        WorkKind::Mine => user.to_string(),
        WorkKind::Queues if work.queues.is_empty() => user.to_string(),
        WorkKind::Queues => work.queues.join(", "),
    };
    let loading = if work.pending.is_some() {
        " · loading…"
    } else {
        ""
    };
    format!(
        " {} · {whose} ({}){loading} ",
        work.kind.title(),
        work.rows.len()
    )
}

fn row<'a>(app: &App, r: &WorkRow, queues: bool, w: usize, theme: &Theme) -> Line<'a> {
    let t = &r.ticket;
    let (left, state) = match &r.sla {
        Some(sla) => sla_left(app.now, sla),
        None => (String::new(), SlaState::Ok),
    };
    let (mark, mark_style) = match state {
        SlaState::Breached => ("!", theme.sla(SlaState::Breached)),
        SlaState::Warning => ("~", theme.sla(SlaState::Warning)),
        _ => (" ", theme.dim()),
    };
    let id = format!("{:<7}", t.meta.id.to_string());
    let left_style = match state {
        SlaState::Breached | SlaState::Warning => theme.sla(state),
        _ => theme.dim(),
    };
    if w < NARROW {
        let left = fit(&left.replace(" overdue", " over"), 11);
        let rest = w.saturating_sub(1 + 6 + 11);
        return Line::from(vec![
            Span::styled(mark, mark_style),
            Span::raw(fit(&t.meta.id.to_string(), 6)),
            Span::styled(left, left_style),
            Span::raw(truncate(&t.subject, rest)),
        ]);
    }
    let state_word = r.sla.map(|s| s.state.to_string()).unwrap_or_default();
    let assignee = if queues {
        fit(
            &t.assignee
                .as_deref()
                .map_or("-".to_string(), |a| format!("@{a}")),
            7,
        )
    } else {
        String::new()
    };
    let fixed = 1 + 7 + 7 + 10 + 9 + DUE + super::text::width(&assignee);
    let flexible = w.saturating_sub(fixed);
    let account_w = flexible * 2 / 5;
    let subject_w = flexible - account_w;
    Line::from(vec![
        Span::styled(mark, mark_style),
        Span::raw(id),
        Span::styled(
            format!("{:<7}", t.priority.to_string()),
            theme.priority(t.priority),
        ),
        Span::styled(
            format!("{:<10}", t.status.to_string()),
            theme.status(t.status),
        ),
        Span::styled(fit(&state_word, 9), theme.sla(state)),
        Span::styled(fit(&left, DUE), left_style),
        Span::raw(fit(&t.subject, subject_w.saturating_sub(1))),
        Span::raw(" "),
        Span::styled(
            fit(&r.account_name, account_w.saturating_sub(1)),
            theme.dim(),
        ),
        Span::raw(" "),
        Span::styled(assignee, theme.dim()),
    ])
}

/// Draws the work list on screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(work) = &app.work else {
        return;
    };
    let focused = app.modal.is_none() && app.form.is_none();
    let block = Block::bordered()
        .title(title(work, &app.user))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w == 0 || h == 0 {
        return;
    }
    if work.rows.is_empty() {
        let (text, style) = match (&work.problem, work.loaded) {
            (Some(problem), _) => (problem.clone(), theme.error()),
            (None, false) => ("loading…".to_string(), theme.dim()),
            (None, true) => (
                match work.kind {
                    WorkKind::Mine => format!(
                        "nothing assigned to {} needs work (--as NAME acts as another agent)",
                        app.user
                    ),
                    WorkKind::Queues => "no active ticket in your queues".to_string(),
                },
                theme.dim(),
            ),
        };
        let (rows, _) = super::text::wrap(&text, w, 0);
        super::lines(
            frame,
            inner,
            rows.into_iter()
                .take(h)
                .map(|r| Line::styled(r, style))
                .collect(),
        );
        return;
    }
    let queues = work.kind == WorkKind::Queues;
    let mut lines = Vec::new();
    if w >= NARROW && h > 2 {
        let mut head = format!(
            " {:<7}{:<7}{:<10}{:<9}{:<DUE$}SUBJECT",
            "ID", "PRIO", "STATUS", "SLA", "DUE"
        );
        let fixed = 1 + 7 + 7 + 10 + 9 + DUE + if queues { 7 } else { 0 };
        let subject_w = w.saturating_sub(fixed) - w.saturating_sub(fixed) * 2 / 5;
        head = fit(&head, fixed - if queues { 7 } else { 0 } + subject_w);
        head.push_str("ACCOUNT");
        lines.push(Line::styled(fit(&head, w), theme.heading()));
    }
    let h = h - lines.len();
    let first = offset(work.selected, h);
    lines.extend(
        work.rows
            .iter()
            .enumerate()
            .skip(first)
            .take(h)
            .map(|(i, r)| {
                let line = row(app, r, queues, w, theme);
                if i == work.selected {
                    line.style(theme.selected(focused))
                } else {
                    line
                }
            }),
    );
    super::lines(frame, inner, lines);
}
