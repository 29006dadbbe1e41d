//! The forms: logging a call and opening a ticket. Each form lists its fields in order; a
//! field is either typed into or picked from a list, and the focused one decides which
//! bindings apply (input or choice).

pub mod call;
pub mod ticket;

pub use call::{CallField, CallForm, TicketLink};
pub use ticket::{TicketField, TicketForm};

use super::msg::RequestId;
use super::text::TextInput;
use crate::domain::Choice;

/// An open form.
#[derive(Clone, Debug, PartialEq)]
pub enum Form {
    Call(Box<CallForm>),
    Ticket(Box<TicketForm>),
}

/// What every form has besides its fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormState {
    /// Why the last save was refused.
    pub error: Option<String>,
    /// The save request in flight; the form stays open until it is answered.
    pub saving: Option<RequestId>,
    /// Esc was pressed once on a form with something typed in it; a second Esc discards.
    pub confirm_discard: bool,
}

impl Form {
    /// The common state.
    pub fn state(&self) -> &FormState {
        match self {
            Form::Call(f) => &f.state,
            Form::Ticket(f) => &f.state,
        }
    }

    /// The common state, to change.
    pub fn state_mut(&mut self) -> &mut FormState {
        match self {
            Form::Call(f) => &mut f.state,
            Form::Ticket(f) => &mut f.state,
        }
    }

    /// The focused text field, if the focused field is typed into.
    pub fn focused_text(&mut self) -> Option<&mut TextInput> {
        match self {
            Form::Call(f) => f.text_mut(f.focus),
            Form::Ticket(f) => f.text_mut(f.focus),
        }
    }

    /// True when the focused field picks from a list.
    pub fn focus_is_choice(&self) -> bool {
        match self {
            Form::Call(f) => f.focus.is_choice(),
            Form::Ticket(f) => f.focus.is_choice(),
        }
    }

    /// Moves the focus to the next (or previous) field, wrapping.
    pub fn move_focus(&mut self, forward: bool) {
        match self {
            Form::Call(f) => f.focus = cycle(&f.fields(), f.focus, forward),
            Form::Ticket(f) => f.focus = cycle(&TicketField::ALL, f.focus, forward),
        }
    }

    /// Picks the next (or previous) value of the focused list field.
    pub fn cycle_choice(&mut self, forward: bool) {
        match self {
            Form::Call(f) => f.cycle(forward),
            Form::Ticket(f) => f.cycle(forward),
        }
    }

    /// True when something was typed or picked that Esc would throw away.
    pub fn is_dirty(&self) -> bool {
        match self {
            Form::Call(f) => f.is_dirty(),
            Form::Ticket(f) => f.is_dirty(),
        }
    }
}

/// The item after (or before) `current` in `items`, wrapping.
pub fn cycle<T: Copy + PartialEq>(items: &[T], current: T, forward: bool) -> T {
    let Some(i) = items.iter().position(|x| *x == current) else {
        return items.first().copied().unwrap_or(current);
    };
    let n = items.len();
    items[if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }]
}

/// The next (or previous) value of a closed set, wrapping.
pub fn cycle_choice<C: Choice + PartialEq>(current: C, forward: bool) -> C {
    cycle(C::ALL, current, forward)
}

/// An index into a list of `n` options, moved forward or back, wrapping.
pub fn cycle_index(index: usize, n: usize, forward: bool) -> usize {
    if n == 0 {
        return 0;
    }
    if forward {
        (index + 1) % n
    } else {
        (index + n - 1) % n
    }
}
