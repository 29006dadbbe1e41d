//! Delimited text (CSV and its semicolon, tab and pipe cousins): the delimiter sniffed from the
//! first lines, a header row, quoted fields with embedded newlines and quotes, rows streamed
//! with the line each starts on; the rejects file (same delimiter, a `reason` column added) and
//! the CSV writer for exports.
//!
//! Comment lines (`#…`) are skipped only where that cannot lose data: before the header, and
//! later only when the line holds a single field in a file whose header has several (such a
//! line could never be a valid row).

use super::{InterchangeError, Original, REASON_COLUMN, ReadError, Row, RowError};
use std::io::{self, BufRead, Chain, Cursor, Read, Write};
use std::sync::Arc;

/// The delimiters sniffed, in order of preference on a tie.
pub const DELIMITERS: &[u8] = b",;\t|";

/// How much of the file delimiter sniffing looks at.
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

/// How a delimiter is shown to people.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    }
}

/// Picks the delimiter of a sample of whole lines: for each candidate, count its occurrences
/// outside quotes in each of the first records; the candidate found the same number of times
/// in the most records wins, then the one found more often, then the earlier in
/// [`DELIMITERS`]. A sample with none of them is comma-separated (a single column).
pub fn sniff_delimiter(sample: &str) -> u8 {
    let mut counts: Vec<[usize; 4]> = Vec::new();
    let mut current = [0usize; 4];
    let mut in_quotes = false;
    let mut at_line_start = true;
    let mut comment = false;
    let mut blank = true;
    for c in sample.chars() {
        if at_line_start && !in_quotes {
            comment = c == '#';
            at_line_start = false;
        }
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' if !in_quotes => {
                if !comment && !blank {
                    counts.push(current);
                    if counts.len() == SNIFF_RECORDS {
                        break;
                    }
                }
                current = [0; 4];
                at_line_start = true;
                blank = true;
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() {
            blank = false;
        }
        if !in_quotes && let Some(i) = DELIMITERS.iter().position(|d| *d as char == c) {
            current[i] += 1;
        }
    }
    if !comment && !blank && counts.len() < SNIFF_RECORDS {
        counts.push(current);
    }
    let mut best: Option<(usize, usize, usize)> = None; // (agreeing records, mode, candidate)
    for i in 0..DELIMITERS.len() {
        let mut freq: Vec<(usize, usize)> = Vec::new(); // (count, records with it)
        for record in &counts {
            match freq.iter_mut().find(|(n, _)| *n == record[i]) {
                Some(entry) => entry.1 += 1,
                None => freq.push((record[i], 1)),
            }
        }
        let Some(&(mode, agreeing)) = freq
            .iter()
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, records)| (*records, *n))
        else {
            continue;
        };
        let better = match best {
            None => true,
            Some((a, m, _)) => (agreeing, mode) > (a, m),
        };
        if better {
            best = Some((agreeing, mode, i));
        }
    }
    best.map_or(b',', |(_, _, i)| DELIMITERS[i])
}

/// Rows of a delimited file. `R` is UTF-8 text (see [`super::text`]).
pub struct DelimitedReader<R: BufRead> {
    csv: csv::Reader<Chain<Cursor<Vec<u8>>, R>>,
    delimiter: u8,
    headers: Arc<[String]>,
    /// Lines dropped before the csv parser saw the text (leading comments).
    line_offset: u64,
    record: csv::StringRecord,
    done: bool,
}

impl<R: BufRead> DelimitedReader<R> {
    /// Sniffs the delimiter and reads the header row.
    pub fn new(mut input: R) -> Result<DelimitedReader<R>, InterchangeError> {
        let mut sample = String::new();
        let mut line_offset = 0u64;
        let mut leading = true;
        let mut line = String::new();
        while sample.len() < SNIFF_BYTES {
            line.clear();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            if leading && line.starts_with('#') {
                line_offset += 1;
                continue;
            }
            leading = false;
            sample.push_str(&line);
        }
        let delimiter = sniff_delimiter(&sample);
        Self::with_delimiter(
            Cursor::new(sample.into_bytes()).chain(input),
            delimiter,
            line_offset,
        )
    }

    fn with_delimiter(
        text: Chain<Cursor<Vec<u8>>, R>,
        delimiter: u8,
        line_offset: u64,
    ) -> Result<DelimitedReader<R>, InterchangeError> {
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(text);
        let mut record = csv::StringRecord::new();
        let headers: Vec<String> = match csv.read_record(&mut record) {
            Ok(true) => {
                let mut names: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
                // A trailing delimiter on the header line names nothing.
                while names.len() > 1 && names.last().is_some_and(String::is_empty) {
                    names.pop();
                }
                names
                    .into_iter()
                    .enumerate()
                    .map(|(i, h)| {
                        if h.is_empty() {
                            format!("column {}", i + 1)
                        } else {
                            h
                        }
                    })
                    .collect()
            }
            Ok(false) => Vec::new(),
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line()) + line_offset;
                return Err(match e.into_kind() {
                    csv::ErrorKind::Io(e) => e.into(),
                    other => InterchangeError::Malformed {
                        line,
                        reason: format!("{other:?}"),
                    },
                });
            }
        };
        Ok(DelimitedReader {
            csv,
            delimiter,
            headers: headers.into(),
            line_offset,
            record,
            done: false,
        })
    }

    /// The sniffed delimiter.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The header row, names trimmed; an empty name becomes `column N`.
    pub fn headers(&self) -> &Arc<[String]> {
        &self.headers
    }

    /// The text being parsed.
    pub fn get_ref(&self) -> &R {
        self.csv.get_ref().get_ref().1
    }

    /// A rejects file for this input: same delimiter, same header plus `reason`.
    pub fn rejects<W: Write>(&self, out: W) -> io::Result<DelimitedRejects<W>> {
        DelimitedRejects::new(out, self.delimiter, &self.headers)
    }

    fn read_row(&mut self) -> Option<Result<Row, ReadError>> {
        loop {
            match self.csv.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line()) + self.line_offset;
                    return Some(Err(match e.into_kind() {
                        csv::ErrorKind::Io(source) => ReadError::Io { line, source },
                        other => ReadError::Row(RowError {
                            line,
                            reason: format!("unreadable row: {other:?}"),
                            original: Original::Fields(Vec::new()),
                        }),
                    }));
                }
            }
            let line = self.record.position().map_or(0, |p| p.line()) + self.line_offset;
            let record = &self.record;
            if record.iter().all(|f| f.trim().is_empty()) {
                continue; // a line of bare delimiters, as spreadsheets leave: nothing to lose
            }
            let width = self.headers.len();
            if record.len() == 1 && width > 1 && record[0].starts_with('#') {
                continue; // a comment line: it could never be a valid row
            }
            let mut values: Vec<String> = record.iter().map(str::to_string).collect();
            // Trailing empty fields past the header (a trailing delimiter) hold nothing.
            while values.len() > width && values.last().is_some_and(|v| v.is_empty()) {
                values.pop();
            }
            if values.len() != width {
                let reason = format!(
                    "wrong number of fields: {} where the header has {width}",
                    values.len()
                );
                return Some(Err(ReadError::Row(RowError {
                    line,
                    reason,
                    original: Original::Fields(values),
                })));
            }
            return Some(Ok(Row {
                line,
                columns: self.headers.clone(),
                values,
                source: None,
            }));
        }
    }
}

impl<R: BufRead> Iterator for DelimitedReader<R> {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_row();
        if matches!(item, None | Some(Err(ReadError::Io { .. }))) {
            self.done = true;
        }
        item
    }
}

/// The rejects file of a delimited import: the original header plus `reason`, then each
/// refused row as it was plus its reason, with the input's delimiter.
pub struct DelimitedRejects<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> DelimitedRejects<W> {
    /// Starts a rejects file with the header.
    pub fn new(out: W, delimiter: u8, headers: &[String]) -> io::Result<DelimitedRejects<W>> {
        let mut csv = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(out);
        let mut header: Vec<&str> = headers.iter().map(String::as_str).collect();
        header.push(REASON_COLUMN);
        csv.write_record(&header)?;
        Ok(DelimitedRejects { csv })
    }

    /// Writes a refused row as it was, plus the reason.
    pub fn write(&mut self, original: &Original, reason: &str) -> io::Result<()> {
        let mut fields: Vec<&str> = match original {
            Original::Fields(fields) => fields.iter().map(String::as_str).collect(),
            other => {
                let text = other.to_text();
                return Ok(self.csv.write_record([text.as_str(), reason])?);
            }
        };
        fields.push(reason);
        Ok(self.csv.write_record(&fields)?)
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.csv.flush()
    }
}

/// A CSV writer for exports: a header, then rows, quoted where needed.
pub struct CsvWriter<W: Write> {
    csv: csv::Writer<W>,
    width: usize,
}

impl<W: Write> CsvWriter<W> {
    /// Starts a comma-separated file with `headers`.
    pub fn new<S: AsRef<str>>(out: W, headers: &[S]) -> io::Result<CsvWriter<W>> {
        Self::with_delimiter(out, b',', headers)
    }

    /// Starts a file separated by `delimiter` with `headers`.
    pub fn with_delimiter<S: AsRef<str>>(
        out: W,
        delimiter: u8,
        headers: &[S],
    ) -> io::Result<CsvWriter<W>> {
        let mut csv = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(out);
        csv.write_record(headers.iter().map(|h| h.as_ref()))?;
        Ok(CsvWriter {
            csv,
            width: headers.len(),
        })
    }

    /// Continues a comma-separated file of `width` columns whose header row was written
    /// before: the rows of one part of a file written in parts.
    pub fn rows(out: W, width: usize) -> CsvWriter<W> {
        CsvWriter {
            csv: csv::Writer::from_writer(out),
            width,
        }
    }

    /// Writes one row; it must have one value per header.
    pub fn write_row<S: AsRef<str>>(&mut self, values: &[S]) -> io::Result<()> {
        if values.len() != self.width {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} values for {} columns", values.len(), self.width),
            ));
        }
        Ok(self.csv.write_record(values.iter().map(|v| v.as_ref()))?)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.csv
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (DelimitedReader<&[u8]>, Vec<Result<Row, ReadError>>) {
        let mut reader = DelimitedReader::new(text.as_bytes()).unwrap();
        let rows: Vec<_> = reader.by_ref().collect();
        (reader, rows)
    }

    fn ok(rows: &[Result<Row, ReadError>]) -> Vec<(u64, Vec<String>)> {
        rows.iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| (r.line, r.values.clone()))
            .collect()
    }

    #[test]
    fn sniffs_each_delimiter() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter("single\nvalue\n"), b',');
    }

    #[test]
    fn sniffing_ignores_delimiters_inside_quotes() {
        let sample = "name;note\n\"Smith, John\";\"a, b, c\"\n\"Doe, Jane\";\"x,y\"\n";
        assert_eq!(sniff_delimiter(sample), b';');
    }

    #[test]
    fn consistent_counts_beat_frequent_ones() {
        // Decimal commas vary per line; the semicolons do not.
        let sample = "Name;Price;Qty\nA;1,5;2\nB;2,25;1,5\nC;3;4\n";
        assert_eq!(sniff_delimiter(sample), b';');
    }

    #[test]
    fn rows_carry_the_line_they_start_on_across_embedded_newlines() {
        let text =
            "name,notes,city\nAcme,\"line one\nline two\",Paris\nBeta,\"say \"\"hi\"\"\",Rome\n";
        let (reader, rows) = read(text);
        assert_eq!(&*reader.headers().to_vec(), ["name", "notes", "city"]);
        let rows = ok(&rows);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1[1], "line one\nline two");
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1[1], "say \"hi\"");
    }

    #[test]
    fn wrong_column_count_is_a_row_error_with_the_fields() {
        let (_, rows) = read("a;b;c\n1;2;3\n4;5\n6;7;8\n");
        let Err(ReadError::Row(e)) = &rows[1] else {
            panic!("expected a row error: {rows:?}")
        };
        assert_eq!(e.line, 3);
        assert!(
            e.reason.contains("2 where the header has 3"),
            "{}",
            e.reason
        );
        assert_eq!(e.original, Original::Fields(vec!["4".into(), "5".into()]));
        assert_eq!(ok(&rows).len(), 2);
    }

    #[test]
    fn trailing_empty_fields_are_not_a_wrong_count() {
        let (_, rows) = read("First Name,Last Name\nJohn,Doe,\nJane,Doe,,\n");
        assert_eq!(ok(&rows).len(), 2);
    }

    #[test]
    fn leading_comments_are_skipped_and_lines_still_count() {
        let (reader, rows) = read("# exported 2026-01-01\n# by tool\nname|city\nAcme|Oslo\n");
        assert_eq!(reader.delimiter(), b'|');
        assert_eq!(ok(&rows), vec![(4, vec!["Acme".into(), "Oslo".into()])]);
    }

    #[test]
    fn mid_file_comments_are_skipped_only_when_they_cannot_be_rows() {
        let (_, rows) = read("name;year\nA;1987\n# not sure of this one\n#1 Plumbing;2001\n");
        let rows = ok(&rows);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], (4, vec!["#1 Plumbing".into(), "2001".into()]));
    }

    #[test]
    fn blank_and_delimiter_only_lines_are_skipped() {
        let (_, rows) = read("a,b\n\n1,2\n,,\n,\n3,4\n");
        assert_eq!(ok(&rows).len(), 2);
        assert!(rows.iter().all(Result::is_ok));
    }

    #[test]
    fn empty_header_names_are_numbered() {
        let (reader, _) = read("name,,city\nA,x,B\n");
        assert_eq!(reader.headers()[1], "column 2");
    }

    #[test]
    fn empty_file_has_no_rows() {
        let (reader, rows) = read("");
        assert!(reader.headers().is_empty() && rows.is_empty());
    }

    #[test]
    fn rejects_keep_the_delimiter_and_add_a_reason() {
        let (reader, rows) = read("name;email\nAcme;not-an-email\n");
        let mut rejects = reader.rejects(Vec::new()).unwrap();
        let row = rows[0].as_ref().unwrap();
        rejects.write(&row.original(), "email: invalid").unwrap();
        let out = String::from_utf8(rejects.csv.into_inner().unwrap()).unwrap();
        assert_eq!(out, "name;email;reason\nAcme;not-an-email;email: invalid\n");
    }

    #[test]
    fn writer_quotes_what_needs_quoting_and_reads_back() {
        let mut w = CsvWriter::new(Vec::new(), &["name", "notes"]).unwrap();
        w.write_row(&["Acme, Inc.", "two\nlines \"quoted\""])
            .unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        let (_, rows) = read(&out);
        assert_eq!(
            ok(&rows)[0].1,
            vec![
                "Acme, Inc.".to_string(),
                "two\nlines \"quoted\"".to_string()
            ]
        );
    }
}
