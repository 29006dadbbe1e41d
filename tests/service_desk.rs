//! The service desk from the command line: SLA clocks and checks, routing, and reports whose
//! figures are worked out by hand below.

mod common;

use common::Db;
use serde_json::{Value, json};

/// Runs a command at a given time (Monday 2 March 2026, UTC, unless the time says otherwise).
fn at(db: &Db, time: &str, user: &str, args: &[&str]) -> String {
    let out = db
        .cmd(args)
        .env("RAPPORT_NOW", format!("2026-03-02T{time}:00Z"))
        .env("RAPPORT_USER", user)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_at(db: &Db, time: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    serde_json::from_str(&at(db, time, "sup", &args)).unwrap()
}

/// The fixture, on the standard calendar (Monday to Friday, 09:00 to 17:00 UTC):
/// - T-1 urgent, created 09:00, public comment 09:30 (first response 30 min), resolved by bo
///   at 11:00 (120 min, within 4 h: met), rated 5.
/// - T-2 urgent, created 09:00, public comment 10:30 (90 min: first response breached),
///   resolved by bo at 15:00 (360 min: breached), rated 2.
/// - T-3 high, queue billing, created 10:00, untouched.
/// - Calls: ann 4m30s and 5m30s; bo 1m.
fn fixture() -> Db {
    let db = Db::new();
    at(&db, "09:00", "ann", &["account", "add", "--name", "Acme"]);
    at(
        &db,
        "09:00",
        "ann",
        &[
            "ticket",
            "new",
            "--account",
            "A-1",
            "--subject",
            "Down",
            "--priority",
            "urgent",
        ],
    );
    at(
        &db,
        "09:00",
        "ann",
        &[
            "ticket",
            "new",
            "--account",
            "A-1",
            "--subject",
            "Slow",
            "--priority",
            "urgent",
        ],
    );
    at(
        &db,
        "10:00",
        "ann",
        &[
            "ticket",
            "new",
            "--account",
            "A-1",
            "--subject",
            "Bill",
            "--priority",
            "high",
            "--queue",
            "billing",
        ],
    );
    at(&db, "09:30", "ann", &["ticket", "open", "T-1"]);
    at(
        &db,
        "09:30",
        "ann",
        &["ticket", "comment", "T-1", "Looking into it"],
    );
    at(&db, "10:00", "ann", &["ticket", "open", "T-2"]);
    at(
        &db,
        "10:30",
        "ann",
        &["ticket", "comment", "T-2", "Looking into it"],
    );
    at(&db, "11:00", "bo", &["ticket", "resolve", "T-1"]);
    at(
        &db,
        "11:10",
        "ann",
        &["ticket", "csat", "T-1", "--score", "5"],
    );
    at(&db, "15:00", "bo", &["ticket", "resolve", "T-2"]);
    at(
        &db,
        "15:10",
        "ann",
        &["ticket", "csat", "T-2", "--score", "2"],
    );
    at(
        &db,
        "12:00",
        "ann",
        &["log", "--account", "A-1", "--duration", "4m30s"],
    );
    at(
        &db,
        "12:30",
        "ann",
        &["log", "--account", "A-1", "--duration", "5m30s"],
    );
    at(
        &db,
        "13:00",
        "bo",
        &["log", "--account", "A-1", "--duration", "1m"],
    );
    db
}

#[test]
fn tickets_carry_due_times_and_sla_state() {
    let db = fixture();
    let t3 = json_at(&db, "12:00", &["ticket", "show", "T-3"]);
    assert_eq!(t3["first_response_due"], "2026-03-02T14:00:00Z");
    assert_eq!(t3["resolution_due"], "2026-03-03T10:00:00Z");
    assert_eq!(t3["sla_state"], "ok");
    assert_eq!(t3["sla_left"], "2h left");
    assert_eq!(
        json_at(&db, "13:30", &["ticket", "show", "T-3"])["sla_state"],
        "warning"
    );
    assert_eq!(
        json_at(&db, "14:30", &["ticket", "show", "T-3"])["sla_left"],
        "30m overdue"
    );
    assert_eq!(
        json_at(&db, "16:00", &["ticket", "show", "T-1"])["sla_state"],
        "met"
    );
    assert_eq!(
        json_at(&db, "16:00", &["ticket", "show", "T-2"])["sla_state"],
        "breached"
    );
}

#[test]
fn sla_check_lists_breaches_and_escalates_them() {
    let db = fixture();
    let flagged = json_at(&db, "16:00", &["sla", "check"]);
    let ids: Vec<&str> = flagged
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["T-3"], "resolved tickets are not listed");
    at(&db, "16:00", "sup", &["sla", "check", "--escalate"]);
    let t3 = json_at(&db, "16:00", &["ticket", "show", "T-3"]);
    assert_eq!(t3["status"], "escalated");
    let note = t3["events"].as_array().unwrap().last().unwrap()["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        note,
        "SLA breached: first response was due at 2026-03-02T14:00:00Z"
    );
}

#[test]
fn policies_and_calendars_are_supervisors_business() {
    let db = fixture();
    at(
        &db,
        "09:00",
        "ann",
        &["user", "add", "ann", "--role", "admin"],
    );
    at(
        &db,
        "09:00",
        "ann",
        &["user", "add", "sup", "--role", "supervisor"],
    );
    at(
        &db,
        "09:00",
        "ann",
        &["user", "add", "bo", "--role", "agent", "--queue", "billing"],
    );
    let out = db
        .cmd(&[
            "sla",
            "policy",
            "high",
            "--first-response",
            "1h",
            "--resolution",
            "2h",
        ])
        .env("RAPPORT_USER", "bo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the supervisor role"));
    at(
        &db,
        "09:00",
        "sup",
        &[
            "sla",
            "policy",
            "high",
            "--first-response",
            "1h",
            "--resolution",
            "2h",
        ],
    );
    assert_eq!(
        json_at(&db, "12:00", &["ticket", "show", "T-3"])["first_response_due"],
        "2026-03-02T11:00:00Z"
    );
    let out = db
        .cmd(&["sla", "calendar", "add", "--zone", "Mars/Base"])
        .env("RAPPORT_USER", "sup")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown time zone 'Mars/Base'"));
    assert_eq!(
        json_at(&db, "12:00", &["ticket", "assign", "T-3", "--next"])["assignee"],
        "bo"
    );
}

#[test]
fn report_tickets_by_status_priority_and_queue() {
    let db = fixture();
    let rows = json_at(&db, "16:00", &["report", "tickets"]);
    let count = |by: &str, value: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["by"] == by && r["value"] == value)
            .map(|r| r["tickets"].clone())
    };
    assert_eq!(count("status", "resolved"), Some(json!(2)));
    assert_eq!(count("status", "new"), Some(json!(1)));
    assert_eq!(count("priority", "urgent"), Some(json!(2)));
    assert_eq!(count("priority", "high"), Some(json!(1)));
    assert_eq!(count("queue", "billing"), Some(json!(1)));
    assert_eq!(count("queue", "(none)"), Some(json!(2)));
    let billing = json_at(&db, "16:00", &["report", "tickets", "--queue", "billing"]);
    assert_eq!(
        billing
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["by"] == "queue")
            .count(),
        1
    );
}

#[test]
fn report_sla_attainment_by_priority() {
    let db = fixture();
    let rows = json_at(&db, "16:00", &["report", "sla"]);
    let urgent = &rows[0];
    assert_eq!(urgent["priority"], "urgent");
    assert_eq!(
        (
            urgent["tickets"].clone(),
            urgent["decided"].clone(),
            urgent["met"].clone()
        ),
        (json!(2), json!(2), json!(1))
    );
    assert_eq!(urgent["met_share"], 0.5);
    assert_eq!(urgent["first_response_median_minutes"], 30.0);
    assert_eq!(urgent["first_response_p90_minutes"], 90.0);
    assert_eq!(urgent["resolution_median_minutes"], 120.0);
    assert_eq!(urgent["resolution_p90_minutes"], 360.0);
    let high = &rows[1];
    assert_eq!(
        (
            high["tickets"].clone(),
            high["decided"].clone(),
            high["met_share"].clone()
        ),
        (json!(1), json!(0), Value::Null)
    );
}

#[test]
fn report_agents_calls_talk_time_resolutions_and_csat() {
    let db = fixture();
    let rows = json_at(&db, "16:00", &["report", "agents"]);
    let ann = &rows[0];
    assert_eq!(ann["agent"], "ann");
    assert_eq!(
        (
            ann["calls"].clone(),
            ann["talk_seconds"].clone(),
            ann["average_handle_seconds"].clone()
        ),
        (json!(2), json!(600), json!(300.0))
    );
    assert_eq!(ann["tickets_resolved"], 0);
    let bo = &rows[1];
    assert_eq!(
        (bo["calls"].clone(), bo["talk_seconds"].clone()),
        (json!(1), json!(60))
    );
    assert_eq!(bo["tickets_resolved"], 2);
    assert_eq!(bo["csat_average"], 3.5);
    let only_bo = json_at(&db, "16:00", &["report", "agents", "--agent", "bo"]);
    assert_eq!(only_bo.as_array().unwrap().len(), 1);
    let before_calls = json_at(
        &db,
        "16:00",
        &["report", "agents", "--until", "2026-03-02T12:15:00Z"],
    );
    assert_eq!(before_calls[0]["calls"], 1);
}

#[test]
fn report_csat_distribution() {
    let db = fixture();
    let rows = json_at(&db, "16:00", &["report", "csat"]);
    let responses: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["responses"].as_i64().unwrap())
        .collect();
    assert_eq!(responses, [0, 1, 0, 0, 1]);
    assert_eq!(rows[1]["share"], 0.5);
    let csv = at(&db, "16:00", "sup", &["report", "csat", "--format", "csv"]);
    assert_eq!(csv.lines().next().unwrap(), "score,responses,share");
}

#[test]
fn reports_are_for_supervisors_once_users_exist() {
    let db = fixture();
    at(
        &db,
        "09:00",
        "ann",
        &["user", "add", "ann", "--role", "admin"],
    );
    at(
        &db,
        "09:00",
        "ann",
        &["user", "add", "bo", "--role", "agent"],
    );
    let out = db
        .cmd(&["report", "agents"])
        .env("RAPPORT_USER", "bo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}
