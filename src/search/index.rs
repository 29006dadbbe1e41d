//! Matching and ranking over the stored search documents.
//!
//! A query matches a key in one of four tiers: exact (4), a prefix of the key or of each of its
//! words (3), a substring (2), or a fuzzy subsequence scored by fuzzy-matcher (1). Digits-only
//! queries match phone numbers by digits whatever the formatting, ending digits counting as
//! exact. Accounts rank by tier, then (for fuzzy matches) by fuzzy score, then by recency of
//! last contact, then newest first; an account found through several keys or contacts counts its
//! best match.
//!
//! The keys sit end to end in one text, grouped by account and packed in blocks of whole
//! accounts (see [`super::text`]), and the accounts are kept in the
//! order the ranking breaks ties by (last contact, then id, newest first). A query walks them in
//! that order keeping the best `limit` so far; once those are all matches of some tier, an
//! account further down can only displace one with a better tier, so the walk checks only the
//! better tiers from there on, and stops when nothing can. Each key carries a mask of the
//! characters it holds, so most keys are refused by one `and` before any text is compared, and
//! fuzzy scores are computed only for accounts that could enter the results. Once only an exact
//! match can enter, runs of 64 accounts whose Bloom filter holds none of the query's exact forms
//! are passed over unread; once only a prefix match or better can, those whose filter holds
//! none of the starts the query's keys would have (its first two characters, those of its first
//! word). The walk then no longer lists the accounts it passes for the next key to narrow to,
//! keeping the rest of its range instead. An account a contact moves up the tie
//! order keeps its place (so the filters stay true) and is walked first, among the few moved.
//! The accounts are split between the cores. [`SearchIndex::query_plain`] is the same ranking
//! done the simple way, for the tests and the benchmarks to check the fast one against.

use super::fuzzy::Scorer;
use super::keys::{KeyField, SearchDocument, Shown, fold};
use super::text::{KeyText, Packed, Unpacked};
use crate::domain::{Id, Kind};
use crate::store::{Store, StoreError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::ControlFlow;
use std::sync::Mutex;

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

/// How an account ranks: tier, fuzzy score (fuzzy tier only), last contact, id.
type Rank = (u8, i64, i64, Id);

/// Below this many accounts a query runs on one thread.
const PARALLEL_FROM: usize = 20_000;

/// One key of the index, as a walk reads it: which characters it holds, its field and whether
/// it holds white space. Its text is found by its number, in [`SearchIndex::text`], and the
/// document it was made from in [`SearchIndex::docs`], which only a result needs.
#[derive(Debug, Clone, Copy)]
struct KeyEntry {
    /// Which characters it holds (see [`char_mask`]).
    mask: u32,
    /// Its field (its place in [`FIELDS`]) in the low 3 bits, and whether it holds white space
    /// in the 4th.
    kind: u8,
}

/// The fields of keys, by the number a key entry keeps.
const FIELDS: [KeyField; 6] = [
    KeyField::Name,
    KeyField::Transliteration,
    KeyField::Email,
    KeyField::Phone,
    KeyField::Id,
    KeyField::ExternalId,
];
/// How many documents an index can hold: the low 28 bits of a key's number in the file, which
/// writes its document, its field and whether it is spaced in 32 bits (see
/// [`KeyEntry::doc_field`]).
const MAX_DOCS: u32 = 1 << 28;

impl KeyEntry {
    fn new(mask: u32, field: KeyField, spaced: bool) -> KeyEntry {
        let field = FIELDS
            .iter()
            .position(|f| *f == field)
            .expect("every field is listed") as u8;
        KeyEntry {
            mask,
            kind: field | u8::from(spaced) << 3,
        }
    }

    /// A key entry and its document as [`SearchIndex::encode`] wrote them; `None` when its
    /// field is none of [`FIELDS`].
    fn held(mask: u32, doc_field: u32) -> Option<(KeyEntry, u32)> {
        let field = (doc_field >> 28 & 0b111) as u8;
        let spaced = (doc_field >> 31) as u8;
        ((field as usize) < FIELDS.len()).then_some((
            KeyEntry {
                mask,
                kind: field | spaced << 3,
            },
            doc_field % MAX_DOCS,
        ))
    }

    /// Its document, field and spacing in the 32 bits the file writes; `None` when `doc` is
    /// beyond [`MAX_DOCS`].
    fn doc_field(&self, doc: u32) -> Option<u32> {
        (doc < MAX_DOCS)
            .then_some(doc | u32::from(self.kind & 0b111) << 28 | u32::from(self.kind >> 3) << 31)
    }

    fn field(&self) -> KeyField {
        FIELDS[usize::from(self.kind & 0b111)]
    }

    /// Whether it holds white space (its compact form differs).
    fn spaced(&self) -> bool {
        self.kind >> 3 == 1
    }
}

/// The keys' entries laid out apart, masks and kinds: 5 bytes a key, for the millions of them.
#[derive(Debug, Clone, Default)]
struct Keys {
    masks: Vec<u32>,
    kinds: Vec<u8>,
}

impl Keys {
    fn with_capacity(n: usize) -> Keys {
        Keys {
            masks: Vec::with_capacity(n),
            kinds: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, entry: KeyEntry) {
        self.masks.push(entry.mask);
        self.kinds.push(entry.kind);
    }

    fn get(&self, k: usize) -> KeyEntry {
        KeyEntry {
            mask: self.masks[k],
            kind: self.kinds[k],
        }
    }

    fn len(&self) -> usize {
        self.masks.len()
    }

    /// The mask of every key in `range`.
    fn mask_of(&self, range: std::ops::Range<usize>) -> u32 {
        self.masks[range].iter().fold(0, |mask, m| mask | m)
    }

    /// The bytes it holds.
    fn bytes(&self) -> usize {
        self.masks.len() * std::mem::size_of::<u32>() + self.kinds.len()
    }
}

/// Ids laid out apart, numbers and kinds: 9 bytes an id instead of 16, for the millions of
/// documents.
#[derive(Debug, Clone, Default)]
struct Ids {
    numbers: Vec<u64>,
    kinds: Vec<Kind>,
}

impl Ids {
    fn with_capacity(n: usize) -> Ids {
        Ids {
            numbers: Vec::with_capacity(n),
            kinds: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, id: Id) {
        self.numbers.push(id.number);
        self.kinds.push(id.kind);
    }

    fn get(&self, i: usize) -> Id {
        Id::new(self.kinds[i], self.numbers[i])
    }

    fn len(&self) -> usize {
        self.numbers.len()
    }

    fn iter(&self) -> impl Iterator<Item = Id> + '_ {
        (self.kinds.iter().zip(&self.numbers)).map(|(kind, number)| Id::new(*kind, *number))
    }

    /// The bytes it holds.
    fn bytes(&self) -> usize {
        self.numbers.len() * std::mem::size_of::<u64>() + self.kinds.len()
    }
}

/// The documents' records and the document each key was made from, held.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeldDocs {
    ids: Ids,
    /// The document of each key, by its number.
    of_keys: Vec<u32>,
}

impl HeldDocs {
    fn bytes(&self) -> usize {
        self.ids.bytes() + self.of_keys.len() * std::mem::size_of::<u32>()
    }
}

/// The documents' records and which each key was made from: held, or left in the index file
/// they were read from and read from it for the results a search gives (9 bytes a document
/// and 4 a key, 76 MB at 2.5 million documents and 14 million keys).
#[derive(Debug)]
enum Docs {
    Held(HeldDocs),
    Filed {
        /// A second handle of the file the shown text is read from: it shares that one's
        /// place in the file, so each read seeks first (both are read from one thread at a
        /// time, the search's results and then their lines).
        file: Mutex<std::fs::File>,
        /// Where the first document's record is in the file.
        at: u64,
        /// Where the first key's entry is in the file.
        keys_at: u64,
        count: usize,
    },
}

/// The bytes of a key's entry in the file, and where its document is in them.
const KEY_BYTES: u64 = 8;
const KEY_DOC_AT: u64 = 4;

impl Docs {
    fn len(&self) -> usize {
        match self {
            Docs::Held(held) => held.ids.len(),
            Docs::Filed { count, .. } => *count,
        }
    }

    /// The record of the document key `k` was made from; `None` when the file cannot be
    /// read.
    fn of_key(&self, k: usize) -> Option<Id> {
        match self {
            Docs::Held(held) => Some(held.ids.get(held.of_keys[k] as usize)),
            Docs::Filed {
                file,
                at,
                keys_at,
                count,
            } => {
                use std::io::{Read, Seek, SeekFrom};
                let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
                let mut doc_field = [0; 4];
                file.seek(SeekFrom::Start(keys_at + KEY_BYTES * k as u64 + KEY_DOC_AT))
                    .ok()?;
                file.read_exact(&mut doc_field).ok()?;
                let d = u32::from_le_bytes(doc_field) % MAX_DOCS;
                if d as usize >= *count {
                    return None;
                }
                let mut record = [0; 9];
                file.seek(SeekFrom::Start(at + 9 * u64::from(d))).ok()?;
                file.read_exact(&mut record).ok()?;
                Fields { record, at: 0 }.id()
            }
        }
    }

    /// What is held; `None` when it is in the file.
    fn held(&self) -> Option<&HeldDocs> {
        match self {
            Docs::Held(held) => Some(held),
            Docs::Filed { .. } => None,
        }
    }

    fn bytes(&self) -> usize {
        self.held().map_or(0, HeldDocs::bytes)
    }
}

/// One account and the keys of its own document and its contacts'. Laid out small (a million
/// of them are held): no `Option`s, their absence written as a value that cannot occur.
#[derive(Debug, Clone, Copy)]
struct AccountEntry {
    /// Its id's number; the kind is `kind`.
    number: u64,
    /// When it was last contacted (seconds since the epoch); [`NEVER`] when it was not.
    last_contact: i64,
    /// Its keys: `keys[first..first + count]`.
    first: u32,
    count: u32,
    /// Every character of its keys.
    mask: u32,
    kind: Kind,
    /// Whether a contact moved it up the tie order since the index was built: it is then
    /// walked among [`SearchIndex::moved`], before the others, and skipped in its place, where
    /// it keeps the last contact it was placed by.
    moved: bool,
}

/// The last contact of an account never contacted, which ranks below every other.
const NEVER: i64 = i64::MIN;

/// How the file writes an account without a shown line.
const NO_SPAN: Span = Span {
    start: u32::MAX,
    len: u32::MAX,
};

/// A stretch of text: where it starts, how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

/// Bloom filters of hashed forms, one for each run of [`BLOCK`] accounts (by their place in
/// [`SearchIndex::accounts`]). The index keeps two kinds (see [`RunFilters`]): what an exact
/// match can be (the accounts' keys without white space, the numbers of their ids, the last
/// three and the last four digits of their phones), so that once only an exact match can enter
/// the results a walk skips every run whose filter holds none of the query's forms; and every
/// four digits in a row of their phones, so that a walk for phone digits skips every run whose
/// phones cannot hold them.
#[derive(Debug, Clone, Default)]
struct BlockFilters {
    /// Where each run's filter starts in `words`, and (last) where the last one ends.
    starts: Vec<u32>,
    /// The filters end to end, each a power of two of words long.
    words: Vec<u64>,
}

/// Accounts a filter of [`BlockFilters`] covers.
const BLOCK: usize = 64;
/// The bits an exact filter gives each form it holds, and the bits a form sets: about one run
/// in 150 holds a form it does not have.
const BITS_PER_FORM: usize = 12;
const PROBES: u32 = 4;
/// The bits a filter of phone digits gives each run of digits: about one run in six holds a
/// run it does not have, and a query's runs must all be held.
const BITS_PER_GRAM: usize = 4;
/// The digits in a row a filter of phone digits holds.
const GRAM: usize = 4;

/// The 64-bit hash of an exact form of some kind (bytes, so that a form cut from a key's end
/// or middle needs no character boundary there).
fn exact_hash(kind: u8, text: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (kind, text).hash(&mut hasher);
    hasher.finish()
}

/// The bits a form of hash `h` sets in a filter of `bits` bits (a power of two).
fn form_bits(h: u64, bits: usize) -> impl Iterator<Item = usize> {
    let (h1, h2) = (h as u32, (h >> 32) as u32 | 1);
    (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) as usize & (bits - 1))
}

/// What the index's filters make of a fixed text: a file written by a build whose hashing or
/// masks differ says so by a different value, and is rebuilt rather than trusted.
pub(crate) fn filter_fingerprint() -> u64 {
    u64::from(char_mask("rapport зa 张")) << 32
        ^ form_bits(exact_hash(EXACT_KEY, "rapport зa 张".as_bytes()), 1 << 16)
            .fold(0, |acc, bit| acc << 16 | bit as u64)
}

impl BlockFilters {
    /// No filters yet: runs are added one after another by [`BlockFilters::push`].
    fn empty() -> BlockFilters {
        BlockFilters {
            starts: vec![0],
            words: Vec::new(),
        }
    }

    /// Adds the filter of the next run, holding the forms hashed in `forms`, `bits` a form.
    fn push(&mut self, forms: &[u64], bits: usize) {
        let len = (forms.len() * bits).div_ceil(64).next_power_of_two();
        let at = self.words.len();
        self.words.resize(at + len, 0);
        let filter = &mut self.words[at..];
        for h in forms {
            for bit in form_bits(*h, len * 64) {
                filter[bit / 64] |= 1 << (bit % 64);
            }
        }
        self.starts.push(self.words.len() as u32);
    }

    /// Whether the run of accounts `block` may hold one of the forms hashed in `forms`.
    fn may_hold(&self, block: usize, forms: &[u64]) -> bool {
        forms.iter().any(|h| self.may_hold_form(block, *h))
    }

    /// Whether the run of accounts `block` may hold every form hashed in `forms`.
    fn may_hold_all(&self, block: usize, forms: &[u64]) -> bool {
        forms.iter().all(|h| self.may_hold_form(block, *h))
    }

    fn may_hold_form(&self, block: usize, h: u64) -> bool {
        let filter = &self.words[self.starts[block] as usize..self.starts[block + 1] as usize];
        form_bits(h, filter.len() * 64).all(|bit| filter[bit / 64] >> (bit % 64) & 1 == 1)
    }

    /// Whether the filters are laid out as [`BlockFilters::push`] lays them, for `accounts`.
    fn fits(&self, accounts: usize) -> bool {
        self.starts.len() == accounts.div_ceil(BLOCK) + 1
            && self.starts.first() == Some(&0)
            && self.starts.last() == Some(&(self.words.len() as u32))
            && self
                .starts
                .windows(2)
                .all(|w| w[0] < w[1] && (w[1] - w[0]).is_power_of_two())
    }

    fn bytes(&self) -> usize {
        self.starts.len() * 4 + self.words.len() * 8
    }
}

/// What each run of [`BLOCK`] accounts may hold.
#[derive(Debug, Clone, Default)]
struct RunFilters {
    /// Their exact forms.
    exact: BlockFilters,
    /// The digits in a row of their phones.
    phone_grams: BlockFilters,
    /// The first [`PREFIX`] characters and fewer of their keys (phones aside) without white
    /// space, and of each word of those keys: a prefix match (or an exact one) of a query that
    /// is not phone digits holds one of the query's (see [`prefix_forms`]).
    prefixes: BlockFilters,
    /// The most digits a key of theirs but a phone holds (at most 255). A query of phone digits
    /// can only match a run whose phones hold all its digits, or one with a key of as many
    /// digits as its longest word (a word prefix needs that many, every other match them all),
    /// so a walk passes over the other runs, for this query and every longer one.
    key_digits: Vec<u8>,
}

impl RunFilters {
    /// The filters of the runs of `accounts`, whose keys are `keys` and `key_text` their text.
    fn new<'a>(
        accounts: &[AccountEntry],
        keys: &Keys,
        key_text: impl Fn(usize) -> &'a str,
    ) -> RunFilters {
        // Each run's filters made as it is read: the forms of every run at once would take
        // gigabytes at a million accounts.
        let mut filters = RunFilters {
            exact: BlockFilters::empty(),
            phone_grams: BlockFilters::empty(),
            prefixes: BlockFilters::empty(),
            key_digits: Vec::new(),
        };
        for run in accounts.chunks(BLOCK) {
            let (mut forms, mut phone, mut digits) = (Vec::new(), Vec::new(), 0);
            let mut prefixes = Vec::new();
            for account in run {
                let first = account.first as usize;
                for k in first..first + account.count as usize {
                    let (entry, key) = (keys.get(k), key_text(k));
                    if entry.field() == KeyField::Phone {
                        forms.extend(
                            [3, GRAM].map(|n| exact_hash(EXACT_PHONE_END, phone_end(key, n))),
                        );
                        phone.extend(phone_grams(key));
                        continue;
                    }
                    digits = digits.max(key.bytes().filter(u8::is_ascii_digit).count());
                    let compact: String = key.split_whitespace().collect();
                    forms.push(exact_hash(EXACT_KEY, compact.as_bytes()));
                    for text in std::iter::once(compact.as_str()).chain(key_words(key)) {
                        prefixes.extend((1..=PREFIX).filter_map(|n| prefix_form(text, n)));
                    }
                    if entry.field() == KeyField::Id
                        && let Some((_, number)) = key.split_once('-')
                    {
                        forms.push(exact_hash(EXACT_ID_NUMBER, number.as_bytes()));
                    }
                }
            }
            for hashes in [&mut forms, &mut phone, &mut prefixes] {
                hashes.sort_unstable();
                hashes.dedup();
            }
            filters.exact.push(&forms, BITS_PER_FORM);
            filters.phone_grams.push(&phone, BITS_PER_GRAM);
            filters.prefixes.push(&prefixes, BITS_PER_PREFIX);
            filters.key_digits.push(digits.min(KEY_DIGITS_KEPT) as u8);
        }
        filters
    }

    /// Whether the filters are laid out as [`RunFilters::new`] lays them, for `accounts`.
    fn fits(&self, accounts: usize) -> bool {
        self.exact.fits(accounts)
            && self.phone_grams.fits(accounts)
            && self.prefixes.fits(accounts)
            && self.key_digits.len() == accounts.div_ceil(BLOCK)
    }

    fn bytes(&self) -> usize {
        self.exact.bytes()
            + self.phone_grams.bytes()
            + self.prefixes.bytes()
            + self.key_digits.len()
    }
}

/// The most digits [`RunFilters::key_digits`] counts: a run with more counts as many, and may
/// match any query of at least as many.
const KEY_DIGITS_KEPT: usize = u8::MAX as usize;

const EXACT_KEY: u8 = 0;
const EXACT_ID_NUMBER: u8 = 1;
const EXACT_PHONE_END: u8 = 2;
const PHONE_GRAM: u8 = 3;

/// The characters of a key's (or a word's) start a prefix filter holds.
const PREFIX: usize = 2;
/// The bits a prefix filter gives each start it holds: about one run in 40 holds one it has not.
const BITS_PER_PREFIX: usize = 8;

/// The words of a key, as a query's words are prefixes of them (see [`word_prefixes`]).
fn key_words(key: &str) -> impl Iterator<Item = &str> {
    key.split([' ', '@', '.', '-'])
}

/// The first `n` (one or more, at most [`PREFIX`]) characters of `text` hashed, `None` when it
/// has fewer: the characters side by side in a number, mixed (splitmix64's finaliser), a
/// fraction of the time of [`exact_hash`] for the many forms of every key.
fn prefix_form(text: &str, n: usize) -> Option<u64> {
    let mut chars = text.chars();
    let mut h = n as u64;
    for _ in 0..n {
        h = h << 21 | u64::from(u32::from(chars.next()?));
    }
    h = (h ^ h >> 30).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ h >> 27).wrapping_mul(0x94d0_49bb_1331_11eb);
    Some(h ^ h >> 31)
}

/// The forms one of which a run's prefix filter holds when the run has a key the query is a
/// prefix of, or each of whose words starts a word of the key: the start of the query without
/// white space, and that of its first word. `None` for phone digits, which match in the middle.
fn prefix_forms(query: &Query) -> Option<Vec<u64>> {
    if query.digits.is_some() {
        return None;
    }
    let word = query.words.iter().find(|w| !w.is_empty())?;
    [query.compact.as_str(), word.as_str()]
        .iter()
        .map(|text| prefix_form(text, text.chars().count().min(PREFIX)))
        .collect()
}

/// The runs of [`GRAM`] digits in a row of a phone's or a query's digits, hashed.
fn phone_grams(digits: &str) -> impl Iterator<Item = u64> + '_ {
    digits
        .as_bytes()
        .windows(GRAM)
        .map(|gram| exact_hash(PHONE_GRAM, gram))
}

/// The most digits in one word of a query's `text`.
fn word_digits(text: &str) -> usize {
    text.split(' ')
        .map(|word| word.bytes().filter(u8::is_ascii_digit).count())
        .max()
        .unwrap_or(0)
}

/// The last `n` digits of a phone's or a query's digits.
fn phone_end(digits: &str, n: usize) -> &[u8] {
    let bytes = digits.as_bytes();
    &bytes[bytes.len().saturating_sub(n)..]
}

impl AccountEntry {
    fn new(id: Id, last_contact: Option<i64>) -> AccountEntry {
        AccountEntry {
            number: id.number,
            last_contact: last_contact.unwrap_or(NEVER),
            first: 0,
            count: 0,
            mask: 0,
            kind: id.kind,
            moved: false,
        }
    }

    fn id(&self) -> Id {
        Id::new(self.kind, self.number)
    }

    fn last_contact(&self) -> Option<i64> {
        (self.last_contact != NEVER).then_some(self.last_contact)
    }

    fn order(&self) -> (i64, Id) {
        (self.last_contact, self.id())
    }
}

/// Every search key, held in memory in a compact form.
pub struct SearchIndex {
    /// The keys' text, end to end in key order, packed in blocks of whole accounts.
    text: KeyText,
    keys: Keys,
    /// The record of each document.
    docs: Docs,
    /// Accounts in ranking order when the index was built: last contact newest first, then id
    /// newest first. An account a contact has moved up since stays in its place, marked
    /// `moved`, and is found in its new place through `moved`.
    accounts: Vec<AccountEntry>,
    /// The places of the accounts moved up since the index was built and their last contacts
    /// now, in their tie order now.
    moved: Vec<(u32, i64)>,
    /// What each run of accounts may hold.
    runs: RunFilters,
    /// Where what a search shows of each account is in the shown text, by its place
    /// ([`NO_SPAN`] when its document did not say); empty once let go (see
    /// [`SearchIndex::without_shown`]): 8 bytes an account that only a search of a closed
    /// database, from the file, and a catch-up need.
    spans: Vec<Span>,
    /// What a search shows of each account, one [`Shown`] line after another; empty when left
    /// in the file (see [`SearchIndex::decode`]) or let go (see [`SearchIndex::without_shown`]).
    shown: String,
    /// The last query and every account it may match (for narrowing).
    last: Mutex<Option<Last>>,
    /// Below this many accounts to look at, a query runs on one thread.
    parallel_from: usize,
}

/// What one walk found.
struct Scan {
    best: Vec<(Rank, usize)>,
    /// Every account that may match, in tie order: those matched, and those not examined for
    /// the lower tiers once the results were full. None when the walk stopped early.
    matched: Option<Vec<Part>>,
    /// How many accounts it read the keys of (for the tests to see what it passed over).
    #[cfg_attr(not(test), allow(dead_code))]
    read: usize,
}

/// The last query: its best accounts, and every account it may match.
struct Last {
    text: String,
    digits: bool,
    /// None when its walk stopped early.
    matched: Option<Vec<Part>>,
    /// Its best `limit` accounts, as their rank and position, best first.
    best: Vec<(Rank, usize)>,
    limit: usize,
}

impl Last {
    /// Whether `query` can only match accounts this one matched: it is this one with more
    /// typed after it, and it is read as phone digits if and only if this one was. Each test a
    /// key passes for the longer query it passes for the shorter one.
    fn extended_by(&self, query: &Query) -> bool {
        query.text.starts_with(&self.text) && query.digits.is_some() == self.digits
    }

    /// Its best `limit` when `query` is the same query once folded (a space typed after a
    /// word, a key typed and rubbed out) and it kept as many: the first `limit` of the best
    /// of more, as ranks never tie.
    fn repeated_by(&self, query: &Query, limit: usize) -> Option<&[(Rank, usize)]> {
        (query.text == self.text && limit <= self.limit)
            .then(|| &self.best[..limit.min(self.best.len())])
    }
}

/// A query, folded once.
struct Query {
    text: String,
    compact: String,
    words: Vec<String>,
    digits: Option<String>,
    mask: u32,
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
            mask: char_mask(&compact),
            text,
            compact,
            digits,
        }
    }
}

/// A set of the characters of `text` in 32 bits: one bit for each ASCII letter, the digits
/// sharing four and the other characters (white space aside) two, by their code. A key can
/// only match a query whose mask is inside its own.
fn char_mask(text: &str) -> u32 {
    text.chars().fold(0, |mask, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + (c as u32 - '0' as u32) % 4,
            c if c.is_whitespace() => return mask,
            c => 30 + c as u32 % 2,
        };
        mask | 1 << bit
    })
}

/// Whether the characters of `needle` appear in `hay` in order.
fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle.chars().all(|n| hay.any(|h| h == n))
}

/// Part of a walk over the accounts: places listed, or every place in a range but those of
/// the moved accounts (which are walked first, listed). A walk is parts in tie order.
#[derive(Debug, Clone)]
enum Part {
    Listed(Vec<u32>),
    Range(u32, u32),
}

/// Part of a walk, borrowed, or a piece of one.
#[derive(Debug, Clone, Copy)]
enum Stretch<'a> {
    Listed(&'a [u32]),
    Range(usize, usize),
}

impl Part {
    fn stretch(&self) -> Stretch<'_> {
        match self {
            Part::Listed(places) => Stretch::Listed(places),
            Part::Range(start, end) => Stretch::Range(*start as usize, *end as usize),
        }
    }
}

impl<'a> Stretch<'a> {
    fn len(&self) -> usize {
        match self {
            Stretch::Listed(places) => places.len(),
            Stretch::Range(start, end) => end - start,
        }
    }

    /// Its places `from..to`, counted from its start.
    fn piece(self, from: usize, to: usize) -> Stretch<'a> {
        match self {
            Stretch::Listed(places) => Stretch::Listed(&places[from..to]),
            Stretch::Range(start, _) => Stretch::Range(start + from, start + to),
        }
    }
}

/// `parts` cut into at most `pieces` walks of about as many places each, in order.
fn split(parts: &[Part], pieces: usize) -> Vec<Vec<Stretch<'_>>> {
    let total: usize = parts.iter().map(|p| p.stretch().len()).sum();
    let size = total.div_ceil(pieces.max(1)).max(1);
    let mut walks = vec![Vec::new()];
    let mut room = size;
    for part in parts {
        let mut rest = part.stretch();
        while rest.len() > 0 {
            if room == 0 {
                walks.push(Vec::new());
                room = size;
            }
            let take = rest.len().min(room);
            walks
                .last_mut()
                .expect("one walk at least")
                .push(rest.piece(0, take));
            rest = rest.piece(take, rest.len());
            room -= take;
        }
    }
    walks
}

/// A run's answer to one question, kept while a walk stays in the run.
struct RunAnswer {
    block: usize,
    answer: bool,
}

impl Default for RunAnswer {
    fn default() -> RunAnswer {
        RunAnswer {
            block: usize::MAX,
            answer: false,
        }
    }
}

impl RunAnswer {
    /// The answer for the run holding `position`, asked of `question` when it is a new run.
    fn ask(&mut self, position: usize, question: impl FnOnce(usize) -> bool) -> bool {
        let block = position / BLOCK;
        if self.block != block {
            *self = RunAnswer {
                block,
                answer: question(block),
            };
        }
        self.answer
    }
}

/// One walk of [`SearchIndex::top`] under way.
struct Walker<'a> {
    index: &'a SearchIndex,
    query: &'a Query,
    limit: usize,
    /// The best so far, the worst on top.
    heap: BinaryHeap<Reverse<(Rank, usize)>>,
    /// Every account that may match, as far as the walk went; None once it was cut short.
    matched: Option<Vec<Part>>,
    /// The places of `matched` not yet made a part.
    listed: Vec<u32>,
    /// The mask a key must hold.
    mask: u32,
    /// The query's exact forms, hashed as the filters hash them.
    forms: Vec<u64>,
    /// Whether the run last asked may hold an exact match.
    exact_run: RunAnswer,
    /// For a query of phone digits (four or more), the digits its longest word holds and its
    /// runs of digits hashed (see [`RunFilters::key_digits`]).
    digits: Option<(usize, Vec<u64>)>,
    /// Whether the run last asked may match those digits.
    digit_run: RunAnswer,
    /// Whether only an exact match can enter the results from here on: the worst kept is a
    /// prefix match ahead in tie order of every account still to come.
    exact_only: bool,
    /// The query's prefix forms (see [`prefix_forms`]), and whether only a prefix match or
    /// better can enter the results from here on: the worst kept is a substring match ahead in
    /// tie order of every account still to come, and the query is not phone digits.
    prefixes: Option<Vec<u64>>,
    prefix_only: bool,
    /// Whether the run last asked may hold a prefix match.
    prefix_run: RunAnswer,
    /// How many accounts it read the keys of.
    read: usize,
    /// The block of the keys' text of the account read last.
    unpacked: Unpacked,
    buf: String,
    scorer: Scorer,
}

impl<'a> Walker<'a> {
    fn new(index: &'a SearchIndex, query: &'a Query, limit: usize) -> Walker<'a> {
        let mut forms = vec![exact_hash(EXACT_KEY, query.compact.as_bytes())];
        if let Some(d) = &query.digits {
            forms.push(exact_hash(EXACT_ID_NUMBER, d.as_bytes()));
            forms.push(exact_hash(EXACT_PHONE_END, phone_end(d, d.len().min(GRAM))));
        }
        Walker {
            index,
            query,
            limit,
            heap: BinaryHeap::with_capacity(limit + 1),
            matched: Some(Vec::new()),
            listed: Vec::new(),
            mask: query.digits.as_deref().map_or(query.mask, char_mask),
            forms,
            exact_run: RunAnswer::default(),
            digits: query
                .digits
                .as_deref()
                .filter(|d| d.len() >= GRAM)
                .map(|d| (word_digits(&query.text), phone_grams(d).collect())),
            digit_run: RunAnswer::default(),
            exact_only: false,
            prefixes: prefix_forms(query),
            prefix_only: false,
            prefix_run: RunAnswer::default(),
            read: 0,
            unpacked: Unpacked::default(),
            buf: String::new(),
            scorer: Scorer::default(),
        }
    }

    /// Whether the run of accounts holding `position` may hold an exact match.
    fn may_hold(&mut self, position: usize) -> bool {
        let (runs, forms) = (&self.index.runs, &self.forms);
        self.exact_run
            .ask(position, |block| runs.exact.may_hold(block, forms))
    }

    /// Whether the run of accounts holding `position` may hold a prefix match.
    fn may_prefix(&mut self, position: usize) -> bool {
        let Some(forms) = &self.prefixes else {
            return true;
        };
        let runs = &self.index.runs;
        self.prefix_run
            .ask(position, |block| runs.prefixes.may_hold(block, forms))
    }

    /// Whether the run of accounts holding `position` may match the query at all: false only
    /// for a query of phone digits the run cannot hold, nor any longer one.
    fn may_match(&mut self, position: usize) -> bool {
        let Some((need, grams)) = &self.digits else {
            return true;
        };
        let runs = &self.index.runs;
        self.digit_run.ask(position, |block| {
            usize::from(runs.key_digits[block]) >= (*need).min(KEY_DIGITS_KEPT)
                || runs.phone_grams.may_hold_all(block, grams)
        })
    }

    /// Adds `part` to what may match.
    fn keep(&mut self, part: Part) {
        if let Some(matched) = &mut self.matched {
            if !self.listed.is_empty() {
                matched.push(Part::Listed(std::mem::take(&mut self.listed)));
            }
            matched.push(part);
        }
    }

    /// Looks at the account at `position`, listing it among those that may match when
    /// `listing` (not when a range kept already holds it). Breaks when no account after it
    /// can enter the results.
    fn visit(&mut self, position: usize, listing: bool) -> ControlFlow<()> {
        let index = self.index;
        let query = self.query;
        let account = &index.accounts[position];
        if account.mask & self.mask != self.mask || !self.may_match(position) {
            return ControlFlow::Continue(());
        }
        // The others come in tie order, so once the worst kept is ahead of this one in it,
        // this one and every later one must beat it by its tier (or, among fuzzy matches, its
        // score). A moved one may be followed by others ahead of it.
        let floor = (self.heap.len() == self.limit).then(|| self.heap.peek().expect("full").0.0);
        let need = match floor {
            Some((tier, _, last, id)) if tier >= 2 => {
                let behind = !account.moved && (last, id) > account.order();
                self.exact_only |= behind && tier >= 3;
                self.prefix_only |= behind && self.prefixes.is_some();
                tier + u8::from(behind)
            }
            _ => 1,
        };
        if need > 4 {
            self.matched = None;
            return ControlFlow::Break(());
        }
        let list = listing && self.matched.is_some();
        if need > 1 && list {
            // Matches below the tier needed go unexamined from here on: keep every account
            // that may match, for the next key to narrow to.
            self.listed.push(position as u32);
        }
        if need == 4 && !self.may_hold(position) {
            return ControlFlow::Continue(());
        }
        self.read += 1;
        let keys = index.account_keys(account);
        let mut tier = 0;
        for k in keys.clone() {
            let need = need.max(tier + 1);
            tier = tier.max(index.key_tier(query, k, need, &mut self.unpacked, &mut self.buf));
            if tier == 4 {
                break;
            }
        }
        if tier == 0 {
            return ControlFlow::Continue(());
        }
        if need == 1 && list {
            self.listed.push(position as u32);
        }
        let score = if tier == 1 {
            keys.filter_map(|k| {
                // Ids and phones are never fuzzy matches.
                if matches!(index.keys.get(k).field(), KeyField::Id | KeyField::Phone) {
                    return None;
                }
                let key = index.key_text(k, &mut self.unpacked);
                let compact = index.compact(k, key, &mut self.buf);
                is_subsequence(&query.compact, compact)
                    .then(|| self.scorer.score(compact, &query.compact))
                    .flatten()
            })
            .max()
            .unwrap_or(0)
        } else {
            0
        };
        let rank = (tier, score, index.last_at(position), account.id());
        if floor.is_none_or(|f| rank > f) {
            self.heap.push(Reverse((rank, position)));
            if self.heap.len() > self.limit {
                self.heap.pop();
            }
        }
        ControlFlow::Continue(())
    }

    fn finish(mut self) -> Scan {
        if let Some(matched) = &mut self.matched
            && !self.listed.is_empty()
        {
            matched.push(Part::Listed(self.listed));
        }
        Scan {
            best: self.heap.into_iter().map(|Reverse(r)| r).collect(),
            matched: self.matched,
            read: self.read,
        }
    }
}

impl SearchIndex {
    fn from_parts(
        text: KeyText,
        keys: Keys,
        docs: Docs,
        accounts: Vec<AccountEntry>,
        runs: RunFilters,
        mut moved: Vec<(u32, i64)>,
        (spans, shown): (Vec<Span>, String),
    ) -> SearchIndex {
        moved.sort_unstable_by_key(|(p, at)| Reverse((*at, accounts[*p as usize].id())));
        SearchIndex {
            text,
            keys,
            docs,
            accounts,
            moved,
            runs,
            spans,
            shown,
            last: Mutex::new(None),
            parallel_from: PARALLEL_FROM,
        }
    }

    /// Builds the index from documents.
    pub fn new(docs: Vec<(Id, SearchDocument)>) -> SearchIndex {
        let mut builder = IndexBuilder::default();
        for (id, doc) in &docs {
            builder.add(*id, doc);
        }
        builder.finish()
    }

    /// Loads every search document from the store, one at a time.
    pub fn load(store: &dyn Store) -> Result<SearchIndex, StoreError> {
        let mut builder = IndexBuilder::default();
        for doc in store.search_documents() {
            let (id, doc) = doc?;
            builder.add(id, &doc);
        }
        Ok(builder.finish())
    }

    /// How many documents the index holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// How many accounts it holds.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    /// How many keys it holds.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }

    /// The bytes the index holds: its text, keys, documents, accounts and filters.
    pub fn footprint(&self) -> [(&'static str, usize); 6] {
        use std::mem::size_of;
        [
            ("text", self.text.bytes()),
            ("shown", self.shown.len()),
            ("keys", self.keys.bytes()),
            ("documents", self.docs.bytes()),
            (
                "accounts",
                self.accounts.len() * size_of::<AccountEntry>()
                    + self.spans.len() * size_of::<Span>(),
            ),
            ("filters", self.runs.bytes()),
        ]
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.len() == 0
    }

    /// Where what a search shows of the account at `place` is in the shown text: `None` when
    /// its document did not say, or the index let go of it (see [`Self::without_shown`]).
    fn span(&self, place: usize) -> Option<Span> {
        self.spans
            .get(place)
            .copied()
            .filter(|span| *span != NO_SPAN)
    }

    /// The place of the account of `hit` in the ranking order, by which the file says where
    /// what a search shows of it is (see [`ShownBlocks::span`]).
    pub(crate) fn place_of(&self, hit: &Hit) -> Option<usize> {
        let mut moved = self.moved.iter().map(|(p, _)| *p as usize);
        if let Some(place) = moved.find(|p| self.accounts[*p].id() == hit.account) {
            return Some(place);
        }
        let order = Reverse((hit.last_contact.unwrap_or(NEVER), hit.account));
        let at = self
            .accounts
            .binary_search_by(|a| Reverse(a.order()).cmp(&order))
            .ok()?;
        Some(at)
    }

    /// The shown line of `account`, when held.
    fn shown_text(&self, place: usize) -> Option<&str> {
        let span = self.span(place)?;
        let start = span.start as usize;
        self.shown.get(start..start + span.len as usize)
    }

    /// What a search shows of the account of `hit`, as its document said when the index was
    /// built; `None` when it did not say or the index does not hold its shown text.
    #[cfg(test)]
    fn shown(&self, hit: &Hit) -> Option<Shown> {
        Shown::decode(self.shown_text(self.place_of(hit)?)?)
    }

    /// The index with what it left in its file read back (see [`SearchIndex::decode`]): the
    /// documents' records, the shown text and where each line is in it.
    pub(crate) fn with_shown(self, docs: HeldDocs, spans: Vec<Span>, text: String) -> SearchIndex {
        SearchIndex {
            docs: Docs::Held(docs),
            spans,
            shown: text,
            ..self
        }
    }

    /// The index without its shown text and where each line is in it, which only a search of
    /// a closed database needs, from the file: the memory goes back.
    pub(crate) fn without_shown(self) -> SearchIndex {
        SearchIndex {
            spans: Vec::new(),
            shown: String::new(),
            ..self
        }
    }

    /// The `limit` accounts contacted most recently, newest first; never-contacted accounts
    /// follow, newest id first.
    pub fn recent(&self, limit: usize) -> Vec<Id> {
        self.in_order()
            .take(limit)
            .map(|p| self.accounts[p].id())
            .collect()
    }

    /// [`recent`](Self::recent), with the place of each (see [`Self::place_of`]).
    pub(crate) fn recent_places(&self, limit: usize) -> Vec<(Id, usize)> {
        self.in_order()
            .take(limit)
            .map(|p| (self.accounts[p].id(), p))
            .collect()
    }

    /// The places of the accounts in tie order: the moved ones merged in among the others.
    fn in_order(&self) -> impl Iterator<Item = usize> {
        let mut moved = self
            .moved
            .iter()
            .map(|(p, at)| (*p as usize, *at))
            .peekable();
        let mut others = (0..self.accounts.len())
            .filter(|p| !self.accounts[*p].moved)
            .peekable();
        std::iter::from_fn(move || match (moved.peek(), others.peek()) {
            (Some((m, at)), Some(o))
                if (*at, self.accounts[*m].id()) < self.accounts[*o].order() =>
            {
                others.next()
            }
            (Some(_), _) => moved.next().map(|(p, _)| p),
            (None, _) => others.next(),
        })
    }

    /// The last contact of the account at `position` ([`NEVER`] when it was not contacted).
    fn last_at(&self, position: usize) -> i64 {
        let account = &self.accounts[position];
        if account.moved
            && let Some((_, at)) = self.moved.iter().find(|(p, _)| *p as usize == position)
        {
            return *at;
        }
        account.last_contact
    }

    /// Records that `account` was contacted at `at` (seconds since the epoch), moving it up the
    /// recent list and the ranking's tie order. The account keeps its place among the others
    /// (and its run's filter stays true) and joins the few moved ones, walked first.
    pub fn contacted(&mut self, account: Id, at: i64) {
        let Some(from) = self.accounts.iter().position(|a| a.id() == account) else {
            return;
        };
        let now = self.last_at(from);
        if now != NEVER && now >= at {
            return;
        }
        *self.last.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        match self.moved.iter_mut().find(|(p, _)| *p as usize == from) {
            Some(moved) => moved.1 = at,
            None => {
                self.accounts[from].moved = true;
                self.moved.push((from as u32, at));
            }
        }
        let accounts = &self.accounts;
        self.moved
            .sort_unstable_by_key(|(p, at)| Reverse((*at, accounts[*p as usize].id())));
    }

    /// The best `limit` accounts for `query`, best first. A blank query finds nothing.
    ///
    /// When `query` extends the previous one (a key typed), only the accounts the previous one
    /// may have matched are looked at; when it is the previous one once folded, its results
    /// are given again.
    pub fn query(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = Query::new(query);
        if query.compact.is_empty() || limit == 0 {
            return Vec::new();
        }
        let last = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(best) = last.as_ref().and_then(|l| l.repeated_by(&query, limit)) {
                let best = best.to_vec();
                drop(last);
                return self.hits(&query, best);
            }
            // Taken, not copied: the last query is replaced by this one below.
            last.take()
        };
        let parts: Vec<Part> = last
            .filter(|l| l.extended_by(&query))
            .and_then(|l| l.matched)
            .unwrap_or_else(|| self.every_account());
        let total: usize = parts.iter().map(|p| p.stretch().len()).sum();
        let threads = if total < self.parallel_from {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        };
        let walks = split(&parts, threads);
        let scans: Vec<Scan> = match &walks[..] {
            [walk] => vec![self.top(&query, walk, limit)],
            _ => std::thread::scope(|scope| {
                let query = &query;
                let workers: Vec<_> = walks
                    .iter()
                    .map(|walk| scope.spawn(move || self.top(query, walk, limit)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("a search thread does not panic"))
                    .collect()
            }),
        };
        let mut best = Vec::new();
        let mut matched = Some(Vec::new());
        for scan in scans {
            best.extend(scan.best);
            matched = matched.zip(scan.matched).map(|(mut all, part)| {
                all.extend(part);
                all
            });
        }
        best.sort_unstable_by_key(|(rank, _)| Reverse(*rank));
        best.truncate(limit);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Last {
            text: query.text.clone(),
            digits: query.digits.is_some(),
            matched,
            best: best.clone(),
            limit,
        });
        self.hits(&query, best)
    }

    /// The hits of the accounts `best` ranks, in its order.
    fn hits(&self, query: &Query, best: Vec<(Rank, usize)>) -> Vec<Hit> {
        let (mut scorer, mut text) = (Scorer::default(), Unpacked::default());
        best.into_iter()
            .filter_map(|(_, a)| self.account_hit(query, a, &mut text, &mut scorer))
            .collect()
    }

    /// A walk over every account: the moved ones, then the others in their places.
    fn every_account(&self) -> Vec<Part> {
        vec![
            Part::Listed(self.moved.iter().map(|(p, _)| *p).collect()),
            Part::Range(0, self.accounts.len() as u32),
        ]
    }

    /// The same ranking as [`query`](Self::query), computed by matching every key and sorting
    /// every matched account: the reference the fast path is checked against.
    pub fn query_plain(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = Query::new(query);
        if query.compact.is_empty() {
            return Vec::new();
        }
        let (mut scorer, mut text) = (Scorer::default(), Unpacked::default());
        let mut hits: Vec<Hit> = (0..self.accounts.len())
            .filter_map(|p| self.account_hit(&query, p, &mut text, &mut scorer))
            .collect();
        hits.sort_by_key(|h| Reverse(rank(h)));
        hits.truncate(limit);
        hits
    }

    /// The best `limit` of the accounts of `walk` (in tie order: the moved ones first, then
    /// the others ascending), as their rank and position, and every account that may match
    /// when the walk was not cut short.
    fn top(&self, query: &Query, walk: &[Stretch], limit: usize) -> Scan {
        let mut walker = Walker::new(self, query, limit);
        'walk: for stretch in walk {
            match *stretch {
                Stretch::Listed(places) => {
                    for &p in places {
                        if walker.visit(p as usize, true).is_break() {
                            break 'walk;
                        }
                    }
                }
                Stretch::Range(start, end) => {
                    let mut p = start;
                    let mut listing = true;
                    while p < end {
                        if walker.exact_only || walker.prefix_only {
                            // Every account from here may match a longer query: kept as the
                            // range, and the runs that cannot hold a match good enough passed
                            // over.
                            if listing {
                                walker.keep(Part::Range(p as u32, end as u32));
                                listing = false;
                            }
                        }
                        if !walker.may_match(p)
                            || walker.exact_only && !walker.may_hold(p)
                            || walker.prefix_only && !walker.may_prefix(p)
                        {
                            p = (p / BLOCK + 1) * BLOCK;
                            continue;
                        }
                        if (self.moved.is_empty() || !self.accounts[p].moved)
                            && walker.visit(p, listing).is_break()
                        {
                            break 'walk;
                        }
                        p += 1;
                    }
                }
            }
        }
        walker.finish()
    }

    fn account_keys(&self, account: &AccountEntry) -> std::ops::Range<usize> {
        account.first as usize..(account.first + account.count) as usize
    }

    /// The text of key `k`, its block unpacked into `text` unless it is there already: a walk
    /// unpacks only the blocks of keys whose masks let them through.
    fn key_text<'t>(&self, k: usize, text: &'t mut Unpacked) -> &'t str {
        self.text.key(k, text)
    }

    /// Key `k`, whose text is `key`, without its white space, in `buf` when it has some.
    fn compact<'a>(&self, k: usize, key: &'a str, buf: &'a mut String) -> &'a str {
        if !self.keys.get(k).spaced() {
            return key;
        }
        buf.clear();
        buf.extend(key.chars().filter(|c| !c.is_whitespace()));
        buf
    }

    /// The tier key `k` matches in, 0 when below `need` (checking only what can reach it).
    fn key_tier(
        &self,
        query: &Query,
        k: usize,
        need: u8,
        text: &mut Unpacked,
        buf: &mut String,
    ) -> u8 {
        let entry = self.keys.get(k);
        if entry.field() == KeyField::Phone {
            let Some(digits) = query.digits.as_deref() else {
                return 0;
            };
            let key = self.key_text(k, text);
            return if key.ends_with(digits) {
                4
            } else if need <= 3 && key.contains(digits) {
                3
            } else {
                0
            };
        }
        if entry.field() == KeyField::Id
            && let Some(digits) = &query.digits
            && self
                .key_text(k, text)
                .split_once('-')
                .is_some_and(|(_, n)| n == digits)
        {
            return 4;
        }
        // Before the key's text is read: most keys of a long walk go here.
        if entry.mask & query.mask != query.mask {
            return 0;
        }
        let key = self.key_text(k, text);
        if need >= 3 {
            // Only an exact match or a prefix can do: compared with the key's compact form as
            // it goes, without making it (most of a long walk is spent here).
            let (equal, starts) = compact_prefix(key, entry.spaced(), &query.compact);
            return if equal {
                4
            } else if need == 3 && (starts || word_prefixes(query, key)) {
                3
            } else {
                0
            };
        }
        let compact = self.compact(k, key, buf);
        if compact == query.compact {
            return 4;
        }
        // A prefix, a word prefix or a substring holds every word of the query.
        if query.words.iter().all(|w| compact.contains(w.as_str())) {
            if compact.starts_with(&query.compact) || word_prefixes(query, key) {
                return 3;
            }
            if need <= 2 && compact.contains(&query.compact) {
                return 2;
            }
        }
        if need <= 1 && entry.field() != KeyField::Id && is_subsequence(&query.compact, compact) {
            1
        } else {
            0
        }
    }

    /// The best hit of the account at `position`: the first of its keys with the best tier and
    /// score.
    fn account_hit(
        &self,
        query: &Query,
        position: usize,
        text: &mut Unpacked,
        scorer: &mut Scorer,
    ) -> Option<Hit> {
        let account = &self.accounts[position];
        let mut best: Option<(u8, i64, usize)> = None;
        for k in self.account_keys(account) {
            let entry = self.keys.get(k);
            let Some((tier, score)) =
                self.match_key(query, entry.field(), self.key_text(k, text), scorer)
            else {
                continue;
            };
            if best.is_none_or(|(t, s, _)| (tier, score) > (t, s)) {
                best = Some((tier, score, k));
            }
        }
        let (tier, score, k) = best?;
        let entry = self.keys.get(k);
        Some(Hit {
            account: account.id(),
            // The account itself when its file cannot be read: the match still leads there.
            via: self.docs.of_key(k).unwrap_or(account.id()),
            field: entry.field(),
            matched: self.key_text(k, text).to_string(),
            tier,
            score,
            last_contact: Some(self.last_at(position)).filter(|at| *at != NEVER),
        })
    }

    /// How one key matches, the simple way: every test in turn, the fuzzy score always.
    fn match_key(
        &self,
        query: &Query,
        field: KeyField,
        key: &str,
        scorer: &mut Scorer,
    ) -> Option<(u8, i64)> {
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
        let score = scorer.score(&compact_key, &query.compact);
        let tier = if key == query.text || compact_key == query.compact {
            4
        } else if key.starts_with(&query.text)
            || compact_key.starts_with(&query.compact)
            || word_prefixes(query, key)
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

/// The index's parts as bytes, and back (see [`super::snapshot`]): little-endian numbers, each
/// list led by its length.
impl SearchIndex {
    /// Writes the index, which must hold its shown text (see [`SearchIndex::without_shown`]).
    pub(crate) fn encode(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let held = |p: usize| self.span(p).is_none() || self.shown_text(p).is_some();
        if self.spans.len() != self.accounts.len()
            || self.docs.held().is_none()
            || !(0..self.accounts.len()).all(held)
        {
            return Err(std::io::Error::other(
                "the index does not hold its shown text",
            ));
        }
        let mut w = Encoder(out);
        self.text.write(w.0)?;
        let docs = self.docs.held().expect("checked above");
        w.u64(self.keys.len() as u64)?;
        for (k, doc) in docs.of_keys.iter().enumerate() {
            let key = self.keys.get(k);
            w.u32(key.mask)?;
            w.u32(key.doc_field(*doc).ok_or_else(|| {
                std::io::Error::other("the index holds more documents than its file can")
            })?)?;
        }
        w.u64(docs.ids.len() as u64)?;
        for id in docs.ids.iter() {
            w.id(id)?;
        }
        w.u64(self.accounts.len() as u64)?;
        for (a, shown) in self.accounts.iter().zip(&self.spans) {
            w.id(a.id())?;
            w.u64(u64::from(a.last_contact().is_some()) | u64::from(a.moved) << 1)?;
            w.u64(a.last_contact().unwrap_or(0) as u64)?;
            w.u32(a.first)?;
            w.u32(a.count)?;
            w.u32(a.mask)?;
            w.u32(shown.start)?;
            w.u32(shown.len)?;
        }
        w.u64(self.moved.len() as u64)?;
        for (p, at) in &self.moved {
            w.u32(*p)?;
            w.u64(*at as u64)?;
        }
        for filters in [
            &self.runs.exact,
            &self.runs.phone_grams,
            &self.runs.prefixes,
        ] {
            w.u64(filters.starts.len() as u64)?;
            for start in &filters.starts {
                w.u32(*start)?;
            }
            w.u64(filters.words.len() as u64)?;
            for word in &filters.words {
                w.u64(*word)?;
            }
        }
        w.bytes(&self.runs.key_digits)?;
        // Last, so that a reader can leave it in the file.
        let blocks: Vec<Vec<u8>> = self
            .shown
            .as_bytes()
            .chunks(SHOWN_BLOCK)
            .map(lz4_flex::compress)
            .collect();
        w.u64(self.shown.len() as u64)?;
        w.u64(blocks.len() as u64)?;
        let mut end = 0;
        for block in &blocks {
            end += block.len() as u64;
            w.u64(end)?;
        }
        blocks.iter().try_for_each(|block| w.0.write_all(block))
    }

    /// Reads what [`encode`](Self::encode) wrote; `None` for anything inconsistent, so that a
    /// damaged file is rebuilt rather than trusted. The shown text is read past, not kept: the
    /// second value says where its blocks are, for a search that reads only the lines of its
    /// results, or a catch-up that reads it all.
    /// With `file`, the encoding's file and where the encoding starts in it, the documents'
    /// records are left in it and read from it for the results a search gives.
    pub(crate) fn decode(
        input: impl std::io::Read,
        length: u64,
        file: Option<(std::fs::File, u64)>,
    ) -> Option<(SearchIndex, ShownBlocks)> {
        let mut r = Decoder {
            input,
            left: length,
        };
        let count = r.len(2)?;
        let starts = r.records(count, |f: &mut Fields<2>| {
            Some(u16::from_le_bytes(f.take()))
        })?;
        let count = r.len(12)?;
        let places = r.records(count, |f: &mut Fields<12>| {
            Some((f.u32(), f.u32(), f.u32()))
        })?;
        // The packed text stays in the file when there is one, read a block at a time as a
        // walk unpacks it; a second handle, as the documents' has its own place to keep.
        let text_file = file
            .as_ref()
            .and_then(|(f, base)| Some((f.try_clone().ok()?, *base)));
        let text = KeyText::read(starts, places, |n| match text_file {
            Some((file, base)) => {
                let at = base + (length - r.left);
                r.skip(n)?;
                Some(Packed::Filed { file, at })
            }
            None => r.exact(n).map(Packed::Held),
        })?;
        let count = r.len(8)?;
        let keys_at = length - r.left;
        // The keys' documents are held only when the documents' records are.
        let (mut keys, mut of_keys) = (Keys::with_capacity(count), Vec::new());
        if file.is_none() {
            of_keys.reserve_exact(count);
        }
        let mut last_doc = None;
        r.records(count, |f: &mut Fields<8>| {
            let (key, doc) = KeyEntry::held(f.u32(), f.u32())?;
            keys.push(key);
            last_doc = last_doc.max(Some(doc));
            if file.is_none() {
                of_keys.push(doc);
            }
            Some(())
        })?;
        let count = r.len(9)?;
        let docs_at = length - r.left;
        let docs = match file {
            Some((file, base)) => {
                r.skip(count * 9)?;
                Docs::Filed {
                    file: Mutex::new(file),
                    at: base + docs_at,
                    keys_at: base + keys_at,
                    count,
                }
            }
            None => {
                let mut ids = Ids::with_capacity(count);
                r.records(count, |f: &mut Fields<9>| {
                    ids.push(f.id()?);
                    Some(())
                })?;
                Docs::Held(HeldDocs { ids, of_keys })
            }
        };
        let count = r.len(45)?;
        let spans_at = length - r.left;
        // Where each account's shown line is stays in the file (see [`ShownBlocks::span`]);
        // the furthest end is checked against the text's length below.
        let mut shown_end = 0;
        let accounts = r.records(count, |f: &mut Fields<45>| {
            let id = f.id()?;
            let (flags, last) = (f.u64(), f.u64() as i64);
            if flags > 3 {
                return None;
            }
            let mut entry = AccountEntry::new(id, (flags & 1 == 1).then_some(last));
            entry.moved = flags & 2 == 2;
            entry.first = f.u32();
            entry.count = f.u32();
            entry.mask = f.u32();
            let span = Span {
                start: f.u32(),
                len: f.u32(),
            };
            if span != NO_SPAN {
                shown_end = shown_end.max(u64::from(span.start) + u64::from(span.len));
            }
            Some(entry)
        })?;
        let count = r.len(12)?;
        let moved = r.records(count, |f: &mut Fields<12>| Some((f.u32(), f.u64() as i64)))?;
        let mut filters = || -> Option<BlockFilters> {
            let count = r.len(4)?;
            let starts = r.records(count, |f: &mut Fields<4>| Some(f.u32()))?;
            let count = r.len(8)?;
            let words = r.records(count, |f: &mut Fields<8>| Some(f.u64()))?;
            Some(BlockFilters { starts, words })
        };
        let runs = RunFilters {
            exact: filters()?,
            phone_grams: filters()?,
            prefixes: filters()?,
            key_digits: r.bytes()?,
        };
        let shown_len = r.u64()?;
        let count = r.len(8)?;
        let ends = r.records(count, |f: &mut Fields<8>| Some(f.u64()))?;
        let packed = ends.last().copied().unwrap_or(0);
        let blocks_fit = count as u64 == shown_len.div_ceil(SHOWN_BLOCK as u64)
            && ends.windows(2).all(|w| w[0] <= w[1])
            && packed == r.left;
        let shown = ShownBlocks {
            at: length - r.left,
            len: shown_len,
            ends,
            spans_at,
            accounts: accounts.len(),
            docs_at,
            docs: docs.len(),
            keys_at,
            keys: keys.len(),
        };
        if !blocks_fit {
            return None;
        }
        r.skip(usize::try_from(packed).ok()?)?;
        let shown_fit = shown_end <= shown_len;
        let docs_fit = last_doc.is_none_or(|d| (d as usize) < docs.len());
        let in_place: Vec<&AccountEntry> = accounts.iter().filter(|a| !a.moved).collect();
        let accounts_fit = accounts
            .iter()
            .all(|a| a.first as usize + a.count as usize <= keys.len())
            && in_place.windows(2).all(|w| w[0].order() > w[1].order());
        let runs_fit = runs.fits(accounts.len());
        let mut places: Vec<u32> = moved.iter().map(|(p, _)| *p).collect();
        places.sort_unstable();
        places.dedup();
        let moved_fit = places.len() == moved.len()
            && places.len() == accounts.len() - in_place.len()
            && places
                .iter()
                .all(|p| accounts.get(*p as usize).is_some_and(|a| a.moved));
        let starts_fit = text.keys() == keys.len();
        (r.left == 0
            && starts_fit
            && docs_fit
            && accounts_fit
            && shown_fit
            && runs_fit
            && moved_fit)
            .then(|| {
                let index = SearchIndex::from_parts(
                    text,
                    keys,
                    docs,
                    accounts,
                    runs,
                    moved,
                    Default::default(),
                );
                (index, shown)
            })
    }

    /// The index with the documents of `changed` records replaced (`None`: the record is gone
    /// or has no document), the others kept as they are.
    pub fn with_changes(self, changed: Vec<(Id, Option<SearchDocument>)>) -> SearchIndex {
        let replaced: std::collections::HashSet<Id> = changed.iter().map(|(id, _)| *id).collect();
        let mut builder = IndexBuilder::default();
        let docs = self
            .docs
            .held()
            .expect("a catch-up reads its documents back first");
        let mut renumbered: Vec<Option<u32>> = vec![None; docs.ids.len()];
        let mut text = Unpacked::default();
        for (position, account) in self.accounts.iter().enumerate() {
            for k in self.account_keys(account) {
                let (key, d) = (self.keys.get(k), docs.of_keys[k] as usize);
                let id = docs.ids.get(d);
                if replaced.contains(&id) {
                    continue;
                }
                let doc = *renumbered[d].get_or_insert_with(|| {
                    if id == account.id() {
                        builder.add_document(
                            id,
                            id,
                            Some(self.last_at(position)).filter(|at| *at != NEVER),
                            self.shown_text(position),
                        )
                    } else {
                        builder.add_document(id, account.id(), None, None)
                    }
                });
                builder.push_key(doc, key.field(), self.key_text(k, &mut text));
            }
        }
        for (id, doc) in changed {
            if let Some(doc) = doc {
                builder.add(id, &doc);
            }
        }
        builder.finish()
    }
}

/// How many bytes of the shown text each block of the file holds, packed on its own.
const SHOWN_BLOCK: usize = 32 * 1024;

/// What an index read from its encoding left there, and where: the shown text, in blocks of
/// [`SHOWN_BLOCK`] bytes each packed on its own (LZ4), so that a search reads and unpacks only
/// the blocks of its results' lines; where each account's line is; and the documents' records.
/// A search reads the few its results need, a catch-up all of them.
#[derive(Debug, Clone)]
pub(crate) struct ShownBlocks {
    /// Where the first block starts, from the start of the encoding.
    pub at: u64,
    /// The text's length, unpacked.
    pub len: u64,
    /// Where each block ends, from `at`.
    ends: Vec<u64>,
    /// Where the accounts' entries start, from the start of the encoding: each says where its
    /// shown line is, last in its 45 bytes.
    spans_at: u64,
    accounts: usize,
    /// Where the documents' records start, from the start of the encoding, and how many.
    docs_at: u64,
    docs: usize,
    /// Where the keys' entries start, from the start of the encoding, and how many: each says
    /// which document its key was made from, last in its 8 bytes.
    keys_at: u64,
    keys: usize,
}

/// The bytes of an account's entry in the file, and where its span is in them.
const ACCOUNT_BYTES: u64 = 45;
const SPAN_AT: usize = 37;

/// The span at `SPAN_AT` of an account's entry.
fn span_in(entry: &[u8]) -> Span {
    let number = |at: usize| u32::from_le_bytes(entry[at..at + 4].try_into().expect("4 bytes"));
    Span {
        start: number(SPAN_AT),
        len: number(SPAN_AT + 4),
    }
}

impl ShownBlocks {
    /// Where the shown line of the account at `place` is, read from `input`, where the
    /// encoding starts at `base`; `None` when the account has none, or it cannot be read.
    pub fn span(
        &self,
        input: &mut (impl std::io::Read + std::io::Seek),
        base: u64,
        place: usize,
    ) -> Option<Span> {
        if place >= self.accounts {
            return None;
        }
        let at = base + self.spans_at + place as u64 * ACCOUNT_BYTES;
        input.seek(std::io::SeekFrom::Start(at)).ok()?;
        let mut entry = [0; ACCOUNT_BYTES as usize];
        input.read_exact(&mut entry).ok()?;
        Some(span_in(&entry)).filter(|span| *span != NO_SPAN)
    }

    /// The documents' records and the document of each key, read from `input` where the
    /// encoding starts at `base`.
    pub fn docs(
        &self,
        input: &mut (impl std::io::Read + std::io::Seek),
        base: u64,
    ) -> Option<HeldDocs> {
        use std::io::{BufReader, Read, SeekFrom};
        input.seek(SeekFrom::Start(base + self.keys_at)).ok()?;
        let mut entries = BufReader::with_capacity(1 << 16, &mut *input);
        let mut of_keys = Vec::with_capacity(self.keys);
        for _ in 0..self.keys {
            let mut entry = [0; KEY_BYTES as usize];
            entries.read_exact(&mut entry).ok()?;
            let doc_field = u32::from_le_bytes(entry[KEY_DOC_AT as usize..].try_into().ok()?);
            of_keys.push(doc_field % MAX_DOCS);
        }
        drop(entries);
        input.seek(SeekFrom::Start(base + self.docs_at)).ok()?;
        let mut records = BufReader::with_capacity(1 << 16, input);
        let mut ids = Ids::with_capacity(self.docs);
        for _ in 0..self.docs {
            let mut record = [0; 9];
            records.read_exact(&mut record).ok()?;
            ids.push(Fields { record, at: 0 }.id()?);
        }
        Some(HeldDocs { ids, of_keys })
    }

    /// Where every account's shown line is, by place ([`NO_SPAN`] for none), read from
    /// `input` as [`span`](Self::span) reads one.
    pub fn spans(
        &self,
        input: &mut (impl std::io::Read + std::io::Seek),
        base: u64,
    ) -> Option<Vec<Span>> {
        input
            .seek(std::io::SeekFrom::Start(base + self.spans_at))
            .ok()?;
        let mut entries = std::io::BufReader::with_capacity(1 << 16, input);
        let mut entry = [0; ACCOUNT_BYTES as usize];
        (0..self.accounts)
            .map(|_| {
                std::io::Read::read_exact(&mut entries, &mut entry).ok()?;
                Some(span_in(&entry))
            })
            .collect()
    }

    /// `len` bytes of the text from `start`, read from `input`, where the encoding starts at
    /// `base`; `None` when they are beyond the text or do not unpack.
    pub fn read(
        &self,
        input: &mut (impl std::io::Read + std::io::Seek),
        base: u64,
        start: u64,
        len: u64,
    ) -> Option<Vec<u8>> {
        let end = start.checked_add(len).filter(|end| *end <= self.len)?;
        if len == 0 {
            return Some(Vec::new());
        }
        let block = SHOWN_BLOCK as u64;
        let (first, last) = ((start / block) as usize, ((end - 1) / block) as usize);
        let from = if first == 0 { 0 } else { self.ends[first - 1] };
        input
            .seek(std::io::SeekFrom::Start(base + self.at + from))
            .ok()?;
        let mut packed = vec![0; usize::try_from(self.ends[last] - from).ok()?];
        input.read_exact(&mut packed).ok()?;
        let mut text = Vec::new();
        let mut at = 0;
        for i in first..=last {
            let size = (self.len - i as u64 * block).min(block) as usize;
            let next = (self.ends[i] - from) as usize;
            let unpacked = lz4_flex::decompress(&packed[at..next], size).ok()?;
            if unpacked.len() != size {
                return None;
            }
            text.extend_from_slice(&unpacked);
            at = next;
        }
        let skip = (start - first as u64 * block) as usize;
        Some(text[skip..skip + len as usize].to_vec())
    }
}

struct Encoder<'a, W>(&'a mut W);

impl<W: std::io::Write> Encoder<'_, W> {
    fn u32(&mut self, n: u32) -> std::io::Result<()> {
        self.0.write_all(&n.to_le_bytes())
    }

    fn u64(&mut self, n: u64) -> std::io::Result<()> {
        self.0.write_all(&n.to_le_bytes())
    }

    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.u64(b.len() as u64)?;
        self.0.write_all(b)
    }

    fn id(&mut self, id: Id) -> std::io::Result<()> {
        let kind = Kind::ALL.iter().position(|k| *k == id.kind).unwrap_or(0);
        self.0.write_all(&[kind as u8])?;
        self.u64(id.number)
    }
}

/// Reads numbers from `input`, of which `left` bytes remain.
struct Decoder<R> {
    input: R,
    left: u64,
}

impl<R: std::io::Read> Decoder<R> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.left = self.left.checked_sub(N as u64)?;
        let mut bytes = [0; N];
        self.input.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take()?))
    }

    /// A list's length, refused when the bytes left cannot hold that many of `size` bytes.
    fn len(&mut self, size: u64) -> Option<usize> {
        let n = self.u64()?;
        (n.checked_mul(size)? <= self.left).then_some(usize::try_from(n).ok()?)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.len(1)?;
        self.exact(n)
    }

    /// The next `n` bytes; `None` when fewer are left.
    fn exact(&mut self, n: usize) -> Option<Vec<u8>> {
        self.left = self.left.checked_sub(n as u64)?;
        let mut bytes = vec![0; n];
        self.input.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    /// Reads past the next `n` bytes, `n` already checked against what is left.
    fn skip(&mut self, n: usize) -> Option<()> {
        self.left = self.left.checked_sub(n as u64)?;
        let copied = std::io::copy(
            &mut std::io::Read::take(&mut self.input, n as u64),
            &mut std::io::sink(),
        );
        (copied.ok()? == n as u64).then_some(())
    }

    /// `count` records of `N` bytes, `count` already checked against what is left, read many
    /// at a time (a million one field at a time cost more than the reading).
    fn records<const N: usize, T>(
        &mut self,
        count: usize,
        mut make: impl FnMut(&mut Fields<N>) -> Option<T>,
    ) -> Option<Vec<T>> {
        const AT_ONCE: usize = 4096;
        let mut out = Vec::with_capacity(count);
        let mut buffer = vec![0; N * AT_ONCE.min(count)];
        while out.len() < count {
            let bytes = &mut buffer[..N * (count - out.len()).min(AT_ONCE)];
            self.left = self.left.checked_sub(bytes.len() as u64)?;
            self.input.read_exact(bytes).ok()?;
            for record in bytes.chunks_exact(N) {
                out.push(make(&mut Fields {
                    record: record.try_into().ok()?,
                    at: 0,
                })?);
            }
        }
        Some(out)
    }
}

/// The fields of one record of `N` bytes, in order.
struct Fields<const N: usize> {
    record: [u8; N],
    at: usize,
}

impl<const N: usize> Fields<N> {
    fn take<const M: usize>(&mut self) -> [u8; M] {
        let bytes = self.record[self.at..self.at + M]
            .try_into()
            .expect("records are read whole");
        self.at += M;
        bytes
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    fn id(&mut self) -> Option<Id> {
        let [kind] = self.take();
        let kind = *Kind::ALL.get(usize::from(kind))?;
        Some(Id::new(kind, self.u64()))
    }
}

/// Takes documents one at a time, keeping only their keys' text, then lays them out grouped by
/// account in tie order.
#[derive(Default)]
pub struct IndexBuilder {
    text: String,
    /// Each key in arrival order: where it starts in `text`, its document, its field.
    keys: Vec<(u32, u32, KeyField)>,
    docs: Ids,
    /// The account of each document.
    owners: Vec<Id>,
    /// What each account's own document said of it.
    owned: HashMap<Id, Owned>,
    /// The shown lines of the accounts, one after another.
    shown: String,
}

/// What an account's own document gives its entry.
#[derive(Default)]
struct Owned {
    last_contact: Option<i64>,
    shown: Option<Span>,
}

impl IndexBuilder {
    /// Adds the document of record `id`.
    pub fn add(&mut self, id: Id, doc: &SearchDocument) {
        let shown = doc.shown.as_ref().map(Shown::encode);
        let d = self.add_document(id, doc.account, doc.last_contact, shown.as_deref());
        for key in &doc.keys {
            self.push_key(d, key.field, &key.text);
        }
    }

    /// Adds a document of `account` (its own when `id` is the account, carrying its last
    /// contact and shown line) and returns its number, for its keys.
    fn add_document(
        &mut self,
        id: Id,
        account: Id,
        last_contact: Option<i64>,
        shown: Option<&str>,
    ) -> u32 {
        let d = self.docs.len() as u32;
        self.docs.push(id);
        self.owners.push(account);
        let owned = self.owned.entry(account).or_default();
        if id == account {
            owned.last_contact = last_contact;
            owned.shown = shown.map(|line| {
                let start = self.shown.len() as u32;
                self.shown.push_str(line);
                Span {
                    start,
                    len: line.len() as u32,
                }
            });
        }
        d
    }

    fn push_key(&mut self, doc: u32, field: KeyField, text: &str) {
        self.keys.push((self.text.len() as u32, doc, field));
        self.text.push_str(text);
    }

    /// The index of every document added.
    pub fn finish(self) -> SearchIndex {
        let IndexBuilder {
            text: arrived,
            keys: arrival,
            docs,
            owners,
            owned,
            shown,
        } = self;
        let mut placed: Vec<(AccountEntry, Span)> = owned
            .into_iter()
            .map(|(id, owned)| {
                let entry = AccountEntry::new(id, owned.last_contact);
                (entry, owned.shown.unwrap_or(NO_SPAN))
            })
            .collect();
        placed.sort_unstable_by_key(|(a, _)| Reverse(a.order()));
        let (mut accounts, spans): (Vec<AccountEntry>, Vec<Span>) = placed.into_iter().unzip();
        let position: HashMap<Id, u32> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id(), i as u32))
            .collect();
        let owner: Vec<u32> = owners.iter().map(|id| position[id]).collect();
        drop(position);
        // Keys grouped by account, each account's in arrival order: count, then place.
        for (_, d, _) in &arrival {
            accounts[owner[*d as usize] as usize].count += 1;
        }
        let mut next = 0u32;
        for account in &mut accounts {
            account.first = next;
            next += account.count;
        }
        let mut fill: Vec<u32> = accounts.iter().map(|a| a.first).collect();
        let mut slots = vec![0u32; arrival.len()];
        for (k, (_, d, _)) in arrival.iter().enumerate() {
            let slot = &mut fill[owner[*d as usize] as usize];
            slots[*slot as usize] = k as u32;
            *slot += 1;
        }
        drop(fill);
        let mut text = String::with_capacity(arrived.len());
        let mut starts = Vec::with_capacity(arrival.len() + 1);
        let mut keys = Keys::with_capacity(arrival.len());
        let mut of_keys = Vec::with_capacity(arrival.len());
        for k in slots {
            let (start, doc, field) = arrival[k as usize];
            let end = arrival
                .get(k as usize + 1)
                .map_or(arrived.len(), |next| next.0 as usize);
            let key = &arrived[start as usize..end];
            let spaced = key.contains(char::is_whitespace);
            keys.push(KeyEntry::new(char_mask(key), field, spaced));
            of_keys.push(doc);
            starts.push(text.len());
            text.push_str(key);
        }
        starts.push(text.len());
        drop(arrived);
        drop(arrival);
        for account in &mut accounts {
            account.mask =
                keys.mask_of(account.first as usize..(account.first + account.count) as usize);
        }
        let key_text = |k: usize| &text[starts[k]..starts[k + 1]];
        let runs = RunFilters::new(&accounts, &keys, key_text);
        // Each account's keys in turn, its first opening it.
        let opens = accounts
            .iter()
            .flat_map(|a| (0..a.count).map(move |i| ((a.first + i) as usize, i == 0)));
        let text = KeyText::pack(opens.map(|(k, opens)| (key_text(k), opens)));
        let docs = Docs::Held(HeldDocs { ids: docs, of_keys });
        SearchIndex::from_parts(text, keys, docs, accounts, runs, Vec::new(), (spans, shown))
    }
}

/// Whether `key` without its white space (when `spaced`) is `text`, and whether it starts with
/// it.
fn compact_prefix(key: &str, spaced: bool, text: &str) -> (bool, bool) {
    if !spaced {
        return (key == text, key.starts_with(text));
    }
    let mut chars = key.chars().filter(|c| !c.is_whitespace());
    let starts = text.chars().all(|t| chars.next() == Some(t));
    (starts && chars.next().is_none(), starts)
}

/// Whether every word of the query starts a word of the key, in any order.
fn word_prefixes(query: &Query, key: &str) -> bool {
    query
        .words
        .iter()
        .all(|w| key_words(key).any(|kw| kw.starts_with(w.as_str())))
}

fn rank(hit: &Hit) -> Rank {
    let fuzzy = if hit.tier == 1 { hit.score } else { 0 };
    (
        hit.tier,
        fuzzy,
        hit.last_contact.unwrap_or(i64::MIN),
        hit.account,
    )
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

    /// A deterministic crowd: Latin, Chinese and Cyrillic names, shared names, phones in
    /// several formats, contacts, and last contacts with ties.
    fn crowd(accounts: u64, seed: u64) -> Vec<(Id, SearchDocument)> {
        use crate::domain::record::Contact;
        let mut rng = fastrand::Rng::with_seed(seed);
        let first = [
            "Anna",
            "Maria",
            "Zoë",
            "Jürgen",
            "Иван",
            "Пётр",
            "Мария",
            "张",
            "王",
            "欧阳",
        ];
        let last = [
            "Smith",
            "Garcia",
            "Müller",
            "Иванов",
            "Смирнова",
            "伟",
            "芳",
            "秀英",
            "Lee",
        ];
        let companies = [
            "Acme",
            "Globex",
            "Umbrella",
            "Северсталь",
            "华为科技",
            "Initech",
        ];
        let name = |rng: &mut fastrand::Rng| {
            if rng.bool() {
                format!(
                    "{} {}",
                    companies[rng.usize(..companies.len())],
                    rng.u32(..40)
                )
            } else {
                format!(
                    "{} {}",
                    first[rng.usize(..first.len())],
                    last[rng.usize(..last.len())]
                )
            }
        };
        let mut docs = Vec::new();
        let mut contact_number = 0;
        for n in 1..=accounts {
            let id = Id::new(Kind::Account, n);
            let mut a = Account::new(Meta::new(id, "t", Timestamp::UNIX_EPOCH), name(&mut rng));
            let phone = format!("+1 (415) 55{}-{:04}", rng.u8(..10), rng.u16(..10_000));
            a.phones = vec![Phone::parse(&phone).unwrap()];
            a.emails = vec![format!("info{}@c{n}.example", rng.u8(..5))];
            a.external_id = rng.bool().then(|| format!("X{}", rng.u32(..500)));
            a.last_contact_at = match rng.u8(..4) {
                0 => None,
                1 => Some(Timestamp::from_second(1_700_000_000).unwrap()),
                _ => Some(Timestamp::from_second(1_700_000_000 + rng.i64(0..1_000_000)).unwrap()),
            };
            docs.push((id, document(&Record::Account(a)).unwrap()));
            for _ in 0..rng.usize(..3) {
                contact_number += 1;
                let cid = Id::new(Kind::Contact, contact_number);
                let mut c = Contact::new(
                    Meta::new(cid, "t", Timestamp::UNIX_EPOCH),
                    id,
                    name(&mut rng),
                );
                c.phones =
                    vec![Phone::parse(&format!("+44 20 7946 {:04}", rng.u16(..10_000))).unwrap()];
                docs.push((cid, document(&Record::Contact(c)).unwrap()));
            }
        }
        rng.shuffle(&mut docs);
        docs
    }

    /// What agents type: prefixes of real keys, pinyin, digits, ids, and noise.
    fn typed(rng: &mut fastrand::Rng) -> String {
        let words = [
            "acme 1",
            "globex",
            "umbrella 3",
            "ivanov",
            "smirnova",
            "zhangwei",
            "zw",
            "ouyang",
            "huawei",
            "maria garcia",
            "garcia maria",
            "muller",
            "anna lee",
            "4155",
            "555-01",
            "79460",
            "a-12",
            "c-7",
            "x4",
            "info3@c",
            "14155501234",
            "415 555 01",
            "xq",
            "severstal",
            "petr",
            "zoe",
        ];
        let word = words[rng.usize(..words.len())];
        let cut = rng.usize(1..=word.chars().count());
        word.chars().take(cut).collect()
    }

    #[test]
    fn the_fast_path_ranks_like_the_plain_one() {
        let mut index = SearchIndex::new(crowd(3_000, 7));
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..300 {
            index.parallel_from = if round % 2 == 0 { usize::MAX } else { 1 };
            let query = typed(&mut rng);
            let limit = [1, 5, 20, 50][rng.usize(..4)];
            assert_eq!(
                index.query(&query, limit),
                index.query_plain(&query, limit),
                "{query:?}, limit {limit}"
            );
        }
    }

    #[test]
    fn a_walk_for_phone_digits_reads_only_the_runs_whose_phones_may_hold_them() {
        let index = SearchIndex::new(crowd(3_000, 9));
        let mut text = Unpacked::default();
        let phones: Vec<String> = (index.accounts.iter())
            .flat_map(|account| index.account_keys(account))
            .filter(|k| index.keys.get(*k).field() == KeyField::Phone)
            .map(|k| index.key_text(k, &mut text).to_string())
            .step_by(97)
            .collect();
        assert!(phones.len() > 10);
        let mut read = 0;
        for phone in &phones {
            let query = Query::new(phone);
            read += index
                .top(&query, &split(&index.every_account(), 1)[0], 10)
                .read;
            let hits = index.query(phone, 10);
            assert_eq!(hits, index.query_plain(phone, 10), "{phone}");
            assert!(hits.iter().any(|h| h.tier == 4 && h.matched == *phone));
        }
        let walked = phones.len() * index.accounts();
        assert!(read < walked / 10, "{read} accounts read of {walked}");
    }

    #[test]
    fn a_walk_that_needs_a_prefix_reads_only_the_runs_that_may_start_with_it() {
        // Substring matches everywhere ("bank" in every name), prefix matches only at the end
        // of the tie order (the oldest accounts).
        let docs: Vec<_> = (1..=3_000)
            .map(|n| {
                let name = if n <= 20 {
                    format!("kora bank {n}")
                } else {
                    format!("bankora {n}")
                };
                account(n, &name, None, None)
            })
            .collect();
        let index = SearchIndex::new(docs);
        let query = Query::new("kora");
        let scan = index.top(&query, &split(&index.every_account(), 1)[0], 10);
        let hits = index.query("kora", 10);
        assert_eq!(hits, index.query_plain("kora", 10));
        assert!(hits.iter().all(|h| h.tier == 3), "{hits:?}");
        // The substring matches fill the results first; from then on only the runs holding a
        // key or a word starting "ko" are read.
        assert!(scan.read < 200, "{} accounts read of 3000", scan.read);
        // The next key narrows to the same results as afresh.
        assert_eq!(index.query("kora b", 10), index.query_plain("kora b", 10));
    }

    #[test]
    fn typing_narrows_to_the_same_results_as_a_fresh_query() {
        let mut index = SearchIndex::new(crowd(3_000, 8));
        let mut rng = fastrand::Rng::with_seed(12);
        for round in 0..60 {
            index.parallel_from = if round % 3 == 0 { 1 } else { usize::MAX };
            let word = typed(&mut rng) + &typed(&mut rng);
            let mut so_far = String::new();
            for c in word.chars() {
                so_far.push(c);
                let limit = [1, 10, 50][rng.usize(..3)];
                assert_eq!(
                    index.query(&so_far, limit),
                    index.query_plain(&so_far, limit),
                    "{so_far:?} typed, limit {limit}"
                );
            }
            if round % 10 == 0 {
                let account = Id::new(Kind::Account, rng.u64(1..=3_000));
                index.contacted(account, 1_800_000_000 + round);
                assert_eq!(index.recent(1), [account]);
            }
        }
    }

    #[test]
    fn a_query_folded_to_the_last_one_is_answered_with_its_results() {
        let mut index = SearchIndex::new(crowd(3_000, 8));
        let walked = |index: &SearchIndex| {
            let last = index.last.lock().unwrap();
            last.as_ref().map(|l| (l.text.clone(), l.limit))
        };
        for query in ["ma", "ivanov", "wang", "555"] {
            index.query(query, 50);
            // A space typed after it, then fewer asked for: the same ranking, and no walk.
            for (again, limit) in [(format!("{query} "), 50), (query.to_uppercase(), 10)] {
                assert_eq!(index.query(&again, limit), index.query_plain(&again, limit));
                assert_eq!(walked(&index), Some((query.to_string(), 50)));
            }
            // More asked for than it kept: walked again.
            assert_eq!(index.query(query, 60), index.query_plain(query, 60));
            assert_eq!(walked(&index), Some((query.to_string(), 60)));
        }
        // A contact since changes the ranking: the next query walks.
        let first = index.query("ma", 1)[0].account;
        let other = index.query("ma", 2)[1].account;
        index.contacted(other, 1_900_000_000);
        assert_eq!(index.query("ma", 1)[0].account, other, "was {first}");
    }

    #[test]
    fn accounts_contacted_since_the_build_rank_as_if_built_with_their_contacts() {
        let mut docs = crowd(3_000, 10);
        let mut index = SearchIndex::new(docs.clone());
        let mut rng = fastrand::Rng::with_seed(13);
        for round in 0..120 {
            // Most contacts are now, some back-dated among the others, some the same account
            // again; a contact older than the one known changes nothing.
            let account = Id::new(
                Kind::Account,
                rng.u64(1..=if round % 4 == 0 { 20 } else { 3_000 }),
            );
            let at = match rng.u8(..3) {
                0 => 1_700_000_000 + rng.i64(0..1_000_000),
                _ => 1_800_000_000 + rng.i64(0..1_000),
            };
            index.contacted(account, at);
            let doc = docs
                .iter_mut()
                .find(|(id, _)| *id == account)
                .map(|(_, doc)| doc)
                .unwrap();
            doc.last_contact = doc.last_contact.max(Some(at));
        }
        let built = SearchIndex::new(docs);
        let mut rng = fastrand::Rng::with_seed(14);
        for round in 0..200 {
            index.parallel_from = if round % 2 == 0 { usize::MAX } else { 1 };
            let query = typed(&mut rng);
            let limit = [1, 5, 20, 50][rng.usize(..4)];
            let fast = index.query(&query, limit);
            assert_eq!(
                fast,
                index.query_plain(&query, limit),
                "{query:?}, limit {limit}"
            );
            assert_eq!(fast, built.query(&query, limit), "{query:?}, limit {limit}");
            for hit in &fast {
                assert_eq!(index.shown(hit), built.shown(hit), "{hit:?}");
            }
        }
        assert_eq!(index.recent(3_000), built.recent(3_000));
        // Written and read back, the moved accounts are still where their contacts put them.
        let mut bytes = Vec::new();
        index.encode(&mut bytes).unwrap();
        let (read, ..) = SearchIndex::decode(&bytes[..], bytes.len() as u64, None).unwrap();
        assert_eq!(
            ranking(&read, &mut fastrand::Rng::with_seed(2)),
            ranking(&built, &mut fastrand::Rng::with_seed(2))
        );
    }

    fn ranking(index: &SearchIndex, rng: &mut fastrand::Rng) -> Vec<Vec<(Id, u8, i64)>> {
        let mut out: Vec<Vec<(Id, u8, i64)>> = (0..80)
            .map(|_| {
                index
                    .query(&typed(rng), 20)
                    .into_iter()
                    .map(|h| (h.account, h.tier, h.score))
                    .collect()
            })
            .collect();
        out.push(index.recent(30).into_iter().map(|id| (id, 0, 0)).collect());
        out
    }

    #[test]
    fn account_and_key_entries_are_small() {
        // A million are held: a field more or an `Option` is megabytes.
        assert!(std::mem::size_of::<AccountEntry>() <= 32);
        assert_eq!(std::mem::size_of::<Kind>(), 1);
        let mut keys = Keys::default();
        keys.push(KeyEntry::new(3, KeyField::ExternalId, true));
        assert_eq!(keys.bytes(), 5);
        // Written with its document and read back, a key is the same.
        for (field, spaced, doc) in [
            (KeyField::ExternalId, true, MAX_DOCS - 1),
            (KeyField::Name, false, 0),
        ] {
            let key = KeyEntry::new(3, field, spaced);
            let (read, d) = KeyEntry::held(3, key.doc_field(doc).unwrap()).unwrap();
            assert_eq!((read.field(), read.spaced(), d), (field, spaced, doc));
        }
        assert!(
            KeyEntry::new(3, KeyField::Name, false)
                .doc_field(MAX_DOCS)
                .is_none()
        );
    }

    #[test]
    fn an_index_whose_documents_and_text_stay_in_its_file_finds_the_same_hits_through_them() {
        let index = SearchIndex::new(crowd(3_000, 9));
        let mut bytes = vec![7; 11]; // the encoding after a header, as in a snapshot
        index.encode(&mut bytes).unwrap();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        let length = bytes.len() as u64 - 11;
        let (filed, _) = SearchIndex::decode(&bytes[11..], length, Some((file, 11))).unwrap();
        assert_eq!(filed.footprint()[3], ("documents", 0));
        let (text, held) = (filed.footprint()[0].1, index.footprint()[0].1);
        assert!(
            text * 2 < held,
            "the packed text stays in the file: {text} of {held}"
        );
        let mut contacts = 0;
        for query in ["a", "an", "ma", "ivan", "wang", "555", "c-1"] {
            let hits = filed.query(query, 50);
            assert_eq!(hits, index.query(query, 50), "{query}");
            contacts += hits.iter().filter(|h| h.via != h.account).count();
        }
        assert!(contacts > 0, "some hits are through contacts");
        // A catch-up needs them held: the index refuses to be written without them.
        assert!(filed.encode(&mut Vec::new()).is_err());

        // The file damaged after it was read: its text reads as nothing, and nothing panics.
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        let kept = file.try_clone().unwrap();
        let (damaged, _) = SearchIndex::decode(&bytes[11..], length, Some((file, 11))).unwrap();
        kept.set_len(12).unwrap();
        assert_eq!(damaged.query("ivan", 50), vec![]);
    }

    #[test]
    fn an_index_read_back_from_its_bytes_and_one_caught_up_rank_like_one_built_afresh() {
        let docs = crowd(3_000, 9);
        let index = SearchIndex::new(docs.clone());
        let mut bytes = Vec::new();
        index.encode(&mut bytes).unwrap();
        // Read back, the index ranks the same and says where each shown line is in the file.
        let (read, shown) = SearchIndex::decode(&bytes[..], bytes.len() as u64, None).unwrap();
        let mut file = std::io::Cursor::new(&bytes);
        assert_eq!(read.footprint()[1], ("shown", 0));
        assert_eq!(
            ranking(&read, &mut fastrand::Rng::with_seed(1)),
            ranking(&index, &mut fastrand::Rng::with_seed(1))
        );
        assert!(shown_lines(&index).iter().all(Option::is_some));
        for hit in read.query("a", 50) {
            let span = shown
                .span(&mut file, 0, read.place_of(&hit).unwrap())
                .unwrap();
            let (start, len) = (u64::from(span.start), u64::from(span.len));
            let line = shown.read(&mut file, 0, start, len).unwrap();
            let line = std::str::from_utf8(&line).unwrap();
            assert_eq!(Shown::decode(line), index.shown(&hit));
        }
        assert!(shown.read(&mut file, 0, shown.len - 1, 2).is_none());
        let text = shown.read(&mut file, 0, 0, shown.len).unwrap();
        assert!(text.len() > 2 * SHOWN_BLOCK, "lines across blocks");
        let text = String::from_utf8(text).unwrap();
        let held = shown.docs(&mut file, 0).unwrap();
        let read = read.with_shown(held, shown.spans(&mut file, 0).unwrap(), text);
        assert_eq!(shown_lines(&read), shown_lines(&index));
        let mut again = Vec::new();
        read.encode(&mut again).unwrap();
        assert_eq!(again, bytes);
        let lean = read.without_shown();
        assert!(
            lean.encode(&mut Vec::new()).is_err(),
            "never written without its lines"
        );
        assert!(
            SearchIndex::decode(&bytes[..bytes.len() - 1], bytes.len() as u64 - 1, None).is_none()
        );
        assert!(SearchIndex::decode(&bytes[..], bytes.len() as u64 - 1, None).is_none());

        // Change a tenth of the documents: some gone, some renamed, contacts moved, new ones.
        let mut rng = fastrand::Rng::with_seed(10);
        let mut now = docs.clone();
        let mut changed = Vec::new();
        let new_names = crowd(300, 99);
        for (i, (id, doc)) in now.iter_mut().enumerate().filter(|(i, _)| i % 10 == 3) {
            let replacement = match rng.u8(..3) {
                0 => None,
                _ => {
                    let mut other = new_names[i % new_names.len()].1.clone();
                    other.account = if id.kind == Kind::Account {
                        *id
                    } else {
                        doc.account
                    };
                    other.last_contact = (id.kind == Kind::Account).then_some(1_800_000_000);
                    Some(other)
                }
            };
            changed.push((*id, replacement.clone()));
            if let Some(r) = replacement {
                *doc = r;
            } else {
                doc.keys.clear();
            }
        }
        let added = (Id::new(Kind::Account, 90_001), new_names[0].1.clone());
        let mut added_doc = added.1.clone();
        added_doc.account = added.0;
        changed.push((added.0, Some(added_doc.clone())));
        now.push((added.0, added_doc));
        let removed: std::collections::HashSet<Id> = changed
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(id, _)| *id)
            .collect();
        now.retain(|(id, _)| !removed.contains(id));
        let caught_up = SearchIndex::new(docs).with_changes(changed);
        let fresh = SearchIndex::new(now);
        assert_eq!(
            ranking(&caught_up, &mut fastrand::Rng::with_seed(2)),
            ranking(&fresh, &mut fastrand::Rng::with_seed(2))
        );
        assert_eq!(shown_lines(&caught_up), shown_lines(&fresh));
    }

    /// What the index shows of the accounts a few queries find.
    fn shown_lines(index: &SearchIndex) -> Vec<Option<Shown>> {
        ["a", "e", "ov", "5"]
            .iter()
            .flat_map(|q| index.query(q, 50))
            .map(|hit| index.shown(&hit))
            .collect()
    }

    #[test]
    fn a_query_that_becomes_phone_digits_is_not_narrowed() {
        let index = SearchIndex::new(vec![account(1, "Acme", Some("+1 415 555 0100"), None)]);
        assert!(
            names(&index, "41").is_empty(),
            "two digits are not a phone query"
        );
        assert_eq!(
            names(&index, "415"),
            [1],
            "three are, though \"41\" matched nothing"
        );
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
    fn a_key_of_hundreds_of_digits_is_found_by_them() {
        let long = "7".repeat(300);
        let index = SearchIndex::new(vec![
            account(1, &long, None, None),
            account(2, "Beta", Some("+1 415 555 0123"), None),
        ]);
        let query = &long[..260];
        assert_eq!(names(&index, query), [1]);
        assert_eq!(index.query(query, 10), index.query_plain(query, 10));
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
