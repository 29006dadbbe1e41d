//! `rapport export --all`, `import --all`, `backup`, `restore` and `check`.

use super::output::Output;
use super::{CliError, progress};
use crate::interchange::dump::{self, Reader};
use crate::ops::Ops;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

/// Writes a whole dump to `path` (through a temporary file renamed into place, so that a
/// failure never leaves a half-written dump under the name) or to stdout.
pub fn write_dump(ops: &Ops, path: Option<&Path>) -> Result<Output, CliError> {
    let bar = progress::counter("lines");
    let tally = match path {
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            dump::write(ops.store, &mut out, |n| bar.set_position(n))
                .map_err(crate::ops::OpsError::from)?
        }
        Some(path) => {
            // A device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written as it is; a
            // file is written beside itself and renamed over, so that it is whole or not there.
            let in_place = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
            let target = if in_place {
                path.to_path_buf()
            } else {
                path.with_extension("partial")
            };
            let mut out =
                BufWriter::new(File::create(&target).map_err(|e| file_error(&target, e))?);
            let tally = dump::write(ops.store, &mut out, |n| bar.set_position(n))
                .map_err(crate::ops::OpsError::from)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            if !in_place {
                file.sync_all()?;
                std::fs::rename(&target, path).map_err(|e| file_error(path, e))?;
            }
            tally
        }
    };
    bar.finish_and_clear();
    eprintln!("{}", summary("dumped", &tally));
    Ok(Output::Nothing)
}

/// Loads a dump from `path` into the (empty) database.
pub fn read_dump(ops: &Ops, path: &Path) -> Result<Output, CliError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let reader = Reader::new(BufReader::new(file), &path.display().to_string())
        .map_err(crate::ops::OpsError::from)?;
    let bar = progress::counter("lines");
    let tally = ops.restore_dump(reader, |n| bar.set_position(n))?;
    bar.finish_and_clear();
    eprintln!("{}", summary("loaded", &tally));
    Ok(Output::Nothing)
}

/// Verifies the store; problems are printed and make the command fail.
pub fn check(ops: &Ops) -> Result<Output, CliError> {
    let problems = ops.check()?;
    if problems.is_empty() {
        eprintln!("{}: no problems found", ops.store.location());
        return Ok(Output::Nothing);
    }
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    Err(CliError::Check(problems.len()))
}

fn summary(verb: &str, tally: &dump::Tally) -> String {
    let records: Vec<String> = tally
        .records
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let records = if records.is_empty() {
        "no records".to_string()
    } else {
        records.join(", ")
    };
    format!("{verb} {records} and {} audit entries", tally.audit)
}

fn file_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}
