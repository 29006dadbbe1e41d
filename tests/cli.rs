//! The command line as scripts use it: every subcommand, every output format and every
//! documented exit code, run as the built binary against a database in a temporary directory.

mod common;

use common::{Db, NOW};
use serde_json::Value;
use std::path::Path;

#[test]
fn add_prints_the_new_id_alone_and_json_prints_the_record() {
    let db = Db::new();
    assert_eq!(db.add(&["account", "add", "--name", "Acme"]), "A-1");
    let rec = db.json(&[
        "account",
        "add",
        "--name",
        "Beta",
        "--phone",
        "+1 415 555 0100",
    ]);
    assert_eq!(rec["id"], "A-2");
    assert_eq!(rec["name"], "Beta");
    assert_eq!(rec["created_by"], "ann");
    assert_eq!(rec["created_at"], NOW);
    assert_eq!(rec["phones"][0]["e164"], "+14155550100");
}

#[test]
fn accounts_round_trip_through_every_field_and_custom_fields() {
    let db = Db::new();
    let id = db.add(&[
        "account",
        "add",
        "--name",
        "Acme Ltd",
        "--kind",
        "organisation",
        "--tag",
        "vip",
        "--email",
        "info@acme.example",
        "--set",
        "city=Leeds",
        "--set",
        "custom.tier=gold",
        "--set",
        "relationship=customer",
    ]);
    let rec = db.json(&["account", "show", &id]);
    assert_eq!(rec["address"]["city"], "Leeds");
    assert_eq!(rec["custom"]["tier"], "gold");
    assert_eq!(rec["relationship"], "customer");
    assert_eq!(rec["tags"][0], "vip");
    let edited = db.json(&[
        "account",
        "edit",
        &id,
        "--set",
        "segment=smb",
        "--set",
        "tags=",
    ]);
    assert_eq!(edited["segment"], "smb");
    assert_eq!(edited["tags"], Value::Array(vec![]));
}

#[test]
fn lists_are_sorted_and_every_format_agrees() {
    let db = Db::new();
    for name in ["delta", "Alpha", "charlie"] {
        db.add(&["account", "add", "--name", name]);
    }
    let names: Vec<String> = db
        .json(&["account", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Alpha", "charlie", "delta"]);
    let jsonl = db.ok(&["account", "list", "--format", "jsonl"]);
    assert_eq!(jsonl.lines().count(), 3);
    let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["name"], "Alpha");
    let csv = db.ok(&["account", "list", "--format", "csv"]);
    assert!(csv.starts_with("id,created_at,"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    let table = db.ok(&["account", "list"]);
    assert!(table.lines().next().unwrap().contains("NAME"));
    assert!(table.find("Alpha").unwrap() < table.find("delta").unwrap());
}

#[test]
fn tables_fit_the_terminal_width() {
    let db = Db::new();
    db.add(&[
        "account",
        "add",
        "--name",
        &"Very long account name ".repeat(8),
        "--email",
        "someone.with.a.long.address@example.com",
    ]);
    let out = db
        .cmd(&["account", "list"])
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(unicode_width(line) <= 60, "line wider than 60: {line:?}");
    }
}

fn unicode_width(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn contacts_belong_to_accounts() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    let c = db.add(&[
        "contact",
        "add",
        "--account",
        &a,
        "--name",
        "Ann Lee",
        "--title",
        "CFO",
        "--email",
        "ann@acme.example",
    ]);
    assert_eq!(c, "C-1");
    let list = db.json(&["contact", "list", "--account", &a]);
    assert_eq!(list[0]["name"], "Ann Lee");
    assert_eq!(list[0]["account"], "A-1");
    let edited = db.json(&["contact", "edit", &c, "--set", "decision_maker=yes"]);
    assert_eq!(edited["decision_maker"], true);
    db.fails(
        &["contact", "add", "--account", "A-9", "--name", "Nobody"],
        3,
    );
    db.ok(&["contact", "delete", &c]);
    db.fails(&["contact", "show", &c], 3);
}

#[test]
fn a_logged_call_is_in_the_history_newest_first() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    db.ok(&[
        "log",
        "--account",
        &a,
        "--started-at",
        "2026-03-01T09:00:00Z",
        "--duration",
        "90s",
    ]);
    let i = db.json(&[
        "log",
        "--account",
        &a,
        "--channel",
        "call",
        "--direction",
        "inbound",
        "--duration",
        "4m30s",
        "--outcome",
        "resolved",
        "--notes",
        "Refund explained",
    ]);
    assert_eq!(i["duration"], 270);
    assert_eq!(
        i["started_at"], "2026-03-02T09:55:30Z",
        "now less the duration"
    );
    let history = db.json(&["history", &a]);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[0]["id"], "I-2");
    assert_eq!(history[0]["notes"], "Refund explained");
    assert_eq!(
        db.json(&["account", "show", &a])["last_contact_at"],
        "2026-03-02T09:55:30Z"
    );
    assert_eq!(
        db.json(&["history", &a, "--limit", "1"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn durations_in_every_documented_form() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    for (text, secs) in [
        ("4m30s", 270),
        ("90s", 90),
        ("1h5m", 3900),
        ("00:04:30", 270),
    ] {
        assert_eq!(
            db.json(&["log", "--account", &a, "--duration", text])["duration"],
            secs,
            "{text}"
        );
    }
    let err = db.fails(&["log", "--account", &a, "--duration", "4 minutes"], 4);
    assert!(err.contains("duration") && err.contains("4m30s"), "{err}");
}

#[test]
fn the_ticket_workflow_from_the_command_line() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    let t = db.add(&[
        "ticket",
        "new",
        "--account",
        &a,
        "--subject",
        "Invoice wrong",
        "--priority",
        "high",
        "--queue",
        "billing",
    ]);
    assert_eq!(t, "T-1");
    db.ok(&["ticket", "open", &t]);
    db.ok(&[
        "ticket",
        "assign",
        &t,
        "--to",
        "bo",
        "--note",
        "billing expert",
    ]);
    db.ok(&["ticket", "comment", &t, "Called back"]);
    db.ok(&["ticket", "hold", &t, "--note", "waiting for invoice copy"]);
    db.ok(&["ticket", "open", &t]);
    db.ok(&["ticket", "escalate", &t, "--note", "needs tier 2"]);
    db.ok(&["ticket", "resolve", &t]);
    db.ok(&["ticket", "csat", &t, "--score", "5", "--comment", "quick"]);
    db.ok(&["ticket", "close", &t]);
    db.ok(&["ticket", "reopen", &t, "--note", "called again"]);
    let ticket = db.json(&["ticket", "show", &t]);
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["assignee"], "bo");
    assert_eq!(ticket["csat"]["score"], 5);
    let kinds: Vec<&str> = ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created", "status", "assigned", "comment", "status", "status", "status", "status",
            "csat", "status", "status"
        ]
    );
    let escalation = &ticket["events"][6];
    assert_eq!(
        (escalation["from"].as_str(), escalation["to"].as_str()),
        (Some("open"), Some("escalated"))
    );
    assert_eq!(escalation["note"], "needs tier 2");
    assert_eq!(escalation["by"], "ann");
    assert_eq!(escalation["at"], NOW);
}

#[test]
fn illegal_transition_exits_4_naming_the_state_and_the_legal_steps() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    let t = db.add(&["ticket", "new", "--account", &a, "--subject", "x"]);
    let err = db.fails(&["ticket", "resolve", &t], 4);
    assert!(
        err.contains("is new") && err.contains("open (→ open)"),
        "{err}"
    );
    db.ok(&["ticket", "open", &t]);
    let err = db.fails(&["ticket", "close", &t], 4);
    assert!(
        err.contains("hold") && err.contains("escalate") && err.contains("resolve"),
        "{err}"
    );
    assert_eq!(
        db.json(&["ticket", "show", &t])["events"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn ticket_lists_filter_and_sort_by_priority_then_age() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    let b = db.add(&["account", "add", "--name", "Beta"]);
    let low = db.add(&[
        "ticket",
        "new",
        "--account",
        &a,
        "--subject",
        "low",
        "--priority",
        "low",
    ]);
    let urgent = db.add(&[
        "ticket",
        "new",
        "--account",
        &b,
        "--subject",
        "urgent",
        "--priority",
        "urgent",
    ]);
    let normal = db.add(&[
        "ticket",
        "new",
        "--account",
        &a,
        "--subject",
        "normal",
        "--assignee",
        "bo",
    ]);
    let ids = |v: Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(db.json(&["ticket", "list"])),
        [urgent.clone(), normal.clone(), low.clone()]
    );
    assert_eq!(
        ids(db.json(&["ticket", "list", "--account", &a])),
        [normal.clone(), low.clone()]
    );
    assert_eq!(
        ids(db.json(&["ticket", "list", "--assignee", "bo"])),
        vec![normal.clone()]
    );
    assert_eq!(
        ids(db.json(&["ticket", "list", "--priority", "urgent,low"])),
        [urgent.clone(), low.clone()]
    );
    db.ok(&["ticket", "open", &low]);
    assert_eq!(
        ids(db.json(&["ticket", "list", "--status", "open"])),
        vec![low]
    );
    let err = db.fails(&["ticket", "list", "--status", "done"], 4);
    assert!(
        err.contains("new, open, pending, escalated, resolved, closed"),
        "{err}"
    );
}

#[test]
fn a_search_of_a_closed_database_answers_as_one_that_opens_it() {
    let db = Db::new();
    let a = db.add(&[
        "account",
        "add",
        "--name",
        "Acme Ltd",
        "--phone",
        "+1 (555) 012-3",
        "--email",
        "info@acme.example",
    ]);
    db.add(&["account", "add", "--name", "Acme Northern"]);
    // The first search opens the database and writes the index file; the second is answered
    // from the file, the database closed at its generation.
    let opened = db.ok(&["search", "acme", "--format", "jsonl"]);
    assert!(db.path().join("closed").exists());
    assert_eq!(db.ok(&["search", "acme", "--format", "jsonl"]), opened);
    let acme = |found: &serde_json::Value| {
        found
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["id"] == a.as_str())
            .cloned()
            .unwrap()
    };
    let found = acme(&db.json(&["search", "acme"]));
    assert_eq!(found["name"], "Acme Ltd");
    assert_eq!(found["email"], "info@acme.example");
    assert_eq!(found["last_contact_at"], serde_json::Value::Null);

    // A call moves the generation on: the next search opens the database and shows it.
    db.ok(&["log", "--account", &a]);
    let shown = db.json(&["account", "show", &a]);
    let found = db.json(&["search", "acme"]);
    assert_eq!(found[0]["id"], a.as_str(), "called last, ranked first");
    assert_eq!(found[0]["last_contact_at"], shown["last_contact_at"]);
    assert_eq!(found[0]["phone"], shown["phones"][0]["number"]);
    assert_eq!(db.json(&["search", "acme"]), found);
}

#[test]
fn a_search_while_the_database_is_open_elsewhere_is_refused_not_answered_from_the_file() {
    let db = Db::new();
    db.add(&["account", "add", "--name", "Acme Ltd"]);
    let before = db.ok(&["search", "acme", "--format", "jsonl"]);
    assert!(db.path().join("closed").exists());
    let held = rapport::store::sled::open(&db.path()).unwrap();
    assert!(
        !db.path().join("closed").exists(),
        "opening removes the stamp"
    );
    let err = db.fails(&["search", "acme"], 5);
    assert!(err.contains("in use"), "{err}");
    drop(held);
    assert_eq!(db.ok(&["search", "acme", "--format", "jsonl"]), before);
}

#[test]
fn search_finds_by_pinyin_transliteration_phone_digits_email_and_id() {
    let db = Db::new();
    db.add(&["account", "add", "--name", "张伟", "--kind", "person"]);
    db.add(&[
        "account",
        "add",
        "--name",
        "Иванов Пётр",
        "--phone",
        "+7 495 123-45-67",
    ]);
    db.add(&[
        "account",
        "add",
        "--name",
        "Acme Ltd",
        "--phone",
        "+1 (555) 012-3",
        "--email",
        "info@acme.example",
    ]);
    let c = db.add(&["account", "add", "--name", "Northwind"]);
    db.add(&[
        "contact",
        "add",
        "--account",
        &c,
        "--name",
        "Zoë Walker",
        "--email",
        "zoe@northwind.example",
    ]);
    let first = |q: &str| {
        db.json(&["search", q])[0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(first("zhangwei"), "A-1");
    assert_eq!(first("zw"), "A-1");
    assert_eq!(first("ivanov"), "A-2");
    assert_eq!(first("4951234567"), "A-2");
    assert_eq!(first("5550123"), "A-3");
    assert_eq!(first("info@acme"), "A-3");
    assert_eq!(first("A-3"), "A-3");
    assert_eq!(first("zoe walker"), "A-4", "a contact leads to its account");
    assert!(
        db.json(&["search", "qqqqqq"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn merge_and_delete_keep_history() {
    let db = Db::new();
    let keep = db.add(&[
        "account",
        "add",
        "--name",
        "Acme",
        "--phone",
        "+1 415 555 0100",
    ]);
    let dup = db.add(&[
        "account",
        "add",
        "--name",
        "ACME Inc",
        "--email",
        "info@acme.example",
    ]);
    db.ok(&["log", "--account", &dup, "--duration", "1m"]);
    let err = db.fails(&["account", "delete", &dup], 4);
    assert!(err.contains("merge"), "{err}");
    let merged = db.json(&["account", "merge", &keep, &dup]);
    assert_eq!(merged["emails"][0], "info@acme.example");
    assert_eq!(db.json(&["history", &keep]).as_array().unwrap().len(), 1);
    db.fails(&["account", "show", &dup], 3);
    let empty = db.add(&["account", "add", "--name", "Gone"]);
    db.ok(&["account", "delete", &empty]);
    assert_eq!(
        db.add(&["account", "add", "--name", "Next"]),
        "A-4",
        "ids are never reused"
    );
}

#[test]
fn every_change_is_in_the_audit_log_with_before_and_after() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    db.cmd(&["account", "edit", &a, "--set", "segment=smb"])
        .env("RAPPORT_USER", "bo")
        .env("RAPPORT_NOW", "2026-03-05T10:00:00Z")
        .assert()
        .success();
    let log = db.json(&["audit", "--record", &a]);
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert_eq!(log[0]["action"], "create");
    let change = &log[1]["changes"][0];
    assert_eq!(
        (
            change["field"].as_str(),
            change["before"].clone(),
            change["after"].as_str()
        ),
        (Some("segment"), Value::Null, Some("smb"))
    );
    assert_eq!(log[1]["user"], "bo");
    assert_eq!(
        db.json(&["audit", "--user", "bo"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        db.json(&["audit", "--since", "2026-03-04"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(db.json(&["audit"]).as_array().unwrap().len(), 2);
    // As JSON lines, entries are written as they are read: the same entries.
    let lines = |args: &[&str]| -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "jsonl"]);
        let text = db.ok(&args);
        text.lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .collect()
    };
    assert_eq!(lines(&["audit"]), db.json(&["audit"]));
    let since = ["audit", "--since", "2026-03-04"];
    assert_eq!(lines(&since), db.json(&since));
    let by_bo = ["audit", "--user", "BO"];
    assert_eq!(lines(&by_bo), db.json(&by_bo));
    let of_a = ["audit", "--record", &a];
    assert_eq!(lines(&of_a), db.json(&of_a));
}

#[test]
fn roles_are_enforced_once_users_exist() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    db.fails(&["user", "add", "bo", "--role", "agent"], 4);
    db.ok(&["user", "add", "ann", "--role", "admin"]);
    db.ok(&["user", "add", "bo", "--role", "agent", "--queue", "billing"]);
    let err = db.fails(&["--as", "bo", "account", "delete", &a], 4);
    assert!(err.contains("needs the admin role"), "{err}");
    assert_eq!(db.json(&["user", "show", "bo"])["queues"][0], "billing");
    db.ok(&["user", "edit", "bo", "--role", "supervisor"]);
    assert_eq!(db.json(&["user", "list"]).as_array().unwrap().len(), 2);
    db.fails(&["user", "show", "zed"], 3);
}

#[test]
fn usage_errors_exit_2() {
    let db = Db::new();
    db.fails(&["account", "add"], 2);
    db.fails(&["account", "frobnicate"], 2);
    db.fails(&["--no-such-flag"], 2);
    db.fails(&["account", "edit", "A-1", "--set", "novalue"], 2);
}

#[test]
fn unknown_ids_exit_3_and_malformed_ids_exit_4() {
    let db = Db::new();
    db.ok(&["account", "list"]);
    let err = db.fails(&["account", "show", "A-404"], 3);
    assert!(err.contains("no account A-404"), "{err}");
    db.fails(&["ticket", "show", "T-9"], 3);
    db.fails(&["history", "A-9"], 3);
    let err = db.fails(&["ticket", "show", "A-1"], 4);
    assert!(err.contains("not a ticket id"), "{err}");
}

#[test]
fn invalid_input_exits_4_naming_the_field() {
    let db = Db::new();
    let err = db.fails(
        &[
            "account",
            "add",
            "--name",
            "Acme",
            "--email",
            "not-an-email",
        ],
        4,
    );
    assert!(
        err.contains("email") && err.contains("not-an-email"),
        "{err}"
    );
    let err = db.fails(&["account", "add", "--name", "  "], 4);
    assert!(err.contains("name: must not be empty"), "{err}");
    let err = db.fails(
        &["account", "add", "--name", "Acme", "--phone", "call me"],
        4,
    );
    assert!(err.contains("phone"), "{err}");
    let err = db.fails(&["account", "add", "--name", "Acme", "--kind", "robot"], 4);
    assert!(err.contains("accepted: organisation, person"), "{err}");
    assert!(
        db.json(&["account", "list"]).as_array().unwrap().is_empty(),
        "nothing written"
    );
    let a = db.add(&["account", "add", "--name", "Acme"]);
    let err = db.fails(&["account", "edit", &a, "--set", "colour=red"], 4);
    assert!(
        err.contains("colour") && err.contains("relationship"),
        "{err}"
    );
    assert_eq!(
        db.json(&["audit", "--record", &a])
            .as_array()
            .unwrap()
            .len(),
        1,
        "the failed edit wrote nothing"
    );
}

#[test]
fn a_database_in_use_exits_5_at_once_naming_the_path() {
    let db = Db::new();
    db.ok(&["account", "add", "--name", "Acme"]);
    let _held = rapport::store::sled::open(&db.path()).unwrap();
    let started = std::time::Instant::now();
    let err = db.fails(&["account", "list"], 5);
    assert!(
        err.contains("in use") && err.contains(&db.path().display().to_string()),
        "{err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it must not hang"
    );
}

#[test]
fn everything_is_there_after_reopening() {
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme", "--phone", "555 0100"]);
    db.ok(&["log", "--account", &a, "--duration", "2m"]);
    let t = db.add(&["ticket", "new", "--account", &a, "--subject", "x"]);
    db.ok(&["ticket", "open", &t]);
    {
        use rapport::store::Store;
        let store = rapport::store::sled::open(&db.path()).unwrap();
        let id = a.parse().unwrap();
        assert!(store.get(id).unwrap().is_some());
    }
    assert_eq!(db.json(&["ticket", "show", &t])["status"], "open");
    assert_eq!(db.json(&["history", &a]).as_array().unwrap().len(), 1);
    assert_eq!(db.json(&["search", "5550100"])[0]["id"], a.as_str());
}

#[test]
fn a_newer_database_is_refused_by_name_and_version() {
    let db = Db::new();
    db.ok(&["account", "add", "--name", "Acme"]);
    {
        let store = rapport::store::sled::open(&db.path()).unwrap();
        store
            .kv()
            .set_schema_version(rapport::store::layout::SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = db.fails(&["account", "list"], 1);
    let newer = format!(
        "schema version {}",
        rapport::store::layout::SCHEMA_VERSION + 1
    );
    assert!(
        err.contains(&newer)
            && err.contains("newer")
            && err.contains(&db.path().display().to_string()),
        "{err}"
    );
}

#[test]
fn a_bad_clock_is_invalid_input() {
    let db = Db::new();
    let out = db
        .cmd(&["account", "list"])
        .env("RAPPORT_NOW", "yesterday")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn every_command_has_help_with_an_example() {
    let top = Db::new().ok(&["--help"]);
    assert!(top.contains("Examples:"));
    let commands: &[&[&str]] = &[
        &["account", "add"],
        &["account", "list"],
        &["account", "show"],
        &["account", "edit"],
        &["account", "delete"],
        &["account", "merge"],
        &["contact", "add"],
        &["contact", "list"],
        &["contact", "show"],
        &["contact", "edit"],
        &["contact", "delete"],
        &["search"],
        &["log"],
        &["history"],
        &["ticket", "new"],
        &["ticket", "list"],
        &["ticket", "show"],
        &["ticket", "assign"],
        &["ticket", "comment"],
        &["ticket", "csat"],
        &["ticket", "open"],
        &["ticket", "hold"],
        &["ticket", "escalate"],
        &["ticket", "resolve"],
        &["ticket", "close"],
        &["ticket", "reopen"],
        &["audit"],
        &["user", "add"],
        &["user", "list"],
        &["user", "show"],
        &["user", "edit"],
        &["sla", "check"],
        &["sla", "show"],
        &["sla", "policy"],
        &["sla", "calendar", "add"],
        &["sla", "calendar", "edit"],
        &["report", "tickets"],
        &["report", "sla"],
        &["report", "agents"],
        &["report", "csat"],
        &["export"],
        &["import"],
        &["backup"],
        &["restore"],
        &["check"],
        &["demo"],
        &["keymap", "check"],
        &["keymap", "show"],
        &["completions"],
        &["man"],
    ];
    let db = Db::new();
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = db.ok(&args);
        assert!(
            help.contains("Example"),
            "{command:?} --help has no example:\n{help}"
        );
    }
}

#[test]
fn completions_and_man_page_are_printed() {
    let db = Db::new();
    assert!(db.ok(&["completions", "bash"]).contains("rapport"));
    assert!(db.ok(&["completions", "zsh"]).contains("#compdef rapport"));
    assert!(db.ok(&["man"]).contains(".TH rapport"));
    assert!(
        !Path::new(&db.path()).exists(),
        "no database is opened for these"
    );
}

#[test]
fn backup_restore_and_check_round_trip_a_database() {
    let db = Db::new();
    let a = db.add(&[
        "account",
        "add",
        "--name",
        "Acme",
        "--set",
        "custom.tier=gold",
    ]);
    db.ok(&["log", "--account", &a, "--duration", "1m"]);
    let t = db.add(&["ticket", "new", "--account", &a, "--subject", "x"]);
    db.ok(&["ticket", "open", &t]);
    let dump = db.dir.path().join("backup.jsonl");
    db.ok(&["backup", dump.to_str().unwrap()]);

    let other = Db::new();
    other.ok(&["restore", dump.to_str().unwrap()]);
    other.ok(&["check"]);
    let again = other.dir.path().join("again.jsonl");
    other.ok(&["export", "--all", "-o", again.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&dump).unwrap(),
        std::fs::read_to_string(&again).unwrap()
    );
    assert_eq!(
        other.json(&["account", "show", &a])["custom"]["tier"],
        "gold"
    );
    assert_eq!(
        other
            .json(&["audit", "--record", &t])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let err = other.fails(&["import", "--all", dump.to_str().unwrap()], 4);
    assert!(err.contains("already holds records"), "{err}");
    let err = Db::new().fails(&["restore", "/nonexistent/backup.jsonl"], 1);
    assert!(err.contains("/nonexistent/backup.jsonl"), "{err}");
}

#[test]
fn a_broken_dump_names_the_file_and_line_and_loads_nothing_after_it() {
    let db = Db::new();
    let dump = db.dir.path().join("broken.jsonl");
    std::fs::write(&dump, "{\"rapport\":{\"dump\":1,\"schema\":1,\"version\":\"0.1.0\"}}\n{\"account\":{\"id\":\"A-1\"}}\n").unwrap();
    let err = db.fails(&["import", "--all", dump.to_str().unwrap()], 4);
    assert!(err.contains("broken.jsonl:2"), "{err}");
    let not_a_dump = db.dir.path().join("plain.jsonl");
    std::fs::write(&not_a_dump, "{\"name\":\"Acme\"}\n").unwrap();
    let err = db.fails(&["import", "--all", not_a_dump.to_str().unwrap()], 4);
    assert!(err.contains("not a rapport dump"), "{err}");
}

#[test]
fn the_demo_dataset_loads_and_checks_clean() {
    let db = Db::new();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/demo.jsonl");
    db.ok(&["import", "--all", demo]);
    db.ok(&["check"]);
    let accounts = db.json(&["account", "list"]);
    assert!(accounts.as_array().unwrap().len() >= 200);
    let tickets = db.json(&["ticket", "list"]);
    for status in ["new", "open", "pending", "escalated", "resolved", "closed"] {
        assert!(
            tickets
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["status"] == status),
            "no {status} ticket"
        );
    }
}

#[test]
fn audit_user_filter_is_not_taken_from_the_acting_user() {
    // `--as` (RAPPORT_USER) and `audit --user` once shared one argument id, so the acting
    // user silently filtered the audit log.
    let db = Db::new();
    let a = db.add(&["account", "add", "--name", "Acme"]);
    db.cmd(&["account", "edit", &a, "--set", "segment=smb"])
        .env("RAPPORT_USER", "bo")
        .assert()
        .success();
    assert_eq!(db.json(&["audit"]).as_array().unwrap().len(), 2);
}

#[test]
fn keymap_check_names_the_file_and_line_and_show_lists_every_binding() {
    let db = Db::new();
    let broken = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/keymaps/unknown-action.toml"
    );
    let err = db.fails(&["keymap", "check", broken], 4);
    assert!(err.contains("unknown-action.toml:3:"), "{err}");
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/keymaps/vim.toml");
    db.ok(&["keymap", "check", good]);
    let rows = db.json(&["--keymap", "vim", "keymap", "show"]);
    let actions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in ["ticket.escalate", "call.log", "search.focus"] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let err = db.fails(&["--keymap", "nosuch", "keymap", "show"], 4);
    assert!(err.contains("nosuch"), "{err}");
}

#[test]
fn the_tui_without_a_terminal_says_so_and_writes_nothing_on_stdout() {
    let db = Db::new();
    let err = db.fails(&[], 1);
    assert!(
        err.contains("needs an interactive terminal") && err.contains("subcommands"),
        "{err}"
    );
}
