//! Records, ids, validation and the ticket state machine. Pure: no I/O, no clock (time is passed
//! in), no storage, no terminal.

pub mod article;
pub mod audit;
pub mod choice;
pub mod id;
pub mod record;
pub mod sla;
pub mod stamped;
pub mod ticket;
pub mod validate;

pub use choice::Choice;
pub use id::{Id, Kind};
pub use record::{Account, Contact, Interaction, Meta, Record, User};
pub use ticket::Ticket;
