//! The fuzzy score of fuzzy-matcher's skim algorithm (`SkimMatcherV2::fuzzy_match`), as a
//! matcher made afresh for each key computes it.
//!
//! `SkimMatcherV2` keeps its score matrix from one call to the next, and a consecutive match
//! reads a bonus from a cell of it that the call does not reset: a key's score then depends on
//! the keys the same thread scored before it (skim-rs/skim#1071). Out of 2,000,000 random pairs
//! of short keys, 487 scored differently after another key than alone. The same query could
//! then rank the same accounts differently from one search to the next, and the fast path of
//! [`super::index`] unlike the plain one, which scores keys in another order. [`Scorer`] runs
//! the crate's computation step for step (the same dynamic programme over two rows, the same
//! scores, bonuses and case rule) on buffers it starts afresh for each key, which gives a new
//! matcher's score every time; the tests check it against one on random keys. Its buffers are
//! its caller's, so that a walk over a million accounts allocates nothing for them.

const SCORE_MATCH: i32 = 16;
const GAP_START: i32 = -3;
const GAP_EXTENSION: i32 = -1;
const BONUS_FIRST_CHAR_MULTIPLIER: i32 = 2;
const BONUS_HEAD: i32 = SCORE_MATCH / 2;
const BONUS_BREAK: i32 = SCORE_MATCH / 2 + GAP_EXTENSION;
const BONUS_CAMEL: i32 = SCORE_MATCH / 2 + 2 * GAP_EXTENSION;
const BONUS_CONSECUTIVE: i32 = -(GAP_START + GAP_EXTENSION);
const PENALTY_CASE_MISMATCH: i32 = GAP_EXTENSION * 2;
/// The crate's minus infinity, small enough that sums with it never win.
const NEG_INFINITY: i32 = i16::MIN as i32;

/// One cell of the matrix: the best score of the pattern so far ending in a match here (`m`)
/// or in a skip (`p`), and the bonus a consecutive match after it reads.
#[derive(Debug, Clone, Copy)]
struct Cell {
    m: i32,
    p: i32,
    bonus: i32,
}

const FRESH: Cell = Cell {
    m: NEG_INFINITY,
    p: NEG_INFINITY,
    bonus: 0,
};

/// Scores keys against a pattern; one for each thread that scores.
#[derive(Debug, Default)]
pub struct Scorer {
    choice: Vec<char>,
    pattern: Vec<char>,
    /// Where each pattern character first matches, in order.
    first: Vec<usize>,
    /// The bonus of a match at each column (the character before it is the one to its left).
    bonuses: Vec<i32>,
    /// Two rows of the matrix, the pattern's rows taking turns in them.
    cells: Vec<Cell>,
}

/// What a character is, for the bonus of a match after it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CharType {
    Empty,
    Upper,
    Lower,
    Number,
    HardSep,
    SoftSep,
}

impl CharType {
    fn of(c: char) -> CharType {
        match c {
            '\0' => CharType::Empty,
            ' ' | '/' | '\\' | '|' | '(' | ')' | '[' | ']' | '{' | '}' => CharType::HardSep,
            '!'..='\'' | '*'..='.' | ':'..='@' | '^'..='`' | '~' => CharType::SoftSep,
            '0'..='9' => CharType::Number,
            'A'..='Z' => CharType::Upper,
            _ => CharType::Lower,
        }
    }
}

/// The bonus of matching `c` where it follows `prev`: the head of a word, after a soft
/// separator, the hump of a camel case, or nothing.
fn in_place_bonus(prev: char, c: char) -> i32 {
    match (CharType::of(prev), CharType::of(c)) {
        (CharType::Empty | CharType::HardSep, _) => BONUS_HEAD,
        (CharType::SoftSep, _) => BONUS_BREAK,
        (CharType::Lower | CharType::Number, CharType::Upper) => BONUS_CAMEL,
        _ => 0,
    }
}

fn equal(c: char, p: char, case_sensitive: bool) -> bool {
    if case_sensitive {
        c == p
    } else {
        c.eq_ignore_ascii_case(&p)
    }
}

impl Scorer {
    /// The score of `pattern` in `choice`, `None` when its characters are not all in it in
    /// order. Case matters only when the pattern holds an ASCII capital.
    pub fn score(&mut self, choice: &str, pattern: &str) -> Option<i64> {
        if pattern.is_empty() {
            return Some(0);
        }
        let case_sensitive = pattern.bytes().any(|b| b.is_ascii_uppercase());
        let Scorer {
            choice: chars,
            pattern: wanted,
            first,
            bonuses,
            cells,
        } = self;
        wanted.clear();
        wanted.extend(pattern.chars());
        chars.clear();
        chars.extend(choice.chars());
        first.clear();
        for (j, &c) in chars.iter().enumerate() {
            match wanted.get(first.len()) {
                Some(&p) if equal(c, p, case_sensitive) => first.push(j),
                Some(_) => {}
                None => break,
            }
        }
        if first.len() < wanted.len() {
            return None;
        }
        let cols = chars.len() + 1;
        bonuses.clear();
        bonuses.push(0);
        let mut prev = '\0';
        for &c in chars.iter() {
            bonuses.push(in_place_bonus(prev, c));
            prev = c;
        }
        bonuses[1] *= BONUS_FIRST_CHAR_MULTIPLIER;
        cells.clear();
        cells.resize(2 * cols, FRESH);
        for cell in &mut cells[..cols] {
            cell.p = GAP_EXTENSION;
        }
        let at = |row: usize, col: usize| row * cols + col;
        for (i, &p) in wanted.iter().enumerate() {
            let (row, row_prev) = ((i + 1) & 1, i & 1);
            for col in first[i] + 1..cols {
                let (cur, last, prev) = (at(row, col), at(row, col - 1), at(row_prev, col - 1));
                let c = chars[col - 1];
                if equal(c, p, case_sensitive) {
                    let score = SCORE_MATCH
                        + if !case_sensitive && p != c {
                            PENALTY_CASE_MISMATCH
                        } else {
                            0
                        };
                    let in_place = bonuses[col];
                    let consecutive = cells[last].bonus.max(in_place.max(BONUS_CONSECUTIVE));
                    cells[last].bonus = consecutive;
                    let by_match = cells[prev].m + consecutive;
                    let by_skip = cells[prev].p + in_place;
                    cells[cur].m = by_match.max(by_skip) + score;
                } else {
                    cells[cur].m = NEG_INFINITY;
                    cells[cur].bonus = 0;
                }
                let by_match = GAP_START + GAP_EXTENSION + cells[last].m;
                let by_skip = GAP_EXTENSION + cells[last].p;
                cells[cur].p = by_match.max(by_skip);
            }
        }
        let row = wanted.len() & 1;
        let from = first[wanted.len() - 1];
        (from..cols)
            .map(|col| i64::from(cells[at(row, col)].m))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fuzzy_matcher::FuzzyMatcher;
    use fuzzy_matcher::skim::SkimMatcherV2;

    fn random(rng: &mut fastrand::Rng, alphabet: &[char], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect()
    }

    #[test]
    fn scores_are_a_fresh_skim_matchers_whatever_was_scored_before() {
        let alphabet: Vec<char> = "aaabbcAB.-@ /(1_жЖ张\0".chars().collect();
        // Patterns of few letters, repeated, are where a stale bonus shows.
        let letters: Vec<char> = "aabA".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        let mut scorer = Scorer::default();
        let (mut scored, mut history_mattered) = (0, 0);
        let reused = SkimMatcherV2::default();
        for _ in 0..200_000 {
            let len = rng.usize(0..14);
            let choice = random(&mut rng, &alphabet, len);
            let len = rng.usize(1..5);
            let pattern = random(&mut rng, &letters, len);
            let fresh = SkimMatcherV2::default().fuzzy_match(&choice, &pattern);
            assert_eq!(
                scorer.score(&choice, &pattern),
                fresh,
                "{pattern:?} in {choice:?}"
            );
            scored += usize::from(fresh.is_some());
            history_mattered += usize::from(reused.fuzzy_match(&choice, &pattern) != fresh);
        }
        // The pairs cover matches, and the crate's own matcher, reused, gets some wrong.
        assert!(scored > 20_000, "{scored} scored");
        assert!(history_mattered > 0);
    }

    #[test]
    fn the_pattern_in_order_scores_and_out_of_order_does_not() {
        let mut scorer = Scorer::default();
        assert_eq!(scorer.score("mariya", "maria"), Some(103));
        assert_eq!(scorer.score("maria.x", "maria"), Some(111));
        assert_eq!(scorer.score("amir", "maria"), None);
        assert_eq!(scorer.score("anything", ""), Some(0));
    }
}
