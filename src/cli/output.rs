//! Output formats for everything that lists or shows: a table that fits the terminal for
//! people, and JSON, JSON lines or CSV for scripts, with the record field names as keys.

use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Map, Value};
use std::io::{self, Write};

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns that fit the terminal.
    Table,
    /// One JSON document: an array for lists, an object for one record.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row; nested fields flattened (`address.city`).
    Csv,
}

/// A table column: its header and the JSON pointer of its value in each row.
pub type Column = (&'static str, &'static str);

/// What a command prints.
pub enum Output {
    /// Nothing on stdout.
    Nothing,
    /// Several records; in table format, `columns` of each.
    List {
        rows: Vec<Value>,
        columns: &'static [Column],
    },
    /// One record; in table format, `detail` (or every field, one per line, when empty).
    One { row: Value, detail: String },
    /// A newly created record: its id alone in table format, the record otherwise.
    Created(Value),
}

/// Writes `output` in `format` to stdout.
pub fn print(output: Output, format: Format) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match output {
        Output::Nothing => Ok(()),
        Output::Created(row) if format == Format::Table => {
            writeln!(out, "{}", row["id"].as_str().unwrap_or_default())
        }
        Output::Created(row) | Output::One { row, .. } if format != Format::Table => {
            write_rows(&mut out, std::slice::from_ref(&row), format, false)
        }
        Output::One { row, detail } => {
            if detail.is_empty() {
                write!(out, "{}", fields_view(&row))
            } else {
                write!(out, "{detail}")
            }
        }
        Output::List { rows, columns } if format == Format::Table => {
            if rows.is_empty() {
                return Ok(());
            }
            writeln!(out, "{}", table(&rows, columns))
        }
        Output::List { rows, .. } => write_rows(&mut out, &rows, format, true),
        Output::Created(_) => unreachable!("handled above"),
    }
}

fn write_rows(out: &mut impl Write, rows: &[Value], format: Format, list: bool) -> io::Result<()> {
    match format {
        Format::Json if list => writeln!(out, "{}", serde_json::to_string_pretty(rows)?),
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows[0])?),
        Format::Jsonl => {
            for row in rows {
                writeln!(out, "{}", serde_json::to_string(row)?)?;
            }
            Ok(())
        }
        Format::Csv | Format::Table => write_csv(out, rows),
    }
}

/// Writes rows as CSV: one column per flattened field, in order of first appearance.
fn write_csv(out: &mut impl Write, rows: &[Value]) -> io::Result<()> {
    let flat: Vec<Vec<(String, String)>> = rows.iter().map(flatten).collect();
    let mut headers: Vec<&str> = Vec::new();
    for row in &flat {
        for (k, _) in row {
            if !headers.contains(&k.as_str()) {
                headers.push(k);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&headers)?;
    for row in &flat {
        let record = headers.iter().map(|h| {
            row.iter()
                .find(|(k, _)| k == h)
                .map_or("", |(_, v)| v.as_str())
        });
        writer.write_record(record)?;
    }
    writer.flush()
}

/// Flattens a record into `field` / `parent.field` keys and text values.
pub fn flatten(value: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            other => out.push((prefix.to_string(), cell(other))),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

/// The text of one value: strings as they are, lists joined with `; ` (phone numbers by their
/// number), anything else as JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(map) if map.contains_key("number") => cell(&map["number"]),
                other => cell(other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    }
}

/// A table of `columns` of `rows`, fitted to the terminal width.
pub fn table(rows: &[Value], columns: &[Column]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(columns.iter().map(|(h, _)| *h));
    if let Some(width) = terminal_width() {
        table.set_width(width);
    }
    for row in rows {
        table.add_row(columns.iter().map(|(_, pointer)| {
            let text = row.pointer(pointer).map(cell).unwrap_or_default();
            text.lines().next().unwrap_or_default().to_string()
        }));
    }
    table
}

/// The terminal's width; `COLUMNS` wins, as in other command-line tools.
fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
}

/// Every field of a record on its own line, `field: value`.
pub fn fields_view(row: &Value) -> String {
    let flat = flatten(row);
    let width = flat
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in flat {
        if v.is_empty() {
            continue;
        }
        let mut lines = v.lines();
        out.push_str(&format!(
            "{k:width$}  {}\n",
            lines.next().unwrap_or_default()
        ));
        for more in lines {
            out.push_str(&format!("{:width$}  {more}\n", ""));
        }
    }
    out
}

/// A JSON object from pairs, for small computed rows (search hits).
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<_, _>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flatten_names_nested_fields_with_dots_and_joins_lists() {
        let row = json!({"id": "A-1", "address": {"city": "Paris"}, "tags": ["a", "b"],
            "phones": [{"number": "+33 1", "digits": "331"}], "n": 3});
        let flat = flatten(&row);
        assert_eq!(
            flat,
            [
                ("id".into(), "A-1".into()),
                ("address.city".into(), "Paris".into()),
                ("tags".into(), "a; b".into()),
                ("phones".into(), "+33 1".into()),
                ("n".into(), "3".into())
            ]
        );
    }

    #[test]
    fn csv_has_one_header_for_every_field_of_any_row() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &[
                json!({"id": "A-1"}),
                json!({"id": "A-2", "segment": "smb, large"}),
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,segment\nA-1,\nA-2,\"smb, large\"\n"
        );
    }
}
