//! `:import` on a job: the file read through the format layer and loaded through
//! [`Ops::import`], as `rapport import` does, with the counts sent to the status bar as they
//! grow. Admins only, refused with the operation's own message.

use super::JobContext;
use crate::app::import::{ImportCounts, ImportLine, ImportReport};
use crate::app::{Msg, RequestId};
use crate::domain::record::Role;
use crate::domain::{Choice, Kind};
use crate::interchange::columns::{self, ColumnMap};
use crate::interchange::{self as formats, Format, InterchangeError};
use crate::ops::{Entity, ImportOptions, ImportSummary, OnDuplicate, Ops, SourceRow};
use std::cell::RefCell;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Rows per transaction: small enough that the created count moves while a file loads.
const BATCH: usize = 1_000;
/// How often progress is sent, at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How many rejected rows the summary quotes.
const FIRST_REJECTS: usize = 3;

/// Runs the import `line` asks for; the answer to `request`.
pub fn run(ops: &Ops, context: &JobContext, request: RequestId, line: &ImportLine) -> Msg {
    match import(ops, context, request, line) {
        Ok(report) => Msg::ImportDone { request, report },
        Err(message) => Msg::Failed {
            request: Some(request),
            message,
        },
    }
}

fn kind_of(entity: Entity) -> Kind {
    match entity {
        Entity::Accounts => Kind::Account,
        Entity::Contacts => Kind::Contact,
        Entity::Interactions => Kind::Interaction,
        Entity::Tickets => Kind::Ticket,
    }
}

/// A path as typed in the palette, where no shell expands `~`.
pub fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The counts so far and when they were last sent.
struct Progress {
    counts: ImportCounts,
    sent: Option<Instant>,
    first_rejects: Vec<String>,
}

impl Progress {
    fn take(&mut self, summary: &ImportSummary) {
        self.counts.created = summary.created;
        self.counts.updated = summary.updated;
        self.counts.skipped = summary.skipped;
        self.counts.rejected = summary.rejected;
    }

    fn send(&mut self, context: &JobContext, request: RequestId) {
        if self.sent.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.sent = Some(Instant::now());
        context.send(Msg::ImportProgress {
            request,
            counts: self.counts,
        });
    }
}

fn import(
    ops: &Ops,
    context: &JobContext,
    request: RequestId,
    line: &ImportLine,
) -> Result<ImportReport, String> {
    ops.require(Role::Admin, "importing")
        .map_err(|e| e.to_string())?;
    let entity = Entity::parse(&line.entity).map_err(|e| format!("--entity: {e}"))?;
    let on_duplicate = match &line.on_duplicate {
        Some(word) => OnDuplicate::parse(word).map_err(|e| format!("--on-duplicate: {e}"))?,
        None => OnDuplicate::Skip,
    };
    let from = line
        .from
        .as_deref()
        .map(Format::parse)
        .transpose()
        .map_err(|e| format!("--from: {e}"))?;
    let overrides = line
        .maps
        .iter()
        .map(|m| columns::parse_override(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--map: {e}"))?;
    let mut map = ColumnMap::new(kind_of(entity), &overrides).map_err(|e| format!("--map: {e}"))?;
    let path = expand(&line.file);
    let reader = formats::open(&path, from, line.encoding.as_deref()).map_err(|e| match e {
        InterchangeError::Open { .. } | InterchangeError::FormatUnknownFor(_) => e.to_string(),
        other => format!("{}: {other}", path.display()),
    })?;
    if let Some(headers) = reader.headers() {
        map.prepare(&headers.clone());
    }
    let mut rejects = match &line.rejects {
        Some(target) => {
            let target = expand(target);
            let file = File::create(&target).map_err(|e| format!("{}: {e}", target.display()))?;
            Some(
                reader
                    .rejects(BufWriter::new(file))
                    .map_err(|e| format!("{}: {e}", target.display()))?,
            )
        }
        None => None,
    };
    let input = reader.describe();
    let options = ImportOptions {
        entity,
        on_duplicate,
        dry_run: line.dry_run,
        create_accounts: line.create_accounts,
        batch: BATCH,
    };
    let fatal: RefCell<Option<String>> = RefCell::new(None);
    let stopped = RefCell::new(false);
    let progress = RefCell::new(Progress {
        counts: ImportCounts::default(),
        sent: None,
        first_rejects: Vec::new(),
    });
    let map = RefCell::new(map);
    // A rejected row is written back as it was, when there is a rejects file.
    let keep_originals = rejects.is_some();
    let rows = reader.map_while(|item| {
        if context.cancelled() {
            *stopped.borrow_mut() = true;
            return None;
        }
        {
            let mut p = progress.borrow_mut();
            p.counts.read += 1;
            p.send(context, request);
        }
        match SourceRow::read(item, &mut map.borrow_mut(), keep_originals) {
            Ok(row) => Some(row),
            Err(e) => {
                *fatal.borrow_mut() = Some(format!("{}: {e}", path.display()));
                None
            }
        }
    });
    let mut reject_error = None;
    let summary = ops
        .import(
            rows,
            &options,
            |r| {
                let mut p = progress.borrow_mut();
                p.counts.rejected += 1;
                if p.first_rejects.len() < FIRST_REJECTS {
                    p.first_rejects
                        .push(format!("line {}: {}", r.line, r.reason));
                }
                if let (Some(out), Some(original)) = (rejects.as_mut(), r.original.as_ref())
                    && let Err(e) = out.write(original, &format!("line {}: {}", r.line, r.reason))
                {
                    reject_error.get_or_insert(e);
                }
            },
            |s| {
                let mut p = progress.borrow_mut();
                p.take(s);
                p.send(context, request);
            },
        )
        .map_err(|e| e.to_string())?;
    if let Some(out) = rejects.as_mut()
        && let Err(e) = out.flush()
    {
        reject_error.get_or_insert(e);
    }
    let Progress { first_rejects, .. } = progress.into_inner();
    let counts = ImportCounts {
        read: summary.read,
        created: summary.created,
        updated: summary.updated,
        skipped: summary.skipped,
        rejected: summary.rejected,
    };
    let written = format!(
        "{} read, {} created, {} updated, {} rejected before it stopped",
        counts.read, counts.created, counts.updated, counts.rejected
    );
    if let Some(e) = fatal.into_inner() {
        return Err(format!("{e} ({written})"));
    }
    if let (Some(e), Some(target)) = (reject_error, &line.rejects) {
        return Err(format!("{target}: {e} ({written})"));
    }
    Ok(ImportReport {
        counts,
        seconds: summary.seconds,
        rows_per_second: summary.rows_per_second,
        input,
        first_rejects,
        stopped: stopped.into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::memory::MemoryStore;
    use crate::tui::Event;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc::{self, Receiver};

    fn context(cancel: bool) -> (JobContext, Receiver<Event>) {
        let (replies, rx) = mpsc::channel();
        let context = JobContext {
            cancel: Arc::new(AtomicBool::new(cancel)),
            replies,
        };
        (context, rx)
    }

    fn accounts_csv(dir: &Path, rows: usize) -> String {
        let path = dir.join("accounts.csv");
        let mut text = String::from("Account Name,Phone\n");
        for n in 0..rows {
            text.push_str(&format!("Account {n},+1 415 555 {:04}\n", n % 10_000));
        }
        text.push_str(",no name\n");
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn line(file: String) -> ImportLine {
        ImportLine {
            file,
            entity: "accounts".into(),
            ..ImportLine::default()
        }
    }

    fn progress(rx: &Receiver<Event>) -> Vec<ImportCounts> {
        rx.try_iter()
            .filter_map(|e| match e {
                Event::Reply(Msg::ImportProgress { counts, .. }) => Some(counts),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn progress_comes_while_rows_load_and_the_report_counts_them_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::empty();
        let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
        let (context, rx) = context(false);
        let file = accounts_csv(dir.path(), 2500);
        let msg = run(&ops, &context, RequestId(1), &line(file));
        let Msg::ImportDone { request, report } = msg else {
            panic!("{msg:?}")
        };
        assert_eq!(request, RequestId(1));
        assert_eq!(
            report.counts,
            ImportCounts {
                read: 2501,
                created: 2500,
                rejected: 1,
                ..ImportCounts::default()
            }
        );
        assert_eq!(report.first_rejects, ["line 2502: name: must not be empty"]);
        assert!(report.input.starts_with("csv"), "{}", report.input);
        let seen = progress(&rx);
        assert!(!seen.is_empty(), "progress is sent as rows come");
        assert!(seen.windows(2).all(|w| w[0].read <= w[1].read));
        assert_eq!(store.scan(Kind::Account).count(), 2500);
    }

    #[test]
    fn a_cancelled_import_stops_at_a_row_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::empty();
        let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
        let (context, _rx) = context(true);
        let file = accounts_csv(dir.path(), 10);
        let Msg::ImportDone { report, .. } = run(&ops, &context, RequestId(1), &line(file)) else {
            panic!()
        };
        assert!(report.stopped);
        assert_eq!(report.counts.read, 0);
        assert_eq!(store.scan(Kind::Account).count(), 0);
    }

    #[test]
    fn a_bad_word_or_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::empty();
        let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
        let file = accounts_csv(dir.path(), 1);
        let cases = [
            (
                ImportLine {
                    entity: "fish".into(),
                    ..line(file.clone())
                },
                "--entity: unknown entity 'fish'; accepted: accounts, contacts",
            ),
            (
                ImportLine {
                    on_duplicate: Some("merge".into()),
                    ..line(file.clone())
                },
                "--on-duplicate: unknown duplicate policy 'merge'",
            ),
            (
                ImportLine {
                    from: Some("xml".into()),
                    ..line(file.clone())
                },
                "--from: unknown format 'xml'",
            ),
            (
                ImportLine {
                    maps: vec!["nothing".into()],
                    ..line(file.clone())
                },
                "--map: ",
            ),
            (
                line(dir.path().join("gone.csv").to_str().unwrap().to_string()),
                "gone.csv: No such file",
            ),
            (
                line(dir.path().join("notes.txt").to_str().unwrap().to_string()),
                "cannot tell the format",
            ),
        ];
        for (line, needle) in cases {
            let (context, _rx) = super::tests::context(false);
            match run(&ops, &context, RequestId(1), &line) {
                Msg::Failed { message, .. } => {
                    assert!(message.contains(needle), "{line:?}: {message}")
                }
                other => panic!("{line:?}: {other:?}"),
            }
        }
    }
}
