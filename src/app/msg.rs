//! What flows into the state machine ([`Msg`]: keys, clock ticks, the worker's replies) and
//! what flows out of it ([`Effect`]: work for the worker, quitting). Replies to requests carry
//! the request's id so that a stale answer (an older search) is dropped.

use super::command::Cmd;
use super::dashboard::Dashboard;
use super::import::{ImportCounts, ImportLine, ImportReport};
use super::key::Key;
use super::suggest::ArticleRow;
use super::work::{WorkKind, WorkRow};
use crate::domain::record::{Channel, Direction, Outcome, Relationship};
use crate::domain::sla::Sla;
use crate::domain::ticket::{Action, Priority};
use crate::domain::{Account, Contact, Id, Interaction, Ticket};
use jiff::Timestamp;
use std::collections::BTreeMap;

/// Identifies a request to the worker, so that replies to superseded ones are dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// One row of the search results.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountRow {
    pub id: Id,
    pub name: String,
    pub main_phone: Option<String>,
    pub relationship: Relationship,
    pub last_contact: Option<Timestamp>,
    /// What the query matched when it was not the name (`email`, `phone`, `contact Li Na`).
    pub matched: Option<String>,
}

impl AccountRow {
    /// The row of an account.
    pub fn of(account: &Account) -> AccountRow {
        AccountRow {
            id: account.meta.id,
            name: account.name.clone(),
            main_phone: account.main_phone().map(str::to_string),
            relationship: account.relationship,
            last_contact: account.last_contact_at,
            matched: None,
        }
    }
}

/// Everything the account view, history and ticket panes show about one account.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountData {
    pub account: Account,
    /// Sorted by name.
    pub contacts: Vec<Contact>,
    /// Every ticket of the account, in work order (most urgent, then oldest, first).
    pub tickets: Vec<Ticket>,
    /// Newest first.
    pub history: Vec<Interaction>,
    /// Each ticket's service levels when loaded (or last changed).
    pub sla: BTreeMap<Id, Sla>,
}

/// A call (or any touch) to log; mirrors the operation's input.
#[derive(Clone, Debug, PartialEq)]
pub struct LogDraft {
    pub account: Id,
    pub contact: Option<Id>,
    pub ticket: Option<Id>,
    pub channel: Channel,
    pub direction: Direction,
    pub started_at: Option<Timestamp>,
    /// Whole seconds.
    pub duration: u32,
    pub outcome: Outcome,
    pub subject: Option<String>,
    pub notes: Option<String>,
}

/// A ticket to open; mirrors the operation's input.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketRequest {
    pub account: Id,
    pub subject: String,
    pub description: Option<String>,
    pub priority: Priority,
    pub contact: Option<Id>,
    pub queue: Option<String>,
}

/// Something that happened: a key, the clock, a reply from the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// A key was pressed.
    Key(Key),
    /// A command to run, as a key bound to it would.
    Command(Cmd),
    /// The clock moved (the call timer shows it).
    Tick(Timestamp),
    /// Results for a search (or, for a blank query, the most recently contacted accounts).
    SearchResults {
        request: RequestId,
        rows: Vec<AccountRow>,
    },
    /// An account's data, loaded.
    AccountLoaded {
        request: RequestId,
        data: Box<AccountData>,
    },
    /// A call was logged (and, when the form asked for one, a ticket opened with it; when
    /// the call resolved its ticket, the ticket as resolved).
    Logged {
        interaction: Box<Interaction>,
        ticket: Option<(Box<Ticket>, Option<Sla>)>,
        resolved: Option<(Box<Ticket>, Option<Sla>)>,
    },
    /// A ticket was opened or changed; `done` says what happened, for the status line.
    TicketSaved {
        ticket: Box<Ticket>,
        sla: Option<Sla>,
        done: String,
    },
    /// A work list, loaded.
    Worklist {
        request: RequestId,
        rows: Vec<WorkRow>,
        /// The queues "my queues" covers.
        queues: Vec<String>,
    },
    /// Knowledge-base suggestions for a ticket, best first.
    Suggestions {
        request: RequestId,
        rows: Vec<ArticleRow>,
    },
    /// The dashboard's figures, built.
    DashboardReady {
        request: RequestId,
        dashboard: Box<Dashboard>,
    },
    /// How far the running import has got.
    ImportProgress {
        request: RequestId,
        counts: ImportCounts,
    },
    /// The import finished (a file or option it could not use comes as [`Msg::Failed`]).
    ImportDone {
        request: RequestId,
        report: ImportReport,
    },
    /// The store is still opening, doing this long work first (once); shown in the status
    /// line.
    Opening(String),
    /// Work failed; the message is shown in the status line.
    Failed {
        request: Option<RequestId>,
        message: String,
    },
}

/// Work the state machine asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Search accounts; a blank query asks for the most recently contacted ones.
    Search {
        request: RequestId,
        query: String,
        limit: usize,
    },
    /// Load an account with its contacts, tickets and history.
    LoadAccount { request: RequestId, account: Id },
    /// Log a call, opening a ticket first when `new_ticket` says so (then linked to it), and
    /// resolving the call's ticket after when `resolve` says so (opening it first if need be).
    LogCall {
        log: LogDraft,
        new_ticket: Option<TicketRequest>,
        resolve: bool,
    },
    /// Open a ticket.
    NewTicket(TicketRequest),
    /// Take a workflow step on a ticket.
    Transition {
        ticket: Id,
        action: Action,
        note: Option<String>,
    },
    /// Assign a ticket (`None` unassigns).
    Assign {
        ticket: Id,
        to: Option<String>,
        note: Option<String>,
    },
    /// Comment on a ticket.
    Comment {
        ticket: Id,
        text: String,
        public: bool,
    },
    /// Record a satisfaction score.
    Rate {
        ticket: Id,
        score: u8,
        comment: Option<String>,
    },
    /// Find the knowledge-base articles most relevant to a ticket.
    SuggestArticles { request: RequestId, ticket: Id },
    /// Link an article to a ticket (an event in its history).
    LinkArticle { ticket: Id, article: Id },
    /// Load a work list ("my tickets", "my queues") on a background job.
    LoadWork { request: RequestId, kind: WorkKind },
    /// Build the dashboard on a background job (supervisors and admins).
    BuildDashboard { request: RequestId },
    /// Import a file on a background job, reporting progress as it goes.
    Import {
        request: RequestId,
        line: ImportLine,
    },
    /// Records changed behind the worker's back (an import): read the search index afresh.
    Reindex,
    /// Leave the TUI.
    Quit,
}
