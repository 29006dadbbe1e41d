//! The storage contract: one story of writes and reads, run against every backend, so that a
//! future backend inherits the same expectations.

use rapport::domain::audit;
use rapport::domain::record::{Account, Contact, Meta};
use rapport::domain::{Id, Kind, Record};
use rapport::store::OpenWork;
use rapport::store::memory::MemoryStore;
use rapport::store::{AuditQuery, Commit, Index, IndexScan, Store};

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn account(store: &dyn Store, name: &str, email: &str) -> Account {
    let id = store.allocate(Kind::Account).unwrap();
    let mut a = Account::new(
        Meta::new(id, "ann", at("2026-01-01T00:00:00Z")),
        name.into(),
    );
    a.emails = vec![email.into()];
    a
}

fn story(store: &dyn Store) {
    // Ids come from per-kind counters.
    let acme = account(store, "Acme", "info@acme.example");
    let beta = account(store, "Beta", "hello@beta.example");
    assert_eq!((acme.meta.id.number, beta.meta.id.number), (1, 2));
    let contact_id = store.allocate(Kind::Contact).unwrap();
    assert_eq!(contact_id.number, 1, "counters are per kind");

    // One commit writes records, index entries, search documents and audit entries.
    let contact = Contact::new(
        Meta::new(contact_id, "ann", at("2026-01-01T00:00:00Z")),
        acme.meta.id,
        "Ann".into(),
    );
    let written = store
        .commit(
            Commit::new("ann", at("2026-01-01T00:00:00Z"))
                .put(acme.clone())
                .put(beta.clone())
                .put(contact.clone()),
        )
        .unwrap();
    assert_eq!(written, [1, 2, 3]);
    assert_eq!(
        store.get(acme.meta.id).unwrap(),
        Some(Record::Account(acme.clone()))
    );
    assert_eq!(store.scan(Kind::Account).count(), 2);
    let by_email = store
        .ids(&IndexScan::exact(Index::AccountEmail, "info@acme.example"))
        .unwrap();
    assert_eq!(by_email, [acme.meta.id]);
    let contacts = store
        .ids(&IndexScan::exact(
            Index::ContactAccount,
            acme.meta.id.to_string(),
        ))
        .unwrap();
    assert_eq!(contacts, [contact_id]);
    assert_eq!(store.search_documents().count(), 3);

    // A put that changes nothing writes nothing.
    assert!(
        store
            .commit(Commit::new("ann", at("2026-01-02T00:00:00Z")).put(acme.clone()))
            .unwrap()
            .is_empty()
    );

    // An update moves index entries.
    let mut renamed = acme.clone();
    renamed.emails = vec!["sales@acme.example".into()];
    store
        .commit(Commit::new("bo", at("2026-01-03T00:00:00Z")).put(renamed))
        .unwrap();
    assert!(
        store
            .ids(&IndexScan::exact(Index::AccountEmail, "info@acme.example"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .ids(&IndexScan::exact(Index::AccountEmail, "sales@acme.example"))
            .unwrap(),
        [acme.meta.id]
    );

    // Names sort, prefixes and limits apply, reverse scans reverse.
    let names = store
        .ids(&IndexScan::prefix(Index::AccountName, ""))
        .unwrap();
    assert_eq!(names, [acme.meta.id, beta.meta.id]);
    let last = store
        .ids(
            &IndexScan::prefix(Index::AccountName, "")
                .newest_first()
                .limit(1),
        )
        .unwrap();
    assert_eq!(last, [beta.meta.id]);

    // A delete removes the record, its index entries and its search document.
    store
        .commit(Commit::new("ann", at("2026-01-04T00:00:00Z")).delete(beta.meta.id))
        .unwrap();
    assert_eq!(store.get(beta.meta.id).unwrap(), None);
    assert!(
        store
            .ids(&IndexScan::exact(Index::AccountEmail, "hello@beta.example"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.search_documents().count(), 2);
    assert_eq!(
        store.allocate(Kind::Account).unwrap(),
        Id::new(Kind::Account, 3),
        "numbers are never reused"
    );

    // The audit log answers per record, per user and since a time.
    let of_acme = store
        .audit(&AuditQuery {
            record: Some(acme.meta.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(of_acme.len(), 2);
    assert_eq!(of_acme[1].changes[0].field, "emails");
    let by_bo = store
        .audit(&AuditQuery {
            user: Some("bo".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_bo.len(), 1);
    let by_ann = store
        .audit(&AuditQuery {
            user: Some("ANN".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        by_ann.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 5],
        "a commit of three records and a later delete, by a user named in any case"
    );
    let since = store
        .audit(&AuditQuery {
            since: Some(at("2026-01-03T00:00:00Z")),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(since.len(), 2);
    assert_eq!(store.audit(&AuditQuery::default()).unwrap().len(), 5);

    // A creation's entry lists every field the record was created with, from nothing, however
    // it changed since or whether it is gone, by whichever way the log is read.
    let as_created = |a: &Account| audit::diff(None, Some(&Record::Account(a.clone()).to_json()));
    let history = |id: Id| {
        store
            .audit(&AuditQuery {
                record: Some(id),
                ..Default::default()
            })
            .unwrap()
    };
    assert_eq!(history(acme.meta.id)[0].changes, as_created(&acme));
    let beta_history = history(beta.meta.id);
    assert_eq!(beta_history.len(), 2, "created, then deleted");
    assert_eq!(beta_history[0].changes, as_created(&beta));
    assert_eq!(by_ann[0], history(acme.meta.id)[0]);
    assert_eq!(
        store.audit(&AuditQuery::default()).unwrap()[1],
        beta_history[0]
    );

    // A block of ids for a bulk load: its unused end is given back while nothing was reserved
    // after it, and stays spent once something was.
    let block = store.allocate_block(Kind::Account, 10).unwrap();
    assert_eq!(block, 4..14);
    store.release_block(Kind::Account, 6..14).unwrap();
    assert_eq!(store.allocate(Kind::Account).unwrap().number, 6, "no gap");
    let block = store.allocate_block(Kind::Account, 5).unwrap();
    assert_eq!(block, 7..12);
    assert_eq!(store.allocate(Kind::Account).unwrap().number, 12);
    store.release_block(Kind::Account, 9..12).unwrap();
    assert_eq!(
        store.allocate(Kind::Account).unwrap().number,
        13,
        "numbers reserved after the block keep the block's end spent"
    );
    assert_eq!(store.check().unwrap(), Vec::<String>::new());

    // The custom fields a kind's records carry, for the columns of an export.
    let mut custom = account(store, "Gamma", "gamma@example.com");
    custom.meta.custom.insert("Region".into(), "EU".into());
    custom.meta.custom.insert("Tier".into(), "1".into());
    store
        .commit(Commit::new("ann", at("2026-01-05T00:00:00Z")).put(custom))
        .unwrap();
    let names: Vec<String> = store
        .custom_field_names(Kind::Account)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(names, ["Region", "Tier"]);
    assert!(store.custom_field_names(Kind::Contact).unwrap().is_empty());

    // A list that grew is written as its new items, and undone as such.
    let mut tagged = account(store, "Delta", "delta@example.com");
    tagged.tags = vec!["vip".into()];
    let mut grown = tagged.clone();
    grown.tags.push("eu".into());
    grown.segment = Some("smb".into());
    store
        .commit(
            Commit::new("ann", at("2026-01-06T00:00:00Z"))
                .put(tagged.clone())
                .put(grown),
        )
        .unwrap();
    let delta = history(tagged.meta.id);
    let fields: Vec<&str> = delta[1].changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["segment", "tags[1]"]);
    assert_eq!(delta[0].changes, as_created(&tagged));
}

#[test]
fn check_reports_an_audit_entry_the_by_user_index_misses() {
    use rapport::store::kv::Kv;
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    let (a, b) = (
        account(&store, "Acme", "info@acme.example"),
        account(&store, "Beta", "hello@beta.example"),
    );
    store
        .commit(Commit::new("ann", at("2026-01-01T00:00:00Z")).put(a).put(b))
        .unwrap();
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    // One by-user entry covers the commit's two audit entries: replace it by one for the first.
    let (run, _) = rapport::store::layout::audit_user_run("ann", 1, 2);
    let (single, none) = rapport::store::layout::audit_user_run("ann", 1, 1);
    store
        .kv()
        .transact(&|txn| {
            txn.remove(&run)?;
            txn.insert(&single, &none)
        })
        .unwrap();
    assert_eq!(
        store.check().unwrap(),
        ["audit entry 2 is missing from the by-user index"]
    );
}

#[test]
fn check_reports_a_missing_index_entry_and_one_that_points_at_nothing() {
    use rapport::store::kv::Kv;
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    let made = accounts(&store, 0..20);
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    let needed = rapport::store::layout::index_keys(&Record::Account(made[3].clone()));
    let gone = needed
        .iter()
        .find(|k| k.starts_with(b"x:account.email\0"))
        .unwrap()
        .clone();
    store
        .kv()
        .transact(&|txn| {
            txn.remove(&gone)?;
            txn.insert(b"x:account.email\0stray@x.example\0A-999", &[])
        })
        .unwrap();
    let problems = store.check().unwrap();
    assert_eq!(
        problems,
        [
            "index entry x:account.email / stray@x.example / A-999 points at nothing that needs it",
            "missing index entry x:account.email / 3@x.example / A-4",
        ]
    );
}

#[test]
fn check_reports_audit_entries_that_no_run_of_the_log_names() {
    use rapport::store::kv::Kv;
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    let a = account(&store, "Acme", "info@acme.example");
    let id = a.meta.id;
    store
        .commit(Commit::new("ann", at("2026-01-01T00:00:00Z")).put(a))
        .unwrap();
    store
        .kv()
        .transact(&|txn| txn.remove(&rapport::store::layout::audit_key(1)))
        .unwrap();
    assert_eq!(
        store.check().unwrap(),
        ["audit entry 1 is in no run of the log"]
    );
    // The entry is still found under its record; the log in order no longer lists it.
    let of_record = AuditQuery {
        record: Some(id),
        ..Default::default()
    };
    assert_eq!(store.audit(&of_record).unwrap().len(), 1);
    assert!(store.audit(&AuditQuery::default()).unwrap().is_empty());
}

#[test]
fn memory_store_keeps_the_contract() {
    story(&MemoryStore::empty());
}

#[test]
fn sled_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    story(&rapport::store::sled::open(&dir.path().join("db")).unwrap());
}

#[test]
fn sled_store_keeps_everything_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let id = {
        let store = rapport::store::sled::open(&path).unwrap();
        let a = account(&store, "Acme", "info@acme.example");
        store
            .commit(Commit::new("ann", at("2026-01-01T00:00:00Z")).put(a.clone()))
            .unwrap();
        a.meta.id
    };
    let store = rapport::store::sled::open(&path).unwrap();
    assert!(store.get(id).unwrap().is_some());
    assert_eq!(store.audit(&AuditQuery::default()).unwrap().len(), 1);
    assert_eq!(store.allocate(Kind::Account).unwrap().number, 2);
}

#[test]
fn a_second_open_of_the_same_database_is_refused_as_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let _first = rapport::store::sled::open(&path).unwrap();
    let second = rapport::store::sled::open(&path);
    assert!(matches!(
        second,
        Err(rapport::store::StoreError::InUse { .. })
    ));
}

#[test]
fn a_database_closed_a_moment_ago_opens_again_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    for n in 0..20 {
        let store = rapport::store::sled::open(&path)
            .unwrap_or_else(|e| panic!("open number {n} after a close: {e}"));
        store.allocate(Kind::Account).unwrap();
    }
}

/// Accounts `from..to` named `Acc <n>` with the email `<n>@x.example`, in one commit.
fn accounts(store: &dyn Store, n: std::ops::Range<u64>) -> Vec<Account> {
    let made: Vec<Account> = n
        .map(|n| account(store, &format!("Acc {n:03}"), &format!("{n}@x.example")))
        .collect();
    let mut commit = Commit::new("ann", at("2026-01-01T00:00:00Z"));
    for a in &made {
        commit = commit.put(a.clone());
    }
    store.commit(commit).unwrap();
    made
}

fn by_email(store: &dyn Store, email: &str) -> Vec<Id> {
    store
        .ids(&IndexScan::exact(Index::AccountEmail, email))
        .unwrap()
}

fn by_name(store: &dyn Store, newest_first: bool) -> Vec<Id> {
    let scan = IndexScan::prefix(Index::AccountName, "acc");
    let scan = if newest_first {
        scan.newest_first()
    } else {
        scan
    };
    store.ids(&scan).unwrap()
}

#[test]
fn index_entries_stay_in_step_through_bulk_loads_writes_deletes_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let mut expected_names: Vec<Id>;
    {
        let store = rapport::store::sled::open(&path).unwrap();
        store.begin_bulk().unwrap();
        let made = accounts(&store, 0..300);
        // Within the load, its entries are read back, changed and removed.
        assert_eq!(by_email(&store, "7@x.example"), [made[7].meta.id]);
        let mut changed = made[5].clone();
        changed.emails = vec!["five@x.example".into()];
        store
            .commit(
                Commit::new("ann", at("2026-01-02T00:00:00Z"))
                    .put(changed)
                    .delete(made[6].meta.id),
            )
            .unwrap();
        assert!(by_email(&store, "5@x.example").is_empty());
        assert_eq!(by_email(&store, "five@x.example"), [made[5].meta.id]);
        assert!(by_email(&store, "6@x.example").is_empty());
        store.end_bulk().unwrap();
        let (files, tombstones, delta) = store.kv().entries_layout();
        assert_eq!((files, tombstones, delta), (vec!["entries-0".into()], 0, 0));
        assert_eq!(store.check().unwrap(), Vec::<String>::new());

        // One commit at a time: entries on file are removed by tombstones, new ones go to sled.
        let mut moved = made[7].clone();
        moved.emails = vec!["seven@x.example".into()];
        store
            .commit(
                Commit::new("ann", at("2026-01-03T00:00:00Z"))
                    .put(moved)
                    .delete(made[8].meta.id),
            )
            .unwrap();
        let extra = accounts(&store, 300..301);
        assert!(by_email(&store, "7@x.example").is_empty());
        assert_eq!(by_email(&store, "seven@x.example"), [made[7].meta.id]);
        assert!(by_email(&store, "8@x.example").is_empty());
        assert_eq!(by_email(&store, "300@x.example"), [extra[0].meta.id]);
        let (_, tombstones, delta) = store.kv().entries_layout();
        assert!(tombstones >= 2 && delta >= 2, "{tombstones} {delta}");
        // Entries back as they were on file lose their tombstones.
        let mut back = made[7].clone();
        back.emails = vec!["7@x.example".into()];
        store
            .commit(Commit::new("ann", at("2026-01-04T00:00:00Z")).put(back))
            .unwrap();
        assert_eq!(by_email(&store, "7@x.example"), [made[7].meta.id]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());

        expected_names = made
            .iter()
            .chain(&extra)
            .map(|a| a.meta.id)
            .filter(|id| ![made[6].meta.id, made[8].meta.id].contains(id))
            .collect();
        assert_eq!(by_name(&store, false), expected_names);
    }
    let store = rapport::store::sled::open(&path).unwrap();
    assert_eq!(by_name(&store, false), expected_names);
    expected_names.reverse();
    assert_eq!(by_name(&store, true), expected_names);
    assert_eq!(by_email(&store, "seven@x.example"), Vec::<Id>::new());
    assert_eq!(store.check().unwrap(), Vec::<String>::new());

    // A small load beside a large file goes to sled; a large one makes a new file.
    store.begin_bulk().unwrap();
    let small = accounts(&store, 301..303);
    store.end_bulk().unwrap();
    assert_eq!(store.kv().entries_layout().0, ["entries-0"]);
    assert_eq!(by_email(&store, "302@x.example"), [small[1].meta.id]);
    store.begin_bulk().unwrap();
    accounts(&store, 303..700);
    store.end_bulk().unwrap();
    assert_eq!(
        store.kv().entries_layout(),
        (vec!["entries-1".into()], 0, 0)
    );
    assert_eq!(by_email(&store, "302@x.example"), [small[1].meta.id]);
    assert_eq!(by_name(&store, false).len(), expected_names.len() + 399);
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

/// Opens the database at `path`, with the long work the open told of.
fn open_telling(path: &std::path::Path) -> (rapport::store::sled::SledStore, Vec<OpenWork>) {
    let told = std::cell::RefCell::new(Vec::new());
    let store =
        rapport::store::sled::open_telling(path, &|work| told.borrow_mut().push(work)).unwrap();
    (store, told.into_inner())
}

#[test]
fn a_bulk_load_cut_short_is_finished_from_its_log_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let made = {
        let store = rapport::store::sled::open(&path).unwrap();
        store.begin_bulk().unwrap();
        let made = accounts(&store, 0..50);
        store.end_bulk().unwrap();
        store.begin_bulk().unwrap();
        let more = accounts(&store, 50..120);
        // The process dies: what the load sorted aside is lost with it, its log is not.
        store.kv().abandon_bulk();
        made.into_iter().chain(more).collect::<Vec<_>>()
    };
    std::fs::write(path.join("entries-bulk-3"), b"left by a crash").unwrap();
    {
        let (store, told) = open_telling(&path);
        assert_eq!(told, [OpenWork::FinishingBulkLoad], "said before the wait");
        assert_eq!(
            store.kv().entries_layout(),
            (vec!["entries-1".into()], 0, 0)
        );
        assert_eq!(store.kv().records_in_sled(), 0, "all in the file");
        assert_eq!(by_email(&store, "99@x.example"), [made[99].meta.id]);
        assert_eq!(by_name(&store, false).len(), 120);
        assert_eq!(
            store.get(made[119].meta.id).unwrap(),
            Some(Record::Account(made[119].clone()))
        );
        assert_eq!(store.audit(&Default::default()).unwrap().len(), 120);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }
    assert_eq!(open_telling(&path).1, [], "nothing to wait for");
    {
        // A crash between a fold and its clean-up leaves entries in sled that are on file too,
        // and tombstones of entries that are not.
        use rapport::store::kv::Kv;
        let store = rapport::store::sled::open(&path).unwrap();
        let on_file = rapport::store::layout::index_keys(&Record::Account(made[4].clone()));
        store
            .kv()
            .transact(&|txn| {
                for key in &on_file {
                    txn.insert(key, &[])?;
                }
                txn.insert(b"y:account.email\0gone@x.example\0A-1", &[])?;
                txn.insert(b"m:entries.cleanup", &[])
            })
            .unwrap();
    }
    {
        let store = rapport::store::sled::open(&path).unwrap();
        assert_eq!(
            store.kv().entries_layout(),
            (vec!["entries-1".into()], 0, 0)
        );
        assert_eq!(by_email(&store, "4@x.example"), [made[4].meta.id]);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }
    // The file holds the records: damaged, it is refused, by name, not rebuilt.
    let file = path.join("entries-1");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();
    let refused = rapport::store::sled::open(&path)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        refused.contains("entries-1") && refused.contains("backup"),
        "{refused}"
    );
}

#[test]
fn a_lost_file_of_index_entries_only_is_rebuilt_and_takes_the_records_in() {
    use rapport::store::kv::Kv;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let made = {
        let store = rapport::store::sled::open(&path).unwrap();
        // Written one commit at a time, the records stay in sled, with no file; a file of
        // entries of an older layout is named as the database's, as schema 5 left it.
        let made = accounts(&store, 0..30);
        store
            .kv()
            .transact(&|txn| txn.insert(b"m:entries", &0u64.to_be_bytes()))
            .unwrap();
        std::fs::write(path.join("entries-0"), b"rapport index entries 1\n...").unwrap();
        assert!(store.kv().records_in_sled() >= 60);
        made
    };
    let (store, told) = open_telling(&path);
    assert_eq!(told, [OpenWork::RebuildingEntries]);
    assert_eq!(
        store.kv().entries_layout(),
        (vec!["entries-1".into()], 0, 0)
    );
    assert_eq!(
        store.kv().records_in_sled(),
        0,
        "the records moved into the file"
    );
    assert_eq!(by_email(&store, "29@x.example"), [made[29].meta.id]);
    assert_eq!(
        store.get(made[3].meta.id).unwrap(),
        Some(Record::Account(made[3].clone()))
    );
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

#[test]
fn records_in_the_file_are_changed_and_deleted_through_sled_and_fold_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = rapport::store::sled::open(&path).unwrap();
    store.begin_bulk().unwrap();
    let made = accounts(&store, 0..40);
    store.end_bulk().unwrap();
    assert_eq!(store.kv().records_in_sled(), 0);
    let mut changed = made[5].clone();
    changed.name = "Renamed after the import".into();
    store
        .commit(Commit::new("ann", at("2026-02-01T00:00:00Z")).put(changed.clone()))
        .unwrap();
    store
        .commit(Commit::new("ann", at("2026-02-01T00:00:00Z")).delete(made[6].meta.id))
        .unwrap();
    let check = |store: &rapport::store::sled::SledStore| {
        assert_eq!(
            store.get(made[5].meta.id).unwrap(),
            Some(Record::Account(changed.clone()))
        );
        assert_eq!(store.get(made[6].meta.id).unwrap(), None);
        assert_eq!(
            store.get(made[7].meta.id).unwrap(),
            Some(Record::Account(made[7].clone()))
        );
        assert_eq!(store.scan(Kind::Account).count(), 39);
        let history = store
            .audit(&AuditQuery {
                record: Some(made[5].meta.id),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(history.len(), 2, "the creation on file, the change in sled");
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    };
    check(&store);
    assert!(
        store.kv().records_in_sled() >= 3,
        "the change, its audit entry, a tombstone"
    );
    drop(store);
    let store = rapport::store::sled::open(&path).unwrap();
    check(&store);
    // A large load folds what sled holds into a new file.
    store.begin_bulk().unwrap();
    accounts(&store, 40..400);
    store.end_bulk().unwrap();
    assert_eq!(store.kv().records_in_sled(), 0);
    assert_eq!(store.scan(Kind::Account).count(), 399);
    assert_eq!(
        store.get(made[5].meta.id).unwrap(),
        Some(Record::Account(changed.clone()))
    );
    assert_eq!(store.get(made[6].meta.id).unwrap(), None);
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

#[test]
fn the_contract_holds_within_a_bulk_load() {
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    store.begin_bulk().unwrap();
    story(&store);
    store.end_bulk().unwrap();
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    let memory = MemoryStore::empty();
    memory.begin_bulk().unwrap();
    story(&memory);
    memory.end_bulk().unwrap();
}

fn custom_fields_are_counted_as_records_gain_and_lose_them(store: &dyn Store) {
    let mut a = account(store, "Acme", "info@acme.example");
    a.meta.custom.insert("Region".into(), "North".into());
    a.meta.custom.insert("Tier".into(), "gold".into());
    let mut b = account(store, "Beta", "hello@beta.example");
    b.meta.custom.insert("Tier".into(), "silver".into());
    let day = at("2026-01-01T00:00:00Z");
    store
        .commit(Commit::new("ann", day).put(a.clone()).put(b.clone()))
        .unwrap();
    let names = |store: &dyn Store| -> Vec<String> {
        store
            .custom_field_names(Kind::Account)
            .unwrap()
            .into_iter()
            .collect()
    };
    assert_eq!(names(store), ["Region", "Tier"]);
    assert!(store.custom_field_names(Kind::Contact).unwrap().is_empty());
    a.meta.custom.remove("Region");
    store
        .commit(Commit::new("ann", day).put(a.clone()))
        .unwrap();
    assert_eq!(names(store), ["Tier"]);
    store
        .commit(Commit::new("ann", day).delete(b.meta.id))
        .unwrap();
    assert_eq!(names(store), ["Tier"], "Acme still has one");
    a.meta.custom.clear();
    store.commit(Commit::new("ann", day).put(a)).unwrap();
    assert!(names(store).is_empty());
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

#[test]
fn custom_fields_are_counted_in_memory_and_on_disk() {
    custom_fields_are_counted_as_records_gain_and_lose_them(&MemoryStore::empty());
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    custom_fields_are_counted_as_records_gain_and_lose_them(&store);
}

#[test]
fn entries_left_in_sled_by_an_older_schema_move_to_the_file_a_chunk_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = rapport::store::sled::open(&path).unwrap();
    // Written one commit at a time, as schema 4 kept them all: in sled.
    let made = accounts(&store, 0..5200);
    let (files, tombstones, delta) = store.kv().entries_layout();
    assert_eq!((files.len(), tombstones), (0, 0));
    assert!(delta > 10_000, "{delta} entries, more than one chunk");
    store.begin_bulk().unwrap();
    accounts(&store, 5200..5201);
    store.end_bulk().unwrap();
    assert_eq!(
        store.kv().entries_layout(),
        (vec!["entries-0".into()], 0, 0)
    );
    assert_eq!(by_email(&store, "5199@x.example"), [made[5199].meta.id]);
    assert_eq!(by_name(&store, false).len(), 5201);
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

/// The names of the records a written scan gives, one line each, and how many it counted.
fn written_names(store: &dyn Store) -> (String, usize, Option<String>) {
    let write: rapport::store::ChunkWriter = std::sync::Arc::new(|records, bytes| {
        for record in records {
            let Record::Account(a) = record else {
                panic!("not an account")
            };
            bytes.extend_from_slice(format!("{}\n", a.name).as_bytes());
        }
        records.len()
    });
    let (mut text, mut counted, mut failed) = (String::new(), 0, None);
    for chunk in store.scan_written(Kind::Account, write) {
        match chunk {
            Ok(chunk) => {
                assert!(failed.is_none(), "nothing after an error");
                text.push_str(std::str::from_utf8(&chunk.bytes).unwrap());
                counted += chunk.records;
            }
            Err(e) => failed = Some(e.to_string()),
        }
    }
    (text, counted, failed)
}

#[test]
fn a_written_scan_gives_every_record_in_order_and_stops_at_one_that_cannot_be_read() {
    use rapport::store::kv::Kv;
    let dir = tempfile::tempdir().unwrap();
    let store = rapport::store::sled::open(&dir.path().join("db")).unwrap();
    // Several chunks of 512, so that more than one thread writes them.
    let made = accounts(&store, 0..3000);
    let names: String = made.iter().map(|a| format!("{}\n", a.name)).collect();
    assert_eq!(written_names(&store), (names.clone(), 3000, None));
    let plain: Vec<String> = store
        .scan(Kind::Account)
        .map(|r| match r.unwrap() {
            Record::Account(a) => format!("{}\n", a.name),
            _ => panic!("not an account"),
        })
        .collect();
    assert_eq!(plain.concat(), names);

    let bad = made[2100].meta.id;
    store
        .kv()
        .transact(&|txn| txn.insert(&rapport::store::layout::record_key(bad), b"\x02{"))
        .unwrap();
    let (text, counted, failed) = written_names(&store);
    let before: String = made[..2100]
        .iter()
        .map(|a| format!("{}\n", a.name))
        .collect();
    assert_eq!((text, counted), (before, 2100));
    let failed = failed.expect("the unreadable record's error");
    assert!(
        failed.contains("record shorter than its header"),
        "{failed}"
    );
    let read: Vec<bool> = store.scan(Kind::Account).map(|r| r.is_ok()).collect();
    let unread: Vec<usize> = (0..read.len()).filter(|i| !read[*i]).collect();
    assert_eq!(
        unread,
        [2100],
        "the plain scan gives the error in its place"
    );
}
