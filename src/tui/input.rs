//! The input thread: reads terminal events and passes on key presses (not releases or
//! repeats, which some platforms also send) as the project's own keys, and resizes.

use super::Event;
use crate::app::{Key, KeyCode, Mods};
use ratatui::crossterm::event::{self, KeyEventKind, KeyModifiers};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

/// Converts a terminal key event; `None` for keys the TUI has no use for.
pub fn key(event: event::KeyEvent) -> Option<Key> {
    use event::KeyCode as C;
    let mut mods = Mods {
        ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        alt: event.modifiers.contains(KeyModifiers::ALT),
        shift: event.modifiers.contains(KeyModifiers::SHIFT),
    };
    let code = match event.code {
        C::Char(c) => KeyCode::Char(c),
        C::Enter => KeyCode::Enter,
        C::Esc => KeyCode::Esc,
        C::Tab => KeyCode::Tab,
        C::BackTab => {
            mods.shift = true;
            KeyCode::Tab
        }
        C::Backspace => KeyCode::Backspace,
        C::Delete => KeyCode::Delete,
        C::Insert => KeyCode::Insert,
        C::Left => KeyCode::Left,
        C::Right => KeyCode::Right,
        C::Up => KeyCode::Up,
        C::Down => KeyCode::Down,
        C::Home => KeyCode::Home,
        C::End => KeyCode::End,
        C::PageUp => KeyCode::PageUp,
        C::PageDown => KeyCode::PageDown,
        C::F(n) => KeyCode::F(n),
        _ => return None,
    };
    Some(Key::new(code, mods))
}

/// Starts the thread; it stops when `stop` is set or the receiver is gone.
pub fn spawn(tx: Sender<Event>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("rapport-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let ready = match event::poll(Duration::from_millis(100)) {
                    Ok(ready) => ready,
                    Err(e) => {
                        let _ = tx.send(Event::InputFailed(e.to_string()));
                        return;
                    }
                };
                if !ready {
                    continue;
                }
                let sent = match event::read() {
                    Ok(event::Event::Key(k)) if k.kind == KeyEventKind::Press => match key(k) {
                        Some(k) => tx.send(Event::Key(k)),
                        None => Ok(()),
                    },
                    Ok(event::Event::Resize(..)) => tx.send(Event::Resize),
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let _ = tx.send(Event::InputFailed(e.to_string()));
                        return;
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        })
        .expect("spawning the input thread")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode as C, KeyEvent};

    #[test]
    fn terminal_keys_become_normalised_keys() {
        let cases = [
            (
                KeyEvent::new(C::BackTab, KeyModifiers::SHIFT),
                Key::shift(KeyCode::Tab),
            ),
            (
                KeyEvent::new(C::Char('s'), KeyModifiers::CONTROL),
                Key::ctrl('s'),
            ),
            (
                KeyEvent::new(C::Char('R'), KeyModifiers::SHIFT),
                Key::char('R'),
            ),
            (
                KeyEvent::new(C::Char('张'), KeyModifiers::NONE),
                Key::char('张'),
            ),
            (
                KeyEvent::new(C::Esc, KeyModifiers::NONE),
                Key::plain(KeyCode::Esc),
            ),
        ];
        for (event, want) in cases {
            assert_eq!(key(event), Some(want), "{event:?}");
        }
        assert_eq!(key(KeyEvent::new(C::CapsLock, KeyModifiers::NONE)), None);
    }
}
