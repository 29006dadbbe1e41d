//! The search index kept on disk beside the database, so that a search or the TUI starts from
//! one file instead of reading and laying out every search document.
//!
//! A checksum covers the whole index, so a damaged file is never trusted. The file is stamped
//! with the database's generation (its restore epoch and the audit log's last sequence number)
//! when it was written. Opening compares stamps: equal, the file is the index; behind by a few
//! changes of the same epoch, the changed records' documents are read and swapped in, and the
//! file written again; missing, damaged, written by a build that hashes differently, from
//! another epoch or too far behind, the index is built from the store and written. The file is
//! written to a temporary name, synced and renamed, so a crash leaves the old file or the new
//! one, and a stale stamp makes either current again on the next open.
//!
//! The file also holds what a search shows of each account, so that a search of a database
//! that nobody has open, closed at the file's generation, is answered from the file alone,
//! without opening the store (see [`answer_closed`]).

use super::index::{HeldDocs, Hit, SearchIndex, ShownBlocks, Span, filter_fingerprint};
use super::keys::Shown;
use crate::domain::Id;
use crate::store::{Generation, Store, StoreError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The file's name in the database directory.
pub const FILE: &str = "rapport-search.idx";
/// The first bytes of the file; the number changes with the layout.
const MAGIC: &[u8] = b"rapport search index 9\n";
/// Beyond this many audit entries behind, the index is built afresh.
const CATCH_UP_LIMIT: u64 = 100_000;

/// How [`open`] got the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The file was current.
    Loaded,
    /// The file was behind: this many records' documents were read again.
    CaughtUp(usize),
    /// From every document in the store (no file, a damaged one, or too far behind).
    Built,
}

/// The search index of `store`, from its file when current, and the file brought up to date.
/// A file that cannot be written (a read-only directory) is not an error: the index is.
pub fn open(store: &dyn Store) -> Result<(SearchIndex, Source), StoreError> {
    let file = store.derived_file(FILE).and_then(|path| read_file(&path));
    open_with(store, file)
}

/// The index file of a database read while the store opens (on a thread of its own, or on this
/// one while the store opens on another), so that a search or the TUI waits for the longer of
/// the two instead of both in turn; and, when the database was closed at the file's
/// generation, answers from the file before the store is open.
pub struct Prefetch {
    path: PathBuf,
    file: Pending,
}

/// The file of a [`Prefetch`]: being read on another thread, or read.
enum Pending {
    Reading(Option<std::thread::JoinHandle<Option<FileIndex>>>),
    Read(Option<FileIndex>),
}

impl Prefetch {
    /// Starts reading the index file in the database directory `db`.
    pub fn start(db: &Path) -> Prefetch {
        let path = db.join(FILE);
        let reading = path.clone();
        let reader = std::thread::Builder::new()
            .name("rapport-index-file".into())
            .spawn(move || read_file(&reading))
            .ok();
        Prefetch {
            path,
            file: Pending::Reading(reader),
        }
    }

    /// Reads the index file in the database directory `db` on this thread, while the store
    /// opens on another.
    pub fn read(db: &Path) -> Prefetch {
        let path = db.join(FILE);
        let file = Pending::Read(read_file(&path));
        Prefetch { path, file }
    }

    /// The file read, when it is current for a database closed at `closed` (the stamp of
    /// [`crate::store::sled::closed_at`], read before the database was opened, since opening
    /// removes it): its records are then those of the file.
    fn closed(&mut self, closed: Generation) -> Option<&mut FileIndex> {
        match &mut self.file {
            Pending::Read(Some(file)) if file.generation == closed => Some(file),
            _ => None,
        }
    }

    /// The best `limit` accounts for `query` and what a search shows of each, from the file
    /// alone, before or without the store (see [`Prefetch::closed`]).
    pub fn answer_closed(
        &mut self,
        closed: Generation,
        query: &str,
        limit: usize,
    ) -> Option<Vec<(Hit, Shown)>> {
        let FileIndex { index, shown, .. } = self.closed(closed)?;
        index
            .query(query, limit)
            .into_iter()
            .map(|hit| {
                let line = shown.line_of(index.place_of(&hit)?)?;
                Some((hit, line))
            })
            .collect()
    }

    /// The `limit` accounts contacted most recently and what a search shows of each, from the
    /// file alone (see [`Prefetch::closed`]).
    pub fn recent_closed(&mut self, closed: Generation, limit: usize) -> Option<Vec<(Id, Shown)>> {
        let FileIndex { index, shown, .. } = self.closed(closed)?;
        index
            .recent_places(limit)
            .into_iter()
            .map(|(id, place)| Some((id, shown.line_of(place)?)))
            .collect()
    }

    /// [`open`], with the file this read when it is `store`'s.
    pub fn open(self, store: &dyn Store) -> Result<(SearchIndex, Source), StoreError> {
        if store.derived_file(FILE).as_ref() != Some(&self.path) {
            return open(store);
        }
        let file = match self.file {
            Pending::Reading(Some(reader)) => reader.join().ok().flatten(),
            Pending::Reading(None) => return open(store),
            Pending::Read(file) => file,
        };
        open_with(store, file)
    }
}

/// [`open`] with the file already read by [`read`].
/// The index returned never holds its shown text: only [`answer_closed`] needs it, from the
/// file, and the memory is the TUI's.
fn open_with(
    store: &dyn Store,
    file: Option<FileIndex>,
) -> Result<(SearchIndex, Source), StoreError> {
    let generation = store.generation()?;
    let Some(path) = store.derived_file(FILE) else {
        return Ok((SearchIndex::load(store)?.without_shown(), Source::Built));
    };
    if let Some(FileIndex {
        index,
        generation: stamp,
        mut shown,
    }) = file
    {
        if stamp == generation {
            return Ok((index.without_shown(), Source::Loaded));
        }
        if stamp.epoch == generation.epoch
            && stamp.seq < generation.seq
            && let Some(ids) = store.changed_since(stamp.seq, CATCH_UP_LIMIT)?
            && let Some((docs, spans, text)) = shown.text()
        {
            let changed = ids
                .into_iter()
                .map(|id| Ok((id, store.search_document(id)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let count = changed.len();
            let index = index.with_shown(docs, spans, text).with_changes(changed);
            let _ = write(&path, &index, generation);
            return Ok((index.without_shown(), Source::CaughtUp(count)));
        }
    }
    let index = SearchIndex::load(store)?;
    let _ = write(&path, &index, generation);
    Ok((index.without_shown(), Source::Built))
}

/// The best `limit` accounts for `query` in the database directory `db` and what a search
/// shows of each, from the index file alone, when the database was last closed at the file's
/// generation and is not open now (opening it removes the stamp it was closed at; see
/// [`crate::store::sled::closed_at`]). `None` when that cannot be told: the caller opens the
/// store instead.
pub fn answer_closed(db: &Path, query: &str, limit: usize) -> Option<Vec<(Hit, Shown)>> {
    let closed = crate::store::sled::closed_at(db)?;
    Prefetch::read(db).answer_closed(closed, query, limit)
}

/// The index in the file at `path` (without its shown text) and the generation it was written
/// at; `None` when there is no file or it cannot be trusted.
pub fn read(path: &Path) -> Option<(SearchIndex, Generation)> {
    read_file(path).map(|file| (file.index, file.generation))
}

/// An index read from its file, its shown text left there.
struct FileIndex {
    index: SearchIndex,
    generation: Generation,
    shown: ShownText,
}

/// Where the shown text is in an index file already checked.
struct ShownText {
    file: File,
    /// Where the index's encoding starts in the file.
    base: u64,
    blocks: ShownBlocks,
}

impl ShownText {
    /// The line of the account at `place`.
    fn line_of(&mut self, place: usize) -> Option<Shown> {
        let span = self.blocks.span(&mut self.file, self.base, place)?;
        let bytes = self.read(u64::from(span.start), u64::from(span.len))?;
        Shown::decode(std::str::from_utf8(&bytes).ok()?)
    }

    /// What the index left in the file: the documents' records, where each account's line is,
    /// and the whole text.
    fn text(&mut self) -> Option<(HeldDocs, Vec<Span>, String)> {
        let docs = self.blocks.docs(&mut self.file, self.base)?;
        let spans = self.blocks.spans(&mut self.file, self.base)?;
        let text = String::from_utf8(self.read(0, self.blocks.len)?).ok()?;
        Some((docs, spans, text))
    }

    fn read(&mut self, start: u64, len: u64) -> Option<Vec<u8>> {
        self.blocks.read(&mut self.file, self.base, start, len)
    }
}

/// Reads and checks the file at `path`: the index, its generation, where its shown text is.
fn read_file(path: &Path) -> Option<FileIndex> {
    let mut file = File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    let mut head = [0; MAGIC.len() + 28];
    file.read_exact(&mut head).ok()?;
    let rest = head.strip_prefix(MAGIC)?;
    let number = |at: usize| Some(u64::from_le_bytes(rest[at..at + 8].try_into().ok()?));
    let generation = Generation {
        epoch: number(0)?,
        seq: number(8)?,
    };
    let fingerprint = number(16)?;
    let checksum = u32::from_le_bytes(rest[24..].try_into().ok()?);
    if fingerprint != filter_fingerprint() {
        return None;
    }
    // Checksummed beneath the buffer, so that the checksum takes whole buffers at a time.
    let mut body = BufReader::with_capacity(
        1 << 20,
        Checksummed {
            inner: file,
            crc: crc32fast::Hasher::new(),
        },
    );
    let body_length = length.checked_sub(head.len() as u64)?;
    let docs = body.get_ref().inner.try_clone().ok()?;
    let base = head.len() as u64;
    let (index, blocks) = SearchIndex::decode(&mut body, body_length, Some((docs, base)))?;
    let Checksummed { inner: file, crc } = body.into_inner();
    (crc.finalize() == checksum).then_some(FileIndex {
        index,
        generation,
        shown: ShownText {
            file,
            base: head.len() as u64,
            blocks,
        },
    })
}

/// Writes the index stamped with `generation`: to a temporary file, synced, then renamed.
pub fn write(path: &Path, index: &SearchIndex, generation: Generation) -> std::io::Result<()> {
    let temporary = path.with_extension("idx.tmp");
    let mut file = File::create(&temporary)?;
    file.write_all(MAGIC)?;
    file.write_all(&generation.epoch.to_le_bytes())?;
    file.write_all(&generation.seq.to_le_bytes())?;
    file.write_all(&filter_fingerprint().to_le_bytes())?;
    let checksum_at = (MAGIC.len() + 24) as u64;
    file.write_all(&[0; 4])?; // the checksum, once the body is written
    let mut body = BufWriter::with_capacity(
        1 << 20,
        Checksummed {
            inner: file,
            crc: crc32fast::Hasher::new(),
        },
    );
    index.encode(&mut body)?;
    let Checksummed {
        inner: mut file,
        crc,
    } = body.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(checksum_at))?;
    file.write_all(&crc.finalize().to_le_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// Reads or writes through, keeping the checksum of what went by.
struct Checksummed<T> {
    inner: T,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}
