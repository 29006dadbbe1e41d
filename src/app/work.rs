//! The agent's work lists: "my tickets" (the active tickets assigned to the acting agent) and
//! "my queues" (the active tickets of the queues the agent's user record lists), most urgent
//! service level first. Enter opens the selected ticket's account with the ticket selected.

use super::msg::RequestId;
use crate::domain::sla::{Sla, SlaState};
use crate::domain::{Id, Ticket};
use std::cmp::Ordering;

/// Which list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkKind {
    /// Assigned to the acting agent.
    Mine,
    /// In the agent's queues, whoever has them.
    Queues,
}

impl WorkKind {
    /// The list's name.
    pub fn title(self) -> &'static str {
        match self {
            WorkKind::Mine => "My tickets",
            WorkKind::Queues => "My queues",
        }
    }
}

/// One ticket of a list, with what the list shows beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkRow {
    pub ticket: Ticket,
    /// Its service levels when loaded (or last changed); none when they cannot be worked out.
    pub sla: Option<Sla>,
    pub account_name: String,
}

impl WorkRow {
    /// When the clock the agent should watch falls due.
    pub fn due(&self) -> Option<jiff::Timestamp> {
        self.sla.as_ref().and_then(|s| s.next_due()).map(|c| c.due)
    }
}

/// Most urgent first: breached tickets, then by the time left on the clock that runs (the
/// most overdue, then the soonest due, first); tickets without service levels last, in work
/// order.
pub fn urgency(a: &WorkRow, b: &WorkRow) -> Ordering {
    let key = |r: &WorkRow| {
        let breached = r.sla.is_some_and(|s| s.state == SlaState::Breached);
        (!breached, r.due().is_none(), r.due())
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| crate::domain::ticket::work_order(&a.ticket, &b.ticket))
}

/// A work list on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkState {
    pub kind: WorkKind,
    /// In [`urgency`] order.
    pub rows: Vec<WorkRow>,
    pub selected: usize,
    /// The load in flight; answers to any other are stale.
    pub pending: Option<RequestId>,
    /// The queues "my queues" covers.
    pub queues: Vec<String>,
    /// Why the list could not be loaded.
    pub problem: Option<String>,
    /// True once a load has answered.
    pub loaded: bool,
}

impl WorkState {
    /// An empty list of `kind`, about to load.
    pub fn new(kind: WorkKind) -> WorkState {
        WorkState {
            kind,
            rows: Vec::new(),
            selected: 0,
            pending: None,
            queues: Vec::new(),
            problem: None,
            loaded: false,
        }
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&WorkRow> {
        self.rows.get(self.selected)
    }

    /// Takes a load's rows if they answer the latest request, keeping the selected ticket.
    pub fn accept(&mut self, request: RequestId, mut rows: Vec<WorkRow>, queues: Vec<String>) {
        if self.pending != Some(request) {
            return;
        }
        let keep = self.selected_row().map(|r| r.ticket.meta.id);
        rows.sort_by(urgency);
        self.selected = keep
            .and_then(|id| rows.iter().position(|r| r.ticket.meta.id == id))
            .unwrap_or(0);
        self.rows = rows;
        self.queues = queues;
        self.pending = None;
        self.problem = None;
        self.loaded = true;
    }

    /// Takes in a ticket that changed: its row is replaced, or dropped once it needs no more
    /// work. The row stays where it is, so the selection does not jump.
    pub fn put_ticket(&mut self, ticket: &Ticket, sla: Option<Sla>) {
        let Some(at) = self.position(ticket.meta.id) else {
            return;
        };
        if ticket.status.is_active() {
            self.rows[at].ticket = ticket.clone();
            self.rows[at].sla = sla;
        } else {
            self.rows.remove(at);
            self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        }
    }

    fn position(&self, id: Id) -> Option<usize> {
        self.rows.iter().position(|r| r.ticket.meta.id == id)
    }
}
