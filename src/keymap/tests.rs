use super::*;
use crate::app::KeyCode;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/keymaps")
        .join(name)
}

fn at(err: KeymapError) -> (String, usize, String) {
    match err {
        KeymapError::At {
            file,
            line,
            message,
            ..
        } => (file, line, message),
        other => panic!("expected an error at a line, got {other}"),
    }
}

#[test]
fn every_shipped_keymap_loads() {
    for name in shipped_names() {
        let keymap = Keymap::load(Some(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(keymap.bindings().len() > 50, "{name}");
        assert_eq!(keymap.files()[0], "keymaps/default.toml");
    }
}

#[test]
fn the_default_keymap_binds_what_the_issue_lists() {
    let b = Keymap::default_keymap().bindings().clone();
    let n = Context::Normal;
    for (ctx, key, cmd) in [
        (n, Key::char('/'), Cmd::SearchFocus),
        (n, Key::char('c'), Cmd::CallLog),
        (n, Key::char('t'), Cmd::TicketNew),
        (n, Key::char('a'), Cmd::TicketAssign),
        (n, Key::char('o'), Cmd::TicketOpen),
        (n, Key::char('h'), Cmd::TicketHold),
        (n, Key::char('e'), Cmd::TicketEscalate),
        (n, Key::char('r'), Cmd::TicketResolve),
        (n, Key::char('x'), Cmd::TicketClose),
        (n, Key::char('m'), Cmd::TicketComment),
        (n, Key::char('?'), Cmd::Help),
        (n, Key::char(':'), Cmd::Palette),
        (n, Key::char('q'), Cmd::Quit),
        (n, Key::plain(KeyCode::Tab), Cmd::PaneNext),
        (n, Key::shift(KeyCode::Tab), Cmd::PanePrev),
        (Context::Global, Key::ctrl('c'), Cmd::Quit),
        (Context::Global, Key::plain(KeyCode::Esc), Cmd::Back),
        (Context::Search, Key::ctrl('n'), Cmd::Down),
        (Context::Search, Key::ctrl('p'), Cmd::Up),
        (Context::Search, Key::plain(KeyCode::Enter), Cmd::Open),
        (Context::Input, Key::ctrl('u'), Cmd::KillToStart),
        (Context::Input, Key::ctrl('w'), Cmd::KillWord),
        (Context::Input, Key::ctrl('a'), Cmd::LineStart),
        (Context::Input, Key::ctrl('e'), Cmd::LineEnd),
        (Context::Form, Key::ctrl('s'), Cmd::FormSave),
        (Context::Choice, Key::ctrl('s'), Cmd::FormSave),
    ] {
        assert_eq!(b.get(ctx, key), Some(cmd), "{ctx} {key}");
    }
}

#[test]
fn vim_moves_hold_to_capital_h_and_keeps_the_rest() {
    let b = Keymap::load(Some("vim")).unwrap().bindings().clone();
    assert_eq!(b.get(Context::Normal, Key::char('h')), Some(Cmd::PanePrev));
    assert_eq!(
        b.get(Context::Normal, Key::char('H')),
        Some(Cmd::TicketHold)
    );
    assert_eq!(b.get(Context::Normal, Key::char('j')), Some(Cmd::Down));
    assert_eq!(
        b.get(Context::Normal, Key::char('e')),
        Some(Cmd::TicketEscalate)
    );
}

#[test]
fn a_user_delta_extends_and_unbinds_key_by_key() {
    let keymap = Keymap::load(Some(fixture("good-delta.toml").to_str().unwrap())).unwrap();
    let b = keymap.bindings();
    assert_eq!(b.get(Context::Normal, Key::char('x')), None, "unbound");
    assert_eq!(
        b.get(Context::Normal, Key::char('X')),
        Some(Cmd::TicketClose)
    );
    assert_eq!(
        b.get(Context::Normal, Key::char('j')),
        Some(Cmd::Down),
        "from vim"
    );
    assert_eq!(keymap.files().len(), 3);
}

#[test]
fn unknown_action_names_the_file_and_line() {
    let err = check(&fixture("unknown-action.toml")).unwrap_err();
    let text = err.to_string();
    let (file, line, message) = at(err);
    assert!(file.ends_with("unknown-action.toml"), "{file}");
    assert_eq!(line, 3);
    assert!(
        message.contains("unknown action 'ticket.escalte'"),
        "{message}"
    );
    assert!(message.contains("ticket.escalate"), "suggests: {message}");
    assert!(text.contains("unknown-action.toml:3:"), "{text}");
}

#[test]
fn malformed_key_names_the_file_and_line() {
    let (_, line, message) = at(check(&fixture("malformed-key.toml")).unwrap_err());
    assert_eq!(line, 3);
    assert!(message.contains("malformed key 'hyper-x'"), "{message}");
}

#[test]
fn two_actions_on_one_key_in_one_context_is_an_error_naming_both_lines() {
    let (_, line, message) = at(check(&fixture("conflict.toml")).unwrap_err());
    assert_eq!(line, 7);
    assert!(message.contains("line 6"), "{message}");
    assert!(message.contains("ticket.escalate") && message.contains("ticket.resolve"));
}

#[test]
fn toml_syntax_errors_and_unknown_contexts_name_the_line() {
    let (_, line, _) = at(check(&fixture("syntax.toml")).unwrap_err());
    assert_eq!(line, 2);
    let (_, line, message) = at(check(&fixture("unknown-context.toml")).unwrap_err());
    assert_eq!(line, 1);
    assert!(message.contains("contexts: global, normal"), "{message}");
}

#[test]
fn an_action_bound_where_it_does_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(&path, "[search]\n\"ctrl-s\" = \"form.save\"\n").unwrap();
    let (_, line, message) = at(check(&path).unwrap_err());
    assert_eq!(line, 2);
    assert!(message.contains("does nothing in [search]"), "{message}");
}

#[test]
fn unknown_names_and_missing_files_are_told_apart() {
    assert!(matches!(
        Keymap::load(Some("nano")),
        Err(KeymapError::Unknown(_))
    ));
    assert!(matches!(
        Keymap::load(Some("/no/such/keymap.toml")),
        Err(KeymapError::Read { .. })
    ));
}

#[test]
fn rows_list_every_binding_with_its_description() {
    let keymap = Keymap::default_keymap();
    let rows = keymap.rows();
    assert_eq!(rows.len(), keymap.bindings().len());
    let escalate = rows.iter().find(|r| r.action == "ticket.escalate").unwrap();
    assert_eq!((escalate.context, escalate.key.as_str()), ("normal", "e"));
    assert!(!escalate.description.is_empty());
}
