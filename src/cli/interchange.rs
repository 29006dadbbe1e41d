//! `rapport import FILE --entity …` and `rapport export --entity …`: files in any supported
//! format in and out, through the format layer and the import loader.

use super::output::{Format as OutputFormat, Output, flatten};
use super::{CliError, choice_arg, progress};
use crate::domain::{Kind, Record};
use crate::interchange::columns::{self, ColumnMap};
use crate::interchange::delimited::CsvWriter;
use crate::interchange::export as export_columns;
use crate::interchange::json::{JsonWriter, push_value};
use crate::interchange::vcard::VcardWriter;
use crate::interchange::{self as formats, Format};
use crate::ops::{Entity, ImportOptions, ImportSummary, Ops, Rejected, SourceRow};
use crate::store::ChunkWriter;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The record kind an entity word names.
pub fn kind_of(entity: Entity) -> Kind {
    match entity {
        Entity::Accounts => Kind::Account,
        Entity::Contacts => Kind::Contact,
        Entity::Interactions => Kind::Interaction,
        Entity::Tickets => Kind::Ticket,
    }
}

fn interchange_error(e: impl std::fmt::Display) -> CliError {
    CliError::Invalid(crate::domain::validate::Invalid::new("file", e.to_string()))
}

/// How many rejected rows the summary names; `--rejects FILE` keeps every one.
const REPORTED_REJECTIONS: usize = 1_000;

/// What `rapport import` was asked.
pub struct ImportRequest<'a> {
    pub file: &'a Path,
    pub entity: &'a str,
    pub from: Option<&'a str>,
    pub maps: &'a [String],
    pub dry_run: bool,
    pub on_duplicate: &'a str,
    pub rejects: Option<&'a Path>,
    pub encoding: Option<&'a str>,
    pub create_accounts: bool,
    pub batch_size: usize,
}

/// Imports a file; the summary is the output, and rejected rows make the exit code 4.
pub fn import(ops: &Ops, req: &ImportRequest, format: OutputFormat) -> Result<Output, CliError> {
    let entity: Entity = choice_arg("entity", req.entity)?;
    let from = req
        .from
        .map(Format::parse)
        .transpose()
        .map_err(interchange_error)?;
    let overrides = req
        .maps
        .iter()
        .map(|m| columns::parse_override(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(interchange_error)?;
    let mut map = ColumnMap::new(kind_of(entity), &overrides).map_err(interchange_error)?;
    let reader = formats::open(req.file, from, req.encoding).map_err(|e| match e {
        formats::InterchangeError::Open { path, source } => CliError::Io(std::io::Error::new(
            source.kind(),
            format!("{path}: {source}"),
        )),
        other => interchange_error(other),
    })?;
    if let Some(headers) = reader.headers() {
        map.prepare(&headers.clone());
    }
    let mut rejects = match req.rejects {
        Some(path) => {
            let file = File::create(path).map_err(|e| file_error(path, e))?;
            Some(reader.rejects(BufWriter::new(file))?)
        }
        None => None,
    };
    let description = reader.describe();
    let options = ImportOptions {
        entity,
        on_duplicate: choice_arg("on_duplicate", req.on_duplicate)?,
        dry_run: req.dry_run,
        create_accounts: req.create_accounts,
        batch: req.batch_size.max(1),
    };
    let fatal: RefCell<Option<CliError>> = RefCell::new(None);
    let map = RefCell::new(map);
    // A rejected row is written back as it was, when there is a rejects file.
    let keep_originals = rejects.is_some();
    let rows = reader.map_while(|item| {
        match SourceRow::read(item, &mut map.borrow_mut(), keep_originals) {
            Ok(row) => Some(row),
            Err(e) => {
                *fatal.borrow_mut() =
                    Some(interchange_error(format!("{}: {e}", req.file.display())));
                None
            }
        }
    });
    let bar = progress::counter("rows");
    let mut reject_error = None;
    let mut rejected_lines = Vec::new();
    let summary = ops.import(
        rows,
        &options,
        |r| {
            // Memory stays flat: the summary names the first rejections, --rejects keeps all.
            if rejected_lines.len() < REPORTED_REJECTIONS {
                rejected_lines.push(r.clone());
            }
            if let (Some(out), Some(original)) = (rejects.as_mut(), r.original.as_ref())
                && let Err(e) = out.write(original, &format!("line {}: {}", r.line, r.reason))
            {
                reject_error.get_or_insert(e);
            }
        },
        |s| bar.set_position(s.read),
    )?;
    bar.finish_and_clear();
    if let Some(out) = rejects.as_mut() {
        out.flush()?;
    }
    if let Some(e) = reject_error {
        return Err(CliError::Io(e));
    }
    let map = map.into_inner();
    let rejected = rejected_lines;
    report(&summary, &description, &map, &rejected, req.dry_run, format)?;
    if let Some(e) = fatal.into_inner() {
        return Err(e);
    }
    if summary.rejected > 0 {
        return Err(CliError::Rejected(summary.rejected));
    }
    Ok(Output::Nothing)
}

/// Prints the summary: lines for people (mapping on a dry run, each rejected row on stderr),
/// one JSON object for scripts.
fn report(
    summary: &ImportSummary,
    description: &str,
    map: &ColumnMap,
    rejected: &[Rejected],
    dry_run: bool,
    format: OutputFormat,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    if matches!(format, OutputFormat::Json | OutputFormat::Jsonl) {
        let mapping: Vec<Value> = map
            .columns()
            .iter()
            .map(|c| json!({ "column": c.column, "field": c.target.to_string() }))
            .collect();
        let rejected: Vec<Value> = rejected
            .iter()
            .map(|r| json!({ "line": r.line, "reason": r.reason }))
            .collect();
        let mut value = serde_json::to_value(summary).expect("summaries serialise");
        if let Some(obj) = value.as_object_mut() {
            obj.insert("dry_run".into(), json!(dry_run));
            obj.insert("input".into(), json!(description));
            obj.insert("mapping".into(), json!(mapping));
            obj.insert("rejected_rows".into(), json!(rejected));
        }
        writeln!(out, "{value}")?;
        return Ok(());
    }
    for r in rejected.iter().take(20) {
        eprintln!("line {}: {}", r.line, r.reason);
    }
    if summary.rejected > 20 {
        eprintln!(
            "… and {} more rejected rows (--rejects FILE keeps them all)",
            summary.rejected - 20
        );
    }
    if dry_run {
        writeln!(out, "Read as {description}. Columns:\n{map}")?;
    }
    let verb = if dry_run { "would be" } else { "were" };
    writeln!(
        out,
        "{} rows read: {} created, {} updated, {} skipped as duplicates, {} rejected ({verb} written) in {:.1}s, {:.0} rows/s",
        summary.read,
        summary.created,
        summary.updated,
        summary.skipped,
        summary.rejected,
        summary.seconds,
        summary.rows_per_second
    )?;
    Ok(())
}

fn file_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}

/// Which records an export writes: `FIELD=VALUE` filters on the record's fields (flattened,
/// `address.city`), all of which must hold; list fields match when any item does.
fn admits(filters: &[(String, String)], row: &Value) -> bool {
    let flat = flatten(row);
    filters.iter().all(|(field, want)| {
        flat.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(field)
                && (v.eq_ignore_ascii_case(want)
                    || v.split("; ").any(|item| item.eq_ignore_ascii_case(want)))
        })
    })
}

/// Writes every record of an entity (matching `filters`) to `output` or stdout.
pub fn export(
    ops: &Ops,
    entity: &str,
    to: Option<&str>,
    filters: &[String],
    output: Option<&PathBuf>,
) -> Result<Output, CliError> {
    let entity: Entity = choice_arg("entity", entity)?;
    let kind = kind_of(entity);
    let format = match to {
        Some(name) => Format::parse(name).map_err(interchange_error)?,
        None => output
            .and_then(|p| Format::from_path(p))
            .unwrap_or(Format::Csv),
    };
    if format == Format::Vcard && entity != Entity::Contacts {
        return Err(interchange_error(
            "vCard export is for contacts (--entity contacts)",
        ));
    }
    let filters = super::field_values(filters)?;
    let bar = progress::counter("records");
    let out: Box<dyn Write> = match output {
        Some(path) => Box::new(File::create(path).map_err(|e| file_error(path, e))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let filtered = !filters.is_empty();
    // Whether a record is one to export, on whichever thread writes it.
    let admitted = std::sync::Arc::new(move |record: &Record| {
        filters.is_empty() || admits(&filters, &record.to_json())
    });
    let records = || {
        let admitted = admitted.clone();
        ops.store
            .scan(kind)
            .filter(move |r| r.as_ref().map_or(true, |record| admitted(record)))
    };
    let mut written = 0u64;
    match format {
        Format::Csv => {
            // Two passes keep memory flat: the first finds the custom fields, which vary, reading
            // only those unless a filter needs whole records.
            let mut custom = std::collections::BTreeSet::new();
            if !filtered {
                custom = ops.store.custom_field_names(kind)?;
            } else {
                for r in records() {
                    let record = r?;
                    for name in record.meta().custom.keys() {
                        if !custom.contains(name) {
                            custom.insert(name.clone());
                        }
                    }
                }
            }
            let fixed = export_columns::columns(kind).unwrap_or_default();
            let headers: Vec<String> = fixed
                .iter()
                .map(|c| c.to_string())
                .chain(custom.iter().map(|name| format!("custom.{name}")))
                .collect();
            CsvWriter::new(&mut out, &headers)?.finish()?;
            // The rows are written a chunk of records at a time where the store decodes them.
            let custom: Vec<String> = custom.into_iter().collect();
            let width = headers.len();
            let admitted = admitted.clone();
            let write: ChunkWriter = std::sync::Arc::new(move |records, bytes| {
                let mut csv = CsvWriter::rows(bytes, width);
                let mut written = 0;
                for record in records.iter().filter(|record| admitted(record)) {
                    // values() gives the fixed columns in order; the custom ones are the
                    // record's.
                    let values = export_columns::values(record);
                    let own = &record.meta().custom;
                    let row: Vec<&str> = values
                        .iter()
                        .map(|(_, v)| v.as_ref())
                        .chain(
                            custom
                                .iter()
                                .map(|name| own.get(name).map_or("", String::as_str)),
                        )
                        .collect();
                    csv.write_row(&row).expect("a row as wide as the header");
                    written += 1;
                }
                csv.finish().expect("rows written to memory");
                written
            });
            for chunk in ops.store.scan_written(kind, write) {
                let chunk = chunk?;
                out.write_all(&chunk.bytes)?;
                written += chunk.records as u64;
                bar.set_position(written);
            }
        }
        Format::Json | Format::Jsonl => {
            let lines = format == Format::Jsonl;
            let mut json = JsonWriter::new(&mut out, lines);
            let admitted = admitted.clone();
            let write: ChunkWriter = std::sync::Arc::new(move |records, text| {
                let mut written = 0;
                for record in records.iter().filter(|record| admitted(record)) {
                    push_value(text, record, lines, written == 0)
                        .expect("a record written to memory");
                    written += 1;
                }
                written
            });
            for chunk in ops.store.scan_written(kind, write) {
                let chunk = chunk?;
                json.write_pushed(&chunk.bytes, chunk.records)?;
                written += chunk.records as u64;
                bar.set_position(written);
            }
            json.finish()?;
        }
        Format::Vcard => {
            let mut cards = VcardWriter::new(&mut out);
            let mut companies: HashMap<crate::domain::Id, Option<String>> = HashMap::new();
            for r in records() {
                let Record::Contact(contact) = r? else {
                    continue;
                };
                let company = companies
                    .entry(contact.account)
                    .or_insert_with(|| ops.account(contact.account).ok().map(|a| a.name))
                    .clone();
                cards.write_contact(&contact, company.as_deref())?;
                written += 1;
                bar.set_position(written);
            }
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {written} {} as {format}", entity);
    Ok(Output::Nothing)
}
