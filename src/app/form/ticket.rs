//! The new-ticket form: subject (where the cursor starts), priority, contact, queue and a
//! multi-line description.

use super::{FormState, cycle_choice, cycle_index};
use crate::app::msg::TicketRequest;
use crate::app::text::TextInput;
use crate::domain::ticket::Priority;
use crate::domain::validate;
use crate::domain::{Account, Contact, Id};

/// The fields of the new-ticket form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketField {
    Subject,
    Priority,
    Contact,
    Queue,
    Description,
}

impl TicketField {
    /// Every field, in order.
    pub const ALL: [TicketField; 5] = [
        TicketField::Subject,
        TicketField::Priority,
        TicketField::Contact,
        TicketField::Queue,
        TicketField::Description,
    ];

    /// True for fields picked from a list.
    pub fn is_choice(self) -> bool {
        matches!(self, TicketField::Priority | TicketField::Contact)
    }

    /// The label shown before the field.
    pub fn label(self) -> &'static str {
        match self {
            TicketField::Subject => "Subject",
            TicketField::Priority => "Priority",
            TicketField::Contact => "Contact",
            TicketField::Queue => "Queue",
            TicketField::Description => "Description",
        }
    }
}

/// The ticket being opened.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketForm {
    pub account: Id,
    pub account_name: String,
    pub subject: TextInput,
    pub priority: Priority,
    pub contacts: Vec<(Id, String)>,
    pub contact: Option<usize>,
    pub queue: TextInput,
    pub description: TextInput,
    pub focus: TicketField,
    pub state: FormState,
}

impl TicketForm {
    /// A blank normal-priority ticket for `account`, about its main contact.
    pub fn new(account: &Account, contacts: &[Contact]) -> TicketForm {
        TicketForm {
            account: account.meta.id,
            account_name: account.name.clone(),
            subject: TextInput::new(),
            priority: Priority::Normal,
            contacts: contacts
                .iter()
                .map(|c| (c.meta.id, c.name.clone()))
                .collect(),
            contact: super::call::main_contact(contacts),
            queue: TextInput::new(),
            description: TextInput::multiline(),
            focus: TicketField::Subject,
            state: FormState::default(),
        }
    }

    /// The text input behind a typed field.
    pub fn text_mut(&mut self, field: TicketField) -> Option<&mut TextInput> {
        match field {
            TicketField::Subject => Some(&mut self.subject),
            TicketField::Queue => Some(&mut self.queue),
            TicketField::Description => Some(&mut self.description),
            _ => None,
        }
    }

    /// Picks the next (or previous) value of the focused list field.
    pub fn cycle(&mut self, forward: bool) {
        match self.focus {
            TicketField::Priority => self.priority = cycle_choice(self.priority, forward),
            TicketField::Contact => {
                let n = self.contacts.len() + 1;
                let index = self.contact.map_or(0, |i| i + 1);
                self.contact = cycle_index(index, n, forward).checked_sub(1);
            }
            _ => {}
        }
    }

    /// True when something was typed that Esc would throw away.
    pub fn is_dirty(&self) -> bool {
        [&self.subject, &self.queue, &self.description]
            .iter()
            .any(|t| !t.text().trim().is_empty())
    }

    /// The ticket to open, or why the form cannot be saved.
    pub fn draft(&self) -> Result<TicketRequest, String> {
        let subject =
            validate::required("subject", self.subject.text()).map_err(|e| e.to_string())?;
        Ok(TicketRequest {
            account: self.account,
            subject,
            description: validate::optional(Some(self.description.text())),
            priority: self.priority,
            contact: self.contact.and_then(|i| self.contacts.get(i)).map(|c| c.0),
            queue: validate::optional(Some(self.queue.text())),
        })
    }
}
