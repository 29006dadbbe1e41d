//! The worker thread: owns the store and the search index, carries out the state machine's
//! [`Effect`]s through [`Ops`] and answers with [`Msg`]s. Input never waits on it: searches
//! queued behind a newer search are skipped, since only the newest answer is shown. Long work
//! goes to [`super::job`]s sharing the store, so that the worker stays free for searches and
//! saves.

use super::job::{self, Jobs};
use super::{Clock, Event, OpenStore};
use crate::app::suggest::ArticleRow;
use crate::app::{AccountData, AccountRow, Effect, LogDraft, Msg, RequestId, TicketRequest};
use crate::domain::Id;
use crate::domain::ticket::Action;
use crate::ops::{CallLog, Ops, OpsError, TicketDraft, TicketFilter};
use crate::search::keys::{KeyField, Shown};
use crate::search::{Hit, SearchIndex, snapshot};
use crate::store::{OpenWork, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

/// How many articles the suggestions list.
const SUGGESTIONS: usize = 8;
/// How many interactions the history pane loads.
const HISTORY_LIMIT: usize = 500;

struct Worker {
    store: Arc<dyn Store>,
    user: String,
    clock: Clock,
    /// Loaded at the first search, dropped to be loaded again after an import.
    index: Option<SearchIndex>,
    /// The index file being read while the store opened.
    prefetch: Option<snapshot::Prefetch>,
    jobs: Jobs,
}

/// Starts the worker: it opens the store on a thread of its own (reading the search index
/// file of the `database` directory meanwhile), then carries out effects until the effect
/// sender is dropped, finishing its queue and stopping its jobs. Until the store is open,
/// searches are answered from the index file alone when the database was closed at the file's
/// generation; anything else waits for the store. A store that cannot be opened is reported
/// as [`Event::StoreFailed`] at once.
pub fn spawn(
    open: OpenStore,
    database: Option<PathBuf>,
    user: String,
    clock: Clock,
    effects: Receiver<Effect>,
    replies: Sender<Event>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("rapport-worker".into())
        .spawn(move || {
            // The stamp first: opening the database removes it.
            let closed = database.as_deref().and_then(crate::store::sled::closed_at);
            let (opened_tx, opened) = std::sync::mpsc::channel();
            let failures = replies.clone();
            let opener = std::thread::Builder::new()
                .name("rapport-open".into())
                .spawn(move || {
                    let tell = |work: OpenWork| {
                        drop(failures.send(Event::Reply(Msg::Opening(work.to_string()))))
                    };
                    match open(&tell) {
                        Ok(store) => drop(opened_tx.send(store)),
                        Err(e) => drop(failures.send(Event::StoreFailed(e))),
                    }
                })
                .expect("spawning the thread that opens the store");
            let mut prefetch = database.as_deref().map(snapshot::Prefetch::read);
            let mut worker: Option<Worker> = None;
            'effects: while let Ok(first) = effects.recv() {
                let mut batch = vec![first];
                batch.extend(effects.try_iter());
                let last_search = batch
                    .iter()
                    .rposition(|e| matches!(e, Effect::Search { .. }));
                for (i, effect) in batch.into_iter().enumerate() {
                    if matches!(effect, Effect::Search { .. }) && Some(i) != last_search {
                        continue; // superseded by a newer search in the same batch
                    }
                    if worker.is_none()
                        && let Ok(store) = opened.try_recv()
                    {
                        worker = Some(Worker::new(store, &user, clock, &replies, prefetch.take()));
                    }
                    let msgs = match &mut worker {
                        Some(worker) => worker.run(effect),
                        None => match early(prefetch.as_mut(), closed, &effect) {
                            Some(msg) => vec![msg],
                            None => {
                                // This needs the store: wait for it (a failure is reported).
                                let Ok(store) = opened.recv() else {
                                    break 'effects;
                                };
                                let opened =
                                    Worker::new(store, &user, clock, &replies, prefetch.take());
                                worker.insert(opened).run(effect)
                            }
                        },
                    };
                    for msg in msgs {
                        if replies.send(Event::Reply(msg)).is_err() {
                            break 'effects;
                        }
                    }
                }
            }
            if let Some(mut worker) = worker {
                worker.jobs.finish();
            }
            // A store opened but never needed closes here.
            let _ = opener.join();
        })
        .expect("spawning the worker thread")
}

/// A search answered from the index file, before the store is open, when the database was
/// closed at the file's generation (see [`snapshot::Prefetch::answer_closed`]). A contact's
/// match names the contact by its id until the store can say its name.
fn early(
    prefetch: Option<&mut snapshot::Prefetch>,
    closed: Option<crate::store::Generation>,
    effect: &Effect,
) -> Option<Msg> {
    let (Some(prefetch), Some(closed)) = (prefetch, closed) else {
        return None;
    };
    let Effect::Search {
        request,
        query,
        limit,
    } = effect
    else {
        return None;
    };
    let rows = if query.trim().is_empty() {
        prefetch
            .recent_closed(closed, *limit)?
            .into_iter()
            .map(|(id, shown)| shown_row(id, shown, None))
            .collect()
    } else {
        prefetch
            .answer_closed(closed, query, *limit)?
            .into_iter()
            .map(|(hit, shown)| shown_row(hit.account, shown, matched(&hit, None)))
            .collect()
    };
    Some(Msg::SearchResults {
        request: *request,
        rows,
    })
}

/// The row of an account from what a search shows of it.
fn shown_row(id: Id, shown: Shown, matched: Option<String>) -> AccountRow {
    AccountRow {
        id,
        name: shown.name,
        main_phone: shown.phone,
        relationship: shown.relationship,
        last_contact: shown.last_contact_at,
        matched,
    }
}

/// What a hit matched when it was not the account's name or id: its contact (by name when
/// known), or the field.
fn matched(hit: &Hit, contact_name: Option<String>) -> Option<String> {
    if hit.via != hit.account {
        return Some(format!(
            "contact {}",
            contact_name.unwrap_or_else(|| hit.via.to_string())
        ));
    }
    match hit.field {
        KeyField::Name | KeyField::Transliteration | KeyField::Id => None,
        other => Some(other.label().to_string()),
    }
}

fn failed(request: Option<RequestId>, e: impl std::fmt::Display) -> Msg {
    Msg::Failed {
        request,
        message: e.to_string(),
    }
}

impl Worker {
    fn new(
        store: Arc<dyn Store>,
        user: &str,
        clock: Clock,
        replies: &Sender<Event>,
        prefetch: Option<snapshot::Prefetch>,
    ) -> Worker {
        let jobs = Jobs::new(store.clone(), user.to_string(), clock, replies.clone());
        Worker {
            store,
            user: user.to_string(),
            clock,
            jobs,
            index: None,
            prefetch,
        }
    }

    fn ops(&self) -> Ops<'_> {
        Ops::new(self.store.as_ref(), self.user.clone(), self.clock.now())
    }

    fn ensure_index(&mut self) -> Result<(), String> {
        if self.index.is_none() {
            let store = self.store.as_ref();
            let opened = match self.prefetch.take() {
                Some(prefetch) => prefetch.open(store),
                None => snapshot::open(store),
            };
            self.index = Some(opened.map_err(|e| e.to_string())?.0);
        }
        Ok(())
    }

    fn run(&mut self, effect: Effect) -> Vec<Msg> {
        match effect {
            Effect::LogCall {
                log,
                new_ticket,
                resolve,
            } => self.log(log, new_ticket, resolve),
            other => self.run_one(other).into_iter().collect(),
        }
    }

    fn run_one(&mut self, effect: Effect) -> Option<Msg> {
        Some(match effect {
            Effect::Search {
                request,
                query,
                limit,
            } => match self.search(&query, limit) {
                Ok(rows) => Msg::SearchResults { request, rows },
                Err(e) => failed(Some(request), e),
            },
            Effect::LoadAccount { request, account } => match self.load(account) {
                Ok(data) => Msg::AccountLoaded {
                    request,
                    data: Box::new(data),
                },
                Err(e) => failed(Some(request), e),
            },
            Effect::NewTicket(request) => match self.ops().new_ticket(draft(request)) {
                Ok(t) => Msg::TicketSaved {
                    sla: self.sla(&t),
                    done: format!("{} opened", t.meta.id),
                    ticket: Box::new(t),
                },
                Err(e) => failed(None, e),
            },
            Effect::Transition {
                ticket,
                action,
                note,
            } => match self.ops().transition(ticket, action, note) {
                Ok(t) => Msg::TicketSaved {
                    sla: self.sla(&t),
                    done: format!("{} {}", t.meta.id, past(action)),
                    ticket: Box::new(t),
                },
                Err(e) => failed(None, e),
            },
            Effect::Assign { ticket, to, note } => match self.ops().assign(ticket, to, note) {
                Ok(t) => Msg::TicketSaved {
                    sla: self.sla(&t),
                    done: match &t.assignee {
                        Some(a) => format!("{} assigned to {a}", t.meta.id),
                        None => format!("{} unassigned", t.meta.id),
                    },
                    ticket: Box::new(t),
                },
                Err(e) => failed(None, e),
            },
            Effect::Comment {
                ticket,
                text,
                public,
            } => match self.ops().comment(ticket, &text, public) {
                Ok(t) => Msg::TicketSaved {
                    sla: self.sla(&t),
                    done: format!("comment added to {}", t.meta.id),
                    ticket: Box::new(t),
                },
                Err(e) => failed(None, e),
            },
            Effect::SuggestArticles { request, ticket } => match self.suggestions(ticket) {
                Ok(rows) => Msg::Suggestions { request, rows },
                Err(e) => failed(Some(request), e),
            },
            Effect::LinkArticle { ticket, article } => {
                match self.ops().link_article(ticket, article) {
                    Ok((t, linked)) => Msg::TicketSaved {
                        sla: self.sla(&t),
                        done: if linked {
                            format!("{article} linked to {ticket}")
                        } else {
                            format!("{article} was already linked to {ticket}")
                        },
                        ticket: Box::new(t),
                    },
                    Err(e) => failed(None, e),
                }
            }
            Effect::Rate {
                ticket,
                score,
                comment,
            } => match self.ops().rate(ticket, score, comment) {
                Ok(t) => Msg::TicketSaved {
                    sla: self.sla(&t),
                    done: format!("{} rated {score}/5", t.meta.id),
                    ticket: Box::new(t),
                },
                Err(e) => failed(None, e),
            },
            Effect::Import { request, line } => {
                self.jobs.spawn("import", request, move |ops, context| {
                    job::import::run(ops, context, request, &line)
                });
                return None;
            }
            Effect::LoadWork { request, kind } => {
                self.jobs.spawn("loading the list", request, move |ops, _| {
                    job::work::run(ops, request, kind)
                });
                return None;
            }
            Effect::BuildDashboard { request } => {
                self.jobs
                    .spawn("building the dashboard", request, move |ops, _| {
                        job::dashboard::run(ops, request)
                    });
                return None;
            }
            Effect::Reindex => {
                self.index = None;
                return None;
            }
            Effect::Quit | Effect::LogCall { .. } => return None,
        })
    }

    fn search(&mut self, query: &str, limit: usize) -> Result<Vec<AccountRow>, String> {
        self.ensure_index()?;
        let ops = self.ops();
        if query.trim().is_empty() {
            return ops
                .recent_accounts(self.index.as_ref().expect("built above"), limit)
                .map(|accounts| accounts.iter().map(AccountRow::of).collect())
                .map_err(|e| e.to_string());
        }
        let index = self.index.as_ref().expect("built above");
        let mut rows = Vec::new();
        for hit in index.query(query, limit) {
            let account = match ops.account(hit.account) {
                Ok(a) => a,
                Err(OpsError::NotFound { .. }) => continue, // deleted since the index was built
                Err(e) => return Err(e.to_string()),
            };
            let mut row = AccountRow::of(&account);
            let contact_name = (hit.via != hit.account)
                .then(|| ops.contact(hit.via).ok().map(|c| c.name))
                .flatten();
            row.matched = matched(&hit, contact_name);
            rows.push(row);
        }
        Ok(rows)
    }

    fn load(&self, account: Id) -> Result<AccountData, OpsError> {
        let ops = self.ops();
        let tickets = ops.tickets(&TicketFilter {
            account: Some(account),
            ..TicketFilter::default()
        })?;
        // Service levels are shown, not enforced here: a broken SLA setup hides them only.
        let sla = match ops.sla_book() {
            Ok(book) => tickets
                .iter()
                .map(|t| (t.meta.id, book.evaluate(t, ops.now)))
                .collect(),
            Err(_) => Default::default(),
        };
        Ok(AccountData {
            account: ops.account(account)?,
            contacts: ops.contacts(Some(account))?,
            tickets,
            history: ops.history(account, Some(HISTORY_LIMIT))?,
            sla,
        })
    }

    /// A ticket's service levels now, if they can be worked out.
    fn sla(&self, ticket: &crate::domain::Ticket) -> Option<crate::domain::sla::Sla> {
        let ops = self.ops();
        ops.sla_book()
            .ok()
            .map(|book| book.evaluate(ticket, ops.now))
    }

    /// Logs a call (opening its ticket first, resolving it after, when asked). A resolution
    /// that fails after the call is saved comes as a second message.
    fn log(&mut self, log: LogDraft, new_ticket: Option<TicketRequest>, resolve: bool) -> Vec<Msg> {
        let (interaction, ticket) = match self.log_call(log, new_ticket) {
            Ok(done) => done,
            Err(e) => return vec![failed(None, e)],
        };
        let about = interaction.ticket;
        let mut problem = None;
        let mut resolved = None;
        if let (true, Some(id)) = (resolve, about) {
            match self.resolve_on_call(id, interaction.meta.id) {
                Ok(t) => resolved = Some(t),
                Err(e) => {
                    problem = Some(format!(
                        "{} logged, but {id} was not resolved: {e}",
                        interaction.meta.id
                    ))
                }
            }
        }
        // The ticket opened with the call, as it is now.
        let ticket = ticket.map(|t| match &resolved {
            Some(r) if r.meta.id == t.meta.id => r.clone(),
            _ => t,
        });
        let with_sla = |t: crate::domain::Ticket| {
            let sla = self.sla(&t);
            (Box::new(t), sla)
        };
        let mut out = vec![Msg::Logged {
            interaction: Box::new(interaction),
            ticket: ticket.map(with_sla),
            resolved: resolved.map(with_sla),
        }];
        out.extend(problem.map(|p| failed(None, p)));
        out
    }

    /// Resolves a ticket a call resolved, opening it first when it is new or on hold, each
    /// step noted with the call.
    fn resolve_on_call(&self, id: Id, call: Id) -> Result<crate::domain::Ticket, OpsError> {
        let ops = self.ops();
        let ticket = ops.ticket(id)?;
        if ticket.status.after(Action::Resolve).is_err()
            && ticket.status.after(Action::Open).is_ok()
        {
            ops.transition(id, Action::Open, Some(format!("worked on call {call}")))?;
        }
        ops.transition(
            id,
            Action::Resolve,
            Some(format!("resolved on call {call}")),
        )
    }

    fn log_call(
        &mut self,
        log: LogDraft,
        new_ticket: Option<TicketRequest>,
    ) -> Result<(crate::domain::Interaction, Option<crate::domain::Ticket>), OpsError> {
        let ops = self.ops();
        let ticket = match new_ticket {
            Some(request) => Some(ops.new_ticket(draft(request))?),
            None => None,
        };
        let interaction = ops.log(CallLog {
            account: log.account,
            contact: log.contact,
            ticket: ticket.as_ref().map(|t| t.meta.id).or(log.ticket),
            channel: log.channel,
            direction: log.direction,
            started_at: log.started_at,
            duration: log.duration,
            outcome: log.outcome,
            subject: log.subject,
            notes: log.notes,
            follow_up: None,
        })?;
        self.contacted(interaction.account, interaction.started_at.as_second());
        Ok((interaction, ticket))
    }

    /// The articles most relevant to a ticket, best first, marking those already linked.
    fn suggestions(&self, ticket: Id) -> Result<Vec<ArticleRow>, String> {
        let ops = self.ops();
        let linked = ops.ticket(ticket).map_err(|e| e.to_string())?.articles;
        let hits = ops
            .suggest_articles(ticket, SUGGESTIONS)
            .map_err(|e| e.to_string())?;
        Ok(hits
            .into_iter()
            .map(|(_, a)| ArticleRow {
                linked: linked.contains(&a.meta.id),
                id: a.meta.id,
                title: a.title,
                product: a.product,
                tags: a.tags,
                body: a.body,
            })
            .collect())
    }

    /// Moves an account's last contact forward in the recent list and the search ranking.
    fn contacted(&mut self, account: Id, at: i64) {
        if let Some(index) = &mut self.index {
            index.contacted(account, at);
        }
    }
}

fn draft(request: TicketRequest) -> TicketDraft {
    TicketDraft {
        account: request.account,
        subject: request.subject,
        description: request.description,
        priority: request.priority,
        contact: request.contact,
        queue: request.queue,
        category: None,
        assignee: None,
    }
}

/// The past tense of a step, for the status line.
fn past(action: Action) -> &'static str {
    match action {
        Action::Open => "is open",
        Action::Hold => "is on hold (pending)",
        Action::Escalate => "escalated",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::LogDraft;
    use crate::domain::record::{Channel, Direction, Outcome};
    use crate::domain::ticket::Status;

    use crate::store::memory::MemoryStore;
    use std::sync::mpsc;

    fn call(account: Id, ticket: Id) -> LogDraft {
        LogDraft {
            account,
            contact: None,
            ticket: Some(ticket),
            channel: Channel::Call,
            direction: Direction::Inbound,
            started_at: None,
            duration: 60,
            outcome: Outcome::Resolved,
            subject: None,
            notes: None,
        }
    }

    #[test]
    fn searches_are_answered_from_the_index_file_while_the_store_opens() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let clock = Clock::from_env().unwrap();
        {
            let store = crate::store::sled::open(&db).unwrap();
            let ops = Ops::new(&store, "ann", clock.now());
            ops.add_account(crate::ops::AccountDraft {
                name: "Acme Ltd".into(),
                phones: vec!["+1 415 555 0100".into()],
                ..Default::default()
            })
            .unwrap();
            snapshot::open(&store).unwrap(); // writes the index file
        } // closed: the stamp matches the file
        let (gate, gated) = mpsc::channel::<()>();
        let path = db.clone();
        let open: OpenStore = Box::new(move |_| {
            gated.recv().unwrap(); // the store opens only when the test says
            Ok(Arc::new(crate::store::sled::open(&path)?) as Arc<dyn Store>)
        });
        let (effects_tx, effects_rx) = mpsc::channel();
        let (replies_tx, replies_rx) = mpsc::channel();
        let worker = spawn(
            open,
            Some(db.clone()),
            "ann".into(),
            clock,
            effects_rx,
            replies_tx,
        );
        let search = |request, query: &str| Effect::Search {
            request: RequestId(request),
            query: query.into(),
            limit: 10,
        };
        let rows = |event| match event {
            Event::Reply(Msg::SearchResults { rows, .. }) => rows,
            _ => panic!("not search results"),
        };
        // A hang guard, not a timing threshold: without the file the answer waits for the gate.
        let wait = std::time::Duration::from_secs(60);
        effects_tx.send(search(1, "acme")).unwrap();
        let early = rows(
            replies_rx
                .recv_timeout(wait)
                .expect("answered before the store"),
        );
        assert_eq!(early[0].name, "Acme Ltd");
        assert_eq!(early[0].main_phone.as_deref(), Some("+1 415 555 0100"));
        effects_tx.send(search(2, "")).unwrap();
        let recent = rows(replies_rx.recv_timeout(wait).expect("the recent list too"));
        assert_eq!(recent[0].id, early[0].id);

        gate.send(()).unwrap();
        effects_tx
            .send(Effect::LoadAccount {
                request: RequestId(3),
                account: early[0].id,
            })
            .unwrap();
        assert!(matches!(
            replies_rx.recv_timeout(wait).unwrap(),
            Event::Reply(Msg::AccountLoaded { .. })
        ));
        effects_tx.send(search(4, "acme")).unwrap();
        assert_eq!(
            rows(replies_rx.recv_timeout(wait).unwrap()),
            early,
            "the same from the store"
        );
        drop(effects_tx);
        worker.join().unwrap();
        assert!(
            crate::store::sled::closed_at(&db).is_some(),
            "closed again at the end"
        );
    }

    /// Runs `effects` through a worker on `store` and returns its replies.
    fn replies(store: Arc<dyn Store>, effects: Vec<Effect>) -> Vec<Msg> {
        let (effects_tx, effects_rx) = mpsc::channel();
        let (replies_tx, replies_rx) = mpsc::channel();
        let clock = Clock::from_env().unwrap();
        let open: OpenStore = Box::new(move |_| Ok(store));
        let worker = spawn(open, None, "ann".into(), clock, effects_rx, replies_tx);
        for e in effects {
            effects_tx.send(e).unwrap();
        }
        drop(effects_tx);
        worker.join().unwrap();
        replies_rx
            .try_iter()
            .map(|e| match e {
                Event::Reply(msg) => msg,
                _ => panic!("not a reply"),
            })
            .collect()
    }

    #[test]
    fn long_work_while_the_store_opens_is_told_to_the_app() {
        let (effects_tx, effects_rx) = mpsc::channel::<Effect>();
        let (replies_tx, replies_rx) = mpsc::channel();
        let store: Arc<dyn Store> = Arc::new(MemoryStore::empty());
        let open: OpenStore = Box::new(move |tell| {
            tell(OpenWork::RebuildingEntries);
            Ok(store)
        });
        let clock = Clock::from_env().unwrap();
        let worker = spawn(open, None, "ann".into(), clock, effects_rx, replies_tx);
        drop(effects_tx);
        worker.join().unwrap();
        let said = OpenWork::RebuildingEntries.to_string();
        assert!(
            replies_rx
                .try_iter()
                .any(|e| matches!(e, Event::Reply(Msg::Opening(text)) if text == said))
        );
    }

    #[test]
    fn a_resolved_call_opens_a_new_ticket_before_resolving_it_and_says_when_it_cannot() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::empty());
        let ops = Ops::new(store.as_ref(), "ann", jiff::Timestamp::now());
        let acme = crate::ops::testing::account(&ops, "Acme");
        let fresh = ops
            .new_ticket(TicketDraft::new(acme, "No dial tone"))
            .unwrap()
            .meta
            .id;
        let closed = ops
            .new_ticket(TicketDraft::new(acme, "Old"))
            .unwrap()
            .meta
            .id;
        for step in [Action::Open, Action::Resolve, Action::Close] {
            ops.transition(closed, step, None).unwrap();
        }
        let effect = |ticket| Effect::LogCall {
            log: call(acme, ticket),
            new_ticket: None,
            resolve: true,
        };
        let msgs = replies(store.clone(), vec![effect(fresh), effect(closed)]);
        let [
            Msg::Logged {
                resolved: Some((t, _)),
                ..
            },
            Msg::Logged { resolved: None, .. },
            Msg::Failed { message, .. },
        ] = msgs.as_slice()
        else {
            panic!("{msgs:#?}")
        };
        assert_eq!(t.status, Status::Resolved);
        let notes: Vec<Option<&str>> = t.events.iter().map(|e| e.note.as_deref()).collect();
        assert_eq!(
            notes,
            [
                None,
                Some("worked on call I-1"),
                Some("resolved on call I-1")
            ]
        );
        assert!(
            message.starts_with("I-2 logged, but T-2 was not resolved: "),
            "{message}"
        );
    }
}
