//! The help screen's state: a filter typed to narrow the list of bindings, and the scroll.

use super::bindings::{Binding, Bindings};
use super::text::TextInput;

/// The help screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelpState {
    pub filter: TextInput,
    /// The first line shown.
    pub scroll: usize,
}

impl HelpState {
    /// The bindings the filter admits (matching context, key, command name or doc line).
    pub fn rows(&self, bindings: &Bindings) -> Vec<Binding> {
        let filter = self.filter.text().trim().to_lowercase();
        bindings
            .all()
            .into_iter()
            .filter(|b| {
                filter.is_empty()
                    || [
                        b.context.name().to_string(),
                        b.key.to_string(),
                        b.cmd.name().to_string(),
                        b.cmd.doc().to_lowercase(),
                    ]
                    .iter()
                    .any(|s| s.contains(&filter))
            })
            .collect()
    }
}
