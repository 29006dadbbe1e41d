//! The search index's file beside the database stays in step with the records: after writes,
//! imports, deletes and a crash it is caught up (or rebuilt) on open, and a missing, damaged or
//! foreign file is rebuilt. Every index opened is checked against one built from the store's
//! documents. A closed database is searched from its file alone, as its records say.

use rapport::domain::{Id, Kind};
use rapport::ops::{AccountDraft, CallLog, ContactDraft, Entity, ImportOptions, Ops, SourceRow};
use rapport::search::keys::Shown;
use rapport::search::snapshot::{self, FILE, Source};
use rapport::search::{Hit, SearchIndex};
use rapport::store::Store;
use rapport::store::sled::{SledStore, open};
use std::path::Path;

const QUERIES: &[&str] = &[
    "acme",
    "zhang",
    "zw",
    "ivanov",
    "5550",
    "north",
    "a-2",
    "lee",
    "globex",
    "x",
    "imported 4",
    "5552",
    "olga",
];

fn ops(store: &SledStore) -> Ops<'_> {
    Ops::new(store, "ann", "2026-03-01T09:00:00Z".parse().unwrap())
}

fn account(ops: &Ops, name: &str, phone: &str) -> Id {
    ops.add_account(AccountDraft {
        name: name.into(),
        phones: vec![phone.into()],
        ..Default::default()
    })
    .unwrap()
    .meta
    .id
}

fn seed(store: &SledStore) {
    let ops = ops(store);
    let acme = account(&ops, "Acme Ltd", "+1 415 555 0100");
    account(&ops, "张伟", "+86 138 0013 8000");
    account(&ops, "Иванов Пётр", "+7 495 555 0101");
    account(&ops, "Northwind Traders", "+44 20 7946 0958");
    ops.add_contact(ContactDraft {
        account: acme,
        name: "Ann Lee".into(),
        ..Default::default()
    })
    .unwrap();
}

/// What the ranking decides for each query (the account, its tier and score), and the recent
/// list: the same whichever way the index was made.
type Answers = Vec<Vec<(Id, u8, i64)>>;

fn answers(index: &SearchIndex) -> Answers {
    let mut out: Answers = QUERIES
        .iter()
        .map(|q| {
            index
                .query(q, 20)
                .into_iter()
                .map(|h| (h.account, h.tier, h.score))
                .collect()
        })
        .collect();
    out.push(index.recent(20).into_iter().map(|id| (id, 0, 0)).collect());
    out
}

fn opened(store: &SledStore) -> (Answers, Source) {
    let (index, source) = snapshot::open(store).unwrap();
    let fresh = SearchIndex::load(store).unwrap();
    assert_eq!(answers(&index), answers(&fresh), "opened {source:?}");
    (answers(&index), source)
}

fn file(db: &Path) -> std::path::PathBuf {
    db.join(FILE)
}

#[test]
fn a_missing_file_is_built_then_loaded_and_caught_up_after_writes_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = open(&db).unwrap();
    seed(&store);
    assert!(!file(&db).exists());
    assert_eq!(opened(&store).1, Source::Built);
    assert!(file(&db).exists());
    assert_eq!(opened(&store).1, Source::Loaded);

    let ops = ops(&store);
    let globex = account(&ops, "Globex", "+1 415 555 0199");
    ops.edit_account(
        Id::new(Kind::Account, 1),
        &[("name".into(), "Acme Holdings".into())],
    )
    .unwrap();
    ops.log(CallLog::call(Id::new(Kind::Account, 4))).unwrap();
    ops.delete_contact(Id::new(Kind::Contact, 1)).unwrap();
    ops.add_contact(ContactDraft {
        account: globex,
        name: "Ольга Смирнова".into(),
        ..Default::default()
    })
    .unwrap();
    ops.delete_account(Id::new(Kind::Account, 3)).unwrap();
    let (answers, source) = opened(&store);
    assert!(
        matches!(source, Source::CaughtUp(n) if n >= 5),
        "{source:?}"
    );
    assert_eq!(
        answers[QUERIES.iter().position(|q| *q == "globex").unwrap()][0].0,
        globex
    );
    assert!(answers[QUERIES.iter().position(|q| *q == "ivanov").unwrap()].is_empty());
    assert_eq!(
        answers[QUERIES.iter().position(|q| *q == "olga").unwrap()][0].0,
        globex
    );
    assert_eq!(
        answers.last().unwrap()[0].0,
        Id::new(Kind::Account, 4),
        "called last"
    );
    assert_eq!(opened(&store).1, Source::Loaded);
}

#[test]
fn an_import_and_a_merge_are_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = open(&db).unwrap();
    seed(&store);
    opened(&store);
    let ops = ops(&store);
    let rows = (1..=50).map(|n| {
        Ok(SourceRow {
            line: n + 1,
            original: None,
            fields: vec![
                ("name".into(), format!("Imported {n}")),
                ("company".into(), "Acme Ltd".into()),
                ("phones".into(), format!("+1 415 555 {:04}", 2000 + n)),
            ],
        })
    });
    let mut options = ImportOptions::new(Entity::Contacts);
    options.batch = 7;
    ops.import(rows, &options, |_| {}, |_| {}).unwrap();
    ops.merge_accounts(Id::new(Kind::Account, 1), Id::new(Kind::Account, 4))
        .unwrap();
    let (_, source) = opened(&store);
    assert!(
        matches!(source, Source::CaughtUp(n) if n >= 50),
        "{source:?}"
    );
}

#[test]
fn a_damaged_or_foreign_file_is_rebuilt_and_a_crash_mid_write_leaves_a_usable_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = open(&db).unwrap();
    seed(&store);
    opened(&store);
    let good = std::fs::read(file(&db)).unwrap();

    // Cut short, or garbage after a valid start: rebuilt.
    std::fs::write(file(&db), &good[..good.len() / 2]).unwrap();
    assert_eq!(opened(&store).1, Source::Built);
    let mut flipped = good.clone();
    let at = flipped.len() - 20;
    flipped[at] ^= 0xff;
    std::fs::write(file(&db), &flipped).unwrap();
    assert_eq!(opened(&store).1, Source::Built);
    std::fs::write(file(&db), b"not an index").unwrap();
    assert_eq!(opened(&store).1, Source::Built);
    // Written by a rapport of another layout (its first line names it): rebuilt.
    let line = good.iter().position(|b| *b == b'\n').unwrap();
    let mut older = good.clone();
    older[line - 1] -= 1;
    assert!(older.starts_with(b"rapport search index "));
    std::fs::write(file(&db), &older).unwrap();
    assert_eq!(opened(&store).1, Source::Built);

    // A crash while writing the next file: a half-written temporary beside the last good
    // file, and records written after it. The good file is caught up.
    std::fs::write(file(&db), &good).unwrap();
    std::fs::write(file(&db).with_extension("idx.tmp"), &good[..100]).unwrap();
    account(&ops(&store), "Written before the crash", "+1 415 555 0177");
    let (_, source) = opened(&store);
    assert_eq!(source, Source::CaughtUp(1));

    // A file from a database further along than this one (a restored copy): rebuilt.
    let other = dir.path().join("other");
    {
        let other_store = open(&other).unwrap();
        seed(&other_store);
        account(&ops(&other_store), "One more", "+1 415 555 0188");
        account(&ops(&other_store), "And another", "+1 415 555 0189");
        opened(&other_store);
    }
    drop(store);
    let store = open(&db).unwrap();
    std::fs::copy(file(&other), file(&db)).unwrap();
    let generation = store.generation().unwrap();
    assert!(generation < open_generation(&other), "the copy is ahead");
    assert_eq!(opened(&store).1, Source::Built);
}

fn open_generation(db: &Path) -> rapport::store::Generation {
    open(db).unwrap().generation().unwrap()
}

#[test]
fn a_restore_without_audit_entries_makes_the_file_stale() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let records = {
        let store = open(&source).unwrap();
        seed(&store);
        store
            .scan(Kind::Account)
            .chain(store.scan(Kind::Contact))
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let db = dir.path().join("db");
    let store = open(&db).unwrap();
    // A search on the empty database writes its (empty) file first.
    assert!(
        answers(&snapshot::open(&store).unwrap().0)
            .iter()
            .all(Vec::is_empty)
    );
    store
        .restore(&rapport::store::Restore {
            records,
            audit: Vec::new(),
            counters: vec![("A".into(), 4), ("C".into(), 1)],
        })
        .unwrap();
    let (answers, source) = opened(&store);
    assert_eq!(source, Source::Built);
    assert!(!answers[0].is_empty(), "the restored accounts are found");
}

#[test]
fn a_file_read_while_the_store_opened_is_caught_up_like_one_read_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let store = open(&db).unwrap();
    seed(&store);
    assert_eq!(opened(&store).1, Source::Built);
    let globex = account(&ops(&store), "Globex", "+1 415 555 0199");

    // Read the file (now one change behind), then open the index through it.
    let (index, source) = snapshot::Prefetch::start(&db).open(&store).unwrap();
    assert_eq!(source, Source::CaughtUp(1));
    assert_eq!(
        answers(&index),
        answers(&SearchIndex::load(&store).unwrap())
    );
    assert_eq!(index.query("globex", 1)[0].account, globex);

    // A file read from another directory is not taken for this store's.
    let other = dir.path().join("other");
    let (index, source) = snapshot::Prefetch::start(&other).open(&store).unwrap();
    assert_eq!(
        source,
        Source::Loaded,
        "this store's own file, current again"
    );
    assert_eq!(
        answers(&index),
        answers(&SearchIndex::load(&store).unwrap())
    );
}

/// What a search finds for each query, with what the store's records say of each account.
fn found_with_records(store: &SledStore) -> Vec<Vec<(Hit, Shown)>> {
    let index = SearchIndex::load(store).unwrap();
    QUERIES
        .iter()
        .map(|q| {
            index
                .query(q, 20)
                .into_iter()
                .map(|hit| {
                    let account = ops(store).account(hit.account).unwrap();
                    (hit, Shown::of(&account))
                })
                .collect()
        })
        .collect()
}

fn found_from_file(db: &Path) -> Option<Vec<Vec<(Hit, Shown)>>> {
    QUERIES
        .iter()
        .map(|q| snapshot::answer_closed(db, q, 20))
        .collect()
}

#[test]
fn a_closed_database_is_searched_from_its_file_alone_and_an_open_or_changed_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let expected = {
        let store = open(&db).unwrap();
        seed(&store);
        snapshot::open(&store).unwrap();
        assert!(found_from_file(&db).is_none(), "not while it is open");
        found_with_records(&store)
    };
    assert!(expected.iter().any(|found| !found.is_empty()));
    assert_eq!(found_from_file(&db), Some(expected), "closed at the file's");

    // A call changes what is shown of Acme: the file is behind until a search catches it up.
    let acme = Id::new(Kind::Account, 1);
    {
        let store = open(&db).unwrap();
        ops(&store).log(CallLog::call(acme)).unwrap();
    }
    assert!(found_from_file(&db).is_none(), "the file is behind");
    let expected = {
        let store = open(&db).unwrap();
        assert!(matches!(
            snapshot::open(&store).unwrap().1,
            Source::CaughtUp(_)
        ));
        found_with_records(&store)
    };
    let found = found_from_file(&db).unwrap();
    assert_eq!(found, expected);
    let acme_found = found.iter().flatten().find(|(hit, _)| hit.account == acme);
    assert!(acme_found.unwrap().1.last_contact_at.is_some());

    // A database left open by a crash says nothing of when it was closed.
    let store = open(&db).unwrap();
    std::mem::forget(store);
    assert!(rapport::store::sled::closed_at(&db).is_none());
    assert!(found_from_file(&db).is_none());
}
