//! The keys' text of a [`super::SearchIndex`], held packed: cut between accounts into
//! blocks of about [`BLOCK`] bytes, each packed on its own (LZ4), so that the index holds about
//! half the text's size (103 MB for 187 MB at a million accounts with 1.5 contacts each) and a
//! walk unpacks a block only when it reads a key in it (one its mask lets through), each block
//! once as it walks the accounts in order. Smaller blocks unpack less for a walk that reads a
//! few keys here and there; larger ones pack better (32 KB: 91 MB, and typing answered a fifth
//! slower).
//!
//! A block says which key it starts at, and each key where it starts in its block (16 bits: a
//! block is cut inside an account whose keys are longer than that), so a key is found in its
//! block without the blocks before it.
//!
//! Read from an index file, the packed blocks stay in it, each read from it when a walk
//! unpacks it: the index then holds only where each key and block starts.

/// How many bytes of text a block gathers before it is cut, at the next account.
pub(crate) const BLOCK: usize = 8 * 1024;

/// The most a block can hold before its next key, so that every key starts within 16 bits:
/// a block is cut inside an account whose keys are more than that.
const MOST: usize = 1 << 16;

/// The whole text in packed blocks.
#[derive(Debug, Default)]
pub(crate) struct KeyText {
    /// Where each key starts in its block.
    starts: Vec<u16>,
    /// Each block's first key, ascending from 0.
    firsts: Vec<u32>,
    /// Each block's size, unpacked.
    sizes: Vec<u32>,
    /// Where each block ends in `packed`.
    ends: Vec<u32>,
    packed: Packed,
}

/// The packed blocks, end to end: held, or left in the file they were read from.
#[derive(Debug)]
pub(crate) enum Packed {
    Held(Vec<u8>),
    /// Read a block at a time from where they start in `file` (by position, so that the
    /// threads of a walk read it at once and another handle of the file keeps its place).
    Filed {
        file: std::fs::File,
        at: u64,
    },
}

impl Default for Packed {
    fn default() -> Packed {
        Packed::Held(Vec::new())
    }
}

/// One block of a [`KeyText`] unpacked, for the keys it holds.
#[derive(Debug, Default)]
pub(crate) struct Unpacked {
    /// Which block; its keys are `keys` (none before the first is unpacked).
    block: usize,
    keys: std::ops::Range<usize>,
    /// Empty when the block did not unpack, so that a damaged block matches nothing. Checked
    /// as UTF-8 a key at a time, as keys are read: a walk reads few of a block's keys.
    bytes: Vec<u8>,
    /// The block packed, as read from the file (see [`Packed::Filed`]).
    packed: Vec<u8>,
}

impl KeyText {
    /// The keys' texts in their order, each with whether it is its account's first, packed.
    pub fn pack<'a>(keys: impl IntoIterator<Item = (&'a str, bool)>) -> KeyText {
        let mut text = KeyText::default();
        let mut packed = Vec::new();
        let mut block: Vec<u8> = Vec::with_capacity(BLOCK * 2);
        let mut first = 0;
        for (k, (key, opens)) in keys.into_iter().enumerate() {
            if k > first && (opens && block.len() >= BLOCK || block.len() + key.len() > MOST) {
                text.seal(&mut packed, first, &block);
                block.clear();
                first = k;
            }
            text.starts.push(block.len() as u16);
            block.extend_from_slice(key.as_bytes());
        }
        if text.starts.len() > first {
            text.seal(&mut packed, first, &block);
        }
        text.packed = Packed::Held(packed);
        text
    }

    /// Adds the block of the keys from `first`, whose text is `block`, packed onto `packed`.
    fn seal(&mut self, packed: &mut Vec<u8>, first: usize, block: &[u8]) {
        self.firsts.push(first as u32);
        self.sizes.push(block.len() as u32);
        packed.extend(lz4_flex::compress(block));
        self.ends.push(packed.len() as u32);
    }

    /// How many keys it holds.
    pub fn keys(&self) -> usize {
        self.starts.len()
    }

    /// How many bytes it holds.
    pub fn bytes(&self) -> usize {
        let packed = match &self.packed {
            Packed::Held(packed) => packed.len(),
            Packed::Filed { .. } => 0,
        };
        packed + self.starts.len() * 2 + self.firsts.len() * 12
    }

    /// The text of key `k`, below [`keys`](Self::keys), its block unpacked into `into` unless
    /// it is there already.
    pub fn key<'u>(&self, k: usize, into: &'u mut Unpacked) -> &'u str {
        if !into.keys.contains(&k) {
            self.unpack(self.firsts.partition_point(|&f| f as usize <= k) - 1, into);
        }
        let from = self.starts[k] as usize;
        let to = if k + 1 < into.keys.end {
            self.starts[k + 1] as usize
        } else {
            self.sizes[into.block] as usize
        };
        (into.bytes.get(from..to))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }

    /// Unpacks block `b` into `into`.
    fn unpack(&self, b: usize, into: &mut Unpacked) {
        let from = if b == 0 { 0 } else { self.ends[b - 1] as usize };
        let to = self.ends[b] as usize;
        let packed = match &self.packed {
            Packed::Held(packed) => Some(&packed[from..to]),
            Packed::Filed { file, at } => {
                use std::os::unix::fs::FileExt;
                into.packed.resize(to - from, 0);
                (file.read_exact_at(&mut into.packed, at + from as u64).ok())
                    .map(|()| &into.packed[..])
            }
        };
        let bytes = &mut into.bytes;
        bytes.resize(self.sizes[b] as usize, 0);
        let unpacked = packed.map(|packed| lz4_flex::decompress_into(packed, bytes));
        if unpacked.and_then(Result::ok) != Some(bytes.len()) {
            bytes.clear();
        }
        into.block = b;
        let end = self
            .firsts
            .get(b + 1)
            .map_or(self.starts.len(), |f| *f as usize);
        into.keys = self.firsts[b] as usize..end;
    }

    /// Each block's first key, size and end in the packed bytes, for [`write`](Self::write).
    fn places(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        (self.firsts.iter().zip(&self.sizes).zip(&self.ends)).map(|((f, s), e)| (*f, *s, *e))
    }

    /// Writes it: the keys' starts, the blocks' places, the packed bytes (their length is the
    /// last block's end), as [`read`](Self::read) takes them back.
    pub fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&(self.starts.len() as u64).to_le_bytes())?;
        for start in &self.starts {
            out.write_all(&start.to_le_bytes())?;
        }
        out.write_all(&(self.firsts.len() as u64).to_le_bytes())?;
        for (first, size, end) in self.places() {
            for n in [first, size, end] {
                out.write_all(&n.to_le_bytes())?;
            }
        }
        match &self.packed {
            Packed::Held(packed) => out.write_all(packed),
            Packed::Filed { file, at } => {
                use std::os::unix::fs::FileExt;
                let mut packed = vec![0; self.ends.last().copied().unwrap_or(0) as usize];
                file.read_exact_at(&mut packed, *at)?;
                out.write_all(&packed)
            }
        }
    }

    /// Puts back what [`write`](Self::write) wrote, the packed bytes read (or passed over and
    /// left in their file) by `packed` given their length. `None` when the parts do not fit
    /// together: blocks out of order, or one that would unpack to more than any LZ4 packing of
    /// its size can hold (255 times).
    pub fn read(
        starts: Vec<u16>,
        places: Vec<(u32, u32, u32)>,
        packed: impl FnOnce(usize) -> Option<Packed>,
    ) -> Option<KeyText> {
        let mut text = KeyText {
            starts,
            ..KeyText::default()
        };
        for (first, size, end) in places {
            text.firsts.push(first);
            text.sizes.push(size);
            text.ends.push(end);
        }
        text.packed = packed(text.ends.last().copied().unwrap_or(0) as usize)?;
        let in_order = text.firsts.first().is_none_or(|f| *f == 0)
            && text.firsts.windows(2).all(|w| w[0] < w[1])
            && text
                .firsts
                .last()
                .is_none_or(|f| (*f as usize) < text.starts.len())
            && (text.starts.is_empty() || !text.firsts.is_empty())
            && text.ends.windows(2).all(|w| w[0] <= w[1]);
        let bounded = text.places().enumerate().all(|(b, (_, size, end))| {
            let from = if b == 0 { 0 } else { text.ends[b - 1] };
            u64::from(size) <= u64::from(end - from) * 255
        });
        (in_order && bounded).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accounts of three keys each, in three scripts, and one account of many keys whose text
    /// is more than a block's 16 bits can reach.
    fn keys() -> Vec<(String, bool)> {
        let mut keys = Vec::new();
        for i in 0..10_000 {
            keys.push((format!("account {i}"), true));
            keys.push((format!("ваня{i}"), false));
            keys.push((format!("王{i}"), false));
            if i == 5_000 {
                for c in 0..3_000 {
                    keys.push((format!("contact {c} of a large account"), false));
                }
            }
        }
        keys
    }

    fn packed(keys: &[(String, bool)]) -> KeyText {
        KeyText::pack(keys.iter().map(|(key, opens)| (key.as_str(), *opens)))
    }

    #[test]
    fn every_key_is_read_back_in_order_or_at_random() {
        let keys = keys();
        let text = packed(&keys);
        assert!(text.firsts.len() > 20, "{} blocks", text.firsts.len());
        assert!(text.sizes.iter().all(|s| *s as usize <= MOST));
        let whole: usize = keys.iter().map(|(k, _)| k.len()).sum();
        let held = text.bytes() - text.starts.len() * 2 - text.firsts.len() * 12;
        assert!(held < whole / 2, "{held} of {whole}");
        let mut unpacked = Unpacked::default();
        for (k, (key, _)) in keys.iter().enumerate() {
            assert_eq!(text.key(k, &mut unpacked), key, "key {k}");
        }
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..2_000 {
            let k = rng.usize(..keys.len());
            assert_eq!(text.key(k, &mut unpacked), keys[k].0, "key {k}");
        }
    }

    #[test]
    fn what_is_written_reads_back_and_damage_is_refused_or_reads_as_nothing() {
        let keys = keys();
        let mut bytes = Vec::new();
        packed(&keys).write(&mut bytes).unwrap();
        let read = |bytes: &[u8]| {
            let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            let n = u64_at(0) as usize;
            let starts = (0..n)
                .map(|k| u16::from_le_bytes(bytes[8 + 2 * k..10 + 2 * k].try_into().unwrap()))
                .collect();
            let at = 8 + 2 * n;
            let blocks = u64_at(at) as usize;
            let places = (0..blocks)
                .map(|b| at + 8 + 12 * b)
                .map(|p| (u32_at(p), u32_at(p + 4), u32_at(p + 8)))
                .collect();
            let rest = &bytes[at + 8 + 12 * blocks..];
            KeyText::read(starts, places, |n| {
                rest.get(..n).map(|p| Packed::Held(p.to_vec()))
            })
        };
        let back = read(&bytes).expect("reads back");
        let mut unpacked = Unpacked::default();
        assert_eq!(
            back.key(keys.len() - 1, &mut unpacked),
            keys.last().unwrap().0
        );

        // A block said to start past the last key is refused.
        let places = 8 + 2 * keys.len() + 8;
        let mut bad = bytes.clone();
        bad[places + 12..places + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&bad).is_none());
        // Packed bytes missing are refused.
        assert!(read(&bytes[..bytes.len() - 1]).is_none());
        // A packed byte changed reads as nothing or as other text, never a panic.
        let mut bad = bytes.clone();
        let last = bad.len() - 40;
        bad[last] ^= 0xff;
        let damaged = read(&bad).expect("the places still fit");
        let mut unpacked = Unpacked::default();
        for k in keys.len() - 200..keys.len() {
            let _ = damaged.key(k, &mut unpacked);
        }
    }

    #[test]
    fn no_keys_pack_to_no_block() {
        let text = KeyText::pack([]);
        assert!(text.firsts.is_empty() && text.keys() == 0);
    }
}
