//! One-line prompts about the selected ticket: whom to assign it to, what to comment.

use super::text::TextInput;
use crate::domain::Id;

/// What a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// An agent's login name (blank unassigns).
    Assign,
    /// A public comment.
    Comment,
}

/// A prompt about a ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub ticket: Id,
    pub input: TextInput,
}

impl Prompt {
    /// An empty prompt of `kind` about `ticket`.
    pub fn new(kind: PromptKind, ticket: Id) -> Prompt {
        Prompt {
            kind,
            ticket,
            input: TextInput::new(),
        }
    }

    /// The question shown before the input.
    pub fn label(&self) -> String {
        match self.kind {
            PromptKind::Assign => format!("Assign {} to (blank unassigns): ", self.ticket),
            PromptKind::Comment => format!("Comment on {}: ", self.ticket),
        }
    }
}
