//! The dashboard: the figures of `rapport report` (tickets by status and priority, SLA
//! attainment by priority, agents' calls, handle time, resolutions and CSAT, the CSAT
//! distribution), the tickets created per day over the last thirty days, and the tickets overdue
//! now. Built on a background job for supervisors and admins; kept until refreshed on demand.

use super::msg::RequestId;
use crate::domain::Id;
use crate::domain::ticket::{Priority, Status};
use jiff::Timestamp;

/// How many days the volume sparkline covers.
pub const DAYS: usize = 30;

/// SLA attainment for one priority: of the tickets whose resolution target is decided (met or
/// breached), how many met it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaFigure {
    pub priority: Priority,
    pub tickets: u64,
    pub decided: u64,
    pub met: u64,
}

impl SlaFigure {
    /// The share met, in whole percent, once anything is decided.
    pub fn met_percent(&self) -> Option<u64> {
        (self.decided > 0).then(|| (self.met * 100 + self.decided / 2) / self.decided)
    }
}

/// One agent's activity.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentFigure {
    pub agent: String,
    pub calls: u64,
    /// Average handle time: talk time per call, in seconds.
    pub handle_seconds: Option<u64>,
    pub resolved: u64,
    pub csat: Option<f64>,
}

/// A ticket past its due time.
#[derive(Clone, Debug, PartialEq)]
pub struct Overdue {
    pub ticket: Id,
    pub priority: Priority,
    pub subject: String,
    /// When the clock that broke fell due.
    pub due: Timestamp,
}

/// The figures, as built at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    pub built_at: Timestamp,
    pub tickets: u64,
    pub by_status: Vec<(Status, u64)>,
    pub by_priority: Vec<(Priority, u64)>,
    pub sla: Vec<SlaFigure>,
    pub agents: Vec<AgentFigure>,
    /// Responses per score, 1 to 5.
    pub csat: [u64; 5],
    /// Tickets created per day, oldest first, the last being `daily_until`.
    pub daily: Vec<u64>,
    pub daily_until: jiff::civil::Date,
    /// The most overdue first (a few of them).
    pub overdue: Vec<Overdue>,
    /// How many active tickets are overdue in all.
    pub overdue_total: u64,
}

/// The dashboard's figures and the build in flight.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DashboardState {
    pub data: Option<Box<Dashboard>>,
    /// The build in flight; answers to any other are stale.
    pub pending: Option<RequestId>,
}

impl DashboardState {
    /// Takes a build's figures if they answer the latest request.
    pub fn accept(&mut self, request: RequestId, dashboard: Box<Dashboard>) -> bool {
        if self.pending != Some(request) {
            return false;
        }
        self.pending = None;
        self.data = Some(dashboard);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_is_rounded_and_absent_until_decided() {
        let figure = |decided, met| SlaFigure {
            priority: Priority::High,
            tickets: 10,
            decided,
            met,
        };
        assert_eq!(figure(0, 0).met_percent(), None);
        assert_eq!(figure(3, 2).met_percent(), Some(67));
        assert_eq!(figure(8, 8).met_percent(), Some(100));
        assert_eq!(figure(7, 0).met_percent(), Some(0));
    }
}
