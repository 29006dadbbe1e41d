//! Moving a selection through a list: one rule for every list pane.

use super::command::Cmd;

/// How far page moves go; views show at least this much at 80x24.
pub const PAGE: usize = 10;

/// The index selected after `cmd` in a list of `len` items, from `selected`. Moves stop at the
/// ends instead of wrapping, so holding a key never jumps back to the top.
pub fn step(selected: usize, len: usize, cmd: Cmd) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    let selected = selected.min(last);
    match cmd {
        Cmd::Down => (selected + 1).min(last),
        Cmd::Up => selected.saturating_sub(1),
        Cmd::PageDown => (selected + PAGE).min(last),
        Cmd::PageUp => selected.saturating_sub(PAGE),
        Cmd::First => 0,
        Cmd::Last => last,
        _ => selected,
    }
}

/// True for the commands [`step`] understands.
pub fn is_move(cmd: Cmd) -> bool {
    matches!(
        cmd,
        Cmd::Down | Cmd::Up | Cmd::PageDown | Cmd::PageUp | Cmd::First | Cmd::Last
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stop_at_the_ends() {
        let cases = [
            (0, 3, Cmd::Up, 0),
            (0, 3, Cmd::Down, 1),
            (2, 3, Cmd::Down, 2),
            (1, 30, Cmd::PageDown, 11),
            (25, 30, Cmd::PageDown, 29),
            (5, 30, Cmd::PageUp, 0),
            (5, 30, Cmd::Last, 29),
            (5, 30, Cmd::First, 0),
            (7, 0, Cmd::Down, 0),
            (9, 3, Cmd::Up, 1),
        ];
        for (from, len, cmd, want) in cases {
            assert_eq!(step(from, len, cmd), want, "{from} {len} {cmd:?}");
        }
    }
}
