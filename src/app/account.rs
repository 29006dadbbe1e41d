//! The open account: its data as loaded, kept current as calls are logged and tickets change,
//! so that every step shows at once without reloading.

use super::msg::AccountData;
use crate::domain::ticket::work_order;
use crate::domain::{Id, Interaction, Ticket};

impl AccountData {
    /// The id of the account.
    pub fn id(&self) -> Id {
        self.account.meta.id
    }

    /// The tickets still needing work, in work order.
    pub fn open_tickets(&self) -> Vec<&Ticket> {
        self.tickets
            .iter()
            .filter(|t| t.status.is_active())
            .collect()
    }

    /// The ticket with `id`.
    pub fn ticket(&self, id: Id) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.meta.id == id)
    }

    /// Takes in a ticket that was opened or changed, keeping work order.
    pub fn put_ticket(&mut self, ticket: Ticket, sla: Option<crate::domain::sla::Sla>) {
        match sla {
            Some(sla) => self.sla.insert(ticket.meta.id, sla),
            None => self.sla.remove(&ticket.meta.id),
        };
        match self
            .tickets
            .iter_mut()
            .find(|t| t.meta.id == ticket.meta.id)
        {
            Some(old) => *old = ticket,
            None => self.tickets.push(ticket),
        }
        self.tickets.sort_by(work_order);
    }

    /// Takes in a logged interaction: into the history (newest first) and the last contact.
    pub fn put_interaction(&mut self, interaction: Interaction) {
        let at = interaction.started_at;
        if self.account.last_contact_at.is_none_or(|last| last < at) {
            self.account.last_contact_at = Some(at);
        }
        let position = self
            .history
            .iter()
            .position(|i| (i.started_at, i.meta.id) < (at, interaction.meta.id))
            .unwrap_or(self.history.len());
        self.history.insert(position, interaction);
    }
}
