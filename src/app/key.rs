//! The keys the TUI reacts to, in the project's own terms (not the terminal library's), so that
//! the state machine and the keymaps can be tested without a terminal.
//!
//! Keys are normalised so that one physical key has one spelling: a shifted character is the
//! character itself (`R`, not `shift-r`), `ctrl` with a letter is the lower-case letter, and
//! back-tab is `shift-tab`.

use std::fmt;

/// A key without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    /// A function key, F1 to F24.
    F(u8),
}

/// Modifier keys held with a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// A key with its modifiers, normalised (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub mods: Mods,
}

impl Key {
    /// A key with the given modifiers, normalised.
    pub fn new(code: KeyCode, mods: Mods) -> Key {
        let mut key = Key { code, mods };
        if let KeyCode::Char(c) = code {
            // A character already says whether shift was held (`R` versus `r`).
            key.mods.shift = false;
            if key.mods.ctrl && c.is_ascii_alphabetic() {
                key.code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        key
    }

    /// A key pressed alone.
    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, Mods::default())
    }

    /// A character typed alone.
    pub fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// `ctrl` with a character.
    pub fn ctrl(c: char) -> Key {
        Key::new(
            KeyCode::Char(c),
            Mods {
                ctrl: true,
                ..Mods::default()
            },
        )
    }

    /// `alt` with a character.
    pub fn alt(c: char) -> Key {
        Key::new(
            KeyCode::Char(c),
            Mods {
                alt: true,
                ..Mods::default()
            },
        )
    }

    /// `shift` with a key that is not a character (`shift-tab`).
    pub fn shift(code: KeyCode) -> Key {
        Key::new(
            code,
            Mods {
                shift: true,
                ..Mods::default()
            },
        )
    }

    /// The character this key types into a text field, if it types one.
    pub fn typed_char(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.mods.ctrl && !self.mods.alt && !c.is_control() => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for KeyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char('-') => f.write_str("minus"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::F(n) => write!(f, "f{n}"),
        }
    }
}

/// Written the way keymaps spell keys: `ctrl-s`, `shift-tab`, `alt-b`, `?`, `esc`.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        write!(f, "{}", self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_characters_are_the_character_itself() {
        let shifted = Key::new(
            KeyCode::Char('R'),
            Mods {
                shift: true,
                ..Mods::default()
            },
        );
        assert_eq!(shifted, Key::char('R'));
        assert_eq!(shifted.to_string(), "R");
    }

    #[test]
    fn ctrl_letters_are_lower_case() {
        let key = Key::new(
            KeyCode::Char('S'),
            Mods {
                ctrl: true,
                shift: true,
                alt: false,
            },
        );
        assert_eq!(key, Key::ctrl('s'));
        assert_eq!(key.to_string(), "ctrl-s");
    }

    #[test]
    fn only_plain_characters_type() {
        assert_eq!(Key::char('张').typed_char(), Some('张'));
        assert_eq!(Key::ctrl('a').typed_char(), None);
        assert_eq!(Key::plain(KeyCode::Enter).typed_char(), None);
        assert_eq!(Key::shift(KeyCode::Tab).to_string(), "shift-tab");
    }
}
