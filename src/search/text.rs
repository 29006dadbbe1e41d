//! The keys' text of a [`super::SearchIndex`], held packed: cut at accounts' boundaries into
//! blocks of about [`BLOCK`] bytes, each packed on its own (LZ4), so that the index holds about
//! half the text's size (103 MB for 187 MB at a million accounts with 1.5 contacts each) and a
//! walk unpacks a block only when it reads a key in it (one its mask lets through), each block
//! once as it walks the accounts in order. Smaller blocks unpack less for a walk that reads a
//! few keys here and there; larger ones pack better (32 KB: 91 MB, and typing answered a fifth
//! slower).
//!
//! Keys keep where they start in the whole text; a block says where it starts in it, so a key
//! is found in its block without the blocks before it.

/// How many bytes of text a block gathers before it is cut, at the next account.
pub(crate) const BLOCK: usize = 8 * 1024;

/// The whole text in packed blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyText {
    /// The text's length, unpacked.
    len: u32,
    /// Where each block starts in the text, ascending from 0.
    starts: Vec<u32>,
    /// Where each block ends in `packed`.
    ends: Vec<u32>,
    packed: Vec<u8>,
}

/// One block of a [`KeyText`] unpacked, for the keys of the accounts it holds.
#[derive(Debug)]
pub(crate) struct Unpacked {
    /// Which block, [`usize::MAX`] before the first.
    block: usize,
    /// Where it starts in the whole text.
    start: u32,
    /// Empty when the block did not unpack, so that a damaged block matches nothing. Checked
    /// as UTF-8 a key at a time, as keys are read: a walk reads few of a block's keys.
    bytes: Vec<u8>,
}

impl Default for Unpacked {
    fn default() -> Unpacked {
        Unpacked {
            block: usize::MAX,
            start: 0,
            bytes: Vec::new(),
        }
    }
}

impl Unpacked {
    /// The text from `start` to `end` of the whole, when it is text in this block; empty when
    /// not.
    pub fn get(&self, start: u32, end: u32) -> &str {
        let (Some(from), Some(to)) = (start.checked_sub(self.start), end.checked_sub(self.start))
        else {
            return "";
        };
        (self.bytes.get(from as usize..to as usize))
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }
}

impl KeyText {
    /// `text` packed, cut only where one of `cuts` (ascending places in it) falls, the first
    /// at or past [`BLOCK`] bytes since the last cut.
    pub fn pack(text: &str, cuts: impl IntoIterator<Item = u32>) -> KeyText {
        let mut packed = KeyText {
            len: u32::try_from(text.len()).expect("an index's text is below 4 GB"),
            ..KeyText::default()
        };
        let mut start = 0;
        let ends = cuts
            .into_iter()
            .filter(|&cut| cut as usize <= text.len())
            .chain([packed.len]);
        for end in ends {
            if end as usize - start as usize >= BLOCK || end == packed.len && end > start {
                packed.starts.push(start);
                packed.packed.extend(lz4_flex::compress(
                    &text.as_bytes()[start as usize..end as usize],
                ));
                packed.ends.push(packed.packed.len() as u32);
                start = end;
            }
        }
        packed
    }

    /// The text's length, unpacked.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// How many bytes it holds packed.
    pub fn packed_len(&self) -> usize {
        self.packed.len()
    }

    /// The unpacked size of block `b`.
    fn size(&self, b: usize) -> usize {
        let end = self.starts.get(b + 1).copied().unwrap_or(self.len);
        (end - self.starts[b]) as usize
    }

    /// Unpacks into `into` the block holding the place `at` of the text, unless it holds it
    /// already.
    pub fn unpack(&self, at: u32, into: &mut Unpacked) {
        if at >= into.start && ((at - into.start) as usize) < into.bytes.len() {
            return;
        }
        let b = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        if b == into.block || b >= self.starts.len() {
            return;
        }
        let from = if b == 0 { 0 } else { self.ends[b - 1] as usize };
        let bytes = &mut into.bytes;
        bytes.resize(self.size(b), 0);
        let unpacked = lz4_flex::decompress_into(&self.packed[from..self.ends[b] as usize], bytes);
        if unpacked.ok() != Some(bytes.len()) {
            bytes.clear();
        }
        into.block = b;
        into.start = self.starts[b];
    }

    /// Writes it as [`read`](Self::read) reads it.
    pub fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&u64::from(self.len).to_le_bytes())?;
        out.write_all(&(self.starts.len() as u64).to_le_bytes())?;
        for (start, end) in self.starts.iter().zip(&self.ends) {
            out.write_all(&start.to_le_bytes())?;
            out.write_all(&end.to_le_bytes())?;
        }
        out.write_all(&self.packed)
    }

    /// Puts back what [`write`](Self::write) wrote, its parts read by `read`: the text's
    /// length, the number of blocks, each block's start and end, and the `n` packed bytes.
    /// `None` when they do not fit together: blocks out of order, or one that would unpack to
    /// more than any LZ4 packing of its size can hold (255 times).
    pub fn read(
        len: u64,
        places: Vec<(u32, u32)>,
        packed: impl FnOnce(usize) -> Option<Vec<u8>>,
    ) -> Option<KeyText> {
        let len = u32::try_from(len).ok()?;
        let (starts, ends): (Vec<u32>, Vec<u32>) = places.into_iter().unzip();
        let packed = packed(ends.last().copied().unwrap_or(0) as usize)?;
        let text = KeyText {
            len,
            starts,
            ends,
            packed,
        };
        let in_order = text.starts.first().is_none_or(|s| *s == 0)
            && text.starts.windows(2).all(|w| w[0] < w[1])
            && text.starts.last().is_none_or(|s| *s < len)
            && (len == 0 || !text.starts.is_empty())
            && text.ends.windows(2).all(|w| w[0] <= w[1]);
        let bounded = (0..text.starts.len()).all(|b| {
            let from = if b == 0 { 0 } else { text.ends[b - 1] };
            text.size(b) as u64 <= u64::from(text.ends[b] - from) * 255
        });
        (in_order && bounded).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> (String, Vec<u32>) {
        let mut text = String::new();
        let mut cuts = Vec::new();
        for i in 0..n {
            cuts.push(text.len() as u32);
            text.push_str(&format!("account {i} ваня{i} 王{i} "));
        }
        (text, cuts)
    }

    #[test]
    fn every_stretch_within_an_account_is_read_back_from_its_block() {
        let (text, cuts) = words(10_000);
        let packed = KeyText::pack(&text, cuts.iter().copied());
        assert!(packed.starts.len() > 4, "{} blocks", packed.starts.len());
        assert!(packed.packed_len() < text.len() / 2);
        let mut unpacked = Unpacked::default();
        let ends = cuts.iter().skip(1).copied().chain([text.len() as u32]);
        for (start, end) in cuts.iter().copied().zip(ends).step_by(7) {
            packed.unpack(start, &mut unpacked);
            assert_eq!(
                unpacked.get(start, end),
                &text[start as usize..end as usize]
            );
        }
        // Backwards too, each block unpacked again.
        for &start in cuts.iter().rev().step_by(501) {
            packed.unpack(start, &mut unpacked);
            assert!(text[start as usize..].starts_with(unpacked.get(start, start + 8)));
        }
    }

    #[test]
    fn what_is_written_reads_back_and_damage_is_refused_or_reads_as_nothing() {
        let (text, cuts) = words(5_000);
        let packed = KeyText::pack(&text, cuts);
        let mut bytes = Vec::new();
        packed.write(&mut bytes).unwrap();
        let read = |bytes: &[u8]| {
            let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            let blocks = u64_at(8) as usize;
            let places = (0..blocks)
                .map(|b| (u32_at(16 + b * 8), u32_at(20 + b * 8)))
                .collect();
            let rest = &bytes[16 + blocks * 8..];
            KeyText::read(u64_at(0), places, |n| rest.get(..n).map(<[u8]>::to_vec))
        };
        let back = read(&bytes).expect("reads back");
        let mut unpacked = Unpacked::default();
        back.unpack(0, &mut unpacked);
        assert_eq!(unpacked.get(0, 9), "account 0");

        // A block said to start past the text is refused.
        let mut bad = bytes.clone();
        bad[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&bad).is_none());
        // A packed byte changed reads as nothing or as other text, never a panic.
        let mut bad = bytes.clone();
        let last = bad.len() - 40;
        bad[last] ^= 0xff;
        let damaged = read(&bad).expect("the places still fit");
        let at = *damaged.starts.last().unwrap();
        let mut unpacked = Unpacked::default();
        damaged.unpack(at, &mut unpacked);
        let _ = unpacked.get(at, at + 20);
    }

    #[test]
    fn an_empty_text_packs_to_no_block() {
        let packed = KeyText::pack("", []);
        assert!(packed.starts.is_empty());
        let mut unpacked = Unpacked::default();
        packed.unpack(0, &mut unpacked);
        assert_eq!(unpacked.get(0, 0), "");
    }
}
