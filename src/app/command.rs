//! The registry of named commands (`search.focus`, `call.log`, `ticket.escalate`). One list
//! serves the keymaps (which bind keys to these names), the `:` palette (which runs them by
//! name) and the `?` help and hint bar (which show their doc lines).

use std::fmt;

/// Where a binding applies. The state decides which contexts are active and in which order
/// they are consulted (see [`crate::app::App::contexts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Everywhere, even while typing.
    Global,
    /// Any pane, when not typing.
    Normal,
    /// The search pane (its query line is always being typed into).
    Search,
    /// The account view.
    Account,
    /// The interaction history.
    History,
    /// The ticket work area.
    Tickets,
    /// The "my tickets" and "my queues" lists.
    Work,
    /// The dashboard.
    Dashboard,
    /// Any text field: readline editing.
    Input,
    /// A form field that picks from a list.
    Choice,
    /// The call log and new-ticket forms.
    Form,
    /// A one-line prompt (assign, comment).
    Prompt,
    /// The `:` command palette.
    Palette,
    /// The `?` help screen.
    Help,
    /// The knowledge-base suggestions for a ticket.
    Suggest,
}

impl Context {
    /// Every context, in the order help lists them.
    pub const ALL: [Context; 15] = [
        Context::Global,
        Context::Normal,
        Context::Search,
        Context::Account,
        Context::History,
        Context::Tickets,
        Context::Work,
        Context::Dashboard,
        Context::Form,
        Context::Choice,
        Context::Input,
        Context::Prompt,
        Context::Palette,
        Context::Help,
        Context::Suggest,
    ];

    /// The name used as a table header in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Normal => "normal",
            Context::Search => "search",
            Context::Account => "account",
            Context::History => "history",
            Context::Tickets => "tickets",
            Context::Work => "work",
            Context::Dashboard => "dashboard",
            Context::Input => "input",
            Context::Choice => "choice",
            Context::Form => "form",
            Context::Prompt => "prompt",
            Context::Palette => "palette",
            Context::Help => "help",
            Context::Suggest => "suggest",
        }
    }

    /// What the context covers, for help.
    pub fn doc(self) -> &'static str {
        match self {
            Context::Global => "everywhere, even while typing",
            Context::Normal => "any pane, when not typing",
            Context::Search => "the search pane (query and results)",
            Context::Account => "the account view",
            Context::History => "the interaction history",
            Context::Tickets => "the ticket work area",
            Context::Work => "the my tickets and my queues lists",
            Context::Dashboard => "the dashboard",
            Context::Input => "any text field",
            Context::Choice => "a form field with a list of values",
            Context::Form => "the call log and new-ticket forms",
            Context::Prompt => "a one-line prompt (assign, comment)",
            Context::Palette => "the : command palette",
            Context::Help => "the help screen",
            Context::Suggest => "the knowledge-base suggestions for a ticket",
        }
    }

    /// The context named `name`.
    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Contexts where any command that is not tied to one place may be bound.
const ANYWHERE: &[Context] = &Context::ALL;
const LISTS: &[Context] = &[
    Context::Normal,
    Context::Search,
    Context::Account,
    Context::History,
    Context::Tickets,
    Context::Work,
    Context::Help,
    Context::Suggest,
];
const PANES: &[Context] = &[
    Context::Normal,
    Context::Search,
    Context::Account,
    Context::History,
    Context::Tickets,
];
/// Where the agent's own views open from: any pane, and the views themselves.
const VIEWS: &[Context] = &[
    Context::Normal,
    Context::Search,
    Context::Account,
    Context::History,
    Context::Tickets,
    Context::Work,
    Context::Dashboard,
];
const WORK: &[Context] = &[
    Context::Normal,
    Context::Account,
    Context::History,
    Context::Tickets,
];

/// One entry of the registry.
#[derive(Debug)]
pub struct CommandSpec {
    pub cmd: Cmd,
    /// The name keymaps and the palette use (`ticket.escalate`).
    pub name: &'static str,
    /// One line for help.
    pub doc: &'static str,
    /// A word or two for the hint bar.
    pub hint: &'static str,
    /// Where a binding of this command does something.
    pub contexts: &'static [Context],
}

macro_rules! commands {
    ($($variant:ident = $name:literal, $hint:literal, $ctx:expr, $doc:literal;)+) => {
        /// A named command: what a key, a palette line or a click asks for.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Cmd { $($variant),+ }

        /// Every command, in the order help lists them.
        pub static COMMANDS: &[CommandSpec] = &[
            $(CommandSpec { cmd: Cmd::$variant, name: $name, doc: $doc, hint: $hint, contexts: $ctx }),+
        ];
    };
}

commands! {
    Quit = "app.quit", "quit", ANYWHERE, "Quit rapport";
    Help = "app.help", "help", ANYWHERE, "Show every key binding of the active keymap";
    Back = "app.back", "back", ANYWHERE, "Back out: close the form, prompt or help; leave the pane";
    Palette = "palette.open", "commands", ANYWHERE, "Open the command palette (CLI verbs: ticket escalate T-3 --note …)";
    SearchFocus = "search.focus", "search", ANYWHERE, "New search: focus the query line, cleared";
    PaneNext = "pane.next", "next pane", PANES, "Focus the next pane";
    PanePrev = "pane.prev", "prev pane", PANES, "Focus the previous pane";
    Down = "list.down", "next", LISTS, "Select the next item";
    Up = "list.up", "previous", LISTS, "Select the previous item";
    PageDown = "list.page_down", "page down", LISTS, "Move a page down";
    PageUp = "list.page_up", "page up", LISTS, "Move a page up";
    First = "list.first", "first", LISTS, "Select the first item";
    Last = "list.last", "last", LISTS, "Select the last item";
    Open = "item.open", "open", LISTS, "Open the selected account, ticket or interaction";
    WorkMine = "work.mine", "my tickets", VIEWS, "My tickets: the active tickets assigned to you, breached first, then by time left";
    WorkQueues = "work.queues", "my queues", VIEWS, "My queues: the active tickets of the queues your user record lists, most urgent first";
    Dashboard = "dashboard.open", "dashboard", VIEWS, "Dashboard: tickets, SLA attainment, agents, CSAT and daily volume (supervisors, admins)";
    Refresh = "view.refresh", "refresh", &[Context::Work, Context::Dashboard], "Load the list again, or rebuild the dashboard";
    CallLog = "call.log", "log call", WORK, "Log a call on the open account (timer starts now)";
    TicketNew = "ticket.new", "new ticket", WORK, "Open a new ticket for the open account";
    TicketAssign = "ticket.assign", "assign", WORK, "Assign the selected ticket to an agent";
    TicketOpen = "ticket.open", "open", WORK, "Start work on the selected ticket, or resume it from hold";
    TicketHold = "ticket.hold", "hold", WORK, "Put the selected ticket on hold (waiting on the customer)";
    TicketEscalate = "ticket.escalate", "escalate", WORK, "Escalate the selected ticket";
    TicketResolve = "ticket.resolve", "resolve", WORK, "Resolve the selected ticket";
    TicketClose = "ticket.close", "close", WORK, "Close the selected (resolved) ticket";
    TicketReopen = "ticket.reopen", "reopen", WORK, "Reopen the selected resolved or closed ticket";
    TicketComment = "ticket.comment", "comment", WORK, "Comment on the selected ticket";
    KbSuggest = "kb.suggest", "articles", WORK, "Knowledge-base articles for the selected ticket, most relevant first; enter links one";
    FormSave = "form.save", "save", &[Context::Form, Context::Choice], "Save the form";
    FieldNext = "form.next_field", "next field", &[Context::Form, Context::Choice], "Go to the next field";
    FieldPrev = "form.prev_field", "prev field", &[Context::Form, Context::Choice], "Go to the previous field";
    StopTimer = "form.stop_timer", "stop timer", &[Context::Form, Context::Choice], "Stop (or restart) the call timer";
    ChoiceNext = "choice.next", "next value", &[Context::Choice], "Pick the next value of the list";
    ChoicePrev = "choice.prev", "prev value", &[Context::Choice], "Pick the previous value of the list";
    Submit = "prompt.submit", "run", &[Context::Prompt, Context::Palette], "Run the palette line or answer the prompt";
    CharLeft = "edit.left", "left", &[Context::Input], "Move the cursor left";
    CharRight = "edit.right", "right", &[Context::Input], "Move the cursor right";
    WordLeft = "edit.word_left", "word left", &[Context::Input], "Move the cursor a word left";
    WordRight = "edit.word_right", "word right", &[Context::Input], "Move the cursor a word right";
    LineStart = "edit.line_start", "line start", &[Context::Input], "Move the cursor to the start of the line";
    LineEnd = "edit.line_end", "line end", &[Context::Input], "Move the cursor to the end of the line";
    LineUp = "edit.line_up", "line up", &[Context::Input], "Move the cursor a line up (previous field on one-line fields)";
    LineDown = "edit.line_down", "line down", &[Context::Input], "Move the cursor a line down (next field on one-line fields)";
    DeleteBack = "edit.delete_back", "delete", &[Context::Input], "Delete the character before the cursor";
    DeleteForward = "edit.delete", "delete", &[Context::Input], "Delete the character under the cursor";
    KillToStart = "edit.kill_to_start", "clear", &[Context::Input], "Delete from the start of the line to the cursor";
    KillToEnd = "edit.kill_to_end", "kill", &[Context::Input], "Delete from the cursor to the end of the line";
    KillWord = "edit.kill_word", "kill word", &[Context::Input], "Delete the word before the cursor";
    Newline = "edit.newline", "newline", &[Context::Input], "Start a new line in notes (next field on one-line fields)";
}

impl Cmd {
    /// The registry entry of this command.
    pub fn spec(self) -> &'static CommandSpec {
        COMMANDS
            .iter()
            .find(|s| s.cmd == self)
            .expect("every command is in the registry")
    }

    /// The name keymaps and the palette use.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The doc line.
    pub fn doc(self) -> &'static str {
        self.spec().doc
    }

    /// The command with `name`.
    pub fn from_name(name: &str) -> Option<Cmd> {
        COMMANDS.iter().find(|s| s.name == name).map(|s| s.cmd)
    }

    /// True when a binding of this command in `context` does something.
    pub fn works_in(self, context: Context) -> bool {
        self.spec().contexts.contains(&context)
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_dotted() {
        let mut seen = HashSet::new();
        for spec in COMMANDS {
            assert!(seen.insert(spec.name), "{} twice", spec.name);
            assert!(spec.name.contains('.'), "{}", spec.name);
            assert!(!spec.doc.is_empty() && !spec.contexts.is_empty());
            assert_eq!(Cmd::from_name(spec.name), Some(spec.cmd));
        }
    }

    #[test]
    fn context_names_round_trip() {
        for c in Context::ALL {
            assert_eq!(Context::from_name(c.name()), Some(c));
        }
    }
}
