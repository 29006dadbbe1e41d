//! Index entries kept out of sled's tree: an immutable sorted file of them ([`EntryFile`]),
//! those of a bulk load sorted aside until it ends ([`Sorter`]), and the merge that reads them
//! as one ordered set ([`merge`]).
//!
//! sled holds about 40 bytes of memory for every key it has and writes keys in random order at
//! about 6 µs each here, and an account has four index entries: at a million accounts they were
//! most of an import's time, of its memory and of the memory of every process that opens the
//! database. A file of sorted entries is written in one pass and read a block at a time.
//!
//! A file is a header, blocks of about 16 KB of entries (each key stored as the length it shares
//! with the one before and the rest of it, then its value or that it is removed), each block
//! compressed with LZ4 (records are JSON, which shrinks to about a third), the list of the blocks
//! (offset, compressed length, CRC-32 of the compressed bytes, first key), a Bloom filter of the
//! keys' index and value (the key up to its last separator, so that an exact lookup that finds
//! nothing reads no block), and a footer. A file is written under a temporary name, synced and
//! renamed, and never changed.

use crate::store::StoreError;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A key and its value, or `None` where a newer source removed the key from the older ones.
/// An index entry's value is empty.
pub type Entry = (Vec<u8>, Option<Vec<u8>>);

/// Entries streamed from a source, in key order or reversed.
pub type Entries<'a> = Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a>;

const MAGIC: &[u8; 24] = b"rapport index entries 2\n";
const TAIL: &[u8; 4] = b"end\n";
/// The footer: where the block list and the filter start, how many entries, the CRC-32 of the
/// list and the filter, and [`TAIL`].
const FOOTER: usize = 8 + 8 + 8 + 4 + 4;
/// A block is closed once it holds this many bytes, before compression.
const BLOCK_BYTES: usize = 16 * 1024;
/// How many blocks a file keeps decompressed, the last ones read.
const RECENT_BLOCKS: usize = 4;
/// Bits of the Bloom filter for each entry, and probes a lookup makes: about 1 % false hits.
const BLOOM_BITS: u64 = 10;
const BLOOM_PROBES: u64 = 7;

/// The little-endian numbers at `at` of `bytes`, which hold them.
fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Where a block is in the file and its checksum.
#[derive(Clone, Copy)]
struct Block {
    offset: u64,
    len: u32,
    crc: u32,
}

/// The list of a file's blocks held as the file writes it (each block's offset, length,
/// checksum, then its first key's length and bytes), with where each block's part starts:
/// a few bytes a block beyond the list itself, instead of a copy of every first key apart (at a
/// million accounts with their contacts, 164,000 blocks).
#[derive(Default)]
struct BlockList {
    bytes: Vec<u8>,
    at: Vec<u32>,
}

/// The bytes of a block's part of the list before its first key.
const BLOCK_FIXED: usize = 20;

impl BlockList {
    fn len(&self) -> usize {
        self.at.len()
    }

    fn block(&self, i: usize) -> Block {
        let at = self.at[i] as usize;
        Block {
            offset: u64_at(&self.bytes, at),
            len: u32_at(&self.bytes, at + 8),
            crc: u32_at(&self.bytes, at + 12),
        }
    }

    fn first_at(&self, at: u32) -> &[u8] {
        let at = at as usize;
        let len = u32_at(&self.bytes, at + 16) as usize;
        &self.bytes[at + BLOCK_FIXED..at + BLOCK_FIXED + len]
    }

    /// The number of blocks whose first key meets `holds`, which holds for the first blocks
    /// and not after.
    fn partition_point(&self, holds: impl Fn(&[u8]) -> bool) -> usize {
        self.at.partition_point(|at| holds(self.first_at(*at)))
    }

    /// Adds a block at `offset` whose first key is `first`, its length and checksum to come
    /// (see [`BlockList::close`]).
    fn open(&mut self, offset: u64, first: &[u8]) {
        self.at.push(self.bytes.len() as u32);
        self.bytes.extend_from_slice(&offset.to_le_bytes());
        self.bytes.extend_from_slice(&[0; 8]);
        self.bytes
            .extend_from_slice(&(first.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(first);
    }

    /// The last block's length and checksum, once it is written.
    fn close(&mut self, len: u32, crc: u32) {
        let at = *self.at.last().expect("a block is open") as usize + 8;
        self.bytes[at..at + 4].copy_from_slice(&len.to_le_bytes());
        self.bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    }

    /// Takes back `count` blocks' parts from the start of `bytes`, as [`EntryFile::write`]
    /// wrote them; `None` when they do not fill it exactly, or a block lies past `end`.
    fn read(bytes: Vec<u8>, count: u64, end: u64) -> Option<BlockList> {
        let mut list = BlockList {
            at: Vec::with_capacity(count.min(1 << 24) as usize),
            bytes,
        };
        let mut at = 0usize;
        for _ in 0..count {
            list.bytes.get(at..at + BLOCK_FIXED)?;
            let first_len = u32_at(&list.bytes, at + 16) as usize;
            list.bytes
                .get(at + BLOCK_FIXED..at + BLOCK_FIXED + first_len)?;
            list.at.push(u32::try_from(at).ok()?);
            let block = list.block(list.len() - 1);
            if block.offset.checked_add(u64::from(block.len))? > end {
                return None;
            }
            at += BLOCK_FIXED + first_len;
        }
        (at == list.bytes.len()).then_some(list)
    }
}

/// An immutable sorted set of entries on disk.
pub struct EntryFile {
    path: PathBuf,
    file: Mutex<File>,
    blocks: BlockList,
    bloom: Bloom,
    len: u64,
    /// The blocks read last, decompressed, the newest last: reads of records one after
    /// another (a dump's audit log, each entry read with its record) mostly ask for one of
    /// them again.
    recent: Mutex<Vec<(usize, Arc<Vec<u8>>)>>,
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("index entries {}: {e}", path.display()))
}

fn corrupt(path: &Path, what: &str) -> StoreError {
    StoreError::Backend(format!("index entries {}: {what}", path.display()))
}

/// The part of a key a Bloom filter holds: up to its last separator (the index and the value
/// of an entry `x:<index>\0<value>\0<id>`).
fn lookup_part(key: &[u8]) -> &[u8] {
    key.iter()
        .rposition(|&b| b == 0)
        .map_or(key, |at| &key[..=at])
}

/// What the Bloom filter holds of a key: an index entry's [`lookup_part`], so that a lookup of
/// one index value is filtered; the whole of any other key (a record's, an audit entry's),
/// which is looked up whole.
fn bloom_part(key: &[u8]) -> &[u8] {
    if key.starts_with(b"x:") {
        lookup_part(key)
    } else {
        key
    }
}

/// Whether every key starting with `prefix` has `prefix` as its [`bloom_part`]: an exact
/// lookup of one index value.
fn is_exact_lookup(prefix: &[u8]) -> bool {
    prefix.starts_with(b"x:")
        && prefix.last() == Some(&0)
        && prefix.iter().filter(|&&b| b == 0).count() == 2
}

/// Writes a value as blocks and logs keep it: 0 for removed, else its length + 1 and its bytes.
fn push_value(out: &mut Vec<u8>, value: &Option<Vec<u8>>) {
    match value {
        None => push_varint(out, 0),
        Some(value) => {
            push_varint(out, value.len() + 1);
            out.extend_from_slice(value);
        }
    }
}

/// Reads a value written by [`push_value`].
fn read_value(bytes: &[u8], at: &mut usize) -> Option<Option<Vec<u8>>> {
    match read_varint(bytes, at)? {
        0 => Some(None),
        n => {
            let value = bytes.get(*at..*at + n - 1)?.to_vec();
            *at += n - 1;
            Some(Some(value))
        }
    }
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            return Some(n);
        }
    }
    None
}

impl EntryFile {
    /// Writes `entries` (strictly ascending) to `path` and opens it. `expected` is at least how
    /// many there are, for the filter's size.
    pub fn write<'a>(
        path: &Path,
        entries: impl Iterator<Item = Result<Entry, StoreError>> + 'a,
        expected: u64,
    ) -> Result<EntryFile, StoreError> {
        let temporary = path.with_extension("tmp");
        let file = File::create(&temporary).map_err(|e| io(&temporary, e))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut offset = MAGIC.len() as u64;
        out.write_all(MAGIC).map_err(|e| io(&temporary, e))?;
        let mut bloom = Bloom::with_entries(expected);
        let mut blocks = BlockList::default();
        let mut open = false;
        let mut block = Vec::with_capacity(BLOCK_BYTES + 256);
        let mut previous: Vec<u8> = Vec::new();
        let mut len = 0u64;
        let close = |block: &mut Vec<u8>,
                     blocks: &mut BlockList,
                     open: &mut bool,
                     out: &mut BufWriter<File>,
                     offset: &mut u64|
         -> Result<(), StoreError> {
            if std::mem::take(open) {
                let packed = lz4_flex::compress_prepend_size(block);
                blocks.close(packed.len() as u32, crc32fast::hash(&packed));
                out.write_all(&packed).map_err(|e| io(&temporary, e))?;
                *offset += packed.len() as u64;
                block.clear();
            }
            Ok(())
        };
        for entry in entries {
            let (key, value) = entry?;
            if len > 0 && key <= previous {
                return Err(corrupt(path, "entries written out of order"));
            }
            if block.len() >= BLOCK_BYTES {
                close(&mut block, &mut blocks, &mut open, &mut out, &mut offset)?;
            }
            let shared = if block.is_empty() {
                blocks.open(offset, &key);
                open = true;
                0
            } else {
                key.iter()
                    .zip(&previous)
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            push_varint(&mut block, shared);
            push_varint(&mut block, key.len() - shared);
            block.extend_from_slice(&key[shared..]);
            push_value(&mut block, &value);
            bloom.add(bloom_part(&key));
            previous = key;
            len += 1;
        }
        close(&mut block, &mut blocks, &mut open, &mut out, &mut offset)?;
        let mut meta = Vec::new();
        meta.extend_from_slice(&(blocks.len() as u64).to_le_bytes());
        meta.extend_from_slice(&blocks.bytes);
        drop(blocks);
        let bloom_at = offset + meta.len() as u64;
        meta.extend_from_slice(&(bloom.words.len() as u64).to_le_bytes());
        for w in &bloom.words {
            meta.extend_from_slice(&w.to_le_bytes());
        }
        let mut footer = Vec::with_capacity(FOOTER);
        footer.extend_from_slice(&offset.to_le_bytes());
        footer.extend_from_slice(&bloom_at.to_le_bytes());
        footer.extend_from_slice(&len.to_le_bytes());
        footer.extend_from_slice(&crc32fast::hash(&meta).to_le_bytes());
        footer.extend_from_slice(TAIL);
        out.write_all(&meta).map_err(|e| io(&temporary, e))?;
        out.write_all(&footer).map_err(|e| io(&temporary, e))?;
        let file = out
            .into_inner()
            .map_err(|e| io(&temporary, e.into_error()))?;
        file.sync_all().map_err(|e| io(&temporary, e))?;
        drop(file);
        std::fs::rename(&temporary, path).map_err(|e| io(path, e))?;
        if let Some(dir) = path.parent() {
            // The rename is durable once the directory is.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        EntryFile::open(path)
    }

    /// Opens a file written by [`EntryFile::write`], checking its list of blocks and its filter.
    pub fn open(path: &Path) -> Result<EntryFile, StoreError> {
        let mut file = File::open(path).map_err(|e| io(path, e))?;
        let size = file.metadata().map_err(|e| io(path, e))?.len();
        let bad = || corrupt(path, "not a complete file of index entries");
        if size < (MAGIC.len() + FOOTER) as u64 {
            return Err(bad());
        }
        let mut head = [0; MAGIC.len()];
        file.read_exact(&mut head).map_err(|e| io(path, e))?;
        let mut footer = [0; FOOTER];
        file.seek(SeekFrom::End(-(FOOTER as i64)))
            .and_then(|_| file.read_exact(&mut footer))
            .map_err(|e| io(path, e))?;
        let (list_at, bloom_at, len) =
            (u64_at(&footer, 0), u64_at(&footer, 8), u64_at(&footer, 16));
        let meta_end = size - FOOTER as u64;
        if &head != MAGIC || &footer[28..] != TAIL || list_at > bloom_at || bloom_at > meta_end {
            return Err(bad());
        }
        // The list of blocks, kept as it is read (see [`BlockList`]), then the filter read
        // straight into its words; the two are checksummed together (at a million accounts
        // with their contacts, 5 MB and 18 MB).
        if bloom_at - list_at < 8 {
            return Err(bad());
        }
        let mut count = [0; 8];
        let mut meta = vec![0; (bloom_at - list_at - 8) as usize];
        file.seek(SeekFrom::Start(list_at))
            .and_then(|_| file.read_exact(&mut count))
            .and_then(|_| file.read_exact(&mut meta))
            .map_err(|e| io(path, e))?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&count);
        crc.update(&meta);
        let blocks = BlockList::read(meta, u64::from_le_bytes(count), list_at).ok_or_else(bad)?;
        let words = read_words(&mut file, meta_end - bloom_at, &mut crc).map_err(|e| match e {
            Some(e) => io(path, e),
            None => bad(),
        })?;
        if crc.finalize() != u32_at(&footer, 24) {
            return Err(bad());
        }
        // Every block is checked once here, in one pass (tens of milliseconds at a million
        // accounts), so that a damaged file is rebuilt on open instead of failing a read.
        file.seek(SeekFrom::Start(MAGIC.len() as u64))
            .map_err(|e| io(path, e))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut file);
        let mut bytes = Vec::with_capacity(BLOCK_BYTES);
        for i in 0..blocks.len() {
            let block = blocks.block(i);
            bytes.resize(block.len as usize, 0);
            reader.read_exact(&mut bytes).map_err(|e| io(path, e))?;
            if crc32fast::hash(&bytes) != block.crc {
                return Err(corrupt(path, &format!("block {i} is damaged")));
            }
        }
        drop(reader);
        Ok(EntryFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            blocks,
            bloom: Bloom { words },
            len,
            recent: Mutex::new(Vec::new()),
        })
    }

    /// How many entries the file holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes of block `i`, checked and decompressed.
    fn block_bytes(&self, i: usize) -> Result<Arc<Vec<u8>>, StoreError> {
        let recent = || self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, bytes)) = recent().iter().find(|(at, _)| *at == i) {
            return Ok(Arc::clone(bytes));
        }
        let bytes = Arc::new(self.read_block(i)?);
        let mut kept = recent();
        if kept.len() == RECENT_BLOCKS {
            kept.remove(0);
        }
        kept.push((i, Arc::clone(&bytes)));
        Ok(bytes)
    }

    fn read_block(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        let block = self.blocks.block(i);
        let mut packed = vec![0; block.len as usize];
        {
            let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
            file.seek(SeekFrom::Start(block.offset))
                .and_then(|_| file.read_exact(&mut packed))
                .map_err(|e| io(&self.path, e))?;
        }
        if crc32fast::hash(&packed) != block.crc {
            return Err(self.damaged(i));
        }
        lz4_flex::decompress_size_prepended(&packed).map_err(|_| self.damaged(i))
    }

    fn damaged(&self, i: usize) -> StoreError {
        corrupt(&self.path, &format!("block {i} is damaged"))
    }

    /// The entries of block `i`, each passed to `each` (its key, then its value as stored),
    /// until `each` says to stop.
    fn walk(
        &self,
        i: usize,
        mut each: impl FnMut(&[u8], &[u8], &mut usize) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let bytes = self.block_bytes(i)?;
        let bad = || self.damaged(i);
        let mut key: Vec<u8> = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let shared = read_varint(&bytes, &mut at).ok_or_else(bad)?;
            let rest = read_varint(&bytes, &mut at).ok_or_else(bad)?;
            if shared > key.len() {
                return Err(bad());
            }
            key.truncate(shared);
            key.extend_from_slice(bytes.get(at..at + rest).ok_or_else(bad)?);
            at += rest;
            if !each(&key, &bytes, &mut at)? {
                break;
            }
        }
        Ok(())
    }

    fn block(&self, i: usize) -> Result<Vec<Entry>, StoreError> {
        let mut entries: Vec<Entry> = Vec::new();
        self.walk(i, |key, bytes, at| {
            let value = read_value(bytes, at).ok_or_else(|| self.damaged(i))?;
            entries.push((key.to_vec(), value));
            Ok(true)
        })?;
        Ok(entries)
    }

    /// What the file says of `key`: nothing (`None`), its value, or that it is removed.
    pub fn get(&self, key: &[u8]) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        self.get_probed(key, Probe::of(bloom_part(key)))
    }

    /// [`EntryFile::get`] with the key's probe worked out.
    fn get_probed(&self, key: &[u8], probe: Probe) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        if !self.bloom.may_hold(probe) {
            return Ok(None);
        }
        let Some(i) = self
            .blocks
            .partition_point(|first| first <= key)
            .checked_sub(1)
        else {
            return Ok(None);
        };
        let mut found = None;
        self.walk(i, |k, bytes, at| match k.cmp(key) {
            std::cmp::Ordering::Less => {
                // Passed over without a copy.
                let n = read_varint(bytes, at).ok_or_else(|| self.damaged(i))?;
                *at += n.saturating_sub(1);
                Ok(true)
            }
            std::cmp::Ordering::Equal => {
                found = Some(read_value(bytes, at).ok_or_else(|| self.damaged(i))?);
                Ok(false)
            }
            std::cmp::Ordering::Greater => Ok(false),
        })?;
        Ok(found)
    }

    /// Whether the file may hold a key with the probe's part (no means it does not).
    pub fn may_hold(&self, probe: Probe) -> bool {
        self.bloom.may_hold(probe)
    }

    /// The entries whose key starts with `prefix`, read a block at a time.
    pub fn range(self: &Arc<Self>, prefix: &[u8], reverse: bool) -> Entries<'static> {
        if Probe::of_prefix(prefix).is_some_and(|probe| !self.may_hold(probe)) {
            return Box::new(std::iter::empty());
        }
        let from = self
            .blocks
            .partition_point(|first| first < prefix)
            .saturating_sub(1);
        let to = self
            .blocks
            .partition_point(|first| first < prefix || first.starts_with(prefix));
        let order: Box<dyn Iterator<Item = usize>> = if reverse {
            Box::new((from..to).rev())
        } else {
            Box::new(from..to)
        };
        let file = Arc::clone(self);
        let prefix = prefix.to_vec();
        Box::new(
            order
                .map(move |i| file.block(i))
                .flat_map(move |block| -> Entries<'static> {
                    match block {
                        Ok(mut entries) => {
                            if reverse {
                                entries.reverse();
                            }
                            let prefix = prefix.clone();
                            Box::new(
                                entries
                                    .into_iter()
                                    .filter(move |(k, _)| k.starts_with(&prefix))
                                    .map(Ok),
                            )
                        }
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    }
                }),
        )
    }
}

/// A Bloom filter with a hash that is the same in every build (CRC-32 twice, seeded apart).
struct Bloom {
    words: Vec<u64>,
}

/// The words of a Bloom filter as [`EntryFile::write`] wrote them, from where `file` is: their
/// number, then each; `size` bytes in all, which `crc` takes in too. `Err(None)` when they do
/// not fill `size`.
fn read_words(
    file: &mut File,
    size: u64,
    crc: &mut crc32fast::Hasher,
) -> Result<Vec<u64>, Option<std::io::Error>> {
    let mut count = [0; 8];
    file.read_exact(&mut count).map_err(Some)?;
    crc.update(&count);
    let count = u64::from_le_bytes(count);
    if count.checked_mul(8).and_then(|n| n.checked_add(8)) != Some(size) {
        return Err(None);
    }
    let mut words = Vec::with_capacity(count as usize);
    let mut chunk = vec![0; 1 << 16];
    let mut left = (count * 8) as usize;
    while left > 0 {
        let bytes = &mut chunk[..left.min(1 << 16)];
        file.read_exact(bytes).map_err(Some)?;
        crc.update(bytes);
        let whole = bytes.chunks_exact(8);
        words.extend(whole.map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))));
        left -= bytes.len();
    }
    Ok(words)
}

impl Bloom {
    fn with_entries(n: u64) -> Bloom {
        let bits = (n.max(1) * BLOOM_BITS).div_ceil(64);
        Bloom {
            words: vec![0; bits as usize],
        }
    }

    fn probes(&self, probe: Probe) -> impl Iterator<Item = (usize, u64)> + use<> {
        let bits = self.words.len() as u64 * 64;
        (0..BLOOM_PROBES).map(move |i| {
            let bit = probe.h1.wrapping_add(i.wrapping_mul(probe.h2)) % bits;
            ((bit / 64) as usize, 1 << (bit % 64))
        })
    }

    fn add(&mut self, part: &[u8]) {
        for (word, bit) in self.probes(Probe::of(part)) {
            self.words[word] |= bit;
        }
    }

    fn may_hold(&self, probe: Probe) -> bool {
        self.words.is_empty()
            || self
                .probes(probe)
                .all(|(word, bit)| self.words[word] & bit != 0)
    }
}

/// The hashes of a key's [`bloom_part`], worked out once for the filters of every file a
/// lookup asks.
#[derive(Clone, Copy)]
pub struct Probe {
    h1: u64,
    h2: u64,
}

impl Probe {
    fn of(part: &[u8]) -> Probe {
        let mut seeded = crc32fast::Hasher::new_with_initial(0x9e37_79b9);
        seeded.update(part);
        Probe {
            h1: u64::from(crc32fast::hash(part)),
            h2: u64::from(seeded.finalize()) | 1,
        }
    }

    /// The probe of an exact lookup of one index value (see [`is_exact_lookup`]), the only
    /// prefix a filter can answer for.
    pub fn of_prefix(prefix: &[u8]) -> Option<Probe> {
        is_exact_lookup(prefix).then(|| Probe::of(prefix))
    }
}

/// The entries a bulk load writes, kept in memory up to a bound and then in sorted files of
/// their own (runs), newest winning, until they are folded into the database's file. A full
/// memory is written to its run on a thread of its own while the load goes on, readable
/// meanwhile; the next spill waits for it.
pub struct Sorter {
    dir: PathBuf,
    memory: Map,
    bytes: usize,
    shelf: Arc<Mutex<Shelf>>,
    /// The spill being written, and the merges after it.
    writing: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
    written: u64,
    /// How many bytes are kept in memory before a spill.
    bound: usize,
}

type Map = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// What a sorter has put out of memory.
#[derive(Default)]
struct Shelf {
    /// A memory being written to a run.
    frozen: Option<Arc<Map>>,
    /// Oldest first, each with its level: how many merges of runs went into it.
    runs: Vec<(Arc<EntryFile>, u32)>,
    /// The number of the next run's file.
    named: usize,
}

/// How many bytes of entries a bulk load keeps in memory before writing them to a run.
const SORTER_BYTES: usize = 16 << 20;
/// How many runs of one level are merged into one.
const RUNS_MERGED: usize = 4;

/// The name of the `n`th run of a bulk load in the database directory.
pub fn run_name(n: usize) -> String {
    format!("entries-bulk-{n}")
}

fn lock_shelf(shelf: &Mutex<Shelf>) -> std::sync::MutexGuard<'_, Shelf> {
    shelf.lock().unwrap_or_else(|e| e.into_inner())
}

/// The entries of `map` starting with `prefix`, in order or reversed.
fn map_range(map: &Map, prefix: &[u8], reverse: bool) -> Vec<Entry> {
    let mut found: Vec<Entry> = map
        .range(prefix.to_vec()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if reverse {
        found.reverse();
    }
    found
}

impl Shelf {
    /// Writes a run of `entries` in `dir`.
    fn write_run<'a>(
        shelf: &Mutex<Shelf>,
        dir: &Path,
        entries: impl Iterator<Item = Result<Entry, StoreError>> + 'a,
        expected: u64,
    ) -> Result<Arc<EntryFile>, StoreError> {
        let path = {
            let mut shelf = lock_shelf(shelf);
            shelf.named += 1;
            dir.join(run_name(shelf.named - 1))
        };
        Ok(Arc::new(EntryFile::write(&path, entries, expected)?))
    }

    /// Writes a frozen memory to a run, then merges runs of a level into one of the next as
    /// soon as there are [`RUNS_MERGED`] of them: every lookup reads every run's filter, and a
    /// false hit a block, so a load of millions of keys keeps a handful of runs, for about two
    /// rewrites of each key. Only this writes runs, one at a time.
    fn store(shelf: &Mutex<Shelf>, dir: &Path, memory: Arc<Map>) -> Result<(), StoreError> {
        let entries = memory.iter().map(|(k, v)| Ok((k.clone(), v.clone())));
        let run = Shelf::write_run(shelf, dir, entries, memory.len() as u64)?;
        {
            let mut shelf = lock_shelf(shelf);
            shelf.runs.push((run, 0));
            shelf.frozen = None;
        }
        loop {
            let (tail, merged) = {
                let shelf = lock_shelf(shelf);
                let Some(tail) = shelf.runs.len().checked_sub(RUNS_MERGED) else {
                    return Ok(());
                };
                let level = shelf.runs[tail].1;
                if shelf.runs[tail..].iter().any(|(_, l)| *l != level) {
                    return Ok(());
                }
                (tail, shelf.runs[tail..].to_vec())
            };
            let expected = merged.iter().map(|(run, _)| run.len()).sum();
            let sources = merged
                .iter()
                .rev()
                .map(|(run, _)| run.range(b"", false))
                .collect();
            let run = Shelf::write_run(shelf, dir, merge(sources, false), expected)?;
            lock_shelf(shelf)
                .runs
                .splice(tail.., [(run, merged[0].1 + 1)]);
            for (old, _) in &merged {
                let _ = std::fs::remove_file(old.path());
            }
        }
    }
}

impl Sorter {
    pub fn new(dir: &Path) -> Sorter {
        Sorter {
            dir: dir.to_path_buf(),
            memory: BTreeMap::new(),
            bytes: 0,
            shelf: Arc::default(),
            writing: None,
            written: 0,
            bound: SORTER_BYTES,
        }
    }

    /// Sets `key` to a value or removed, over anything put before.
    pub fn put(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        self.written += 1;
        // A map node's share and the allocations, roughly; a value put again over an older
        // one is counted again, which at worst spills a little early.
        self.bytes += key.len() + value.as_ref().map_or(0, Vec::len) + 64;
        self.memory.insert(key, value);
        if self.bytes >= self.bound {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), StoreError> {
        self.finish()?;
        let memory = Arc::new(std::mem::take(&mut self.memory));
        self.bytes = 0;
        lock_shelf(&self.shelf).frozen = Some(Arc::clone(&memory));
        let (shelf, dir) = (Arc::clone(&self.shelf), self.dir.clone());
        let writing = std::thread::Builder::new()
            .name("rapport-sort".into())
            .spawn(move || Shelf::store(&shelf, &dir, memory));
        match writing {
            Ok(handle) => self.writing = Some(handle),
            // No thread to be had: written here.
            Err(_) => {
                let memory = lock_shelf(&self.shelf).frozen.clone().expect("frozen");
                Shelf::store(&self.shelf, &self.dir, memory)?;
            }
        }
        Ok(())
    }

    /// Waits for the spill being written, and says whether it was.
    pub fn finish(&mut self) -> Result<(), StoreError> {
        match self.writing.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => Ok(()),
        }
    }

    /// What the sorter says of `key`: nothing, its value, or that it is removed.
    pub fn get(&self, key: &[u8]) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        if let Some(value) = self.memory.get(key) {
            return Ok(Some(value.clone()));
        }
        let (frozen, runs) = {
            let shelf = lock_shelf(&self.shelf);
            (shelf.frozen.clone(), shelf.runs.clone())
        };
        if let Some(value) = frozen.as_ref().and_then(|map| map.get(key)) {
            return Ok(Some(value.clone()));
        }
        let probe = Probe::of(bloom_part(key));
        for (run, _) in runs.iter().rev() {
            if let Some(value) = run.get_probed(key, probe)? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// Whether the sorter may hold a key starting with `prefix` (no means it does not), for
    /// an exact lookup without reading any run.
    pub fn may_hold(&self, prefix: &[u8]) -> bool {
        let Some(probe) = Probe::of_prefix(prefix) else {
            return true;
        };
        let starts = |map: &Map| {
            map.range(prefix.to_vec()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(prefix))
        };
        let shelf = lock_shelf(&self.shelf);
        starts(&self.memory)
            || shelf.frozen.as_deref().is_some_and(starts)
            || shelf.runs.iter().any(|(run, _)| run.may_hold(probe))
    }

    /// How many entries were put (those put twice counted twice).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The sources of the entries starting with `prefix`, newest first, for [`merge`].
    pub fn sources(&self, prefix: &[u8], reverse: bool) -> Vec<Entries<'static>> {
        let found = map_range(&self.memory, prefix, reverse);
        let mut sources: Vec<Entries<'static>> = vec![Box::new(found.into_iter().map(Ok))];
        let shelf = lock_shelf(&self.shelf);
        if let Some(frozen) = &shelf.frozen {
            let found = map_range(frozen, prefix, reverse);
            sources.push(Box::new(found.into_iter().map(Ok)));
        }
        let probe = Probe::of_prefix(prefix);
        sources.extend(
            shelf
                .runs
                .iter()
                .rev()
                .filter(|(run, _)| probe.is_none_or(|p| run.may_hold(p)))
                .map(|(run, _)| run.range(prefix, reverse)),
        );
        sources
    }

    /// Removes the runs' files, once the one being written is.
    pub fn remove_runs(&mut self) {
        let _ = self.finish();
        for (run, _) in &lock_shelf(&self.shelf).runs {
            let _ = std::fs::remove_file(run.path());
        }
    }
}

/// The log of a bulk load's transactions, so that a load cut short is finished from it: frames
/// of the length of their entries compressed (u32, little-endian), the CRC-32 of those bytes
/// and the entries, compressed with LZ4, each its key's length, the key and its value (see
/// [`push_value`]). A frame is written after the
/// committed ones and synced before the transaction that writes it commits; the transaction
/// records the log's new length, and only that much of the log is ever read.
pub struct Log {
    path: PathBuf,
    file: File,
    committed: u64,
}

fn frame_error(path: &Path) -> StoreError {
    corrupt(path, "the log of the bulk load is damaged")
}

impl Log {
    /// An empty log at `path`.
    pub fn create(path: &Path) -> Result<Log, StoreError> {
        let file = File::create(path).map_err(|e| io(path, e))?;
        Ok(Log {
            path: path.to_path_buf(),
            file,
            committed: 0,
        })
    }

    /// Writes `entries` after the committed frames, durably, and returns the log's length with
    /// them, for the transaction to record and then [`Log::commit`].
    pub fn append<'a>(
        &self,
        entries: impl Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + Clone,
    ) -> Result<u64, StoreError> {
        let size: usize = entries
            .clone()
            .map(|(key, value)| key.len() + value.as_ref().map_or(0, Vec::len) + 10)
            .sum();
        let mut payload = Vec::with_capacity(size);
        for (key, value) in entries {
            push_varint(&mut payload, key.len());
            payload.extend_from_slice(key);
            push_value(&mut payload, value);
        }
        let packed = lz4_flex::compress_prepend_size(&payload);
        let mut frame = Vec::with_capacity(packed.len() + 8);
        frame.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&packed).to_le_bytes());
        frame.extend_from_slice(&packed);
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(&frame, self.committed)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io(&self.path, e))?;
        Ok(self.committed + frame.len() as u64)
    }

    /// The transaction that recorded `len` committed.
    pub fn commit(&mut self, len: u64) {
        self.committed = len;
    }

    /// Passes the entries of the first `len` bytes of the log at `path` to `each`, in the
    /// order written, a frame at a time.
    pub fn replay(
        path: &Path,
        len: u64,
        each: &mut dyn FnMut(Entry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let file = File::open(path).map_err(|e| io(path, e))?;
        let mut log = std::io::BufReader::with_capacity(1 << 20, file.take(len));
        let mut read = 0u64;
        let mut packed = Vec::new();
        while read < len {
            let mut head = [0u8; 8];
            log.read_exact(&mut head).map_err(|_| frame_error(path))?;
            let n = u32_at(&head, 0) as usize;
            let crc = u32_at(&head, 4);
            packed.resize(n, 0);
            log.read_exact(&mut packed).map_err(|_| frame_error(path))?;
            if crc32fast::hash(&packed) != crc {
                return Err(frame_error(path));
            }
            let frame =
                lz4_flex::decompress_size_prepended(&packed).map_err(|_| frame_error(path))?;
            let mut i = 0;
            while i < frame.len() {
                let entry = read_varint(&frame, &mut i).and_then(|k| {
                    let key = frame.get(i..i + k)?.to_vec();
                    i += k;
                    Some((key, read_value(&frame, &mut i)?))
                });
                each(entry.ok_or_else(|| frame_error(path))?)?;
            }
            read += 8 + n as u64;
        }
        Ok(())
    }
}

/// One ordered stream of the entries of `sources` (each in the same order, newest source
/// first): each key once, as the newest source that has it says.
pub fn merge<'a>(sources: Vec<Entries<'a>>, reverse: bool) -> Entries<'a> {
    let mut heads: Vec<Option<Entry>> = Vec::with_capacity(sources.len());
    let mut sources = sources;
    let mut failed: Option<StoreError> = None;
    for source in &mut sources {
        match source.next().transpose() {
            Ok(head) => heads.push(head),
            Err(e) => {
                failed.get_or_insert(e);
                heads.push(None);
            }
        }
    }
    Box::new(std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            return Some(Err(e));
        }
        // The first (newest) source holding the key that comes next.
        let mut next: Option<usize> = None;
        for (i, head) in heads.iter().enumerate() {
            let Some((key, _)) = head else { continue };
            let better = next.is_none_or(|n| {
                let best = &heads[n].as_ref().expect("a head").0;
                if reverse { key > best } else { key < best }
            });
            if better {
                next = Some(i);
            }
        }
        // Taken, not copied: a record's value is a kilobyte.
        let taken = next?;
        let winner = heads[taken].take().expect("a head");
        for (i, head) in heads.iter_mut().enumerate() {
            if i == taken || head.as_ref().is_some_and(|(k, _)| *k == winner.0) {
                match sources[i].next().transpose() {
                    Ok(h) => *head = h,
                    Err(e) => return Some(Err(e)),
                }
            }
        }
        Some(Ok(winner))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: &str, value: &str, id: &str) -> Vec<u8> {
        format!("x:{index}\0{value}\0{id}").into_bytes()
    }

    fn keys(entries: Entries<'_>) -> Vec<String> {
        entries
            .map(|e| {
                let (k, value) = e.unwrap();
                let k = String::from_utf8(k).unwrap().replace('\0', "/");
                match value {
                    Some(value) if value.is_empty() => k,
                    Some(value) => format!("{k}={}", String::from_utf8(value).unwrap()),
                    None => format!("-{k}"),
                }
            })
            .collect()
    }

    #[test]
    fn a_file_reads_back_its_entries_by_prefix_both_ways_and_knows_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut all: Vec<Entry> = (0..5000)
            .map(|n| {
                (
                    key(
                        "account.email",
                        &format!("m{n:05}@x.example"),
                        &format!("A-{n}"),
                    ),
                    (n % 7 != 0).then(Vec::new),
                )
            })
            .collect();
        all.push((key("account.name", "acme", "A-1"), Some(Vec::new())));
        all.sort();
        let path = dir.path().join("entries-1");
        let file =
            Arc::new(EntryFile::write(&path, all.clone().into_iter().map(Ok), 5001).unwrap());
        assert!(file.blocks.len() > 2, "many blocks: {}", file.blocks.len());
        assert_eq!(file.len(), 5001);
        let file = Arc::new(EntryFile::open(&path).unwrap());
        let every: Vec<Entry> = file.range(b"x:", false).map(Result::unwrap).collect();
        assert_eq!(every, all);
        let mut backwards: Vec<Entry> = file.range(b"x:", true).map(Result::unwrap).collect();
        backwards.reverse();
        assert_eq!(backwards, all);
        assert_eq!(
            keys(file.range(b"x:account.email\0m01234@x.example\0", false)),
            ["x:account.email/m01234@x.example/A-1234"]
        );
        assert_eq!(
            keys(file.range(b"x:account.email\0m00007@x.example\0", true)),
            ["-x:account.email/m00007@x.example/A-7"]
        );
        assert_eq!(keys(file.range(b"x:account.email\0m0123", false)).len(), 10);
        assert_eq!(
            keys(file.range(b"x:account.name\0", false)),
            ["x:account.name/acme/A-1"]
        );
        assert!(keys(file.range(b"x:account.email\0nobody\0", false)).is_empty());
        assert!(keys(file.range(b"x:b", false)).is_empty());
        assert_eq!(
            file.get(&key("account.email", "m04999@x.example", "A-4999"))
                .unwrap(),
            Some(Some(Vec::new()))
        );
        assert_eq!(
            file.get(&key("account.email", "m00007@x.example", "A-7"))
                .unwrap(),
            Some(None),
            "removed"
        );
        assert_eq!(
            file.get(&key("account.email", "m04999@x.example", "A-1"))
                .unwrap(),
            None
        );
        assert_eq!(file.get(b"x:a").unwrap(), None);
    }

    #[test]
    fn a_file_keeps_values_and_finds_whole_keys_by_the_filter() {
        let dir = tempfile::tempdir().unwrap();
        // Record keys end in a big-endian number, zero bytes and all.
        let record = |n: u64| {
            let mut k = b"r:A:".to_vec();
            k.extend_from_slice(&n.to_be_bytes());
            k
        };
        let all: Vec<Entry> = (1..=3000u64)
            .map(|n| {
                (
                    record(n),
                    Some(format!("account {n}").repeat(n as usize % 50).into_bytes()),
                )
            })
            .collect();
        let path = dir.path().join("entries-1");
        let file =
            Arc::new(EntryFile::write(&path, all.clone().into_iter().map(Ok), 3000).unwrap());
        let every: Vec<Entry> = file.range(b"r:A:", false).map(Result::unwrap).collect();
        assert_eq!(every, all);
        assert_eq!(file.get(&record(1234)).unwrap(), Some(all[1233].1.clone()));
        assert_eq!(file.get(&record(50)).unwrap(), Some(Some(Vec::new())));
        assert_eq!(file.get(&record(3001)).unwrap(), None);
        let looked_up_past_the_filter = (3001..13001u64)
            .filter(|&n| file.may_hold(Probe::of(&record(n))))
            .count();
        assert!(
            looked_up_past_the_filter < 300,
            "{looked_up_past_the_filter} false hits"
        );
        // Keys of more blocks than are kept decompressed, asked for in turns and at random:
        // each lookup still finds its own value.
        assert!(file.blocks.len() > 2 * RECENT_BLOCKS);
        let mut rng = fastrand::Rng::with_seed(7);
        for turn in 0..2000u64 {
            let n = if turn % 2 == 0 {
                1 + (turn * 97) % 3000
            } else {
                rng.u64(1..=3000)
            };
            let want = all[n as usize - 1].1.clone();
            assert_eq!(file.get(&record(n)).unwrap(), Some(want), "key {n}");
        }
    }

    #[test]
    fn an_empty_file_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file =
            Arc::new(EntryFile::write(&dir.path().join("e"), std::iter::empty(), 0).unwrap());
        assert!(keys(file.range(b"x:", false)).is_empty());
        assert_eq!(file.get(b"x:a\0b\0c").unwrap(), None);
    }

    #[test]
    fn a_damaged_or_cut_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e");
        let all: Vec<Entry> = (0..2000)
            .map(|n| (key("i", &format!("{n:05}"), "A-1"), Some(Vec::new())))
            .collect();
        EntryFile::write(&path, all.into_iter().map(Ok), 2000).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(EntryFile::open(&path).is_err());
        let mut damaged = bytes.clone();
        damaged[100] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        assert!(EntryFile::open(&path).is_err());
        let mut damaged = bytes;
        let at = damaged.len() - FOOTER - 3;
        damaged[at] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        assert!(EntryFile::open(&path).is_err());
    }

    #[test]
    fn entries_out_of_order_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let entries = vec![
            (b"x:b".to_vec(), Some(Vec::new())),
            (b"x:a".to_vec(), Some(Vec::new())),
        ];
        assert!(EntryFile::write(&dir.path().join("e"), entries.into_iter().map(Ok), 2).is_err());
    }

    #[test]
    fn the_newest_source_says_whether_a_key_is_there() {
        let source = |keys: &[(&str, bool)]| -> Entries<'static> {
            let owned: Vec<Entry> = keys
                .iter()
                .map(|(k, p)| (k.as_bytes().to_vec(), p.then(Vec::new)))
                .collect();
            Box::new(owned.into_iter().map(Ok))
        };
        let newest = source(&[("b", false), ("d", true)]);
        let middle = source(&[("a", true), ("d", false), ("e", true)]);
        let oldest = source(&[("a", false), ("b", true), ("c", true)]);
        assert_eq!(
            keys(merge(vec![newest, middle, oldest], false)),
            ["a", "-b", "c", "d", "e"]
        );
        let newest = source(&[("d", true), ("b", false)]);
        let oldest = source(&[("c", true), ("b", true), ("a", true)]);
        assert_eq!(
            keys(merge(vec![newest, oldest], true)),
            ["d", "c", "-b", "a"]
        );
    }

    #[test]
    fn a_sorter_merges_its_runs_level_by_level_newest_winning() {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(dir.path());
        sorter.bound = 64 * 100;
        // Each key put four times over, the last time removed for every seventh.
        for round in 0..4 {
            for i in 0..2_000 {
                let value = (round < 3 || i % 7 != 0).then(|| format!("{round}").into_bytes());
                sorter
                    .put(key("i", &format!("{i:05}"), "A-1"), value)
                    .unwrap();
            }
        }
        sorter.finish().unwrap();
        let (named, kept) = {
            let shelf = lock_shelf(&sorter.shelf);
            (shelf.named, shelf.runs.len())
        };
        assert!(named > 40, "{named} runs written");
        assert!(kept <= 3 * RUNS_MERGED, "{kept} runs kept");
        let merged: Vec<Entry> = merge(sorter.sources(b"x:", false), false)
            .map(Result::unwrap)
            .collect();
        assert_eq!(merged.len(), 2_000);
        for (i, (_, value)) in merged.iter().enumerate() {
            let want = (i % 7 != 0).then(|| b"3".to_vec());
            assert_eq!(value, &want, "key {i}");
        }
        assert_eq!(sorter.get(&key("i", "00007", "A-1")).unwrap(), Some(None));
        // An exact lookup is answered by the filters of the runs, the memory and the frozen
        // memory: never a false "no".
        for i in (0..2_000).step_by(97) {
            assert!(sorter.may_hold(format!("x:i\0{i:05}\0").as_bytes()), "{i}");
        }
        sorter
            .put(key("i", "fresh", "A-2"), Some(Vec::new()))
            .unwrap();
        assert!(sorter.may_hold(b"x:i\0fresh\0"), "in memory");
        let misses = (0..1_000)
            .filter(|n| sorter.may_hold(format!("x:i\0absent{n}\0").as_bytes()))
            .count();
        assert!(misses < 200, "{misses} false hits of 1,000");
        assert_eq!(
            sorter.get(&key("i", "00008", "A-1")).unwrap(),
            Some(Some(b"3".to_vec()))
        );
        sorter.remove_runs();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_sorter_spills_to_runs_and_reads_as_one_set() {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(dir.path());
        let n = SORTER_BYTES / 60 * 2 + 10;
        for i in 0..n {
            sorter
                .put(key("i", &format!("{i:07}"), "A-1"), Some(Vec::new()))
                .unwrap();
        }
        sorter.put(key("i", "0000003", "A-1"), None).unwrap();
        sorter.finish().unwrap();
        let runs = lock_shelf(&sorter.shelf).runs.len();
        assert!(runs >= 2, "{runs} runs");
        let merged: Vec<Entry> = merge(sorter.sources(b"x:", false), false)
            .map(Result::unwrap)
            .collect();
        assert_eq!(merged.len(), n);
        assert_eq!(merged.iter().filter(|(_, v)| v.is_none()).count(), 1);
        assert_eq!(sorter.get(&key("i", "0000003", "A-1")).unwrap(), Some(None));
        assert_eq!(
            sorter.get(&key("i", "0000004", "A-1")).unwrap(),
            Some(Some(Vec::new())),
            "from a run"
        );
        assert_eq!(sorter.get(&key("i", "x", "A-1")).unwrap(), None);
        assert_eq!(
            keys(merge(sorter.sources(b"x:i\x000000003\0", false), false)),
            ["-x:i/0000003/A-1"]
        );
        sorter.remove_runs();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
