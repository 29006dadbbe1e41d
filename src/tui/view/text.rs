//! Text measured in terminal cells: truncation, padding and wrapping that count wide (CJK)
//! characters as two cells, and where a text cursor lands after wrapping.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cells `text` takes.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `text` cut to at most `max` cells, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` cut or padded with spaces to exactly `cells` cells.
pub fn fit(text: &str, cells: usize) -> String {
    let mut out = truncate(text, cells);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

/// The first line of `text`, for one-line summaries.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `text` wrapped at `cells` cells per row (breaking inside words only when one does not
/// fit), and the (row, column in cells) where the byte offset `cursor` lands.
pub fn wrap(text: &str, cells: usize, cursor: usize) -> (Vec<String>, (usize, usize)) {
    let cells = cells.max(1);
    let mut rows: Vec<String> = Vec::new();
    let mut at = (0, 0);
    let mut offset = 0;
    for line in text.split('\n') {
        let mut row = String::new();
        let mut used = 0;
        // Break points: after each space, so words stay whole when they can.
        let mut last_space: Option<(usize, usize)> = None; // (byte in row, cells used)
        for (i, c) in line.char_indices() {
            let w = char_width(c);
            if used + w > cells {
                match last_space.filter(|(b, _)| *b > 0 && *b < row.len()) {
                    Some((b, u)) => {
                        let rest = row.split_off(b);
                        rows.push(std::mem::replace(&mut row, rest));
                        used -= u;
                    }
                    None => {
                        rows.push(std::mem::take(&mut row));
                        used = 0;
                    }
                }
                last_space = None;
            }
            if offset + i == cursor {
                at = (rows.len(), used);
            }
            row.push(c);
            used += w;
            if c == ' ' {
                last_space = Some((row.len(), used));
            }
        }
        if offset + line.len() == cursor {
            if used >= cells {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
            at = (rows.len(), used);
        }
        rows.push(row);
        offset += line.len() + 1;
    }
    (rows, at)
}

/// For a one-line field `cells` wide: the visible slice of `text` and the cursor's column,
/// scrolled so the cursor shows.
pub fn scroll_line(text: &str, cursor: usize, cells: usize) -> (String, usize) {
    let cells = cells.max(1);
    let before = width(&text[..cursor.min(text.len())]);
    if before < cells {
        return (truncate_plain(text, cells), before);
    }
    // Drop characters from the start until the cursor fits, leaving room for it.
    let mut skip = 0;
    let mut dropped = 0;
    for (i, c) in text.char_indices() {
        if before - dropped < cells {
            skip = i;
            break;
        }
        dropped += char_width(c);
        skip = i + c.len_utf8();
    }
    let visible = &text[skip..];
    (truncate_plain(visible, cells), before - dropped)
}

/// `text` cut to `cells` without an ellipsis.
fn truncate_plain(text: &str, cells: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice() {
        assert_eq!(width("张伟"), 4);
        assert_eq!(truncate("张伟伟伟", 5), "张伟…");
        assert_eq!(fit("张", 3), "张 ");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 0), "");
    }

    #[test]
    fn wrapping_keeps_words_and_finds_the_cursor() {
        let (rows, at) = wrap("hello big world", 10, 15);
        assert_eq!(rows, ["hello big ", "world"]);
        assert_eq!(at, (1, 5));
        let (rows, at) = wrap("ab\ncd", 10, 3);
        assert_eq!(rows, ["ab", "cd"]);
        assert_eq!(at, (1, 0));
        let (rows, at) = wrap("", 10, 0);
        assert_eq!((rows.len(), at), (1, (0, 0)));
        let (rows, _) = wrap("abcdefghij", 4, 0);
        assert_eq!(rows, ["abcd", "efgh", "ij"]);
        let (rows, at) = wrap("abcd", 4, 4);
        assert_eq!(
            (rows.len(), at),
            (2, (1, 0)),
            "cursor after a full row wraps"
        );
    }

    #[test]
    fn long_lines_scroll_to_show_the_cursor() {
        assert_eq!(scroll_line("abc", 3, 10), ("abc".into(), 3));
        let (shown, col) = scroll_line("abcdefghij", 10, 5);
        assert_eq!((shown.as_str(), col), ("ghij", 4));
    }
}
