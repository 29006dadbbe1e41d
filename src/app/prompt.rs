//! One-line prompts about a ticket: whom to assign it to, what to comment, and, once it is
//! resolved, how satisfied the customer is.

use super::text::TextInput;
use crate::domain::Id;

/// What a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// An agent's login name (blank unassigns).
    Assign,
    /// A public comment.
    Comment,
    /// A satisfaction score from 1 to 5, then an optional comment.
    Csat,
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
            PromptKind::Csat => format!("{} satisfaction 1-5: ", self.ticket),
        }
    }

    /// The line under the input.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            PromptKind::Csat => {
                "a score, then any words (4 quick fix) · enter records it · esc skips"
            }
            _ => "enter to confirm, esc to cancel",
        }
    }
}

/// Reads a satisfaction answer: a score from 1 to 5, then an optional comment.
pub fn csat(text: &str) -> Result<(u8, Option<String>), String> {
    let text = text.trim();
    let (score, comment) = match text.split_once(char::is_whitespace) {
        Some((score, comment)) => (score, Some(comment.trim().to_string())),
        None => (text, None),
    };
    match score.parse::<u8>() {
        Ok(n @ 1..=5) => Ok((n, comment.filter(|c| !c.is_empty()))),
        _ => Err(
            "type a score from 1 to 5 (then a comment if the customer gave one), or esc to skip"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csat_answers_table() {
        assert_eq!(csat("5"), Ok((5, None)));
        assert_eq!(csat(" 4  quick fix "), Ok((4, Some("quick fix".into()))));
        assert_eq!(
            csat("1 still broken\tsadly"),
            Ok((1, Some("still broken\tsadly".into())))
        );
        for bad in ["", "0", "6", "five", "4.5 ok", "-1"] {
            assert!(csat(bad).is_err(), "{bad:?}");
        }
    }
}
