//! Bulk import and export as admins use them: real files other tools wrote, files the project
//! writes, round trips, and an import killed mid-way.

mod common;

use common::Db;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    format!("{}/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn demo(db: &Db) {
    db.ok(&[
        "import",
        "--all",
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/demo.jsonl"),
    ]);
}

/// Asserts two files are the same, naming the first line that differs.
fn same_file(a: &str, b: &str, what: &str) {
    let (a, b) = (
        std::fs::read_to_string(a).unwrap(),
        std::fs::read_to_string(b).unwrap(),
    );
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "{what}: line {} differs", n + 1);
    }
    assert_eq!(
        a.lines().count(),
        b.lines().count(),
        "{what}: line counts differ"
    );
}

fn file(db: &Db, name: &str) -> String {
    db.dir.path().join(name).to_string_lossy().into_owned()
}

#[test]
fn accounts_round_trip_through_csv_json_and_jsonl() {
    let source = Db::new();
    demo(&source);
    for (to, name) in [
        ("csv", "accounts.csv"),
        ("json", "accounts.json"),
        ("jsonl", "accounts.jsonl"),
    ] {
        let first = file(&source, name);
        source.ok(&["export", "--entity", "accounts", "--to", to, "-o", &first]);
        let target = Db::new();
        target.ok(&["import", &first, "--entity", "accounts"]);
        let second = file(&target, name);
        target.ok(&["export", "--entity", "accounts", "--to", to, "-o", &second]);
        same_file(&first, &second, to);
    }
}

#[test]
fn contacts_round_trip_through_vcard_and_every_entity_through_jsonl() {
    let source = Db::new();
    demo(&source);
    let target = Db::new();
    for entity in ["accounts", "contacts", "tickets", "interactions"] {
        let path = file(&source, &format!("{entity}.jsonl"));
        source.ok(&["export", "--entity", entity, "-o", &path]);
        target.ok(&["import", &path, "--entity", entity]);
        let again = file(&target, &format!("{entity}.jsonl"));
        target.ok(&["export", "--entity", entity, "-o", &again]);
        same_file(&path, &again, entity);
    }
    target.ok(&["check"]);
    let cards = file(&source, "contacts.vcf");
    source.ok(&["export", "--entity", "contacts", "-o", &cards]);
    let from_cards = Db::new();
    let accounts = file(&source, "accounts.jsonl");
    from_cards.ok(&["import", &accounts, "--entity", "accounts"]);
    from_cards.ok(&["import", &cards, "--entity", "contacts"]);
    let again = file(&from_cards, "contacts.vcf");
    from_cards.ok(&["export", "--entity", "contacts", "-o", &again]);
    same_file(&cards, &again, "vcard");
}

#[test]
fn export_filters_with_where() {
    let db = Db::new();
    demo(&db);
    let out = db.ok(&[
        "export",
        "--entity",
        "accounts",
        "--to",
        "jsonl",
        "--where",
        "relationship=former",
    ]);
    assert!(!out.is_empty());
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["relationship"], "former");
    }
    let err = db.fails(&["export", "--entity", "accounts", "--to", "vcard"], 4);
    assert!(err.contains("contacts"), "{err}");
}

#[test]
fn a_crm_export_lands_in_the_right_fields_with_no_flags() {
    let db = Db::new();
    db.ok(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
    ]);
    let accounts = db.json(&["account", "list"]);
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Acme Corporation")
        .expect("Acme imported");
    assert_eq!(acme["address"]["city"], "San Francisco");
    assert_eq!(acme["phones"][0]["number"], "+1 (415) 555-0100");
    assert_eq!(acme["website"], "https://www.acme.example");
    assert!(
        acme["custom"]["Industry"].is_string(),
        "unmapped columns are kept: {acme}"
    );
}

/// Runs an import that must end with exit code 4 (rows rejected) and returns its stderr.
fn rejecting(db: &Db, args: &[&str]) -> String {
    let out = db.cmd(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
    stderr
}

#[test]
fn bad_rows_are_rejected_with_line_and_reason_and_the_rejects_file_reimports() {
    let db = Db::new();
    let rejects = file(&db, "rejects.csv");
    let err = rejecting(
        &db,
        &[
            "import",
            &fixture("accounts-bad-rows.csv"),
            "--entity",
            "accounts",
            "--rejects",
            &rejects,
        ],
    );
    assert!(err.contains("line 5: name: must not be empty"), "{err}");
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",reason"), "{text}");
    let good = db.json(&["account", "list"]).as_array().unwrap().len();
    assert!(good > 0, "good rows still go in");
    // Fixing nothing and importing the rejects again rejects the same rows, and adds nothing.
    let again = file(&db, "rejects-again.csv");
    rejecting(
        &db,
        &[
            "import",
            &rejects,
            "--entity",
            "accounts",
            "--rejects",
            &again,
            "--from",
            "csv",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(&again).unwrap().lines().count(),
        text.lines().count()
    );
    assert_eq!(
        db.json(&["account", "list"]).as_array().unwrap().len(),
        good
    );
}

#[test]
fn dry_run_shows_the_mapping_and_writes_nothing() {
    let db = Db::new();
    let out = db.ok(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
        "--dry-run",
    ]);
    assert!(
        out.contains("Billing City") && out.contains("→ city"),
        "{out}"
    );
    assert!(db.json(&["account", "list"]).as_array().unwrap().is_empty());
    let summary = db.json(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
        "--dry-run",
    ]);
    assert_eq!(summary["dry_run"], true);
    assert!(summary["created"].as_u64().unwrap() > 0);
}

#[test]
fn an_import_leaves_no_gap_in_the_ids_after_its_rows() {
    // Imports reserve ids in blocks; the unused end of the last block is given back.
    let db = Db::new();
    let summary = db.json(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
    ]);
    let created = summary["created"].as_u64().unwrap();
    assert!(created > 1);
    let next = db.ok(&["account", "add", "--name", "After the import"]);
    assert_eq!(next.trim(), format!("A-{}", created + 1));
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let db = Db::new();
    db.ok(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
    ]);
    let audit = db.json(&["audit"]).as_array().unwrap().len();
    for policy in ["skip", "update"] {
        let summary = db.json(&[
            "import",
            &fixture("accounts-salesforce.csv"),
            "--entity",
            "accounts",
            "--on-duplicate",
            policy,
        ]);
        assert_eq!(
            (summary["created"].as_u64(), summary["updated"].as_u64()),
            (Some(0), Some(0)),
            "{policy}"
        );
    }
    assert_eq!(db.json(&["audit"]).as_array().unwrap().len(), audit);
}

#[test]
fn every_encoding_and_delimiter_fixture_imports() {
    for (name, entity) in [
        ("accounts-utf8-bom.csv", "accounts"),
        ("accounts-utf16le.csv", "accounts"),
        ("accounts-windows-1252.csv", "accounts"),
        ("accounts-gbk.csv", "accounts"),
        ("accounts-1c-windows-1251.csv", "accounts"),
        ("accounts-pipe.csv", "accounts"),
        ("accounts-tab.csv", "accounts"),
        ("accounts-embedded-newlines.csv", "accounts"),
        ("accounts.json", "accounts"),
    ] {
        let db = Db::new();
        let summary = db.json(&["import", &fixture(name), "--entity", entity]);
        assert!(
            summary["created"].as_u64().unwrap() > 0,
            "{name}: {summary}"
        );
        assert_eq!(summary["rejected"], 0, "{name}: {summary}");
        let names: Vec<String> = db
            .json(&["account", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect();
        assert!(
            names.iter().all(|n| !n.contains('\u{fffd}')),
            "{name}: mojibake in {names:?}"
        );
    }
}

#[test]
fn vcards_of_every_version_import_with_chinese_and_cyrillic_names() {
    let db = Db::new();
    for name in [
        "contacts-v21.vcf",
        "contacts-v21-charsets.vcf",
        "contacts-v30.vcf",
        "contacts-v40.vcf",
    ] {
        let out = db
            .cmd(&[
                "import",
                &fixture(name),
                "--entity",
                "contacts",
                "--create-accounts",
            ])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 4)),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names: Vec<String> = db
        .json(&["contact", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))),
        "{names:?}"
    );
}

#[test]
fn interactions_and_tickets_import_linked_by_external_id() {
    let db = Db::new();
    db.ok(&[
        "import",
        &fixture("accounts-salesforce.csv"),
        "--entity",
        "accounts",
    ]);
    let out = db
        .cmd(&[
            "import",
            &fixture("interactions.jsonl"),
            "--entity",
            "interactions",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = db
        .cmd(&["import", &fixture("tickets.json"), "--entity", "tickets"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!db.json(&["ticket", "list"]).as_array().unwrap().is_empty());
    db.ok(&["check"]);
}

fn samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "vcf" || e == "csv") {
            out.push(path);
        }
    }
}

/// Every file other tools wrote goes through the readers, the column mapping and the loader
/// (in memory, one store per file): each card or row lands, is skipped as a duplicate, or is
/// rejected with its line and a reason.
#[test]
fn every_sample_file_from_other_tools_imports_without_a_panic() {
    use rapport::interchange::{self, ColumnMap};
    use rapport::ops::{Entity, ImportOptions, Ops, SourceRow};
    let Some(dir) = samples() else {
        eprintln!("../shared/samples is not beside the project; skipping");
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    assert!(
        files.len() > 100,
        "expected the sample corpus, found {} files",
        files.len()
    );
    let (mut landed, mut read) = (0, 0);
    for path in &files {
        let contacts =
            path.extension().unwrap() == "vcf" || path.to_string_lossy().contains("contacts-csv");
        let (entity, kind) = if contacts {
            (Entity::Contacts, rapport::domain::Kind::Contact)
        } else {
            (Entity::Accounts, rapport::domain::Kind::Account)
        };
        let store = rapport::store::memory::MemoryStore::empty();
        let ops = Ops::new(&store, "admin", "2026-03-02T10:00:00Z".parse().unwrap());
        let reader = match interchange::open(path, None, None) {
            Ok(reader) => reader,
            Err(e) => {
                // A file that cannot be read at all is refused with a message, not a panic.
                assert!(!e.to_string().is_empty(), "{}", path.display());
                continue;
            }
        };
        let mut map = ColumnMap::new(kind, &[]).unwrap();
        let rows = reader.map_while(|item| SourceRow::read(item, &mut map, false).ok());
        let options = ImportOptions {
            create_accounts: true,
            ..ImportOptions::new(entity)
        };
        let mut rejected = Vec::new();
        let summary = ops
            .import(rows, &options, |r| rejected.push(r.clone()), |_| {})
            .unwrap();
        assert_eq!(
            summary.read,
            summary.created + summary.updated + summary.skipped + summary.rejected,
            "{}: every row lands or is rejected",
            path.display()
        );
        for r in &rejected {
            assert!(
                r.line > 0 && !r.reason.is_empty(),
                "{}: {r:?}",
                path.display()
            );
        }
        assert!(ops.check().unwrap().is_empty(), "{}", path.display());
        if contacts {
            read += summary.read;
            landed += summary.created + summary.skipped;
        }
    }
    // Name lists and population tables are not customer files: their rows are rejected for
    // having no name, which the loop above checks is said. Address books must mostly land.
    assert!(
        landed * 10 > read * 9,
        "most contacts land: {landed} of {read}"
    );
}

#[test]
fn an_import_killed_mid_way_leaves_whole_records_and_a_rerun_completes_it() {
    let db = Db::new();
    let rows = 6_000;
    let csv = file(&db, "big.csv");
    let mut text = String::from("Account Name,Account Number,Phone,Email\n");
    for n in 1..=rows {
        text.push_str(&format!(
            "Company {n},EXT-{n:06},+1 415 555 {:04},c{n}@example.com\n",
            n % 10_000
        ));
    }
    std::fs::write(&csv, text).unwrap();
    db.ok(&["account", "list"]);
    let size = || {
        std::fs::metadata(db.path().join("db"))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let before = size();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .env("RAPPORT_DB", db.path())
        .env("RAPPORT_USER", "ann")
        .args([
            "import",
            &csv,
            "--entity",
            "accounts",
            "--batch-size",
            "200",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some batches are on disk: the database file has grown.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while size() < before + 64 * 1024 && std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::yield_now();
    }
    child.kill().ok(); // SIGKILL on Unix
    child.wait().unwrap();
    db.ok(&["check"]);
    let partial = db.json(&["account", "list"]).as_array().unwrap().len();
    assert!(partial <= rows, "{partial}");
    let summary = db.json(&[
        "import",
        &csv,
        "--entity",
        "accounts",
        "--batch-size",
        "200",
    ]);
    assert_eq!(
        summary["created"].as_u64().unwrap() as usize + partial,
        rows,
        "{summary}"
    );
    assert_eq!(
        db.json(&["account", "list"]).as_array().unwrap().len(),
        rows
    );
    db.ok(&["check"]);
}

#[test]
fn an_export_of_many_chunks_of_records_keeps_their_order_and_its_filter() {
    // More accounts than one chunk of records, so that the rows are written on several threads.
    let db = Db::new();
    let mut csv = String::from("Account Name,Account Number,Type\n");
    for n in 1..=1_300 {
        let kind = if n % 3 == 0 { "Partner" } else { "Customer" };
        csv.push_str(&format!("\"Company {n}, Ltd\",EXT-{n:05},{kind}\n"));
    }
    let source = file(&db, "accounts.csv");
    std::fs::write(&source, csv).unwrap();
    db.ok(&["import", &source, "--entity", "accounts"]);

    let out = file(&db, "out.csv");
    db.ok(&["export", "--entity", "accounts", "-o", &out]);
    let mut rows = csv::Reader::from_path(&out).unwrap();
    let headers = rows.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, name, kind) = (column("id"), column("name"), column("custom.Type"));
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1_300);
    for (n, row) in (1..).zip(&rows) {
        assert_eq!(row[id], format!("A-{n}"));
        assert_eq!(row[name], format!("Company {n}, Ltd"));
    }

    let partners = db.ok(&[
        "export",
        "--entity",
        "accounts",
        "--to",
        "csv",
        "--where",
        "custom.Type=Partner",
    ]);
    let partners: Vec<csv::StringRecord> = csv::Reader::from_reader(partners.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(partners.len(), 433);
    for (n, row) in (1..).map(|k| 3 * k).zip(&partners) {
        assert_eq!(row[id], format!("A-{n}"));
        assert_eq!(&row[kind], "Partner");
    }

    for to in ["jsonl", "json"] {
        let out = db.ok(&["export", "--entity", "accounts", "--to", to]);
        let values: Vec<Value> = if to == "jsonl" {
            out.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        } else {
            serde_json::from_str(&out).unwrap()
        };
        let ids: Vec<String> = values
            .iter()
            .map(|v| v["id"].as_str().unwrap().into())
            .collect();
        let expected: Vec<String> = (1..=1_300).map(|n| format!("A-{n}")).collect();
        assert_eq!(ids, expected, "{to}");
    }
}

#[cfg(unix)]
#[test]
fn a_dump_to_a_pipe_is_written_into_it_and_leaves_it_a_pipe() {
    use std::os::unix::fs::FileTypeExt;
    let db = Db::new();
    demo(&db);
    let pipe = db.dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    let reading = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(&pipe).unwrap())
    };
    db.ok(&["export", "--all", "-o", pipe.to_str().unwrap()]);
    // Checked before the reader is waited for: a pipe renamed over would leave it waiting.
    assert!(
        std::fs::metadata(&pipe).unwrap().file_type().is_fifo(),
        "the pipe was replaced by a file"
    );
    assert!(!db.dir.path().join("pipe.partial").exists());
    let dump = reading.join().unwrap();
    assert!(
        dump.starts_with("{\"rapport\":"),
        "{}",
        &dump[..80.min(dump.len())]
    );
    assert!(dump.trim_end().ends_with('}') && dump.lines().count() > 100);
}
