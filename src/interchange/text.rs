//! Opening a file of unknown encoding as a stream of UTF-8 text, with flat memory.
//!
//! The encoding comes from, in order: a byte-order mark (UTF-8, UTF-16LE, UTF-16BE), the
//! encoding the user named (`--encoding`), or detection over the first 64 KiB: valid UTF-8 is
//! UTF-8, a run of NULs every other byte is BOM-less UTF-16, anything else is chardetng's guess
//! (which tells GBK, Windows-1251, Windows-1252, Shift_JIS… apart by their letter statistics).
//! Bytes that are invalid in the chosen encoding become U+FFFD; the stream never fails on them.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use std::fmt;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};

/// How many bytes detection looks at.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Labels shown when an unknown one is given.
const EXAMPLES: &str = "utf-8, utf-16le, utf-16be, windows-1252 (latin1), windows-1251, koi8-r, \
                        gbk, gb18030, big5, shift_jis, euc-kr, iso-8859-2";

/// How the encoding of a file was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A byte-order mark at the start of the file.
    Bom,
    /// The user named it.
    Named,
    /// Detected from the first bytes of the file.
    Detected,
}

/// The encoding a file is read with, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    pub evidence: Evidence,
}

impl TextEncoding {
    /// The encoding's WHATWG name (`UTF-8`, `windows-1252`, `GBK`).
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.evidence {
            Evidence::Bom => "byte-order mark",
            Evidence::Named => "named",
            Evidence::Detected => "detected",
        };
        write!(f, "{} ({why})", self.name())
    }
}

/// Why a file could not be opened as text.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("unknown encoding '{0}'; known ones include {EXAMPLES}")]
    UnknownEncoding(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The encoding an `--encoding` label names. Accepts the WHATWG labels (`latin1`, `cp1251`,
/// `gb2312`, `sjis`…) and a few Windows code-page names they lack (`cp936`, `cp950`).
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, TextError> {
    let wanted = label.trim().to_ascii_lowercase();
    let alias = match wanted.as_str() {
        "cp936" | "ms936" | "windows-936" => "gbk",
        "cp950" | "ms950" | "windows-950" => "big5",
        "cp932" | "ms932" => "shift_jis",
        "cp949" | "ms949" => "euc-kr",
        "utf16" | "utf-16" => "utf-16le",
        "ansi" => "windows-1252",
        other => other,
    };
    match Encoding::for_label_no_replacement(alias.as_bytes()) {
        Some(encoding) => Ok(encoding),
        None => Err(TextError::UnknownEncoding(label.to_string())),
    }
}

/// The encoding a byte-order mark at the start of `bytes` names, and its length.
pub fn bom(bytes: &[u8]) -> Option<(&'static Encoding, usize)> {
    Encoding::for_bom(bytes)
}

/// Detects the encoding of `prefix`, the first bytes of a file (`complete` when it is the whole
/// file), when no byte-order mark and no name settle it.
pub fn detect(prefix: &[u8], complete: bool) -> &'static Encoding {
    // Before the UTF-8 check: UTF-16 of Latin text is valid UTF-8, NULs and all.
    if let Some(utf16) = bomless_utf16(prefix) {
        return utf16;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => return UTF_8,
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() && !complete => return UTF_8,
        Err(_) => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(prefix, complete);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// UTF-16 written without a BOM (some Windows tools do): text in Latin script has a NUL in
/// every other byte. Requires a strong pattern so that a stray NUL does not trigger it.
fn bomless_utf16(prefix: &[u8]) -> Option<&'static Encoding> {
    let sample = &prefix[..prefix.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even = sample.iter().step_by(2).filter(|b| **b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|b| **b == 0)
        .count();
    if odd * 10 >= pairs * 7 && even * 20 <= pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 20 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Settles the encoding of a file from its first bytes: BOM, then `named`, then detection.
/// Returns the encoding and the length of the BOM to skip.
pub fn settle(
    prefix: &[u8],
    complete: bool,
    named: Option<&'static Encoding>,
) -> (TextEncoding, usize) {
    if let Some((encoding, len)) = bom(prefix) {
        let evidence = Evidence::Bom;
        return (TextEncoding { encoding, evidence }, len);
    }
    let (encoding, evidence) = match named {
        Some(encoding) => (encoding, Evidence::Named),
        None => (detect(prefix, complete), Evidence::Detected),
    };
    (TextEncoding { encoding, evidence }, 0)
}

/// The bytes of a file whose encoding has been settled: the sniffed prefix (BOM removed)
/// chained to the rest of the reader.
pub struct Sniffed<R> {
    pub encoding: TextEncoding,
    pub bytes: Chain<Cursor<Vec<u8>>, R>,
}

/// Reads the first [`SNIFF_LEN`] bytes of `reader` and settles its encoding; `label` is the
/// user's `--encoding`, if any. The BOM is dropped from the bytes.
pub fn sniff<R: Read>(mut reader: R, label: Option<&str>) -> Result<Sniffed<R>, TextError> {
    let named = label.map(encoding_for_label).transpose()?;
    let mut prefix = Vec::with_capacity(SNIFF_LEN);
    let mut complete = false;
    while prefix.len() < SNIFF_LEN {
        let mut chunk = [0u8; 8192];
        let want = (SNIFF_LEN - prefix.len()).min(chunk.len());
        match reader.read(&mut chunk[..want]) {
            Ok(0) => {
                complete = true;
                break;
            }
            Ok(n) => prefix.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (encoding, bom_len) = settle(&prefix, complete, named);
    prefix.drain(..bom_len);
    Ok(Sniffed {
        encoding,
        bytes: Cursor::new(prefix).chain(reader),
    })
}

impl<R: Read> Sniffed<R> {
    /// The bytes decoded to UTF-8.
    pub fn into_text(self) -> TextReader<R> {
        let decoder = DecodeReaderBytesBuilder::new()
            .encoding(Some(self.encoding.encoding))
            .bom_sniffing(false)
            .utf8_passthru(false)
            .build(self.bytes);
        TextReader {
            inner: BufReader::with_capacity(64 * 1024, decoder),
            encoding: self.encoding,
        }
    }
}

type Decoder<R> = DecodeReaderBytes<Chain<Cursor<Vec<u8>>, R>, Vec<u8>>;

/// A file's text as UTF-8, decoded as it is read. Always valid UTF-8.
pub struct TextReader<R: Read> {
    inner: BufReader<Decoder<R>>,
    encoding: TextEncoding,
}

impl<R: Read> TextReader<R> {
    /// The encoding the text is decoded from.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> BufRead for TextReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt)
    }
}

/// Opens `reader` as UTF-8 text: sniffs the encoding (see the module doc) and decodes.
pub fn decode<R: Read>(reader: R, label: Option<&str>) -> Result<TextReader<R>, TextError> {
    Ok(sniff(reader, label)?.into_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], label: Option<&str>) -> (String, TextEncoding) {
        let mut text = decode(bytes, label).unwrap();
        let mut out = String::new();
        text.read_to_string(&mut out).unwrap();
        (out, text.encoding())
    }

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{text} not in {}", encoding.name());
        bytes.into_owned()
    }

    fn utf16le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn utf8_bom_is_dropped_and_reported() {
        let (text, enc) = read_all(b"\xEF\xBB\xBFname\nAcme\n", None);
        assert_eq!(text, "name\nAcme\n");
        assert_eq!(enc.encoding, UTF_8);
        assert_eq!(enc.evidence, Evidence::Bom);
    }

    #[test]
    fn utf16_with_bom_in_both_byte_orders() {
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16le("名称,城市\n张伟,北京\n"));
        assert_eq!(read_all(&le, None).0, "名称,城市\n张伟,北京\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Иванов".encode_utf16().flat_map(|u| u.to_be_bytes()));
        let (text, enc) = read_all(&be, None);
        assert_eq!((text.as_str(), enc.encoding), ("Иванов", UTF_16BE));
    }

    #[test]
    fn bom_wins_over_a_named_encoding() {
        let (text, enc) = read_all(b"\xEF\xBB\xBFCaf\xC3\xA9", Some("windows-1252"));
        assert_eq!((text.as_str(), enc.evidence), ("Café", Evidence::Bom));
    }

    #[test]
    fn utf16_without_bom_is_detected_from_its_nuls() {
        let bytes = utf16le("name,phone\nAcme Ltd,+44 20 7946 0000\n");
        let (text, enc) = read_all(&bytes, None);
        assert_eq!(enc.encoding, UTF_16LE);
        assert!(text.starts_with("name,phone\n"));
    }

    #[test]
    fn named_encoding_is_used_and_reported() {
        let bytes = encode(encoding_rs::WINDOWS_1251, "Имя;Город\nОльга;Москва\n");
        let (text, enc) = read_all(&bytes, Some("cp1251"));
        assert_eq!(text, "Имя;Город\nОльга;Москва\n");
        assert_eq!(enc.evidence, Evidence::Named);
        assert_eq!(enc.to_string(), "windows-1251 (named)");
    }

    #[test]
    fn unknown_label_lists_examples() {
        let err = decode(&b""[..], Some("klingon")).err().unwrap();
        let message = err.to_string();
        assert!(message.contains("'klingon'"), "{message}");
        assert!(
            message.contains("windows-1252") && message.contains("gbk"),
            "{message}"
        );
    }

    #[test]
    fn common_labels_are_known() {
        for (label, name) in [
            ("latin1", "windows-1252"),
            ("windows-1252", "windows-1252"),
            ("gbk", "GBK"),
            ("cp936", "GBK"),
            ("gb18030", "gb18030"),
            ("windows-1251", "windows-1251"),
            ("shift_jis", "Shift_JIS"),
            ("UTF-8", "UTF-8"),
            ("utf-16", "UTF-16LE"),
        ] {
            assert_eq!(encoding_for_label(label).unwrap().name(), name, "{label}");
        }
    }

    #[test]
    fn plain_ascii_and_valid_utf8_are_utf8() {
        assert_eq!(detect(b"name,city\nAcme,Paris\n", true), UTF_8);
        assert_eq!(detect("Zoë,Köln\n".as_bytes(), true), UTF_8);
        // A sample cut in the middle of a character is still UTF-8.
        let cut = &"Zoë".as_bytes()[..3];
        assert_eq!(detect(cut, false), UTF_8);
    }

    #[test]
    fn realistic_legacy_text_is_told_apart() {
        let chinese = "公司名称,联系人,联系电话,城市,地址\n北京华信科技有限公司,张伟,010-6552-1234,北京,朝阳区建国路88号\n\
                       上海东方贸易有限公司,李娜,021-5888-0000,上海,浦东新区世纪大道100号\n\
                       广州南方电子股份有限公司,王芳,020-3888-1111,广州,天河区体育西路\n";
        let russian = "Наименование;Контактное лицо;Телефон;Город;Адрес\n\
                       ООО Ромашка;Иванов Иван Петрович;+7 495 123-45-67;Москва;ул. Тверская, д. 7\n\
                       АО Северсталь;Смирнова Ольга;+7 812 555-01-02;Санкт-Петербург;Невский проспект, 28\n\
                       ИП Кузнецов;Кузнецов Дмитрий;+7 343 222-33-44;Екатеринбург;ул. Ленина, 5\n";
        let western = "Company,Contact,City,Notes\nMüller & Söhne GmbH,Jürgen Müller,München,Großkunde\n\
                       Café Lumière,Hélène Dubois,Besançon,Très bon client, fidèle depuis années\n\
                       Señor Peña S.A.,José Núñez,Logroño,Pedido mínimo\n";
        for (text, encoding) in [
            (chinese, encoding_rs::GBK),
            (russian, encoding_rs::WINDOWS_1251),
            (western, encoding_rs::WINDOWS_1252),
        ] {
            let bytes = encode(encoding, text);
            let (decoded, enc) = read_all(&bytes, None);
            assert_eq!(enc.encoding, encoding);
            assert_eq!(enc.evidence, Evidence::Detected);
            assert_eq!(decoded, text);
        }
    }

    #[test]
    fn gb18030_four_byte_sequences_decode_as_gbk() {
        // 𠀀 (U+20000) only exists in GB18030's four-byte range; the GBK decoder reads it too.
        let bytes = encode(encoding_rs::GB18030, "客户名称\n𠀀记商行\n");
        let (text, _) = read_all(&bytes, Some("gbk"));
        assert_eq!(text, "客户名称\n𠀀记商行\n");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let (text, _) = read_all(b"ok\xFF\n", Some("utf-8"));
        assert_eq!(text, "ok\u{FFFD}\n");
    }

    #[test]
    fn long_input_streams_past_the_sniffed_prefix() {
        let line = "Société Générale,Montréal\n";
        let text = line.repeat(10_000);
        let bytes = encode(encoding_rs::WINDOWS_1252, &text);
        assert!(bytes.len() > SNIFF_LEN);
        let (decoded, enc) = read_all(&bytes, None);
        assert_eq!(enc.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(decoded, text);
    }
}
