//! Building the dashboard on a job: every ticket and interaction is read (as `rapport report`
//! does), which must not hold up searches or freeze the screen. Supervisors and admins only,
//! refused with the operation's own message.

use crate::app::dashboard::{AgentFigure, DAYS, Dashboard, Overdue, SlaFigure};
use crate::app::{Msg, RequestId};
use crate::domain::Choice;
use crate::domain::sla::SlaState;
use crate::domain::ticket::{Priority, Status};
use crate::ops::{Ops, OpsError};
use crate::report::{self, Scope};

/// How many overdue tickets the dashboard names.
const OVERDUE_SHOWN: usize = 8;

/// Builds the figures; the answer to `request`.
pub fn run(ops: &Ops, request: RequestId) -> Msg {
    match build(ops) {
        Ok(dashboard) => Msg::DashboardReady {
            request,
            dashboard: Box::new(dashboard),
        },
        Err(e) => Msg::Failed {
            request: Some(request),
            message: e.to_string(),
        },
    }
}

fn build(ops: &Ops) -> Result<Dashboard, OpsError> {
    let data = ops.report_data()?;
    let scope = Scope::default();
    let counts = data.tickets(&scope);
    let count = |by: &str, value: String| {
        counts
            .iter()
            .find(|c| c.by == by && c.value == value)
            .map_or(0, |c| c.tickets)
    };
    let by_status = Status::ALL
        .iter()
        .map(|&s| (s, count("status", s.to_string())))
        .collect();
    let by_priority = Priority::ALL
        .iter()
        .map(|&p| (p, count("priority", p.to_string())))
        .collect();
    let sla = data
        .sla(&scope)
        .into_iter()
        .map(|a| SlaFigure {
            priority: a.priority,
            tickets: a.tickets,
            decided: a.decided,
            met: a.met,
        })
        .collect();
    let agents = data
        .agents(&scope)
        .into_iter()
        .map(|a| AgentFigure {
            agent: a.agent,
            calls: a.calls,
            handle_seconds: a.average_handle_seconds.map(|s| s.round() as u64),
            resolved: a.tickets_resolved,
            csat: a.csat_average,
        })
        .collect();
    let mut csat = [0; 5];
    for score in data.csat(&scope) {
        if (1..=5).contains(&score.score) {
            csat[usize::from(score.score) - 1] = score.responses;
        }
    }
    let today = ops.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let daily = report::daily_volume(&data.tickets, &scope, DAYS, today);
    let mut overdue: Vec<Overdue> = data
        .tickets
        .iter()
        .filter(|t| t.status.is_active())
        .filter_map(|t| {
            let sla = data.book.evaluate(t, ops.now);
            let broken = [sla.first_response, sla.resolution]
                .into_iter()
                .find(|c| c.state == SlaState::Breached)?;
            Some(Overdue {
                ticket: t.meta.id,
                priority: t.priority,
                subject: t.subject.clone(),
                due: broken.due,
            })
        })
        .collect();
    overdue.sort_by_key(|o| (o.due, o.ticket));
    let overdue_total = overdue.len() as u64;
    overdue.truncate(OVERDUE_SHOWN);
    Ok(Dashboard {
        built_at: ops.now,
        tickets: data.tickets.len() as u64,
        by_status,
        by_priority,
        sla,
        agents,
        csat,
        daily,
        daily_until: today,
        overdue,
        overdue_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::Action;
    use crate::ops::TicketDraft;
    use crate::store::memory::MemoryStore;

    #[test]
    fn the_figures_come_from_the_reports_and_the_most_overdue_leads() {
        let store = MemoryStore::empty();
        // Monday 2 March; tickets opened the week before.
        let then = Ops::new(&store, "ann", "2026-02-23T09:00:00Z".parse().unwrap());
        let acme = crate::ops::testing::account(&then, "Acme");
        let mut urgent = TicketDraft::new(acme, "Down");
        urgent.priority = Priority::Urgent;
        let urgent = then.new_ticket(urgent).unwrap().meta.id; // due Monday 23rd 13:00
        let normal = then
            .new_ticket(TicketDraft::new(acme, "Slow"))
            .unwrap()
            .meta
            .id;
        let later = Ops::new(&store, "ann", "2026-03-02T08:00:00Z".parse().unwrap());
        let fresh = later
            .new_ticket(TicketDraft::new(acme, "New"))
            .unwrap()
            .meta
            .id;
        later.transition(fresh, Action::Open, None).unwrap();
        later.transition(fresh, Action::Resolve, None).unwrap();
        later.rate(fresh, 4, None).unwrap();

        let now = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
        let Msg::DashboardReady { dashboard: d, .. } = run(&now, RequestId(1)) else {
            panic!()
        };
        assert_eq!(d.tickets, 3);
        assert_eq!(d.by_status[0], (Status::New, 2));
        assert!(d.by_status.contains(&(Status::Resolved, 1)));
        assert_eq!(d.by_priority[0], (Priority::Urgent, 1));
        assert_eq!(d.csat, [0, 0, 0, 1, 0]);
        assert_eq!(d.overdue_total, 2);
        assert_eq!(
            d.overdue.iter().map(|o| o.ticket).collect::<Vec<_>>(),
            [urgent, normal],
            "the most overdue first"
        );
        assert_eq!(d.daily.len(), DAYS);
        assert_eq!(d.daily[DAYS - 1], 1, "today's ticket");
        assert_eq!(d.daily[DAYS - 1 - 7], 2, "a week ago");
        assert_eq!(d.daily_until.to_string(), "2026-03-02");
        assert_eq!(d.agents[0].agent, "ann");
        assert_eq!(d.agents[0].resolved, 1);
    }

    #[test]
    fn agents_are_refused_with_the_reports_message() {
        let store = MemoryStore::empty();
        let now = "2026-03-02T10:00:00Z".parse().unwrap();
        let root = Ops::new(&store, "root", now);
        root.add_user("root", crate::domain::record::Role::Admin, vec![])
            .unwrap();
        root.add_user("bo", crate::domain::record::Role::Agent, vec![])
            .unwrap();
        let Msg::Failed { message, .. } = run(&Ops::new(&store, "bo", now), RequestId(1)) else {
            panic!()
        };
        assert_eq!(
            message,
            "running reports needs the supervisor role; bo is agent"
        );
    }
}
