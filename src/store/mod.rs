//! The storage layer: the [`Store`] trait the application writes and reads through, shaped by
//! what the application needs (get, scan, index lookups, an all-or-nothing commit that keeps
//! indexes and the audit log in step), and its backends.
//!
//! Both shipped backends are ordered key-value engines behind [`kv::Kv`], sharing one key
//! layout ([`layout`]) and one commit procedure ([`kv::KvStore`]): [`memory`] for tests and
//! [`sled`](mod@sled) on disk. A backend for shared team use can implement [`Store`] directly.

pub mod kv;
pub mod layout;
pub mod memory;
pub mod sled;

use crate::domain::audit::AuditEntry;
use crate::domain::{Id, Kind, Record};
use crate::search::keys::SearchDocument;
use jiff::Timestamp;
pub use layout::Index;
use std::path::PathBuf;

/// Long work an open may have to do before the database is ready, each once: told as it
/// starts, so that whoever waits can be told why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenWork {
    /// Rewriting what the migration to schema `to` changes.
    Migrating { to: u32 },
    /// Writing the entry file again from what sled holds: a load by an older build did not
    /// end, or a file of index entries only is missing, damaged or of an older layout.
    RebuildingEntries,
    /// Finishing a bulk load (an import, a restore) cut short, from its log.
    FinishingBulkLoad,
}

impl std::fmt::Display for OpenWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenWork::Migrating { to } => write!(
                f,
                "updating the database to schema {to}, once (up to a minute a million accounts)"
            ),
            OpenWork::RebuildingEntries => write!(
                f,
                "writing the records and their index entries to the entry file, once (a few \
                 seconds each hundred thousand records)"
            ),
            OpenWork::FinishingBulkLoad => write!(
                f,
                "finishing an import or restore that was cut short, from its log (up to half \
                 a minute a million accounts)"
            ),
        }
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {} is in use by another rapport process; close that one (quit the TUI, let the import finish) and try again, or pick another database with --db",
        .path.display()
    )]
    InUse { path: PathBuf },
    #[error(
        "the database at {} has schema version {found}, newer than this rapport ({}) understands (up to {supported}); use a newer rapport",
        .path.display(), env!("CARGO_PKG_VERSION")
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the database holds a damaged entry at key {key}: {reason}; run `rapport check`")]
    Corrupt { key: String, reason: String },
    #[error("storage error: {0}")]
    Backend(String),
    /// Another writer changed what a transaction read; the transaction is retried.
    #[error("transaction conflict")]
    Conflict,
}

impl StoreError {
    /// A damaged entry at `key`.
    pub fn corrupt(key: &[u8], reason: &str) -> StoreError {
        StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            reason: reason.to_string(),
        }
    }
}

/// One change to one record.
#[derive(Debug, Clone)]
pub enum Write {
    /// Creates or replaces the record with this id.
    Put(Record),
    /// Removes the record and its index entries.
    Delete(Id),
}

/// Changes written together, all or nothing, with their index entries and audit entries.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Who made the change.
    pub user: String,
    /// When.
    pub at: Timestamp,
    pub writes: Vec<Write>,
    /// Why, recorded on every audit entry of the commit.
    pub note: Option<String>,
    /// Counters (`A`, `T`, …) moved forward to at least these values, for records that bring
    /// their own ids (an import of an export).
    pub counters: Vec<(String, u64)>,
}

impl Commit {
    /// An empty commit by `user` at `at`.
    pub fn new(user: &str, at: Timestamp) -> Commit {
        Commit {
            user: user.to_string(),
            at,
            writes: Vec::new(),
            note: None,
            counters: Vec::new(),
        }
    }

    /// Adds a put.
    pub fn put(mut self, record: impl Into<Record>) -> Commit {
        self.writes.push(Write::Put(record.into()));
        self
    }

    /// Adds a delete.
    pub fn delete(mut self, id: Id) -> Commit {
        self.writes.push(Write::Delete(id));
        self
    }

    /// Sets the note.
    pub fn note(mut self, note: impl Into<String>) -> Commit {
        self.note = Some(note.into());
        self
    }
}

/// A range of one index to read.
#[derive(Debug, Clone)]
pub struct IndexScan {
    pub index: Index,
    pub value: Vec<u8>,
    /// The value must match entirely, not just start the entry's value.
    pub whole: bool,
    pub newest_first: bool,
    pub limit: Option<usize>,
}

impl IndexScan {
    /// Entries whose value is exactly `value`.
    pub fn exact(index: Index, value: impl Into<Vec<u8>>) -> IndexScan {
        IndexScan {
            index,
            value: value.into(),
            whole: true,
            newest_first: false,
            limit: None,
        }
    }

    /// Entries whose value starts with `value`.
    pub fn prefix(index: Index, value: impl Into<Vec<u8>>) -> IndexScan {
        IndexScan {
            whole: false,
            ..IndexScan::exact(index, value)
        }
    }

    /// Reads from the end of the range backwards.
    pub fn newest_first(mut self) -> IndexScan {
        self.newest_first = true;
        self
    }

    /// Stops after `n` entries.
    pub fn limit(mut self, n: usize) -> IndexScan {
        self.limit = Some(n);
        self
    }
}

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub record: Option<Id>,
    pub user: Option<String>,
    pub since: Option<Timestamp>,
}

/// Records streamed from a scan.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Record, StoreError>> + 'a>;

/// What [`Store::scan_written`] writes of each chunk of records, in their order, to bytes: it
/// returns how many of them it wrote (it may pass some over).
pub type ChunkWriter = std::sync::Arc<dyn Fn(&[Record], &mut Vec<u8>) -> usize + Send + Sync>;

/// A chunk of records as a [`ChunkWriter`] wrote them.
#[derive(Debug, Default)]
pub struct WrittenChunk {
    pub bytes: Vec<u8>,
    /// How many records it wrote.
    pub records: usize,
}

/// Chunks of records written to bytes, streamed from a scan.
pub type WrittenChunks<'a> = Box<dyn Iterator<Item = Result<WrittenChunk, StoreError>> + 'a>;

/// Audit entries read one at a time.
pub type AuditEntries<'a> = Box<dyn Iterator<Item = Result<AuditEntry, StoreError>> + 'a>;

/// What the application needs from storage.
pub trait Store: Send + Sync {
    /// Where the data lives, for messages.
    fn location(&self) -> String;

    /// The record with `id`, if there is one.
    fn get(&self, id: Id) -> Result<Option<Record>, StoreError>;

    /// Every record of `kind`, in id order.
    fn scan(&self, kind: Kind) -> Records<'_>;

    /// Every record of `kind`, in id order, as `write` writes them a chunk at a time (an
    /// export): the store may decode and write chunks on threads of its own, so that the records
    /// are made, written and dropped where they were decoded, and gives the bytes back in order.
    /// A record that cannot be read ends the scan with its error, after the chunks before it.
    fn scan_written(&self, kind: Kind, write: ChunkWriter) -> WrittenChunks<'_>;

    /// The names of every custom field that records of `kind` carry, read without decoding
    /// whole records (the columns of a CSV export, found before its rows are written).
    fn custom_field_names(
        &self,
        kind: Kind,
    ) -> Result<std::collections::BTreeSet<String>, StoreError>;

    /// The ids an index range points at, in key order (or reversed).
    fn ids(&self, scan: &IndexScan) -> Result<Vec<Id>, StoreError>;

    /// Reserves the next id of `kind`; a reserved number is never handed out again.
    fn allocate(&self, kind: Kind) -> Result<Id, StoreError>;

    /// Reserves the next `n` numbers of `kind` at once (`n` at least 1), for a bulk load that
    /// would otherwise write the counter once a record.
    fn allocate_block(&self, kind: Kind, n: u64) -> Result<std::ops::Range<u64>, StoreError>;

    /// Hands back `unused`, the end of the last block reserved, when nothing has been reserved
    /// after it (its numbers were never given to a record), so that a bulk load leaves no gap in
    /// the ids; otherwise they stay spent.
    fn release_block(&self, kind: Kind, unused: std::ops::Range<u64>) -> Result<(), StoreError>;

    /// Writes every change of `commit`, their index entries and an audit entry for each record
    /// that changed, in one transaction, durable when this returns. Puts that change nothing
    /// write nothing. Returns the sequence numbers of the audit entries written.
    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError>;

    /// Audit entries, oldest first.
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_log(query).collect()
    }

    /// Audit entries, oldest first, read as the iterator goes: however many, in flat memory (a
    /// dump, the whole log as JSON lines).
    fn audit_log(&self, query: &AuditQuery) -> AuditEntries<'_>;

    /// Every record's search document.
    fn search_documents(
        &self,
    ) -> Box<dyn Iterator<Item = Result<(Id, SearchDocument), StoreError>> + '_>;

    /// The record's search document, if it has one.
    fn search_document(&self, id: Id) -> Result<Option<SearchDocument>, StoreError>;

    /// Where the database stands: anything derived from the records and stamped with it is
    /// current while it has not moved.
    fn generation(&self) -> Result<Generation, StoreError>;

    /// The records changed by the audit entries after `seq` (of the same epoch), oldest first,
    /// each once; `None` when there are more than `limit` entries to read.
    fn changed_since(&self, seq: u64, limit: u64) -> Result<Option<Vec<Id>>, StoreError>;

    /// Where a file derived from the records (a search snapshot) named `name` is kept beside
    /// the database; `None` for a database that is not on disk.
    fn derived_file(&self, name: &str) -> Option<std::path::PathBuf>;

    /// Every counter and its value: one per kind (`A`, `T`, …) and `audit`.
    fn counters(&self) -> Result<Vec<(String, u64)>, StoreError>;

    /// True when no record of any kind is stored.
    fn is_empty(&self) -> Result<bool, StoreError>;

    /// Loads records and audit entries exactly as given (ids, stamps and sequence numbers
    /// kept), with their index entries and search documents, in one transaction, durable when
    /// this returns. Counters only move forward. For restoring dumps into an empty database.
    fn restore(&self, batch: &Restore) -> Result<(), StoreError>;

    /// Starts a bulk load (an import, a restore): until [`Store::end_bulk`], what commits
    /// write may be sorted aside and folded in at the end, a great deal faster than one key at
    /// a time. Reads see it all the while, and every commit is as durable as any other: a
    /// crash before the end leaves the backend to finish the load on the next open.
    fn begin_bulk(&self) -> Result<(), StoreError>;

    /// Ends a bulk load: everything it wrote is in place.
    fn end_bulk(&self) -> Result<(), StoreError>;

    /// Verifies that index entries, search documents, audit entries and counters agree with
    /// the records, and reports every disagreement.
    fn check(&self) -> Result<Vec<String>, StoreError>;
}

/// Where a database stands, for files derived from its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Generation {
    /// Moves when records change without an audit entry of their own (a restore): what was
    /// derived before cannot be caught up from the audit log.
    pub epoch: u64,
    /// The audit log's last sequence number: what changed since a derived file was written is
    /// in the audit entries after it.
    pub seq: u64,
}

/// What [`Store::restore`] loads in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Restore {
    pub records: Vec<Record>,
    pub audit: Vec<AuditEntry>,
    /// Counter names (`A`, `audit`, …) and the value each must at least have.
    pub counters: Vec<(String, u64)>,
}
