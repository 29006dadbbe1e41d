//! The knowledge base: ranking over the fixture articles in English, Chinese and Russian, the
//! link recorded in a ticket's history, bulk import with its errors, and every `rapport kb`
//! command as scripts use it.

use assert_cmd::Command;
use rapport::domain::Id;
use rapport::ops::{AccountDraft, ArticleFilter, Ops, TicketDraft};
use rapport::store::memory::MemoryStore;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const NOW: &str = "2026-03-02T10:00:00Z";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kb")
}

/// A store holding the fixture articles, and an account to open tickets for.
fn knowledge_base(store: &MemoryStore) -> (Ops<'_>, Id) {
    let ops = Ops::new(store, "ann", NOW.parse().unwrap());
    let done = ops.import_articles(&fixtures()).unwrap();
    assert_eq!(done.created.len(), 16, "{done:?}");
    let account = ops
        .add_account(AccountDraft {
            name: "Acme".into(),
            ..Default::default()
        })
        .unwrap()
        .meta
        .id;
    (ops, account)
}

fn top_suggestion(ops: &Ops, account: Id, subject: &str, description: &str) -> String {
    let mut draft = TicketDraft::new(account, subject);
    draft.description = Some(description.to_string()).filter(|d| !d.is_empty());
    let ticket = ops.new_ticket(draft).unwrap().meta.id;
    let hits = ops.suggest_articles(ticket, 5).unwrap();
    hits.first()
        .map(|(_, a)| a.title.clone())
        .unwrap_or_default()
}

#[test]
fn the_right_article_is_suggested_first_for_tickets_in_three_languages() {
    let store = MemoryStore::empty();
    let (ops, account) = knowledge_base(&store);
    let cases: &[(&str, &str, &str)] = &[
        // English
        (
            "Where is my money?",
            "I returned the shoes two weeks ago and still have not been refunded.",
            "How refunds work",
        ),
        (
            "Can't log in",
            "I forgot my password and the account is locked now.",
            "Resetting a forgotten password",
        ),
        (
            "Parcel is late",
            "The delivery was promised for Monday, tracking has not moved since.",
            "Late or delayed deliveries",
        ),
        (
            "Internet drops every hour",
            "The router disconnects and the WAN light goes red, then it comes back.",
            "Router keeps disconnecting",
        ),
        (
            "Invoice shows the wrong VAT number",
            "Our company VAT number on invoice 2026-114 is wrong, please correct it.",
            "Correcting a wrong invoice",
        ),
        (
            "Lost my phone with the authenticator app",
            "I need to sign in but the code app was on my old phone.",
            "Setting up two-factor authentication",
        ),
        // Chinese
        (
            "申请退款",
            "我上周退货了，钱什么时候能退回到银行卡？",
            "退款申请流程",
        ),
        ("忘记密码", "登录不了，收不到验证码短信。", "如何重置密码"),
        (
            "发票抬头开错了",
            "需要作废重新开具增值税专用发票。",
            "发票开具与更正",
        ),
        (
            "家里网络老是掉线",
            "路由器每隔一小时断网一次。",
            "路由器频繁断线怎么办",
        ),
        ("快递三天了还没到", "物流信息一直没有更新。", "快递延误处理"),
        // Russian
        (
            "Возврат денег",
            "Вернул товар неделю назад, а деньги на карту так и не пришли.",
            "Как оформить возврат денег",
        ),
        (
            "Не могу войти в личный кабинет",
            "Забыл пароль, письмо для сброса не приходит.",
            "Восстановление пароля",
        ),
        (
            "Заказ не доставлен",
            "Курьер должен был привезти заказ вчера, статус доставки не меняется.",
            "Задержка доставки заказа",
        ),
        (
            "Пропадает интернет",
            "Роутер теряет соединение каждые полчаса.",
            "Роутер постоянно теряет соединение",
        ),
    ];
    let mut wrong = Vec::new();
    for (subject, description, expected) in cases {
        let got = top_suggestion(&ops, account, subject, description);
        if got != *expected {
            wrong.push(format!("{subject:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn short_searches_find_the_article_in_their_language() {
    let store = MemoryStore::empty();
    let (ops, _) = knowledge_base(&store);
    for (query, expected) in [
        ("refund", "How refunds work"),
        ("firmware", "Router keeps disconnecting"),
        ("two-factor", "Setting up two-factor authentication"),
        ("退款", "退款申请流程"),
        ("密码", "如何重置密码"),
        ("发票", "发票开具与更正"),
        ("路由器", "路由器频繁断线怎么办"),
        ("возврат", "Как оформить возврат денег"),
        ("пароля", "Восстановление пароля"),
        ("доставка", "Задержка доставки заказа"),
        ("ПАРОЛЬ", "Восстановление пароля"),
    ] {
        let hits = ops.search_articles(query, 3).unwrap();
        assert_eq!(
            hits.first().map(|(_, a)| a.title.as_str()),
            Some(expected),
            "{query}: {:?}",
            hits.iter()
                .map(|(h, a)| (&a.title, h.score))
                .collect::<Vec<_>>()
        );
        assert!(hits.windows(2).all(|w| w[0].0.score >= w[1].0.score));
    }
    assert!(ops.search_articles("zzyzx quasar", 10).unwrap().is_empty());
}

#[test]
fn linking_records_one_event_with_who_and_when() {
    let store = MemoryStore::empty();
    let (ops, account) = knowledge_base(&store);
    let ticket = ops
        .new_ticket(TicketDraft::new(account, "Refund please"))
        .unwrap()
        .meta
        .id;
    let (_, article) = ops.suggest_articles(ticket, 1).unwrap().remove(0);
    let bo = Ops::new(&store, "bo", "2026-03-02T11:00:00Z".parse().unwrap());
    let (t, changed) = bo.link_article(ticket, article.meta.id).unwrap();
    assert!(changed);
    assert_eq!(t.articles, [article.meta.id]);
    let event = serde_json::to_value(t.events.last().unwrap()).unwrap();
    assert_eq!(event["type"], "kb-linked");
    assert_eq!(event["article"], article.meta.id.to_string());
    assert_eq!(event["by"], "bo");
    assert_eq!(event["at"], "2026-03-02T11:00:00Z");
    let (again, changed) = ops.link_article(ticket, article.meta.id).unwrap();
    assert!(!changed);
    assert_eq!(again, ops.ticket(ticket).unwrap());
    assert_eq!(again.events.len(), t.events.len(), "no second event");
}

#[test]
fn importing_the_fixtures_twice_changes_nothing() {
    let store = MemoryStore::empty();
    let (ops, _) = knowledge_base(&store);
    let again = ops.import_articles(&fixtures()).unwrap();
    assert_eq!((again.created.len(), again.updated.len()), (0, 0));
    assert_eq!(again.unchanged.len(), 16);
    let more = ops
        .import_articles(&fixtures().join("import.jsonl"))
        .unwrap();
    assert_eq!(more.created.len(), 3);
    let all = ops.articles(&ArticleFilter::default()).unwrap();
    assert_eq!(all.len(), 19);
    let refund = all.iter().find(|a| a.title == "How refunds work").unwrap();
    assert_eq!(refund.tags, ["billing", "refund"]);
    assert_eq!(refund.product.as_deref(), Some("Webshop"));
    assert!(refund.body.starts_with("When a customer returns goods"));
}

// The command line.

struct Db {
    dir: TempDir,
}

impl Db {
    fn new() -> Db {
        Db {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("rapport").unwrap();
        cmd.env("RAPPORT_DB", self.dir.path().join("db"))
            .env("RAPPORT_USER", "ann")
            .env("RAPPORT_NOW", NOW)
            .env("COLUMNS", "200")
            .args(args);
        cmd
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} failed with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd(args).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "errors print nothing on stdout");
        stderr
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

#[test]
fn kb_commands_add_edit_list_show_and_delete() {
    let db = Db::new();
    let id = db.ok(&[
        "kb",
        "add",
        "--title",
        "How refunds work",
        "--body",
        "Money goes back to the card.",
        "--tags",
        "billing,refund",
        "--product",
        "Webshop",
    ]);
    assert_eq!(id, "KB-1\n", "add prints the id alone");
    let body = db.file(
        "router.md",
        "# ignored\n\nUnplug the router for 30 seconds.\n",
    );
    let rec = db.json(&[
        "kb",
        "add",
        "--title",
        "Router keeps disconnecting",
        "--body-file",
        &body,
        "--tag",
        "router",
    ]);
    assert_eq!(rec["id"], "KB-2");
    assert_eq!(rec["created_by"], "ann");
    assert!(rec["body"].as_str().unwrap().contains("Unplug"));

    let list = db.json(&["kb", "list"]);
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["How refunds work", "Router keeps disconnecting"]);
    assert_eq!(db.json(&["kb", "list", "--tag", "ROUTER"])[0]["id"], "KB-2");

    let edited = db.json(&[
        "kb",
        "edit",
        "KB-1",
        "--set",
        "tags=billing",
        "--set",
        "product=",
    ]);
    assert_eq!(edited["tags"], serde_json::json!(["billing"]));
    assert!(edited.get("product").is_none());

    let shown = db.ok(&["kb", "show", "KB-1"]);
    assert!(shown.contains("How refunds work") && shown.contains("Money goes back to the card."));
    let csv = db.ok(&["kb", "list", "--format", "csv"]);
    assert!(csv.starts_with("id,"), "{csv}");
    assert_eq!(
        db.ok(&["kb", "list", "--format", "jsonl"]).lines().count(),
        2
    );

    db.ok(&["kb", "delete", "KB-2"]);
    db.fails(&["kb", "show", "KB-2"], 3);
}

#[test]
fn kb_errors_have_the_documented_exit_codes() {
    let db = Db::new();
    db.ok(&["kb", "add", "--title", "Refunds", "--body", "Money back."]);
    let err = db.fails(&["kb", "add", "--title", " ", "--body", "x"], 4);
    assert!(err.contains("title"), "{err}");
    let err = db.fails(&["kb", "add", "--title", "refunds", "--body", "x"], 4);
    assert!(err.contains("KB-1"), "{err}");
    db.fails(&["kb", "add", "--title", "No body"], 2);
    let err = db.fails(&["kb", "edit", "KB-1", "--set", "colour=red"], 4);
    assert!(err.contains("settable"), "{err}");
    db.fails(&["kb", "show", "KB-9"], 3);
    db.fails(&["kb", "show", "T-1"], 4);
    db.fails(&["kb", "suggest", "T-1"], 3);
    db.fails(&["kb", "link", "T-1", "KB-1"], 3);
}

#[test]
fn kb_search_suggest_and_link_from_the_command_line() {
    let db = Db::new();
    let fixtures = fixtures();
    let summary = db.json(&["kb", "import", fixtures.to_str().unwrap()]);
    assert_eq!(summary["created"], 16);
    let again = db.ok(&["kb", "import", fixtures.to_str().unwrap()]);
    assert_eq!(again, "read 16, created 0, updated 0, unchanged 16\n");

    let hits = db.json(&["kb", "search", "пароль"]);
    assert_eq!(hits[0]["title"], "Восстановление пароля");
    assert!(hits[0]["score"].as_f64().unwrap() > 0.0);
    assert!(db.ok(&["kb", "search", "zzyzx"]).is_empty());
    let table = db.ok(&["kb", "search", "退款"]);
    assert!(
        table.trim_start().starts_with("ID") && table.contains("退款申请流程"),
        "{table}"
    );

    db.ok(&["account", "add", "--name", "Acme"]);
    let t = db.ok(&[
        "ticket",
        "new",
        "--account",
        "A-1",
        "--subject",
        "Router disconnects",
        "--description",
        "The wifi drops every hour.",
    ]);
    let t = t.trim();
    let suggested = db.json(&["kb", "suggest", t]);
    assert_eq!(suggested[0]["title"], "Router keeps disconnecting");
    assert_eq!(suggested[0]["linked"], false);
    let kb = suggested[0]["id"].as_str().unwrap().to_string();

    let linked = db.ok(&["kb", "link", t, &kb]);
    assert_eq!(linked, format!("{kb} linked to {t}\n"));
    let again = db.ok(&["kb", "link", t, &kb]);
    assert!(again.contains("already linked"), "{again}");
    let ticket = db.json(&["ticket", "show", t]);
    assert_eq!(ticket["articles"], serde_json::json!([kb]));
    let events = ticket["events"].as_array().unwrap();
    let links: Vec<&Value> = events.iter().filter(|e| e["type"] == "kb-linked").collect();
    assert_eq!(links.len(), 1, "linking twice records one event");
    assert_eq!(links[0]["by"], "ann");
    assert_eq!(links[0]["at"], NOW);
    assert_eq!(db.json(&["kb", "suggest", t])[0]["linked"], true);

    let audit = db.json(&["audit", "--record", t]);
    assert_eq!(audit.as_array().unwrap().len(), 2, "created, then linked");
    let err = db.fails(&["kb", "delete", &kb], 4);
    assert!(err.contains(t), "{err}");
}

#[test]
fn bad_import_files_are_named_and_nothing_is_imported() {
    let db = Db::new();
    db.file("kb/good.md", "# Good\n\nFine.\n");
    db.file("kb/empty.md", "# Only a title\n");
    db.file(
        "kb/broken.md",
        "---\ntags: a\nno colon here\n---\n# Broken\nText\n",
    );
    let folder = db.dir.path().join("kb");
    let err = db.fails(&["kb", "import", folder.to_str().unwrap()], 4);
    assert!(err.contains("broken.md:3"), "{err}");
    assert!(err.contains("empty.md") && err.contains("no body"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(db.ok(&["kb", "list"]).is_empty());

    let jsonl = db.file(
        "kb.jsonl",
        "{\"title\":\"A\",\"body\":\"x\"}\n{\"title\":\"B\",\"body\":5}\n",
    );
    let err = db.fails(&["kb", "import", &jsonl], 4);
    assert!(err.contains("kb.jsonl:2") && err.contains("body"), "{err}");

    let csv = db.file("kb.csv", "title,body\n");
    let err = db.fails(&["kb", "import", &csv], 4);
    assert!(err.contains("kb.csv"), "{err}");
    let missing = db.dir.path().join("nowhere.jsonl");
    let err = db.fails(&["kb", "import", missing.to_str().unwrap()], 4);
    assert!(err.contains("nowhere.jsonl"), "{err}");
}

#[test]
fn only_admins_import_and_delete_articles() {
    let db = Db::new();
    db.ok(&["user", "add", "ann", "--role", "admin"]);
    db.ok(&["user", "add", "bo", "--role", "agent"]);
    db.ok(&["kb", "add", "--title", "Refunds", "--body", "Money back."]);
    let fixtures = fixtures();
    let mut cmd = db.cmd(&["kb", "import", fixtures.to_str().unwrap()]);
    let out = cmd.env("RAPPORT_USER", "bo").output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin"));
    let out = db
        .cmd(&["kb", "delete", "KB-1"])
        .env("RAPPORT_USER", "bo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let out = db
        .cmd(&["kb", "add", "--title", "Agents write too", "--body", "Yes."])
        .env("RAPPORT_USER", "bo")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn every_kb_command_has_help_with_an_example() {
    let db = Db::new();
    assert!(db.ok(&["--help"]).contains("kb"));
    for command in [
        "add", "edit", "list", "show", "search", "suggest", "link", "import", "delete",
    ] {
        let help = db.ok(&["kb", command, "--help"]);
        assert!(
            help.contains("Example"),
            "kb {command} --help has no example:\n{help}"
        );
    }
}
