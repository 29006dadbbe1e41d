//! Gathering what reports aggregate (supervisors and admins only).

use super::{Ops, Result, SlaBook};
use crate::domain::record::Role;
use crate::domain::{Interaction, Kind, Record, Ticket};
use crate::report::{self, AgentActivity, Attainment, Count, Scope, Score};

/// Every ticket and interaction, with the service levels to judge them by.
pub struct ReportData {
    pub tickets: Vec<Ticket>,
    pub interactions: Vec<Interaction>,
    pub book: SlaBook,
    pub now: jiff::Timestamp,
}

impl ReportData {
    /// Tickets by status, priority and queue.
    pub fn tickets(&self, scope: &Scope) -> Vec<Count> {
        report::tickets(&self.tickets, scope)
    }

    /// SLA attainment by priority.
    pub fn sla(&self, scope: &Scope) -> Vec<Attainment> {
        let evaluate = |t: &Ticket| self.book.evaluate(t, self.now);
        let minutes = |p, a, b| self.book.business_time(p, a, b).as_secs_f64() / 60.0;
        report::sla(&self.tickets, scope, &evaluate, &minutes)
    }

    /// Agent activity.
    pub fn agents(&self, scope: &Scope) -> Vec<AgentActivity> {
        report::agents(&self.tickets, &self.interactions, scope)
    }

    /// Satisfaction scores.
    pub fn csat(&self, scope: &Scope) -> Vec<Score> {
        report::csat(&self.tickets, scope)
    }
}

impl Ops<'_> {
    /// Reads what reports need. Supervisors and admins only.
    pub fn report_data(&self) -> Result<ReportData> {
        self.require(Role::Supervisor, "running reports")?;
        let mut tickets = Vec::new();
        for r in self.store.scan(Kind::Ticket) {
            if let Record::Ticket(t) = r? {
                tickets.push(t);
            }
        }
        let mut interactions = Vec::new();
        for r in self.store.scan(Kind::Interaction) {
            if let Record::Interaction(i) = r? {
                interactions.push(i);
            }
        }
        Ok(ReportData {
            tickets,
            interactions,
            book: self.sla_book()?,
            now: self.now,
        })
    }
}
