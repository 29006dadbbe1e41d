//! Tickets: open one, move it through its workflow, assign, comment, rate.

use super::{Ops, OpsError, Result, fetch};
use crate::domain::record::Role;
use crate::domain::ticket::{Action, Csat, Priority, Status, Ticket, work_order};
use crate::domain::validate::{self, Invalid};
use crate::domain::{Id, Kind, Meta, Record};
use crate::store::{Commit, Index, IndexScan};

/// What a new ticket is made from.
#[derive(Debug, Clone)]
pub struct TicketDraft {
    pub account: Id,
    pub subject: String,
    pub description: Option<String>,
    pub priority: Priority,
    pub contact: Option<Id>,
    pub queue: Option<String>,
    pub category: Option<String>,
    pub assignee: Option<String>,
}

impl TicketDraft {
    /// A normal-priority ticket about `subject` for `account`.
    pub fn new(account: Id, subject: impl Into<String>) -> TicketDraft {
        TicketDraft {
            account,
            subject: subject.into(),
            description: None,
            priority: Priority::Normal,
            contact: None,
            queue: None,
            category: None,
            assignee: None,
        }
    }
}

/// Which tickets a list shows; empty lists admit everything.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    /// Only tickets still needing work (not resolved or closed).
    pub active: bool,
    pub assignee: Option<String>,
    pub priorities: Vec<Priority>,
    pub account: Option<Id>,
    pub queue: Option<String>,
}

impl TicketFilter {
    fn admits(&self, t: &Ticket) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| have.as_ref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        (self.statuses.is_empty() || self.statuses.contains(&t.status))
            && (!self.active || t.status.is_active())
            && same(&self.assignee, &t.assignee)
            && (self.priorities.is_empty() || self.priorities.contains(&t.priority))
            && self.account.is_none_or(|a| t.account == a)
            && same(&self.queue, &t.queue)
    }
}

impl Ops<'_> {
    /// Opens a ticket for an existing account (and contact of that account).
    pub fn new_ticket(&self, draft: TicketDraft) -> Result<Ticket> {
        self.account(draft.account)?;
        if let Some(contact) = draft.contact {
            let c = self.contact(contact)?;
            if c.account != draft.account {
                return Err(Invalid::new(
                    "contact",
                    format!("{contact} belongs to {}, not {}", c.account, draft.account),
                )
                .into());
            }
        }
        let subject = validate::required("subject", &draft.subject)?;
        let meta = Meta::new(self.store.allocate(Kind::Ticket)?, &self.user, self.now);
        let mut ticket = Ticket::new(meta, draft.account, subject, draft.priority);
        ticket.contact = draft.contact;
        ticket.description = validate::optional(draft.description.as_deref());
        ticket.queue = validate::optional(draft.queue.as_deref());
        ticket.category = validate::optional(draft.category.as_deref());
        if let Some(assignee) = validate::optional(draft.assignee.as_deref()) {
            ticket.assign(Some(assignee), &self.user, self.now, None);
        }
        self.store
            .commit(Commit::new(&self.user, self.now).put(ticket.clone()))?;
        Ok(ticket)
    }

    /// The ticket with `id`.
    pub fn ticket(&self, id: Id) -> Result<Ticket> {
        Ok(fetch!(self, id, Ticket))
    }

    /// Tickets matching `filter`, most urgent priority first, then oldest first.
    pub fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
        let candidates: Vec<Ticket> = match filter.account {
            Some(account) => {
                self.account(account)?;
                let ids = self
                    .store
                    .ids(&IndexScan::exact(Index::TicketAccount, account.to_string()))?;
                ids.into_iter()
                    .map(|id| self.ticket(id))
                    .collect::<Result<_>>()?
            }
            None => self
                .store
                .scan(Kind::Ticket)
                .filter_map(|r| match r {
                    Ok(Record::Ticket(t)) => Some(Ok(t)),
                    Ok(_) => None,
                    Err(e) => Some(Err(OpsError::from(e))),
                })
                .collect::<Result<_>>()?,
        };
        let mut tickets: Vec<Ticket> = candidates
            .into_iter()
            .filter(|t| filter.admits(t))
            .collect();
        tickets.sort_by(work_order);
        Ok(tickets)
    }

    fn save_ticket(&self, ticket: &Ticket) -> Result<()> {
        self.store
            .commit(Commit::new(&self.user, self.now).put(ticket.clone()))?;
        Ok(())
    }

    /// Takes a workflow step; an illegal one names the legal next steps and changes nothing.
    pub fn transition(&self, id: Id, action: Action, note: Option<String>) -> Result<Ticket> {
        let mut ticket = self.ticket(id)?;
        ticket
            .transition(
                action,
                &self.user,
                self.now,
                validate::optional(note.as_deref()),
            )
            .map_err(|source| OpsError::Illegal { id, source })?;
        self.save_ticket(&ticket)?;
        Ok(ticket)
    }

    /// Assigns a ticket to `to` (`None` unassigns). Taking an unassigned ticket, or one of
    /// one's own, is anyone's; moving another agent's ticket is a supervisor's.
    pub fn assign(&self, id: Id, to: Option<String>, note: Option<String>) -> Result<Ticket> {
        let mut ticket = self.ticket(id)?;
        let to = validate::optional(to.as_deref());
        if let Some(name) = &to
            && self.users_defined()?
            && self.find_user(name)?.is_none()
        {
            return Err(OpsError::UnknownUser(name.clone()));
        }
        if ticket
            .assignee
            .as_ref()
            .is_some_and(|a| !a.eq_ignore_ascii_case(&self.user))
        {
            self.require(Role::Supervisor, "reassigning another agent's ticket")?;
        }
        ticket.assign(
            to,
            &self.user,
            self.now,
            validate::optional(note.as_deref()),
        );
        self.save_ticket(&ticket)?;
        Ok(ticket)
    }

    /// Adds a comment; public ones are what the customer sees.
    pub fn comment(&self, id: Id, text: &str, public: bool) -> Result<Ticket> {
        let mut ticket = self.ticket(id)?;
        let text = validate::required("comment", text)?;
        ticket.comment(text, public, &self.user, self.now);
        self.save_ticket(&ticket)?;
        Ok(ticket)
    }

    /// Records a satisfaction score (1 to 5) on a resolved or closed ticket.
    pub fn rate(&self, id: Id, score: u8, comment: Option<String>) -> Result<Ticket> {
        let mut ticket = self.ticket(id)?;
        let csat = Csat {
            score,
            comment: validate::optional(comment.as_deref()),
        };
        ticket
            .rate(csat, &self.user, self.now)
            .map_err(|reason| Invalid::new("score", reason))?;
        self.save_ticket(&ticket)?;
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ops::testing::ops;

    fn setup() -> (Ops<'static>, Id) {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "Acme");
        (ops, a)
    }

    #[test]
    fn illegal_transition_is_refused_and_changes_nothing() {
        let (ops, a) = setup();
        let t = ops
            .new_ticket(TicketDraft::new(a, "Broken"))
            .unwrap()
            .meta
            .id;
        let err = ops.transition(t, Action::Escalate, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{t}: cannot escalate a ticket that is new")),
            "{err}"
        );
        assert_eq!(ops.ticket(t).unwrap().events.len(), 1);
    }

    #[test]
    fn every_step_lands_in_the_history_with_its_note() {
        let (ops, a) = setup();
        let t = ops
            .new_ticket(TicketDraft::new(a, "Broken"))
            .unwrap()
            .meta
            .id;
        ops.transition(t, Action::Open, None).unwrap();
        ops.assign(t, Some("bo".into()), Some("billing expert".into()))
            .unwrap();
        ops.comment(t, "called back", true).unwrap();
        ops.transition(t, Action::Escalate, Some("needs tier 2".into()))
            .unwrap();
        let ticket = ops.ticket(t).unwrap();
        assert_eq!(ticket.status, Status::Escalated);
        assert_eq!(ticket.events.len(), 5);
        assert_eq!(ticket.events[4].note.as_deref(), Some("needs tier 2"));
        assert_eq!(ticket.assignee.as_deref(), Some("bo"));
    }

    #[test]
    fn tickets_list_by_priority_then_age_with_filters() {
        let (ops, a) = setup();
        let low = ops
            .new_ticket(TicketDraft {
                priority: Priority::Low,
                ..TicketDraft::new(a, "low")
            })
            .unwrap();
        let urgent = ops
            .new_ticket(TicketDraft {
                priority: Priority::Urgent,
                ..TicketDraft::new(a, "urgent")
            })
            .unwrap();
        let normal = ops.new_ticket(TicketDraft::new(a, "normal")).unwrap();
        let ids: Vec<Id> = ops
            .tickets(&TicketFilter::default())
            .unwrap()
            .iter()
            .map(|t| t.meta.id)
            .collect();
        assert_eq!(ids, [urgent.meta.id, normal.meta.id, low.meta.id]);
        ops.transition(normal.meta.id, Action::Open, None).unwrap();
        let open = TicketFilter {
            statuses: vec![Status::Open],
            ..Default::default()
        };
        assert_eq!(ops.tickets(&open).unwrap().len(), 1);
    }

    #[test]
    fn csat_needs_a_resolved_ticket() {
        let (ops, a) = setup();
        let t = ops.new_ticket(TicketDraft::new(a, "x")).unwrap().meta.id;
        assert!(matches!(ops.rate(t, 5, None), Err(OpsError::Invalid(_))));
        ops.transition(t, Action::Open, None).unwrap();
        ops.transition(t, Action::Resolve, None).unwrap();
        assert_eq!(
            ops.rate(t, 4, Some("quick".into()))
                .unwrap()
                .csat
                .unwrap()
                .score,
            4
        );
    }
}
