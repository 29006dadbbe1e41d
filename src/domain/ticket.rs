//! Tickets (service requests, complaints, incidents), their status workflow as an explicit
//! state machine, and the ordered history of every step.

use super::choice::choice;
use super::id::Id;
use super::record::Meta;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

choice!(
    /// Where a ticket is in its workflow.
    Status, "status" {
        New = "new",
        Open = "open",
        Pending = "pending",
        Escalated = "escalated",
        Resolved = "resolved",
        Closed = "closed",
    }
);

choice!(
    /// How soon a ticket needs work; listed most urgent first.
    Priority, "priority" { Urgent = "urgent", High = "high", Normal = "normal", Low = "low" }
);

choice!(
    /// A step an agent takes on a ticket's status.
    Action, "action" {
        Open = "open",
        Hold = "hold",
        Escalate = "escalate",
        Resolve = "resolve",
        Close = "close",
        Reopen = "reopen",
    }
);

impl Status {
    /// True while the ticket still needs work (not resolved or closed).
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// The actions legal from this status and where each leads.
    ///
    /// `new → open → pending (on hold) → open …`, `open → escalated`,
    /// `open|escalated → resolved → closed`, `resolved|closed → reopened (open)`.
    pub fn next_steps(self) -> &'static [(Action, Status)] {
        match self {
            Status::New => &[(Action::Open, Status::Open)],
            Status::Open => &[
                (Action::Hold, Status::Pending),
                (Action::Escalate, Status::Escalated),
                (Action::Resolve, Status::Resolved),
            ],
            Status::Pending => &[(Action::Open, Status::Open)],
            Status::Escalated => &[(Action::Resolve, Status::Resolved)],
            Status::Resolved => &[
                (Action::Close, Status::Closed),
                (Action::Reopen, Status::Open),
            ],
            Status::Closed => &[(Action::Reopen, Status::Open)],
        }
    }

    /// Where `action` leads from this status, or why it cannot be taken.
    pub fn after(self, action: Action) -> Result<Status, IllegalTransition> {
        self.next_steps()
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, to)| *to)
            .ok_or(IllegalTransition { from: self, action })
    }
}

/// An action that the ticket's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot {action} a ticket that is {from}; from {from} the next steps are: {}",
    legal_steps(*.from)
)]
pub struct IllegalTransition {
    pub from: Status,
    pub action: Action,
}

fn legal_steps(from: Status) -> String {
    from.next_steps()
        .iter()
        .map(|(a, to)| format!("{a} (→ {to})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What happened in one step of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    /// The ticket was created.
    Created,
    /// The status changed.
    Status { from: Status, to: Status },
    /// The assignee changed.
    Assigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A comment; public comments are the customer-visible ones.
    Comment { public: bool },
    /// A satisfaction score was recorded.
    Csat { score: u8 },
    /// A knowledge-base article was linked to the ticket.
    KbLinked { article: Id },
}

/// One step of a ticket's history: who did what, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub at: Timestamp,
    pub by: String,
    #[serde(flatten)]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A customer's satisfaction score for a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Csat {
    /// 1 (very unhappy) to 5 (very happy).
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A service request, complaint or incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Ticket {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub account: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Id>,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<Csat>,
    /// The first public comment or outbound interaction: the SLA's first response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<Timestamp>,
    /// Linked knowledge-base articles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub articles: Vec<Id>,
    /// Every step, oldest first.
    #[serde(default)]
    pub events: Vec<TicketEvent>,
}

impl Ticket {
    /// A new ticket, with its `created` event.
    pub fn new(meta: Meta, account: Id, subject: String, priority: Priority) -> Ticket {
        let created = TicketEvent {
            at: meta.created_at,
            by: meta.created_by.clone(),
            kind: EventKind::Created,
            note: None,
        };
        Ticket {
            meta,
            account,
            contact: None,
            subject,
            description: None,
            category: None,
            priority,
            assignee: None,
            queue: None,
            status: Status::New,
            external_id: None,
            csat: None,
            first_response_at: None,
            articles: Vec::new(),
            events: vec![created],
        }
    }

    fn record(&mut self, by: &str, at: Timestamp, kind: EventKind, note: Option<String>) {
        self.meta.touch(by, at);
        self.events.push(TicketEvent {
            at,
            by: by.to_string(),
            kind,
            note,
        });
    }

    /// Takes a status action, recording the step; an illegal one changes nothing.
    pub fn transition(
        &mut self,
        action: Action,
        by: &str,
        at: Timestamp,
        note: Option<String>,
    ) -> Result<Status, IllegalTransition> {
        let from = self.status;
        let to = from.after(action)?;
        self.status = to;
        self.record(by, at, EventKind::Status { from, to }, note);
        Ok(to)
    }

    /// Hands the ticket to `to` (or nobody), recording the step.
    pub fn assign(&mut self, to: Option<String>, by: &str, at: Timestamp, note: Option<String>) {
        let from = std::mem::replace(&mut self.assignee, to.clone());
        self.record(by, at, EventKind::Assigned { from, to }, note);
    }

    /// Adds a comment; the first public one is the first response.
    pub fn comment(&mut self, text: String, public: bool, by: &str, at: Timestamp) {
        if public {
            self.responded(at);
        }
        self.record(by, at, EventKind::Comment { public }, Some(text));
    }

    /// Notes a response to the customer (a public comment, an outbound interaction).
    pub fn responded(&mut self, at: Timestamp) {
        if self.first_response_at.is_none() {
            self.first_response_at = Some(at);
        }
    }

    /// Records a satisfaction score; only once the ticket is resolved or closed.
    pub fn rate(&mut self, csat: Csat, by: &str, at: Timestamp) -> Result<(), String> {
        if self.status.is_active() {
            return Err(format!(
                "a satisfaction score is recorded after resolve; this ticket is {}",
                self.status
            ));
        }
        if !(1..=5).contains(&csat.score) {
            return Err(format!("score {} is outside 1..5", csat.score));
        }
        let kind = EventKind::Csat { score: csat.score };
        let note = csat.comment.clone();
        self.csat = Some(csat);
        self.record(by, at, kind, note);
        Ok(())
    }
}

/// Sorts tickets the way lists show them: most urgent priority first, then oldest first.
pub fn work_order(a: &Ticket, b: &Ticket) -> std::cmp::Ordering {
    (a.priority, a.meta.created_at, a.meta.id).cmp(&(b.priority, b.meta.created_at, b.meta.id))
}

crate::domain::stamped::stamped!(Ticket);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Choice;
    use crate::domain::id::Kind;

    fn ticket() -> Ticket {
        let meta = Meta::new(Id::new(Kind::Ticket, 1), "ann", Timestamp::UNIX_EPOCH);
        Ticket::new(
            meta,
            Id::new(Kind::Account, 1),
            "Broken".into(),
            Priority::Normal,
        )
    }

    #[test]
    fn the_documented_workflow_is_legal() {
        let mut t = ticket();
        let now = Timestamp::UNIX_EPOCH;
        for (action, to) in [
            (Action::Open, Status::Open),
            (Action::Hold, Status::Pending),
            (Action::Open, Status::Open),
            (Action::Escalate, Status::Escalated),
            (Action::Resolve, Status::Resolved),
            (Action::Reopen, Status::Open),
            (Action::Resolve, Status::Resolved),
            (Action::Close, Status::Closed),
            (Action::Reopen, Status::Open),
        ] {
            assert_eq!(t.transition(action, "bo", now, None).unwrap(), to);
        }
        assert_eq!(t.events.len(), 10, "created plus one event per step");
    }

    #[test]
    fn illegal_transition_names_the_current_state_and_the_legal_ones() {
        let mut t = ticket();
        let err = t
            .transition(Action::Resolve, "bo", Timestamp::UNIX_EPOCH, None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resolve a ticket that is new; from new the next steps are: open (→ open)"
        );
        assert_eq!(t.status, Status::New, "nothing changed");
        assert_eq!(t.events.len(), 1, "no event recorded");
    }

    #[test]
    fn every_status_refuses_the_actions_it_does_not_list() {
        for &from in Status::ALL {
            for &action in Action::ALL {
                let listed = from.next_steps().iter().any(|(a, _)| *a == action);
                assert_eq!(from.after(action).is_ok(), listed, "{from} {action}");
            }
        }
    }

    #[test]
    fn pending_can_only_resume_and_escalated_only_resolve() {
        assert_eq!(
            Status::Pending.after(Action::Escalate).unwrap_err().from,
            Status::Pending
        );
        assert!(Status::Escalated.after(Action::Hold).is_err());
        assert!(Status::Closed.after(Action::Close).is_err());
    }

    #[test]
    fn events_record_who_when_and_why() {
        let mut t = ticket();
        let at: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        t.transition(Action::Open, "bo", at, Some("on it".into()))
            .unwrap();
        t.assign(Some("cy".into()), "bo", at, None);
        t.comment("called back".into(), true, "cy", at);
        let last = t.events.last().unwrap();
        assert_eq!(last.by, "cy");
        assert_eq!(last.note.as_deref(), Some("called back"));
        assert_eq!(t.events[1].note.as_deref(), Some("on it"));
        assert_eq!(t.meta.updated_by, "cy");
        let json = serde_json::to_value(&t.events[1]).unwrap();
        assert_eq!(json["type"], "status");
        assert_eq!(json["from"], "new");
        assert_eq!(json["to"], "open");
    }

    #[test]
    fn csat_only_after_resolve_and_in_range() {
        let mut t = ticket();
        let now = Timestamp::UNIX_EPOCH;
        let good = Csat {
            score: 5,
            comment: None,
        };
        assert!(t.rate(good.clone(), "bo", now).is_err());
        t.transition(Action::Open, "bo", now, None).unwrap();
        t.transition(Action::Resolve, "bo", now, None).unwrap();
        assert!(
            t.rate(
                Csat {
                    score: 6,
                    comment: None
                },
                "bo",
                now
            )
            .is_err()
        );
        t.rate(good, "bo", now).unwrap();
        assert_eq!(t.csat.as_ref().unwrap().score, 5);
    }

    #[test]
    fn work_order_is_priority_then_age() {
        let mut urgent = ticket();
        urgent.priority = Priority::Urgent;
        urgent.meta.created_at = "2026-02-01T00:00:00Z".parse().unwrap();
        let old_normal = ticket();
        assert_eq!(work_order(&urgent, &old_normal), std::cmp::Ordering::Less);
    }
}
