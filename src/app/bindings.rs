//! The resolved key bindings the state machine looks keys up in: one command per key per
//! context. Built by [`crate::keymap`] from the keymap files; the state machine only reads it.

use super::command::{Cmd, Context};
use super::key::Key;
use std::collections::BTreeMap;

/// One key bound to one command in one context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    pub cmd: Cmd,
}

/// Every binding of the active keymap, keyed by (context, key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    map: BTreeMap<(Context, Key), Cmd>,
}

impl Bindings {
    /// No bindings at all.
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Binds `key` in `context` to `cmd`, returning the command it replaces.
    pub fn bind(&mut self, context: Context, key: Key, cmd: Cmd) -> Option<Cmd> {
        self.map.insert((context, key), cmd)
    }

    /// Removes a binding.
    pub fn unbind(&mut self, context: Context, key: Key) -> Option<Cmd> {
        self.map.remove(&(context, key))
    }

    /// The command `key` runs in `context`.
    pub fn get(&self, context: Context, key: Key) -> Option<Cmd> {
        self.map.get(&(context, key)).copied()
    }

    /// The first of `contexts` (in order) that binds `key`, and the command.
    pub fn resolve(&self, contexts: &[Context], key: Key) -> Option<Cmd> {
        contexts.iter().find_map(|c| self.get(*c, key))
    }

    /// The keys that run `cmd` in the first of `contexts` that binds it, for hints.
    pub fn keys_for(&self, contexts: &[Context], cmd: Cmd) -> Vec<Key> {
        for context in contexts {
            let keys: Vec<Key> = self
                .map
                .iter()
                .filter(|((c, _), bound)| c == context && **bound == cmd)
                .map(|((_, k), _)| *k)
                .collect();
            if !keys.is_empty() {
                return keys;
            }
        }
        Vec::new()
    }

    /// Every binding, by context (in help order), then key.
    pub fn all(&self) -> Vec<Binding> {
        let mut out: Vec<Binding> = self
            .map
            .iter()
            .map(|((context, key), cmd)| Binding {
                context: *context,
                key: *key,
                cmd: *cmd,
            })
            .collect();
        let order = |c: Context| Context::ALL.iter().position(|x| *x == c).unwrap_or(0);
        out.sort_by_key(|b| (order(b.context), b.cmd, b.key));
        out
    }

    /// How many bindings there are.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
