//! Matching and ranking over the stored search documents.
//!
//! A query matches a key in one of four tiers: exact (4), a prefix of the key or of each of its
//! words (3), a substring (2), or a fuzzy subsequence scored by fuzzy-matcher (1). Digits-only
//! queries match phone numbers by digits whatever the formatting, ending digits counting as
//! exact. Accounts rank by tier, then (for fuzzy matches) by fuzzy score, then by recency of
//! last contact, then by score; an account found through several keys or contacts counts its
//! best match.

use super::keys::{KeyField, SearchDocument, fold};
use crate::domain::Id;
use crate::store::{Store, StoreError};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::collections::HashMap;

/// One account found by a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The account to open.
    pub account: Id,
    /// The record whose key matched: the account or one of its contacts.
    pub via: Id,
    pub field: KeyField,
    /// The key that matched, folded.
    pub matched: String,
    /// 4 exact, 3 prefix, 2 substring, 1 fuzzy.
    pub tier: u8,
    /// fuzzy-matcher's score of the query against the key (0 when it does not apply).
    pub score: i64,
    /// The account's last contact (seconds since the epoch).
    pub last_contact: Option<i64>,
}

impl Hit {
    fn rank_key(&self) -> (u8, i64, i64, i64, std::cmp::Reverse<Id>) {
        let fuzzy = if self.tier == 1 { self.score } else { 0 };
        (
            self.tier,
            fuzzy,
            self.last_contact.unwrap_or(i64::MIN),
            self.score,
            std::cmp::Reverse(self.account),
        )
    }
}

/// Every search document, held in memory.
pub struct SearchIndex {
    docs: Vec<(Id, SearchDocument)>,
    last_contact: HashMap<Id, Option<i64>>,
    matcher: SkimMatcherV2,
}

/// A query, folded once.
struct Query {
    text: String,
    compact: String,
    words: Vec<String>,
    digits: Option<String>,
}

impl Query {
    fn new(raw: &str) -> Query {
        let text = fold(raw);
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let phone_chars: String = text.chars().filter(|c| !" +-().".contains(*c)).collect();
        let digits = (phone_chars.len() >= 3 && phone_chars.bytes().all(|b| b.is_ascii_digit()))
            .then_some(phone_chars);
        Query {
            words: text.split(' ').map(str::to_string).collect(),
            text,
            compact,
            digits,
        }
    }
}

impl SearchIndex {
    /// Builds the index from documents.
    pub fn new(docs: Vec<(Id, SearchDocument)>) -> SearchIndex {
        let last_contact = docs
            .iter()
            .filter(|(id, doc)| *id == doc.account)
            .map(|(id, doc)| (*id, doc.last_contact))
            .collect();
        SearchIndex {
            docs,
            last_contact,
            matcher: SkimMatcherV2::default(),
        }
    }

    /// Loads every search document from the store.
    pub fn load(store: &dyn Store) -> Result<SearchIndex, StoreError> {
        let docs = store.search_documents().collect::<Result<Vec<_>, _>>()?;
        Ok(SearchIndex::new(docs))
    }

    /// How many documents the index holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The `limit` accounts contacted most recently, newest first; never-contacted accounts
    /// follow, newest id first.
    pub fn recent(&self, limit: usize) -> Vec<Id> {
        let mut accounts: Vec<(Option<i64>, Id)> = self
            .last_contact
            .iter()
            .map(|(id, last)| (*last, *id))
            .collect();
        accounts.sort_unstable_by(|a, b| b.cmp(a));
        accounts.into_iter().take(limit).map(|(_, id)| id).collect()
    }

    /// The best `limit` accounts for `query`, best first. A blank query finds nothing.
    pub fn query(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = Query::new(query);
        if query.compact.is_empty() {
            return Vec::new();
        }
        let mut best: HashMap<Id, Hit> = HashMap::new();
        for (id, doc) in &self.docs {
            let Some(hit) = self.match_document(&query, *id, doc) else {
                continue;
            };
            match best.get(&hit.account) {
                Some(old) if old.rank_key() >= hit.rank_key() => {}
                _ => {
                    best.insert(hit.account, hit);
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.rank_key()));
        hits.truncate(limit);
        hits
    }

    fn match_document(&self, query: &Query, id: Id, doc: &SearchDocument) -> Option<Hit> {
        let mut best: Option<(u8, i64, usize)> = None;
        for (i, key) in doc.keys.iter().enumerate() {
            let Some((tier, score)) = self.match_key(query, key.field, &key.text) else {
                continue;
            };
            if best.is_none_or(|(t, s, _)| (tier, score) > (t, s)) {
                best = Some((tier, score, i));
            }
        }
        let (tier, score, i) = best?;
        let key = &doc.keys[i];
        Some(Hit {
            account: doc.account,
            via: id,
            field: key.field,
            matched: key.text.clone(),
            tier,
            score,
            last_contact: self.last_contact.get(&doc.account).copied().flatten(),
        })
    }

    fn match_key(&self, query: &Query, field: KeyField, key: &str) -> Option<(u8, i64)> {
        if field == KeyField::Phone {
            let digits = query.digits.as_deref()?;
            let tier = if key.ends_with(digits) {
                4
            } else if key.contains(digits) {
                3
            } else {
                return None;
            };
            return Some((tier, digits.len() as i64));
        }
        if field == KeyField::Id
            && let Some(digits) = &query.digits
            && key.split_once('-').is_some_and(|(_, n)| n == digits)
        {
            return Some((4, 0));
        }
        let compact_key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let score = self.matcher.fuzzy_match(&compact_key, &query.compact);
        let tier = if key == query.text || compact_key == query.compact {
            4
        } else if key.starts_with(&query.text)
            || compact_key.starts_with(&query.compact)
            || query.words.iter().all(|w| {
                key.split([' ', '@', '.', '-'])
                    .any(|kw| kw.starts_with(w.as_str()))
            })
        {
            3
        } else if compact_key.contains(&query.compact) {
            2
        } else if score.is_some() && field != KeyField::Id {
            1
        } else {
            return None;
        };
        Some((tier, score.unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::{Account, Meta};
    use crate::domain::validate::Phone;
    use crate::domain::{Kind, Record};
    use crate::search::keys::document;
    use jiff::Timestamp;

    fn account(
        n: u64,
        name: &str,
        phone: Option<&str>,
        last: Option<&str>,
    ) -> (Id, SearchDocument) {
        let id = Id::new(Kind::Account, n);
        let mut a = Account::new(Meta::new(id, "t", Timestamp::UNIX_EPOCH), name.into());
        a.phones = phone
            .into_iter()
            .map(|p| Phone::parse(p).unwrap())
            .collect();
        a.last_contact_at = last.map(|t| t.parse().unwrap());
        (id, document(&Record::Account(a)).unwrap())
    }

    fn names(index: &SearchIndex, q: &str) -> Vec<u64> {
        index
            .query(q, 10)
            .iter()
            .map(|h| h.account.number)
            .collect()
    }

    #[test]
    fn phone_digits_match_whatever_the_formatting() {
        let index = SearchIndex::new(vec![account(1, "Acme", Some("+1 (555) 012-3"), None)]);
        assert_eq!(names(&index, "5550123"), [1]);
        assert_eq!(names(&index, "555-0123"), [1]);
        assert!(names(&index, "5550124").is_empty());
    }

    #[test]
    fn pinyin_and_initials_find_chinese_names_and_translit_finds_cyrillic() {
        let index = SearchIndex::new(vec![
            account(1, "张伟", None, None),
            account(2, "Иванов Пётр", None, None),
            account(3, "Zoe Walker", None, None),
        ]);
        assert_eq!(names(&index, "zhangwei")[0], 1);
        assert_eq!(names(&index, "zhang wei")[0], 1);
        assert_eq!(
            names(&index, "zw")[0],
            1,
            "exact initials beat Zoe Walker's fuzzy match"
        );
        assert_eq!(names(&index, "ivanov"), [2]);
        assert_eq!(names(&index, "ИВАНОВ"), [2]);
        assert_eq!(
            names(&index, "petr iva")[0],
            2,
            "word prefixes in any order"
        );
    }

    #[test]
    fn equal_matches_rank_by_recency_of_last_contact() {
        let index = SearchIndex::new(vec![
            account(1, "Smith Ltd", None, Some("2025-01-01T00:00:00Z")),
            account(2, "Smith & Co", None, Some("2026-06-01T00:00:00Z")),
            account(3, "Smithson", None, None),
        ]);
        assert_eq!(names(&index, "smith"), [2, 1, 3]);
    }

    #[test]
    fn better_matches_beat_recency() {
        let index = SearchIndex::new(vec![
            account(1, "Northwind", None, Some("2026-06-01T00:00:00Z")),
            account(2, "Acme North", None, None),
            account(3, "Mountain Outfitters", None, Some("2026-09-01T00:00:00Z")),
        ]);
        let hits = index.query("north", 10);
        assert_eq!(hits[0].account.number, 1, "prefix of the name");
        assert_eq!(hits[1].account.number, 2, "prefix of a word");
        assert!(hits.iter().all(|h| h.tier >= 1));
    }

    #[test]
    fn ids_are_found_exactly_and_by_number() {
        let index = SearchIndex::new(vec![
            account(1042, "Acme", None, None),
            account(7, "Beta", None, None),
        ]);
        assert_eq!(names(&index, "A-1042"), [1042]);
        assert_eq!(names(&index, "1042"), [1042]);
    }

    #[test]
    fn recent_lists_the_last_contacted_first() {
        let index = SearchIndex::new(vec![
            account(1, "Old", None, Some("2025-01-01T00:00:00Z")),
            account(2, "Never", None, None),
            account(3, "New", None, Some("2026-01-01T00:00:00Z")),
        ]);
        let ids: Vec<u64> = index.recent(10).iter().map(|id| id.number).collect();
        assert_eq!(ids, [3, 1, 2]);
    }

    #[test]
    fn blank_queries_find_nothing() {
        let index = SearchIndex::new(vec![account(1, "Acme", None, None)]);
        assert!(index.query("   ", 10).is_empty());
    }
}
