//! The `:` command palette: a line in the command line's own words
//! (`ticket escalate T-12 --note "needs tier 2"`, `log --outcome resolved`, `search zhang`),
//! or a registry command by name (`call.log`). Parsing is pure; the state machine runs the
//! result. Ids may be left out to mean the open account or the selected ticket.

use super::command::Cmd;
use super::import::ImportLine;
use super::text::TextInput;
use crate::domain::record::{Channel, Direction, Outcome};
use crate::domain::ticket::{Action, Priority};
use crate::domain::validate;
use crate::domain::{Choice, Id, Kind};

/// The palette: its input line and the last error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaletteState {
    pub input: TextInput,
    pub error: Option<String>,
}

/// The verbs the palette knows, for its hint line and errors.
pub const VERBS: &str = "search TEXT · open A-N · log [--outcome O --duration D --notes TEXT …] · ticket new|open|hold|escalate|resolve|close|reopen|assign|comment|csat [T-N] … · kb suggest|link [T-N] [KB-N] · import FILE --entity E … · help · quit · a command name (call.log)";

/// A `log` line's settings; unset ones take the form's defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogLine {
    pub account: Option<Id>,
    pub contact: Option<Id>,
    pub ticket: Option<Id>,
    pub channel: Option<Channel>,
    pub direction: Option<Direction>,
    pub duration: Option<u32>,
    pub outcome: Option<Outcome>,
    pub subject: Option<String>,
    pub notes: Option<String>,
}

/// What a palette line asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A registry command, as if its key was pressed.
    Run(Cmd),
    /// Search accounts.
    Search(String),
    /// Open an account.
    OpenAccount(Id),
    /// Log a call; with no settings at all, the form opens instead.
    Log(LogLine),
    /// Open a ticket; without a subject, the form opens instead.
    NewTicket {
        account: Option<Id>,
        subject: Option<String>,
        priority: Priority,
        contact: Option<Id>,
        queue: Option<String>,
        description: Option<String>,
    },
    Transition {
        ticket: Option<Id>,
        action: Action,
        note: Option<String>,
    },
    /// Assign; without `--to`, the prompt opens instead.
    Assign {
        ticket: Option<Id>,
        to: Option<String>,
        note: Option<String>,
    },
    /// Comment; without text, the prompt opens instead.
    Comment {
        ticket: Option<Id>,
        text: Option<String>,
        public: bool,
    },
    Rate {
        ticket: Option<Id>,
        score: u8,
        comment: Option<String>,
    },
    /// Knowledge-base articles for a ticket, to pick one to link.
    Suggest { ticket: Option<Id> },
    /// Link a knowledge-base article to a ticket.
    LinkArticle { ticket: Option<Id>, article: Id },
    /// Import a file in the background.
    Import(ImportLine),
}

/// Splits a line into words, honouring "double" and 'single' quotes and backslash escapes.
pub fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q} quote"));
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// Positional words and `--flag value` / `--switch` options of a verb's arguments.
struct Args {
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(words: &[String], switches: &[&str], known: &[&str]) -> Result<Args, String> {
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if let Some(name) = w.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if !known.contains(&name) && !switches.contains(&name) {
                    let mut all: Vec<String> = known.iter().map(|k| format!("--{k}")).collect();
                    all.extend(switches.iter().map(|k| format!("--{k}")));
                    return Err(if all.is_empty() {
                        format!("unknown option --{name}; this verb takes none")
                    } else {
                        format!("unknown option --{name}; accepted: {}", all.join(", "))
                    });
                }
                if switches.contains(&name) {
                    options.push((name.to_string(), None));
                } else if let Some(v) = inline {
                    options.push((name.to_string(), Some(v)));
                } else {
                    i += 1;
                    let v = words
                        .get(i)
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    options.push((name.to_string(), Some(v.clone())));
                }
            } else {
                positional.push(w.clone());
            }
            i += 1;
        }
        Ok(Args {
            positional,
            options,
        })
    }

    fn value(&self, name: &str) -> Option<String> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn values(&self, name: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }

    fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    fn id(&self, name: &str, kind: Kind) -> Result<Option<Id>, String> {
        self.value(name)
            .map(|v| Id::parse_of(kind, &v).map_err(|e| e.to_string()))
            .transpose()
    }

    fn choice<C: Choice>(&self, name: &str) -> Result<Option<C>, String> {
        self.value(name)
            .map(|v| C::parse(&v).map_err(|e| e.to_string()))
            .transpose()
    }
}

/// A leading `T-N` (or `A-N`) positional, if the first word is one.
fn leading_id(positional: &mut Vec<String>, kind: Kind) -> Result<Option<Id>, String> {
    match positional.first() {
        Some(first) if first.parse::<Id>().is_ok() => {
            let id = Id::parse_of(kind, first).map_err(|e| e.to_string())?;
            positional.remove(0);
            Ok(Some(id))
        }
        _ => Ok(None),
    }
}

fn no_extra(positional: &[String], verb: &str) -> Result<(), String> {
    match positional.first() {
        None => Ok(()),
        Some(w) => Err(format!("'{verb}' does not take '{w}'")),
    }
}

/// Reads a palette line.
pub fn parse(line: &str) -> Result<Line, String> {
    let words = words(line)?;
    let Some((verb, rest)) = words.split_first() else {
        return Err(format!("type a command: {VERBS}"));
    };
    if let Some(cmd) = Cmd::from_name(verb) {
        no_extra(rest, verb)?;
        return Ok(Line::Run(cmd));
    }
    match verb.as_str() {
        "q" | "quit" | "exit" => Ok(Line::Run(Cmd::Quit)),
        "help" | "?" => Ok(Line::Run(Cmd::Help)),
        "search" | "find" => Ok(Line::Search(rest.join(" "))),
        "open" | "history" => parse_open(rest),
        "account" => match rest.split_first() {
            Some((sub, args)) if sub == "show" => parse_open(args),
            _ => Err("the palette knows 'account show A-N'".into()),
        },
        "log" | "call" => parse_log(rest),
        "ticket" => parse_ticket(rest),
        "kb" => parse_kb(rest),
        "import" => parse_import(rest),
        other => Err(format!("unknown command '{other}'; try: {VERBS}")),
    }
}

fn parse_open(rest: &[String]) -> Result<Line, String> {
    let args = Args::parse(rest, &[], &[])?;
    match args.positional.as_slice() {
        [id] => Ok(Line::OpenAccount(
            Id::parse_of(Kind::Account, id).map_err(|e| e.to_string())?,
        )),
        _ => Err("name one account: open A-N".into()),
    }
}

fn parse_log(rest: &[String]) -> Result<Line, String> {
    let args = Args::parse(
        rest,
        &[],
        &[
            "account",
            "contact",
            "ticket",
            "channel",
            "direction",
            "duration",
            "outcome",
            "subject",
            "notes",
        ],
    )?;
    no_extra(&args.positional, "log")?;
    Ok(Line::Log(LogLine {
        account: args.id("account", Kind::Account)?,
        contact: args.id("contact", Kind::Contact)?,
        ticket: args.id("ticket", Kind::Ticket)?,
        channel: args.choice("channel")?,
        direction: args.choice("direction")?,
        duration: args
            .value("duration")
            .map(|d| validate::duration(&d).map_err(|e| e.to_string()))
            .transpose()?,
        outcome: args.choice("outcome")?,
        subject: args.value("subject"),
        notes: args.value("notes"),
    }))
}

fn parse_import(rest: &[String]) -> Result<Line, String> {
    let args = Args::parse(
        rest,
        &["dry-run", "create-accounts", "all"],
        &[
            "entity",
            "from",
            "map",
            "on-duplicate",
            "encoding",
            "rejects",
        ],
    )?;
    if args.has("all") {
        return Err(
            "import --all restores a dump into an empty database: run it from the command line"
                .into(),
        );
    }
    let file =
        match args.positional.as_slice() {
            [file] => file.clone(),
            [] => return Err(
                "import which file? import FILE --entity accounts|contacts|interactions|tickets"
                    .into(),
            ),
            [_, extra, ..] => {
                return Err(format!(
                    "import takes one file; '{extra}' is a second (quote a path with spaces)"
                ));
            }
        };
    let entity = args
        .value("entity")
        .ok_or("import needs --entity accounts|contacts|interactions|tickets")?;
    Ok(Line::Import(ImportLine {
        file,
        entity,
        from: args.value("from"),
        maps: args.values("map"),
        on_duplicate: args.value("on-duplicate"),
        dry_run: args.has("dry-run"),
        create_accounts: args.has("create-accounts"),
        encoding: args.value("encoding"),
        rejects: args.value("rejects"),
    }))
}

/// The knowledge-base verbs that act on a ticket; writing articles stays on the command line.
fn parse_kb(rest: &[String]) -> Result<Line, String> {
    const KNOWN: &str = "the palette knows 'kb suggest [T-N]' and 'kb link [T-N] KB-N'";
    let Some((sub, rest)) = rest.split_first() else {
        return Err(format!("kb what? {KNOWN}"));
    };
    let mut args = Args::parse(rest, &[], &[])?;
    match sub.as_str() {
        "suggest" => {
            let ticket = leading_id(&mut args.positional, Kind::Ticket)?;
            no_extra(&args.positional, "kb suggest")?;
            Ok(Line::Suggest { ticket })
        }
        "link" => {
            let article = |w: &String| Id::parse_of(Kind::Article, w).map_err(|e| e.to_string());
            match args.positional.as_slice() {
                [] => Err(
                    "kb link which article? kb link [T-N] KB-N, or kb suggest to pick one".into(),
                ),
                [a] => Ok(Line::LinkArticle {
                    ticket: None,
                    article: article(a)?,
                }),
                [t, a] => Ok(Line::LinkArticle {
                    ticket: Some(Id::parse_of(Kind::Ticket, t).map_err(|e| e.to_string())?),
                    article: article(a)?,
                }),
                [_, _, extra, ..] => Err(format!("'kb link' does not take '{extra}'")),
            }
        }
        "add" | "edit" | "list" | "show" | "search" | "import" | "delete" => {
            Err(format!("kb {sub} runs from the command line; {KNOWN}"))
        }
        other => Err(format!("unknown kb verb '{other}'; {KNOWN}")),
    }
}

fn parse_ticket(rest: &[String]) -> Result<Line, String> {
    let Some((sub, rest)) = rest.split_first() else {
        return Err(
            "ticket what? new, open, hold, escalate, resolve, close, reopen, assign, comment, csat"
                .into(),
        );
    };
    if let Ok(action) = Action::parse(sub) {
        let mut args = Args::parse(rest, &[], &["note"])?;
        let ticket = leading_id(&mut args.positional, Kind::Ticket)?;
        no_extra(&args.positional, sub)?;
        return Ok(Line::Transition {
            ticket,
            action,
            note: args.value("note"),
        });
    }
    match sub.as_str() {
        "new" => {
            let args = Args::parse(
                rest,
                &[],
                &[
                    "account",
                    "subject",
                    "priority",
                    "contact",
                    "queue",
                    "description",
                ],
            )?;
            no_extra(&args.positional, "ticket new")?;
            Ok(Line::NewTicket {
                account: args.id("account", Kind::Account)?,
                subject: args.value("subject"),
                priority: args.choice("priority")?.unwrap_or(Priority::Normal),
                contact: args.id("contact", Kind::Contact)?,
                queue: args.value("queue"),
                description: args.value("description"),
            })
        }
        "assign" => {
            let mut args = Args::parse(rest, &[], &["to", "note"])?;
            let ticket = leading_id(&mut args.positional, Kind::Ticket)?;
            no_extra(&args.positional, "ticket assign")?;
            Ok(Line::Assign {
                ticket,
                to: args.value("to"),
                note: args.value("note"),
            })
        }
        "comment" => {
            let mut args = Args::parse(rest, &["internal"], &[])?;
            let ticket = leading_id(&mut args.positional, Kind::Ticket)?;
            let text = args.positional.join(" ");
            Ok(Line::Comment {
                ticket,
                text: (!text.trim().is_empty()).then_some(text),
                public: !args.has("internal"),
            })
        }
        "csat" => {
            let mut args = Args::parse(rest, &[], &["score", "comment"])?;
            let ticket = leading_id(&mut args.positional, Kind::Ticket)?;
            no_extra(&args.positional, "ticket csat")?;
            let score = args
                .value("score")
                .ok_or("ticket csat needs --score 1..5")?;
            let score: u8 = score
                .parse()
                .map_err(|_| format!("--score '{score}' is not a number from 1 to 5"))?;
            Ok(Line::Rate {
                ticket,
                score,
                comment: args.value("comment"),
            })
        }
        other => Err(format!(
            "unknown ticket verb '{other}'; accepted: new, open, hold, escalate, resolve, close, reopen, assign, comment, csat"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u64) -> Option<Id> {
        Some(Id::new(Kind::Ticket, n))
    }

    #[test]
    fn words_honour_quotes_and_escapes() {
        assert_eq!(
            words(r#"ticket comment T-1 "called back" it\'s 'ok now'"#).unwrap(),
            ["ticket", "comment", "T-1", "called back", "it's", "ok now"]
        );
        assert_eq!(words("a \"\" b").unwrap(), ["a", "", "b"]);
        assert!(words("say \"oops").is_err());
    }

    #[test]
    fn palette_lines_table() {
        let cases: Vec<(&str, Line)> = vec![
            (
                "ticket escalate T-12 --note \"needs tier 2\"",
                Line::Transition {
                    ticket: t(12),
                    action: Action::Escalate,
                    note: Some("needs tier 2".into()),
                },
            ),
            (
                "ticket resolve",
                Line::Transition {
                    ticket: None,
                    action: Action::Resolve,
                    note: None,
                },
            ),
            ("ticket.escalate", Line::Run(Cmd::TicketEscalate)),
            ("call.log", Line::Run(Cmd::CallLog)),
            ("q", Line::Run(Cmd::Quit)),
            ("search zhang wei", Line::Search("zhang wei".into())),
            ("open a-7", Line::OpenAccount(Id::new(Kind::Account, 7))),
            (
                "ticket assign T-3 --to bo",
                Line::Assign {
                    ticket: t(3),
                    to: Some("bo".into()),
                    note: None,
                },
            ),
            (
                "ticket comment refund sent --internal",
                Line::Comment {
                    ticket: None,
                    text: Some("refund sent".into()),
                    public: false,
                },
            ),
            (
                "ticket csat T-2 --score 5",
                Line::Rate {
                    ticket: t(2),
                    score: 5,
                    comment: None,
                },
            ),
            ("kb suggest T-12", Line::Suggest { ticket: t(12) }),
            ("kb suggest", Line::Suggest { ticket: None }),
            ("kb.suggest", Line::Run(Cmd::KbSuggest)),
            (
                "kb link T-12 KB-3",
                Line::LinkArticle {
                    ticket: t(12),
                    article: Id::new(Kind::Article, 3),
                },
            ),
            (
                "kb link kb-3",
                Line::LinkArticle {
                    ticket: None,
                    article: Id::new(Kind::Article, 3),
                },
            ),
            (
                "log --outcome resolved --duration 4m30s --notes=fixed",
                Line::Log(LogLine {
                    outcome: Some(Outcome::Resolved),
                    duration: Some(270),
                    notes: Some("fixed".into()),
                    ..LogLine::default()
                }),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).as_ref(), Ok(&want), "{line}");
        }
    }

    #[test]
    fn import_lines_take_the_command_lines_options() {
        let line = parse(
            "import '/tmp/my files/contacts.csv' --entity contacts --map Firma=company \
             --map Notiz=- --on-duplicate update --dry-run --create-accounts --encoding gbk \
             --rejects /tmp/rejects.csv --from csv",
        )
        .unwrap();
        assert_eq!(
            line,
            Line::Import(ImportLine {
                file: "/tmp/my files/contacts.csv".into(),
                entity: "contacts".into(),
                from: Some("csv".into()),
                maps: vec!["Firma=company".into(), "Notiz=-".into()],
                on_duplicate: Some("update".into()),
                dry_run: true,
                create_accounts: true,
                encoding: Some("gbk".into()),
                rejects: Some("/tmp/rejects.csv".into()),
            })
        );
        for (line, needle) in [
            ("import --entity accounts", "import which file?"),
            ("import a.csv", "needs --entity"),
            ("import a.csv b.csv --entity accounts", "one file"),
            (
                "import a.csv --entity accounts --colour red",
                "accepted: --entity",
            ),
            ("import --all dump.jsonl", "command line"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.contains(needle), "{line}: {err}");
        }
    }

    #[test]
    fn palette_errors_say_what_is_accepted() {
        for (line, needle) in [
            ("ticket fly T-1", "accepted: new, open"),
            ("ticket escalate A-1", "not a ticket id"),
            ("ticket escalate T-1 --colour red", "accepted: --note"),
            ("log --outcome maybe", "accepted: answered"),
            ("log --duration soon", "not a duration"),
            ("frobnicate", "unknown command"),
            ("", "type a command"),
            ("ticket csat T-1", "--score"),
            ("kb", "kb suggest [T-N]"),
            ("kb link", "kb link which article?"),
            ("kb link T-1", "not an article id"),
            ("kb link KB-3 T-1", "not a ticket id"),
            ("kb link T-1 KB-3 KB-4", "does not take 'KB-4'"),
            ("kb suggest KB-3", "not a ticket id"),
            ("kb suggest T-1 --limit 3", "unknown option"),
            ("kb search refund", "runs from the command line"),
            ("kb fly", "unknown kb verb"),
        ] {
            let err = parse(line).unwrap_err();
            assert!(err.contains(needle), "{line}: {err}");
        }
    }
}
