//! Key notation in keymap files: `ctrl-s`, `shift-tab`, `alt-b`, `?`, `R`, `esc`, `f1`,
//! `space`. Modifier and key names are case-insensitive; a single character is itself.

use crate::app::{Key, KeyCode, Mods};

/// The examples quoted when a key cannot be read.
const EXAMPLES: &str = "keys look like ctrl-s, shift-tab, alt-b, ?, R, esc, enter, f1, space";

fn named(name: &str) -> Option<KeyCode> {
    Some(match name.to_ascii_lowercase().as_str() {
        "enter" | "return" | "ret" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backspace" | "bs" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "minus" => KeyCode::Char('-'),
        other => {
            let n: u8 = other.strip_prefix('f')?.parse().ok()?;
            if !(1..=24).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    })
}

/// Reads a key written in keymap notation.
pub fn parse(text: &str) -> Result<Key, String> {
    let bad = |why: &str| format!("malformed key '{text}': {why}; {EXAMPLES}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(bad("a control character is written ctrl-LETTER"));
        }
        return Ok(Key::char(c));
    }
    // `ctrl--` is ctrl with the minus key.
    let (mods_part, key_part) = match text.strip_suffix("--") {
        Some(mods) => (Some(mods), "-"),
        None => match text.rsplit_once('-') {
            Some((mods, key)) => (Some(mods), key),
            None => (None, text),
        },
    };
    let mut mods = Mods::default();
    if let Some(mods_part) = mods_part {
        for m in mods_part.split('-') {
            let flag = match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => &mut mods.ctrl,
                "alt" | "meta" => &mut mods.alt,
                "shift" => &mut mods.shift,
                "" => return Err(bad("a modifier is missing between dashes")),
                other => {
                    return Err(bad(&format!(
                        "'{other}' is not a modifier (ctrl, alt, shift)"
                    )));
                }
            };
            if *flag {
                return Err(bad(&format!("'{m}' is given twice")));
            }
            *flag = true;
        }
    }
    let mut key_chars = key_part.chars();
    let code = match (key_chars.next(), key_chars.next()) {
        (Some(c), None) => {
            if mods.shift && c.is_alphabetic() {
                // shift-r is R.
                mods.shift = false;
                KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
            } else {
                KeyCode::Char(c)
            }
        }
        (None, _) => return Err(bad("the key is missing after the modifiers")),
        _ => named(key_part).ok_or_else(|| bad(&format!("'{key_part}' is not a key name")))?,
    };
    if mods.shift && matches!(code, KeyCode::Char(_)) {
        return Err(bad(
            "write the shifted character itself (? rather than shift-/)",
        ));
    }
    Ok(Key::new(code, mods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_back_table() {
        let cases = [
            ("ctrl-s", Key::ctrl('s'), "ctrl-s"),
            ("Ctrl-S", Key::ctrl('s'), "ctrl-s"),
            ("shift-tab", Key::shift(KeyCode::Tab), "shift-tab"),
            ("?", Key::char('?'), "?"),
            ("/", Key::char('/'), "/"),
            ("R", Key::char('R'), "R"),
            ("shift-r", Key::char('R'), "R"),
            ("esc", Key::plain(KeyCode::Esc), "esc"),
            ("Escape", Key::plain(KeyCode::Esc), "esc"),
            ("f1", Key::plain(KeyCode::F(1)), "f1"),
            ("space", Key::char(' '), "space"),
            ("-", Key::char('-'), "minus"),
            ("ctrl--", Key::ctrl('-'), "ctrl-minus"),
            ("alt-b", Key::alt('b'), "alt-b"),
            ("pagedown", Key::plain(KeyCode::PageDown), "pagedown"),
            ("张", Key::char('张'), "张"),
        ];
        for (text, key, shown) in cases {
            assert_eq!(parse(text), Ok(key), "{text}");
            assert_eq!(key.to_string(), shown);
            assert_eq!(parse(shown), Ok(key), "{shown} reads back");
        }
    }

    #[test]
    fn malformed_keys_are_refused_with_examples() {
        for text in [
            "",
            "ctrl-",
            "hyper-x",
            "ctrl-ctrl-x",
            "foo",
            "f25",
            "shift-/",
            "ctrl--x",
            "-x",
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with("malformed key"), "{text}: {err}");
            assert!(err.contains("ctrl-s, shift-tab"), "{err}");
        }
    }
}
