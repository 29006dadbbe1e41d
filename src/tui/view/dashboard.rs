//! The dashboard over the whole screen: the tickets overdue now at the top, in the colour of a
//! breach; bar charts of tickets by status and priority, SLA attainment by priority and the
//! CSAT distribution; the agents' calls, handle time, resolutions and CSAT; and a sparkline of
//! the tickets opened per day over the last thirty days. On a small screen, the same figures as
//! lines of text.

use super::text::{fit, truncate, width};
use super::{Theme, duration, span, when};
use crate::app::dashboard::Dashboard;
use crate::app::{App, Cmd, Context};
use crate::domain::sla::SlaState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Paragraph, Sparkline};

/// Below this, the figures are lines of text.
const CHARTS_MIN: (u16, u16) = (60, 21);

/// Draws the dashboard.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let state = &app.dashboard;
    let refresh = app
        .bindings
        .keys_for(&[Context::Dashboard], Cmd::Refresh)
        .first()
        .map(|k| format!(" · {k} refreshes"))
        .unwrap_or_default();
    let title = match &state.data {
        Some(d) => format!(
            " Dashboard · {} tickets · built {}{}{refresh} ",
            d.tickets,
            &when(app, d.built_at)[5..],
            if state.pending.is_some() {
                " · rebuilding…"
            } else {
                ""
            }
        ),
        None => " Dashboard · building… ".to_string(),
    };
    let focused = app.modal.is_none() && app.form.is_none();
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let Some(d) = &state.data else {
        let text = "reading every ticket and call to build the figures…";
        super::lines(
            frame,
            inner,
            vec![Line::styled(
                truncate(text, inner.width as usize),
                theme.dim(),
            )],
        );
        return;
    };
    if inner.width < CHARTS_MIN.0 || inner.height < CHARTS_MIN.1 {
        compact(frame, inner, app, d, theme);
        return;
    }
    let [headline, charts, middle, volume] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(8),
        Constraint::Min(0),
        Constraint::Length(3),
    ])
    .areas(inner);
    super::lines(
        frame,
        headline,
        vec![overdue(app, d, headline.width as usize, theme)],
    );
    let [status, priority, sla] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(charts);
    let status_bars = d
        .by_status
        .iter()
        .map(|(s, n)| bar(&s.to_string(), *n, &n.to_string(), theme.status(*s)))
        .collect::<Vec<_>>();
    frame.render_widget(
        chart(" Tickets by status ", status_bars, None, theme),
        status,
    );
    let priority_bars = d
        .by_priority
        .iter()
        .map(|(p, n)| bar(&p.to_string(), *n, &n.to_string(), theme.priority(*p)))
        .collect::<Vec<_>>();
    frame.render_widget(chart(" By priority ", priority_bars, None, theme), priority);
    let sla_bars = d
        .sla
        .iter()
        .map(|f| {
            let (value, text) = match f.met_percent() {
                Some(p) => (p, format!("{p}%")),
                None => (0, "-".to_string()),
            };
            let style = match f.met_percent() {
                Some(p) if p < 80 => theme.sla(SlaState::Breached),
                _ => theme.priority(f.priority),
            };
            bar(&f.priority.to_string(), value, &text, style)
        })
        .collect::<Vec<_>>();
    frame.render_widget(
        chart(" SLA met, by priority ", sla_bars, Some(100), theme),
        sla,
    );
    let [agents, csat] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    render_agents(frame, agents, d, theme);
    let total: u64 = d.csat.iter().sum();
    let csat_bars = d
        .csat
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let share = match (n * 100 + total / 2).checked_div(total) {
                Some(percent) => format!("{n} {percent:>3}%"),
                None => n.to_string(),
            };
            bar(&(i + 1).to_string(), *n, &share, theme.csat(i as u8 + 1))
        })
        .collect::<Vec<_>>();
    frame.render_widget(chart(" CSAT, score 1 to 5 ", csat_bars, None, theme), csat);
    render_volume(frame, volume, d, theme);
}

/// A bar whose label carries the figure, so that it reads the same with or without colour.
fn bar<'a>(label: &str, value: u64, figure: &str, style: ratatui::style::Style) -> Bar<'a> {
    Bar::with_label(format!("{} {figure:>7}", fit(label, 9)), value)
        .text_value(String::new())
        .style(style)
}

fn chart<'a>(title: &'a str, bars: Vec<Bar<'a>>, max: Option<u64>, theme: &Theme) -> BarChart<'a> {
    let chart = BarChart::horizontal(bars)
        .block(
            Block::bordered()
                .title(title)
                .border_style(theme.border(false)),
        )
        .bar_width(1)
        .bar_gap(0);
    match max {
        Some(max) => chart.max(max),
        None => chart,
    }
}

/// The tickets overdue now, the most overdue first, in the colour of a breach.
fn overdue<'a>(app: &App, d: &Dashboard, w: usize, theme: &Theme) -> Line<'a> {
    if d.overdue_total == 0 {
        return Line::styled(truncate("no ticket is overdue", w), theme.dim());
    }
    let mut text = format!("! {} overdue now:", d.overdue_total);
    for o in &d.overdue {
        let late = (app.now.as_second() - o.due.as_second())
            .max(0)
            .unsigned_abs();
        text.push_str(&format!(
            " {} {} {} late, {} ·",
            o.ticket,
            o.priority,
            span(late),
            o.subject
        ));
    }
    let text = text.trim_end_matches(" ·").to_string();
    Line::styled(truncate(&text, w), theme.sla(SlaState::Breached))
}

fn render_agents(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let block = Block::bordered()
        .title(" Agents ")
        .border_style(theme.border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    if w == 0 || h == 0 {
        return;
    }
    let mut out = vec![Line::styled(
        truncate(
            &format!(
                "{} {:>6} {:>7} {:>8} {:>5}",
                fit("AGENT", 10),
                "CALLS",
                "AHT",
                "RESOLVED",
                "CSAT"
            ),
            w,
        ),
        theme.heading(),
    )];
    if d.agents.is_empty() {
        out.push(Line::styled("no calls or resolutions yet", theme.dim()));
    }
    let room = h.saturating_sub(1);
    for (i, a) in d.agents.iter().enumerate() {
        if i + 1 == room && d.agents.len() > room {
            out.push(Line::styled(
                format!("+{} more", d.agents.len() - i),
                theme.dim(),
            ));
            break;
        }
        let aht = a.handle_seconds.map_or("-".to_string(), |s| {
            duration(s.min(u64::from(u32::MAX)) as u32)
        });
        let csat = a.csat.map_or("-".to_string(), |c| format!("{c:.1}"));
        out.push(Line::raw(truncate(
            &format!(
                "{} {:>6} {:>7} {:>8} {:>5}",
                fit(&a.agent, 10),
                a.calls,
                aht,
                a.resolved,
                csat
            ),
            w,
        )));
    }
    out.truncate(h);
    frame.render_widget(Paragraph::new(out), inner);
}

fn render_volume(frame: &mut Frame, area: Rect, d: &Dashboard, theme: &Theme) {
    let total: u64 = d.daily.iter().sum();
    let most = d.daily.iter().copied().max().unwrap_or(0);
    let title = format!(
        " Tickets opened per day, {} days to {} · {total} in all · at most {most} a day ",
        d.daily.len(),
        d.daily_until.strftime("%m-%d")
    );
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(false));
    let inner = block.inner(area);
    // One column per day is thin on a wide screen: each day takes as many as fit.
    let per_day = (inner.width as usize / d.daily.len().max(1)).max(1);
    let data: Vec<u64> = d
        .daily
        .iter()
        .flat_map(|n| std::iter::repeat_n(*n, per_day))
        .collect();
    frame.render_widget(
        Sparkline::default()
            .block(block)
            .data(&data)
            .style(theme.volume()),
        area,
    );
}

/// The same figures as lines, for a small screen.
fn compact(frame: &mut Frame, area: Rect, app: &App, d: &Dashboard, theme: &Theme) {
    let w = area.width as usize;
    let join = |items: Vec<String>| items.join(" · ");
    let mut out = vec![overdue(app, d, w, theme)];
    let mut row = |label: &str, text: String| {
        let label = format!("{label:<9}");
        out.push(Line::from(vec![
            Span::styled(truncate(&label, w), theme.heading()),
            Span::raw(truncate(&text, w.saturating_sub(width(&label)))),
        ]));
    };
    row(
        "status",
        join(
            d.by_status
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect(),
        ),
    );
    row(
        "priority",
        join(
            d.by_priority
                .iter()
                .map(|(p, n)| format!("{p} {n}"))
                .collect(),
        ),
    );
    row(
        "SLA met",
        join(
            d.sla
                .iter()
                .map(|f| {
                    let p = f.met_percent().map_or("-".to_string(), |p| format!("{p}%"));
                    format!("{} {p}", f.priority)
                })
                .collect(),
        ),
    );
    row(
        "CSAT",
        join(
            d.csat
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{}:{n}", i + 1))
                .collect(),
        ),
    );
    let total: u64 = d.daily.iter().sum();
    row(
        "opened",
        format!("{total} in the last {} days", d.daily.len()),
    );
    for a in &d.agents {
        let csat = a.csat.map_or("-".to_string(), |c| format!("{c:.1}"));
        row(
            "agent",
            format!(
                "{} {} calls, {} resolved, CSAT {csat}",
                a.agent, a.calls, a.resolved
            ),
        );
    }
    out.truncate(area.height as usize);
    super::lines(frame, area, out);
}
