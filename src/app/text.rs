//! Text being typed: the query line, form fields, prompts and multi-line notes, with readline
//! editing (ctrl-a/e, ctrl-u, ctrl-w, ctrl-k, word moves). The cursor is a byte offset that
//! always sits on a character boundary.

use super::command::Cmd;

/// An editable piece of text with a cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
    multiline: bool,
}

/// What an editing command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text or cursor changed (or could not move further).
    Done,
    /// The command makes no sense here (a line move on a one-line field): the caller decides.
    Pass,
}

impl TextInput {
    /// An empty one-line field.
    pub fn new() -> TextInput {
        TextInput::default()
    }

    /// An empty multi-line field.
    pub fn multiline() -> TextInput {
        TextInput {
            multiline: true,
            ..TextInput::default()
        }
    }

    /// A one-line field holding `text`, cursor at the end.
    pub fn with(text: &str) -> TextInput {
        let mut t = TextInput::new();
        t.set(text);
        t
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, as a byte offset into [`text`](Self::text).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// True for notes, where enter starts a new line.
    pub fn is_multiline(&self) -> bool {
        self.multiline
    }

    /// Replaces the text, cursor at the end.
    pub fn set(&mut self, text: &str) {
        self.text = if self.multiline {
            text.to_string()
        } else {
            text.replace(['\n', '\r'], " ")
        };
        self.cursor = self.text.len();
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Types a character at the cursor.
    pub fn insert(&mut self, c: char) {
        if c == '\n' && !self.multiline {
            return;
        }
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    fn prev_boundary(&self, from: usize) -> usize {
        self.text[..from]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, from: usize) -> usize {
        self.text[from..]
            .chars()
            .next()
            .map_or(from, |c| from + c.len_utf8())
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    /// The start of the word before the cursor (skipping blanks first), within the line.
    fn word_start(&self) -> usize {
        let start = self.line_start();
        let before = &self.text[start..self.cursor];
        let trimmed = before.trim_end_matches(|c: char| !c.is_alphanumeric());
        let word = trimmed
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        start + word
    }

    fn word_end(&self) -> usize {
        let end = self.line_end();
        let after = &self.text[self.cursor..end];
        let skipped = after.len()
            - after
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        let rest = &after[skipped..];
        let word = rest
            .char_indices()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(rest.len(), |(i, _)| i);
        self.cursor + skipped + word
    }

    /// (line, column in characters) of the cursor.
    pub fn cursor_line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor];
        let line = before.matches('\n').count();
        let col = before[self.line_start()..].chars().count();
        (line, col)
    }

    fn move_line(&mut self, down: bool) -> Edit {
        if !self.multiline {
            return Edit::Pass;
        }
        let (_, col) = self.cursor_line_col();
        let target_start = if down {
            let end = self.line_end();
            if end == self.text.len() {
                return Edit::Done;
            }
            end + 1
        } else {
            let start = self.line_start();
            if start == 0 {
                return Edit::Done;
            }
            self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1)
        };
        let line = &self.text[target_start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let offset = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        self.cursor = target_start + offset;
        Edit::Done
    }

    /// Applies an editing command (`edit.*`).
    pub fn edit(&mut self, cmd: Cmd) -> Edit {
        match cmd {
            Cmd::CharLeft => self.cursor = self.prev_boundary(self.cursor),
            Cmd::CharRight => self.cursor = self.next_boundary(self.cursor),
            Cmd::WordLeft => self.cursor = self.word_start(),
            Cmd::WordRight => self.cursor = self.word_end(),
            Cmd::LineStart => self.cursor = self.line_start(),
            Cmd::LineEnd => self.cursor = self.line_end(),
            Cmd::LineUp => return self.move_line(false),
            Cmd::LineDown => return self.move_line(true),
            Cmd::DeleteBack => {
                if self.cursor > 0 {
                    let from = self.prev_boundary(self.cursor);
                    self.text.replace_range(from..self.cursor, "");
                    self.cursor = from;
                }
            }
            Cmd::DeleteForward => {
                let to = self.next_boundary(self.cursor);
                self.text.replace_range(self.cursor..to, "");
            }
            Cmd::KillToStart => {
                let from = self.line_start();
                self.text.replace_range(from..self.cursor, "");
                self.cursor = from;
            }
            Cmd::KillToEnd => {
                let to = self.line_end();
                self.text.replace_range(self.cursor..to, "");
            }
            Cmd::KillWord => {
                let from = self.word_start();
                self.text.replace_range(from..self.cursor, "");
                self.cursor = from;
            }
            Cmd::Newline => {
                if !self.multiline {
                    return Edit::Pass;
                }
                self.insert('\n');
            }
            _ => return Edit::Pass,
        }
        Edit::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> TextInput {
        let mut t = TextInput::new();
        text.chars().for_each(|c| t.insert(c));
        t
    }

    #[test]
    fn readline_editing_table() {
        // (typed text, commands, expected text, expected cursor)
        let cases: &[(&str, &[Cmd], &str, usize)] = &[
            ("hello world", &[Cmd::KillWord], "hello ", 6),
            ("hello world  ", &[Cmd::KillWord], "hello ", 6),
            ("hello world", &[Cmd::KillToStart], "", 0),
            ("hello world", &[Cmd::LineStart, Cmd::KillToEnd], "", 0),
            ("hello", &[Cmd::LineStart, Cmd::DeleteForward], "ello", 0),
            ("hello", &[Cmd::DeleteBack, Cmd::DeleteBack], "hel", 3),
            ("ab", &[Cmd::LineStart, Cmd::CharRight], "ab", 1),
            ("one two", &[Cmd::WordLeft], "one two", 4),
            ("one two", &[Cmd::LineStart, Cmd::WordRight], "one two", 3),
            ("张伟 李", &[Cmd::CharLeft, Cmd::DeleteBack], "张伟李", 6),
            ("张伟", &[Cmd::KillWord], "", 0),
        ];
        for (text, cmds, want, cursor) in cases {
            let mut t = typed(text);
            for cmd in *cmds {
                t.edit(*cmd);
            }
            assert_eq!(
                (t.text(), t.cursor()),
                (*want, *cursor),
                "{text:?} {cmds:?}"
            );
        }
    }

    #[test]
    fn one_line_fields_pass_line_moves_and_newlines() {
        let mut t = typed("x");
        assert_eq!(t.edit(Cmd::LineUp), Edit::Pass);
        assert_eq!(t.edit(Cmd::Newline), Edit::Pass);
        t.insert('\n');
        assert_eq!(t.text(), "x");
    }

    #[test]
    fn notes_move_between_lines_by_column() {
        let mut t = TextInput::multiline();
        for c in "first line\nab\nthird".chars() {
            t.insert(c);
        }
        assert_eq!(t.cursor_line_col(), (2, 5));
        t.edit(Cmd::LineUp);
        assert_eq!(t.cursor_line_col(), (1, 2), "clamped to the shorter line");
        t.edit(Cmd::LineUp);
        assert_eq!(t.cursor_line_col(), (0, 2));
        t.edit(Cmd::KillToStart);
        assert_eq!(t.text(), "rst line\nab\nthird");
        t.edit(Cmd::LineDown);
        t.edit(Cmd::LineEnd);
        t.edit(Cmd::Newline);
        t.insert('z');
        assert_eq!(t.text(), "rst line\nab\nz\nthird");
    }
}
