//! The lossless dump: every record, the audit log and the counters as JSON lines, one object per
//! line keyed by what it holds. `export --all` and `backup` write it; `import --all` and
//! `restore` read it.
//!
//! ```text
//! {"rapport":{"dump":1,"schema":1,"version":"0.1.0"}}
//! {"account":{"id":"A-1","name":"Acme",…}}
//! {"ticket":{"id":"T-1",…,"events":[…]}}
//! {"audit":{"seq":1,"record":"A-1",…}}
//! {"counters":{"A":1,"T":1,"audit":2}}
//! ```

use crate::domain::audit::AuditEntry;
use crate::domain::{Kind, Record};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

/// The version of the dump format itself.
/// The shape of the records a dump carries: moved when a record's JSON changes in a way an
/// older rapport cannot read. The storage layout's own version (`layout::SCHEMA_VERSION`) is
/// not a dump's concern.
pub const RECORD_SCHEMA: u32 = 1;
pub const DUMP_VERSION: u32 = 1;

/// The first line of a dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub dump: u32,
    pub schema: u32,
    pub version: String,
}

/// One line of a dump.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Header(Header),
    Record(Record),
    Audit(AuditEntry),
    Counters(BTreeMap<String, u64>),
}

/// Why a dump could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{file}:{line}: {reason}")]
    Line {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The key a record's line is written under.
fn tag(kind: Kind) -> &'static str {
    kind.noun()
}

fn kind_of_tag(tag: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.noun() == tag)
}

/// Writes one line of a dump: an object of one field, written as it goes (no value tree).
pub fn write_line(out: &mut impl Write, line: &Line) -> std::io::Result<()> {
    fn tagged(out: &mut impl Write, tag: &str, value: &impl Serialize) -> std::io::Result<()> {
        out.write_all(b"{")?;
        serde_json::to_writer(&mut *out, tag)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"}\n")
    }
    match line {
        Line::Header(h) => tagged(out, "rapport", h),
        Line::Record(r) => tagged(out, tag(r.id().kind), r),
        Line::Audit(a) => tagged(out, "audit", a),
        Line::Counters(c) => tagged(out, "counters", c),
    }
}

/// How many of each thing a dump held.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub records: BTreeMap<String, u64>,
    pub audit: u64,
}

/// Writes a dump of everything in `store`, calling `progress` with the running count of lines.
pub fn write(
    store: &dyn Store,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
) -> Result<Tally, DumpError> {
    let header = Header {
        dump: DUMP_VERSION,
        schema: RECORD_SCHEMA,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    write_line(out, &Line::Header(header))?;
    let mut tally = Tally::default();
    let mut lines = 0;
    for kind in Kind::ALL {
        for record in store.scan(kind) {
            write_line(out, &Line::Record(record?))?;
            *tally.records.entry(kind.plural().to_string()).or_default() += 1;
            lines += 1;
            if lines % 10_000 == 0 {
                progress(lines);
            }
        }
    }
    for entry in store.audit_log(&crate::store::AuditQuery::default()) {
        write_line(out, &Line::Audit(entry?))?;
        tally.audit += 1;
        if tally.audit % 10_000 == 0 {
            progress(lines + tally.audit);
        }
    }
    let counters = store.counters()?.into_iter().collect();
    write_line(out, &Line::Counters(counters))?;
    out.flush()?;
    progress(lines + tally.audit);
    Ok(tally)
}

/// Reads a dump line by line; errors name the file and line.
pub struct Reader<R> {
    input: R,
    file: String,
    line: u64,
    buf: String,
}

impl<R: BufRead> Reader<R> {
    /// Reads `input`, naming it `file` in errors. The first line must be a dump header of a
    /// version this build reads.
    pub fn new(input: R, file: &str) -> Result<Reader<R>, DumpError> {
        let mut reader = Reader {
            input,
            file: file.to_string(),
            line: 0,
            buf: String::new(),
        };
        match reader.next() {
            Some(Ok(Line::Header(h))) if h.dump <= DUMP_VERSION && h.schema <= RECORD_SCHEMA => {
                Ok(reader)
            }
            Some(Ok(Line::Header(h))) => Err(DumpError::File {
                file: file.to_string(),
                reason: format!(
                    "written by rapport {} (dump format {}, schema {}); this rapport reads up to dump format {DUMP_VERSION}, schema {RECORD_SCHEMA}",
                    h.version, h.dump, h.schema
                ),
            }),
            _ => Err(DumpError::File {
                file: file.to_string(),
                reason: "not a rapport dump (the first line is not {\"rapport\":{…}})".into(),
            }),
        }
    }

    /// The line number of the line last read.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn error(&self, reason: impl Into<String>) -> DumpError {
        DumpError::Line {
            file: self.file.clone(),
            line: self.line,
            reason: reason.into(),
        }
    }

    fn parse(&self, text: &str) -> Result<Line, DumpError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| self.error(format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(self.error("expected an object"));
        };
        let mut entries = map.into_iter();
        let (Some((key, body)), None) = (entries.next(), entries.next()) else {
            return Err(self.error("expected an object with exactly one key"));
        };
        let invalid = |e: serde_json::Error| self.error(format!("{key}: {e}"));
        Ok(match key.as_str() {
            "rapport" => Line::Header(serde_json::from_value(body).map_err(invalid)?),
            "audit" => Line::Audit(serde_json::from_value(body).map_err(invalid)?),
            "counters" => Line::Counters(serde_json::from_value(body).map_err(invalid)?),
            other => match kind_of_tag(other) {
                Some(kind) => Line::Record(Record::from_json(kind, body).map_err(invalid)?),
                None => return Err(self.error(format!("unknown line kind '{other}'"))),
            },
        })
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Line, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(self.error(e.to_string()))),
            }
            let text = self.buf.trim();
            if !text.is_empty() {
                return Some(self.parse(text));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_without_a_header_is_refused() {
        let err = Reader::new("{\"account\":{}}\n".as_bytes(), "x.jsonl")
            .err()
            .unwrap();
        assert!(
            err.to_string().starts_with("x.jsonl: not a rapport dump"),
            "{err}"
        );
    }

    #[test]
    fn a_newer_dump_is_refused_naming_its_version() {
        let text = "{\"rapport\":{\"dump\":9,\"schema\":1,\"version\":\"9.0.0\"}}\n";
        let err = Reader::new(text.as_bytes(), "x.jsonl").err().unwrap();
        assert!(err.to_string().contains("rapport 9.0.0"), "{err}");
    }

    #[test]
    fn bad_lines_name_the_file_and_line() {
        let text = "{\"rapport\":{\"dump\":1,\"schema\":1,\"version\":\"0\"}}\n\n{\"account\":{\"id\":\"A-1\"}}\n";
        let mut reader = Reader::new(text.as_bytes(), "d.jsonl").unwrap();
        let err = reader.next().unwrap().unwrap_err().to_string();
        assert!(err.starts_with("d.jsonl:3: account:"), "{err}");
    }
}
