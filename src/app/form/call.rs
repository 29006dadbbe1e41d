//! The call log form: prefilled with the account, its main contact, channel call, direction
//! inbound and the start time; a timer runs from the start until stopped and becomes the
//! duration unless one is typed. The cursor starts in the notes so the agent can type while
//! talking. A ticket can be linked, or opened with the call; a call whose outcome is
//! `resolved` resolves its ticket too, unless the agent says no.

use super::{FormState, cycle_choice, cycle_index};
use crate::app::msg::{LogDraft, TicketRequest};
use crate::app::text::TextInput;
use crate::domain::record::{Channel, Direction, Outcome};
use crate::domain::ticket::Priority;
use crate::domain::validate;
use crate::domain::{Contact, Id, Ticket};
use jiff::Timestamp;

/// The fields of the call log form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallField {
    Contact,
    Channel,
    Direction,
    Outcome,
    Duration,
    Ticket,
    NewTicketSubject,
    /// Whether a `resolved` call resolves its ticket.
    Resolve,
    Subject,
    Notes,
}

impl CallField {
    /// True for fields picked from a list.
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            CallField::Contact
                | CallField::Channel
                | CallField::Direction
                | CallField::Outcome
                | CallField::Ticket
                | CallField::Resolve
        )
    }

    /// The label shown before the field.
    pub fn label(self) -> &'static str {
        match self {
            CallField::Contact => "Contact",
            CallField::Channel => "Channel",
            CallField::Direction => "Direction",
            CallField::Outcome => "Outcome",
            CallField::Duration => "Duration",
            CallField::Ticket => "Ticket",
            CallField::NewTicketSubject => "New ticket",
            CallField::Resolve => "Resolve",
            CallField::Subject => "Subject",
            CallField::Notes => "Notes",
        }
    }
}

/// Which ticket the call is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketLink {
    None,
    /// One of the account's active tickets, by index into [`CallForm::tickets`].
    Existing(usize),
    /// A ticket opened with the call, about [`CallForm::new_ticket_subject`].
    New,
}

/// The call being logged.
#[derive(Clone, Debug, PartialEq)]
pub struct CallForm {
    pub account: Id,
    pub account_name: String,
    /// The account's contacts: (id, name).
    pub contacts: Vec<(Id, String)>,
    /// Index into `contacts`; `None` when nobody in particular.
    pub contact: Option<usize>,
    pub channel: Channel,
    pub direction: Direction,
    pub outcome: Outcome,
    pub started_at: Timestamp,
    /// When the timer was stopped; `None` while it runs.
    pub stopped_at: Option<Timestamp>,
    /// A duration typed by hand; blank means the timer's.
    pub duration: TextInput,
    /// The account's active tickets: (id, subject).
    pub tickets: Vec<(Id, String)>,
    pub ticket: TicketLink,
    pub new_ticket_subject: TextInput,
    /// With a `resolved` outcome, resolve the ticket too (the default).
    pub resolve: bool,
    pub subject: TextInput,
    pub notes: TextInput,
    pub focus: CallField,
    pub state: FormState,
}

/// The contact a call is most likely with: the first decision maker, else the first contact.
pub fn main_contact(contacts: &[Contact]) -> Option<usize> {
    contacts
        .iter()
        .position(|c| c.decision_maker)
        .or((!contacts.is_empty()).then_some(0))
}

impl CallForm {
    /// A form for a call to `account` starting `now`, linked to `ticket` when one is given.
    pub fn new(
        account: &crate::domain::Account,
        contacts: &[Contact],
        tickets: &[Ticket],
        selected_ticket: Option<Id>,
        now: Timestamp,
    ) -> CallForm {
        let tickets: Vec<(Id, String)> = tickets
            .iter()
            .filter(|t| t.status.is_active())
            .map(|t| (t.meta.id, t.subject.clone()))
            .collect();
        let ticket = selected_ticket
            .and_then(|id| tickets.iter().position(|(t, _)| *t == id))
            .map_or(TicketLink::None, TicketLink::Existing);
        CallForm {
            account: account.meta.id,
            account_name: account.name.clone(),
            contacts: contacts
                .iter()
                .map(|c| (c.meta.id, c.name.clone()))
                .collect(),
            contact: main_contact(contacts),
            channel: Channel::Call,
            direction: Direction::Inbound,
            outcome: Outcome::Answered,
            started_at: now,
            stopped_at: None,
            duration: TextInput::new(),
            tickets,
            ticket,
            new_ticket_subject: TextInput::new(),
            resolve: true,
            subject: TextInput::new(),
            notes: TextInput::multiline(),
            focus: CallField::Notes,
            state: FormState::default(),
        }
    }

    /// The fields shown, in order (the new ticket's subject only when opening one).
    pub fn fields(&self) -> Vec<CallField> {
        let mut fields = vec![
            CallField::Contact,
            CallField::Channel,
            CallField::Direction,
            CallField::Outcome,
            CallField::Duration,
            CallField::Ticket,
        ];
        if self.ticket == TicketLink::New {
            fields.push(CallField::NewTicketSubject);
        }
        if self.offers_resolve() {
            fields.push(CallField::Resolve);
        }
        fields.extend([CallField::Subject, CallField::Notes]);
        fields
    }

    /// The text input behind a typed field.
    pub fn text_mut(&mut self, field: CallField) -> Option<&mut TextInput> {
        match field {
            CallField::Duration => Some(&mut self.duration),
            CallField::NewTicketSubject => Some(&mut self.new_ticket_subject),
            CallField::Subject => Some(&mut self.subject),
            CallField::Notes => Some(&mut self.notes),
            _ => None,
        }
    }

    /// Picks the next (or previous) value of the focused list field.
    pub fn cycle(&mut self, forward: bool) {
        match self.focus {
            CallField::Contact => {
                // Options: nobody, then each contact.
                let n = self.contacts.len() + 1;
                let index = self.contact.map_or(0, |i| i + 1);
                let next = cycle_index(index, n, forward);
                self.contact = next.checked_sub(1);
            }
            CallField::Channel => self.channel = cycle_choice(self.channel, forward),
            CallField::Direction => self.direction = cycle_choice(self.direction, forward),
            CallField::Resolve => self.resolve = !self.resolve,
            CallField::Outcome => self.outcome = cycle_choice(self.outcome, forward),
            CallField::Ticket => {
                // Options: none, each active ticket, a new one.
                let n = self.tickets.len() + 2;
                let index = match self.ticket {
                    TicketLink::None => 0,
                    TicketLink::Existing(i) => i + 1,
                    TicketLink::New => n - 1,
                };
                let next = cycle_index(index, n, forward);
                self.ticket = match next {
                    0 => TicketLink::None,
                    i if i == n - 1 => TicketLink::New,
                    i => TicketLink::Existing(i - 1),
                };
            }
            _ => {}
        }
    }

    /// True when the call is about a ticket and its outcome is `resolved`: saving may resolve
    /// the ticket.
    pub fn offers_resolve(&self) -> bool {
        self.outcome == Outcome::Resolved && self.ticket != TicketLink::None
    }

    /// True when saving resolves the call's ticket.
    pub fn resolves(&self) -> bool {
        self.offers_resolve() && self.resolve
    }

    /// The ticket the call is about, by id, when it exists already.
    pub fn linked_ticket(&self) -> Option<Id> {
        match self.ticket {
            TicketLink::Existing(i) => self.tickets.get(i).map(|t| t.0),
            _ => None,
        }
    }

    /// Seconds on the timer at `now`.
    pub fn timer(&self, now: Timestamp) -> u32 {
        let end = self.stopped_at.unwrap_or(now);
        let secs = end.as_second() - self.started_at.as_second();
        u32::try_from(secs.max(0)).unwrap_or(u32::MAX)
    }

    /// Stops the timer at `now`, or lets it run again.
    pub fn toggle_timer(&mut self, now: Timestamp) {
        self.stopped_at = match self.stopped_at {
            Some(_) => None,
            None => Some(now),
        };
    }

    /// True when something was typed that Esc would throw away.
    pub fn is_dirty(&self) -> bool {
        [
            &self.notes,
            &self.subject,
            &self.duration,
            &self.new_ticket_subject,
        ]
        .iter()
        .any(|t| !t.text().trim().is_empty())
    }

    /// The call to log (and the ticket to open with it), or why the form cannot be saved.
    pub fn draft(&self, now: Timestamp) -> Result<(LogDraft, Option<TicketRequest>), String> {
        let duration = if self.duration.text().trim().is_empty() {
            self.timer(now)
        } else {
            validate::duration(self.duration.text()).map_err(|e| e.to_string())?
        };
        let contact = self.contact.and_then(|i| self.contacts.get(i)).map(|c| c.0);
        let mut new_ticket = None;
        let ticket = match self.ticket {
            TicketLink::None => None,
            TicketLink::Existing(i) => self.tickets.get(i).map(|t| t.0),
            TicketLink::New => {
                let subject = validate::required("new ticket", self.new_ticket_subject.text())
                    .map_err(|e| {
                        format!("{e}: type the new ticket's subject, or pick another ticket")
                    })?;
                new_ticket = Some(TicketRequest {
                    account: self.account,
                    subject,
                    description: validate::optional(Some(self.notes.text())),
                    priority: Priority::Normal,
                    contact,
                    queue: None,
                });
                None
            }
        };
        let log = LogDraft {
            account: self.account,
            contact,
            ticket,
            channel: self.channel,
            direction: self.direction,
            started_at: Some(self.started_at),
            duration,
            outcome: self.outcome,
            subject: validate::optional(Some(self.subject.text())),
            notes: validate::optional(Some(self.notes.text())),
        };
        Ok((log, new_ticket))
    }
}
