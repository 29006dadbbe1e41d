//! The TUI's state machine, pure: [`App::update`] takes a [`Msg`] (a key, a tick of the clock, a
//! reply from the worker) and returns the [`Effect`]s to carry out. It knows the records of
//! [`crate::domain`] and nothing of storage or terminals, so every action is tested as a
//! sequence of messages against the expected state.
//!
//! Keys resolve to registry commands ([`command`]) through the active [`Bindings`], looking in
//! the contexts [`App::contexts`] lists for the current state, in order; an unbound character
//! is typed into the focused text field.

pub mod account;
pub mod bindings;
pub mod command;
pub mod dashboard;
pub mod form;
pub mod help;
pub mod history;
pub mod import;
pub mod key;
pub mod list;
pub mod msg;
pub mod palette;
pub mod prompt;
pub mod search;
pub mod suggest;
pub mod text;
pub mod work;

pub use bindings::{Binding, Bindings};
pub use command::{COMMANDS, Cmd, CommandSpec, Context};
pub use key::{Key, KeyCode, Mods};
pub use msg::{AccountData, AccountRow, Effect, LogDraft, Msg, RequestId, TicketRequest};

use crate::domain::Id;
use crate::domain::ticket::{Action, Ticket};
use dashboard::DashboardState;
use form::{CallForm, Form, TicketForm};
use help::HelpState;
use history::HistoryState;
use import::{ImportJob, ImportReport};
use jiff::Timestamp;
use palette::{Line, PaletteState};
use prompt::{Prompt, PromptKind};
use search::SearchState;
use suggest::SuggestState;
use text::{Edit, TextInput};
use work::{WorkKind, WorkState};

/// The panes Tab moves between, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Search,
    Account,
    History,
    Tickets,
}

impl Pane {
    /// Every pane, in Tab order.
    pub const ALL: [Pane; 4] = [Pane::Search, Pane::Account, Pane::History, Pane::Tickets];

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Search => "Search",
            Pane::Account => "Account",
            Pane::History => "History",
            Pane::Tickets => "Tickets",
        }
    }

    fn context(self) -> Context {
        match self {
            Pane::Search => Context::Search,
            Pane::Account => Context::Account,
            Pane::History => Context::History,
            Pane::Tickets => Context::Tickets,
        }
    }
}

/// What fills the screen under the forms and modals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Search, account, history and tickets.
    Panes,
    /// "My tickets" or "my queues" ([`App::work`]).
    Work,
    /// The figures of the reports ([`App::dashboard`]).
    Dashboard,
}

/// What sits above the panes and takes the keys first.
#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    Help(HelpState),
    Palette(PaletteState),
    Prompt(Prompt),
    /// Knowledge-base articles for a ticket.
    Suggest(SuggestState),
}

/// A message in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The whole state of the TUI.
#[derive(Clone, Debug)]
pub struct App {
    /// The acting agent.
    pub user: String,
    /// The clock, as last ticked.
    pub now: Timestamp,
    /// The time zone times are shown in.
    pub tz: jiff::tz::TimeZone,
    pub bindings: Bindings,
    /// The panes, or one of the agent's own views.
    pub view: View,
    pub focus: Pane,
    pub search: SearchState,
    /// The open account, once loaded.
    pub open: Option<AccountData>,
    /// The account being loaded.
    pub loading: Option<(RequestId, Id)>,
    pub history: HistoryState,
    /// The ticket the ticket commands act on (selected in the account view or ticket pane).
    pub selected_ticket: Option<Id>,
    /// The ticket to select once the account being loaded arrives (opened from a work list).
    pub select_after_load: Option<Id>,
    /// A ticket being resolved from the ticket pane or the palette: once it is, the customer's
    /// satisfaction is asked for.
    pub csat_offer: Option<Id>,
    /// The last work list shown.
    pub work: Option<WorkState>,
    /// The dashboard's last figures.
    pub dashboard: DashboardState,
    pub form: Option<Form>,
    pub modal: Option<Modal>,
    pub notice: Option<Notice>,
    /// A line shown at start and in help (the demo says where its database is).
    pub banner: Option<String>,
    /// The import running in the background, if any; its progress shows in the status bar.
    pub import: Option<ImportJob>,
    pub quit: bool,
    next_request: u64,
}

impl App {
    /// The state at start: focus in the search query, nothing open.
    pub fn new(user: impl Into<String>, bindings: Bindings, now: Timestamp) -> App {
        App {
            user: user.into(),
            now,
            tz: jiff::tz::TimeZone::UTC,
            bindings,
            view: View::Panes,
            focus: Pane::Search,
            search: SearchState::default(),
            open: None,
            loading: None,
            history: HistoryState::default(),
            selected_ticket: None,
            select_after_load: None,
            csat_offer: None,
            work: None,
            dashboard: DashboardState::default(),
            form: None,
            modal: None,
            notice: None,
            banner: None,
            import: None,
            quit: false,
            next_request: 0,
        }
    }

    /// The effects to run at start: the most recently contacted accounts.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.search_effect()]
    }

    fn request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    fn search_effect(&mut self) -> Effect {
        let request = self.request();
        self.search.pending = Some(request);
        Effect::Search {
            request,
            query: self.search.query.text().trim().to_string(),
            limit: search::RESULT_LIMIT,
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: true,
        });
    }

    /// The contexts whose bindings apply now, in the order they are consulted.
    pub fn contexts(&self) -> Vec<Context> {
        use Context::*;
        match (&self.modal, &self.form) {
            (Some(Modal::Help(_)), _) => vec![Help, Input, Global],
            (Some(Modal::Palette(_)), _) => vec![Palette, Input, Global],
            (Some(Modal::Prompt(_)), _) => vec![Prompt, Input, Global],
            (Some(Modal::Suggest(_)), _) => vec![Suggest, Global],
            (None, Some(form)) if form.focus_is_choice() => vec![Choice, Form, Global],
            (None, Some(_)) => vec![Form, Input, Global],
            (None, None) if self.view == View::Work => vec![Work, Global],
            (None, None) if self.view == View::Dashboard => vec![Dashboard, Global],
            (None, None) if self.focus == Pane::Search => vec![Search, Input, Global],
            (None, None) => vec![self.focus.context(), Normal, Global],
        }
    }

    /// The text field keys type into, if one has the focus.
    pub fn focused_text(&mut self) -> Option<&mut TextInput> {
        match (&mut self.modal, &mut self.form) {
            (Some(Modal::Help(h)), _) => Some(&mut h.filter),
            (Some(Modal::Palette(p)), _) => Some(&mut p.input),
            (Some(Modal::Prompt(p)), _) => Some(&mut p.input),
            (Some(Modal::Suggest(_)), _) => None,
            (None, Some(form)) => form.focused_text(),
            (None, None) if self.focus == Pane::Search => Some(&mut self.search.query),
            (None, None) => None,
        }
    }

    /// True while keys type into a text field (so `q` types a q).
    pub fn is_typing(&self) -> bool {
        self.contexts().contains(&Context::Input)
    }

    /// The ticket the ticket commands act on.
    pub fn ticket(&self) -> Option<&Ticket> {
        let open = self.open.as_ref()?;
        open.ticket(self.selected_ticket?)
    }

    /// What has the keys, for the status bar: the modal, the form or the focused pane.
    pub fn focus_name(&self) -> &'static str {
        match (&self.modal, &self.form) {
            (Some(Modal::Help(_)), _) => "Help",
            (Some(Modal::Palette(_)), _) => "Commands",
            (Some(Modal::Prompt(p)), _) => match p.kind {
                PromptKind::Assign => "Assign",
                PromptKind::Comment => "Comment",
                PromptKind::Csat => "Satisfaction",
            },
            (Some(Modal::Suggest(_)), _) => "Articles",
            (None, Some(Form::Call(_))) => "Log call",
            (None, Some(Form::Ticket(_))) => "New ticket",
            (None, None) => match (self.view, &self.work) {
                (View::Work, Some(work)) => work.kind.title(),
                (View::Dashboard, _) => "Dashboard",
                _ => self.focus.title(),
            },
        }
    }

    /// Key hints for the status bar: (key, what it does) for the commands that matter now,
    /// with the keys of the active keymap.
    pub fn hints(&self) -> Vec<(String, &'static str)> {
        use Cmd::*;
        let cmds: &[Cmd] = match (&self.modal, &self.form) {
            (Some(Modal::Help(_)), _) => &[Back, Down, Up, PageDown],
            (Some(Modal::Suggest(_)), _) => &[Open, Down, Up, Back],
            (Some(_), _) => &[Submit, Back],
            (None, Some(form)) if form.focus_is_choice() => {
                &[FormSave, ChoiceNext, FieldNext, StopTimer, Back]
            }
            (None, Some(Form::Call(_))) => &[FormSave, FieldNext, StopTimer, Back],
            (None, Some(Form::Ticket(_))) => &[FormSave, FieldNext, Back],
            (None, None) if self.view == View::Work => match &self.work {
                Some(w) if w.kind == WorkKind::Queues => {
                    &[Open, Down, WorkMine, Refresh, Back, Help, Quit]
                }
                _ => &[Open, Down, WorkQueues, Refresh, Back, Help, Quit],
            },
            (None, None) if self.view == View::Dashboard => {
                &[Refresh, WorkMine, WorkQueues, Back, Help, Quit]
            }
            (None, None) => match self.focus {
                Pane::Search => &[Down, Open, PaneNext, Help, Palette, Quit],
                Pane::Account => &[CallLog, TicketNew, Open, PaneNext, SearchFocus, Help, Quit],
                Pane::History => &[Open, CallLog, PaneNext, SearchFocus, Help, Quit],
                Pane::Tickets => &[
                    TicketOpen,
                    TicketHold,
                    TicketEscalate,
                    TicketResolve,
                    TicketClose,
                    TicketAssign,
                    TicketComment,
                    CallLog,
                    Help,
                ],
            },
        };
        let contexts = self.contexts();
        cmds.iter()
            .filter_map(|cmd| {
                // The plainest key reads best (down rather than ctrl-n).
                let keys = self.bindings.keys_for(&contexts, *cmd);
                keys.iter()
                    .min_by_key(|k| {
                        u8::from(k.mods.ctrl) + u8::from(k.mods.alt) + u8::from(k.mods.shift)
                    })
                    .map(|k| (k.to_string(), cmd.spec().hint))
            })
            .collect()
    }

    /// Takes one message; returns the work to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let query_before = self.search.query.text().to_string();
        let mut effects = match msg {
            Msg::Key(key) => self.key(key),
            Msg::Command(cmd) => self.run(cmd),
            Msg::Tick(now) => {
                self.now = now;
                Vec::new()
            }
            Msg::SearchResults { request, rows } => {
                let answered = self.search.query.text().trim().to_string();
                self.search.accept(request, rows, answered);
                Vec::new()
            }
            Msg::AccountLoaded { request, data } => self.account_loaded(request, *data),
            Msg::Logged {
                interaction,
                ticket,
                resolved,
            } => self.logged(
                *interaction,
                ticket.map(|(t, sla)| (*t, sla)),
                resolved.map(|(t, sla)| (*t, sla)),
            ),
            Msg::TicketSaved { ticket, sla, done } => self.ticket_saved(*ticket, sla, done),
            Msg::ImportProgress { request, counts } => {
                if let Some(job) = self.import.as_mut().filter(|j| j.request == request) {
                    job.counts = counts;
                }
                Vec::new()
            }
            Msg::ImportDone { request, report } => self.imported(request, report),
            Msg::Worklist {
                request,
                rows,
                queues,
            } => {
                if let Some(work) = &mut self.work {
                    work.accept(request, rows, queues);
                }
                Vec::new()
            }
            Msg::Suggestions { request, rows } => {
                if let Some(Modal::Suggest(s)) = &mut self.modal {
                    s.accept(request, rows);
                }
                Vec::new()
            }
            Msg::DashboardReady { request, dashboard } => {
                self.dashboard.accept(request, dashboard);
                Vec::new()
            }
            Msg::Opening(work) => {
                self.info(format!("{work}…"));
                Vec::new()
            }
            Msg::Failed { request, message } => self.failed(request, message),
        };
        if self.search.query.text() != query_before {
            effects.push(self.search_effect());
        }
        effects
    }

    fn key(&mut self, key: Key) -> Vec<Effect> {
        let contexts = self.contexts();
        if let Some(cmd) = self.bindings.resolve(&contexts, key) {
            return self.run(cmd);
        }
        if let Some(c) = key.typed_char()
            && let Some(text) = self.focused_text()
        {
            text.insert(c);
            self.after_typing();
            return Vec::new();
        }
        Vec::new()
    }

    /// Clears what typing makes stale: a refused save's error, a pending discard, help scroll.
    fn after_typing(&mut self) {
        if let Some(form) = &mut self.form {
            form.state_mut().confirm_discard = false;
        }
        match &mut self.modal {
            Some(Modal::Help(h)) => h.scroll = 0,
            Some(Modal::Palette(p)) => p.error = None,
            _ => {}
        }
    }

    /// Runs a registry command.
    pub fn run(&mut self, cmd: Cmd) -> Vec<Effect> {
        if cmd != Cmd::Back
            && let Some(form) = &mut self.form
        {
            form.state_mut().confirm_discard = false;
        }
        if cmd != Cmd::Back && !self.is_typing() {
            self.notice = None;
        }
        match cmd {
            Cmd::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Cmd::Help => {
                self.modal = Some(Modal::Help(HelpState::default()));
                Vec::new()
            }
            Cmd::Palette => {
                self.modal = Some(Modal::Palette(PaletteState::default()));
                Vec::new()
            }
            Cmd::Back => self.back(),
            Cmd::SearchFocus => {
                self.modal = None;
                self.view = View::Panes;
                self.focus = Pane::Search;
                self.search.query.clear();
                Vec::new()
            }
            Cmd::WorkMine => self.show_work(WorkKind::Mine),
            Cmd::WorkQueues => self.show_work(WorkKind::Queues),
            Cmd::Dashboard => {
                self.modal = None;
                self.view = View::Dashboard;
                if self.dashboard.data.is_none() && self.dashboard.pending.is_none() {
                    self.build_dashboard()
                } else {
                    Vec::new()
                }
            }
            Cmd::Refresh => match self.view {
                View::Work => self.load_work(),
                View::Dashboard => self.build_dashboard(),
                View::Panes => Vec::new(),
            },
            Cmd::PaneNext | Cmd::PanePrev => {
                self.view = View::Panes;
                self.focus = form::cycle(&Pane::ALL, self.focus, cmd == Cmd::PaneNext);
                Vec::new()
            }
            Cmd::Down | Cmd::Up | Cmd::PageDown | Cmd::PageUp | Cmd::First | Cmd::Last => {
                self.move_selection(cmd);
                Vec::new()
            }
            Cmd::Open => self.open_selected(),
            Cmd::CallLog => {
                self.open_call_form();
                Vec::new()
            }
            Cmd::KbSuggest => self.suggest_articles(),
            Cmd::TicketNew => {
                self.open_ticket_form();
                Vec::new()
            }
            Cmd::TicketAssign => {
                self.open_prompt(PromptKind::Assign);
                Vec::new()
            }
            Cmd::TicketComment => {
                self.open_prompt(PromptKind::Comment);
                Vec::new()
            }
            Cmd::TicketOpen => self.transition(None, Action::Open, None),
            Cmd::TicketHold => self.transition(None, Action::Hold, None),
            Cmd::TicketEscalate => self.transition(None, Action::Escalate, None),
            Cmd::TicketResolve => self.transition(None, Action::Resolve, None),
            Cmd::TicketClose => self.transition(None, Action::Close, None),
            Cmd::TicketReopen => self.transition(None, Action::Reopen, None),
            Cmd::FormSave => self.save_form(),
            Cmd::FieldNext | Cmd::FieldPrev => {
                if let Some(form) = &mut self.form {
                    form.move_focus(cmd == Cmd::FieldNext);
                }
                Vec::new()
            }
            Cmd::StopTimer => {
                if let Some(Form::Call(f)) = &mut self.form {
                    f.toggle_timer(self.now);
                }
                Vec::new()
            }
            Cmd::ChoiceNext | Cmd::ChoicePrev => {
                if let Some(form) = &mut self.form {
                    form.cycle_choice(cmd == Cmd::ChoiceNext);
                }
                Vec::new()
            }
            Cmd::Submit => self.submit(),
            Cmd::CharLeft
            | Cmd::CharRight
            | Cmd::WordLeft
            | Cmd::WordRight
            | Cmd::LineStart
            | Cmd::LineEnd
            | Cmd::LineUp
            | Cmd::LineDown
            | Cmd::DeleteBack
            | Cmd::DeleteForward
            | Cmd::KillToStart
            | Cmd::KillToEnd
            | Cmd::KillWord
            | Cmd::Newline => self.edit(cmd),
        }
    }

    fn edit(&mut self, cmd: Cmd) -> Vec<Effect> {
        let Some(text) = self.focused_text() else {
            return Vec::new();
        };
        if text.edit(cmd) == Edit::Pass
            && let Some(form) = &mut self.form
            && self.modal.is_none()
        {
            // On a one-line field of a form, line moves and enter go between fields.
            match cmd {
                Cmd::LineUp => form.move_focus(false),
                Cmd::LineDown | Cmd::Newline => form.move_focus(true),
                _ => {}
            }
        }
        self.after_typing();
        Vec::new()
    }

    fn back(&mut self) -> Vec<Effect> {
        if let Some(modal) = self.modal.take() {
            if let Modal::Prompt(p) = modal
                && p.kind == PromptKind::Csat
            {
                let id = p.ticket;
                self.info(format!(
                    "{id}: no satisfaction score recorded (:ticket csat {id} --score N records one later)"
                ));
            }
            return Vec::new();
        }
        if let Some(form) = &mut self.form {
            if form.is_dirty() && !form.state().confirm_discard {
                form.state_mut().confirm_discard = true;
                self.error("Esc again throws this form away; ctrl-s saves it");
            } else {
                self.form = None;
                self.notice = None;
            }
            return Vec::new();
        }
        if self.view != View::Panes {
            self.view = View::Panes;
            return Vec::new();
        }
        match self.focus {
            Pane::Search if !self.search.query.text().is_empty() => self.search.query.clear(),
            Pane::Search if self.open.is_some() => self.focus = Pane::Account,
            Pane::Search => {}
            Pane::Account => self.focus = Pane::Search,
            Pane::History | Pane::Tickets => self.focus = Pane::Account,
        }
        Vec::new()
    }

    fn move_selection(&mut self, cmd: Cmd) {
        if let Some(Modal::Help(h)) = &mut self.modal {
            let rows = h.rows(&self.bindings).len();
            h.scroll = list::step(h.scroll, rows, cmd);
            return;
        }
        if let Some(Modal::Suggest(s)) = &mut self.modal {
            s.selected = list::step(s.selected, s.rows.len(), cmd);
            return;
        }
        if self.view == View::Work {
            if let Some(w) = &mut self.work {
                w.selected = list::step(w.selected, w.rows.len(), cmd);
            }
            return;
        }
        match self.focus {
            Pane::Search => {
                self.search.selected = list::step(self.search.selected, self.search.rows.len(), cmd)
            }
            Pane::History => {
                let len = self.open.as_ref().map_or(0, |o| o.history.len());
                self.history.selected = list::step(self.history.selected, len, cmd);
            }
            Pane::Account | Pane::Tickets => {
                let Some(open) = &self.open else { return };
                let ids: Vec<Id> = if self.focus == Pane::Account {
                    open.open_tickets().iter().map(|t| t.meta.id).collect()
                } else {
                    open.tickets.iter().map(|t| t.meta.id).collect()
                };
                let at = self
                    .selected_ticket
                    .and_then(|s| ids.iter().position(|i| *i == s))
                    .unwrap_or(0);
                let at = if self.selected_ticket.is_some_and(|s| ids.contains(&s)) {
                    list::step(at, ids.len(), cmd)
                } else {
                    at
                };
                self.selected_ticket = ids.get(at).copied();
            }
        }
    }

    fn open_selected(&mut self) -> Vec<Effect> {
        if let Some(Modal::Suggest(s)) = &self.modal {
            return self.link_selected_article(s.ticket, s.selected_row().map(|r| r.id));
        }
        if self.view == View::Work {
            return self.open_work_row();
        }
        match self.focus {
            Pane::Search => match self.search.selected_row() {
                Some(row) => {
                    let id = row.id;
                    self.open_account(id)
                }
                None => {
                    self.error("nothing to open: type a name, phone digits or an id");
                    Vec::new()
                }
            },
            Pane::Account => {
                if self.ticket().is_some() {
                    self.focus = Pane::Tickets;
                }
                Vec::new()
            }
            Pane::History => {
                let id = self
                    .open
                    .as_ref()
                    .and_then(|o| o.history.get(self.history.selected))
                    .map(|i| i.meta.id);
                if let Some(id) = id {
                    self.history.toggle(id);
                }
                Vec::new()
            }
            Pane::Tickets => Vec::new(),
        }
    }

    fn open_account(&mut self, id: Id) -> Vec<Effect> {
        self.focus = Pane::Account;
        vec![self.load_account(id)]
    }

    /// Loads (or reloads) an account, leaving the focus where it is.
    fn load_account(&mut self, id: Id) -> Effect {
        let request = self.request();
        self.loading = Some((request, id));
        Effect::LoadAccount {
            request,
            account: id,
        }
    }

    fn account_loaded(&mut self, request: RequestId, data: AccountData) -> Vec<Effect> {
        if self.loading.map(|(r, _)| r) != Some(request) {
            return Vec::new();
        }
        self.loading = None;
        let same = self.open.as_ref().is_some_and(|o| o.id() == data.id());
        if !same {
            self.history = HistoryState::default();
            self.selected_ticket = None;
        }
        let keep = self
            .selected_ticket
            .filter(|id| data.tickets.iter().any(|t| t.meta.id == *id));
        self.selected_ticket = keep.or_else(|| {
            data.open_tickets()
                .first()
                .map(|t| t.meta.id)
                .or(data.tickets.first().map(|t| t.meta.id))
        });
        if let Some(wanted) = self.select_after_load.take()
            && data.ticket(wanted).is_some()
        {
            self.selected_ticket = Some(wanted);
            if self.view == View::Panes && self.focus == Pane::Account {
                self.focus = Pane::Tickets;
            }
        }
        self.open = Some(data);
        Vec::new()
    }

    /// Shows a work list, loading it afresh (the last rows stay on screen meanwhile).
    fn show_work(&mut self, kind: WorkKind) -> Vec<Effect> {
        self.modal = None;
        self.view = View::Work;
        if self.work.as_ref().is_none_or(|w| w.kind != kind) {
            self.work = Some(WorkState::new(kind));
        }
        self.load_work()
    }

    fn load_work(&mut self) -> Vec<Effect> {
        let request = self.request();
        let Some(work) = &mut self.work else {
            return Vec::new();
        };
        work.pending = Some(request);
        vec![Effect::LoadWork {
            request,
            kind: work.kind,
        }]
    }

    /// Builds the dashboard afresh on a job; the last figures stay on screen meanwhile.
    fn build_dashboard(&mut self) -> Vec<Effect> {
        let request = self.request();
        self.dashboard.pending = Some(request);
        vec![Effect::BuildDashboard { request }]
    }

    /// Opens the selected work row's account with its ticket selected, in the ticket pane.
    fn open_work_row(&mut self) -> Vec<Effect> {
        let Some(row) = self.work.as_ref().and_then(|w| w.selected_row()) else {
            self.error("no ticket here to open");
            return Vec::new();
        };
        let (account, ticket) = (row.ticket.account, row.ticket.meta.id);
        self.view = View::Panes;
        self.select_after_load = Some(ticket);
        self.open_account(account)
    }

    fn need_account(&mut self) -> Option<&AccountData> {
        if self.open.is_none() {
            self.error("open an account first: search, then Enter on a result");
        }
        self.open.as_ref()
    }

    fn open_call_form(&mut self) {
        let now = self.now;
        let selected = self.selected_ticket;
        let Some(open) = self.need_account() else {
            return;
        };
        let form = CallForm::new(&open.account, &open.contacts, &open.tickets, selected, now);
        self.form = Some(Form::Call(Box::new(form)));
        self.modal = None;
    }

    fn open_ticket_form(&mut self) {
        let Some(open) = self.need_account() else {
            return;
        };
        let form = TicketForm::new(&open.account, &open.contacts);
        self.form = Some(Form::Ticket(Box::new(form)));
        self.modal = None;
    }

    fn need_ticket(&mut self) -> Option<Id> {
        self.need_account()?;
        let id = self.ticket().map(|t| t.meta.id);
        if id.is_none() {
            self.error("no ticket selected: this account has none yet (t opens one)");
        }
        id
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        if let Some(ticket) = self.need_ticket() {
            self.modal = Some(Modal::Prompt(Prompt::new(kind, ticket)));
        }
    }

    /// A workflow step on `ticket` (or the selected one). When the ticket is at hand, an
    /// illegal step is refused here, naming the legal ones, without a trip to the store.
    fn transition(
        &mut self,
        ticket: Option<Id>,
        action: Action,
        note: Option<String>,
    ) -> Vec<Effect> {
        let id = match ticket {
            Some(id) => id,
            None => match self.need_ticket() {
                Some(id) => id,
                None => return Vec::new(),
            },
        };
        let known = self.open.as_ref().and_then(|o| o.ticket(id));
        if let Some(t) = known
            && t.status.after(action).is_err()
        {
            let message = self.illegal(id, t.status, action);
            self.error(message);
            return Vec::new();
        }
        self.info(format!("{id}: {action}…"));
        if action == Action::Resolve {
            self.csat_offer = Some(id);
        }
        vec![Effect::Transition {
            ticket: id,
            action,
            note,
        }]
    }

    /// Why `action` cannot be taken on a ticket that is `from`, short enough for the status
    /// line, naming the legal steps with their keys.
    fn illegal(&self, id: Id, from: crate::domain::ticket::Status, action: Action) -> String {
        let contexts = [Context::Tickets, Context::Normal];
        let steps: Vec<String> = from
            .next_steps()
            .iter()
            .map(|(step, to)| {
                let cmd = match step {
                    Action::Open => Cmd::TicketOpen,
                    Action::Hold => Cmd::TicketHold,
                    Action::Escalate => Cmd::TicketEscalate,
                    Action::Resolve => Cmd::TicketResolve,
                    Action::Close => Cmd::TicketClose,
                    Action::Reopen => Cmd::TicketReopen,
                };
                match self.bindings.keys_for(&contexts, cmd).first() {
                    Some(key) => format!("{key} {step} (→ {to})"),
                    None => format!("{step} (→ {to})"),
                }
            })
            .collect();
        format!(
            "{id} is {from}, cannot {action}; next: {}",
            steps.join(", ")
        )
    }

    fn save_form(&mut self) -> Vec<Effect> {
        let now = self.now;
        let request = self.request();
        let Some(form) = &mut self.form else {
            return Vec::new();
        };
        if form.state().saving.is_some() {
            return Vec::new();
        }
        let effect = match form {
            Form::Call(f) => {
                let resolve = f.resolves();
                f.draft(now).map(|(log, new_ticket)| Effect::LogCall {
                    log,
                    new_ticket,
                    resolve,
                })
            }
            Form::Ticket(f) => f.draft().map(Effect::NewTicket),
        };
        match effect {
            Ok(effect) => {
                let state = form.state_mut();
                state.saving = Some(request);
                state.error = None;
                self.info("saving…");
                vec![effect]
            }
            Err(message) => {
                form.state_mut().error = Some(message.clone());
                self.error(message);
                Vec::new()
            }
        }
    }

    fn submit(&mut self) -> Vec<Effect> {
        match self.modal.take() {
            Some(Modal::Prompt(p)) => {
                let text = p.input.text().trim().to_string();
                match p.kind {
                    PromptKind::Assign => vec![Effect::Assign {
                        ticket: p.ticket,
                        to: (!text.is_empty()).then_some(text),
                        note: None,
                    }],
                    PromptKind::Comment if text.is_empty() => {
                        self.modal = Some(Modal::Prompt(p));
                        self.error("type the comment, or Esc");
                        Vec::new()
                    }
                    PromptKind::Comment => vec![Effect::Comment {
                        ticket: p.ticket,
                        text,
                        public: true,
                    }],
                    PromptKind::Csat => match prompt::csat(&text) {
                        Ok((score, comment)) => vec![Effect::Rate {
                            ticket: p.ticket,
                            score,
                            comment,
                        }],
                        Err(message) => {
                            self.modal = Some(Modal::Prompt(p));
                            self.error(message);
                            Vec::new()
                        }
                    },
                }
            }
            Some(Modal::Palette(mut p)) => match palette::parse(p.input.text()) {
                Ok(line) => self.run_line(line),
                Err(message) => {
                    p.error = Some(message);
                    self.modal = Some(Modal::Palette(p));
                    Vec::new()
                }
            },
            other => {
                self.modal = other;
                Vec::new()
            }
        }
    }

    fn ticket_or_selected(&mut self, ticket: Option<Id>) -> Option<Id> {
        ticket.or_else(|| self.need_ticket())
    }

    /// Runs a palette line.
    fn run_line(&mut self, line: Line) -> Vec<Effect> {
        match line {
            Line::Run(cmd) => self.run(cmd),
            Line::Search(text) => {
                self.focus = Pane::Search;
                self.search.query.set(&text);
                Vec::new()
            }
            Line::OpenAccount(id) => self.open_account(id),
            Line::Log(l) if l == palette::LogLine::default() => self.run(Cmd::CallLog),
            Line::Log(l) => {
                let Some(account) = l.account.or(self.open.as_ref().map(|o| o.id())) else {
                    self.error("log which account? open one, or add --account A-N");
                    return Vec::new();
                };
                vec![Effect::LogCall {
                    log: LogDraft {
                        account,
                        contact: l.contact,
                        ticket: l.ticket,
                        channel: l.channel.unwrap_or(crate::domain::record::Channel::Call),
                        direction: l
                            .direction
                            .unwrap_or(crate::domain::record::Direction::Inbound),
                        started_at: None,
                        duration: l.duration.unwrap_or(0),
                        outcome: l
                            .outcome
                            .unwrap_or(crate::domain::record::Outcome::Answered),
                        subject: l.subject,
                        notes: l.notes,
                    },
                    new_ticket: None,
                    resolve: false,
                }]
            }
            Line::NewTicket {
                account,
                subject: None,
                ..
            } if account.is_none() => self.run(Cmd::TicketNew),
            Line::NewTicket {
                account,
                subject,
                priority,
                contact,
                queue,
                description,
            } => {
                let Some(account) = account.or(self.open.as_ref().map(|o| o.id())) else {
                    self.error("a ticket for which account? open one, or add --account A-N");
                    return Vec::new();
                };
                let Some(subject) = subject.filter(|s| !s.trim().is_empty()) else {
                    self.error("ticket new needs --subject TEXT");
                    return Vec::new();
                };
                vec![Effect::NewTicket(TicketRequest {
                    account,
                    subject,
                    description,
                    priority,
                    contact,
                    queue,
                })]
            }
            Line::Transition {
                ticket,
                action,
                note,
            } => self.transition(ticket, action, note),
            Line::Assign {
                ticket: None,
                to: None,
                ..
            } => self.run(Cmd::TicketAssign),
            Line::Assign { ticket, to, note } => {
                let Some(ticket) = self.ticket_or_selected(ticket) else {
                    return Vec::new();
                };
                match to {
                    Some(to) => vec![Effect::Assign {
                        ticket,
                        to: Some(to),
                        note,
                    }],
                    None => {
                        self.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Assign, ticket)));
                        Vec::new()
                    }
                }
            }
            Line::Comment {
                ticket,
                text,
                public,
            } => {
                let Some(ticket) = self.ticket_or_selected(ticket) else {
                    return Vec::new();
                };
                match text {
                    Some(text) => vec![Effect::Comment {
                        ticket,
                        text,
                        public,
                    }],
                    None => {
                        self.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Comment, ticket)));
                        Vec::new()
                    }
                }
            }
            Line::Rate {
                ticket,
                score,
                comment,
            } => match self.ticket_or_selected(ticket) {
                Some(ticket) => vec![Effect::Rate {
                    ticket,
                    score,
                    comment,
                }],
                None => Vec::new(),
            },
            Line::Suggest { ticket: None } => self.suggest_articles(),
            Line::Suggest {
                ticket: Some(ticket),
            } => self.suggest_articles_for(ticket),
            Line::LinkArticle { ticket, article } => match self.ticket_or_selected(ticket) {
                Some(ticket) => vec![Effect::LinkArticle { ticket, article }],
                None => Vec::new(),
            },
            Line::Import(line) => self.start_import(line),
        }
    }

    fn start_import(&mut self, line: import::ImportLine) -> Vec<Effect> {
        if let Some(job) = &self.import {
            let running = job.progress();
            self.error(format!("one import at a time; running: {running}"));
            return Vec::new();
        }
        let request = self.request();
        self.info(format!("importing {}…", import::file_name(&line.file)));
        self.import = Some(ImportJob {
            request,
            line: line.clone(),
            counts: Default::default(),
        });
        vec![Effect::Import { request, line }]
    }

    /// An import ended: its summary in the status line, and what it changed shown.
    fn imported(&mut self, request: RequestId, report: ImportReport) -> Vec<Effect> {
        let Some(job) = self.import.take_if(|j| j.request == request) else {
            return Vec::new();
        };
        let summary = report.summary(&job.line);
        if report.counts.rejected > 0 {
            self.error(summary);
        } else {
            self.info(summary);
        }
        let mut effects = Vec::new();
        if !job.line.dry_run && report.counts.created + report.counts.updated > 0 {
            effects.push(Effect::Reindex);
            effects.push(self.search_effect());
            if let Some(id) = self.open.as_ref().map(|o| o.id()) {
                effects.push(self.load_account(id));
            }
        }
        effects
    }

    fn logged(
        &mut self,
        interaction: crate::domain::Interaction,
        ticket: Option<(Ticket, Option<crate::domain::sla::Sla>)>,
        resolved: Option<(Ticket, Option<crate::domain::sla::Sla>)>,
    ) -> Vec<Effect> {
        let id = interaction.meta.id;
        let account = interaction.account;
        let at = interaction.started_at;
        if let Some(Form::Call(f)) = &self.form
            && f.account == account
            && f.state.saving.is_some()
        {
            self.form = None;
        }
        let mut done = format!("{id} logged");
        if let Some(open) = self.open.as_mut().filter(|o| o.id() == account) {
            open.put_interaction(interaction);
            self.history.selected = 0;
            if let Some((t, sla)) = ticket.clone() {
                open.put_ticket(t, sla);
            }
            if let Some((t, sla)) = resolved.clone() {
                open.put_ticket(t, sla);
            }
        }
        if let Some((t, _)) = &ticket {
            done = format!("{done}, {} opened", t.meta.id);
            self.selected_ticket = Some(t.meta.id);
        }
        if let Some((t, sla)) = &resolved {
            done = format!("{done}, {} resolved", t.meta.id);
            if let Some(work) = &mut self.work {
                work.put_ticket(t, *sla);
            }
        }
        for row in self.search.rows.iter_mut().filter(|r| r.id == account) {
            if row.last_contact.is_none_or(|last| last < at) {
                row.last_contact = Some(at);
            }
        }
        self.info(done);
        if let Some((t, _)) = &resolved {
            self.offer_csat(t.meta.id);
        }
        if self.search.query.text().trim().is_empty() {
            // The recent list has a new first entry.
            return vec![self.search_effect()];
        }
        Vec::new()
    }

    /// Asks for the customer's satisfaction with a ticket just resolved, unless the agent is
    /// busy in a form or prompt (then says how to record it later).
    fn offer_csat(&mut self, ticket: Id) {
        if self.modal.is_none() && self.form.is_none() {
            self.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Csat, ticket)));
        } else if let Some(notice) = &mut self.notice {
            notice.text.push_str(&format!(
                " (:ticket csat {ticket} --score N records satisfaction)"
            ));
        }
    }

    fn ticket_saved(
        &mut self,
        ticket: Ticket,
        sla: Option<crate::domain::sla::Sla>,
        done: String,
    ) -> Vec<Effect> {
        if let Some(Form::Ticket(f)) = &self.form
            && f.account == ticket.account
            && f.state.saving.is_some()
        {
            self.form = None;
            self.selected_ticket = Some(ticket.meta.id);
        }
        if let Some(work) = &mut self.work {
            work.put_ticket(&ticket, sla);
        }
        let resolved = (self.csat_offer == Some(ticket.meta.id)
            && ticket.status == crate::domain::ticket::Status::Resolved)
            .then_some(ticket.meta.id);
        if let Some(open) = self.open.as_mut().filter(|o| o.id() == ticket.account) {
            open.put_ticket(ticket, sla);
        }
        self.info(done);
        if let Some(id) = resolved {
            self.csat_offer = None;
            self.offer_csat(id);
        }
        Vec::new()
    }

    /// Opens the knowledge-base suggestions for the selected ticket.
    fn suggest_articles(&mut self) -> Vec<Effect> {
        let Some(ticket) = self.ticket().map(|t| t.meta.id) else {
            self.error("no ticket selected: pick one in the ticket pane, then ask for articles");
            return Vec::new();
        };
        self.suggest_articles_for(ticket)
    }

    /// Opens the knowledge-base suggestions for `ticket`, which need not be in the open
    /// account (the palette names any).
    fn suggest_articles_for(&mut self, ticket: Id) -> Vec<Effect> {
        let request = self.request();
        self.modal = Some(Modal::Suggest(SuggestState::new(ticket, request)));
        vec![Effect::SuggestArticles { request, ticket }]
    }

    /// Links the selected suggestion to its ticket and closes the suggestions.
    fn link_selected_article(&mut self, ticket: Id, article: Option<Id>) -> Vec<Effect> {
        let Some(article) = article else {
            self.error("no article to link");
            return Vec::new();
        };
        self.modal = None;
        vec![Effect::LinkArticle { ticket, article }]
    }

    fn failed(&mut self, request: Option<RequestId>, message: String) -> Vec<Effect> {
        if request.is_none() {
            // A step that failed (a resolve among them) offers nothing.
            self.csat_offer = None;
        }
        if request.is_some() && self.import.as_ref().map(|j| j.request) == request {
            self.import = None;
            self.error(message);
            return Vec::new();
        }
        if request.is_some() && self.loading.map(|(r, _)| r) == request {
            self.loading = None;
            self.select_after_load = None;
        }
        if request.is_some()
            && let Some(Modal::Suggest(s)) = &self.modal
            && s.pending == request
        {
            self.modal = None;
        }
        if request.is_some() && self.search.pending == request {
            self.search.pending = None;
        }
        if request.is_some() && self.dashboard.pending == request {
            self.dashboard.pending = None;
            // Refused (an agent) or broken with nothing to show: back where the agent was.
            if self.dashboard.data.is_none() && self.view == View::Dashboard {
                self.view = View::Panes;
            }
        }
        if let Some(work) = self
            .work
            .as_mut()
            .filter(|w| request.is_some() && w.pending == request)
        {
            work.pending = None;
            work.problem = Some(message.clone());
        }
        if let Some(form) = &mut self.form
            && form.state().saving.is_some()
        {
            let state = form.state_mut();
            state.saving = None;
            state.error = Some(message.clone());
        }
        self.error(message);
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
