//! Keys to actions. The command line (`:`) takes keys as text; everything else is a shortcut.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run a debugger command (`continue`, `next`, `break FILE:LINE`, …).
    Command(String),
    /// Toggle a breakpoint at the source cursor.
    ToggleBreakpoint,
    /// Run to the source cursor.
    RunToCursor,
    /// Move the source cursor by this many lines.
    Cursor(isize),
    /// Cursor to the first / last line.
    CursorHome,
    /// See [`Action::CursorHome`].
    CursorEnd,
    /// Next pane.
    NextPane,
    /// Open the command line.
    OpenCommandLine,
    /// Open the command line with `memory ` typed (the memory pane's expression).
    Memory,
    /// Search the source (`/`).
    Search,
    /// Switch between source and instructions.
    ToggleLayout,
    /// Expand or collapse the variable under the variables cursor.
    Expand,
    /// Show or hide the key help.
    Help,
    /// Stop the running guest.
    Interrupt,
    /// Quit (asks first while the guest is alive).
    Quit,
}

/// The action of `key` outside the command line.
pub fn action(key: KeyEvent) -> Option<Action> {
    let command = |c: &str| Some(Action::Command(c.to_string()));
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Action::Interrupt);
    }
    match key.code {
        KeyCode::F(5) | KeyCode::Char('c') => command("continue"),
        KeyCode::F(10) | KeyCode::Char('n') => command("next"),
        KeyCode::F(11) if key.modifiers.contains(KeyModifiers::SHIFT) => command("finish"),
        KeyCode::F(11) | KeyCode::Char('s') => command("step"),
        KeyCode::Char('f') => command("finish"),
        KeyCode::Char('i') => command("stepi"),
        KeyCode::Char('u') => command("up"),
        KeyCode::Char('d') => command("down"),
        KeyCode::F(9) | KeyCode::Char('b') => Some(Action::ToggleBreakpoint),
        KeyCode::Char('r') => Some(Action::RunToCursor),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Cursor(-1)),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Cursor(1)),
        KeyCode::PageUp => Some(Action::Cursor(-20)),
        KeyCode::PageDown => Some(Action::Cursor(20)),
        KeyCode::Char('g') | KeyCode::Home => Some(Action::CursorHome),
        KeyCode::Char('G') | KeyCode::End => Some(Action::CursorEnd),
        KeyCode::Tab => Some(Action::NextPane),
        KeyCode::Char(':') => Some(Action::OpenCommandLine),
        KeyCode::Char('/') => Some(Action::Search),
        KeyCode::Char('m') => Some(Action::Memory),
        KeyCode::Char('a') => Some(Action::ToggleLayout),
        KeyCode::Enter | KeyCode::Right | KeyCode::Left => Some(Action::Expand),
        KeyCode::Char('?') => Some(Action::Help),
        KeyCode::Char('q') => Some(Action::Quit),
        _ => None,
    }
}

/// The key table `?` shows.
pub const KEYS: &[(&str, &str)] = &[
    ("F5 / c", "continue (or run)"),
    ("F10 / n", "next line"),
    ("F11 / s", "step into"),
    ("Shift-F11 / f", "finish"),
    ("i", "one instruction"),
    ("F9 / b", "toggle breakpoint at cursor"),
    ("r", "run to cursor"),
    ("u / d", "frame up / down"),
    (
        "↑ ↓ PgUp PgDn",
        "source cursor / frame / output scrollback (focused pane)",
    ),
    ("g G", "first / last source line"),
    ("Tab", "next pane"),
    (":", "command line (every gdb command), ↑↓ history"),
    ("/", "search the source (Enter alone repeats)"),
    ("m", "memory pane: 64 bytes at an expression"),
    ("a", "instructions instead of source (and back)"),
    (
        "Enter ← →",
        "expand / collapse a struct or array (variables pane)",
    ),
    ("Ctrl-C", "interrupt the running guest"),
    ("q", "quit"),
];
