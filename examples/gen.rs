//! Generates realistic rapport data at any size: Latin, Chinese and Cyrillic names, companies and
//! people, phones in many national formats, emails, custom fields, and interactions and tickets
//! spread over months. Deterministic for a given seed.
//!
//! ```text
//! cargo run --release --example gen -- --accounts 1000000 --format dump -o big.jsonl
//! cargo run --release --example gen -- --accounts 1000000 --format csv -o accounts.csv
//! cargo run --release --example gen -- --accounts 240 --seed 7 --kb fixtures/kb -o fixtures/demo/demo.jsonl
//! ```
//!
//! `dump` writes a lossless dump (`rapport import --all` loads it); `csv` writes an 11-column
//! accounts export in the shape of a typical CRM's.

use jiff::{SignedDuration, Timestamp};
use rapport::domain::article::Article;
use rapport::domain::record::{
    Account, AccountKind, Address, Channel, Contact, Direction, Interaction, Outcome, Relationship,
};
use rapport::domain::ticket::{Action, Csat, Priority, Ticket};
use rapport::domain::validate::Phone;
use rapport::domain::{Choice, Id, Kind, Meta, Record};
use rapport::interchange::dump::{self, Line};
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

const LATIN_FIRST: &[&str] = &[
    "James", "Mary", "Oliver", "Emma", "Lucas", "Sofia", "Noah", "Mia", "Liam", "Chloé", "Jürgen",
    "Ana", "Mateo", "Zoë", "Ethan", "Isabella", "Hugo", "Léa", "Marco", "Giulia", "Sean", "Aoife",
    "Lars", "Ingrid", "José", "Lucía",
];
const LATIN_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Martin",
    "Müller",
    "Rossi",
    "Dubois",
    "Walker",
    "O'Brien",
    "Nowak",
    "Fernández",
    "Silva",
    "Jensen",
    "Novák",
    "Schmidt",
    "Moreau",
    "Lopez",
    "Taylor",
    "Wilson",
    "Kowalski",
    "Bianchi",
];
const HAN_SURNAMES: &[&str] = &[
    "张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "曾", "单", "欧阳",
];
const HAN_GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
    "涛", "明", "超", "小贤", "建华",
];
const RU_FIRST: &[&str] = &[
    "Иван",
    "Пётр",
    "Алексей",
    "Юрий",
    "Сергей",
    "Ольга",
    "Наталья",
    "Елена",
    "Татьяна",
    "Дмитрий",
    "Анна",
    "Мария",
];
const RU_LAST: &[&str] = &[
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Щукин",
    "Морозов",
    "Волков",
];
const COMPANY_WORDS: &[&str] = &[
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Hooli",
    "Pied Piper",
    "Aperture",
    "Oscorp",
    "Wonka",
    "Gringotts",
    "Blue Sun",
    "Monarch",
    "Dunder",
];
const COMPANY_KINDS: &[&str] = &[
    "Logistics",
    "Foods",
    "Energy",
    "Media",
    "Systems",
    "Bank",
    "Pharma",
    "Motors",
    "Telecom",
    "Retail",
];
const LATIN_SUFFIX: &[&str] = &["Ltd", "Inc", "GmbH", "S.A.", "LLC", "plc", "B.V.", "AG"];
const HAN_COMPANY: &[&str] = &[
    "华为", "腾讯", "阿里", "海尔", "联想", "长城", "东方", "新华", "中兴", "天宇",
];
const HAN_KIND: &[&str] = &["科技", "贸易", "物流", "电子", "食品", "能源"];
const RU_COMPANY: &[&str] = &[
    "Северсталь",
    "Восток",
    "Байкал",
    "Сибирь",
    "Меридиан",
    "Гранит",
    "Волга",
    "Арктика",
];
const SEGMENTS: &[&str] = &["smb", "mid-market", "enterprise", "public", "consumer"];
const TAGS: &[&str] = &[
    "vip",
    "newsletter",
    "churn-risk",
    "partner-led",
    "upsell",
    "trial",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("London", "GB", "+44"),
    ("Leeds", "GB", "+44"),
    ("New York", "US", "+1"),
    ("San Francisco", "US", "+1"),
    ("Berlin", "DE", "+49"),
    ("Paris", "FR", "+33"),
    ("Madrid", "ES", "+34"),
    ("北京", "CN", "+86"),
    ("上海", "CN", "+86"),
    ("Москва", "RU", "+7"),
    ("Санкт-Петербург", "RU", "+7"),
    ("Milano", "IT", "+39"),
];
const AGENTS: &[&str] = &["ann", "bo", "cy", "dee", "eli", "fay"];
const QUEUES: &[&str] = &["billing", "technical", "sales", "returns"];
const SUBJECTS: &[&str] = &[
    "Invoice shows the wrong amount",
    "Cannot log in to the portal",
    "Delivery is late",
    "Refund not received",
    "Upgrade the plan",
    "Router keeps disconnecting",
    "Change the billing address",
    "Damaged item on arrival",
    "发票金额错误",
    "无法登录",
    "Не пришёл возврат",
    "Счёт выставлен неверно",
];
const NOTES: &[&str] = &[
    "Explained the charges line by line.",
    "Customer asked for a call back tomorrow morning.",
    "Reset the password and confirmed access.",
    "Sent the refund form by email.",
    "Left a voicemail.",
    "Escalated to tier 2, ticket updated.",
    "Customer happy with the resolution.",
    "客户要求回电。",
    "Клиент попросил перезвонить.",
];

struct Gen {
    rng: fastrand::Rng,
    end: Timestamp,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.usize(..items.len())]
    }

    fn ago(&mut self, max_days: i64) -> Timestamp {
        let secs = self.rng.i64(0..max_days * 86_400);
        (self.end - SignedDuration::from_secs(secs))
            .round(jiff::Unit::Second)
            .unwrap()
    }

    fn person_name(&mut self, script: u32) -> String {
        match script {
            0 => format!("{}{}", self.pick(HAN_SURNAMES), self.pick(HAN_GIVEN)),
            1 => format!("{} {}", self.pick(RU_LAST), self.pick(RU_FIRST)),
            _ => format!("{} {}", self.pick(LATIN_FIRST), self.pick(LATIN_LAST)),
        }
    }

    fn company_name(&mut self, script: u32) -> String {
        match script {
            0 => format!("{}{}有限公司", self.pick(HAN_COMPANY), self.pick(HAN_KIND)),
            1 => format!("ООО «{}»", self.pick(RU_COMPANY)),
            _ => format!(
                "{} {} {}",
                self.pick(COMPANY_WORDS),
                self.pick(COMPANY_KINDS),
                self.pick(LATIN_SUFFIX)
            ),
        }
    }

    fn phone(&mut self, country: &str) -> String {
        let mut d = |n: usize| {
            (0..n)
                .map(|_| char::from(b'0' + self.rng.u8(0..10)))
                .collect::<String>()
        };
        match country {
            "+1" => format!("+1 (415) 555-{}", d(4)),
            "+44" => format!("+44 20 7946 {}", d(4)),
            "+49" => format!("+49 30 {} {}", d(4), d(4)),
            "+33" => format!("+33 1 {} {} {} {}", d(2), d(2), d(2), d(2)),
            "+86" => format!("+86 138 {} {}", d(4), d(4)),
            "+7" => format!("+7 (495) {}-{}-{}", d(3), d(2), d(2)),
            "+34" => format!("+34 91 {} {} {}", d(3), d(2), d(2)),
            _ => format!("{} 02 {} {}", country, d(4), d(4)),
        }
    }

    fn email(&mut self, name: &str, domain: &str) -> String {
        let local: String = rapport::search::keys::transliterate(name)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(".");
        let local = if local.is_empty() {
            format!("user{}", self.rng.u32(..100_000))
        } else {
            local
        };
        format!("{local}@{domain}")
    }

    fn meta(&mut self, id: Id, at: Timestamp) -> Meta {
        let agent = self.pick(AGENTS);
        Meta::new(id, agent, at)
    }
}

struct Options {
    accounts: u64,
    seed: u64,
    format: String,
    output: Option<String>,
    contacts: u64,
    interactions: u64,
    kb: Option<String>,
    /// With `--format csv`: also each account's name, phone and email on one line, for a text
    /// search tool to search the same accounts.
    search_lines: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        accounts: 240,
        seed: 7,
        format: "dump".into(),
        output: None,
        contacts: 2,
        interactions: 5,
        kb: None,
        search_lines: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .unwrap_or_else(|_| usage(&format!("{flag} takes a number")))
        };
        match flag.as_str() {
            "--accounts" => o.accounts = number(value()),
            "--seed" => o.seed = number(value()),
            "--contacts-per-account" => o.contacts = number(value()),
            "--interactions-per-account" => o.interactions = number(value()),
            "--format" => o.format = value(),
            "--kb" => o.kb = Some(value()),
            "--search-lines" => o.search_lines = Some(value()),
            "-o" | "--output" => o.output = Some(value()),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown option {other}")),
        }
    }
    if !["dump", "csv"].contains(&o.format.as_str()) {
        usage("--format is dump or csv");
    }
    o
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("gen: {problem}");
    }
    eprintln!(
        "usage: gen [--accounts N] [--seed S] [--format dump|csv] [--contacts-per-account N]\n           [--interactions-per-account N] [--kb DIR] [-o FILE]\n           [--search-lines FILE]"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 })
}

fn main() -> std::io::Result<()> {
    let o = options();
    let out: Box<dyn Write> = match &o.output {
        Some(path) => Box::new(std::fs::File::create(path)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(o.seed),
        end: "2026-11-20T17:00:00Z".parse().unwrap(),
    };
    if o.format == "csv" {
        return write_csv(&mut g, &o, &mut out);
    }
    let header = dump::Header {
        dump: dump::DUMP_VERSION,
        schema: rapport::interchange::dump::RECORD_SCHEMA,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    dump::write_line(&mut out, &Line::Header(header))?;
    let mut counters: BTreeMap<String, u64> = BTreeMap::new();
    let mut next = |kind: Kind| {
        let n = counters.entry(kind.prefix().to_string()).or_default();
        *n += 1;
        Id::new(kind, *n)
    };
    for _ in 0..o.accounts {
        let script = match g.rng.u32(0..10) {
            0..=1 => 0,
            2..=3 => 1,
            _ => 2,
        };
        let person = g.rng.u32(0..4) == 0;
        let name = if person {
            g.person_name(script)
        } else {
            g.company_name(script)
        };
        let (city, country, code) = CITIES[g.rng.usize(..CITIES.len())];
        let created = g.ago(720);
        let id = next(Kind::Account);
        let mut a = Account::new(g.meta(id, created), name.clone());
        a.kind = if person {
            AccountKind::Person
        } else {
            AccountKind::Organisation
        };
        a.relationship = *[
            Relationship::Customer,
            Relationship::Customer,
            Relationship::Prospect,
            Relationship::Partner,
            Relationship::Former,
        ]
        .get(g.rng.usize(..5))
        .unwrap();
        a.segment = Some(g.pick(SEGMENTS).into());
        a.tags = (0..g.rng.usize(0..3))
            .map(|_| g.pick(TAGS).to_string())
            .collect();
        a.tags.dedup();
        a.owner = Some(g.pick(AGENTS).into());
        let phone = g.phone(code);
        a.phones = vec![Phone::parse(&phone).expect("generated phones parse")];
        let domain = format!("{}.example", id.to_string().to_lowercase());
        a.emails = vec![g.email(if person { &name } else { "info" }, &domain)];
        a.website = (!person).then(|| format!("https://www.{domain}"));
        a.address = Address {
            street: Some(format!("{} High Street", g.rng.u32(1..300))),
            city: Some(city.into()),
            region: None,
            postcode: Some(format!("{:05}", g.rng.u32(1000..99999))),
            country: Some(country.into()),
        };
        a.external_id = Some(format!("CRM-{:07}", id.number));
        a.meta
            .custom
            .insert("tier".into(), g.pick(&["gold", "silver", "bronze"]).into());
        let contacts: Vec<Contact> = (0..if person {
            0
        } else {
            g.rng.u64(0..=o.contacts * 2)
        })
            .map(|_| {
                let cname = g.person_name(script);
                let cid = next(Kind::Contact);
                let mut c = Contact::new(g.meta(cid, created), id, cname.clone());
                c.title = Some(
                    g.pick(&[
                        "CFO",
                        "Office manager",
                        "IT lead",
                        "Buyer",
                        "CEO",
                        "Accounts payable",
                    ])
                    .into(),
                );
                c.phones = vec![Phone::parse(&g.phone(code)).unwrap()];
                c.emails = vec![g.email(&cname, &domain)];
                c.decision_maker = g.rng.u32(0..4) == 0;
                c
            })
            .collect();
        let mut tickets = Vec::new();
        for _ in 0..g.rng.u64(0..=2) {
            let opened = g.ago(180).max(created);
            let tid = next(Kind::Ticket);
            let priority = Priority::ALL[g.rng.usize(..4)];
            let mut t = Ticket::new(g.meta(tid, opened), id, g.pick(SUBJECTS).into(), priority);
            t.queue = Some(g.pick(QUEUES).into());
            t.contact = contacts.first().map(|c| c.meta.id);
            let agent = g.pick(AGENTS).to_string();
            let step = |g: &mut Gen, at: &mut Timestamp| {
                *at = (*at + SignedDuration::from_secs(g.rng.i64(600..172_800))).min(g.end);
                *at
            };
            let mut at = opened;
            let path: &[Action] = match g.rng.u32(0..7) {
                0 => &[],
                1 => &[Action::Open],
                2 => &[Action::Open, Action::Hold],
                3 => &[Action::Open, Action::Escalate],
                4 => &[Action::Open, Action::Resolve],
                5 => &[Action::Open, Action::Resolve, Action::Close],
                _ => &[
                    Action::Open,
                    Action::Escalate,
                    Action::Resolve,
                    Action::Close,
                    Action::Reopen,
                ],
            };
            for (i, action) in path.iter().enumerate() {
                let when = step(&mut g, &mut at);
                if i == 0 {
                    t.assign(Some(agent.clone()), &agent, when, None);
                    t.comment(
                        "Called the customer to confirm the details.".into(),
                        true,
                        &agent,
                        when,
                    );
                }
                t.transition(*action, &agent, when, None)
                    .expect("generated paths are legal");
                if *action == Action::Resolve && g.rng.bool() {
                    t.rate(
                        Csat {
                            score: g.rng.u8(1..=5),
                            comment: None,
                        },
                        &agent,
                        when,
                    )
                    .unwrap();
                }
            }
            tickets.push(t);
        }
        let mut interactions = Vec::new();
        for _ in 0..g.rng.u64(0..=o.interactions * 2) {
            let started = g.ago(180).max(created);
            let channel = Channel::ALL[g.rng.usize(..Channel::ALL.len())];
            let iid = next(Kind::Interaction);
            let agent = g.pick(AGENTS).to_string();
            let outcome = match channel {
                Channel::Email | Channel::Sms | Channel::Fax => Outcome::Sent,
                _ => Outcome::ALL[g.rng.usize(..6)],
            };
            interactions.push(Interaction {
                meta: Meta::new(iid, &agent, started),
                account: id,
                contact: contacts.first().map(|c| c.meta.id),
                ticket: tickets
                    .first()
                    .map(|t: &Ticket| t.meta.id)
                    .filter(|_| g.rng.bool()),
                channel,
                direction: Direction::ALL[g.rng.usize(..2)],
                started_at: started,
                duration: if channel == Channel::Call {
                    g.rng.u32(20..1800)
                } else {
                    0
                },
                outcome,
                agent,
                subject: None,
                notes: Some(g.pick(NOTES).into()),
                follow_up: None,
                external_id: None,
            });
            a.last_contact_at = a.last_contact_at.max(Some(started));
        }
        dump::write_line(&mut out, &Line::Record(Record::Account(a)))?;
        for r in contacts
            .into_iter()
            .map(Record::Contact)
            .chain(tickets.into_iter().map(Record::Ticket))
            .chain(interactions.into_iter().map(Record::Interaction))
        {
            dump::write_line(&mut out, &Line::Record(r))?;
        }
    }
    // The knowledge base the project ships, so that tickets get suggestions.
    if let Some(kb) = &o.kb {
        let read = rapport::interchange::kb::read_path(std::path::Path::new(kb));
        if let Some(problem) = read.problems.first() {
            usage(&problem.to_string());
        }
        for source in read.articles {
            let id = next(Kind::Article);
            let meta = g.meta(id, g.end - SignedDuration::from_hours(24 * 400));
            let article = Article {
                meta,
                title: source.title,
                body: source.body,
                tags: source.tags,
                product: source.product,
            };
            dump::write_line(&mut out, &Line::Record(Record::Article(article)))?;
        }
    }
    let counters_line = Line::Counters(counters);
    dump::write_line(&mut out, &counters_line)?;
    out.flush()
}

/// An accounts export of 11 columns, as a CRM writes it.
fn write_csv(g: &mut Gen, o: &Options, out: &mut impl Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut lines = match &o.search_lines {
        Some(path) => Some(BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    w.write_record([
        "Account Name",
        "Account Number",
        "Type",
        "Industry",
        "Phone",
        "Email",
        "Website",
        "Billing Street",
        "Billing City",
        "Billing Postal Code",
        "Billing Country",
    ])?;
    for n in 1..=o.accounts {
        let script = g.rng.u32(0..5).min(2);
        let name = g.company_name(script);
        let (city, country, code) = CITIES[g.rng.usize(..CITIES.len())];
        let domain = format!("c{n}.example");
        let email = g.email("info", &domain);
        // Unique per row, so that no row is a duplicate of another by phone.
        let phone = format!(
            "{code} {} {:03} {:04}",
            200 + n / 10_000_000 % 800,
            n / 10_000 % 1000,
            n % 10_000
        );
        if let Some(lines) = &mut lines {
            writeln!(lines, "{name}  {phone}  {email}")?;
        }
        w.write_record([
            name.as_str(),
            &format!("EXT-{n:08}"),
            ["Customer", "Prospect", "Partner"][g.rng.usize(..3)],
            g.pick(SEGMENTS),
            &phone,
            &email,
            &format!("https://{domain}"),
            &format!("{} Market Street", g.rng.u32(1..999)),
            city,
            &format!("{:05}", g.rng.u32(1000..99999)),
            country,
        ])?;
    }
    if let Some(lines) = &mut lines {
        lines.flush()?;
    }
    w.flush()
}
