//! The aggregates behind `rapport report` and the TUI dashboard: ticket counts, SLA attainment,
//! agent activity and satisfaction. Pure: they take records and an SLA evaluator, and return
//! rows.

use crate::domain::Interaction;
use crate::domain::choice::Choice;
use crate::domain::record::Channel;
use crate::domain::sla::{Sla, SlaState};
use crate::domain::ticket::{EventKind, Priority, Status, Ticket};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a report covers: a time window (from `since`, before `until`), a queue, an agent.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub queue: Option<String>,
    pub agent: Option<String>,
}

impl Scope {
    fn in_window(&self, at: Timestamp) -> bool {
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }

    fn is_agent(&self, name: &str) -> bool {
        self.agent
            .as_ref()
            .is_none_or(|a| a.eq_ignore_ascii_case(name))
    }

    fn ticket_in_scope(&self, t: &Ticket) -> bool {
        self.queue.as_ref().is_none_or(|q| {
            t.queue
                .as_ref()
                .is_some_and(|tq| tq.eq_ignore_ascii_case(q))
        })
    }

    /// Tickets created in the window, of the queue, assigned to the agent.
    fn created<'a>(&'a self, tickets: &'a [Ticket]) -> impl Iterator<Item = &'a Ticket> + 'a {
        tickets.iter().filter(move |t| {
            self.in_window(t.meta.created_at)
                && self.ticket_in_scope(t)
                && self
                    .agent
                    .as_ref()
                    .is_none_or(|_| t.assignee.as_deref().is_some_and(|a| self.is_agent(a)))
        })
    }
}

/// One count of tickets by a dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    /// `status`, `priority` or `queue`.
    pub by: &'static str,
    pub value: String,
    pub tickets: u64,
}

/// Tickets created in scope, counted by status, priority and queue.
pub fn tickets(tickets: &[Ticket], scope: &Scope) -> Vec<Count> {
    let created: Vec<&Ticket> = scope.created(tickets).collect();
    let mut rows = Vec::new();
    for &status in Status::ALL {
        let n = created.iter().filter(|t| t.status == status).count() as u64;
        rows.push(Count {
            by: "status",
            value: status.to_string(),
            tickets: n,
        });
    }
    for &priority in Priority::ALL {
        let n = created.iter().filter(|t| t.priority == priority).count() as u64;
        rows.push(Count {
            by: "priority",
            value: priority.to_string(),
            tickets: n,
        });
    }
    let mut queues: BTreeMap<String, u64> = BTreeMap::new();
    for t in &created {
        *queues
            .entry(t.queue.clone().unwrap_or_else(|| "(none)".into()))
            .or_default() += 1;
    }
    rows.extend(queues.into_iter().map(|(value, tickets)| Count {
        by: "queue",
        value,
        tickets,
    }));
    rows
}

/// SLA attainment for one priority.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attainment {
    pub priority: Priority,
    pub tickets: u64,
    /// Tickets whose resolution target is decided (met or breached).
    pub decided: u64,
    pub met: u64,
    /// `met / decided`, when anything is decided.
    pub met_share: Option<f64>,
    /// Business minutes from creation to first response.
    pub first_response_median_minutes: Option<f64>,
    pub first_response_p90_minutes: Option<f64>,
    /// Business minutes from creation to resolution.
    pub resolution_median_minutes: Option<f64>,
    pub resolution_p90_minutes: Option<f64>,
}

/// The value at `share` (0..1) of sorted values, by nearest rank.
pub fn percentile(sorted: &[f64], share: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (share * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// When a ticket was last resolved, if it is resolved or closed.
pub fn resolved_at(t: &Ticket) -> Option<Timestamp> {
    if t.status.is_active() {
        return None;
    }
    t.events.iter().rev().find_map(|e| match e.kind {
        EventKind::Status {
            to: Status::Resolved,
            ..
        } => Some(e.at),
        _ => None,
    })
}

/// SLA attainment by priority for tickets created in scope. `sla` evaluates a ticket now;
/// `business_minutes` measures business time for a priority between two instants.
pub fn sla(
    tickets: &[Ticket],
    scope: &Scope,
    sla: &dyn Fn(&Ticket) -> Sla,
    business_minutes: &dyn Fn(Priority, Timestamp, Timestamp) -> f64,
) -> Vec<Attainment> {
    let mut rows = Vec::new();
    for &priority in Priority::ALL {
        let of: Vec<&Ticket> = scope
            .created(tickets)
            .filter(|t| t.priority == priority)
            .collect();
        let mut first = Vec::new();
        let mut resolution = Vec::new();
        let (mut decided, mut met) = (0, 0);
        for t in &of {
            let clock = sla(t).resolution;
            match clock.state {
                SlaState::Met => {
                    decided += 1;
                    met += 1;
                }
                SlaState::Breached => decided += 1,
                _ => {}
            }
            if let Some(at) = t.first_response_at {
                first.push(business_minutes(priority, t.meta.created_at, at));
            }
            if let Some(at) = resolved_at(t) {
                resolution.push(business_minutes(priority, t.meta.created_at, at));
            }
        }
        first.sort_by(f64::total_cmp);
        resolution.sort_by(f64::total_cmp);
        rows.push(Attainment {
            priority,
            tickets: of.len() as u64,
            decided,
            met,
            met_share: (decided > 0).then(|| met as f64 / decided as f64),
            first_response_median_minutes: percentile(&first, 0.5),
            first_response_p90_minutes: percentile(&first, 0.9),
            resolution_median_minutes: percentile(&resolution, 0.5),
            resolution_p90_minutes: percentile(&resolution, 0.9),
        });
    }
    rows
}

/// One agent's activity in scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentActivity {
    pub agent: String,
    pub calls: u64,
    pub talk_seconds: u64,
    /// Talk time per call.
    pub average_handle_seconds: Option<f64>,
    /// Resolutions the agent made in the window.
    pub tickets_resolved: u64,
    /// The average satisfaction score of the tickets the agent resolved.
    pub csat_average: Option<f64>,
    pub csat_responses: u64,
}

/// Calls, talk time, handle time, resolutions and satisfaction per agent, by name.
pub fn agents(
    tickets: &[Ticket],
    interactions: &[Interaction],
    scope: &Scope,
) -> Vec<AgentActivity> {
    #[derive(Default)]
    struct Acc {
        calls: u64,
        talk: u64,
        resolved: u64,
        csat: Vec<u8>,
    }
    let mut by: BTreeMap<String, Acc> = BTreeMap::new();
    for i in interactions {
        if i.channel == Channel::Call && scope.in_window(i.started_at) && scope.is_agent(&i.agent) {
            let acc = by.entry(i.agent.clone()).or_default();
            acc.calls += 1;
            acc.talk += u64::from(i.duration);
        }
    }
    for t in tickets.iter().filter(|t| scope.ticket_in_scope(t)) {
        for e in &t.events {
            if matches!(
                e.kind,
                EventKind::Status {
                    to: Status::Resolved,
                    ..
                }
            ) && scope.in_window(e.at)
                && scope.is_agent(&e.by)
            {
                by.entry(e.by.clone()).or_default().resolved += 1;
            }
        }
        let resolver = t.events.iter().rev().find_map(|e| match e.kind {
            EventKind::Status {
                to: Status::Resolved,
                ..
            } => Some(&e.by),
            _ => None,
        });
        let rated = t.events.iter().rev().find_map(|e| match e.kind {
            EventKind::Csat { score } => Some((score, e.at)),
            _ => None,
        });
        if let (Some(resolver), Some((score, at))) = (resolver, rated)
            && scope.in_window(at)
            && scope.is_agent(resolver)
        {
            by.entry(resolver.clone()).or_default().csat.push(score);
        }
    }
    by.into_iter()
        .map(|(agent, a)| AgentActivity {
            agent,
            calls: a.calls,
            talk_seconds: a.talk,
            average_handle_seconds: (a.calls > 0).then(|| a.talk as f64 / a.calls as f64),
            tickets_resolved: a.resolved,
            csat_average: (!a.csat.is_empty())
                .then(|| a.csat.iter().map(|&s| f64::from(s)).sum::<f64>() / a.csat.len() as f64),
            csat_responses: a.csat.len() as u64,
        })
        .collect()
}

/// How many tickets got each satisfaction score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub score: u8,
    pub responses: u64,
    pub share: Option<f64>,
}

/// The distribution of satisfaction scores recorded in scope, 1 to 5.
pub fn csat(tickets: &[Ticket], scope: &Scope) -> Vec<Score> {
    let mut counts = [0u64; 5];
    for t in tickets.iter().filter(|t| scope.ticket_in_scope(t)) {
        let rated = t.events.iter().rev().find_map(|e| match e.kind {
            EventKind::Csat { score } => Some((score, e.at, &e.by)),
            _ => None,
        });
        if let Some((score, at, _)) = rated
            && scope.in_window(at)
            && t.assignee.as_deref().is_none_or(|a| scope.is_agent(a))
            && (1..=5).contains(&score)
        {
            counts[usize::from(score) - 1] += 1;
        }
    }
    let total: u64 = counts.iter().sum();
    (1..=5u8)
        .map(|score| {
            let responses = counts[usize::from(score) - 1];
            Score {
                score,
                responses,
                share: (total > 0).then(|| responses as f64 / total as f64),
            }
        })
        .collect()
}

/// Tickets created per day in scope, oldest first, for sparklines.
pub fn daily_volume(
    tickets: &[Ticket],
    scope: &Scope,
    days: usize,
    today: jiff::civil::Date,
) -> Vec<u64> {
    let mut counts = vec![0u64; days];
    for t in scope.created(tickets) {
        let day = t.meta.created_at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let ago = (today - day).get_days();
        if (0..days as i32).contains(&ago) {
            counts[days - 1 - ago as usize] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(5.0));
        assert_eq!(percentile(&v, 0.9), Some(9.0));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
