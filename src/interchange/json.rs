//! JSON in and out. Reading: a top-level array streamed element by element (a small scanner
//! finds each element's end, so only one element is ever in memory), JSON lines, or a sequence
//! of concatenated objects; each object flattened to (column, value) pairs: nested objects as
//! `address.city`, arrays of scalars joined with `, `, arrays of phone objects (`{"number": …}`)
//! as their numbers, other arrays kept as JSON text. Writing: arrays and JSON lines.

use super::{InterchangeError, Original, REASON_COLUMN, ReadError, Row, RowError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// The largest single element read; past it the element is refused and reading stops.
pub const MAX_ELEMENT: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Inside a top-level `[ … ]`.
    Array,
    /// One value per line.
    Lines,
    /// Values one after the other, however laid out.
    Sequence,
}

/// Rows of a JSON or JSON lines file. `R` is UTF-8 text (see [`super::text`]).
pub struct JsonReader<R: BufRead> {
    input: R,
    mode: Mode,
    /// The line the scanner is on (1-based).
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

/// How scanning one value ended.
enum Scan {
    /// A whole value is in the buffer.
    Value,
    /// The end of the array or of the input.
    End,
}

impl<R: BufRead> JsonReader<R> {
    /// Starts reading; `lines` when the file is JSON lines. A file whose first character is
    /// `[` is read as an array either way.
    pub fn new(input: R, lines: bool) -> Result<JsonReader<R>, InterchangeError> {
        let mut reader = JsonReader {
            input,
            mode: if lines { Mode::Lines } else { Mode::Sequence },
            line: 1,
            buf: Vec::new(),
            done: false,
        };
        if reader.skip_whitespace(false)? == Some(b'[') {
            reader.input.consume(1);
            reader.mode = Mode::Array;
        }
        Ok(reader)
    }

    /// True when reading JSON lines.
    pub fn is_lines(&self) -> bool {
        self.mode == Mode::Lines
    }

    /// The text being read.
    pub fn get_ref(&self) -> &R {
        &self.input
    }

    /// Skips whitespace (and commas between array elements), counting lines; returns the next
    /// byte without consuming it.
    fn skip_whitespace(&mut self, commas: bool) -> io::Result<Option<u8>> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut used = 0;
            let mut next = None;
            for &b in buf {
                match b {
                    b'\n' => self.line += 1,
                    b' ' | b'\t' | b'\r' => {}
                    b',' if commas => {}
                    _ => {
                        next = Some(b);
                        break;
                    }
                }
                used += 1;
            }
            self.input.consume(used);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Copies the next value's bytes into `self.buf`.
    fn scan_value(&mut self) -> Result<Scan, ReadError> {
        self.buf.clear();
        let io = |line, source| ReadError::Io { line, source };
        let first = match self.skip_whitespace(self.mode == Mode::Array) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(Scan::End),
            Err(e) => return Err(io(self.line, e)),
        };
        if self.mode == Mode::Array && first == b']' {
            self.input.consume(1);
            return Ok(Scan::End);
        }
        let start = self.line;
        if matches!(first, b',' | b']' | b'}' | b':') {
            // Cannot start a value: take it alone so that reading moves on.
            self.input.consume(1);
            self.buf.push(first);
            return Ok(Scan::Value);
        }
        let nested = matches!(first, b'{' | b'[');
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Err(io(self.line, e)),
            };
            if buf.is_empty() {
                if nested || in_string {
                    return Err(ReadError::Row(RowError {
                        line: start,
                        reason: "the value starting here is not closed before the end of the file"
                            .to_string(),
                        original: Original::Text(String::from_utf8_lossy(&self.buf).into_owned()),
                    }));
                }
                return Ok(Scan::Value);
            }
            let mut used = 0;
            let mut finished = false;
            for &b in buf {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if !nested {
                            used += 1;
                            finished = true;
                            break;
                        }
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if nested => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                used += 1;
                                finished = true;
                                break;
                            }
                        }
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n' if !nested => {
                            finished = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if b == b'\n' {
                    self.line += 1;
                }
                used += 1;
            }
            self.buf.extend_from_slice(&buf[..used]);
            self.input.consume(used);
            if finished {
                return Ok(Scan::Value);
            }
            if self.buf.len() > MAX_ELEMENT {
                self.done = true;
                return Err(ReadError::Row(RowError {
                    line: start,
                    reason: format!("an element larger than {} MiB", MAX_ELEMENT >> 20),
                    original: Original::Text(String::new()),
                }));
            }
        }
    }

    fn next_value(&mut self) -> Option<Result<Row, ReadError>> {
        if self.mode == Mode::Lines {
            loop {
                self.buf.clear();
                let line = self.line;
                match self.input.read_until(b'\n', &mut self.buf) {
                    Ok(0) => return None,
                    Ok(_) => self.line += 1,
                    Err(source) => return Some(Err(ReadError::Io { line, source })),
                }
                if self.buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let text = self.buf.trim_ascii_end();
                return Some(row_of(text, line));
            }
        }
        let start = match self.skip_whitespace(self.mode == Mode::Array) {
            Ok(_) => self.line,
            Err(source) => {
                return Some(Err(ReadError::Io {
                    line: self.line,
                    source,
                }));
            }
        };
        match self.scan_value() {
            Ok(Scan::End) => None,
            Ok(Scan::Value) => Some(row_of(&self.buf, start)),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonReader<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_value();
        if matches!(item, None | Some(Err(ReadError::Io { .. }))) {
            self.done = true;
        }
        item
    }
}

/// Parses one value starting on `line` and flattens it into a row.
fn row_of(bytes: &[u8], line: u64) -> Result<Row, ReadError> {
    let text = || String::from_utf8_lossy(bytes).trim_end().to_string();
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Err(ReadError::Row(RowError {
                line: line + e.line().saturating_sub(1) as u64,
                reason: format!("invalid JSON: {e}"),
                original: Original::Text(text()),
            }));
        }
    };
    let Value::Object(object) = value else {
        return Err(ReadError::Row(RowError {
            line,
            reason: format!("expected an object, found {}", kind_of(&value)),
            original: Original::Text(text()),
        }));
    };
    let pairs = flatten(&object);
    let (columns, values): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
    Ok(Row {
        line,
        columns: Arc::from(columns),
        values,
        source: Some(Original::Text(text())),
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Flattens an object into (column, value) pairs: `address.city` for nested objects, arrays of
/// scalars joined with `, `, arrays of phone objects as their numbers, other arrays as JSON.
pub fn flatten(object: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in object {
        walk(key.clone(), value, &mut out);
    }
    out
}

fn walk(column: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                walk(format!("{column}.{key}"), value, out);
            }
        }
        Value::Array(items) => {
            if items
                .iter()
                .all(|v| !matches!(v, Value::Array(_) | Value::Object(_)))
            {
                let joined: Vec<String> = items.iter().filter_map(scalar).collect();
                out.push((column, joined.join(", ")));
            } else if items
                .iter()
                .all(|v| v.get("number").is_some_and(Value::is_string))
            {
                let numbers: Vec<&str> = items
                    .iter()
                    .filter_map(|v| v.get("number").and_then(Value::as_str))
                    .collect();
                out.push((column, numbers.join(", ")));
            } else {
                out.push((column, value.to_string()));
            }
        }
        other => out.push((column, scalar(other).unwrap_or_default())),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// The rejects file of a JSON import: one JSON object per line, the original object plus a
/// `reason` key (or `{"original": "…", "reason": …}` when the original was not an object).
pub struct JsonRejects<W: Write> {
    out: W,
}

impl<W: Write> JsonRejects<W> {
    pub fn new(out: W) -> JsonRejects<W> {
        JsonRejects { out }
    }

    /// Writes a refused row as it was, plus the reason.
    pub fn write(&mut self, original: &Original, reason: &str) -> io::Result<()> {
        let text = match original {
            Original::Fields(fields) => Value::from(fields.clone()).to_string(),
            other => other.to_text(),
        };
        let mut object = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => object,
            _ => {
                let mut object = Map::new();
                object.insert("original".into(), Value::String(text));
                object
            }
        };
        object.insert(REASON_COLUMN.into(), Value::String(reason.to_string()));
        serde_json::to_writer(&mut self.out, &object)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes records as a JSON array (one element per line) or as JSON lines.
pub struct JsonWriter<W: Write> {
    out: W,
    lines: bool,
    count: usize,
}

impl<W: Write> JsonWriter<W> {
    /// A JSON array writer, or a JSON lines writer when `lines`.
    pub fn new(out: W, lines: bool) -> JsonWriter<W> {
        JsonWriter {
            out,
            lines,
            count: 0,
        }
    }

    /// Writes `count` values that [`push_value`] put in `text` for a writer of the same
    /// kind, the first of them pushed as the first: values made elsewhere (on other threads),
    /// written in their order.
    pub fn write_pushed(&mut self, text: &[u8], count: usize) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        if !self.lines {
            self.out
                .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
        }
        self.out.write_all(text)?;
        self.count += count;
        Ok(())
    }

    /// Closes the array, flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.lines {
            self.out
                .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Puts `value` in `text` as a [`JsonWriter`] of JSON lines (`lines`) or of an array writes it,
/// for [`JsonWriter::write_pushed`]; `first` for the first value of `text`.
pub fn push_value<T: Serialize + ?Sized>(
    text: &mut Vec<u8>,
    value: &T,
    lines: bool,
    first: bool,
) -> io::Result<()> {
    if !lines && !first {
        text.extend_from_slice(b",\n");
    }
    serde_json::to_writer(&mut *text, value)?;
    if lines {
        text.push(b'\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, lines: bool) -> Vec<Result<Row, ReadError>> {
        JsonReader::new(text.as_bytes(), lines).unwrap().collect()
    }

    fn pairs(row: &Row) -> Vec<(&str, &str)> {
        row.pairs().collect()
    }

    #[test]
    fn array_elements_stream_with_their_start_lines() {
        let text = "[\n  {\"name\": \"Acme\",\n   \"city\": \"Oslo\"},\n  {\"name\": \"Beta, \\\"the\\\" [one]\"}\n]\n";
        let rows = rows(text, false);
        assert_eq!(rows.len(), 2);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(pairs(first), [("name", "Acme"), ("city", "Oslo")]);
        let second = rows[1].as_ref().unwrap();
        assert_eq!(second.line, 4);
        assert_eq!(second.get("name"), Some("Beta, \"the\" [one]"));
    }

    #[test]
    fn nested_objects_and_arrays_flatten() {
        let text = r#"[{"name":"Acme","address":{"city":"Oslo","postcode":"0150"},
            "tags":["vip","b2b"],"phones":[{"number":"+47 22 00 00 00","digits":"4722000000"}],
            "custom":{"tier":"gold"},"score":4.5,"active":true,"none":null,
            "events":[{"type":"created"}]}]"#;
        let rows = rows(text, false);
        let row = rows[0].as_ref().unwrap();
        assert_eq!(row.get("address.city"), Some("Oslo"));
        assert_eq!(row.get("tags"), Some("vip, b2b"));
        assert_eq!(row.get("phones"), Some("+47 22 00 00 00"));
        assert_eq!(row.get("custom.tier"), Some("gold"));
        assert_eq!(row.get("score"), Some("4.5"));
        assert_eq!(row.get("active"), Some("true"));
        assert_eq!(row.get("none"), Some(""));
        assert_eq!(row.get("events"), Some(r#"[{"type":"created"}]"#));
    }

    #[test]
    fn a_bad_element_is_a_row_error_and_reading_goes_on() {
        let text = "[{\"name\":\"A\"},\n 42,\n {\"name\": tru},\n {\"name\":\"B\"}]";
        let rows = rows(text, false);
        assert_eq!(rows.len(), 4);
        let Err(ReadError::Row(e)) = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(
            (e.line, e.reason.as_str()),
            (2, "expected an object, found a number")
        );
        let Err(ReadError::Row(e)) = &rows[2] else {
            panic!("{rows:?}")
        };
        assert_eq!(e.line, 3);
        assert!(e.reason.starts_with("invalid JSON"), "{}", e.reason);
        assert!(rows[3].is_ok());
    }

    #[test]
    fn an_unclosed_element_ends_reading_with_an_error() {
        let rows = rows("[{\"name\":\"A\"},\n{\"name\":\"B\"", false);
        assert_eq!(rows.len(), 2);
        assert!(matches!(&rows[1], Err(ReadError::Row(e)) if e.line == 2));
    }

    #[test]
    fn json_lines_report_each_line() {
        let text = "{\"name\":\"A\"}\n\n{\"name\":\n{\"name\":\"C\"}\n";
        let rows = rows(text, true);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].as_ref().unwrap().line, 1);
        assert!(matches!(&rows[1], Err(ReadError::Row(e)) if e.line == 3));
        assert_eq!(rows[2].as_ref().unwrap().line, 4);
    }

    #[test]
    fn concatenated_objects_read_without_an_array() {
        let rows = rows("{\"name\":\"A\"}\n{\n \"name\":\"B\"\n}\n", false);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].as_ref().unwrap().line, 2);
    }

    #[test]
    fn an_array_file_is_an_array_even_when_called_json_lines() {
        let rows = rows("[{\"a\":1},{\"a\":2}]", true);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn empty_inputs_have_no_rows() {
        assert!(rows("", false).is_empty());
        assert!(rows("[]", false).is_empty());
        assert!(rows("  \n", true).is_empty());
    }

    #[test]
    fn rejects_add_a_reason_key() {
        let mut rejects = JsonRejects::new(Vec::new());
        rejects
            .write(
                &Original::Text("{\"name\":\"\"}".into()),
                "name: must not be empty",
            )
            .unwrap();
        rejects
            .write(&Original::Text("{oops".into()), "invalid JSON")
            .unwrap();
        let out = String::from_utf8(rejects.out).unwrap();
        assert_eq!(
            out,
            "{\"name\":\"\",\"reason\":\"name: must not be empty\"}\n\
             {\"original\":\"{oops\",\"reason\":\"invalid JSON\"}\n"
        );
    }

    #[test]
    fn writers_produce_what_the_reader_reads() {
        for lines in [false, true] {
            // Values pushed in two parts, the way an export's threads make them.
            let mut w = JsonWriter::new(Vec::new(), lines);
            let mut part = Vec::new();
            push_value(&mut part, &serde_json::json!({"name": "A"}), lines, true).unwrap();
            push_value(&mut part, &serde_json::json!({"name": "B"}), lines, false).unwrap();
            w.write_pushed(&part, 2).unwrap();
            w.write_pushed(&[], 0).unwrap();
            let mut part = Vec::new();
            push_value(&mut part, &serde_json::json!({"name": "C"}), lines, true).unwrap();
            w.write_pushed(&part, 1).unwrap();
            let out = String::from_utf8(w.finish().unwrap()).unwrap();
            let rows = rows(&out, lines);
            assert_eq!(rows.len(), 3, "{out}");
            if !lines {
                let value: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(
                    value,
                    serde_json::json!([{"name": "A"}, {"name": "B"}, {"name": "C"}])
                );
            }
        }
        let empty = JsonWriter::new(Vec::new(), false).finish().unwrap();
        assert_eq!(empty, b"[]\n");
    }
}
