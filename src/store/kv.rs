//! The ordered key-value engine beneath the shipped backends, and the one implementation of
//! [`Store`] over it: the commit procedure that keeps records, index entries, search documents
//! and the audit log in step.

use super::layout::{self, Index};
use super::{
    AuditEntries, AuditQuery, ChunkWriter, Commit, Generation, IndexScan, Records, Restore, Store,
    StoreError, Write, WrittenChunk, WrittenChunks,
};
use crate::domain::audit::{self, AuditAction, AuditEntry};
use crate::domain::{Id, Kind, Record};
use crate::search::keys::{DOCUMENT_KINDS, SearchDocument};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// Key-value pairs streamed from a scan.
pub type Pairs<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + 'a>;

/// Reads and writes inside one transaction.
pub trait Txn {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    fn remove(&self, key: &[u8]) -> Result<(), StoreError>;
}

/// A key's 64-bit hash, for sets of millions of keys.
fn key_hash(key: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// An ordered key-value engine with all-or-nothing transactions.
pub trait Kv: Send + Sync {
    /// Where the data lives, for messages.
    fn location(&self) -> String;
    /// The directory the data lives in, when on disk.
    fn directory(&self) -> Option<std::path::PathBuf>;
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Pairs whose key starts with `prefix`, in key order or reversed.
    fn scan(&self, prefix: &[u8], reverse: bool) -> Pairs<'_>;
    /// Pairs whose key starts with `prefix`, from `start` on in key order, or (`reverse`) from
    /// the last key at or before `start` backwards.
    fn scan_from(&self, prefix: &[u8], start: &[u8], reverse: bool) -> Pairs<'_>;
    /// Adds `by` to the big-endian u64 at `key` (absent is 0) and returns the new value,
    /// durably ordered before any later write.
    fn increment(&self, key: &[u8], by: u64) -> Result<u64, StoreError>;
    /// Sets the big-endian u64 at `key` to `new` if it still holds `current`; whether it did.
    fn swap_counter(&self, key: &[u8], current: u64, new: u64) -> Result<bool, StoreError>;
    /// Runs `f` as one transaction; it may run more than once on conflict.
    fn transact(&self, f: &dyn Fn(&dyn Txn) -> Result<(), StoreError>) -> Result<(), StoreError>;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Starts a bulk load: its writes may be put aside and folded in at [`Kv::end_bulk`].
    fn begin_bulk(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Ends a bulk load, every entry it wrote then in place.
    fn end_bulk(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// How many records a scan decodes at a time.
const DECODED_CHUNK: usize = 512;
/// How many chunks a scan has read ahead of the one it gives out, decoded or being decoded.
const IN_FLIGHT: usize = 4;

/// A chunk of stored pairs.
type PairChunk = Vec<(Vec<u8>, Vec<u8>)>;

/// What a scan makes of each chunk of stored pairs.
type ChunkWork<T> = std::sync::Arc<dyn Fn(PairChunk) -> T + Send + Sync>;

/// The chunks of a scan, each made into a `T` on threads of their own once there is more than
/// one chunk, and given out in the scan's order: a long scan (an export) reads the next pairs
/// while the ones before are decoded, and decoding JSON is half of an export's time.
struct Chunks<'a, T> {
    pairs: Pairs<'a>,
    work: ChunkWork<T>,
    /// How many threads to start.
    threads: usize,
    workers: Vec<Worker<T>>,
    /// Chunks handed to the workers, and how many of them came back: chunk `n` goes to worker
    /// `n % workers.len()`.
    sent: usize,
    received: usize,
    /// An error of the scan, given after the chunks before it.
    failed: Option<StoreError>,
    done: bool,
    /// Whether the workers were started (or failed to start: the scan then works here).
    started: bool,
}

struct Worker<T> {
    to: std::sync::mpsc::SyncSender<PairChunk>,
    from: std::sync::mpsc::Receiver<T>,
}

impl<T: Send + 'static> Worker<T> {
    fn start(work: ChunkWork<T>) -> Option<Worker<T>> {
        let (to, chunks) = std::sync::mpsc::sync_channel::<PairChunk>(IN_FLIGHT);
        let (back, from) = std::sync::mpsc::sync_channel(IN_FLIGHT);
        std::thread::Builder::new()
            .name("rapport-decode".into())
            .spawn(move || {
                for chunk in chunks {
                    if back.send(work(chunk)).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Worker { to, from })
    }
}

impl<'a, T: Send + 'static> Chunks<'a, T> {
    fn new(pairs: Pairs<'a>, threads: usize, work: ChunkWork<T>) -> Chunks<'a, T> {
        Chunks {
            pairs,
            work,
            threads,
            workers: Vec::new(),
            sent: 0,
            received: 0,
            failed: None,
            done: false,
            started: false,
        }
    }

    /// The next chunk of stored pairs, empty at the end of the scan or at an error.
    fn read_chunk(&mut self) -> PairChunk {
        let mut chunk = Vec::new();
        while !self.done && chunk.len() < DECODED_CHUNK {
            match self.pairs.next() {
                Some(Ok(pair)) => chunk.push(pair),
                Some(Err(e)) => {
                    self.failed = Some(e);
                    self.done = true;
                }
                None => self.done = true,
            }
        }
        chunk
    }
}

impl<T: Send + 'static> Iterator for Chunks<'_, T> {
    type Item = Result<T, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let stopped = || StoreError::Backend("a thread decoding records stopped".to_string());
        if !self.started {
            // The first chunk is worked here, so that a short scan starts no thread; threads
            // take the rest.
            self.started = true;
            let chunk = self.read_chunk();
            if !self.done {
                self.workers = (0..self.threads)
                    .map_while(|_| Worker::start(self.work.clone()))
                    .collect();
            }
            if !chunk.is_empty() {
                return Some(Ok((self.work)(chunk)));
            }
        }
        if self.workers.is_empty() {
            let chunk = self.read_chunk();
            if !chunk.is_empty() {
                return Some(Ok((self.work)(chunk)));
            }
        } else {
            // Chunks in flight: the workers have the next ones while this one is used.
            while !self.done && self.sent - self.received < IN_FLIGHT * self.workers.len() {
                let chunk = self.read_chunk();
                if chunk.is_empty() {
                    break;
                }
                if self.workers[self.sent % self.workers.len()]
                    .to
                    .send(chunk)
                    .is_err()
                {
                    self.done = true;
                    return Some(Err(stopped()));
                }
                self.sent += 1;
            }
            if self.received < self.sent {
                let worker = &self.workers[self.received % self.workers.len()];
                self.received += 1;
                return match worker.from.recv() {
                    Ok(made) => Some(Ok(made)),
                    Err(_) => {
                        self.done = true;
                        self.sent = self.received;
                        Some(Err(stopped()))
                    }
                };
            }
        }
        self.failed.take().map(Err)
    }
}

/// The records of a scan, decoded a chunk at a time (see [`Chunks`]).
fn decoded(pairs: Pairs<'_>, kind: Kind) -> Records<'_> {
    let decode: ChunkWork<Vec<Result<Record, StoreError>>> = std::sync::Arc::new(move |chunk| {
        chunk
            .into_iter()
            .map(|(key, bytes)| layout::decode(kind, &key, &bytes))
            .collect()
    });
    Box::new(Chunks::new(pairs, 1, decode).flat_map(|made| match made {
        Ok(records) => records,
        Err(e) => vec![Err(e)],
    }))
}

/// The records of a scan as `write` writes them, a chunk at a time on as many threads as there
/// are cores (see [`Chunks`]): a chunk's records are decoded, written and dropped on the same
/// thread.
fn written(pairs: Pairs<'_>, kind: Kind, write: ChunkWriter) -> WrittenChunks<'_> {
    let work: ChunkWork<(WrittenChunk, Option<StoreError>)> = std::sync::Arc::new(move |chunk| {
        let mut records = Vec::with_capacity(chunk.len());
        let mut failed = None;
        for (key, bytes) in chunk {
            match layout::decode(kind, &key, &bytes) {
                Ok(record) => records.push(record),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let mut written = WrittenChunk::default();
        written.records = write(&records, &mut written.bytes);
        (written, failed)
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Box::new(
        Chunks::new(pairs, threads, work)
            .flat_map(|made| {
                let (chunk, then) = match made {
                    Ok((written, failed)) => (Ok(written), failed),
                    Err(e) => (Err(e), None),
                };
                std::iter::once(chunk).chain(then.map(Err))
            })
            // Nothing after the first error.
            .scan(false, |stopped, item| {
                (!*stopped).then(|| {
                    *stopped = item.is_err();
                    item
                })
            }),
    )
}

/// A [`Store`] over any [`Kv`].
pub struct KvStore<K> {
    kv: K,
}

impl<K: Kv> KvStore<K> {
    /// A store over `kv`; the caller has checked the schema.
    pub fn new(kv: K) -> KvStore<K> {
        KvStore { kv }
    }

    /// The engine beneath, for backend-specific maintenance.
    pub fn kv(&self) -> &K {
        &self.kv
    }
}

fn read_u64(bytes: Option<Vec<u8>>) -> Result<u64, StoreError> {
    match bytes {
        None => Ok(0),
        Some(b) => b
            .as_slice()
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::corrupt(&b, "counter is not 8 bytes")),
    }
}

/// The generation of the records in `kv` (see [`Generation`]).
pub(crate) fn generation(kv: &impl Kv) -> Result<Generation, StoreError> {
    Ok(Generation {
        epoch: read_u64(kv.get(layout::EPOCH_KEY)?)?,
        seq: read_u64(kv.get(layout::AUDIT_COUNTER)?)?,
    })
}

/// An audit entry written by a commit: the entry and its stored form.
struct Written {
    entry: AuditEntry,
    stored: Vec<u8>,
}

/// Applies one write inside a transaction and returns its audit entry, if anything changed.
fn apply_write(
    txn: &dyn Txn,
    commit: &Commit,
    write: &Write,
) -> Result<Option<Written>, StoreError> {
    let id = match write {
        Write::Put(record) => record.id(),
        Write::Delete(id) => *id,
    };
    let before = read_record(txn, id)?;
    let after = match write {
        Write::Put(record) => Some(record),
        Write::Delete(_) => None,
    };
    if before.as_ref() == after {
        return Ok(None);
    }
    write_record(txn, id, before.as_ref(), after)?;
    let seq = read_u64(txn.get(layout::AUDIT_COUNTER)?)? + 1;
    txn.insert(layout::AUDIT_COUNTER, &seq.to_be_bytes())?;
    let mut entry = AuditEntry {
        seq,
        at: commit.at,
        user: commit.user.clone(),
        record: id,
        action: AuditAction::Create,
        changes: Vec::new(),
        note: commit.note.clone(),
    };
    let stored = match &before {
        // A creation is kept light: its changes are read off the record (see `history`).
        None => layout::encode_entry(&entry, true),
        Some(before) => {
            let after_json = after.map(Record::to_json);
            entry.action = match after {
                Some(_) => AuditAction::Update,
                None => AuditAction::Delete,
            };
            entry.changes = audit::diff(Some(&before.to_json()), after_json.as_ref());
            layout::encode_entry(&entry, false)
        }
    };
    Ok(Some(Written { entry, stored }))
}

/// Writes a record's bytes (its search document with them) and index entries, removing the
/// entries of the version it replaces.
fn write_record(
    txn: &dyn Txn,
    id: Id,
    before: Option<&Record>,
    after: Option<&Record>,
) -> Result<(), StoreError> {
    let old_keys = before.map(layout::index_keys).unwrap_or_default();
    let new_keys = after.map(layout::index_keys).unwrap_or_default();
    for old_key in &old_keys {
        if new_keys.binary_search(old_key).is_err() {
            txn.remove(old_key)?;
        }
    }
    for key in &new_keys {
        if old_keys.binary_search(key).is_err() {
            txn.insert(key, &[])?;
        }
    }
    let old_custom = before.map(|r| &r.meta().custom);
    let new_custom = after.map(|r| &r.meta().custom);
    for name in old_custom.into_iter().flat_map(|c| c.keys()) {
        if !new_custom.is_some_and(|c| c.contains_key(name)) {
            count_custom(txn, id.kind, name, false)?;
        }
    }
    for name in new_custom.into_iter().flat_map(|c| c.keys()) {
        if !old_custom.is_some_and(|c| c.contains_key(name)) {
            count_custom(txn, id.kind, name, true)?;
        }
    }
    let key = layout::record_key(id);
    match after {
        Some(record) => txn.insert(&key, &layout::encode(record)),
        None => txn.remove(&key),
    }
}

/// Counts one more (or one fewer) record of `kind` carrying the custom field `name`.
fn count_custom(txn: &dyn Txn, kind: Kind, name: &str, more: bool) -> Result<(), StoreError> {
    let key = layout::custom_key(kind, name);
    let count = read_u64(txn.get(&key)?)?;
    match (more, count) {
        (true, n) => txn.insert(&key, &(n + 1).to_be_bytes()),
        (false, 0 | 1) => txn.remove(&key),
        (false, n) => txn.insert(&key, &(n - 1).to_be_bytes()),
    }
}

/// How many records of each kind carry each custom field, read off the records themselves.
pub(crate) fn count_custom_fields(kv: &impl Kv) -> Result<BTreeMap<Vec<u8>, u64>, StoreError> {
    let mut counts = BTreeMap::new();
    for kind in Kind::ALL {
        for pair in kv.scan(&layout::record_prefix(kind), false) {
            let (key, bytes) = pair?;
            for name in layout::decode_custom_field_names(&key, &bytes)? {
                *counts.entry(layout::custom_key(kind, &name)).or_insert(0) += 1;
            }
        }
    }
    Ok(counts)
}

fn read_record(txn: &dyn Txn, id: Id) -> Result<Option<Record>, StoreError> {
    let key = layout::record_key(id);
    txn.get(&key)?
        .map(|bytes| layout::decode(id.kind, &key, &bytes))
        .transpose()
}

/// Moves counters forward to at least the given values.
fn advance_counters(txn: &dyn Txn, counters: &[(String, u64)]) -> Result<(), StoreError> {
    for (name, value) in counters {
        let key = layout::named_counter_key(name);
        if read_u64(txn.get(&key)?)? < *value {
            txn.insert(&key, &value.to_be_bytes())?;
        }
    }
    Ok(())
}

/// Writes audit entries (each with its stored form, see [`layout::encode_entry`]) under their
/// records, a run of the log for each stretch of consecutive sequence numbers, and a by-user
/// index entry for each such stretch by one user.
fn write_audit(
    txn: &dyn Txn,
    entries: &[AuditEntry],
    stored: &[Vec<u8>],
) -> Result<(), StoreError> {
    for (entry, bytes) in entries.iter().zip(stored) {
        txn.insert(&layout::history_key(entry.record, entry.seq), bytes)?;
    }
    for run in entries.chunk_by(|a, b| b.seq == a.seq + 1) {
        let records: Vec<Id> = run.iter().map(|e| e.record).collect();
        txn.insert(
            &layout::audit_key(run[0].seq),
            &layout::encode_run(&records),
        )?;
    }
    let same_user = |a: &AuditEntry, b: &AuditEntry| b.seq == a.seq + 1 && a.user == b.user;
    for run in entries.chunk_by(same_user) {
        let (first, last) = (&run[0], &run[run.len() - 1]);
        let (key, value) = layout::audit_user_run(&first.user, first.seq, last.seq);
        txn.insert(&key, &value)?;
    }
    Ok(())
}

/// Every run of the audit log, in order of sequence, from the one holding `from` on.
fn runs_from<K: Kv>(
    kv: &K,
    from: u64,
) -> Result<impl Iterator<Item = Result<(u64, Vec<Id>), StoreError>> + '_, StoreError> {
    let from = layout::audit_key(from);
    // The run holding `from` starts at or before it.
    let start = match kv.scan_from(layout::AUDIT_PREFIX, &from, true).next() {
        Some(pair) => pair?.0,
        None => from,
    };
    Ok(kv
        .scan_from(layout::AUDIT_PREFIX, &start, false)
        .map(|pair| pair.and_then(|(key, value)| layout::decode_run(&key, &value))))
}

impl<K: Kv> KvStore<K> {
    /// The audit entry `seq`, about `record`.
    fn history_entry(&self, record: Id, seq: u64) -> Result<Option<AuditEntry>, StoreError> {
        let key = layout::history_key(record, seq);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(bytes) => match layout::decode_entry(&key, &bytes)? {
                (entry, false) => Ok(Some(entry)),
                (_, true) => Ok(self.history(record)?.into_iter().find(|e| e.seq == seq)),
            },
        }
    }

    /// Every audit entry of `record`, oldest first. A creation kept light gets its changes
    /// back: the record as it is now (as the deletion's entry says it was, once deleted) with
    /// every later change undone, newest first, is the record as the creation left it.
    fn history(&self, record: Id) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut light = Vec::new();
        for pair in self.kv.scan(&layout::history_prefix(record), false) {
            let (key, bytes) = pair?;
            let (entry, is_light) = layout::decode_entry(&key, &bytes)?;
            if is_light {
                light.push(entries.len());
            }
            entries.push(entry);
        }
        if light.is_empty() {
            return Ok(entries);
        }
        let mut state = match self.get(record)?.map(|r| r.to_json()) {
            Some(serde_json::Value::Object(fields)) => fields,
            _ => serde_json::Map::new(),
        };
        for (i, entry) in entries.iter_mut().enumerate().rev() {
            if light.contains(&i) {
                let created = serde_json::Value::Object(state.clone());
                entry.changes = audit::diff(None, Some(&created));
            } else {
                audit::undo(&mut state, &entry.changes);
            }
        }
        Ok(entries)
    }

    /// The entries of the sequence numbers `seqs` (ascending), read along the log's runs as
    /// the iterator goes.
    fn entries_at(&self, seqs: Vec<u64>) -> AuditEntries<'_> {
        let Some(&from) = seqs.first() else {
            return Box::new(std::iter::empty());
        };
        let mut runs = match runs_from(&self.kv, from) {
            Ok(runs) => runs,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let mut wanted = seqs.into_iter().peekable();
        let mut found = Vec::new().into_iter();
        Box::new(std::iter::from_fn(move || {
            loop {
                if let Some(entry) = found.next() {
                    return Some(Ok(entry));
                }
                wanted.peek()?;
                let (first, records) = match runs.next()? {
                    Ok(run) => run,
                    Err(e) => return Some(Err(e)),
                };
                let end = first + records.len() as u64;
                let mut entries = Vec::new();
                while let Some(&seq) = wanted.peek() {
                    if seq >= end {
                        break;
                    }
                    wanted.next();
                    if seq < first {
                        continue;
                    }
                    match self.history_entry(records[(seq - first) as usize], seq) {
                        Ok(entry) => entries.extend(entry),
                        Err(e) => return Some(Err(e)),
                    }
                }
                found = entries.into_iter();
            }
        }))
    }

    /// The sequence numbers of the entries of `user`'s commits, ascending.
    fn seqs_of(&self, user: &str) -> Result<Vec<u64>, StoreError> {
        let prefix = Index::AuditUser.prefix(&layout::fold(user), true);
        let mut seqs = Vec::new();
        for pair in self.kv.scan(&prefix, false) {
            let (key, value) = pair?;
            seqs.extend(layout::audit_run(&key, &value)?.1);
        }
        Ok(seqs)
    }

    fn index_targets(&self, scan: &IndexScan) -> Result<Vec<String>, StoreError> {
        let prefix = scan.index.prefix(&scan.value, scan.whole);
        let mut targets = Vec::new();
        for pair in self.kv.scan(&prefix, scan.newest_first) {
            if scan.limit.is_some_and(|n| targets.len() >= n) {
                break;
            }
            let (key, _) = pair?;
            targets.push(layout::index_target(&key)?.to_string());
        }
        Ok(targets)
    }
}

impl<K: Kv> Store for KvStore<K> {
    fn location(&self) -> String {
        self.kv.location()
    }

    fn get(&self, id: Id) -> Result<Option<Record>, StoreError> {
        let key = layout::record_key(id);
        self.kv
            .get(&key)?
            .map(|bytes| layout::decode(id.kind, &key, &bytes))
            .transpose()
    }

    fn scan(&self, kind: Kind) -> Records<'_> {
        let prefix = layout::record_prefix(kind);
        decoded(self.kv.scan(&prefix, false), kind)
    }

    fn scan_written(&self, kind: Kind, write: ChunkWriter) -> WrittenChunks<'_> {
        written(
            self.kv.scan(&layout::record_prefix(kind), false),
            kind,
            write,
        )
    }

    fn custom_field_names(&self, kind: Kind) -> Result<BTreeSet<String>, StoreError> {
        let prefix = layout::custom_prefix(kind);
        self.kv
            .scan(&prefix, false)
            .map(|pair| {
                let (key, _) = pair?;
                String::from_utf8(key[prefix.len()..].to_vec())
                    .map_err(|_| StoreError::corrupt(&key, "custom field name is not text"))
            })
            .collect()
    }

    fn ids(&self, scan: &IndexScan) -> Result<Vec<Id>, StoreError> {
        self.index_targets(scan)?
            .iter()
            .map(|t| {
                t.parse()
                    .map_err(|_| StoreError::corrupt(t.as_bytes(), "index target is not an id"))
            })
            .collect()
    }

    fn allocate(&self, kind: Kind) -> Result<Id, StoreError> {
        let number = self.kv.increment(&layout::counter_key(kind), 1)?;
        Ok(Id::new(kind, number))
    }

    fn allocate_block(&self, kind: Kind, n: u64) -> Result<std::ops::Range<u64>, StoreError> {
        let last = self.kv.increment(&layout::counter_key(kind), n)?;
        Ok(last + 1 - n..last + 1)
    }

    fn release_block(&self, kind: Kind, unused: std::ops::Range<u64>) -> Result<(), StoreError> {
        if !unused.is_empty() {
            let key = layout::counter_key(kind);
            self.kv
                .swap_counter(&key, unused.end - 1, unused.start - 1)?;
        }
        Ok(())
    }

    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        let written = RefCell::new(Vec::new());
        self.kv.transact(&|txn| {
            let (mut entries, mut stored) = (Vec::new(), Vec::new());
            for write in &commit.writes {
                if let Some(w) = apply_write(txn, &commit, write)? {
                    entries.push(w.entry);
                    stored.push(w.stored);
                }
            }
            write_audit(txn, &entries, &stored)?;
            *written.borrow_mut() = entries.iter().map(|e| e.seq).collect();
            advance_counters(txn, &commit.counters)
        })?;
        self.kv.flush()?;
        Ok(written.into_inner())
    }

    fn audit_log(&self, query: &AuditQuery) -> AuditEntries<'_> {
        let entries: AuditEntries<'_> = match (&query.record, &query.user) {
            (Some(id), _) => match self.history(*id) {
                Ok(entries) => Box::new(entries.into_iter().map(Ok)),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
            (None, Some(user)) => match self.seqs_of(user) {
                Ok(seqs) => self.entries_at(seqs),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
            (None, None) => match runs_from(&self.kv, 0) {
                Ok(runs) => Box::new(runs.flat_map(move |run| -> AuditEntries<'_> {
                    match run {
                        Ok((first, records)) => {
                            Box::new((first..).zip(records).filter_map(move |(seq, record)| {
                                self.history_entry(record, seq).transpose()
                            }))
                        }
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    }
                })),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
        };
        let (user, since) = (query.user.clone(), query.since);
        Box::new(entries.filter(move |entry| {
            entry.as_ref().map_or(true, |entry| {
                let user_ok = user
                    .as_ref()
                    .is_none_or(|u| entry.user.eq_ignore_ascii_case(u));
                user_ok && since.is_none_or(|s| entry.at >= s)
            })
        }))
    }

    fn search_documents(
        &self,
    ) -> Box<dyn Iterator<Item = Result<(Id, SearchDocument), StoreError>> + '_> {
        Box::new(DOCUMENT_KINDS.into_iter().flat_map(move |kind| {
            let prefix = layout::record_prefix(kind);
            self.kv.scan(&prefix, false).filter_map(move |pair| {
                let found = pair.and_then(|(key, bytes)| {
                    let id = layout::id_of_record_key(kind, &key)?;
                    Ok(layout::decode_document(&key, &bytes)?.map(|doc| (id, doc)))
                });
                found.transpose()
            })
        }))
    }

    fn search_document(&self, id: Id) -> Result<Option<SearchDocument>, StoreError> {
        let key = layout::record_key(id);
        match self.kv.get(&key)? {
            Some(bytes) => layout::decode_document(&key, &bytes),
            None => Ok(None),
        }
    }

    fn generation(&self) -> Result<Generation, StoreError> {
        generation(&self.kv)
    }

    fn changed_since(&self, seq: u64, limit: u64) -> Result<Option<Vec<Id>>, StoreError> {
        let last = self.generation()?.seq;
        if last.saturating_sub(seq) > limit {
            return Ok(None);
        }
        let mut seen = std::collections::HashSet::new();
        let mut ids = Vec::new();
        for run in runs_from(&self.kv, seq + 1)? {
            let (first, records) = run?;
            for (n, record) in (first..).zip(records) {
                if n > seq && seen.insert(record) {
                    ids.push(record);
                }
            }
        }
        Ok(Some(ids))
    }

    fn derived_file(&self, name: &str) -> Option<std::path::PathBuf> {
        self.kv.directory().map(|dir| dir.join(name))
    }

    fn counters(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.kv
            .scan(layout::COUNTER_PREFIX, false)
            .map(|pair| {
                let (key, value) = pair?;
                let name =
                    String::from_utf8_lossy(&key[layout::COUNTER_PREFIX.len()..]).into_owned();
                Ok((name, read_u64(Some(value))?))
            })
            .collect()
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self
            .kv
            .scan(layout::RECORD_PREFIX, false)
            .next()
            .transpose()?
            .is_none())
    }

    fn restore(&self, batch: &Restore) -> Result<(), StoreError> {
        self.kv.transact(&|txn| {
            for record in &batch.records {
                let before = read_record(txn, record.id())?;
                write_record(txn, record.id(), before.as_ref(), Some(record))?;
            }
            let stored: Vec<Vec<u8>> = batch
                .audit
                .iter()
                .map(|entry| layout::encode_entry(entry, false))
                .collect();
            write_audit(txn, &batch.audit, &stored)?;
            let epoch = read_u64(txn.get(layout::EPOCH_KEY)?)? + 1;
            txn.insert(layout::EPOCH_KEY, &epoch.to_be_bytes())?;
            advance_counters(txn, &batch.counters)
        })?;
        self.kv.flush()
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        self.kv.begin_bulk()
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        self.kv.end_bulk()
    }

    fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        // The index entries the records need, as hashes: a set of the keys themselves takes
        // gigabytes at a million records. A key found missing is named by a second pass.
        let mut expected: Vec<u64> = Vec::new();
        let counters: BTreeMap<String, u64> = self.counters()?.into_iter().collect();
        for kind in Kind::ALL {
            let mut highest = 0;
            for pair in self.kv.scan(&layout::record_prefix(kind), false) {
                let (key, bytes) = pair?;
                let id = layout::id_of_record_key(kind, &key)?;
                highest = highest.max(id.number);
                match layout::decode(kind, &key, &bytes) {
                    Ok(record) if record.id() == id => {
                        expected.extend(layout::index_keys(&record).iter().map(|k| key_hash(k)));
                        let stored = layout::decode_document(&key, &bytes)?.map(|d| d.encode());
                        let want = crate::search::keys::document(&record).map(|d| d.encode());
                        if stored != want {
                            problems.push(format!("search document of {id} is out of date"));
                        }
                    }
                    Ok(record) => {
                        problems.push(format!("record at {id} says it is {}", record.id()))
                    }
                    Err(e) => problems.push(format!("{id}: {e}")),
                }
            }
            let counter = counters.get(kind.prefix()).copied().unwrap_or(0);
            if counter < highest {
                problems.push(format!(
                    "counter {} is at {counter}, behind the highest id {kind_prefix}-{highest}",
                    kind.prefix(),
                    kind_prefix = kind.prefix()
                ));
            }
        }
        let mut highest_seq = 0;
        // Each entry's folded user, until a by-user run is found to cover it.
        let mut uncovered: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        // Where the log's runs say each entry is, until the entry is found there.
        let mut placed: BTreeMap<u64, Id> = BTreeMap::new();
        for run in runs_from(&self.kv, 0)? {
            let (first, records) = run?;
            for (seq, record) in (first..).zip(records) {
                if placed.insert(seq, record).is_some() {
                    problems.push(format!("two runs of the audit log name entry {seq}"));
                }
            }
        }
        for pair in self.kv.scan(layout::HISTORY_PREFIX, false) {
            let (key, bytes) = pair?;
            let seq = layout::seq_of_history_key(&key)?;
            highest_seq = highest_seq.max(seq);
            match layout::decode_entry(&key, &bytes).map(|(entry, _)| entry) {
                Ok(entry) if layout::history_key(entry.record, entry.seq) != key => {
                    problems.push(format!("audit entry {seq} is kept under another record"))
                }
                Ok(entry) => {
                    if placed.remove(&seq) != Some(entry.record) {
                        problems.push(format!("audit entry {seq} is in no run of the log"));
                    }
                    uncovered.insert(seq, layout::fold(&entry.user));
                }
                Err(e) => problems.push(format!("audit entry {seq}: {e}")),
            }
        }
        for (seq, record) in placed {
            problems.push(format!(
                "the audit log's run names entry {seq} of {record}, which is missing"
            ));
        }
        for pair in self.kv.scan(&Index::AuditUser.prefix(b"", false), false) {
            let (key, value) = pair?;
            let (user, seqs) = layout::audit_run(&key, &value)?;
            for seq in seqs {
                match uncovered.remove(&seq) {
                    Some(by) if by == user.as_bytes() => {}
                    _ => problems.push(format!(
                        "the by-user audit index names entry {seq} for {user}: not theirs, missing or named twice"
                    )),
                }
            }
        }
        for seq in uncovered.keys() {
            problems.push(format!(
                "audit entry {seq} is missing from the by-user index"
            ));
        }
        if counters.get("audit").copied().unwrap_or(0) < highest_seq {
            problems.push(format!(
                "the audit counter is behind the highest entry {highest_seq}"
            ));
        }
        expected.sort_unstable();
        expected.dedup();
        let mut found = vec![false; expected.len()];
        let by_user = Index::AuditUser.prefix(b"", false);
        let shown = |key: &[u8]| String::from_utf8_lossy(key).replace('\0', " / ");
        for pair in self.kv.scan(layout::INDEX_PREFIX, false) {
            let (key, _) = pair?;
            if key.starts_with(&by_user) {
                continue;
            }
            match expected.binary_search(&key_hash(&key)) {
                Ok(at) => found[at] = true,
                Err(_) => problems.push(format!(
                    "index entry {} points at nothing that needs it",
                    shown(&key)
                )),
            }
        }
        if found.contains(&false) {
            for kind in Kind::ALL {
                for pair in self.kv.scan(&layout::record_prefix(kind), false) {
                    let (key, bytes) = pair?;
                    let Ok(record) = layout::decode(kind, &key, &bytes) else {
                        continue;
                    };
                    for entry in layout::index_keys(&record) {
                        if let Ok(at) = expected.binary_search(&key_hash(&entry))
                            && !std::mem::replace(&mut found[at], true)
                        {
                            problems.push(format!("missing index entry {}", shown(&entry)));
                        }
                    }
                }
            }
        }
        let counted: BTreeMap<Vec<u8>, u64> = self
            .kv
            .scan(layout::CUSTOM_PREFIX, false)
            .map(|pair| pair.and_then(|(key, value)| Ok((key, read_u64(Some(value))?))))
            .collect::<Result<_, _>>()?;
        if counted != count_custom_fields(&self.kv)? {
            problems.push("the counts of custom fields disagree with the records".to_string());
        }
        if self.kv.scan(layout::SEARCH_PREFIX, false).next().is_some() {
            problems.push("search documents of schema 1 are left under s: keys".to_string());
        }
        Ok(problems)
    }
}
