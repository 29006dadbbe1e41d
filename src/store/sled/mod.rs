//! The on-disk backend: one sled database directory holding one tree in the layout of
//! [`crate::store::layout`]. The only module that names sled.
//!
//! Opening takes sled's exclusive file lock, so a second process gets
//! [`StoreError::InUse`] at once instead of a hang; then the schema version is checked: a
//! newer one is refused, an older one is migrated step by step.
//!
//! Closing writes the generation the database was closed at to a small file beside it, and
//! opening removes that file before anything can be written: while it is there, nobody has the
//! database open and its records are those of that generation, so that files derived from them
//! and stamped with it can be read without opening the database (see [`closed_at`]). A
//! database closed by a crash has no such file and is opened as before.
//!
//! The records (`r:`), their audit entries (`h:`) and their index entries (`x:`) are kept mostly
//! out of sled's tree (the `entries` module): in an immutable sorted file (`entries-<n>`, its
//! number under `m:entries`), with what was written since in sled (the delta, under the same keys)
//! and the file's keys removed since as tombstones in sled (the key with its first byte changed:
//! `y` for `x`, `R` for `r`, `H` for `h`). A key is read from sled first, then, unless a tombstone
//! says it is gone, from the file. An index entry in the delta is never in the file and a
//! tombstone's key always is. A bulk load (an import, a restore) sorts what it writes aside and
//! folds it in at its end, writing a new file when that is cheaper than writing to sled one key at
//! a time; each of its transactions is first appended to a log beside the file (`bulk-log`, its
//! committed length under `m:entries.log`, in the same transaction), so that a load cut short by a
//! crash is finished from the log on the next open, every transaction it committed kept. A fold
//! then removes what it moved into the file from sled a chunk at a time, under `m:entries.cleanup`,
//! which the next open finishes after a crash. The audit log's runs (`l:`), its by-user entries,
//! the counters and the custom field counts stay in sled.

mod entries;

use crate::domain::audit::AuditEntry;
use crate::domain::{Id, Kind};
use crate::store::kv::{self, Kv, KvStore, Pairs, Txn};
use crate::store::layout::{self, SCHEMA_KEY, SCHEMA_VERSION};
use crate::store::{Generation, OpenWork, StoreError};
use ::sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use entries::{EntryFile, Sorter};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// A sled tree as a [`Kv`].
pub struct SledKv {
    db: ::sled::Db,
    path: PathBuf,
    entries: RwLock<EntryState>,
    in_sled: InSled,
}

/// Which indexes have keys in sled: delta entries under `x:<index>\0`, tombstones under
/// `y:<index>\0`. Found out once an index, kept up as such keys are written, so that a lookup
/// skips sled for an index that has none there (an import's lookups, most of them).
#[derive(Default)]
struct InSled(Mutex<std::collections::HashMap<Vec<u8>, bool>>);

/// An index entry's or its tombstone's first part, up to its first separator
/// (`x:<index>\0`).
fn index_part(key: &[u8]) -> Option<&[u8]> {
    if !key.starts_with(b"x:") && !key.starts_with(b"y:") {
        return None;
    }
    let at = key.iter().position(|&b| b == 0)?;
    Some(&key[..=at])
}
impl InSled {
    /// Whether sled may hold keys starting with `prefix`.
    fn may_hold(&self, db: &::sled::Db, prefix: &[u8]) -> Result<bool, StoreError> {
        let Some(part) = index_part(prefix) else {
            return Ok(true);
        };
        // Held through the look, so that a key written meanwhile is not marked absent after.
        let mut known = lock(&self.0);
        if let Some(&held) = known.get(part) {
            return Ok(held);
        }
        let held = db
            .scan_prefix(part)
            .next()
            .transpose()
            .map_err(backend)?
            .is_some();
        known.insert(part.to_vec(), held);
        Ok(held)
    }

    /// Notes that a key is being written to sled.
    fn written(&self, key: &[u8]) {
        if let Some(part) = index_part(key) {
            lock(&self.0).insert(part.to_vec(), true);
        }
    }

    fn forget(&self) {
        lock(&self.0).clear();
    }
}

/// Where the keys kept out of sled's tree are.
#[derive(Default)]
struct EntryState {
    /// The file and its number.
    file: Option<(u64, Arc<EntryFile>)>,
    /// While a bulk load runs, what it has written.
    bulk: Option<Mutex<Bulk>>,
}

struct Bulk {
    sorter: Sorter,
    log: entries::Log,
    /// What was written could not all be put aside: the load is finished from its log on the
    /// next open.
    failed: bool,
}

/// The number of the entry file (u64, big-endian).
const ENTRIES_KEY: &[u8] = b"m:entries";
/// Set when the entry file holds records or audit entries: it cannot then be rebuilt.
const RECORDS_KEY: &[u8] = b"m:entries.records";
/// Set while a bulk load's writes are not all in the file or in sled.
const PENDING_KEY: &[u8] = b"m:entries.pending";
/// How many bytes of the bulk load's log its committed transactions wrote (u64, big-endian).
const LOG_KEY: &[u8] = b"m:entries.log";
/// Set while the delta and tombstones a fold put into the file are still in sled.
const CLEANUP_KEY: &[u8] = b"m:entries.cleanup";
/// How many keys one sled batch writes when entries move in bulk.
const CHUNK: usize = 10_000;
/// The bulk load's log, in the database directory.
const LOG_FILE: &str = "bulk-log";

/// The prefixes of the keys kept in the file, and of their tombstones.
const FILED: [(&[u8], &[u8]); 3] = [(b"h:", b"H:"), (b"r:", b"R:"), (b"x:", b"y:")];

fn entry_file_name(n: u64) -> String {
    format!("entries-{n}")
}

/// The tombstone of a key kept in the file, or the key of a tombstone.
fn flipped(key: &[u8]) -> Vec<u8> {
    let mut key = key.to_vec();
    key[0] = match key[0] {
        b'x' => b'y',
        b'y' => b'x',
        other => other ^ 0x20,
    };
    key
}

/// Whether `key` is kept in the file: a record, an audit entry or a record's index entry (the
/// audit log's by-user entries stay in sled).
fn is_filed(key: &[u8]) -> bool {
    FILED.iter().any(|(prefix, _)| key.starts_with(prefix)) && !key.starts_with(b"x:audit.")
}

/// A [`crate::store::Store`] on disk.
pub type SledStore = KvStore<SledKv>;

/// The file, in the database directory, of the generation the database was closed at.
const CLOSED: &str = "closed";
/// The first line of that file; the second is the epoch and the sequence number.
const CLOSED_HEAD: &str = "rapport database closed at";

/// The generation the database in `path` was closed at, when nobody has opened it since.
pub fn closed_at(path: &Path) -> Option<Generation> {
    let text = std::fs::read_to_string(path.join(CLOSED)).ok()?;
    let (epoch, seq) = text
        .strip_prefix(CLOSED_HEAD)?
        .strip_prefix('\n')?
        .strip_suffix('\n')?
        .split_once(' ')?;
    Some(Generation {
        epoch: epoch.parse().ok()?,
        seq: seq.parse().ok()?,
    })
}

impl Drop for SledKv {
    /// Ends a bulk load still running, flushes and writes the generation closed at; a failure
    /// leaves no file, which only costs the next reader an open.
    fn drop(&mut self) {
        let _ = self.end_bulk();
        let Ok(generation) = kv::generation(self) else {
            return;
        };
        if self.flush().is_err() {
            return;
        }
        let path = self.path.join(CLOSED);
        let temporary = path.with_extension("tmp");
        let text = format!("{CLOSED_HEAD}\n{} {}\n", generation.epoch, generation.seq);
        if std::fs::write(&temporary, text).is_ok() {
            let _ = std::fs::rename(&temporary, &path);
        }
    }
}

/// One step that brings a database from `from` to `from + 1`.
struct Migration {
    from: u32,
    run: fn(&SledKv) -> Result<(), StoreError>,
}

/// The migrations, in order. Adding an optional field needs none (records are JSON). A step
/// that rewrites records or search documents without audit entries must also move the epoch
/// (`m:epoch`), as a restore does, so that files derived from the records are rebuilt.
const MIGRATIONS: &[Migration] = &[
    Migration {
        from: 1,
        run: documents_into_records,
    },
    Migration {
        from: 2,
        run: audit_by_record,
    },
    Migration {
        from: 3,
        run: shown_in_documents,
    },
    Migration {
        from: 4,
        run: entries_apart,
    },
    Migration {
        from: 5,
        run: records_apart,
    },
];

/// 5 → 6: nothing is rewritten here. The entry file of schema 5 is in a layout this build does
/// not read, so the open that follows writes it afresh, moving the records and audit entries
/// from sled's tree into it (see [`SledKv::load_entries`]); the version moves so that an older
/// build, which reads records from sled alone, refuses the database.
fn records_apart(_: &SledKv) -> Result<(), StoreError> {
    Ok(())
}

/// 4 → 5: the custom fields of every record are counted (a few seconds at a million
/// accounts). The index entries stay: in sled they are the delta of an empty file, and the
/// first bulk load folds them into one; the version moves so that an older build, which reads
/// the entries from sled alone, refuses the database. Run again after a crash, it counts
/// afresh.
fn entries_apart(kv: &SledKv) -> Result<(), StoreError> {
    let mut batch = ::sled::Batch::default();
    for key in kv.db.scan_prefix(layout::CUSTOM_PREFIX).keys() {
        batch.remove(key.map_err(backend)?);
    }
    for (key, count) in kv::count_custom_fields(kv)? {
        batch.insert(key, &count.to_be_bytes());
    }
    kv.db.apply_batch(batch).map_err(backend)?;
    kv.flush()
}

/// 1 → 2: each record's search document moves from its `s:` key into the record's value, one
/// write a record instead of two. The records are rewritten without audit entries, so the
/// epoch moves. Run again after a crash, it leaves the records already rewritten as they are.
fn documents_into_records(kv: &SledKv) -> Result<(), StoreError> {
    for kind in Kind::ALL {
        for pair in kv.db.scan_prefix(layout::record_prefix(kind)) {
            let (key, bytes) = pair.map_err(backend)?;
            if !layout::is_current(&bytes) {
                let record = layout::decode(kind, &key, &bytes)?;
                kv.db
                    .insert(key, layout::encode(&record))
                    .map_err(backend)?;
            }
        }
    }
    for key in kv.db.scan_prefix(layout::SEARCH_PREFIX).keys() {
        kv.db.remove(key.map_err(backend)?).map_err(backend)?;
    }
    kv.increment(layout::EPOCH_KEY, 1)?;
    kv.flush()
}

/// 3 → 4: every account is written again, its search document now holding what a search shows
/// of it. No audit entries, so the epoch moves. Run again after a crash, it writes the same.
fn shown_in_documents(kv: &SledKv) -> Result<(), StoreError> {
    for pair in kv.db.scan_prefix(layout::record_prefix(Kind::Account)) {
        let (key, bytes) = pair.map_err(backend)?;
        let record = layout::decode(Kind::Account, &key, &bytes)?;
        kv.db
            .insert(key, layout::encode(&record))
            .map_err(backend)?;
    }
    kv.increment(layout::EPOCH_KEY, 1)?;
    kv.flush()
}

fn backend(e: ::sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Opens (creating if needed) the database at `path`.
pub fn open(path: &Path) -> Result<SledStore, StoreError> {
    open_telling(path, &|_| {})
}

/// [`open`], telling `tell` of the long work it does before it returns.
pub fn open_telling(path: &Path, tell: &dyn Fn(OpenWork)) -> Result<SledStore, StoreError> {
    let kv = open_kv(path)?;
    let found = kv.schema_version()?;
    match found {
        None => kv.set_schema_version(SCHEMA_VERSION)?,
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: v,
                supported: SCHEMA_VERSION,
            });
        }
        Some(mut v) => {
            while v < SCHEMA_VERSION {
                let step = MIGRATIONS.iter().find(|m| m.from == v).ok_or_else(|| {
                    StoreError::Backend(format!("no migration from schema version {v}"))
                })?;
                tell(OpenWork::Migrating { to: v + 1 });
                (step.run)(&kv)?;
                v += 1;
                kv.set_schema_version(v)?;
            }
        }
    }
    kv.load_entries(tell)?;
    Ok(KvStore::new(kv))
}

/// How long an open waits for a lock that is being let go: a database closed a moment ago (its
/// background threads finish after the close returns) opens, one in use is refused within it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

fn open_kv(path: &Path) -> Result<SledKv, StoreError> {
    if path.exists() && !path.is_dir() {
        return Err(StoreError::Backend(format!(
            "{} is a file, not a database directory",
            path.display()
        )));
    }
    let started = std::time::Instant::now();
    loop {
        match try_open_kv(path) {
            Err(StoreError::InUse { .. }) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            opened => return opened,
        }
    }
}

/// sled's own cache of pages, which it exceeds by half again or more: at 64 MB, an import of
/// 100,000 rows peaked at 305 MB, at 8 MB at 227 MB, in the same time. The operating system
/// keeps the file's pages cached either way.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Opens sled and removes the closed-at file, before anything is written.
fn try_open_kv(path: &Path) -> Result<SledKv, StoreError> {
    let db = ::sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .open()
        .map_err(|e| match &e {
            ::sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                StoreError::InUse {
                    path: path.to_path_buf(),
                }
            }
            _ => StoreError::Backend(format!(
                "cannot open the database at {}: {e}",
                path.display()
            )),
        })?;
    match std::fs::remove_file(path.join(CLOSED)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(StoreError::Backend(format!(
                "cannot remove {}: {e}",
                path.join(CLOSED).display()
            )));
        }
        _ => {}
    }
    Ok(SledKv {
        db,
        path: path.to_path_buf(),
        entries: RwLock::default(),
        in_sled: InSled::default(),
    })
}

/// Locks a mutex, whatever a panicking holder left.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl SledKv {
    fn state(&self) -> std::sync::RwLockReadGuard<'_, EntryState> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn marked(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.db.get(key).map_err(backend)?.is_some())
    }

    fn read_u64(&self, key: &[u8]) -> Result<Option<u64>, StoreError> {
        self.db
            .get(key)
            .map_err(backend)?
            .map(|b| {
                b.as_ref()
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| StoreError::corrupt(key, "not 8 bytes"))
            })
            .transpose()
    }

    /// Opens the entry file; finishes a bulk load cut short from its log; rebuilds the file
    /// when it holds index entries only and is missing or damaged, or when a load by an older
    /// build did not end; removes files left by a crash.
    fn load_entries(&self, tell: &dyn Fn(OpenWork)) -> Result<(), StoreError> {
        let number = self.read_u64(ENTRIES_KEY)?;
        let pending = self.marked(PENDING_KEY)?;
        let logged = self.read_u64(LOG_KEY)?;
        let mut state = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let keep = number.map(entry_file_name);
        if let Ok(listing) = std::fs::read_dir(&self.path) {
            for item in listing.flatten() {
                let name = item.file_name().to_string_lossy().into_owned();
                let stale = name.starts_with("entries-") && Some(&name) != keep.as_ref();
                if stale || (name == LOG_FILE && logged.is_none()) {
                    let _ = std::fs::remove_file(item.path());
                }
            }
        }
        let mut rebuilt = false;
        if let Some(n) = number {
            match EntryFile::open(&self.path.join(entry_file_name(n))) {
                Ok(file) => state.file = Some((n, Arc::new(file))),
                Err(e) if self.marked(RECORDS_KEY)? => {
                    return Err(StoreError::Backend(format!(
                        "{e}: it holds records, which cannot be rebuilt; restore the database \
                         from a backup (rapport restore)"
                    )));
                }
                Err(_) => {
                    tell(OpenWork::RebuildingEntries);
                    self.rebuild(&mut state)?;
                    rebuilt = true;
                }
            }
        }
        match (pending, logged) {
            (true, Some(len)) => {
                tell(OpenWork::FinishingBulkLoad);
                let mut sorter = Sorter::new(&self.path);
                let finished =
                    entries::Log::replay(&self.path.join(LOG_FILE), len, &mut |(key, value)| {
                        sorter.put(key, value)
                    })
                    .and_then(|()| sorter.finish())
                    .and_then(|()| self.settle(&mut state, &sorter));
                sorter.remove_runs();
                finished?;
            }
            (true, None) if !rebuilt => {
                tell(OpenWork::RebuildingEntries);
                self.rebuild(&mut state)?;
            }
            _ => {}
        }
        if self.marked(CLEANUP_KEY)? {
            self.clean_up()?;
        }
        Ok(())
    }

    /// Drops a running bulk load's sorted writes without folding them in, as a crash would,
    /// its log left (for the tests of what the next open does).
    #[doc(hidden)]
    pub fn abandon_bulk(&self) {
        let mut state = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(bulk) = state.bulk.take() {
            lock(&bulk).sorter.remove_runs();
        }
    }

    /// The names of the entry files in the database directory, and how many index entries'
    /// tombstones and delta entries are in sled (for tests).
    #[doc(hidden)]
    pub fn entries_layout(&self) -> (Vec<String>, usize, usize) {
        let mut files: Vec<String> = std::fs::read_dir(&self.path)
            .map(|listing| {
                listing
                    .flatten()
                    .map(|item| item.file_name().to_string_lossy().into_owned())
                    .filter(|name| name.starts_with("entries-"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let tombstones = self.db.scan_prefix(b"y:").count();
        let delta = self
            .db
            .scan_prefix(layout::INDEX_PREFIX)
            .keys()
            .filter(|k| k.as_ref().is_ok_and(|k| is_filed(k)))
            .count();
        (files, tombstones, delta)
    }

    /// How many records and audit entries sled holds, tombstones included (for tests).
    #[doc(hidden)]
    pub fn records_in_sled(&self) -> usize {
        FILED
            .iter()
            .filter(|(prefix, _)| *prefix != layout::INDEX_PREFIX)
            .flat_map(|(prefix, tombstones)| [prefix, tombstones])
            .map(|prefix| self.db.scan_prefix(prefix).count())
            .sum()
    }

    fn raw_scan(&self, prefix: &[u8], reverse: bool) -> Pairs<'_> {
        let iter = self.db.scan_prefix(prefix);
        if reverse {
            Box::new(iter.rev().map(pair))
        } else {
            Box::new(iter.map(pair))
        }
    }

    /// The filed keys starting with `prefix` outside a bulk load, newest first, for
    /// [`entries::merge`]: sled's tombstones, sled's delta, the file. sled's are left out for an
    /// index it holds no key of.
    fn settled_sources(
        &self,
        state: &EntryState,
        prefix: &[u8],
        reverse: bool,
    ) -> Result<Vec<entries::Entries<'_>>, StoreError> {
        let mut sources: Vec<entries::Entries<'_>> = Vec::new();
        let tombstones = flipped(prefix);
        if self.in_sled.may_hold(&self.db, &tombstones)? {
            sources.push(Box::new(
                self.raw_scan(&tombstones, reverse)
                    .map(|pair| pair.map(|(key, _)| (flipped(&key), None))),
            ));
        }
        if self.in_sled.may_hold(&self.db, prefix)? {
            sources.push(Box::new(
                self.raw_scan(prefix, reverse)
                    .filter(|pair| pair.as_ref().map_or(true, |(key, _)| is_filed(key)))
                    .map(|pair| pair.map(|(key, value)| (key, Some(value)))),
            ));
        }
        if let Some((_, file)) = &state.file {
            sources.push(file.range(prefix, reverse));
        }
        Ok(sources)
    }

    /// The filed keys starting with `prefix` and their values, from every source.
    fn merged(&self, prefix: &[u8], reverse: bool) -> Pairs<'_> {
        let state = self.state();
        if let Some(probe) = entries::Probe::of_prefix(prefix) {
            // An exact lookup that no source can answer (an import's new rows, most of them)
            // reads nothing and builds nothing.
            let in_bulk = state
                .bulk
                .as_ref()
                .is_some_and(|bulk| lock(bulk).sorter.may_hold(prefix));
            let on_file = state.file.as_ref().is_some_and(|(_, f)| f.may_hold(probe));
            match self.in_sled.may_hold(&self.db, prefix) {
                Ok(false) if !in_bulk && !on_file => return Box::new(std::iter::empty()),
                Err(e) => return Box::new(std::iter::once(Err(e))),
                _ => {}
            }
        }
        let mut sources = match &state.bulk {
            Some(bulk) => lock(bulk).sorter.sources(prefix, reverse),
            None => Vec::new(),
        };
        match self.settled_sources(&state, prefix, reverse) {
            Ok(settled) => sources.extend(settled),
            Err(e) => return Box::new(std::iter::once(Err(e))),
        }
        Box::new(
            entries::merge(sources, reverse).filter_map(|entry| match entry {
                Ok((key, Some(value))) => Some(Ok((key, value))),
                Ok((_, None)) => None,
                Err(e) => Some(Err(e)),
            }),
        )
    }

    /// Writes the entry file afresh from sled: the records and audit entries there, and the
    /// index entries of the records (those in sled are dropped). Only for a file that holds
    /// no records, all of them then in sled.
    fn rebuild(&self, state: &mut EntryState) -> Result<(), StoreError> {
        let mut sorter = Sorter::new(&self.path);
        let built = (|| {
            for pair in self.db.scan_prefix(layout::HISTORY_PREFIX) {
                let (key, bytes) = pair.map_err(backend)?;
                sorter.put(key.to_vec(), Some(bytes.to_vec()))?;
            }
            for kind in Kind::ALL {
                for pair in self.db.scan_prefix(layout::record_prefix(kind)) {
                    let (key, bytes) = pair.map_err(backend)?;
                    let record = layout::decode(kind, &key, &bytes)?;
                    for entry in layout::index_keys(&record) {
                        sorter.put(entry, Some(Vec::new()))?;
                    }
                    sorter.put(key.to_vec(), Some(bytes.to_vec()))?;
                }
            }
            sorter.finish()?;
            state.file = None;
            self.fold(state, &sorter, false)
        })();
        sorter.remove_runs();
        built
    }

    /// Ends a bulk load's sorted writes: folded into a new file, or written to sled when that
    /// is cheaper.
    fn settle(&self, state: &mut EntryState, sorter: &Sorter) -> Result<(), StoreError> {
        let on_file = state.file.as_ref().map_or(0, |(_, file)| file.len());
        // Folding rewrites the whole file; writing to sled costs about eight times as much a
        // key as the fold does.
        if sorter.written() * 8 >= on_file + sorter.written() {
            self.fold(state, sorter, true)
        } else {
            self.replay(state, sorter)
        }
    }

    /// Writes a new entry file: the sorter's writes over (with `keep`) the current file and
    /// sled's delta and tombstones, which then go, in one batch with the file's number.
    fn fold(&self, state: &mut EntryState, sorter: &Sorter, keep: bool) -> Result<(), StoreError> {
        let mut sources = sorter.sources(b"", false);
        let mut expected = sorter.written();
        if keep {
            for (prefix, tombstones) in FILED {
                expected += self.db.scan_prefix(prefix).keys().count() as u64;
                expected += self.db.scan_prefix(tombstones).keys().count() as u64;
            }
            expected += state.file.as_ref().map_or(0, |(_, file)| file.len());
            for (prefix, _) in FILED {
                sources.extend(self.settled_sources(state, prefix, false)?);
            }
        }
        let previous = self.read_u64(ENTRIES_KEY)?;
        let number = previous.map_or(0, |n| n + 1);
        let path = self.path.join(entry_file_name(number));
        let holds_records = std::cell::Cell::new(false);
        let present = entries::merge(sources, false)
            .filter(|entry| entry.as_ref().map_or(true, |(_, value)| value.is_some()))
            .inspect(|entry| {
                if entry.as_ref().is_ok_and(|(key, _)| !key.starts_with(b"x:")) {
                    holds_records.set(true);
                }
            });
        let file = EntryFile::write(&path, present, expected)?;
        let mut batch = ::sled::Batch::default();
        batch.insert(ENTRIES_KEY, &number.to_be_bytes());
        batch.insert(CLEANUP_KEY, &[]);
        if holds_records.get() {
            batch.insert(RECORDS_KEY, &[]);
        } else {
            batch.remove(RECORDS_KEY);
        }
        batch.remove(PENDING_KEY);
        batch.remove(LOG_KEY);
        self.db.apply_batch(batch).map_err(backend)?;
        self.flush()?;
        state.file = Some((number, Arc::new(file)));
        if let Some(previous) = previous {
            let _ = std::fs::remove_file(self.path.join(entry_file_name(previous)));
        }
        let _ = std::fs::remove_file(self.path.join(LOG_FILE));
        self.clean_up()
    }

    /// Removes from sled the delta and tombstones a fold has put into the file, a chunk at a
    /// time (one batch of millions of keys takes gigabytes in sled), then the mark that they
    /// are to go. Until it is done nothing else runs, and a crash leaves the mark, for the next
    /// open to finish the work.
    fn clean_up(&self) -> Result<(), StoreError> {
        for (prefix, tombstones) in FILED {
            loop {
                let delta = self
                    .db
                    .scan_prefix(prefix)
                    .keys()
                    .filter(|key| key.as_ref().map_or(true, |key| is_filed(key)));
                let mut batch = ::sled::Batch::default();
                let mut removed = 0;
                for key in self
                    .db
                    .scan_prefix(tombstones)
                    .keys()
                    .chain(delta)
                    .take(CHUNK)
                {
                    batch.remove(key.map_err(backend)?);
                    removed += 1;
                }
                if removed == 0 {
                    break;
                }
                self.db.apply_batch(batch).map_err(backend)?;
            }
        }
        self.db.remove(CLEANUP_KEY).map_err(backend)?;
        self.in_sled.forget();
        self.flush()
    }

    /// Writes the sorter's writes to sled as the delta and tombstones of the current file.
    fn replay(&self, state: &EntryState, sorter: &Sorter) -> Result<(), StoreError> {
        let file = state.file.as_ref().map(|(_, file)| file);
        // In chunks, as in `clean_up`; a crash in between leaves the pending mark and the log,
        // and the next open replays them again.
        let mut batch = ::sled::Batch::default();
        let mut staged = 0;
        for entry in entries::merge(sorter.sources(b"", false), false) {
            let (key, value) = entry?;
            let held = held(file.map(Arc::as_ref), &key)?;
            match (value, held) {
                (Some(value), Some(held)) => {
                    batch.remove(flipped(&key));
                    if value == held {
                        batch.remove(key);
                    } else {
                        batch.insert(key, value);
                    }
                }
                (Some(value), None) => batch.insert(key, value),
                (None, Some(_)) => {
                    batch.insert(flipped(&key), &[]);
                    batch.remove(key);
                }
                (None, None) => batch.remove(key),
            }
            staged += 1;
            if staged == CHUNK {
                self.db
                    .apply_batch(std::mem::take(&mut batch))
                    .map_err(backend)?;
                staged = 0;
            }
        }
        batch.remove(PENDING_KEY);
        batch.remove(LOG_KEY);
        self.db.apply_batch(batch).map_err(backend)?;
        self.in_sled.forget();
        self.flush()?;
        let _ = std::fs::remove_file(self.path.join(LOG_FILE));
        Ok(())
    }

    fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        let Some(bytes) = self.db.get(SCHEMA_KEY).map_err(backend)? else {
            return Ok(None);
        };
        let bytes: [u8; 4] = bytes
            .as_ref()
            .try_into()
            .map_err(|_| StoreError::corrupt(SCHEMA_KEY, "schema version is not 4 bytes"))?;
        Ok(Some(u32::from_be_bytes(bytes)))
    }

    /// Stamps the database with a schema version (migrations, and tests of the refusal).
    pub fn set_schema_version(&self, version: u32) -> Result<(), StoreError> {
        self.db
            .insert(SCHEMA_KEY, &version.to_be_bytes())
            .map_err(backend)?;
        self.flush()
    }
}

/// A pair of a sled scan, owned.
fn pair(
    item: Result<(::sled::IVec, ::sled::IVec), ::sled::Error>,
) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
    item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(backend)
}

/// The value `file` holds for `key`, if it holds one.
fn held(file: Option<&EntryFile>, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(file.map(|f| f.get(key)).transpose()?.flatten().flatten())
}

/// A read of one key from sled, in a transaction or out of one.
type SledGet<'a> = dyn Fn(&[u8]) -> Result<Option<Vec<u8>>, StoreError> + 'a;

/// What the sources say of a filed key outside a transaction's own writes: a bulk load's
/// sorter, then sled's delta, then the file unless sled holds the key's tombstone.
fn read_filed(
    key: &[u8],
    sorter: Option<&Sorter>,
    sled: &SledGet<'_>,
    file: Option<&EntryFile>,
) -> Result<Option<Vec<u8>>, StoreError> {
    if let Some(found) = sorter.map(|s| s.get(key)).transpose()?.flatten() {
        return Ok(found);
    }
    if let Some(value) = sled(key)? {
        return Ok(Some(value));
    }
    match held(file, key)? {
        Some(value) if sled(&flipped(key))?.is_none() => Ok(Some(value)),
        _ => Ok(None),
    }
}

/// The writes of a transaction during a bulk load, for its log and then its sorter.
type Deferred = RefCell<BTreeMap<Vec<u8>, Option<Vec<u8>>>>;

struct SledTxn<'a> {
    tree: &'a TransactionalTree,
    in_sled: &'a InSled,
    file: Option<&'a EntryFile>,
    /// During a bulk load, its sorter and the filed writes this transaction puts aside for it.
    bulk: Option<(&'a Sorter, &'a Deferred)>,
}

fn unabortable(e: UnabortableTransactionError) -> StoreError {
    match e {
        UnabortableTransactionError::Conflict => StoreError::Conflict,
        UnabortableTransactionError::Storage(e) => backend(e),
    }
}

impl SledTxn<'_> {
    fn sled_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree.get(key).map_err(unabortable)?.map(|v| v.to_vec()))
    }

    fn sled_insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.in_sled.written(key);
        self.tree.insert(key, value).map_err(unabortable)?;
        Ok(())
    }

    fn sled_remove(&self, key: &[u8]) -> Result<(), StoreError> {
        self.tree.remove(key).map_err(unabortable)?;
        Ok(())
    }

    /// Puts a write aside for the bulk load, when one runs and `key` is filed.
    fn defer(&self, key: &[u8], value: Option<&[u8]>) -> bool {
        match self.bulk {
            Some((_, deferred)) if is_filed(key) => {
                deferred
                    .borrow_mut()
                    .insert(key.to_vec(), value.map(<[u8]>::to_vec));
                true
            }
            _ => false,
        }
    }
}

impl Txn for SledTxn<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if !is_filed(key) {
            return self.sled_get(key);
        }
        if let Some((_, deferred)) = self.bulk
            && let Some(value) = deferred.borrow().get(key)
        {
            return Ok(value.clone());
        }
        let sorter = self.bulk.map(|(sorter, _)| sorter);
        read_filed(key, sorter, &|k| self.sled_get(k), self.file)
    }

    fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if self.defer(key, Some(value)) {
            return Ok(());
        }
        if !is_filed(key) {
            return self.sled_insert(key, value);
        }
        match held(self.file, key)? {
            Some(held) => {
                self.sled_remove(&flipped(key))?;
                if held == value {
                    self.sled_remove(key)
                } else {
                    self.sled_insert(key, value)
                }
            }
            None => self.sled_insert(key, value),
        }
    }

    fn remove(&self, key: &[u8]) -> Result<(), StoreError> {
        if self.defer(key, None) {
            return Ok(());
        }
        self.sled_remove(key)?;
        if is_filed(key) && held(self.file, key)?.is_some() {
            self.sled_insert(&flipped(key), &[])?;
        }
        Ok(())
    }
}

impl Kv for SledKv {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn directory(&self) -> Option<PathBuf> {
        Some(self.path.clone())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let sled = |k: &[u8]| Ok(self.db.get(k).map_err(backend)?.map(|v| v.to_vec()));
        if !is_filed(key) {
            return sled(key);
        }
        let state = self.state();
        let bulk = state.bulk.as_ref().map(lock);
        let file = state.file.as_ref().map(|(_, file)| file.as_ref());
        read_filed(key, bulk.as_ref().map(|b| &b.sorter), &sled, file)
    }

    fn scan(&self, prefix: &[u8], reverse: bool) -> Pairs<'_> {
        if is_filed(prefix) {
            self.merged(prefix, reverse)
        } else {
            self.raw_scan(prefix, reverse)
        }
    }

    fn scan_from(&self, prefix: &[u8], start: &[u8], reverse: bool) -> Pairs<'_> {
        let start = start.to_vec();
        if is_filed(prefix) {
            let before = move |pair: &Result<(Vec<u8>, Vec<u8>), StoreError>| {
                pair.as_ref()
                    .is_ok_and(|(k, _)| if reverse { *k > start } else { *k < start })
            };
            return Box::new(self.merged(prefix, reverse).skip_while(before));
        }
        let prefix = prefix.to_vec();
        let within = move |item: &Result<(Vec<u8>, Vec<u8>), StoreError>| {
            item.as_ref().map_or(true, |(k, _)| k.starts_with(&prefix))
        };
        if reverse {
            let iter = self.db.range(..=start).rev().map(pair);
            Box::new(iter.take_while(within))
        } else {
            let iter = self.db.range(start..).map(pair);
            Box::new(iter.take_while(within))
        }
    }

    fn increment(&self, key: &[u8], by: u64) -> Result<u64, StoreError> {
        let next = |old: Option<&[u8]>| {
            let n = old
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            Some((n + by).to_be_bytes().to_vec())
        };
        let bytes = self
            .db
            .update_and_fetch(key, next)
            .map_err(backend)?
            .ok_or_else(|| StoreError::corrupt(key, "counter vanished"))?;
        bytes
            .as_ref()
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::corrupt(key, "counter is not 8 bytes"))
    }

    fn swap_counter(&self, key: &[u8], current: u64, new: u64) -> Result<bool, StoreError> {
        let swapped = self
            .db
            .compare_and_swap(
                key,
                Some(&current.to_be_bytes()[..]),
                Some(&new.to_be_bytes()[..]),
            )
            .map_err(backend)?;
        Ok(swapped.is_ok())
    }

    fn transact(&self, f: &dyn Fn(&dyn Txn) -> Result<(), StoreError>) -> Result<(), StoreError> {
        // Held through the transaction, so that the file it checks keys against stays the
        // file; a bulk load's transactions run one at a time, in the order they hand over.
        let state = self.state();
        let mut bulk = state.bulk.as_ref().map(lock);
        let deferred = Deferred::default();
        let logged = std::cell::Cell::new(None);
        let result = self.db.transaction(|tree| {
            deferred.borrow_mut().clear();
            let txn = SledTxn {
                tree,
                in_sled: &self.in_sled,
                file: state.file.as_ref().map(|(_, file)| file.as_ref()),
                bulk: bulk.as_deref().map(|b| (&b.sorter, &deferred)),
            };
            let written = f(&txn).and_then(|()| match bulk.as_deref() {
                Some(b) if !deferred.borrow().is_empty() => {
                    let len = b.log.append(deferred.borrow().iter())?;
                    logged.set(Some(len));
                    tree.insert(LOG_KEY, &len.to_be_bytes())
                        .map_err(unabortable)?;
                    Ok(())
                }
                _ => Ok(()),
            });
            match written {
                Ok(()) => Ok(()),
                Err(StoreError::Conflict) => Err(ConflictableTransactionError::Conflict),
                Err(e) => Err(ConflictableTransactionError::Abort(e)),
            }
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => backend(e),
        })?;
        if let (Some(bulk), Some(len)) = (&mut bulk, logged.get()) {
            bulk.log.commit(len);
            for (key, value) in deferred.into_inner() {
                if let Err(e) = bulk.sorter.put(key, value) {
                    bulk.failed = true;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        let mut state = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if state.bulk.is_none() {
            let log = entries::Log::create(&self.path.join(LOG_FILE))?;
            let mut batch = ::sled::Batch::default();
            batch.insert(PENDING_KEY, &[]);
            batch.insert(LOG_KEY, &0u64.to_be_bytes());
            self.db.apply_batch(batch).map_err(backend)?;
            self.flush()?;
            state.bulk = Some(Mutex::new(Bulk {
                sorter: Sorter::new(&self.path),
                log,
                failed: false,
            }));
        }
        Ok(())
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        let mut state = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let Some(bulk) = state.bulk.take() else {
            return Ok(());
        };
        let mut bulk = bulk.into_inner().unwrap_or_else(|e| e.into_inner());
        let sorted = bulk.sorter.finish();
        let ended = if bulk.failed || sorted.is_err() {
            Err(StoreError::Backend(
                "the writes of the bulk load could not all be sorted aside; they are kept in \
                 its log and folded in on the next open"
                    .to_string(),
            ))
        } else {
            self.settle(&mut state, &bulk.sorter)
        };
        bulk.sorter.remove_runs();
        ended
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(backend)?;
        Ok(())
    }
}

/// 2 → 3: each audit entry moves from `l:<seq>` to `h:<record>\0<seq>`, the by-record index
/// entries go, and the log's order is kept in runs under `l:`, rebuilt from the entries. No
/// record or search document changes, so the epoch stays. Run again after a crash, it copies
/// what is left and builds the runs afresh.
fn audit_by_record(kv: &SledKv) -> Result<(), StoreError> {
    for pair in kv.db.scan_prefix(layout::AUDIT_PREFIX) {
        let (key, bytes) = pair.map_err(backend)?;
        if layout::is_schema_2_entry(&bytes) {
            let entry: AuditEntry = serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::corrupt(&key, &e.to_string()))?;
            kv.db
                .insert(layout::history_key(entry.record, entry.seq), bytes)
                .map_err(backend)?;
        }
        kv.db.remove(key).map_err(backend)?;
    }
    let mut placed: Vec<(u64, Id)> = Vec::new();
    for pair in kv.db.scan_prefix(layout::HISTORY_PREFIX) {
        let (key, bytes) = pair.map_err(backend)?;
        let entry: AuditEntry = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::corrupt(&key, &e.to_string()))?;
        placed.push((entry.seq, entry.record));
    }
    placed.sort_unstable();
    for run in placed.chunk_by(|a, b| b.0 == a.0 + 1) {
        let records: Vec<Id> = run.iter().map(|(_, id)| *id).collect();
        kv.db
            .insert(layout::audit_key(run[0].0), layout::encode_run(&records))
            .map_err(backend)?;
    }
    let by_record = layout::Index::AuditRecord.prefix(b"", false);
    for key in kv.db.scan_prefix(by_record).keys() {
        kv.db.remove(key.map_err(backend)?).map_err(backend)?;
    }
    kv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, Meta, Record};
    use crate::store::{Commit, Store};

    /// Writes `record` as schema 1 kept it: JSON alone, its search document under `s:<id>`.
    fn write_schema_1(kv: &SledKv, record: &Record) {
        let mut old = vec![1];
        record.write_json(&mut old);
        let doc = crate::search::keys::document(record).unwrap();
        kv.db.insert(layout::record_key(record.id()), old).unwrap();
        kv.db
            .insert(format!("s:{}", record.id()), doc.encode())
            .unwrap();
    }

    /// Rewrites the audit log as schemas 1 and 2 kept it: each entry under `l:<seq>`, with a
    /// by-record index entry.
    fn write_schema_1_audit(store: &SledStore) {
        let entries = store.audit(&Default::default()).unwrap();
        let kv = store.kv();
        for key in kv.db.scan_prefix(layout::AUDIT_PREFIX).keys() {
            kv.db.remove(key.unwrap()).unwrap();
        }
        for key in kv.db.scan_prefix(layout::HISTORY_PREFIX).keys() {
            kv.db.remove(key.unwrap()).unwrap();
        }
        for entry in entries {
            let seq = format!("{:020}", entry.seq);
            let by_record =
                layout::Index::AuditRecord.entry(entry.record.to_string().as_bytes(), &seq);
            let schema_2 = serde_json::to_vec(&entry).unwrap();
            kv.db
                .insert(layout::audit_key(entry.seq), schema_2)
                .unwrap();
            kv.db.insert(by_record, &[]).unwrap();
        }
    }

    #[test]
    fn schema_1_moves_search_documents_into_records_and_the_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let at: jiff::Timestamp = "2026-01-05T09:00:00Z".parse().unwrap();
        let epoch_before;
        let (id, account);
        {
            let store = open(dir.path()).unwrap();
            id = store.allocate(Kind::Account).unwrap();
            account = Record::Account(Account::new(Meta::new(id, "ann", at), "Иванов".into()));
            store
                .commit(Commit::new("ann", at).put(account.clone()))
                .unwrap();
            write_schema_1(store.kv(), &account);
            assert!(
                !store.check().unwrap().is_empty(),
                "schema 1 leftovers are reported"
            );
            write_schema_1_audit(&store);
            store.kv().set_schema_version(1).unwrap();
            epoch_before = store.generation().unwrap().epoch;
        }
        let store = open(dir.path()).unwrap();
        assert_eq!(store.kv().schema_version().unwrap(), Some(SCHEMA_VERSION));
        assert!(store.generation().unwrap().epoch > epoch_before);
        assert_eq!(store.get(id).unwrap(), Some(account.clone()));
        let docs: Vec<_> = store.search_documents().map(Result::unwrap).collect();
        assert_eq!(docs.len(), 1);
        assert_eq!(
            Some(&docs[0].1),
            crate::search::keys::document(&account).as_ref()
        );
        assert!(
            store
                .kv()
                .db
                .scan_prefix(layout::SEARCH_PREFIX)
                .next()
                .is_none()
        );
        let history = store
            .audit(&crate::store::AuditQuery {
                record: Some(id),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(history.len(), 1, "the audit entry moved under its record");
        assert_eq!(store.audit(&Default::default()).unwrap(), history);
        assert_eq!(store.changed_since(0, 10).unwrap(), Some(vec![id]));
        let by_record = layout::Index::AuditRecord.prefix(b"", false);
        assert!(store.kv().db.scan_prefix(by_record).next().is_none());
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn schema_4_gets_its_custom_fields_counted() {
        let dir = tempfile::tempdir().unwrap();
        let at: jiff::Timestamp = "2026-01-05T09:00:00Z".parse().unwrap();
        {
            let store = open(dir.path()).unwrap();
            let id = store.allocate(Kind::Account).unwrap();
            let mut account = Account::new(Meta::new(id, "ann", at), "Umbrella".into());
            account.meta.custom.insert("Region".into(), "North".into());
            store.commit(Commit::new("ann", at).put(account)).unwrap();
            // Schema 4 kept no counts.
            for key in store.kv().db.scan_prefix(layout::CUSTOM_PREFIX).keys() {
                store.kv().db.remove(key.unwrap()).unwrap();
            }
            assert!(store.custom_field_names(Kind::Account).unwrap().is_empty());
            assert!(!store.check().unwrap().is_empty());
            store.kv().set_schema_version(4).unwrap();
        }
        let told = std::cell::RefCell::new(Vec::new());
        let store = open_telling(dir.path(), &|work| told.borrow_mut().push(work)).unwrap();
        let steps: Vec<OpenWork> = (5..=SCHEMA_VERSION)
            .map(|to| OpenWork::Migrating { to })
            .collect();
        assert_eq!(told.into_inner(), steps, "each step said before it runs");
        assert_eq!(store.kv().schema_version().unwrap(), Some(SCHEMA_VERSION));
        let names: Vec<String> = store
            .custom_field_names(Kind::Account)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(names, ["Region"]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn schema_3_puts_what_a_search_shows_into_account_documents() {
        let dir = tempfile::tempdir().unwrap();
        let at: jiff::Timestamp = "2026-01-05T09:00:00Z".parse().unwrap();
        let (id, account, epoch_before);
        {
            let store = open(dir.path()).unwrap();
            id = store.allocate(Kind::Account).unwrap();
            account = Record::Account(Account::new(Meta::new(id, "ann", at), "Umbrella".into()));
            store
                .commit(Commit::new("ann", at).put(account.clone()))
                .unwrap();
            // The account as schema 3 kept it: its document without the shown line.
            let mut doc = crate::search::keys::document(&account).unwrap();
            doc.shown = None;
            let mut old = layout::encode(&account);
            let json_len = u32::from_le_bytes(old[1..5].try_into().unwrap()) as usize;
            old.truncate(5 + json_len);
            old.extend_from_slice(&doc.encode());
            store.kv().db.insert(layout::record_key(id), old).unwrap();
            store.kv().set_schema_version(3).unwrap();
            epoch_before = store.generation().unwrap().epoch;
            let docs: Vec<_> = store.search_documents().map(Result::unwrap).collect();
            assert_eq!(docs[0].1.shown, None);
        }
        let store = open(dir.path()).unwrap();
        assert_eq!(store.kv().schema_version().unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(store.generation().unwrap().epoch, epoch_before + 1);
        assert_eq!(store.get(id).unwrap(), Some(account.clone()));
        let docs: Vec<_> = store.search_documents().map(Result::unwrap).collect();
        assert_eq!(
            Some(&docs[0].1),
            crate::search::keys::document(&account).as_ref()
        );
        assert!(docs[0].1.shown.is_some());
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }
}
