//! The format layer of import and export: readers that turn CSV, JSON, JSON lines and vCard
//! files into rows of (column, text) pairs with the line each started on, writers for the same
//! formats, the rejects file, and the mapping from columns to record fields. Pure: no store, no
//! terminal. The loader in `ops` drives it: [`open`] a file, map each [`Row`] with a
//! [`columns::ColumnMap`], write what it refuses to a [`Rejects`] file.
//!
//! - [`text`]: byte-order marks, named and detected encodings, decoding to UTF-8 as it reads.
//! - [`delimited`]: CSV with a sniffed delimiter, and the CSV writer.
//! - [`json`]: JSON arrays streamed element by element, JSON lines, flattening, and writers.
//! - [`vcard`]: vCard 2.1/3.0/4.0 reader and a vCard 4.0 writer for contacts.
//! - [`columns`]: header → field mapping with synonyms, `--map` overrides, custom fields.
//! - [`dump`]: the lossless dump of a whole database (`export --all`, `backup`).
//! - [`export`]: records as export columns and values, in the names import maps back.
//! - [`kb`]: knowledge-base articles from a folder of Markdown files or JSON lines.

pub mod columns;
pub mod delimited;
pub mod dump;
pub mod export;
pub mod json;
pub mod kb;
pub mod text;
pub mod vcard;

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

pub use columns::{ColumnMap, Target};
pub use text::{Evidence, TextEncoding};

/// A file format rapport reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
    Vcard,
}

impl Format {
    /// Every format, as named on the command line.
    pub const ALL: &'static [Format] = &[Format::Csv, Format::Json, Format::Jsonl, Format::Vcard];

    /// The name used by `--from` and `--to`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Vcard => "vcard",
        }
    }

    /// Reads a `--from`/`--to` value.
    pub fn parse(name: &str) -> Result<Format, InterchangeError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" | "json-lines" | "jsonlines" => Ok(Format::Jsonl),
            "vcard" | "vcf" => Ok(Format::Vcard),
            _ => Err(InterchangeError::UnknownFormat(name.to_string())),
        }
    }

    /// The format a file name suggests by its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        Format::parse(ext).ok()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file could not be read or written at all (as opposed to one bad row).
#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    #[error("unknown format '{0}'; accepted: csv, json, jsonl, vcard")]
    UnknownFormat(String),
    #[error("cannot tell the format of {0}; name it with --from csv|json|jsonl|vcard")]
    FormatUnknownFor(String),
    #[error("{path}: {source}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Text(#[from] text::TextError),
    #[error("line {line}: {reason}")]
    Malformed { line: u64, reason: String },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One record read from a file, before mapping: (column, value) pairs and where it started.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The line (1-based) the row starts on.
    pub line: u64,
    /// Column names; shared between the rows of a CSV file. Names may repeat (a vCard's TELs).
    pub columns: Arc<[String]>,
    /// One value per column.
    pub values: Vec<String>,
    /// The row as it was in the file when the values are not it (a JSON object's text, a
    /// vCard's bytes); `None` for CSV, whose values are the original fields.
    pub source: Option<Original>,
}

impl Row {
    /// The (column, value) pairs in file order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(String::as_str))
    }

    /// The first value of `column` (exact name).
    pub fn get(&self, column: &str) -> Option<&str> {
        self.pairs().find(|(c, _)| *c == column).map(|(_, v)| v)
    }

    /// What to write to the rejects file if the loader refuses this row.
    pub fn original(&self) -> Original {
        match &self.source {
            Some(source) => source.clone(),
            None => Original::Fields(self.values.clone()),
        }
    }
}

/// A row as it was in the file, to write back to a rejects file.
#[derive(Debug, Clone, PartialEq)]
pub enum Original {
    /// The fields of a CSV row.
    Fields(Vec<String>),
    /// A JSON value's text.
    Text(String),
    /// A vCard's lines exactly as they were (their bytes may be in any charset).
    Bytes(Vec<u8>),
}

impl Original {
    /// The original as text, for formats that can only hold text.
    pub fn to_text(&self) -> String {
        match self {
            Original::Fields(fields) => fields.join(","),
            Original::Text(text) => text.clone(),
            Original::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}

/// A row the reader could not make sense of: wrong column count, broken JSON, bad vCard.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RowError {
    /// The line the problem is on (or the row starts on).
    pub line: u64,
    pub reason: String,
    pub original: Original,
}

/// What reading the next row can fail with: a bad row (reject it, go on) or a failure of the
/// file itself (stop).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Row(#[from] RowError),
    #[error("reading near line {line}: {source}")]
    Io {
        line: u64,
        #[source]
        source: io::Error,
    },
}

/// Rows of a file in any format. Iterating yields each row or why it is bad; after an
/// [`ReadError::Io`] it yields nothing more.
pub enum Reader<R: Read> {
    Delimited(delimited::DelimitedReader<text::TextReader<R>>),
    Json(json::JsonReader<text::TextReader<R>>),
    Vcard(vcard::VcardReader<R>),
}

impl<R: Read> Reader<R> {
    /// Reads `reader` as `format`; `encoding` is the user's `--encoding` label, if any.
    pub fn new(
        reader: R,
        format: Format,
        encoding: Option<&str>,
    ) -> Result<Reader<R>, InterchangeError> {
        Ok(match format {
            Format::Csv => Reader::Delimited(delimited::DelimitedReader::new(text::decode(
                reader, encoding,
            )?)?),
            Format::Json | Format::Jsonl => Reader::Json(json::JsonReader::new(
                text::decode(reader, encoding)?,
                format == Format::Jsonl,
            )?),
            Format::Vcard => Reader::Vcard(vcard::VcardReader::new(reader, encoding)?),
        })
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        match self {
            Reader::Delimited(_) => Format::Csv,
            Reader::Json(r) if r.is_lines() => Format::Jsonl,
            Reader::Json(_) => Format::Json,
            Reader::Vcard(_) => Format::Vcard,
        }
    }

    /// The encoding the file is read with, and why.
    pub fn encoding(&self) -> TextEncoding {
        match self {
            Reader::Delimited(r) => r.get_ref().encoding(),
            Reader::Json(r) => r.get_ref().encoding(),
            Reader::Vcard(r) => r.encoding(),
        }
    }

    /// The header of a CSV file; `None` for formats whose columns vary by row.
    pub fn headers(&self) -> Option<&Arc<[String]>> {
        match self {
            Reader::Delimited(r) => Some(r.headers()),
            _ => None,
        }
    }

    /// A rejects file for this input, in its format: CSV with the same delimiter and header
    /// plus a `reason` column; JSON lines with a `reason` key; vCards with an
    /// `X-RAPPORT-REASON` property.
    pub fn rejects<W: Write>(&self, out: W) -> io::Result<Rejects<W>> {
        match self {
            Reader::Delimited(r) => Ok(Rejects::Delimited(Box::new(r.rejects(out)?))),
            Reader::Json(_) => Ok(Rejects::Json(json::JsonRejects::new(out))),
            Reader::Vcard(_) => Ok(Rejects::Vcard(vcard::VcardRejects::new(out))),
        }
    }

    /// A one-line description for summaries: `csv, delimiter ';', windows-1252 (detected)`.
    pub fn describe(&self) -> String {
        match self {
            Reader::Delimited(r) => format!(
                "csv, delimiter {}, {}",
                delimited::delimiter_name(r.delimiter()),
                self.encoding()
            ),
            _ => format!("{}, {}", self.format(), self.encoding()),
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Reader::Delimited(r) => r.next(),
            Reader::Json(r) => r.next(),
            Reader::Vcard(r) => r.next(),
        }
    }
}

/// Opens a file for import. The format is `format`, or guessed from the extension.
pub fn open(
    path: &Path,
    format: Option<Format>,
    encoding: Option<&str>,
) -> Result<Reader<BufReader<File>>, InterchangeError> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(format) => format,
        None => {
            return Err(InterchangeError::FormatUnknownFor(
                path.display().to_string(),
            ));
        }
    };
    let file = File::open(path).map_err(|source| InterchangeError::Open {
        path: path.display().to_string(),
        source,
    })?;
    Reader::new(BufReader::new(file), format, encoding)
}

/// Where rejected rows go, in the format they came in.
pub enum Rejects<W: Write> {
    Delimited(Box<delimited::DelimitedRejects<W>>),
    Json(json::JsonRejects<W>),
    Vcard(vcard::VcardRejects<W>),
}

impl<W: Write> Rejects<W> {
    /// Writes a rejected row as it was, with the reason.
    pub fn write(&mut self, original: &Original, reason: &str) -> io::Result<()> {
        match self {
            Rejects::Delimited(w) => w.write(original, reason),
            Rejects::Json(w) => w.write(original, reason),
            Rejects::Vcard(w) => w.write(original, reason),
        }
    }

    /// Flushes everything written so far.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Rejects::Delimited(w) => w.flush(),
            Rejects::Json(w) => w.flush(),
            Rejects::Vcard(w) => w.flush(),
        }
    }
}

/// The column a rejects file adds; [`columns::ColumnMap`] skips it when it is a row's last
/// column, so that a fixed rejects file re-imports as it is.
pub const REASON_COLUMN: &str = "reason";
