//! Every pane drawn on ratatui's test backend, at 80x24 and at a tiny 20x6, with a Chinese
//! name among the rows. Snapshots hold the text; focus and selection styles, which snapshots
//! do not show, are asserted on the cells.

use super::*;
use crate::app::{AccountData, AccountRow, Cmd, Effect, Key, KeyCode, Msg, RequestId};
use crate::domain::record::{Channel, Direction, Outcome, Relationship};
use crate::domain::sla::{Clock as SlaClock, Sla, SlaState};
use crate::domain::ticket::{Priority, Status};
use crate::domain::validate::Phone;
use crate::domain::{Account, Contact, Id, Interaction, Kind, Meta, Ticket};
use crate::keymap::Keymap;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn meta(kind: Kind, n: u64, when: &str) -> Meta {
    Meta::new(Id::new(kind, n), "ann", at(when))
}

fn account_row(n: u64, name: &str, phone: &str, rel: Relationship, last: &str) -> AccountRow {
    AccountRow {
        id: Id::new(Kind::Account, n),
        name: name.into(),
        main_phone: Some(phone.into()),
        relationship: rel,
        last_contact: Some(at(last)),
        matched: None,
    }
}

fn data() -> AccountData {
    let mut account = Account::new(
        meta(Kind::Account, 1, "2025-06-01T08:00:00Z"),
        "张伟".into(),
    );
    account.relationship = Relationship::Customer;
    account.phones = vec![Phone::parse("+86 138 0013 8000").unwrap()];
    account.emails = vec!["zhang.wei@example.cn".into()];
    account.owner = Some("ann".into());
    account.address.city = Some("Shanghai".into());
    account.last_contact_at = Some(at("2026-03-01T09:00:00Z"));
    let mut li = Contact::new(
        meta(Kind::Contact, 1, "2025-06-01T08:00:00Z"),
        account.meta.id,
        "李娜".into(),
    );
    li.title = Some("CFO".into());
    li.decision_maker = true;
    let ops_contact = Contact::new(
        meta(Kind::Contact, 2, "2025-06-01T08:00:00Z"),
        account.meta.id,
        "Oleg Petrov".into(),
    );
    let mut broken = Ticket::new(
        meta(Kind::Ticket, 1, "2026-02-20T08:00:00Z"),
        account.meta.id,
        "Router drops every evening".into(),
        Priority::Urgent,
    );
    broken
        .transition(
            crate::domain::ticket::Action::Open,
            "ann",
            at("2026-02-20T09:00:00Z"),
            Some("called back".into()),
        )
        .unwrap();
    broken.assign(Some("bo".into()), "ann", at("2026-02-20T09:05:00Z"), None);
    broken.description = Some("Line drops at 19:00 daily since the firmware update.".into());
    let invoice = Ticket::new(
        meta(Kind::Ticket, 2, "2026-02-25T08:00:00Z"),
        account.meta.id,
        "Invoice 2026-02 charged twice".into(),
        Priority::Normal,
    );
    let mut old = Ticket::new(
        meta(Kind::Ticket, 3, "2025-12-01T08:00:00Z"),
        account.meta.id,
        "Welcome pack".into(),
        Priority::Low,
    );
    old.status = Status::Closed;
    let (account_id, li_id, broken_id) = (account.meta.id, li.meta.id, broken.meta.id);
    let call = move |n: u64, when: &str, outcome: Outcome, notes: &str| Interaction {
        meta: meta(Kind::Interaction, n, when),
        account: account_id,
        contact: Some(li_id),
        ticket: Some(broken_id),
        channel: Channel::Call,
        direction: Direction::Inbound,
        started_at: at(when),
        duration: 270,
        outcome,
        agent: "ann".into(),
        subject: None,
        notes: Some(notes.into()),
        follow_up: None,
        external_id: None,
    };
    let mut email = call(
        2,
        "2026-02-26T14:30:00Z",
        Outcome::Sent,
        "Sent the refund form",
    );
    email.channel = Channel::Email;
    email.direction = Direction::Outbound;
    email.duration = 0;
    let history = vec![
        call(
            3,
            "2026-03-01T09:00:00Z",
            Outcome::Answered,
            "Router drops again; asked to power-cycle.\nWill call back tomorrow.",
        ),
        email,
        call(1, "2026-02-20T08:55:00Z", Outcome::Resolved, "First report"),
    ];
    AccountData {
        account,
        contacts: vec![li, ops_contact],
        sla: [(broken.meta.id, breached(&broken))].into_iter().collect(),
        tickets: vec![broken, invoice, old],
        history,
    }
}

/// Service levels that say `t` missed its resolution target.
fn breached(t: &Ticket) -> Sla {
    let clock = |state| SlaClock {
        due: at("2026-02-21T09:00:00Z"),
        achieved: None,
        state,
    };
    Sla {
        first_response: SlaClock {
            achieved: Some(t.meta.created_at),
            ..clock(SlaState::Met)
        },
        resolution: clock(SlaState::Breached),
        state: SlaState::Breached,
    }
}

fn app() -> App {
    let mut app = App::new(
        "ann",
        Keymap::default_keymap().bindings().clone(),
        at("2026-03-02T10:00:00Z"),
    );
    app.start();
    let request = app.search.pending.unwrap();
    app.update(Msg::SearchResults {
        request,
        rows: vec![
            account_row(
                1,
                "张伟",
                "+86 138 0013 8000",
                Relationship::Customer,
                "2026-03-01T09:00:00Z",
            ),
            account_row(
                2,
                "Northwind Traders International",
                "+1 (555) 012-3456",
                Relationship::Prospect,
                "2026-02-10T09:00:00Z",
            ),
            account_row(
                3,
                "Иванов Пётр",
                "+7 495 123-45-67",
                Relationship::Partner,
                "2025-11-02T09:00:00Z",
            ),
        ],
    });
    app
}

fn opened() -> App {
    let mut app = app();
    let effects = app.update(Msg::Command(Cmd::Open));
    let Some(Effect::LoadAccount { request, .. }) = effects.first() else {
        panic!()
    };
    let request: RequestId = *request;
    app.update(Msg::AccountLoaded {
        request,
        data: Box::new(data()),
    });
    app
}

fn draw(app: &App, theme: Theme, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| super::draw(f, app, &theme)).unwrap();
    terminal
}

/// One row of the screen as text, and the column of each character (wide ones take two).
fn row_text(buffer: &Buffer, y: u16) -> (String, Vec<u16>) {
    let mut line = String::new();
    let mut columns = Vec::new();
    let mut x = 0;
    while x < buffer.area.width {
        let symbol = buffer[(x, y)].symbol();
        for _ in symbol.chars() {
            columns.push(x);
        }
        line.push_str(symbol);
        x += super::text::width(symbol).max(1) as u16;
    }
    (line, columns)
}

fn text(buffer: &Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| row_text(buffer, y).0)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cell at which `needle` starts.
fn find(buffer: &Buffer, needle: &str) -> (u16, u16) {
    for y in 0..buffer.area.height {
        let (line, columns) = row_text(buffer, y);
        if let Some(i) = line.find(needle) {
            return (columns[line[..i].chars().count()], y);
        }
    }
    panic!("'{needle}' not on screen:\n{}", text(buffer))
}

fn press(app: &mut App, key: Key) {
    app.update(Msg::Key(key));
}

#[test]
fn start_screen_80x24() {
    let t = draw(&app(), Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn account_open_80x24() {
    let t = draw(&opened(), Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn history_expanded_and_tickets_80x24() {
    let mut app = opened();
    app.focus = Pane::History;
    press(&mut app, Key::plain(KeyCode::Enter));
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn call_form_80x24() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    for c in "Router drops again".chars() {
        press(&mut app, Key::char(c));
    }
    app.update(Msg::Tick(at("2026-03-02T10:02:15Z")));
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn ticket_form_80x24() {
    let mut app = opened();
    press(&mut app, Key::char('t'));
    for c in "No dial tone".chars() {
        press(&mut app, Key::char(c));
    }
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_80x24() {
    let mut app = opened();
    app.banner = Some("demo database: /tmp/rapport-demo-1234 (thrown away on exit)".into());
    press(&mut app, Key::char('?'));
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn palette_with_an_error_80x24() {
    let mut app = opened();
    press(&mut app, Key::char(':'));
    for c in "ticket fly".chars() {
        press(&mut app, Key::char(c));
    }
    press(&mut app, Key::plain(KeyCode::Enter));
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn tiny_20x6_shows_the_focused_pane() {
    let t = draw(&opened(), Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_account", t.backend());
    let t = draw(&app(), Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_search", t.backend());
    let mut app = opened();
    press(&mut app, Key::char('c'));
    let t = draw(&app, Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_call_form", t.backend());
    press(&mut app, Key::plain(KeyCode::F(1)));
    draw(&app, Theme::colored(), 20, 6);
}

#[test]
fn every_size_down_to_one_cell_draws_without_panicking() {
    let mut apps = vec![app(), opened()];
    let mut form = opened();
    press(&mut form, Key::char('c'));
    apps.push(form);
    let mut help = opened();
    press(&mut help, Key::char('?'));
    apps.push(help);
    let mut palette = opened();
    press(&mut palette, Key::char(':'));
    apps.push(palette);
    for app in &apps {
        for (w, h) in [
            (1, 1),
            (2, 2),
            (5, 3),
            (20, 6),
            (59, 11),
            (60, 12),
            (80, 24),
            (200, 60),
        ] {
            draw(app, Theme::colored(), w, h);
        }
    }
}

#[test]
fn the_selected_result_is_reversed_in_the_focused_pane() {
    let t = draw(&app(), Theme::colored(), 80, 24);
    let buffer = t.backend().buffer();
    let (x, y) = find(buffer, "张伟");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find(buffer, "Northwind");
    assert!(!buffer[(x, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn the_focused_pane_border_is_bold_and_coloured() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    let t = draw(&app, Theme::colored(), 80, 24);
    let buffer = t.backend().buffer();
    let (x, y) = find(buffer, "Tickets (3)");
    assert_eq!(buffer[(x, y)].fg, Color::Cyan);
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(buffer, "History (3)");
    assert_eq!(buffer[(x, y)].fg, Color::DarkGray);
    // The selected ticket, reversed in its pane, bold in the account view.
    let rows: Vec<(u16, u16)> = (0..24)
        .filter_map(|y| {
            let (line, columns) = row_text(buffer, y);
            line.find("T-1 ")
                .map(|i| (columns[line[..i].chars().count()], y))
        })
        .collect();
    assert_eq!(rows.len(), 3, "account view, ticket list, ticket details");
    let (ax, ay) = rows[0];
    assert!(buffer[(ax, ay)].modifier.contains(Modifier::BOLD));
    assert!(!buffer[(ax, ay)].modifier.contains(Modifier::REVERSED));
    let (tx, ty) = rows[1];
    assert!(buffer[(tx, ty)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn no_color_uses_no_colour_at_all_but_keeps_focus_and_selection() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    for app in [self::app(), opened(), app] {
        let t = draw(&app, Theme::plain(), 80, 24);
        let buffer = t.backend().buffer();
        for cell in buffer.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
    }
    let t = draw(&self::app(), Theme::plain(), 80, 24);
    let buffer = t.backend().buffer();
    let (x, y) = find(buffer, "张伟");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find(buffer, "Search");
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
}

#[test]
fn the_cursor_sits_in_the_focused_field() {
    let mut app = app();
    for c in "zw".chars() {
        press(&mut app, Key::char(c));
    }
    let mut t = draw(&app, Theme::colored(), 80, 24);
    let (x, y) = find(t.backend().buffer(), "> zw");
    t.backend_mut().assert_cursor_position((x + 4, y));

    let mut app = opened();
    press(&mut app, Key::char('c'));
    for c in "ab".chars() {
        press(&mut app, Key::char(c));
    }
    let mut t = draw(&app, Theme::colored(), 80, 24);
    let (x, y) = find(t.backend().buffer(), "ab");
    t.backend_mut().assert_cursor_position((x + 2, y));
}

#[test]
fn long_lists_build_only_the_rows_shown() {
    let mut app = app();
    let request = RequestId(99);
    app.search.pending = Some(request);
    let rows: Vec<AccountRow> = (1..=5000)
        .map(|n| {
            account_row(
                n,
                &format!("Account {n}"),
                "555",
                Relationship::Customer,
                "2026-01-01T00:00:00Z",
            )
        })
        .collect();
    app.update(Msg::SearchResults { request, rows });
    for _ in 0..4000 {
        press(&mut app, Key::plain(KeyCode::Down));
    }
    let t = draw(&app, Theme::colored(), 80, 24);
    let screen = text(t.backend().buffer());
    assert!(
        screen.contains("Account 4001"),
        "the selected row shows:\n{screen}"
    );
    assert!(!screen.contains("Account 3990 "));
}

#[test]
fn a_breached_ticket_is_marked_and_its_due_time_shown() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    let t = draw(&app, Theme::colored(), 80, 24);
    let buffer = t.backend().buffer();
    let (x, y) = find(buffer, "!T-1");
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let (x, y) = find(buffer, "SLA breached · resolve by 02-21 09:00");
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
}

#[test]
fn import_progress_keeps_its_place_at_the_right_of_the_status_bar() {
    let mut app = opened();
    app.import = Some(crate::app::import::ImportJob {
        request: RequestId(7),
        line: crate::app::import::ImportLine {
            file: "/tmp/in/contacts.csv".into(),
            entity: "contacts".into(),
            ..Default::default()
        },
        counts: crate::app::import::ImportCounts {
            read: 1200,
            created: 1100,
            rejected: 3,
            ..Default::default()
        },
    });
    app.notice = Some(crate::app::Notice {
        text: "T-1 escalated".into(),
        error: false,
    });
    let t = draw(&app, Theme::colored(), 80, 24);
    let buffer = t.backend().buffer();
    let (bar, _) = row_text(buffer, 23);
    assert!(bar.contains("T-1 escalated"), "{bar}");
    let progress = " import: 1200 read · 1100 created · 3 rejected ";
    assert!(bar.ends_with(progress), "{bar}");
    let (x, y) = find(buffer, "import: 1200");
    assert_eq!(buffer[(x, y)].bg, Color::Blue);
    let t = draw(&app, Theme::plain(), 80, 24);
    let (x, y) = find(t.backend().buffer(), "import: 1200");
    assert!(
        t.backend().buffer()[(x, y)]
            .modifier
            .contains(Modifier::REVERSED)
    );
    app.notice = None;
    let t = draw(&app, Theme::colored(), 120, 24);
    let (bar, _) = row_text(t.backend().buffer(), 23);
    assert!(
        bar.ends_with(" import contacts.csv: 1200 read · 1100 created · 3 rejected "),
        "with room, the file's name too: {bar}"
    );
    let t = draw(&app, Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_import_progress", t.backend());
}

/// My queues: a breached ticket, one near its target, one paused, one with no service levels.
fn work_app() -> App {
    use crate::app::work::{WorkKind, WorkRow, WorkState};
    let mut app = opened();
    let d = data();
    let clock = |state, due: &str| SlaClock {
        due: at(due),
        achieved: None,
        state,
    };
    let sla = |state, due: &str| Sla {
        first_response: clock(state, due),
        resolution: clock(state, due),
        state,
    };
    let mut paused = d.tickets[1].clone();
    paused.meta.id = Id::new(Kind::Ticket, 14);
    paused.status = Status::Pending;
    paused.subject = "Waiting for the customer's meter reading".into();
    let mut plain = d.tickets[1].clone();
    plain.meta.id = Id::new(Kind::Ticket, 15);
    plain.assignee = Some("cy".into());
    let rows = vec![
        WorkRow {
            sla: Some(breached(&d.tickets[0])),
            ticket: d.tickets[0].clone(),
            account_name: "张伟".into(),
        },
        WorkRow {
            sla: Some(sla(SlaState::Warning, "2026-03-02T12:20:00Z")),
            ticket: d.tickets[1].clone(),
            account_name: "Northwind Traders International".into(),
        },
        WorkRow {
            sla: Some(sla(SlaState::Paused, "2026-03-04T09:00:00Z")),
            ticket: paused,
            account_name: "Иванов Пётр".into(),
        },
        WorkRow {
            sla: None,
            ticket: plain,
            account_name: "Acme".into(),
        },
    ];
    let mut work = WorkState::new(WorkKind::Queues);
    work.rows = rows;
    work.queues = vec!["billing".into(), "technical".into()];
    work.loaded = true;
    app.work = Some(work);
    app.view = crate::app::View::Work;
    app
}

#[test]
fn my_queues_80x24() {
    let app = work_app();
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let buffer = t.backend().buffer();
    let (x, y) = find(buffer, "9d01h overdue");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "overdue stands out");
    assert!(
        buffer[(x, y)].modifier.contains(Modifier::REVERSED),
        "selected"
    );
    let (x, y) = find(buffer, "2h20m left");
    assert_eq!(buffer[(x, y)].fg, Color::Yellow);
    let t = draw(&app, Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_my_queues", t.backend());
}

#[test]
fn an_empty_or_refused_work_list_says_why() {
    let mut app = work_app();
    let work = app.work.as_mut().unwrap();
    work.rows.clear();
    work.problem = Some("ann belongs to no queue (an admin adds some: …)".into());
    let t = draw(&app, Theme::colored(), 80, 24);
    let (x, y) = find(t.backend().buffer(), "ann belongs to no queue");
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
    let work = app.work.as_mut().unwrap();
    work.problem = None;
    work.kind = crate::app::work::WorkKind::Mine;
    let t = draw(&app, Theme::colored(), 80, 24);
    find(t.backend().buffer(), "nothing assigned to ann needs work");
    for (w, h) in [(1, 1), (5, 3), (20, 6), (59, 11)] {
        draw(&work_app(), Theme::colored(), w, h);
    }
}

/// A dashboard with every figure: an overdue ticket, SLA attainment with one priority not yet
/// decided, three agents (one with a Chinese name) and thirty days of volume.
fn dashboard_app() -> App {
    use crate::app::dashboard::{AgentFigure, Dashboard, Overdue, SlaFigure};
    let mut app = opened();
    let sla = |priority, decided, met| SlaFigure {
        priority,
        tickets: decided + 2,
        decided,
        met,
    };
    let agent = |name: &str, calls, handle, resolved, csat| AgentFigure {
        agent: name.into(),
        calls,
        handle_seconds: handle,
        resolved,
        csat,
    };
    app.dashboard.data = Some(Box::new(Dashboard {
        built_at: at("2026-03-02T09:58:00Z"),
        tickets: 57,
        by_status: vec![
            (Status::New, 9),
            (Status::Open, 21),
            (Status::Pending, 6),
            (Status::Escalated, 5),
            (Status::Resolved, 10),
            (Status::Closed, 6),
        ],
        by_priority: vec![
            (Priority::Urgent, 7),
            (Priority::High, 12),
            (Priority::Normal, 30),
            (Priority::Low, 8),
        ],
        sla: vec![
            sla(Priority::Urgent, 4, 1),
            sla(Priority::High, 8, 7),
            sla(Priority::Normal, 12, 12),
            sla(Priority::Low, 0, 0),
        ],
        agents: vec![
            agent("ann", 41, Some(270), 12, Some(4.25)),
            agent("bo", 17, Some(3725), 3, None),
            agent("张伟", 0, None, 1, Some(2.0)),
        ],
        csat: [1, 0, 3, 5, 8],
        daily: (0..30).map(|d| (d * 7 % 5) as u64).collect(),
        daily_until: "2026-03-02".parse().unwrap(),
        overdue: vec![
            Overdue {
                ticket: Id::new(Kind::Ticket, 1),
                priority: Priority::Urgent,
                subject: "Router drops every evening".into(),
                due: at("2026-02-21T09:00:00Z"),
            },
            Overdue {
                ticket: Id::new(Kind::Ticket, 9),
                priority: Priority::High,
                subject: "Invoice charged twice".into(),
                due: at("2026-03-02T08:30:00Z"),
            },
        ],
        overdue_total: 2,
    }));
    app.view = crate::app::View::Dashboard;
    app
}

#[test]
fn dashboard_80x24() {
    let app = dashboard_app();
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let buffer = t.backend().buffer();
    // The overdue tickets stand out, in the colour of a breach.
    let (x, y) = find(buffer, "! 2 overdue now: T-1 urgent 9d01h late");
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    // Bars take the colour of what they count.
    let (x, y) = find(buffer, "escalated");
    let bar = (x..80)
        .find(|&x| buffer[(x, y)].symbol() == "█")
        .expect("a bar");
    assert_eq!(buffer[(bar, y)].fg, Color::Red);
    let t = draw(&app, Theme::colored(), 20, 6);
    insta::assert_snapshot!("tiny_dashboard", t.backend());
}

#[test]
fn the_dashboard_keeps_its_figures_readable_without_colour_and_while_building() {
    let app = dashboard_app();
    let t = draw(&app, Theme::plain(), 80, 24);
    let buffer = t.backend().buffer();
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    let (x, y) = find(buffer, "! 2 overdue now");
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    // A small screen gets the same figures as lines.
    let t = draw(&app, Theme::colored(), 59, 20);
    let screen = text(t.backend().buffer());
    assert!(
        screen.contains("SLA met  urgent 25% · high 88% · normal 100% · low -"),
        "{screen}"
    );
    // Rebuilding shows in the title; building from nothing says so.
    let mut app = dashboard_app();
    app.dashboard.pending = Some(RequestId(5));
    let t = draw(&app, Theme::colored(), 80, 24);
    find(t.backend().buffer(), "built 03-02 09:58 · rebuilding…");
    app.dashboard.data = None;
    let t = draw(&app, Theme::colored(), 80, 24);
    find(t.backend().buffer(), "Dashboard · building…");
    for (w, h) in [
        (1, 1),
        (2, 2),
        (5, 3),
        (20, 6),
        (59, 11),
        (60, 21),
        (200, 60),
    ] {
        draw(&dashboard_app(), Theme::colored(), w, h);
        draw(&app, Theme::colored(), w, h);
    }
}

#[test]
fn satisfaction_prompt_80x24() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('r'));
    let mut t = data().tickets[0].clone();
    t.status = Status::Resolved;
    app.update(Msg::TicketSaved {
        ticket: Box::new(t),
        sla: None,
        done: "T-1 resolved".into(),
    });
    for c in "5 sorted in one call".chars() {
        press(&mut app, Key::char(c));
    }
    let mut t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let (x, y) = find(t.backend().buffer(), "T-1 satisfaction 1-5: 5 sorted");
    t.backend_mut().assert_cursor_position((x + 42, y));
    draw(&app, Theme::colored(), 20, 6);
}

#[test]
fn a_resolved_call_says_it_resolves_its_ticket() {
    let mut app = opened();
    press(&mut app, Key::char('c'));
    if let Some(crate::app::form::Form::Call(f)) = &mut app.form {
        f.outcome = Outcome::Resolved;
    }
    let t = draw(&app, Theme::colored(), 80, 24);
    let screen = text(t.backend().buffer());
    assert!(
        screen.contains(" Resolve    yes, resolve T-1 with this call"),
        "{screen}"
    );
}

/// The suggestions for T-1, answered with `rows`.
fn suggesting(rows: Vec<crate::app::suggest::ArticleRow>) -> App {
    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('k'));
    let Some(crate::app::Modal::Suggest(s)) = &app.modal else {
        panic!("k opens the suggestions")
    };
    let request = s.pending.unwrap();
    app.update(Msg::Suggestions { request, rows });
    app
}

fn article(n: u64, title: &str, body: &str, linked: bool) -> crate::app::suggest::ArticleRow {
    crate::app::suggest::ArticleRow {
        id: Id::new(Kind::Article, n),
        title: title.into(),
        product: Some("router".into()),
        tags: vec!["wifi".into(), "重置".into()],
        body: body.into(),
        linked,
    }
}

#[test]
fn suggestions_80x24() {
    let mut app = suggesting(vec![
        article(
            3,
            "Reset a router that keeps dropping Wi-Fi",
            "# Reset a router\n\nHold the reset button for ten seconds, wait for the lights to settle, then \
             reconnect. If it still drops, check the firmware version in the admin page.",
            false,
        ),
        article(7, "路由器无法连接", "按住重置按钮十秒钟。", true),
    ]);
    press(&mut app, Key::plain(KeyCode::Down));
    let t = draw(&app, Theme::colored(), 80, 24);
    insta::assert_snapshot!(t.backend());
    let (x, y) = find(t.backend().buffer(), "KB-7");
    assert!(
        t.backend().buffer()[(x, y)]
            .modifier
            .contains(Modifier::REVERSED),
        "the selected article is reversed"
    );
    let (x, y) = find(t.backend().buffer(), "KB-3");
    assert!(
        !t.backend().buffer()[(x, y)]
            .modifier
            .contains(Modifier::REVERSED)
    );
    draw(&app, Theme::colored(), 20, 6);
}

#[test]
fn suggestions_while_loading_and_when_nothing_matches() {
    let mut app = opened();
    app.focus = Pane::Tickets;
    press(&mut app, Key::char('k'));
    let t = draw(&app, Theme::plain(), 80, 24);
    find(t.backend().buffer(), "finding articles");
    let app = suggesting(Vec::new());
    let t = draw(&app, Theme::plain(), 80, 24);
    find(t.backend().buffer(), "no article matches this ticket");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn a_linked_suggestion_shows_in_the_ticket_timeline_80x24() {
    let mut app = suggesting(vec![article(
        3,
        "Reset a router that keeps dropping Wi-Fi",
        "Hold the reset button.",
        false,
    )]);
    let effects = app.update(Msg::Key(Key::plain(KeyCode::Enter)));
    let [Effect::LinkArticle { ticket, article }] = effects[..] else {
        panic!("{effects:?}")
    };
    // The worker's answer: the ticket with the link recorded.
    let mut t = data().tickets[0].clone();
    assert_eq!(t.meta.id, ticket);
    t.link_article(
        article,
        "ann",
        at("2026-03-02T10:01:00Z"),
        Some("KB-3 Reset a router that keeps dropping Wi-Fi".into()),
    );
    app.update(Msg::TicketSaved {
        ticket: Box::new(t),
        sla: None,
        done: "KB-3 linked to T-1".into(),
    });
    let t = draw(&app, Theme::plain(), 80, 24);
    find(t.backend().buffer(), "ann linked KB-3: KB-3 Res");
    find(t.backend().buffer(), "KB-3 linked to T-1");
    insta::assert_snapshot!(t.backend());
    draw(&app, Theme::plain(), 20, 6);
}
