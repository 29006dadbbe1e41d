//! vCard 2.1, 3.0 and 4.0 in, vCard 4.0 out.
//!
//! The reader streams cards one at a time from raw bytes, because a 2.1 card may carry each
//! property in its own `CHARSET`; a file with a UTF-16 byte-order mark (or named as UTF-16) is
//! decoded first. Lines are unfolded (space or tab continuation; a 2.1 quoted-printable `=` at the
//! end of a line; 2.1 base64 runs; a trailing `\` continuing onto a bare line), values decoded
//! (QUOTED-PRINTABLE, BASE64/`ENCODING=b`, `CHARSET`, else UTF-8, else the file's detected
//! encoding) and unescaped (`\,` `\;` `\n`).
//!
//! Each card becomes a row whose columns are already rapport's field names: `name` (FN, or N
//! when FN is missing), `company` and `department` (ORG), `title`, one `phone` per TEL, one
//! `email` per EMAIL, `notes`, `external_id` (UID), `street`/`city`/`region`/`postcode`/`country`
//! (the first ADR), `website` (the first URL). TEL and EMAIL types are kept in `vcard.tel-types`
//! and `vcard.email-types` (`number: work, voice`, one per line). Every other property (PHOTO,
//! X-…, further ADRs…) is kept whole, as a content line, in a `vcard.<name>` column, so nothing
//! is lost. `X-RAPPORT-*` properties written by [`VcardWriter`] read back as the fields they came
//! from. A nested card, a line that is not a property or a card without END gives an error for
//! that card, with the line, and reading goes on.

use super::text::{self, TextEncoding, TextReader};
use super::{InterchangeError, Original, ReadError, Row, RowError};
use crate::domain::Contact;
use encoding_rs::{Encoding, UTF_8};
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read, Write};
use std::sync::Arc;

/// The property `VcardRejects` adds to a refused card, and that reading ignores.
pub const REASON_PROPERTY: &str = "X-RAPPORT-REASON";

enum Input<R: Read> {
    Raw(BufReader<Chain<Cursor<Vec<u8>>, R>>),
    Decoded(TextReader<R>),
}

impl<R: Read> Input<R> {
    fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Input::Raw(r) => r.read_until(byte, buf),
            Input::Decoded(r) => r.read_until(byte, buf),
        }
    }
}

/// A content line, unfolded, with the line it started on.
struct Logical {
    line: u64,
    bytes: Vec<u8>,
}

/// A parsed content line.
#[derive(Debug)]
struct Property {
    group: Option<String>,
    /// Upper-case.
    name: String,
    /// As written.
    raw_name: String,
    /// (upper-case name, values); bare 2.1 parameters are filed under TYPE or ENCODING.
    params: Vec<(String, Vec<String>)>,
    value: Vec<u8>,
}

impl Property {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(n, _)| n == "TYPE")
            .flat_map(|(_, v)| v.iter())
            .flat_map(|t| t.split(','))
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }

    fn encoding(&self) -> Option<String> {
        self.param("ENCODING").map(str::to_ascii_uppercase)
    }
}

/// Cards of a vCard file.
pub struct VcardReader<R: Read> {
    input: Input<R>,
    encoding: TextEncoding,
    /// The encoding of bytes that are not UTF-8 and name no CHARSET.
    fallback: &'static Encoding,
    /// Whether CHARSET parameters apply (not when the file was decoded from UTF-16).
    charsets: bool,
    /// The physical line read ahead, with its number.
    pending: Option<(u64, Vec<u8>)>,
    line: u64,
    /// A BEGIN:VCARD already read (on this line) while reporting the text before it.
    begun: Option<u64>,
    done: bool,
}

impl<R: Read> VcardReader<R> {
    /// Starts reading; `label` is the user's `--encoding`, used for bytes that are not UTF-8
    /// and name no CHARSET (detected when absent).
    pub fn new(reader: R, label: Option<&str>) -> Result<VcardReader<R>, InterchangeError> {
        let sniffed = text::sniff(reader, label)?;
        let encoding = sniffed.encoding;
        let utf16 = encoding.encoding == encoding_rs::UTF_16LE
            || encoding.encoding == encoding_rs::UTF_16BE;
        let (input, fallback) = if utf16 {
            (Input::Decoded(sniffed.into_text()), UTF_8)
        } else {
            let fallback = encoding.encoding.output_encoding();
            (
                Input::Raw(BufReader::with_capacity(64 * 1024, sniffed.bytes)),
                fallback,
            )
        };
        Ok(VcardReader {
            input,
            encoding,
            fallback,
            charsets: !utf16,
            pending: None,
            line: 0,
            begun: None,
            done: false,
        })
    }

    /// The file's encoding; with raw bytes, the one used where a property names no CHARSET
    /// and is not UTF-8.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    fn physical(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        let mut buf = Vec::new();
        if self.input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        self.line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Ok(Some((self.line, buf)))
    }

    /// The next content line, unfolded, and the raw bytes it was made of.
    fn logical(&mut self, raw: &mut Vec<u8>) -> io::Result<Option<Logical>> {
        let Some((line, mut bytes)) = self.physical()? else {
            return Ok(None);
        };
        raw.extend_from_slice(&bytes);
        raw.extend_from_slice(b"\r\n");
        while let Some((next_line, next)) = self.physical()? {
            let continues = if matches!(next.first(), Some(b' ' | b'\t')) {
                bytes.extend_from_slice(&next[1..]);
                true
            } else if bytes.last() == Some(&b'=') && is_quoted_printable(&bytes) {
                bytes.pop();
                bytes.extend_from_slice(&next);
                true
            } else if !next.is_empty() && !has_colon(&next) && is_base64(&bytes) {
                bytes.extend_from_slice(&next);
                true
            } else if !next.is_empty() && !has_colon(&next) && bytes.last() == Some(&b'\\') {
                bytes.pop();
                bytes.extend_from_slice(b"\\n");
                bytes.extend_from_slice(&next);
                true
            } else {
                false
            };
            if !continues {
                self.pending = Some((next_line, next));
                break;
            }
            raw.extend_from_slice(&next);
            raw.extend_from_slice(b"\r\n");
        }
        Ok(Some(Logical { line, bytes }))
    }

    fn read_card(&mut self) -> Result<Option<Row>, ReadError> {
        let io_error = |line, source| ReadError::Io { line, source };
        let mut raw = Vec::new();
        // Find BEGIN:VCARD; anything else before it is reported once per run.
        let start = if let Some(line) = self.begun.take() {
            raw.extend_from_slice(b"BEGIN:VCARD\r\n");
            line
        } else {
            loop {
                let before = raw.len();
                let logical = match self.logical(&mut raw) {
                    Ok(Some(l)) => l,
                    Ok(None) if raw.iter().all(u8::is_ascii_whitespace) => return Ok(None),
                    Ok(None) => {
                        return Err(outside(self.line, raw));
                    }
                    Err(e) => return Err(io_error(self.line, e)),
                };
                let trimmed = logical.bytes.trim_ascii();
                if trimmed.eq_ignore_ascii_case(b"BEGIN:VCARD") {
                    if !raw[..before].iter().all(u8::is_ascii_whitespace) {
                        // Report the text before; the card is read on the next call.
                        self.begun = Some(logical.line);
                        raw.truncate(before);
                        return Err(outside(logical.line - 1, raw));
                    }
                    raw.drain(..before);
                    break logical.line;
                }
                if trimmed.is_empty() || trimmed.starts_with(b"#") {
                    if raw[..before].iter().all(u8::is_ascii_whitespace) {
                        raw.clear();
                    }
                    continue;
                }
            }
        };
        let mut card = CardBuilder::new(start, self.charsets, self.fallback);
        let mut depth = 1usize;
        loop {
            let logical = match self.logical(&mut raw) {
                Ok(Some(l)) => l,
                Ok(None) => {
                    card.fail(start, "the card has no END:VCARD".to_string());
                    break;
                }
                Err(e) => return Err(io_error(self.line, e)),
            };
            let trimmed = logical.bytes.trim_ascii();
            if trimmed.eq_ignore_ascii_case(b"END:VCARD") {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                continue;
            }
            if trimmed.eq_ignore_ascii_case(b"BEGIN:VCARD") {
                depth += 1;
                card.fail(
                    logical.line,
                    "a vCard nested inside another is not supported".to_string(),
                );
                continue;
            }
            if depth > 1 || trimmed.is_empty() || trimmed.starts_with(b"#") {
                continue;
            }
            match parse_property(&logical.bytes) {
                Ok(property) => card.add(property),
                Err(reason) => card.fail(logical.line, reason),
            }
        }
        card.finish(raw).map(Some).map_err(ReadError::Row)
    }
}

fn outside(line: u64, junk: Vec<u8>) -> ReadError {
    ReadError::Row(RowError {
        line,
        reason: "text outside BEGIN:VCARD … END:VCARD".to_string(),
        original: Original::Bytes(junk),
    })
}

impl<R: Read> Iterator for VcardReader<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_card().transpose();
        if matches!(item, None | Some(Err(ReadError::Io { .. }))) {
            self.done = true;
        }
        item
    }
}

/// The part of a content line before the value (up to the first `:` outside quotes).
fn head(bytes: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return &bytes[..i],
            _ => {}
        }
    }
    bytes
}

fn has_colon(bytes: &[u8]) -> bool {
    bytes.contains(&b':')
}

fn head_contains(bytes: &[u8], word: &[u8]) -> bool {
    head(bytes)
        .to_ascii_uppercase()
        .windows(word.len())
        .any(|w| w == word)
}

fn is_quoted_printable(bytes: &[u8]) -> bool {
    head_contains(bytes, b"QUOTED-PRINTABLE")
}

fn is_base64(bytes: &[u8]) -> bool {
    let head = head(bytes).to_ascii_uppercase();
    head.windows(6).any(|w| w == b"BASE64") || head.windows(10).any(|w| w == b"ENCODING=B")
}

/// Splits a content line into group, name, parameters and value.
fn parse_property(bytes: &[u8]) -> Result<Property, String> {
    let head_len = head(bytes).len();
    if head_len == bytes.len() {
        return Err(format!(
            "not a property line (no ':'): {}",
            preview(&String::from_utf8_lossy(bytes))
        ));
    }
    let head = String::from_utf8_lossy(&bytes[..head_len]).into_owned();
    let value = bytes[head_len + 1..].to_vec();
    let mut parts = split_unquoted(&head, ';').into_iter();
    let full_name = parts.next().unwrap_or_default();
    let (group, name) = match full_name.rsplit_once('.') {
        Some((g, n)) => (Some(g.to_string()), n.to_string()),
        None => (None, full_name),
    };
    let raw_name = name.trim().to_string();
    let name = raw_name.to_ascii_uppercase();
    // Vendors' X- names are kept whatever they hold (`X-GOOGLE TALK`); others must be tokens.
    let token = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let vendor = name.starts_with("X-") && !name.contains(',');
    if name.is_empty() || !(vendor || name.chars().all(token)) {
        return Err(format!("not a property name: {}", preview(&head)));
    }
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (pname, pvalue) = match part.split_once('=') {
            Some((n, v)) => (n.trim().to_ascii_uppercase(), v.to_string()),
            None => {
                let bare = part.to_ascii_uppercase();
                let pname = match bare.as_str() {
                    "QUOTED-PRINTABLE" | "BASE64" | "8BIT" | "7BIT" | "B" => "ENCODING",
                    _ => "TYPE",
                };
                (pname.to_string(), part.to_string())
            }
        };
        let values = split_unquoted(&pvalue, ',')
            .into_iter()
            .map(|v| unescape_param(v.trim().trim_matches('"')))
            .collect();
        params.push((pname, values));
    }
    Ok(Property {
        group,
        name,
        raw_name,
        params,
        value,
    })
}

fn preview(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Splits on `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
            current.push(c);
        } else if c == sep && !quoted {
            out.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out
}

/// RFC 6868 parameter escapes: `^n` newline, `^'` double quote, `^^` caret.
fn unescape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n' | 'N') => {
                    out.push('\n');
                    chars.next();
                }
                Some('\'') => {
                    out.push('"');
                    chars.next();
                }
                Some('^') => {
                    out.push('^');
                    chars.next();
                }
                _ => out.push('^'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_param(value: &str) -> String {
    value
        .replace('^', "^^")
        .replace('\n', "^n")
        .replace('"', "^'")
}

/// Decodes quoted-printable; a `=` not followed by two hex digits is kept as it is.
fn decode_quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Decodes standard base64, ignoring whitespace; `None` when it is not base64.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in text {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Unescapes a text value: `\n` `\N` newline, `\,` `\;` `\:` `\\`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Escapes a text value for writing.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Splits a structured value (N, ADR, ORG) on unescaped `;` and unescapes each component.
fn components(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push('\\');
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ';' => out.push(unescape(&std::mem::take(&mut current))),
            c => current.push(c),
        }
    }
    out.push(unescape(&current));
    out.iter().map(|c| c.trim().to_string()).collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The display name of an N value: prefix given additional family suffix; family then given
/// with no space for CJK names.
fn name_from_n(parts: &[String]) -> String {
    let get = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
    let (family, given, additional, prefix, suffix) = (get(0), get(1), get(2), get(3), get(4));
    let all = [family, given, additional];
    if all.iter().flat_map(|p| p.chars()).any(is_cjk) {
        return all.concat();
    }
    [prefix, given, additional, family, suffix]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Extracts `addr` from `"Name" <addr>`.
fn bare_email(value: &str) -> String {
    let value = value.trim();
    let value = value.strip_prefix("mailto:").unwrap_or(value);
    match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => value[open + 1..close].trim().to_string(),
        _ => value.to_string(),
    }
}

/// Gathers one card's properties into columns.
struct CardBuilder {
    start: u64,
    charsets: bool,
    fallback: &'static Encoding,
    columns: Vec<String>,
    values: Vec<String>,
    fn_seen: bool,
    n_name: Option<String>,
    /// The N property as a content line, kept when FN gives the name.
    n_line: Option<String>,
    seen: Vec<&'static str>,
    tel_types: Vec<String>,
    email_types: Vec<String>,
    error: Option<(u64, String)>,
    properties: usize,
}

impl CardBuilder {
    fn new(start: u64, charsets: bool, fallback: &'static Encoding) -> CardBuilder {
        CardBuilder {
            start,
            charsets,
            fallback,
            columns: Vec::new(),
            values: Vec::new(),
            fn_seen: false,
            n_name: None,
            n_line: None,
            seen: Vec::new(),
            tel_types: Vec::new(),
            email_types: Vec::new(),
            error: None,
            properties: 0,
        }
    }

    fn fail(&mut self, line: u64, reason: String) {
        if self.error.is_none() {
            self.error = Some((line, reason));
        }
    }

    fn push(&mut self, column: impl Into<String>, value: impl Into<String>) {
        self.columns.push(column.into());
        self.values.push(value.into());
    }

    /// True the first time `what` is seen on this card.
    fn first(&mut self, what: &'static str) -> bool {
        if self.seen.contains(&what) {
            return false;
        }
        self.seen.push(what);
        true
    }

    /// The value's bytes after transfer decoding (QP, base64 for text) and charset decoding.
    fn text(&self, p: &Property) -> String {
        let bytes = match p.encoding().as_deref() {
            Some("QUOTED-PRINTABLE") => decode_quoted_printable(&p.value),
            Some("B" | "BASE64") => decode_base64(&p.value).unwrap_or_else(|| p.value.clone()),
            _ => p.value.clone(),
        };
        self.decode(&bytes, p.param("CHARSET"))
            .replace("\r\n", "\n")
    }

    fn decode(&self, bytes: &[u8], charset: Option<&str>) -> String {
        if self.charsets
            && let Some(encoding) = charset.and_then(|c| Encoding::for_label(c.trim().as_bytes()))
            && (encoding != UTF_8 || std::str::from_utf8(bytes).is_ok())
        {
            return encoding.decode_without_bom_handling(bytes).0.into_owned();
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => self
                .fallback
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    }

    /// Keeps a property whole, as a content line, in `vcard.<name>`.
    fn keep(&mut self, p: &Property) {
        let line = self.content_line(p);
        self.push(format!("vcard.{}", p.name.to_ascii_lowercase()), line);
    }

    /// A property as one content line: charset and quoted-printable decoded, base64 kept.
    fn content_line(&self, p: &Property) -> String {
        let binary = matches!(p.encoding().as_deref(), Some("B" | "BASE64"));
        let mut line = String::new();
        if let Some(group) = &p.group {
            line.push_str(group);
            line.push('.');
        }
        line.push_str(&p.raw_name);
        for (name, values) in &p.params {
            if name == "CHARSET" || (name == "ENCODING" && !binary) {
                continue;
            }
            line.push(';');
            line.push_str(name);
            line.push('=');
            let values: Vec<String> = values
                .iter()
                .map(|v| {
                    if v.contains([',', ';', ':']) {
                        format!("\"{}\"", escape_param(v))
                    } else {
                        escape_param(v)
                    }
                })
                .collect();
            line.push_str(&values.join(","));
        }
        line.push(':');
        if binary {
            let value: Vec<u8> = p
                .value
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            line.push_str(&String::from_utf8_lossy(&value));
        } else {
            // Decoded text keeps its escapes; real newlines from QP become `\n`.
            line.push_str(&self.text(p).replace("\r\n", "\\n").replace('\n', "\\n"));
        }
        line
    }

    fn add(&mut self, p: Property) {
        self.properties += 1;
        match p.name.as_str() {
            "VERSION" | "BEGIN" | "END" | "X-RAPPORT-REASON" => self.properties -= 1,
            "FN" => {
                let name = unescape(&self.text(&p)).trim().to_string();
                if name.is_empty() {
                    // Nothing to keep.
                } else if self.first("FN") {
                    self.fn_seen = true;
                    self.push("name", name);
                } else {
                    self.keep(&p);
                }
            }
            "N" => {
                if self.n_name.is_none() {
                    self.n_name = Some(name_from_n(&components(&self.text(&p))));
                    self.n_line = Some(self.content_line(&p));
                } else {
                    self.keep(&p);
                }
            }
            "ORG" if self.first("ORG") => {
                let parts = components(&self.text(&p));
                let mut parts = parts.into_iter().filter(|c| !c.is_empty());
                if let Some(company) = parts.next() {
                    self.push("company", company);
                }
                let units: Vec<String> = parts.collect();
                if !units.is_empty() {
                    self.push("department", units.join(", "));
                }
            }
            "TITLE" if self.first("TITLE") => {
                let title = unescape(&self.text(&p));
                self.push("title", title.trim());
            }
            "TEL" => {
                let value = unescape(&self.text(&p));
                let value = value.trim();
                let number = value.strip_prefix("tel:").unwrap_or(value).to_string();
                let types = p.types();
                if !types.is_empty() {
                    self.tel_types
                        .push(format!("{number}: {}", types.join(", ")));
                }
                self.push("phone", number);
            }
            "EMAIL" => {
                let email = bare_email(&unescape(&self.text(&p)));
                let types: Vec<String> = p
                    .types()
                    .into_iter()
                    .filter(|t| t != "internet" && t != "x400")
                    .collect();
                if !types.is_empty() {
                    self.email_types
                        .push(format!("{email}: {}", types.join(", ")));
                }
                self.push("email", email);
            }
            "NOTE" => {
                let note = unescape(&self.text(&p));
                self.push("notes", note);
            }
            "UID" if self.first("UID") => {
                let uid = unescape(&self.text(&p));
                self.push("external_id", uid.trim());
            }
            "ADR" if self.first("ADR") => {
                let parts = components(&self.text(&p));
                let get = |i: usize| parts.get(i).cloned().unwrap_or_default();
                let street: Vec<String> = [get(2), get(1), get(0)]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                for (column, value) in [
                    ("street", street.join(", ")),
                    ("city", get(3)),
                    ("region", get(4)),
                    ("postcode", get(5)),
                    ("country", get(6)),
                ] {
                    if !value.is_empty() {
                        self.push(column, value);
                    }
                }
            }
            "URL" if self.first("URL") => {
                let url = unescape(&self.text(&p));
                self.push("website", url.trim());
            }
            "X-RAPPORT-CUSTOM" => match p.param("NAME").map(str::to_string) {
                Some(name) => {
                    let value = unescape(&self.text(&p));
                    self.push(format!("custom.{name}"), value);
                }
                None => self.keep(&p),
            },
            name if name.starts_with("X-RAPPORT-") => {
                let field = name["X-RAPPORT-".len()..]
                    .to_ascii_lowercase()
                    .replace('-', "_");
                let value = unescape(&self.text(&p));
                self.push(field, value);
            }
            _ => self.keep(&p),
        }
    }

    fn finish(mut self, raw: Vec<u8>) -> Result<Row, RowError> {
        if let Some((line, reason)) = self.error.take() {
            let reason = if line == self.start {
                reason
            } else {
                format!("{reason} (in the card starting on line {})", self.start)
            };
            return Err(RowError {
                line,
                reason,
                original: Original::Bytes(raw),
            });
        }
        if !self.fn_seen
            && let Some(name) = self.n_name.take().filter(|n| !n.is_empty())
        {
            self.columns.insert(0, "name".to_string());
            self.values.insert(0, name);
        }
        // N is kept unless the writer would write the same N from the name again.
        if let Some(line) = self.n_line.take() {
            let name = self.columns.iter().position(|c| c == "name");
            let plain = name.map(|i| format!("N:{}", n_of(&self.values[i])));
            if plain.as_deref() != Some(line.as_str()) {
                self.push("vcard.n", line);
            }
        }
        if !self.tel_types.is_empty() {
            let types = self.tel_types.join("\n");
            self.push("vcard.tel-types", types);
        }
        if !self.email_types.is_empty() {
            let types = self.email_types.join("\n");
            self.push("vcard.email-types", types);
        }
        if self.columns.is_empty() {
            return Err(RowError {
                line: self.start,
                reason: if self.properties == 0 {
                    "an empty vCard".to_string()
                } else {
                    "a vCard with no usable property".to_string()
                },
                original: Original::Bytes(raw),
            });
        }
        Ok(Row {
            line: self.start,
            columns: Arc::from(self.columns),
            values: self.values,
            source: Some(Original::Bytes(raw)),
        })
    }
}

/// The rejects file of a vCard import: each refused card as it was, with an
/// `X-RAPPORT-REASON` property before its END (ignored when the file is imported again).
pub struct VcardRejects<W: Write> {
    out: W,
}

impl<W: Write> VcardRejects<W> {
    pub fn new(out: W) -> VcardRejects<W> {
        VcardRejects { out }
    }

    /// Writes a refused card as it was, plus the reason.
    pub fn write(&mut self, original: &Original, reason: &str) -> io::Result<()> {
        let bytes = match original {
            Original::Bytes(bytes) => bytes.clone(),
            other => other.to_text().into_bytes(),
        };
        let reason_line = format!("{REASON_PROPERTY}:{}\r\n", escape(reason));
        let upper = bytes.to_ascii_uppercase();
        let end = upper.windows(9).rposition(|w| w == b"END:VCARD");
        let begins = upper.windows(11).any(|w| w == b"BEGIN:VCARD");
        match end {
            Some(at) if begins => {
                self.out.write_all(&bytes[..at])?;
                self.out.write_all(reason_line.as_bytes())?;
                self.out.write_all(&bytes[at..])?;
            }
            _ if begins => {
                self.out.write_all(&bytes)?;
                self.out.write_all(reason_line.as_bytes())?;
                self.out.write_all(b"END:VCARD\r\n")?;
            }
            _ => self.out.write_all(&bytes)?,
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes contacts as vCard 4.0 (CRLF line ends, lines folded at 75 octets).
pub struct VcardWriter<W: Write> {
    out: W,
}

impl<W: Write> VcardWriter<W> {
    pub fn new(out: W) -> VcardWriter<W> {
        VcardWriter { out }
    }

    /// Writes one contact; `company` is its account's name (ORG).
    ///
    /// Every field reads back through [`VcardReader`]: FN, N, ORG, TITLE, TEL (with the types
    /// kept in `vcard.tel-types`), EMAIL, UID (external id), and `X-RAPPORT-*` for the rest (id,
    /// account, preferred channel, decision maker, stamps, custom fields). Custom fields read
    /// from a vCard (`vcard.photo`…) are written back as the properties they were.
    pub fn write_contact(&mut self, contact: &Contact, company: Option<&str>) -> io::Result<()> {
        let custom = &contact.meta.custom;
        let types_of = |key: &str| -> Vec<(String, String)> {
            custom
                .get(key)
                .map(|v| {
                    v.lines()
                        .filter_map(|l| l.rsplit_once(": "))
                        .map(|(value, types)| (value.to_string(), types.replace(' ', "")))
                        .collect()
                })
                .unwrap_or_default()
        };
        let tel_types = types_of("vcard.tel-types");
        let email_types = types_of("vcard.email-types");
        let typed = |name: &str, value: &str, types: &[(String, String)]| match types
            .iter()
            .find(|(v, _)| v == value)
        {
            Some((_, t)) => format!("{name};TYPE={t}:{}", escape(value)),
            None => format!("{name}:{}", escape(value)),
        };

        self.line("BEGIN:VCARD")?;
        self.line("VERSION:4.0")?;
        self.line(&format!("FN:{}", escape(&contact.name)))?;
        match custom.get("vcard.n") {
            Some(n) if n_gives(n, &contact.name) => self.line(n)?,
            _ => self.line(&format!("N:{}", n_of(&contact.name)))?,
        }
        let department = custom.get("department");
        match (company, department) {
            (Some(company), Some(unit)) => {
                self.line(&format!("ORG:{};{}", escape(company), escape(unit)))?
            }
            (Some(company), None) => self.line(&format!("ORG:{}", escape(company)))?,
            _ => {}
        }
        if let Some(title) = &contact.title {
            self.line(&format!("TITLE:{}", escape(title)))?;
        }
        for phone in &contact.phones {
            self.line(&typed("TEL", &phone.number, &tel_types))?;
        }
        for email in &contact.emails {
            self.line(&typed("EMAIL", email, &email_types))?;
        }
        if let Some(uid) = &contact.external_id {
            self.line(&format!("UID:{}", escape(uid)))?;
        }
        let address: Vec<String> = ["street", "city", "region", "postcode", "country"]
            .iter()
            .map(|k| custom.get(*k).map(|v| escape(v)).unwrap_or_default())
            .collect();
        if address.iter().any(|p| !p.is_empty()) {
            self.line(&format!("ADR:;;{}", address.join(";")))?;
        }
        if let Some(website) = custom.get("website") {
            self.line(&format!("URL:{}", escape(website)))?;
        }
        if let Some(notes) = custom.get("notes") {
            self.line(&format!("NOTE:{}", escape(notes)))?;
        }
        self.line(&format!("X-RAPPORT-ID:{}", contact.meta.id))?;
        self.line(&format!("X-RAPPORT-ACCOUNT:{}", contact.account))?;
        if let Some(channel) = contact.preferred_channel {
            self.line(&format!("X-RAPPORT-PREFERRED-CHANNEL:{channel}"))?;
        }
        if contact.decision_maker {
            self.line("X-RAPPORT-DECISION-MAKER:yes")?;
        }
        let meta = &contact.meta;
        self.line(&format!("X-RAPPORT-CREATED-AT:{}", meta.created_at))?;
        self.line(&format!(
            "X-RAPPORT-CREATED-BY:{}",
            escape(&meta.created_by)
        ))?;
        self.line(&format!("X-RAPPORT-UPDATED-AT:{}", meta.updated_at))?;
        self.line(&format!(
            "X-RAPPORT-UPDATED-BY:{}",
            escape(&meta.updated_by)
        ))?;
        const WRITTEN: &[&str] = &[
            "vcard.n",
            "vcard.tel-types",
            "vcard.email-types",
            "department",
            "street",
            "city",
            "region",
            "postcode",
            "country",
            "website",
            "notes",
        ];
        for (key, value) in custom {
            if WRITTEN.contains(&key.as_str()) {
                continue;
            }
            match key.strip_prefix("vcard.") {
                Some(name) if is_content_lines(name, value) => {
                    for line in value.lines() {
                        self.line(line)?;
                    }
                }
                _ => self.line(&format!(
                    "X-RAPPORT-CUSTOM;NAME=\"{}\":{}",
                    escape_param(key),
                    escape(value)
                ))?,
            }
        }
        self.line("END:VCARD")
    }

    /// Writes one content line, folded at 75 octets on character boundaries.
    fn line(&mut self, line: &str) -> io::Result<()> {
        let mut width = 0;
        for c in line.chars() {
            let len = c.len_utf8();
            if width + len > 75 {
                self.out.write_all(b"\r\n ")?;
                width = 1;
            }
            let mut buf = [0u8; 4];
            self.out.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            width += len;
        }
        self.out.write_all(b"\r\n")
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// True when `value` is one or more content lines of property `name` (as kept by the reader).
fn is_content_lines(name: &str, value: &str) -> bool {
    !value.is_empty()
        && value
            .lines()
            .all(|line| match parse_property(line.as_bytes()) {
                Ok(p) => p.name.eq_ignore_ascii_case(name),
                Err(_) => false,
            })
}

/// True when a kept N content line still fits `name`: every part of it is in the name (so
/// an edited name gets a fresh N).
fn n_gives(line: &str, name: &str) -> bool {
    match parse_property(line.as_bytes()) {
        Ok(p) if p.name == "N" && !line.contains('\n') => {
            let parts = components(&String::from_utf8_lossy(&p.value));
            let mut parts = parts.iter().filter(|c| !c.is_empty()).peekable();
            parts.peek().is_some() && parts.all(|c| name.contains(c.as_str()))
        }
        _ => false,
    }
}

/// An N value for a display name: Latin names split into given and family (last word);
/// others kept whole as the family name.
fn n_of(name: &str) -> String {
    let latin = name.chars().all(|c| (c as u32) < 0x250);
    let words: Vec<&str> = name.split_whitespace().collect();
    if latin && words.len() >= 2 {
        let (family, given) = words.split_last().expect("two words");
        format!("{};{};;;", escape(family), escape(&given.join(" ")))
    } else {
        format!("{};;;;", escape(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(bytes: &[u8]) -> Vec<Result<Row, ReadError>> {
        VcardReader::new(bytes, None).unwrap().collect()
    }

    fn one(bytes: &[u8]) -> Row {
        let mut cards = cards(bytes);
        assert_eq!(cards.len(), 1, "{cards:?}");
        cards.remove(0).unwrap()
    }

    fn all<'a>(row: &'a Row, column: &str) -> Vec<&'a str> {
        row.pairs()
            .filter(|(c, _)| *c == column)
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn v21_bare_types_quoted_printable_and_charset() {
        let card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=BC=9F\r\n\
TEL;WORK;VOICE:+86 10 6552 1234\r\nTEL;CELL:138 0013 8000\r\nEMAIL;INTERNET;PREF:zhang@example.cn\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0Asecond =\r\nhalf\r\nEND:VCARD\r\n";
        let row = one(card);
        assert_eq!(row.get("name"), Some("张伟"));
        assert_eq!(all(&row, "phone"), ["+86 10 6552 1234", "138 0013 8000"]);
        assert_eq!(
            row.get("vcard.tel-types"),
            Some("+86 10 6552 1234: work, voice\n138 0013 8000: cell")
        );
        assert_eq!(row.get("email"), Some("zhang@example.cn"));
        assert_eq!(row.get("vcard.email-types"), Some("zhang@example.cn: pref"));
        assert_eq!(row.get("notes"), Some("first line\nsecond half"));
        assert_eq!(row.line, 1);
    }

    #[test]
    fn v30_folding_quoted_types_and_escapes() {
        let card = "BEGIN:VCARD\nVERSION:3.0\nFN:Иванов Иван\nORG:ООО \"Ромашка\"\\, филиал;Отдел продаж\n\
TITLE:Директор\nTEL;TYPE=\"work,voice\":+7 495 123-45-67\nEMAIL;TYPE=INTERNET,HOME:ivan@\n example.ru\n\
NOTE:Звонить\\nпосле 10\\; не раньше\nUID:urn:uuid:1234\nADR;TYPE=work:;Офис 5;ул. Тверская\\, 7;Москва;;125009;Россия\n\
URL:https://romashka.ru\nEND:VCARD\n";
        let row = one(card.as_bytes());
        assert_eq!(row.get("name"), Some("Иванов Иван"));
        assert_eq!(row.get("company"), Some("ООО \"Ромашка\", филиал"));
        assert_eq!(row.get("department"), Some("Отдел продаж"));
        assert_eq!(row.get("title"), Some("Директор"));
        assert_eq!(
            row.get("vcard.tel-types"),
            Some("+7 495 123-45-67: work, voice")
        );
        assert_eq!(row.get("email"), Some("ivan@example.ru"));
        assert_eq!(row.get("notes"), Some("Звонить\nпосле 10; не раньше"));
        assert_eq!(row.get("external_id"), Some("urn:uuid:1234"));
        assert_eq!(row.get("street"), Some("ул. Тверская, 7, Офис 5"));
        assert_eq!(row.get("city"), Some("Москва"));
        assert_eq!(row.get("postcode"), Some("125009"));
        assert_eq!(row.get("country"), Some("Россия"));
        assert_eq!(row.get("website"), Some("https://romashka.ru"));
    }

    #[test]
    fn v40_tel_uri_and_photo_kept_out_of_the_way() {
        let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\nTEL;VALUE=uri;TYPE=cell:tel:+1-555-0100\r\n\
PHOTO:data:image/png;base64,iVBORw0KGgo=\r\nX-SOCIALPROFILE;TYPE=twitter:https://x.com/ann\r\n\
item1.X-ABLabel:_$!<Other>!$_\r\nX-GOOGLE TALK;TYPE=WORK:ann@gtalk.example\r\nEND:VCARD\r\n";
        let row = one(card.as_bytes());
        assert_eq!(row.get("phone"), Some("+1-555-0100"));
        assert_eq!(
            row.get("vcard.photo"),
            Some("PHOTO:data:image/png;base64,iVBORw0KGgo=")
        );
        assert_eq!(
            row.get("vcard.x-socialprofile"),
            Some("X-SOCIALPROFILE;TYPE=twitter:https://x.com/ann")
        );
        assert_eq!(
            row.get("vcard.x-ablabel"),
            Some("item1.X-ABLabel:_$!<Other>!$_")
        );
        // A vendor's property with a space in its name is kept, not a broken card.
        assert_eq!(
            row.get("vcard.x-google talk"),
            Some("X-GOOGLE TALK;TYPE=WORK:ann@gtalk.example")
        );
    }

    #[test]
    fn v21_base64_photo_without_indentation_ends_at_a_blank_line() {
        let card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Bo\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQ\r\nSkZJRgAB\r\nAQEASABI\r\n\r\nTEL:1\r\nEND:VCARD\r\n";
        let row = one(card);
        assert_eq!(
            row.get("vcard.photo"),
            Some("PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQEASABI")
        );
        assert_eq!(row.get("phone"), Some("1"));
    }

    #[test]
    fn n_is_used_when_fn_is_missing() {
        let row = one(b"BEGIN:VCARD\nVERSION:3.0\nN:Doe;John;Q.;Dr.;Jr.\nEND:VCARD\n");
        assert_eq!(row.get("name"), Some("Dr. John Q. Doe Jr."));
        let row = one("BEGIN:VCARD\nVERSION:3.0\nN:王;小明;;;\nEND:VCARD\n".as_bytes());
        assert_eq!(row.get("name"), Some("王小明"));
    }

    #[test]
    fn legacy_charsets_and_undeclared_bytes() {
        let mut card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=SHIFT_JIS:".to_vec();
        card.extend(encoding_rs::SHIFT_JIS.encode("山田太郎").0.iter());
        card.extend(b"\r\nN;CHARSET=windows-1251:");
        card.extend(encoding_rs::WINDOWS_1251.encode("Петров;Пётр").0.iter());
        card.extend(b"\r\nNOTE:Caf\xE9 cr\xE8me\r\nEND:VCARD\r\n");
        let row = one(&card);
        assert_eq!(row.get("name"), Some("山田太郎"));
        // Undeclared bytes that are not UTF-8 are read in the file's detected encoding.
        assert_eq!(row.get("notes"), Some("Café crème"));
        // N is kept, not lost, when FN gives the name.
        assert!(row.get("vcard.n").unwrap().starts_with("N:Петров;Пётр"));
    }

    #[test]
    fn utf16_files_are_decoded_first() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李娜\r\nEND:VCARD\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(one(&bytes).get("name"), Some("李娜"));
    }

    #[test]
    fn nested_cards_are_an_error_for_the_outer_card_and_reading_goes_on() {
        let text = b"BEGIN:VCARD\nVERSION:2.1\nN:parent\nBEGIN:VCARD\nN:nest1\nEND:VCARD\nTEL:1\nEND:VCARD\n\
BEGIN:VCARD\nFN:Next\nEND:VCARD\n";
        let cards = cards(text);
        assert_eq!(cards.len(), 2);
        let Err(ReadError::Row(e)) = &cards[0] else {
            panic!("{cards:?}")
        };
        assert_eq!(e.line, 4);
        assert!(
            e.reason.contains("nested") && e.reason.contains("line 1"),
            "{}",
            e.reason
        );
        assert_eq!(cards[1].as_ref().unwrap().get("name"), Some("Next"));
    }

    #[test]
    fn malformed_lines_fail_their_card_with_the_line() {
        let text = b"BEGIN:VCARD\nFN:A\nthis is not a property\nEND:VCARD\nBEGIN:VCARD\nFN:B\n";
        let cards = cards(text);
        assert_eq!(cards.len(), 2);
        assert!(
            matches!(&cards[0], Err(ReadError::Row(e)) if e.line == 3 && e.reason.contains("no ':'"))
        );
        assert!(matches!(&cards[1], Err(ReadError::Row(e)) if e.reason.contains("no END:VCARD")));
    }

    #[test]
    fn comment_lines_are_ignored_but_qp_continuations_are_not() {
        let text = b"BEGIN:vCard\r\nVERSION:2.1\r\nFN:Conference Call\r\n# ignored\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE:This is an (sharp ->=\r\n#<- sharp) example.\r\n# ignored too\r\nEND:vCard\r\n";
        let row = one(text);
        assert_eq!(
            row.get("notes"),
            Some("This is an (sharp ->#<- sharp) example.")
        );
    }

    #[test]
    fn text_outside_cards_is_reported_once() {
        let cards = cards(b"garbage\nmore\nBEGIN:VCARD\nFN:A\nEND:VCARD\n");
        assert_eq!(cards.len(), 2);
        assert!(matches!(&cards[0], Err(ReadError::Row(e)) if e.reason.contains("outside")));
        assert_eq!(cards[1].as_ref().unwrap().line, 3);
    }

    #[test]
    fn email_with_display_name_keeps_the_address() {
        let row = one(b"BEGIN:VCARD\nVERSION:2.1\nN:;Omega;;;\nEMAIL;INTERNET:\"Omega\"\n  <omega@example.com>\nFN:Omega\nEND:VCARD\n");
        assert_eq!(row.get("email"), Some("omega@example.com"));
    }

    #[test]
    fn rejects_add_the_reason_before_end() {
        let card = b"BEGIN:VCARD\r\nFN:\r\nEND:VCARD\r\n";
        let mut rejects = VcardRejects::new(Vec::new());
        rejects
            .write(&Original::Bytes(card.to_vec()), "name: must not be empty")
            .unwrap();
        let out = String::from_utf8(rejects.out).unwrap();
        assert_eq!(
            out,
            "BEGIN:VCARD\r\nFN:\r\nX-RAPPORT-REASON:name: must not be empty\r\nEND:VCARD\r\n"
        );
        // And the reason is not read back as data.
        let cards = cards(out.as_bytes());
        assert!(matches!(&cards[0], Err(ReadError::Row(e)) if e.reason.contains("no usable")));
    }

    #[test]
    fn writer_round_trips_a_contact() {
        use crate::domain::validate::Phone;
        use crate::domain::{Id, Kind, Meta};
        let meta = Meta::new(
            Id::new(Kind::Contact, 7),
            "ann",
            "2026-03-02T10:00:00Z".parse().unwrap(),
        );
        let mut c = Contact::new(meta, Id::new(Kind::Account, 3), "张伟".into());
        c.title = Some("Manager, Sales; East".into());
        c.phones = vec![Phone::parse("+86 10 6552 1234").unwrap()];
        c.emails = vec!["zhang@example.cn".into()];
        c.external_id = Some("ext-1".into());
        c.decision_maker = true;
        let custom = &mut c.meta.custom;
        custom.insert(
            "vcard.tel-types".into(),
            "+86 10 6552 1234: work, voice".into(),
        );
        custom.insert("tier".into(), "gold \"A\"".into());
        custom.insert(
            "vcard.photo".into(),
            "PHOTO:data:image/png;base64,iVBORw0KGgo=".into(),
        );
        custom.insert("notes".into(), format!("long {}", "x".repeat(100)));
        let mut w = VcardWriter::new(Vec::new());
        w.write_contact(&c, Some("华信科技")).unwrap();
        let out = w.finish().unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.lines().all(|l| l.len() <= 77), "{text}");
        assert!(
            text.contains("TEL;TYPE=work,voice:+86 10 6552 1234"),
            "{text}"
        );
        let row = one(&out);
        assert_eq!(row.get("name"), Some("张伟"));
        assert_eq!(row.get("company"), Some("华信科技"));
        assert_eq!(row.get("title"), Some("Manager, Sales; East"));
        assert_eq!(row.get("phone"), Some("+86 10 6552 1234"));
        assert_eq!(
            row.get("vcard.tel-types"),
            Some("+86 10 6552 1234: work, voice")
        );
        assert_eq!(row.get("external_id"), Some("ext-1"));
        assert_eq!(row.get("id"), Some("C-7"));
        assert_eq!(row.get("account"), Some("A-3"));
        assert_eq!(row.get("decision_maker"), Some("yes"));
        assert_eq!(row.get("created_at"), Some("2026-03-02T10:00:00Z"));
        assert_eq!(row.get("custom.tier"), Some("gold \"A\""));
        assert_eq!(row.get("notes").map(str::len), Some(105));
        assert_eq!(
            row.get("vcard.photo"),
            Some("PHOTO:data:image/png;base64,iVBORw0KGgo=")
        );
    }
}
