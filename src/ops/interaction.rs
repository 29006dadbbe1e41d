//! Interactions: logging a call (or any touch) and reading an account's history.

use super::{Ops, Result, fetch};
use crate::domain::record::{Channel, Direction, Interaction, Outcome};
use crate::domain::validate::{self, Invalid};
use crate::domain::{Id, Kind, Meta};
use crate::store::{Commit, Index, IndexScan, layout};
use jiff::Timestamp;

/// One touch to log.
#[derive(Debug, Clone)]
pub struct CallLog {
    pub account: Id,
    pub contact: Option<Id>,
    pub ticket: Option<Id>,
    pub channel: Channel,
    pub direction: Direction,
    /// When it started; by default the end (now) less the duration.
    pub started_at: Option<Timestamp>,
    pub duration: u32,
    pub outcome: Outcome,
    pub subject: Option<String>,
    pub notes: Option<String>,
    pub follow_up: Option<jiff::civil::Date>,
}

impl CallLog {
    /// An inbound answered call to `account` with nothing else filled in.
    pub fn call(account: Id) -> CallLog {
        CallLog {
            account,
            contact: None,
            ticket: None,
            channel: Channel::Call,
            direction: Direction::Inbound,
            started_at: None,
            duration: 0,
            outcome: Outcome::Answered,
            subject: None,
            notes: None,
            follow_up: None,
        }
    }
}

impl Ops<'_> {
    /// Logs an interaction and moves the account's last contact forward, in one commit.
    pub fn log(&self, log: CallLog) -> Result<Interaction> {
        let mut account = self.account(log.account)?;
        if let Some(contact) = log.contact {
            let c = self.contact(contact)?;
            if c.account != log.account {
                return Err(Invalid::new(
                    "contact",
                    format!("{contact} belongs to {}, not {}", c.account, log.account),
                )
                .into());
            }
        }
        let ticket = match log.ticket {
            Some(id) => {
                let t = self.ticket(id)?;
                if t.account != log.account {
                    let reason = format!("{id} belongs to {}, not {}", t.account, log.account);
                    return Err(Invalid::new("ticket", reason).into());
                }
                Some(t)
            }
            None => None,
        };
        let started_at = match log.started_at {
            Some(at) => at,
            None => self
                .now
                .checked_sub(jiff::SignedDuration::from_secs(log.duration.into()))
                .map_err(|e| Invalid::new("duration", e.to_string()))?,
        };
        let meta = Meta::new(
            self.store.allocate(Kind::Interaction)?,
            &self.user,
            self.now,
        );
        let interaction = Interaction {
            meta,
            account: log.account,
            contact: log.contact,
            ticket: log.ticket,
            channel: log.channel,
            direction: log.direction,
            started_at,
            duration: log.duration,
            outcome: log.outcome,
            agent: self.user.clone(),
            subject: validate::optional(log.subject.as_deref()),
            notes: validate::optional(log.notes.as_deref()),
            follow_up: log.follow_up,
            external_id: None,
        };
        let mut commit = Commit::new(&self.user, self.now).put(interaction.clone());
        if let Some(mut ticket) = ticket
            && log.direction == Direction::Outbound
            && ticket.first_response_at.is_none()
        {
            // An outbound call or email about the ticket is its first response.
            ticket.responded(started_at);
            ticket.meta.touch(&self.user, self.now);
            commit = commit.put(ticket);
        }
        if account.last_contact_at.is_none_or(|last| last < started_at) {
            account.last_contact_at = Some(started_at);
            account.meta.touch(&self.user, self.now);
            commit = commit.put(account);
        }
        self.store.commit(commit)?;
        Ok(interaction)
    }

    /// The interaction with `id`.
    pub fn interaction(&self, id: Id) -> Result<Interaction> {
        Ok(fetch!(self, id, Interaction))
    }

    /// An account's interactions, newest first, at most `limit`.
    pub fn history(&self, account: Id, limit: Option<usize>) -> Result<Vec<Interaction>> {
        self.account(account)?;
        let mut scan =
            IndexScan::prefix(Index::InteractionAccount, layout::interactions_of(account))
                .newest_first();
        scan.limit = limit;
        let ids = self.store.ids(&scan)?;
        ids.into_iter().map(|id| self.interaction(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::ops;
    use crate::ops::{AccountDraft, OpsError};

    #[test]
    fn logging_a_call_moves_last_contact_and_history_is_newest_first() {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "Acme");
        let mut first = CallLog::call(a);
        first.started_at = Some("2026-01-01T09:00:00Z".parse().unwrap());
        ops.log(first).unwrap();
        let mut second = CallLog::call(a);
        second.duration = 270;
        let second = ops.log(second).unwrap();
        assert_eq!(
            second.started_at,
            ops.now
                .checked_sub(jiff::SignedDuration::from_secs(270))
                .unwrap()
        );
        let history = ops.history(a, None).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].meta.id, second.meta.id);
        assert_eq!(
            ops.account(a).unwrap().last_contact_at,
            Some(second.started_at)
        );
    }

    #[test]
    fn history_of_one_account_does_not_include_another() {
        let ops = ops();
        let a1 = crate::ops::testing::account(&ops, "One");
        // A-1 is a prefix of A-10: the index must not confuse them.
        for _ in 0..9 {
            ops.add_account(AccountDraft {
                name: "x".into(),
                ..Default::default()
            })
            .unwrap();
        }
        let a10 = Id::new(Kind::Account, 10);
        ops.log(CallLog::call(a10)).unwrap();
        assert!(ops.history(a1, None).unwrap().is_empty());
        assert_eq!(ops.history(a10, None).unwrap().len(), 1);
    }

    #[test]
    fn an_outbound_interaction_on_a_ticket_is_its_first_response() {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "A");
        let t = ops
            .new_ticket(crate::ops::TicketDraft::new(a, "x"))
            .unwrap()
            .meta
            .id;
        let mut inbound = CallLog::call(a);
        inbound.ticket = Some(t);
        ops.log(inbound).unwrap();
        assert_eq!(ops.ticket(t).unwrap().first_response_at, None);
        let mut outbound = CallLog::call(a);
        outbound.ticket = Some(t);
        outbound.direction = Direction::Outbound;
        let call = ops.log(outbound).unwrap();
        assert_eq!(
            ops.ticket(t).unwrap().first_response_at,
            Some(call.started_at)
        );
    }

    #[test]
    fn a_contact_of_another_account_is_refused() {
        let ops = ops();
        let a = crate::ops::testing::account(&ops, "A");
        let b = crate::ops::testing::account(&ops, "B");
        let c = ops
            .add_contact(crate::ops::ContactDraft {
                account: b,
                name: "Cy".into(),
                ..Default::default()
            })
            .unwrap();
        let mut log = CallLog::call(a);
        log.contact = Some(c.meta.id);
        assert!(matches!(ops.log(log), Err(OpsError::Invalid(_))));
    }
}
