//! The state machine, driven by messages as the terminal would drive it, against the expected
//! state and effects. Keys go through the default keymap.

use super::*;
use crate::domain::record::{Channel, Direction, Outcome, Relationship};
use crate::domain::ticket::{Priority, Status};
use crate::domain::{Account, Contact, Interaction, Kind, Meta};
use crate::keymap::Keymap;

fn t0() -> Timestamp {
    "2026-03-02T10:00:00Z".parse().unwrap()
}

fn id(kind: Kind, n: u64) -> Id {
    Id::new(kind, n)
}

fn meta(kind: Kind, n: u64) -> Meta {
    Meta::new(id(kind, n), "ann", "2026-01-01T09:00:00Z".parse().unwrap())
}

fn ticket(n: u64, subject: &str, priority: Priority, status: Status) -> Ticket {
    let mut t = Ticket::new(
        meta(Kind::Ticket, n),
        id(Kind::Account, 1),
        subject.into(),
        priority,
    );
    t.status = status;
    t
}

fn interaction(n: u64, at: &str, notes: &str) -> Interaction {
    Interaction {
        meta: meta(Kind::Interaction, n),
        account: id(Kind::Account, 1),
        contact: None,
        ticket: None,
        channel: Channel::Call,
        direction: Direction::Inbound,
        started_at: at.parse().unwrap(),
        duration: 90,
        outcome: Outcome::Answered,
        agent: "ann".into(),
        subject: None,
        notes: Some(notes.into()),
        follow_up: None,
        external_id: None,
    }
}

/// 张伟's account: two contacts (the second a decision maker), three tickets, two calls.
fn data() -> AccountData {
    let mut account = Account::new(meta(Kind::Account, 1), "张伟".into());
    account.relationship = Relationship::Customer;
    let li = Contact::new(meta(Kind::Contact, 1), account.meta.id, "Li Na".into());
    let mut wang = Contact::new(meta(Kind::Contact, 2), account.meta.id, "Wang Fang".into());
    wang.decision_maker = true;
    let mut tickets = vec![
        ticket(1, "Router broken", Priority::Normal, Status::New),
        ticket(2, "Invoice wrong", Priority::Urgent, Status::Open),
        ticket(3, "Old thing", Priority::Low, Status::Closed),
    ];
    tickets.sort_by(crate::domain::ticket::work_order);
    AccountData {
        account,
        contacts: vec![li, wang],
        tickets,
        history: vec![
            interaction(2, "2026-03-01T09:00:00Z", "second call"),
            interaction(1, "2026-02-01T09:00:00Z", "first call"),
        ],
        sla: Default::default(),
    }
}

fn row(n: u64, name: &str) -> AccountRow {
    AccountRow {
        id: id(Kind::Account, n),
        name: name.into(),
        main_phone: None,
        relationship: Relationship::Customer,
        last_contact: None,
        matched: None,
    }
}

fn app() -> App {
    App::new("ann", Keymap::default_keymap().bindings().clone(), t0())
}

fn press(app: &mut App, key: Key) -> Vec<Effect> {
    app.update(Msg::Key(key))
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, Key::char(c)))
        .collect()
}

fn key(code: KeyCode) -> Key {
    Key::plain(code)
}

/// An app with 张伟's account open and focused.
fn opened() -> App {
    let mut app = app();
    app.start();
    let effects = app.update(Msg::Command(Cmd::Down));
    assert!(effects.is_empty());
    let request = app.request();
    app.loading = Some((request, id(Kind::Account, 1)));
    app.focus = Pane::Account;
    app.update(Msg::AccountLoaded {
        request,
        data: Box::new(data()),
    });
    app
}

fn last_search(effects: &[Effect]) -> Option<(RequestId, String)> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Search { request, query, .. } => Some((*request, query.clone())),
        _ => None,
    })
}

#[test]
fn at_start_the_query_has_the_focus_and_recent_accounts_are_asked_for() {
    let mut app = app();
    let effects = app.start();
    assert_eq!(app.focus, Pane::Search);
    assert!(app.is_typing());
    assert_eq!(
        last_search(&effects).unwrap().1,
        "",
        "blank: most recently contacted"
    );
}

#[test]
fn typing_searches_at_once_and_stale_results_are_dropped() {
    let mut app = app();
    app.start();
    let (first, q1) = last_search(&type_text(&mut app, "z")).unwrap();
    let (second, q2) = last_search(&type_text(&mut app, "w")).unwrap();
    assert_eq!((q1.as_str(), q2.as_str()), ("z", "zw"));
    assert!(second > first);
    app.update(Msg::SearchResults {
        request: first,
        rows: vec![row(9, "stale")],
    });
    assert!(app.search.rows.is_empty(), "an older answer is dropped");
    app.update(Msg::SearchResults {
        request: second,
        rows: vec![row(1, "张伟"), row(2, "Zoe Walker")],
    });
    assert_eq!(app.search.rows.len(), 2);
    assert_eq!(app.search.answered, "zw");
    assert_eq!(app.search.pending, None);
}

#[test]
fn readline_keys_edit_the_query_and_search_again() {
    let mut app = app();
    type_text(&mut app, "acme north");
    let cases: &[(Key, &str)] = &[
        (Key::ctrl('w'), "acme "),
        (Key::ctrl('a'), "acme "),
        (Key::char('x'), "xacme "),
        (Key::ctrl('e'), "xacme "),
        (Key::ctrl('u'), ""),
    ];
    for (k, want) in cases {
        let before = app.search.query.text().to_string();
        let effects = press(&mut app, *k);
        assert_eq!(app.search.query.text(), *want, "{k}");
        assert_eq!(
            last_search(&effects).is_some(),
            before != *want,
            "searches exactly when the query changed ({k})"
        );
    }
}

#[test]
fn result_moves_table() {
    let mut app = app();
    let request = last_search(&app.start()).unwrap().0;
    app.update(Msg::SearchResults {
        request,
        rows: (1..=4).map(|n| row(n, "x")).collect(),
    });
    let cases = [
        (key(KeyCode::Down), 1),
        (Key::ctrl('n'), 2),
        (Key::ctrl('n'), 3),
        (key(KeyCode::Down), 3),
        (Key::ctrl('p'), 2),
        (key(KeyCode::Up), 1),
        (key(KeyCode::PageDown), 3),
        (key(KeyCode::PageUp), 0),
    ];
    for (k, want) in cases {
        press(&mut app, k);
        assert_eq!(app.search.selected, want, "after {k}");
    }
}

#[test]
fn enter_opens_the_selected_account_and_a_stale_load_is_dropped() {
    let mut app = app();
    let request = last_search(&app.start()).unwrap().0;
    app.update(Msg::SearchResults {
        request,
        rows: vec![row(1, "张伟"), row(2, "Acme")],
    });
    let effects = press(&mut app, key(KeyCode::Enter));
    let Some(Effect::LoadAccount {
        request: r1,
        account,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(account, id(Kind::Account, 1));
    assert_eq!(app.focus, Pane::Account);
    assert!(!app.is_typing());
    // Open another before the first arrives: the first answer is stale.
    app.focus = Pane::Search;
    press(&mut app, key(KeyCode::Down));
    let effects = press(&mut app, key(KeyCode::Enter));
    let Some(Effect::LoadAccount { request: r2, .. }) = effects.first().cloned() else {
        panic!()
    };
    app.update(Msg::AccountLoaded {
        request: r1,
        data: Box::new(data()),
    });
    assert!(app.open.is_none(), "stale load dropped");
    app.update(Msg::AccountLoaded {
        request: r2,
        data: Box::new(data()),
    });
    assert!(app.open.is_some());
    assert_eq!(
        app.selected_ticket,
        Some(id(Kind::Ticket, 2)),
        "the most urgent open ticket is selected"
    );
}

#[test]
fn q_types_in_the_query_but_quits_from_a_pane_and_ctrl_c_always_quits() {
    let mut app = app();
    assert!(
        press(&mut app, Key::char('q'))
            .iter()
            .all(|e| *e != Effect::Quit)
    );
    assert_eq!(app.search.query.text(), "q");
    assert!(!app.quit);

    let mut app = opened();
    assert_eq!(press(&mut app, Key::char('q')), vec![Effect::Quit]);
    assert!(app.quit);

    let mut app = opened();
    press(&mut app, Key::char('c'));
    type_text(&mut app, "q");
    assert!(!app.quit, "typing notes");
    assert_eq!(press(&mut app, Key::ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn panes_cycle_with_tab_and_esc_backs_out() {
    let mut app = opened();
    let cases = [
        (key(KeyCode::Tab), Pane::History),
        (key(KeyCode::Tab), Pane::Tickets),
        (key(KeyCode::Tab), Pane::Search),
        (Key::shift(KeyCode::Tab), Pane::Tickets),
        (key(KeyCode::Esc), Pane::Account),
        (key(KeyCode::Esc), Pane::Search),
        (key(KeyCode::Esc), Pane::Account),
    ];
    for (k, want) in cases {
        press(&mut app, k);
        assert_eq!(app.focus, want, "after {k}");
    }
}

#[test]
fn slash_starts_a_new_search_from_any_pane() {
    let mut app = opened();
    app.search.query.set("old");
    app.focus = Pane::Tickets;
    let effects = press(&mut app, Key::char('/'));
    assert_eq!(app.focus, Pane::Search);
    assert_eq!(app.search.query.text(), "");
    assert_eq!(last_search(&effects).unwrap().1, "");
    assert!(
        app.open.is_some(),
        "the account stays open beside the search"
    );
}

#[test]
fn the_call_form_is_prefilled_and_the_cursor_starts_in_the_notes() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let Some(Form::Call(f)) = &app.form else {
        panic!("no call form")
    };
    assert_eq!(f.account, id(Kind::Account, 1));
    assert_eq!(f.contact, Some(1), "the decision maker, Wang Fang");
    assert_eq!(f.contacts[1].1, "Wang Fang");
    assert_eq!(
        (f.channel, f.direction, f.outcome),
        (Channel::Call, Direction::Inbound, Outcome::Answered)
    );
    assert_eq!(f.started_at, t0());
    assert_eq!(f.focus, form::CallField::Notes);
    assert_eq!(
        f.ticket,
        form::TicketLink::Existing(0),
        "linked to the selected ticket"
    );
    assert_eq!(
        app.contexts(),
        vec![Context::Form, Context::Input, Context::Global]
    );
}

#[test]
fn logging_a_call_takes_the_timer_and_lands_in_the_history_at_once() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    type_text(&mut app, "Router reset");
    press(&mut app, key(KeyCode::Enter));
    type_text(&mut app, "works now");
    app.update(Msg::Tick(
        t0().checked_add(jiff::SignedDuration::from_secs(95))
            .unwrap(),
    ));
    let effects = press(&mut app, Key::ctrl('s'));
    let [
        Effect::LogCall {
            log,
            new_ticket: None,
            resolve: false,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(log.duration, 95);
    assert_eq!(log.notes.as_deref(), Some("Router reset\nworks now"));
    assert_eq!(log.contact, Some(id(Kind::Contact, 2)));
    assert_eq!(log.ticket, Some(id(Kind::Ticket, 2)));
    assert_eq!(log.started_at, Some(t0()));
    assert!(app.form.is_some(), "open until the save is confirmed");

    let mut saved = interaction(3, "2026-03-02T10:00:00Z", "Router reset\nworks now");
    saved.duration = 95;
    app.update(Msg::Logged {
        interaction: Box::new(saved),
        ticket: None,
        resolved: None,
    });
    assert!(app.form.is_none());
    let open = app.open.as_ref().unwrap();
    assert_eq!(
        open.history[0].meta.id,
        id(Kind::Interaction, 3),
        "newest first"
    );
    assert_eq!(open.account.last_contact_at, Some(t0()));
    assert_eq!(app.notice.as_ref().unwrap().text, "I-3 logged");
}

#[test]
fn the_timer_stops_and_a_typed_duration_wins() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    app.update(Msg::Tick(
        t0().checked_add(jiff::SignedDuration::from_secs(30))
            .unwrap(),
    ));
    press(&mut app, Key::ctrl('t'));
    app.update(Msg::Tick(
        t0().checked_add(jiff::SignedDuration::from_secs(90))
            .unwrap(),
    ));
    let Some(Form::Call(f)) = &app.form else {
        panic!()
    };
    assert_eq!(f.timer(app.now), 30, "stopped at 30s");
    // Tab from notes wraps to the first field; the duration is the fifth.
    for _ in 0..5 {
        press(&mut app, key(KeyCode::Tab));
    }
    let Some(Form::Call(f)) = &app.form else {
        panic!()
    };
    assert_eq!(f.focus, form::CallField::Duration);
    type_text(&mut app, "4m30s");
    let effects = press(&mut app, Key::ctrl('s'));
    let [Effect::LogCall { log, .. }] = effects.as_slice() else {
        panic!()
    };
    assert_eq!(log.duration, 270);
}

#[test]
fn a_bad_duration_keeps_the_form_open_with_the_reason() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    if let Some(Form::Call(f)) = &mut app.form {
        f.duration.set("soon");
    }
    assert!(press(&mut app, Key::ctrl('s')).is_empty());
    let state = app.form.as_ref().unwrap().state();
    assert!(
        state.error.as_ref().unwrap().contains("not a duration"),
        "{state:?}"
    );
    assert!(app.notice.as_ref().unwrap().error);
}

#[test]
fn list_fields_cycle_with_arrows_table() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    // Shift-tab from notes: subject, then ticket, duration, outcome.
    for _ in 0..4 {
        press(&mut app, Key::shift(KeyCode::Tab));
    }
    let outcome = |app: &App| match &app.form {
        Some(Form::Call(f)) => (f.focus, f.outcome),
        _ => panic!(),
    };
    assert_eq!(outcome(&app), (form::CallField::Outcome, Outcome::Answered));
    assert_eq!(app.contexts()[0], Context::Choice);
    let cases = [
        (key(KeyCode::Right), Outcome::Resolved),
        (Key::char(' '), Outcome::NoAnswer),
        (key(KeyCode::Left), Outcome::Resolved),
        (key(KeyCode::Left), Outcome::Answered),
        (key(KeyCode::Left), Outcome::Sent),
    ];
    for (k, want) in cases {
        press(&mut app, k);
        assert_eq!(outcome(&app).1, want, "after {k}");
    }
    press(&mut app, key(KeyCode::Down));
    assert_eq!(
        outcome(&app).0,
        form::CallField::Duration,
        "down leaves a list field"
    );
}

#[test]
fn a_ticket_can_be_opened_from_the_call_form() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let Some(Form::Call(f)) = &mut app.form else {
        panic!()
    };
    f.focus = form::CallField::Ticket;
    // Existing(0) → Existing(1) → New.
    press(&mut app, key(KeyCode::Right));
    press(&mut app, key(KeyCode::Right));
    let Some(Form::Call(f)) = &app.form else {
        panic!()
    };
    assert_eq!(f.ticket, form::TicketLink::New);
    assert!(f.fields().contains(&form::CallField::NewTicketSubject));
    assert!(
        press(&mut app, Key::ctrl('s')).is_empty(),
        "needs a subject"
    );
    press(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "Refund");
    let effects = press(&mut app, Key::ctrl('s'));
    let [
        Effect::LogCall {
            log,
            new_ticket: Some(t),
            resolve: false,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(t.subject, "Refund");
    assert_eq!(log.ticket, None, "linked by the worker once opened");
    let mut opened_ticket = ticket(4, "Refund", Priority::Normal, Status::New);
    opened_ticket.meta.id = id(Kind::Ticket, 4);
    app.update(Msg::Logged {
        interaction: Box::new(interaction(3, "2026-03-02T10:00:00Z", "")),
        ticket: Some((Box::new(opened_ticket), None)),
        resolved: None,
    });
    assert_eq!(app.selected_ticket, Some(id(Kind::Ticket, 4)));
    assert_eq!(app.open.as_ref().unwrap().tickets.len(), 4);
    assert_eq!(app.notice.as_ref().unwrap().text, "I-3 logged, T-4 opened");
}

#[test]
fn esc_asks_before_throwing_away_a_typed_form() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    press(&mut app, key(KeyCode::Esc));
    assert!(app.form.is_none(), "nothing typed: closes at once");
    press(&mut app, Key::char('c'));
    type_text(&mut app, "half a note");
    press(&mut app, key(KeyCode::Esc));
    assert!(app.form.is_some());
    assert!(app.notice.as_ref().unwrap().text.contains("Esc again"));
    press(&mut app, key(KeyCode::Esc));
    assert!(app.form.is_none());
}

#[test]
fn a_failed_save_keeps_the_form_with_the_error() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    type_text(&mut app, "notes");
    press(&mut app, Key::ctrl('s'));
    app.update(Msg::Failed {
        request: None,
        message: "storage error: disk full".into(),
    });
    let form = app.form.as_ref().expect("still open, notes kept");
    assert_eq!(form.state().saving, None);
    assert_eq!(
        form.state().error.as_deref(),
        Some("storage error: disk full")
    );
}

#[test]
fn call_log_needs_an_open_account() {
    let mut app = app();
    app.focus = Pane::Account;
    press(&mut app, Key::char('c'));
    assert!(app.form.is_none());
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .contains("open an account first")
    );
}

#[test]
fn illegal_transition_names_the_legal_ones_without_a_round_trip() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    app.selected_ticket = Some(id(Kind::Ticket, 1)); // new
    assert!(press(&mut app, Key::char('e')).is_empty());
    let notice = app.notice.clone().unwrap();
    assert!(notice.error);
    assert_eq!(
        notice.text,
        "T-1 is new, cannot escalate; next: o open (→ open)"
    );
}

#[test]
fn ticket_step_keys_table() {
    let cases = [
        ('o', 1, Action::Open),
        ('e', 2, Action::Escalate),
        ('h', 2, Action::Hold),
        ('r', 2, Action::Resolve),
        ('R', 3, Action::Reopen),
    ];
    for (c, n, action) in cases {
        let mut app = opened();
        app.focus = Pane::Tickets;
        app.selected_ticket = Some(id(Kind::Ticket, n));
        let effects = press(&mut app, Key::char(c));
        assert_eq!(
            effects,
            vec![Effect::Transition {
                ticket: id(Kind::Ticket, n),
                action,
                note: None
            }],
            "{c}"
        );
    }
    // x closes only resolved tickets: T-2 is open.
    let mut app = opened();
    app.selected_ticket = Some(id(Kind::Ticket, 2));
    assert!(press(&mut app, Key::char('x')).is_empty());
    assert!(app.notice.unwrap().text.contains("cannot close"));
}

#[test]
fn a_saved_ticket_replaces_the_old_one_at_once() {
    let mut app = opened();
    let mut t = ticket(2, "Invoice wrong", Priority::Urgent, Status::Escalated);
    t.events.push(crate::domain::ticket::TicketEvent {
        at: t0(),
        by: "ann".into(),
        kind: crate::domain::ticket::EventKind::Status {
            from: Status::Open,
            to: Status::Escalated,
        },
        note: None,
    });
    app.update(Msg::TicketSaved {
        ticket: Box::new(t),
        sla: None,
        done: "T-2 escalated".into(),
    });
    let shown = app.ticket().unwrap();
    assert_eq!(shown.status, Status::Escalated);
    assert_eq!(shown.events.len(), 2);
    assert_eq!(app.notice.unwrap().text, "T-2 escalated");
}

#[test]
fn assign_and_comment_prompt_then_send() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('a'));
    assert!(matches!(app.modal, Some(Modal::Prompt(_))));
    assert!(app.is_typing());
    type_text(&mut app, "bo");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Assign {
            ticket: id(Kind::Ticket, 2),
            to: Some("bo".into()),
            note: None
        }]
    );
    assert!(app.modal.is_none());

    press(&mut app, Key::char('m'));
    assert!(
        press(&mut app, key(KeyCode::Enter)).is_empty(),
        "empty comment"
    );
    assert!(app.modal.is_some());
    type_text(&mut app, "called back");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Comment {
            ticket: id(Kind::Ticket, 2),
            text: "called back".into(),
            public: true
        }]
    );
}

#[test]
fn new_ticket_form_saves_and_selects_the_ticket() {
    let mut app = opened();
    press(&mut app, Key::char('t'));
    let Some(Form::Ticket(f)) = &app.form else {
        panic!()
    };
    assert_eq!(f.focus, form::TicketField::Subject);
    type_text(&mut app, "No dial tone");
    press(&mut app, key(KeyCode::Tab));
    press(&mut app, key(KeyCode::Left)); // normal → high
    let effects = press(&mut app, Key::ctrl('s'));
    let [Effect::NewTicket(request)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.subject, "No dial tone");
    assert_eq!(request.priority, Priority::High);
    assert_eq!(request.contact, Some(id(Kind::Contact, 2)));
    let mut t = ticket(9, "No dial tone", Priority::High, Status::New);
    t.meta.id = id(Kind::Ticket, 9);
    app.update(Msg::TicketSaved {
        ticket: Box::new(t),
        sla: None,
        done: "T-9 opened".into(),
    });
    assert!(app.form.is_none());
    assert_eq!(app.selected_ticket, Some(id(Kind::Ticket, 9)));
}

#[test]
fn account_and_ticket_panes_move_the_same_selected_ticket() {
    let mut app = opened();
    assert_eq!(app.selected_ticket, Some(id(Kind::Ticket, 2)));
    press(&mut app, key(KeyCode::Down));
    assert_eq!(app.selected_ticket, Some(id(Kind::Ticket, 1)));
    press(&mut app, key(KeyCode::Down));
    assert_eq!(
        app.selected_ticket,
        Some(id(Kind::Ticket, 1)),
        "closed T-3 is not open"
    );
    press(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, Pane::Tickets);
    press(&mut app, key(KeyCode::Down));
    assert_eq!(
        app.selected_ticket,
        Some(id(Kind::Ticket, 3)),
        "all tickets here"
    );
}

#[test]
fn history_enter_expands_and_folds() {
    let mut app = opened();
    app.focus = Pane::History;
    press(&mut app, key(KeyCode::Down));
    press(&mut app, key(KeyCode::Enter));
    assert!(app.history.expanded.contains(&id(Kind::Interaction, 1)));
    press(&mut app, key(KeyCode::Enter));
    assert!(app.history.expanded.is_empty());
}

#[test]
fn help_lists_bindings_filters_as_typed_and_closes_with_esc() {
    let mut app = opened();
    press(&mut app, Key::char('?'));
    let Some(Modal::Help(h)) = &app.modal else {
        panic!()
    };
    let all = h.rows(&app.bindings).len();
    assert_eq!(all, app.bindings.len(), "every binding");
    type_text(&mut app, "ticket.escalate");
    let Some(Modal::Help(h)) = &app.modal else {
        panic!()
    };
    let rows = h.rows(&app.bindings);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, Key::char('e'));
    press(&mut app, key(KeyCode::Esc));
    assert!(app.modal.is_none());
    assert!(!app.quit);
}

#[test]
fn palette_runs_cli_verbs_and_keeps_a_bad_line_with_the_reason() {
    let mut app = opened();
    press(&mut app, Key::char(':'));
    type_text(&mut app, "ticket escalate T-2 --note \"needs tier 2\"");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Transition {
            ticket: id(Kind::Ticket, 2),
            action: Action::Escalate,
            note: Some("needs tier 2".into())
        }]
    );
    assert!(app.modal.is_none());

    press(&mut app, Key::char(':'));
    type_text(&mut app, "ticket fly");
    assert!(press(&mut app, key(KeyCode::Enter)).is_empty());
    let Some(Modal::Palette(p)) = &app.modal else {
        panic!()
    };
    assert!(p.error.as_ref().unwrap().contains("unknown ticket verb"));

    press(&mut app, Key::ctrl('u'));
    type_text(&mut app, "search zhang");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, Pane::Search);
    assert_eq!(last_search(&effects).unwrap().1, "zhang");

    press(&mut app, key(KeyCode::Esc));
    app.focus = Pane::Account;
    press(&mut app, Key::char(':'));
    type_text(&mut app, "call.log");
    press(&mut app, key(KeyCode::Enter));
    assert!(
        matches!(app.form, Some(Form::Call(_))),
        "a registry name runs its command"
    );
}

#[test]
fn palette_log_with_settings_logs_directly() {
    let mut app = opened();
    press(&mut app, Key::char(':'));
    type_text(
        &mut app,
        "log --outcome resolved --duration 2m --notes done",
    );
    let effects = press(&mut app, key(KeyCode::Enter));
    let [
        Effect::LogCall {
            log,
            new_ticket: None,
            resolve: false,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!((log.outcome, log.duration), (Outcome::Resolved, 120));
    assert_eq!(log.account, id(Kind::Account, 1));
}

#[test]
fn hints_come_from_the_active_keymap() {
    let app = app();
    let hints = app.hints();
    assert!(hints.contains(&("enter".to_string(), "open")), "{hints:?}");
    assert!(
        hints.contains(&("down".to_string(), "next")),
        "plainest key: {hints:?}"
    );
    let mut app = opened();
    app.focus = Pane::Tickets;
    assert!(app.hints().contains(&("e".to_string(), "escalate")));
}

#[test]
fn the_vim_keymap_moves_with_j_and_holds_with_capital_h() {
    let bindings = Keymap::load(Some("vim")).unwrap().bindings().clone();
    let mut app = opened();
    app.bindings = bindings;
    press(&mut app, Key::char('j'));
    assert_eq!(app.selected_ticket, Some(id(Kind::Ticket, 1)));
    press(&mut app, Key::char('k'));
    let effects = press(&mut app, Key::char('H'));
    assert_eq!(
        effects,
        vec![Effect::Transition {
            ticket: id(Kind::Ticket, 2),
            action: Action::Hold,
            note: None
        }]
    );
}

fn import_effect(effects: &[Effect]) -> (RequestId, import::ImportLine) {
    match effects {
        [Effect::Import { request, line }] => (*request, line.clone()),
        other => panic!("expected an import, got {other:?}"),
    }
}

#[test]
fn palette_import_runs_in_the_background_with_progress_then_a_summary() {
    let mut app = opened();
    press(&mut app, Key::char(':'));
    type_text(&mut app, "import /tmp/in/accounts.csv --entity accounts");
    let (request, line) = import_effect(&press(&mut app, key(KeyCode::Enter)));
    assert_eq!(line.file, "/tmp/in/accounts.csv");
    assert_eq!(line.entity, "accounts");
    assert!(
        app.modal.is_none(),
        "the palette closes; keys are free at once"
    );
    assert_eq!(app.import.as_ref().unwrap().request, request);

    let counts = import::ImportCounts {
        read: 1200,
        created: 1100,
        rejected: 3,
        ..Default::default()
    };
    app.update(Msg::ImportProgress {
        request: RequestId(request.0 + 100),
        counts: import::ImportCounts::default(),
    });
    app.update(Msg::ImportProgress { request, counts });
    assert_eq!(
        app.import.as_ref().unwrap().progress(),
        "import accounts.csv: 1200 read · 1100 created · 3 rejected"
    );

    // Searches and saves go on meanwhile; a second import waits its turn.
    let effects = type_text(&mut app, "");
    assert!(effects.is_empty());
    press(&mut app, Key::char(':'));
    type_text(&mut app, "import other.csv --entity contacts");
    assert!(press(&mut app, key(KeyCode::Enter)).is_empty());
    let notice = app.notice.clone().unwrap();
    assert!(notice.error && notice.text.starts_with("one import at a time"));

    let report = import::ImportReport {
        counts: import::ImportCounts {
            read: 2000,
            created: 1990,
            skipped: 10,
            ..Default::default()
        },
        seconds: 1.25,
        ..Default::default()
    };
    let effects = app.update(Msg::ImportDone { request, report });
    assert!(app.import.is_none());
    let notice = app.notice.clone().unwrap();
    assert!(!notice.error);
    assert_eq!(
        notice.text,
        "accounts.csv: 2000 read, 1990 created, 10 skipped as duplicates, 0 rejected in 1.2s"
    );
    assert_eq!(
        effects[0],
        Effect::Reindex,
        "new accounts become searchable"
    );
    assert!(last_search(&effects).is_some(), "and the list shows them");
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::LoadAccount { account, .. } if *account == id(Kind::Account, 1))
        ),
        "the open account is read again: {effects:?}"
    );
    assert_eq!(app.focus, Pane::Account, "without moving the focus");
}

#[test]
fn an_import_with_rejected_rows_ends_in_red_and_a_dry_run_changes_nothing() {
    let mut app = app();
    app.focus = Pane::Account;
    press(&mut app, Key::char(':'));
    type_text(&mut app, "import c.csv --entity contacts --dry-run");
    let (request, line) = import_effect(&press(&mut app, key(KeyCode::Enter)));
    assert!(line.dry_run);
    let report = import::ImportReport {
        counts: import::ImportCounts {
            read: 3,
            created: 2,
            rejected: 1,
            ..Default::default()
        },
        first_rejects: vec!["line 3: name: must not be empty".into()],
        ..Default::default()
    };
    let effects = app.update(Msg::ImportDone { request, report });
    assert!(effects.is_empty(), "a dry run writes nothing: {effects:?}");
    let notice = app.notice.unwrap();
    assert!(notice.error);
    assert!(
        notice.text.contains("would be created")
            && notice
                .text
                .contains("first rejected: line 3: name: must not be empty"),
        "{}",
        notice.text
    );
}

#[test]
fn a_refused_import_is_a_status_line_error() {
    let mut app = app();
    app.focus = Pane::Account;
    press(&mut app, Key::char(':'));
    type_text(&mut app, "import c.csv --entity contacts");
    let (request, _) = import_effect(&press(&mut app, key(KeyCode::Enter)));
    app.update(Msg::Failed {
        request: Some(request),
        message: "importing needs the admin role; bo is agent".into(),
    });
    assert!(app.import.is_none());
    assert_eq!(
        app.notice.unwrap(),
        Notice {
            text: "importing needs the admin role; bo is agent".into(),
            error: true
        }
    );
}

/// Service levels due `secs` from t0 (negative: overdue), in `state`; with `responded`, the
/// first response is done and the resolution clock runs.
fn sla_due(
    state: crate::domain::sla::SlaState,
    secs: i64,
    responded: bool,
) -> crate::domain::sla::Sla {
    use crate::domain::sla::{Clock, Sla, SlaState};
    let due = t0()
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap();
    let running = Clock {
        due,
        achieved: None,
        state,
    };
    let first_response = if responded {
        Clock {
            due: t0(),
            achieved: Some(t0()),
            state: SlaState::Met,
        }
    } else {
        running
    };
    Sla {
        first_response,
        resolution: running,
        state,
    }
}

fn work_row(n: u64, account: u64, sla: Option<crate::domain::sla::Sla>) -> work::WorkRow {
    let mut t = ticket(n, &format!("ticket {n}"), Priority::Normal, Status::Open);
    t.account = id(Kind::Account, account);
    work::WorkRow {
        ticket: t,
        sla,
        account_name: format!("Account {account}"),
    }
}

fn load_work(effects: &[Effect]) -> (RequestId, work::WorkKind) {
    match effects {
        [Effect::LoadWork { request, kind }] => (*request, *kind),
        other => panic!("expected a work list load, got {other:?}"),
    }
}

#[test]
fn my_tickets_are_ordered_breached_first_then_by_time_left() {
    use crate::domain::sla::SlaState::*;
    let mut app = opened();
    let (request, kind) = load_work(&press(&mut app, Key::char('w')));
    assert_eq!(kind, work::WorkKind::Mine);
    assert_eq!(app.view, View::Work);
    assert_eq!(app.contexts(), vec![Context::Work, Context::Global]);
    assert_eq!(app.focus_name(), "My tickets");
    app.update(Msg::Worklist {
        request,
        rows: vec![
            work_row(5, 1, Some(sla_due(Ok, 5 * 3600, true))),
            work_row(9, 1, None),
            work_row(6, 2, Some(sla_due(Breached, -2 * 86_400, true))),
            work_row(7, 2, Some(sla_due(Warning, 3600, false))),
            work_row(8, 3, Some(sla_due(Breached, 3 * 3600, true))),
            work_row(4, 3, Some(sla_due(Paused, 4 * 3600, true))),
        ],
        queues: Vec::new(),
    });
    let order: Vec<u64> = app
        .work
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .map(|r| r.ticket.meta.id.number)
        .collect();
    assert_eq!(order, [6, 8, 7, 4, 5, 9]);
}

#[test]
fn enter_on_a_work_row_opens_its_account_with_the_ticket_selected() {
    use crate::domain::sla::SlaState::*;
    let mut app = app();
    app.start();
    let (request, _) = load_work(&press(&mut app, Key::plain(KeyCode::F(2))));
    let mut row = work_row(1, 1, Some(sla_due(Breached, -60, false)));
    row.ticket.status = Status::New;
    app.update(Msg::Worklist {
        request,
        rows: vec![work_row(2, 1, Some(sla_due(Ok, 60, false))), row],
        queues: Vec::new(),
    });
    assert_eq!(app.work.as_ref().unwrap().rows[0].ticket.meta.id.number, 1);
    press(&mut app, key(KeyCode::Down));
    press(&mut app, key(KeyCode::Up));
    let effects = press(&mut app, key(KeyCode::Enter));
    let [Effect::LoadAccount { request, account }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*account, id(Kind::Account, 1));
    assert_eq!(app.view, View::Panes);
    app.update(Msg::AccountLoaded {
        request: *request,
        data: Box::new(data()),
    });
    assert_eq!(
        app.selected_ticket,
        Some(id(Kind::Ticket, 1)),
        "the ticket picked, not the account's most urgent (T-2)"
    );
    assert_eq!(app.focus, Pane::Tickets);
    assert_eq!(app.select_after_load, None);
}

#[test]
fn my_queues_refused_shows_why_in_the_list_and_the_status_line() {
    let mut app = opened();
    let (request, kind) = load_work(&press(&mut app, Key::char('W')));
    assert_eq!(kind, work::WorkKind::Queues);
    // An answer to an older load is dropped.
    app.update(Msg::Worklist {
        request: RequestId(request.0 + 50),
        rows: vec![work_row(1, 1, None)],
        queues: vec!["billing".into()],
    });
    assert!(app.work.as_ref().unwrap().rows.is_empty());
    let why = "no user 'ann': my queues come from your user record";
    app.update(Msg::Failed {
        request: Some(request),
        message: why.into(),
    });
    let work = app.work.as_ref().unwrap();
    assert_eq!(work.problem.as_deref(), Some(why));
    assert_eq!(work.pending, None);
    assert!(app.notice.as_ref().unwrap().error);
    // Refresh asks again; w switches lists; esc goes back to the panes.
    let (_, kind) = load_work(&press(&mut app, Key::plain(KeyCode::F(5))));
    assert_eq!(kind, work::WorkKind::Queues);
    let (_, kind) = load_work(&press(&mut app, Key::char('w')));
    assert_eq!(kind, work::WorkKind::Mine);
    press(&mut app, key(KeyCode::Esc));
    assert_eq!(app.view, View::Panes);
    assert_eq!(app.focus, Pane::Account);
    press(&mut app, Key::char('w'));
    press(&mut app, Key::char('/'));
    assert_eq!(
        (app.view, app.focus),
        (View::Panes, Pane::Search),
        "/ searches from the list"
    );
}

#[test]
fn a_changed_ticket_updates_its_work_row_and_a_resolved_one_leaves_the_list() {
    use crate::domain::sla::SlaState::*;
    let mut app = opened();
    let (request, _) = load_work(&press(&mut app, Key::char('w')));
    app.update(Msg::Worklist {
        request,
        rows: vec![
            work_row(2, 1, Some(sla_due(Ok, 60, false))),
            work_row(7, 2, Some(sla_due(Ok, 120, false))),
        ],
        queues: Vec::new(),
    });
    let mut escalated = work_row(2, 1, None).ticket;
    escalated.status = Status::Escalated;
    app.update(Msg::TicketSaved {
        ticket: Box::new(escalated),
        sla: Some(sla_due(Warning, 30, false)),
        done: "T-2 escalated".into(),
    });
    let rows = &app.work.as_ref().unwrap().rows;
    assert_eq!(rows[0].ticket.status, Status::Escalated);
    assert_eq!(rows[0].sla.unwrap().state, Warning);
    let mut resolved = work_row(2, 1, None).ticket;
    resolved.status = Status::Resolved;
    app.update(Msg::TicketSaved {
        ticket: Box::new(resolved),
        sla: None,
        done: "T-2 resolved".into(),
    });
    let rows = &app.work.as_ref().unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].ticket.meta.id.number, 7);
}

#[test]
fn every_shipped_keymap_opens_the_work_lists() {
    for name in ["default", "vim", "emacs"] {
        let b = Keymap::load(Some(name)).unwrap().bindings().clone();
        for context in [Context::Normal, Context::Search, Context::Work] {
            for cmd in [Cmd::WorkMine, Cmd::WorkQueues, Cmd::Dashboard] {
                assert!(
                    !b.keys_for(&[context], cmd).is_empty(),
                    "{name}: {cmd} in {context}"
                );
            }
        }
        assert!(!b.keys_for(&[Context::Work], Cmd::Refresh).is_empty());
        assert!(!b.keys_for(&[Context::Dashboard], Cmd::Refresh).is_empty());
        assert!(!b.keys_for(&[Context::Dashboard], Cmd::WorkMine).is_empty());
        assert!(!b.keys_for(&[Context::Work], Cmd::Open).is_empty());
    }
}

fn figures(built_at: Timestamp) -> Box<dashboard::Dashboard> {
    Box::new(dashboard::Dashboard {
        built_at,
        tickets: 3,
        by_status: vec![(Status::New, 1), (Status::Open, 2)],
        by_priority: vec![(Priority::Urgent, 1), (Priority::Normal, 2)],
        sla: Vec::new(),
        agents: Vec::new(),
        csat: [0, 0, 1, 0, 2],
        daily: vec![0; dashboard::DAYS],
        daily_until: built_at.to_zoned(jiff::tz::TimeZone::UTC).date(),
        overdue: Vec::new(),
        overdue_total: 0,
    })
}

fn build_request(effects: &[Effect]) -> RequestId {
    match effects {
        [Effect::BuildDashboard { request }] => *request,
        other => panic!("expected a dashboard build, got {other:?}"),
    }
}

#[test]
fn the_dashboard_is_built_in_the_background_once_then_on_demand() {
    let mut app = opened();
    let first = build_request(&press(&mut app, Key::char('D')));
    assert_eq!(app.view, View::Dashboard);
    assert_eq!(app.contexts(), vec![Context::Dashboard, Context::Global]);
    assert_eq!(app.focus_name(), "Dashboard");
    // Keys are served while it builds.
    assert!(press(&mut app, Key::char('?')).is_empty());
    assert!(matches!(app.modal, Some(Modal::Help(_))));
    press(&mut app, key(KeyCode::Esc));
    app.update(Msg::DashboardReady {
        request: first,
        dashboard: figures(t0()),
    });
    assert_eq!(app.dashboard.data.as_ref().unwrap().tickets, 3);
    assert_eq!(app.dashboard.pending, None);

    // Back to the panes and in again: the figures kept, nothing rebuilt.
    press(&mut app, key(KeyCode::Esc));
    assert_eq!(app.view, View::Panes);
    assert!(press(&mut app, Key::plain(KeyCode::F(4))).is_empty());
    assert_eq!(app.view, View::Dashboard);

    // Refresh on demand; the old figures stay until the new ones come; a stale answer is
    // dropped.
    let second = build_request(&press(&mut app, Key::char('r')));
    assert!(second > first);
    let mut stale = figures(t0());
    stale.tickets = 99;
    app.update(Msg::DashboardReady {
        request: first,
        dashboard: stale,
    });
    assert_eq!(app.dashboard.data.as_ref().unwrap().tickets, 3);
    let mut fresh = figures(t0());
    fresh.tickets = 4;
    app.update(Msg::DashboardReady {
        request: second,
        dashboard: fresh,
    });
    assert_eq!(app.dashboard.data.as_ref().unwrap().tickets, 4);
    // w goes from the dashboard to my tickets.
    load_work(&press(&mut app, Key::char('w')));
    assert_eq!(app.view, View::Work);
}

#[test]
fn an_agent_asking_for_the_dashboard_gets_the_refusal_and_the_panes_back() {
    let mut app = opened();
    let request = build_request(&press(&mut app, Key::char('D')));
    let refusal = "running reports needs the supervisor role; bo is agent";
    app.update(Msg::Failed {
        request: Some(request),
        message: refusal.into(),
    });
    assert_eq!(app.view, View::Panes);
    assert_eq!(app.focus, Pane::Account);
    assert_eq!(
        app.notice.clone().unwrap(),
        Notice {
            text: refusal.into(),
            error: true
        }
    );
    assert_eq!(app.dashboard.pending, None);
}

fn resolved(n: u64) -> Ticket {
    let mut t = ticket(n, "Invoice wrong", Priority::Urgent, Status::Resolved);
    t.meta.id = id(Kind::Ticket, n);
    t
}

#[test]
fn resolving_from_the_ticket_pane_asks_for_satisfaction_and_records_it() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    let effects = press(&mut app, Key::char('r'));
    assert_eq!(
        effects,
        vec![Effect::Transition {
            ticket: id(Kind::Ticket, 2),
            action: Action::Resolve,
            note: None
        }]
    );
    assert!(app.modal.is_none(), "asked only once it is resolved");
    app.update(Msg::TicketSaved {
        ticket: Box::new(resolved(2)),
        sla: None,
        done: "T-2 resolved".into(),
    });
    let Some(Modal::Prompt(p)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!((p.kind, p.ticket), (PromptKind::Csat, id(Kind::Ticket, 2)));
    assert_eq!(app.focus_name(), "Satisfaction");
    assert!(app.is_typing());
    type_text(&mut app, "7");
    assert!(press(&mut app, key(KeyCode::Enter)).is_empty());
    assert!(app.modal.is_some(), "kept to fix");
    assert!(app.notice.as_ref().unwrap().text.contains("from 1 to 5"));
    press(&mut app, Key::ctrl('u'));
    type_text(&mut app, "4 quick fix");
    assert_eq!(
        press(&mut app, key(KeyCode::Enter)),
        vec![Effect::Rate {
            ticket: id(Kind::Ticket, 2),
            score: 4,
            comment: Some("quick fix".into())
        }]
    );
    assert!(app.modal.is_none());
    // Another save of the ticket asks nothing more.
    app.update(Msg::TicketSaved {
        ticket: Box::new(resolved(2)),
        sla: None,
        done: "T-2 rated 4/5".into(),
    });
    assert!(app.modal.is_none());
}

#[test]
fn esc_skips_the_satisfaction_prompt_and_a_failed_resolve_asks_nothing() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('r'));
    app.update(Msg::TicketSaved {
        ticket: Box::new(resolved(2)),
        sla: None,
        done: "T-2 resolved".into(),
    });
    assert!(press(&mut app, key(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
    assert_eq!(app.focus, Pane::Tickets, "esc closed the prompt only");
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text
            .starts_with("T-2: no satisfaction score recorded")
    );

    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('r'));
    app.update(Msg::Failed {
        request: None,
        message: "storage error".into(),
    });
    app.update(Msg::TicketSaved {
        ticket: Box::new(resolved(2)),
        sla: None,
        done: "T-2 resolved".into(),
    });
    assert!(app.modal.is_none());
}

#[test]
fn a_call_with_a_resolved_outcome_resolves_its_ticket_then_asks_for_satisfaction() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let fields = |app: &App| match &app.form {
        Some(Form::Call(f)) => f.fields(),
        _ => panic!(),
    };
    assert!(!fields(&app).contains(&form::CallField::Resolve));
    // Shift-tab from notes: subject, ticket, duration, outcome; answered → resolved.
    for _ in 0..4 {
        press(&mut app, Key::shift(KeyCode::Tab));
    }
    press(&mut app, key(KeyCode::Right));
    assert!(
        fields(&app).contains(&form::CallField::Resolve),
        "offered once the outcome is resolved and a ticket is linked"
    );
    let effects = press(&mut app, Key::ctrl('s'));
    let [
        Effect::LogCall {
            log,
            new_ticket: None,
            resolve: true,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(log.ticket, Some(id(Kind::Ticket, 2)));
    assert_eq!(log.outcome, Outcome::Resolved);

    app.update(Msg::Logged {
        interaction: Box::new(interaction(3, "2026-03-02T10:00:00Z", "")),
        ticket: None,
        resolved: Some((Box::new(resolved(2)), None)),
    });
    assert!(app.form.is_none());
    assert_eq!(
        app.notice.as_ref().unwrap().text,
        "I-3 logged, T-2 resolved"
    );
    assert_eq!(
        app.open
            .as_ref()
            .unwrap()
            .ticket(id(Kind::Ticket, 2))
            .unwrap()
            .status,
        Status::Resolved
    );
    let Some(Modal::Prompt(p)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!((p.kind, p.ticket), (PromptKind::Csat, id(Kind::Ticket, 2)));
}

#[test]
fn the_agent_may_log_a_resolved_call_without_resolving_the_ticket() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let Some(Form::Call(f)) = &mut app.form else {
        panic!()
    };
    f.outcome = Outcome::Resolved;
    f.focus = form::CallField::Resolve;
    press(&mut app, key(KeyCode::Right));
    let Some(Form::Call(f)) = &app.form else {
        panic!()
    };
    assert!(!f.resolve);
    let effects = press(&mut app, Key::ctrl('s'));
    assert!(
        matches!(effects.as_slice(), [Effect::LogCall { resolve: false, .. }]),
        "{effects:?}"
    );
    // Without a ticket there is nothing to resolve.
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let Some(Form::Call(f)) = &mut app.form else {
        panic!()
    };
    f.outcome = Outcome::Resolved;
    f.ticket = form::TicketLink::None;
    assert!(!f.fields().contains(&form::CallField::Resolve));
    let effects = press(&mut app, Key::ctrl('s'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::LogCall { resolve: false, .. }]
    ));
}

fn article_row(n: u64, title: &str, linked: bool) -> suggest::ArticleRow {
    suggest::ArticleRow {
        id: id(Kind::Article, n),
        title: title.into(),
        product: Some("router".into()),
        tags: vec!["wifi".into()],
        body: format!("# {title}\n\nSteps."),
        linked,
    }
}

#[test]
fn k_suggests_articles_for_the_selected_ticket_and_enter_links_one() {
    let mut app = opened();
    app.selected_ticket = Some(id(Kind::Ticket, 1));
    let effects = press(&mut app, Key::char('k'));
    let [Effect::SuggestArticles { request, ticket }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(*ticket, id(Kind::Ticket, 1));
    assert_eq!(app.focus_name(), "Articles");
    assert_eq!(app.contexts(), [Context::Suggest, Context::Global]);
    // A stale answer is dropped, the awaited one taken.
    app.update(Msg::Suggestions {
        request: RequestId(request.0 + 100),
        rows: vec![article_row(9, "Stale", false)],
    });
    let Some(Modal::Suggest(s)) = &app.modal else {
        panic!()
    };
    assert!(s.rows.is_empty() && s.pending.is_some());
    app.update(Msg::Suggestions {
        request: *request,
        rows: vec![
            article_row(1, "Reset the router", false),
            article_row(2, "Wi-Fi keeps dropping", true),
        ],
    });
    assert!(press(&mut app, key(KeyCode::Down)).is_empty());
    assert!(
        press(&mut app, Key::char('q')).is_empty(),
        "q closes, not quits"
    );
    assert!(app.modal.is_none() && !app.quit);

    press(&mut app, Key::char('k'));
    let Some(Modal::Suggest(s)) = &app.modal else {
        panic!()
    };
    let request = s.pending.unwrap();
    app.update(Msg::Suggestions {
        request,
        rows: vec![
            article_row(1, "Reset the router", false),
            article_row(2, "Wi-Fi keeps dropping", true),
        ],
    });
    press(&mut app, key(KeyCode::Down));
    press(&mut app, key(KeyCode::Down)); // stops at the last
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::LinkArticle {
            ticket: id(Kind::Ticket, 1),
            article: id(Kind::Article, 2),
        }]
    );
    assert!(app.modal.is_none());
}

#[test]
fn suggestions_need_a_ticket_and_a_failed_search_closes_them() {
    let mut app = opened();
    app.selected_ticket = None;
    assert!(press(&mut app, Key::char('k')).is_empty());
    assert!(app.notice.as_ref().unwrap().error);
    assert!(app.modal.is_none());

    app.selected_ticket = Some(id(Kind::Ticket, 2));
    let effects = press(&mut app, Key::char('k'));
    let [Effect::SuggestArticles { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    app.update(Msg::Failed {
        request: Some(*request),
        message: "the knowledge base is unreadable".into(),
    });
    assert!(app.modal.is_none());
    assert_eq!(app.notice.unwrap().text, "the knowledge base is unreadable");

    // Nothing to link in an empty list.
    let mut app = opened();
    app.selected_ticket = Some(id(Kind::Ticket, 2));
    let effects = press(&mut app, Key::char('k'));
    let [Effect::SuggestArticles { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    app.update(Msg::Suggestions {
        request: *request,
        rows: Vec::new(),
    });
    assert!(press(&mut app, key(KeyCode::Enter)).is_empty());
    assert!(app.notice.unwrap().error);
}

#[test]
fn palette_kb_suggests_for_any_ticket_and_links_to_the_selected_one() {
    // No account open, no ticket named: a status-line error, nothing asked of the worker.
    let mut app = app();
    app.start();
    for line in ["kb link KB-4", "kb suggest"] {
        press(&mut app, Key::char(':'));
        type_text(&mut app, line);
        assert!(press(&mut app, key(KeyCode::Enter)).is_empty(), "{line}");
        assert!(app.notice.as_ref().unwrap().error, "{line}");
        assert!(!matches!(app.modal, Some(Modal::Suggest(_))), "{line}");
        app.modal = None;
    }

    let mut app = opened();
    press(&mut app, Key::char(':'));
    type_text(&mut app, "kb suggest T-9");
    let effects = press(&mut app, key(KeyCode::Enter));
    let [Effect::SuggestArticles { request, ticket }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(
        *ticket,
        id(Kind::Ticket, 9),
        "a ticket of another account too"
    );
    let Some(Modal::Suggest(s)) = &app.modal else {
        panic!("the palette gives way to the suggestions")
    };
    assert_eq!(s.ticket, id(Kind::Ticket, 9));
    app.update(Msg::Suggestions {
        request: *request,
        rows: vec![article_row(5, "Reset the router", false)],
    });
    assert_eq!(
        press(&mut app, key(KeyCode::Enter)),
        [Effect::LinkArticle {
            ticket: id(Kind::Ticket, 9),
            article: id(Kind::Article, 5),
        }]
    );

    // Without a ticket id: the selected ticket.
    app.selected_ticket = Some(id(Kind::Ticket, 1));
    press(&mut app, Key::char(':'));
    type_text(&mut app, "kb link KB-4");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::LinkArticle {
            ticket: id(Kind::Ticket, 1),
            article: id(Kind::Article, 4),
        }]
    );
    assert!(app.modal.is_none());
    press(&mut app, Key::char(':'));
    type_text(&mut app, "kb suggest");
    let effects = press(&mut app, key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::SuggestArticles { ticket, .. }] if *ticket == id(Kind::Ticket, 1)),
        "{effects:?}"
    );
    press(&mut app, key(KeyCode::Esc));

    // The worker's answer puts the link in the open ticket's timeline and says so.
    let mut linked = data()
        .tickets
        .into_iter()
        .find(|t| t.meta.id == id(Kind::Ticket, 1))
        .unwrap();
    linked.link_article(id(Kind::Article, 4), "ann", t0(), Some("KB-4 Reset".into()));
    app.update(Msg::TicketSaved {
        ticket: Box::new(linked),
        sla: None,
        done: "KB-4 linked to T-1".into(),
    });
    assert_eq!(app.notice.as_ref().unwrap().text, "KB-4 linked to T-1");
    let shown = app.ticket().unwrap();
    assert!(shown.articles.contains(&id(Kind::Article, 4)));
    assert!(matches!(
        shown.events.last().unwrap().kind,
        crate::domain::ticket::EventKind::KbLinked { article } if article == id(Kind::Article, 4)
    ));
}

#[test]
fn a_store_slow_to_open_says_why_in_the_status_line() {
    let mut app = app();
    let effects = app.update(Msg::Opening("rebuilding the index entries".into()));
    assert!(effects.is_empty());
    let notice = app.notice.as_ref().unwrap();
    assert!(!notice.error);
    assert!(
        notice.text.starts_with("rebuilding the index entries"),
        "{}",
        notice.text
    );
}
