//! The real binary in a pseudo-terminal: keys typed, the screen read back through a terminal
//! emulator, then the database checked once the process has exited. No sleeps stand in for
//! synchronisation: every step polls the screen until what it waits for shows, or a deadline
//! passes and the test fails with the screen it saw.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use rapport::domain::ticket::{Action, EventKind, Status};
use rapport::domain::{Id, Kind};
use rapport::ops::{AccountDraft, ArticleDraft, CallLog, ContactDraft, Ops, TicketDraft};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

/// Seeds a database through the operations, as the CLI would, and closes it.
fn seed(db: &Path) {
    let store = rapport::store::sled::open(db).unwrap();
    let ops = Ops::new(&store, "ann", "2026-03-01T09:00:00Z".parse().unwrap());
    let zhang = ops
        .add_account(AccountDraft {
            name: "张伟".into(),
            phones: vec!["+86 138 0013 8000".into()],
            ..Default::default()
        })
        .unwrap();
    for name in ["Northwind Traders", "Zoe Walker", "Иванов Пётр"] {
        ops.add_account(AccountDraft {
            name: name.into(),
            ..Default::default()
        })
        .unwrap();
    }
    let a = zhang.meta.id;
    ops.add_contact(ContactDraft {
        account: a,
        name: "李娜".into(),
        ..Default::default()
    })
    .unwrap();
    let t = ops
        .new_ticket(TicketDraft::new(a, "Router drops every evening"))
        .unwrap();
    ops.transition(t.meta.id, Action::Open, None).unwrap();
    ops.log(CallLog::call(a)).unwrap();
}

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Session {
    fn start(args: &[&str], config: &Path) -> Session {
        Session::start_at(args, config, "2026-03-02T10:00:00Z")
    }

    /// Starts with the clock pinned at `now`.
    fn start_at(args: &[&str], config: &Path, now: &str) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_rapport"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("TZ", "UTC");
        cmd.env("RAPPORT_NOW", now);
        cmd.env("XDG_CONFIG_HOME", config);
        cmd.env("HOME", config);
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("RAPPORT_DB");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(nz(24), nz(80), 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let sink = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Session {
            parser,
            master: pair.master,
            writer,
            child,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `ok`, failing with the screen after the deadline.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {what}; the screen:\n{screen}");
            }
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("'{text}'"), |s| s.contains(text))
    }

    /// Waits until the search pane shows the answer to `query`, with `found` among it.
    fn wait_for_answer(&self, query: &str, found: &str) -> String {
        let typed = format!("> {query}");
        self.wait(&format!("the answer to '{query}'"), |s| {
            s.contains(&typed) && !s.contains("recently contacted") && s.contains(found)
        })
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn resize(&mut self, rows: u16, cols: u16) {
        // The emulator first, so that the redraw the resize causes lands in the new size.
        self.parser.lock().unwrap().set_size(nz(rows), nz(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("the TUI did not exit; the screen:\n{}", self.screen());
            }
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has a size")
}

const ENTER: &str = "\r";
const TAB: &str = "\t";
const CTRL_S: &str = "\x13";

#[test]
fn search_by_pinyin_open_log_a_call_escalate_resize_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let db_arg = db.to_str().unwrap();
    let mut s = Session::start(&["--db", db_arg, "--as", "ann"], dir.path());

    // At start the focus is in the query and the recent accounts are listed.
    s.wait("the recently contacted list", |s| {
        s.contains("recently contacted") && s.contains("张伟")
    });

    // Search by pinyin.
    s.send("zhangwei");
    s.wait_for_answer("zhangwei", "张伟");

    // Open the account.
    s.send(ENTER);
    s.wait_for("A-1 张伟");
    s.wait_for("Router drops every evening");

    // Log a call: the form opens with the cursor in the notes.
    s.send("c");
    s.wait_for("Log a call");
    s.send("Router reset, works now");
    s.wait_for("Router reset, works now");
    s.send(CTRL_S);
    s.wait("the call in the status line and the history", |s| {
        s.contains("logged") && !s.contains("Log a call") && s.contains("History (2)")
    });

    // Escalate the selected ticket from the ticket pane.
    s.send(TAB);
    s.send(TAB);
    s.wait("the ticket pane focused", |s| s.contains("│ Tickets │"));
    s.send("e");
    s.wait_for("T-1 escalated");

    // An illegal step names the legal ones.
    s.send("o");
    s.wait_for("T-1 is escalated, cannot open; next: r resolve");

    // Resize: the screen is drawn again at the new size, and at a tiny one.
    s.resize(30, 100);
    s.wait("a redraw at 100 columns", |screen| {
        screen
            .lines()
            .any(|l| l.chars().count() > 90 && l.contains("Tickets"))
    });
    s.resize(6, 20);
    s.wait("the focused pane alone at 20x6", |screen| {
        screen.contains("Tickets") && !screen.contains("History")
    });
    s.resize(24, 80);
    s.wait_for("History (2)");

    // Quit, not typing.
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");

    // The database holds the call and the escalation.
    let store = rapport::store::sled::open(&db).unwrap();
    let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
    let a = Id::new(Kind::Account, 1);
    let history = ops.history(a, None).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].notes.as_deref(), Some("Router reset, works now"));
    assert_eq!(history[0].agent, "ann");
    assert_eq!(history[0].ticket, Some(Id::new(Kind::Ticket, 1)));
    let ticket = ops.ticket(Id::new(Kind::Ticket, 1)).unwrap();
    assert_eq!(ticket.status, Status::Escalated);
    assert!(ticket.events.iter().any(|e| matches!(
        e.kind,
        EventKind::Status {
            from: Status::Open,
            to: Status::Escalated
        }
    ) && e.by == "ann"));
}

#[test]
fn help_lists_the_bindings_and_ctrl_c_quits_while_typing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let mut s = Session::start(
        &["--db", db.to_str().unwrap(), "--keymap", "vim"],
        dir.path(),
    );
    s.wait_for("recently contacted");
    // `?` in the query opens help (the search context binds it).
    s.send("?");
    s.wait_for("every key of the active keymap");
    s.send("ticket.hold");
    s.wait("the vim binding of ticket.hold", |s| {
        s.contains("normal  H") && s.contains("ticket.hold")
    });
    s.send("\x1b");
    s.wait("help closed", |s| {
        !s.contains("every key of the active keymap")
    });
    s.send("typing q");
    s.wait_for("> typing q");
    s.send("\x03");
    assert!(s.wait_exit().success());
}

#[test]
fn a_broken_keymap_is_refused_with_its_file_and_line_before_the_terminal_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let keymap = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keymaps/unknown-action.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["--db", dir.path().join("db").to_str().unwrap()])
        .arg("--keymap")
        .arg(&keymap)
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown-action.toml:3:"), "{err}");
    assert!(err.contains("unknown action 'ticket.escalte'"), "{err}");
}

#[test]
fn a_database_in_use_ends_the_tui_with_exit_5_and_the_reason_on_a_restored_terminal() {
    // The store opens on the worker while the first frame is drawn; failing to open it must
    // still give the command line's message and exit code, on the normal screen.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let _held = rapport::store::sled::open(&db).unwrap();
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "ann"], dir.path());
    let status = s.wait_exit();
    assert_eq!(status.exit_code(), 5, "{}", s.screen());
    let screen = s.wait_for("in use by another rapport process");
    assert!(
        !s.parser.lock().unwrap().screen().alternate_screen(),
        "the terminal is back on its normal screen:\n{screen}"
    );
}

#[test]
fn a_broken_user_keymap_starts_on_the_defaults_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let config = dir.path().join("rapport");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("keymap.toml"),
        "[normal]\n\"e\" = \"ticket.escalate\"\n\"E\" = \"ticket.explode\"\n",
    )
    .unwrap();
    let mut s = Session::start(&["--db", db.to_str().unwrap()], dir.path());
    s.wait_for("default keymap in use: keymap.toml:3: unknown action");
    // Help keeps the whole reason, after the first key has cleared the status line.
    s.send("\t?");
    s.wait_for("unknown action 'ticket.explode'");
    s.send("\x03");
    assert!(s.wait_exit().success());
}

#[test]
fn the_demo_opens_on_a_throwaway_database_and_finds_by_transliteration() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], dir.path());
    // The banner says where the database is; the list starts on recently contacted accounts.
    s.wait_for("Demo database at");
    s.wait("recently contacted accounts", |screen| {
        screen.contains("cust")
    });
    s.send("ooo");
    s.wait_for("ООО");
    s.send("\x03");
    assert!(s.wait_exit().success());
}

const CTRL_C: &str = "\x03";

#[test]
fn an_import_from_the_palette_runs_in_the_background_and_its_accounts_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let csv = dir.path().join("new accounts.csv");
    std::fs::write(
        &csv,
        "Company,Phone,E-mail\n\
         Quokka Industries,+61 2 5550 1234,hello@quokka.example\n\
         ,+61 2 5550 9999,nobody@example.com\n\
         Wombat Freight,+61 3 5550 4321,desk@wombat.example\n",
    )
    .unwrap();
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "ann"], dir.path());
    s.wait_for("recently contacted");

    // A file that is not there is a status-line error.
    s.send(":import /no/such/file.csv --entity accounts");
    s.send(ENTER);
    s.wait_for("/no/such/file.csv: No such file");

    // The palette line of the command line, a path with a space quoted. The summary is long:
    // a wide screen shows it whole.
    s.resize(24, 200);
    // Keys typed while the resize is read can sit unread until the next key (crossterm reads
    // one source per wake-up); wait for the redraw first.
    s.wait("a redraw at 200 columns", |screen| {
        screen.lines().any(|l| l.chars().count() > 150)
    });
    s.send(&format!(
        ":import \"{}\" --entity accounts",
        csv.to_str().unwrap()
    ));
    s.send(ENTER);
    s.wait_for("new accounts.csv: 3 read, 2 created, 1 rejected in ");
    s.wait_for("; first rejected: line 3: name");

    // The new accounts are searchable at once.
    s.send("quokka");
    s.wait_for("Quokka Industries");
    s.send(CTRL_C);
    assert!(s.wait_exit().success());

    let store = rapport::store::sled::open(&db).unwrap();
    let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
    let names: Vec<String> = ops
        .accounts(&Default::default())
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert!(
        names.contains(&"Quokka Industries".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"Wombat Freight".to_string()), "{names:?}");
    assert_eq!(names.len(), 6);
}

#[test]
fn an_agent_is_refused_an_import_and_the_dashboard_the_way_the_operations_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    {
        let store = rapport::store::sled::open(&db).unwrap();
        let ops = Ops::new(&store, "root", "2026-03-01T09:00:00Z".parse().unwrap());
        ops.add_user("root", rapport::domain::record::Role::Admin, vec![])
            .unwrap();
        ops.add_user("bo", rapport::domain::record::Role::Agent, vec![])
            .unwrap();
    }
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "name\nKoala Ltd\n").unwrap();
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "bo"], dir.path());
    s.wait_for("recently contacted");
    s.send(&format!(
        ":import {} --entity accounts",
        csv.to_str().unwrap()
    ));
    s.send(ENTER);
    s.wait_for("importing needs the admin role; bo is agent");
    // The dashboard too: refused with the reports' message, the panes back.
    s.send(F4);
    s.wait("the refusal, and the panes", |screen| {
        screen.contains("running reports needs the supervisor role; bo is agent")
            && screen.contains("recently contacted")
    });
    s.send(CTRL_C);
    assert!(s.wait_exit().success());
}

const F2: &str = "\x1bOQ";

#[test]
fn my_tickets_from_the_search_pane_and_enter_opens_the_ticket_in_its_account() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    {
        let store = rapport::store::sled::open(&db).unwrap();
        let ops = Ops::new(&store, "ann", "2026-03-01T09:00:00Z".parse().unwrap());
        ops.assign(Id::new(Kind::Ticket, 1), Some("ann".into()), None)
            .unwrap();
    }
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "ann"], dir.path());
    s.wait_for("recently contacted");
    s.send(F2);
    // Opened on Sunday: the first response (8 business hours, normal) is due Monday 17:00.
    s.wait("my tickets with the time left", |screen| {
        screen.contains("My tickets · ann (1)")
            && screen.contains("Router drops eve")
            && screen.contains("ok       7h00m left")
    });
    s.send(ENTER);
    s.wait("the ticket in its account's ticket pane", |screen| {
        screen.contains("│ Tickets │") && screen.contains("T-1 Router drops every evening")
    });
    s.send("q");
    assert!(s.wait_exit().success());
}

const F4: &str = "\x1bOS";

#[test]
fn the_demo_dashboard_shows_real_figures_and_the_overdue_tickets_stand_out() {
    let dir = tempfile::tempdir().unwrap();
    // Three days after the last demo record: every figure has data, the sparkline included.
    let mut s = Session::start_at(&["demo"], dir.path(), "2026-11-23T10:00:00Z");
    s.wait_for("recently contacted");
    s.send(F4);
    // Figures of the demo data: 72 open and 39 escalated tickets, six agents, and tickets
    // opened in the last thirty days. Waited for whole: a frame can be read half drawn.
    let figures = [
        "Dashboard · 240 tickets".to_string(),
        format!("{:<9} {:>7}", "open", 72),
        format!("{:<9} {:>7}", "escalated", 39),
        "ann ".to_string(),
        "fay ".to_string(),
        "overdue now: T-".to_string(),
        "Tickets opened per day, 30 days to 11-23 · 50 in all".to_string(),
    ];
    s.wait("the dashboard with the demo's figures", |screen| {
        figures.iter().all(|figure| screen.contains(figure))
    });
    // Overdue tickets stand out: the headline is red and bold.
    {
        let parser = s.parser.lock().unwrap();
        let screen = parser.screen();
        let (row, col) = (0..24)
            .find_map(|r| {
                let line = screen.contents_between(r, 0, r, 80);
                line.find("overdue now")
                    .map(|c| (r, line[..c].chars().count() as u16))
            })
            .expect("the overdue headline");
        let cell = screen.cell(row, col).unwrap();
        assert!(cell.bold(), "bold");
        assert_eq!(cell.fgcolor(), vt100::Color::Idx(1), "red");
    }
    // Refresh on demand, then back to the panes.
    s.send("r");
    s.wait_for("Dashboard · 240 tickets");
    s.send("q");
    assert!(s.wait_exit().success());
}

const SHIFT_TAB: &str = "\x1b[Z";
const RIGHT: &str = "\x1b[C";

#[test]
fn a_call_that_resolves_its_ticket_records_the_customers_satisfaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "ann"], dir.path());
    s.wait_for("recently contacted");
    s.send("zhangwei");
    s.wait_for_answer("zhangwei", "张伟");
    s.send(ENTER);
    s.wait_for("Router drops every evening");
    s.send("c");
    s.wait_for("Log a call");
    // From the notes back to the outcome, then answered → resolved.
    for _ in 0..4 {
        s.send(SHIFT_TAB);
    }
    s.send(RIGHT);
    s.wait_for("yes, resolve T-1 with this call");
    s.send(CTRL_S);
    s.wait("the satisfaction prompt", |screen| {
        screen.contains("T-1 satisfaction 1-5:") && screen.contains("I-2 logged, T-1 resolved")
    });
    s.send("5 sorted in one call");
    s.send(ENTER);
    s.wait_for("T-1 rated 5/5");
    s.send("q");
    assert!(s.wait_exit().success());

    let store = rapport::store::sled::open(&db).unwrap();
    let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
    let ticket = ops.ticket(Id::new(Kind::Ticket, 1)).unwrap();
    assert_eq!(ticket.status, Status::Resolved);
    let csat = ticket.csat.as_ref().unwrap();
    assert_eq!(
        (csat.score, csat.comment.as_deref()),
        (5, Some("sorted in one call"))
    );
    assert!(ticket.events.iter().any(|e| matches!(
        e.kind,
        EventKind::Status {
            to: Status::Resolved,
            ..
        }
    ) && e.note.as_deref() == Some("resolved on call I-2")));
    let call = &ops.history(Id::new(Kind::Account, 1), None).unwrap()[0];
    assert_eq!(call.outcome, rapport::domain::record::Outcome::Resolved);
    assert_eq!(call.ticket, Some(Id::new(Kind::Ticket, 1)));
}

#[test]
fn k_suggests_articles_for_the_ticket_and_enter_links_one_into_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    seed(&db);
    {
        let store = rapport::store::sled::open(&db).unwrap();
        let ops = Ops::new(&store, "ann", "2026-03-01T09:00:00Z".parse().unwrap());
        for (title, body) in [
            (
                "Invoice shows the wrong VAT",
                "Credit the invoice and issue a new one.",
            ),
            (
                "Router drops Wi-Fi every evening",
                "Move the router off channel 6 and update its firmware.",
            ),
        ] {
            ops.add_article(ArticleDraft {
                title: title.into(),
                body: body.into(),
                tags: vec!["router".into()],
                product: None,
            })
            .unwrap();
        }
    }
    let mut s = Session::start(&["--db", db.to_str().unwrap(), "--as", "ann"], dir.path());
    s.wait_for("recently contacted");
    s.send("zhangwei");
    s.wait_for_answer("zhangwei", "张伟");
    s.send(ENTER);
    s.wait_for("Router drops every evening");
    s.send("k");
    s.wait("the suggestions, the router article first", |screen| {
        screen.contains("Articles for T-1")
            && screen.contains("KB-2   Router drops Wi-Fi every evening")
            && screen.contains("Move the router off channel 6")
    });
    s.send(ENTER);
    s.wait(
        "the link in the status line and in the ticket's timeline",
        |screen| screen.contains("KB-2 linked to T-1") && screen.contains("linked KB-2"),
    );
    // The palette links by id, to the selected ticket when none is named.
    s.send(":kb link KB-1");
    s.wait_for(":kb link KB-1");
    s.send(ENTER);
    s.wait("the second link", |screen| {
        screen.contains("KB-1 linked to T-1") && screen.contains("linked KB-1")
    });
    s.send("q");
    assert!(s.wait_exit().success());

    let store = rapport::store::sled::open(&db).unwrap();
    let ops = Ops::new(&store, "ann", "2026-03-02T10:00:00Z".parse().unwrap());
    let ticket = ops.ticket(Id::new(Kind::Ticket, 1)).unwrap();
    assert_eq!(
        ticket.articles,
        [Id::new(Kind::Article, 2), Id::new(Kind::Article, 1)]
    );
    assert!(ticket.events.iter().any(|e| e.by == "ann"
        && matches!(&e.kind, EventKind::KbLinked { article } if *article == Id::new(Kind::Article, 2))));
}
