//! Every real file other tools wrote (`../shared/samples/`) reads without a panic: each card or
//! row either yields fields or is an error with a line number and a reason.

use rapport::domain::Kind;
use rapport::interchange::{self, ColumnMap, Format, ReadError};
use std::path::{Path, PathBuf};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if Format::from_path(&path).is_some() {
            out.push(path);
        }
    }
}

/// What reading one file gave.
#[derive(Debug, Default)]
struct Outcome {
    rows: usize,
    errors: usize,
}

fn read(path: &Path, verbose: bool) -> Outcome {
    let kind = if Format::from_path(path) == Some(Format::Vcard)
        || path.to_string_lossy().contains("contacts")
    {
        Kind::Contact
    } else {
        Kind::Account
    };
    let reader =
        interchange::open(path, None, None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut map = ColumnMap::new(kind, &[]).unwrap();
    let mut outcome = Outcome::default();
    for item in reader {
        match item {
            Ok(row) => {
                assert!(row.line >= 1, "{}: row without a line", path.display());
                let fields = map.apply(&row);
                assert!(
                    !fields.is_empty(),
                    "{}:{}: a row that yields no field: {row:?}",
                    path.display(),
                    row.line
                );
                if verbose {
                    println!("  {}: {fields:?}", row.line);
                }
                outcome.rows += 1;
            }
            Err(ReadError::Row(e)) => {
                assert!(e.line >= 1, "{}: error without a line: {e}", path.display());
                assert!(
                    !e.reason.is_empty(),
                    "{}: error without a reason",
                    path.display()
                );
                if verbose {
                    println!("  {e}");
                }
                outcome.errors += 1;
            }
            Err(e @ ReadError::Io { .. }) => panic!("{}: {e}", path.display()),
        }
    }
    outcome
}

#[test]
fn every_sample_file_reads_without_panic_and_accounts_for_every_row() {
    let root = Path::new(SAMPLES);
    if !root.is_dir() {
        println!("note: {SAMPLES} is absent; sample files not checked");
        return;
    }
    let verbose = std::env::var_os("RAPPORT_SAMPLES_VERBOSE").is_some();
    let mut paths = Vec::new();
    files(root, &mut paths);
    assert!(paths.len() > 250, "only {} sample files found", paths.len());
    let (mut rows, mut errors) = (0, 0);
    for path in &paths {
        if verbose {
            println!("{}", path.display());
        }
        let outcome = read(path, verbose);
        assert!(
            outcome.rows + outcome.errors > 0,
            "{}: nothing read",
            path.display()
        );
        rows += outcome.rows;
        errors += outcome.errors;
    }
    println!(
        "{} files: {rows} rows or cards read, {errors} refused with a reason",
        paths.len()
    );
}
