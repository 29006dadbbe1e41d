//! The key layout and record codec shared by every key-value backend.
//!
//! One ordered key space:
//! - `m:schema`: the schema version (u32, big-endian);
//! - `m:epoch`: how many restores the database has had (u64, big-endian);
//! - `n:<prefix>`: the counter behind ids of a kind (`n:A`), and `n:audit` for the audit log;
//! - `r:<prefix>:<number>`: a record (`r:A:` then the number as u64 big-endian, so that keys
//!   sort by number), stored as one codec-version byte, the length of its JSON (u32,
//!   little-endian), the JSON (self-describing, so that adding an optional field needs no
//!   migration), then its search document (see [`crate::search::keys`]) when it has one: one
//!   write a record instead of two, and the search index is rebuilt by reading the documents
//!   off the accounts and contacts;
//! - `x:<index>\0<value>\0<id>`: a secondary index entry with an empty value;
//! - `h:<id>\0<seq>`: an audit entry (seq u64 big-endian), kept by the record it is about, so
//!   that a record's history is one range and an entry is one write; a creation's entry is kept
//!   without its changes, which the record and its later entries give back (see
//!   [`encode_entry`]);
//! - `l:<seq>`: a run of the audit log: the records of the entries `seq`, `seq + 1`, … (ids, one
//!   a line), one for each commit, so that the log reads in order of sequence;
//! - `x:audit.user\0<user>\0<seq>`: the entries of one commit's user (see [`audit_user_run`]);
//! - `c:<prefix>:<name>`: how many records of a kind carry the custom field `name` (u64,
//!   big-endian; absent is none), so that a CSV export knows its columns without a pass over
//!   the records.
//!
//! Prefixes for knowledge-base articles (`KB`), opportunities (`O`) and campaigns (`CP`) are
//! reserved by [`Kind`].

use super::StoreError;
use crate::domain::audit::AuditEntry;
use crate::domain::{Id, Kind, Record};
use crate::search::keys::SearchDocument;

/// The schema version this build writes and understands. 2: search documents inside the
/// record's value instead of under `s:` keys of their own. 3: audit entries under `h:` by
/// record, the log's order in runs under `l:`, instead of entries under `l:` and a by-record
/// index entry for each. 4: an account's search document holds what a search shows of it, and
/// a creation's audit entry is kept without its changes. 5: the records' index entries may be
/// kept in a file beside the tree (see [`super::sled`]), which older builds would not read, and
/// the custom fields of each kind are counted under `c:`. 6: the records and their audit
/// entries may be kept in that file too.
pub const SCHEMA_VERSION: u32 = 6;
/// The codec version byte at the start of every stored record: 2, JSON then the search
/// document. 1 (JSON alone, the document under `s:`) is still read, for the migration.
pub const RECORD_VERSION: u8 = 2;
const RECORD_VERSION_JSON_ONLY: u8 = 1;

/// The key holding the schema version.
pub const SCHEMA_KEY: &[u8] = b"m:schema";
/// The key of the epoch, moved by every restore (see [`super::Generation`]).
pub const EPOCH_KEY: &[u8] = b"m:epoch";
/// The key of the audit log's counter.
pub const AUDIT_COUNTER: &[u8] = b"n:audit";

/// The counter key behind ids of `kind`.
pub fn counter_key(kind: Kind) -> Vec<u8> {
    named_counter_key(kind.prefix())
}

/// The key of a counter by name (`A`, `audit`).
pub fn named_counter_key(name: &str) -> Vec<u8> {
    format!("n:{name}").into_bytes()
}

/// The prefix of every counter.
pub const COUNTER_PREFIX: &[u8] = b"n:";
/// The prefix of every record.
pub const RECORD_PREFIX: &[u8] = b"r:";
/// The prefix of every secondary index entry.
pub const INDEX_PREFIX: &[u8] = b"x:";
/// The prefix of every audit entry.
pub const AUDIT_PREFIX: &[u8] = b"l:";

/// The prefix under which records of `kind` are stored.
pub fn record_prefix(kind: Kind) -> Vec<u8> {
    format!("r:{}:", kind.prefix()).into_bytes()
}

/// The key of a record.
pub fn record_key(id: Id) -> Vec<u8> {
    let mut key = record_prefix(id.kind);
    key.extend_from_slice(&id.number.to_be_bytes());
    key
}

/// The id a record key names.
pub fn id_of_record_key(kind: Kind, key: &[u8]) -> Result<Id, StoreError> {
    let prefix_len = record_prefix(kind).len();
    let number: [u8; 8] = key
        .get(prefix_len..)
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| StoreError::corrupt(key, "record key of the wrong length"))?;
    Ok(Id::new(kind, u64::from_be_bytes(number)))
}

/// The prefix of every count of custom fields.
pub const CUSTOM_PREFIX: &[u8] = b"c:";

/// The prefix of the counts of custom fields of `kind`.
pub fn custom_prefix(kind: Kind) -> Vec<u8> {
    format!("c:{}:", kind.prefix()).into_bytes()
}

/// The key of the count of records of `kind` carrying the custom field `name`.
pub fn custom_key(kind: Kind, name: &str) -> Vec<u8> {
    let mut key = custom_prefix(kind);
    key.extend_from_slice(name.as_bytes());
    key
}

/// The prefix of every audit entry.
pub const HISTORY_PREFIX: &[u8] = b"h:";

/// The prefix of the audit entries about `record`.
pub fn history_prefix(record: Id) -> Vec<u8> {
    format!("h:{record}\0").into_bytes()
}

/// The key of the audit entry `seq`, about `record`.
pub fn history_key(record: Id, seq: u64) -> Vec<u8> {
    let mut key = history_prefix(record);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The sequence number a history key ends with.
pub fn seq_of_history_key(key: &[u8]) -> Result<u64, StoreError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::corrupt(key, "audit entry key of the wrong length"))
}

/// A run's value: the records of its entries, in order of sequence.
pub fn encode_run(records: &[Id]) -> Vec<u8> {
    let mut value = String::with_capacity(records.len() * 10);
    for (i, id) in records.iter().enumerate() {
        if i > 0 {
            value.push('\n');
        }
        value.push_str(&id.to_string());
    }
    value.into_bytes()
}

/// A run's first sequence number and records.
pub fn decode_run(key: &[u8], value: &[u8]) -> Result<(u64, Vec<Id>), StoreError> {
    let first = seq_of_audit_key(key)?;
    let bad = || StoreError::corrupt(key, "unreadable run of the audit log");
    let text = std::str::from_utf8(value).map_err(|_| bad())?;
    let records = text
        .split('\n')
        .map(|id| id.parse().map_err(|_| bad()))
        .collect::<Result<Vec<Id>, StoreError>>()?;
    Ok((first, records))
}

/// Whether an `l:` value is an audit entry as schemas 1 and 2 kept it (JSON), not a run.
pub fn is_schema_2_entry(value: &[u8]) -> bool {
    value.first() == Some(&b'{')
}

/// The key of the run of the audit log starting at `seq`.
pub fn audit_key(seq: u64) -> Vec<u8> {
    let mut key = AUDIT_PREFIX.to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The sequence number an audit key names.
pub fn seq_of_audit_key(key: &[u8]) -> Result<u64, StoreError> {
    key.get(AUDIT_PREFIX.len()..)
        .and_then(|n| n.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StoreError::corrupt(key, "audit key of the wrong length"))
}

/// The by-user index entry of the audit entries `first..=last`, all by `user` (one commit's):
/// keyed by the first, with the last as its value (u64, big-endian), so that a commit of many
/// records writes one entry instead of one a record. A run of one entry has an empty value.
pub fn audit_user_run(user: &str, first: u64, last: u64) -> (Vec<u8>, Vec<u8>) {
    let key = Index::AuditUser.entry(&fold(user), &format!("{first:020}"));
    let value = if last > first {
        last.to_be_bytes().to_vec()
    } else {
        Vec::new()
    };
    (key, value)
}

/// The folded user and the sequence numbers a by-user index entry names.
pub fn audit_run(
    key: &[u8],
    value: &[u8],
) -> Result<(String, std::ops::RangeInclusive<u64>), StoreError> {
    let bad = || StoreError::corrupt(key, "unreadable by-user audit index entry");
    let rest = key
        .strip_prefix(Index::AuditUser.prefix(b"", false).as_slice())
        .ok_or_else(bad)?;
    let at = rest.iter().rposition(|&b| b == 0).ok_or_else(bad)?;
    let user = String::from_utf8(rest[..at].to_vec()).map_err(|_| bad())?;
    let first: u64 = index_target(key)?.parse().map_err(|_| bad())?;
    let last = match value {
        [] => first,
        bytes => u64::from_be_bytes(bytes.try_into().map_err(|_| bad())?),
    };
    if last < first {
        return Err(bad());
    }
    Ok((user, first..=last))
}

/// The prefix of the search documents of schema 1, each under `s:<id>`.
pub const SEARCH_PREFIX: &[u8] = b"s:";

/// Encodes a record, with its search document, for storage.
pub fn encode(record: &Record) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(768);
    bytes.push(RECORD_VERSION);
    bytes.extend_from_slice(&[0; 4]);
    record.write_json(&mut bytes);
    let json_len = u32::try_from(bytes.len() - 5).expect("a record is under 4 GB");
    bytes[1..5].copy_from_slice(&json_len.to_le_bytes());
    if let Some(doc) = crate::search::keys::document(record) {
        bytes.extend_from_slice(&doc.encode());
    }
    bytes
}

/// The first byte of a creation's audit entry kept light: the entry's own fields as JSON, its
/// changes left out. They are every field of the record as the creation left it, which is the
/// record as it is now with every later change undone (see [`crate::domain::audit::undo`]):
/// the store reads them off the record's history (a record once deleted, off the deletion's
/// entry). A tenth of the bytes and none of the work, for the entries an import writes by the
/// million; a field that records gain later reads there as its default. Any other entry is its
/// whole JSON, which starts with `{`.
const LIGHT_CREATION: u8 = b'L';

/// Encodes an audit entry for storage; a `light` one is a creation whose changes are left to be
/// read off the record (its `changes` empty).
pub fn encode_entry(entry: &AuditEntry, light: bool) -> Vec<u8> {
    debug_assert!(
        !light || entry.changes.is_empty(),
        "a light entry keeps no changes"
    );
    let mut bytes = if light {
        vec![LIGHT_CREATION]
    } else {
        Vec::new()
    };
    serde_json::to_writer(&mut bytes, entry).expect("audit entries serialise");
    bytes
}

/// Decodes a stored audit entry (see [`encode_entry`]), and whether it is a creation kept
/// light, its changes still to be read off the record.
pub fn decode_entry(key: &[u8], bytes: &[u8]) -> Result<(AuditEntry, bool), StoreError> {
    let (json, light) = match bytes.strip_prefix(&[LIGHT_CREATION]) {
        Some(json) => (json, true),
        None => (bytes, false),
    };
    let entry =
        serde_json::from_slice(json).map_err(|e| StoreError::corrupt(key, &e.to_string()))?;
    Ok((entry, light))
}

/// The JSON of a stored record and its encoded search document (empty when it has none).
fn parts<'a>(key: &[u8], bytes: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), StoreError> {
    match bytes.split_first() {
        Some((&RECORD_VERSION, rest)) => {
            let (len, rest) = rest
                .split_first_chunk::<4>()
                .ok_or_else(|| StoreError::corrupt(key, "record shorter than its header"))?;
            let len = u32::from_le_bytes(*len) as usize;
            if len > rest.len() {
                return Err(StoreError::corrupt(key, "record shorter than its JSON"));
            }
            Ok(rest.split_at(len))
        }
        Some((&RECORD_VERSION_JSON_ONLY, json)) => Ok((json, &[])),
        Some((version, _)) => Err(StoreError::corrupt(
            key,
            &format!("record codec version {version} is unknown to this build"),
        )),
        None => Err(StoreError::corrupt(key, "empty record")),
    }
}

/// Decodes a stored record of `kind`.
pub fn decode(kind: Kind, key: &[u8], bytes: &[u8]) -> Result<Record, StoreError> {
    let (json, _) = parts(key, bytes)?;
    Record::from_json_slice(kind, json).map_err(|e| StoreError::corrupt(key, &e.to_string()))
}

/// The names of the custom fields of a stored record, without decoding the rest of it.
pub fn decode_custom_field_names(key: &[u8], bytes: &[u8]) -> Result<Vec<String>, StoreError> {
    let (json, _) = parts(key, bytes)?;
    Record::custom_field_names(json).map_err(|e| StoreError::corrupt(key, &e.to_string()))
}

/// The search document stored with a record, without decoding the record; `None` when it has
/// none.
pub fn decode_document(key: &[u8], bytes: &[u8]) -> Result<Option<SearchDocument>, StoreError> {
    match parts(key, bytes)? {
        (_, []) => Ok(None),
        (_, doc) => SearchDocument::decode(doc)
            .map(Some)
            .ok_or_else(|| StoreError::corrupt(key, "unreadable search document")),
    }
}

/// Whether a stored record is in the codec this build writes.
pub fn is_current(bytes: &[u8]) -> bool {
    bytes.first() == Some(&RECORD_VERSION)
}

/// A secondary index: a sorted set of (value, id) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// Accounts by folded name, for sorted lists.
    AccountName,
    AccountExternalId,
    AccountEmail,
    /// Accounts by every digit of each phone number.
    AccountPhone,
    /// Contacts by the account they belong to.
    ContactAccount,
    ContactExternalId,
    ContactEmail,
    ContactPhone,
    /// Interactions by account, then start time, then id.
    InteractionAccount,
    InteractionExternalId,
    /// Tickets by account.
    TicketAccount,
    TicketExternalId,
    /// Users by login name.
    UserName,
    /// Knowledge-base articles by title.
    ArticleTitle,
    /// Business calendars by name.
    CalendarName,
    /// SLA policies by priority.
    PolicyPriority,
    /// Audit entries by record, then sequence (schemas 1 and 2; the migration to 3 removes
    /// them).
    AuditRecord,
    /// Audit entries by user, then sequence.
    AuditUser,
}

impl Index {
    fn name(self) -> &'static str {
        match self {
            Index::AccountName => "account.name",
            Index::AccountExternalId => "account.external_id",
            Index::AccountEmail => "account.email",
            Index::AccountPhone => "account.phone",
            Index::ContactAccount => "contact.account",
            Index::ContactExternalId => "contact.external_id",
            Index::ContactEmail => "contact.email",
            Index::ContactPhone => "contact.phone",
            Index::InteractionAccount => "interaction.account",
            Index::InteractionExternalId => "interaction.external_id",
            Index::TicketAccount => "ticket.account",
            Index::TicketExternalId => "ticket.external_id",
            Index::UserName => "user.name",
            Index::ArticleTitle => "article.title",
            Index::CalendarName => "calendar.name",
            Index::PolicyPriority => "policy.priority",
            Index::AuditRecord => "audit.record",
            Index::AuditUser => "audit.user",
        }
    }

    /// The prefix of every entry of this index whose value starts with `value`. With
    /// `whole` the value must match entirely (the separator follows it).
    pub fn prefix(self, value: &[u8], whole: bool) -> Vec<u8> {
        let mut key = format!("x:{}\0", self.name()).into_bytes();
        key.extend(value.iter().map(|&b| if b == 0 { b' ' } else { b }));
        if whole {
            key.push(0);
        }
        key
    }

    /// The entry for `value` pointing at `target` (an id or, for the audit indexes, a seq).
    pub fn entry(self, value: &[u8], target: &str) -> Vec<u8> {
        let mut key = self.prefix(value, true);
        key.extend_from_slice(target.as_bytes());
        key
    }
}

/// The target (the text after the last separator) of an index entry.
pub fn index_target(key: &[u8]) -> Result<&str, StoreError> {
    let start = key.iter().rposition(|&b| b == 0).map_or(0, |p| p + 1);
    std::str::from_utf8(&key[start..])
        .map_err(|_| StoreError::corrupt(key, "index entry is not text"))
}

/// Lowercases a value for an exact-match index (emails, external ids, names).
pub fn fold(value: &str) -> Vec<u8> {
    value.trim().to_lowercase().into_bytes()
}

/// The start of the values of every interaction-by-account entry of `account`.
pub fn interactions_of(account: Id) -> Vec<u8> {
    format!("{account}/").into_bytes()
}

/// The value of an interaction-by-account entry: the account, then the start time so that
/// a reverse scan gives the newest first.
pub fn interaction_value(account: Id, started_at: jiff::Timestamp) -> Vec<u8> {
    let mut value = interactions_of(account);
    // Shifted so that every i64 second sorts as an unsigned big-endian number.
    let seconds = (started_at.as_second() as u64) ^ (1 << 63);
    value.extend_from_slice(format!("{seconds:020}").as_bytes());
    value
}

/// The keys of every index entry `record` needs (their values are empty), sorted.
pub fn index_keys(record: &Record) -> Vec<Vec<u8>> {
    let id = record.id();
    let target = id.to_string();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut add = |index: Index, value: &[u8]| {
        if !value.is_empty() {
            keys.push(index.entry(value, &target));
        }
    };
    match record {
        Record::Account(a) => {
            add(Index::AccountName, &fold(&a.name));
            if let Some(ext) = &a.external_id {
                add(Index::AccountExternalId, &fold(ext));
            }
            for email in &a.emails {
                add(Index::AccountEmail, &fold(email));
            }
            for phone in &a.phones {
                add(Index::AccountPhone, phone.digits.as_bytes());
            }
        }
        Record::Contact(c) => {
            add(Index::ContactAccount, c.account.to_string().as_bytes());
            if let Some(ext) = &c.external_id {
                add(Index::ContactExternalId, &fold(ext));
            }
            for email in &c.emails {
                add(Index::ContactEmail, &fold(email));
            }
            for phone in &c.phones {
                add(Index::ContactPhone, phone.digits.as_bytes());
            }
        }
        Record::Interaction(i) => {
            add(
                Index::InteractionAccount,
                &interaction_value(i.account, i.started_at),
            );
            if let Some(ext) = &i.external_id {
                add(Index::InteractionExternalId, &fold(ext));
            }
        }
        Record::Ticket(t) => {
            add(Index::TicketAccount, t.account.to_string().as_bytes());
            if let Some(ext) = &t.external_id {
                add(Index::TicketExternalId, &fold(ext));
            }
        }
        Record::User(u) => add(Index::UserName, &fold(&u.name)),
        Record::Article(a) => add(Index::ArticleTitle, &fold(&a.title)),
        Record::Calendar(c) => add(Index::CalendarName, &fold(&c.name)),
        Record::Policy(p) => add(Index::PolicyPriority, p.priority.to_string().as_bytes()),
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_light_creation_is_kept_without_its_changes_and_says_so() {
        use crate::domain::audit::AuditAction;
        let entry = AuditEntry {
            seq: 3,
            at: "2026-01-05T09:00:00Z".parse().unwrap(),
            user: "ann".into(),
            record: Id::new(Kind::Account, 7),
            action: AuditAction::Create,
            changes: Vec::new(),
            note: Some("import of a.csv".into()),
        };
        let key = history_key(entry.record, 3);
        let light = encode_entry(&entry, true);
        assert_eq!(decode_entry(&key, &light).unwrap(), (entry.clone(), true));
        let whole = encode_entry(&entry, false);
        assert_eq!(decode_entry(&key, &whole).unwrap(), (entry, false));
        assert!(decode_entry(&key, &light[..light.len() - 1]).is_err());
    }

    #[test]
    fn record_keys_sort_by_number_within_a_kind() {
        let a2 = record_key(Id::new(Kind::Account, 2));
        let a10 = record_key(Id::new(Kind::Account, 10));
        assert!(a2 < a10);
        assert!(a10.starts_with(&record_prefix(Kind::Account)));
        assert_eq!(
            id_of_record_key(Kind::Account, &a10).unwrap(),
            Id::new(Kind::Account, 10)
        );
    }

    #[test]
    fn prefixes_of_kinds_do_not_overlap() {
        for a in Kind::ALL {
            for b in Kind::ALL {
                if a != b {
                    assert!(
                        !record_prefix(a).starts_with(&record_prefix(b)),
                        "{a:?} {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn interaction_entries_sort_by_time() {
        let a = Id::new(Kind::Account, 1);
        let early = interaction_value(a, "1969-12-31T00:00:00Z".parse().unwrap());
        let late = interaction_value(a, "2026-01-01T00:00:00Z".parse().unwrap());
        assert!(early < late);
    }

    #[test]
    fn index_entries_end_with_their_target() {
        let key = Index::AccountEmail.entry(b"ann@x.com", "A-7");
        assert_eq!(index_target(&key).unwrap(), "A-7");
        assert!(key.starts_with(&Index::AccountEmail.prefix(b"ann@x.com", true)));
        assert!(!key.starts_with(&Index::AccountEmail.prefix(b"ann@x.co", true)));
        assert!(key.starts_with(&Index::AccountEmail.prefix(b"ann@x.co", false)));
    }
}
