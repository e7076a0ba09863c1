//! The terminal UI of `wobs debug`: source, stack, variables and output panes over the same gdb
//! command layer batch mode uses, with a `:` command line.
//!
//! State, view and input are separate (`state`, `view`, `input`): the screen is a pure function
//! of [`state::State`]; one loop turns keys, debugger results and guest output into state. The
//! debugger runs on its own thread, so keys, resizes and Ctrl-C work while the guest runs. The
//! terminal guard restores the terminal on every exit path, panics included.
//!
//! This crate knows the debugger's command layer and event types only, never the runtime: the
//! caller hands it a [`Debugger`] and closures for the guest's captured output and for
//! interrupting the guest.

mod input;
mod state;
mod term;
mod tree;
mod view;

use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEventKind};
use wobs_debugger::{Debugger, Flow, RunState, View};

pub use input::{action, Action, KEYS};
pub use state::{Pane, State};
pub use tree::{children, rows, Row};
pub use view::render;

/// Leaves the alternate screen and raw mode: for a signal handler that ends the process while the
/// UI runs (SIGTERM, SIGHUP), which skips the guard's `Drop`.
pub fn restore_terminal() {
    term::restore();
}

/// How the UI reaches what it does not own.
pub struct Options {
    /// Everything the guest has written so far (stdout and stderr, captured).
    pub guest_output: Box<dyn Fn() -> Vec<u8> + Send>,
    /// Stops the running guest (Ctrl-C).
    pub interrupt: Box<dyn Fn() + Send>,
    /// What the debugger has written so far (its sink), shown after the guest's output.
    pub messages: Arc<Mutex<Vec<u8>>>,
}

/// How often the loop looks at guest output and the debugger while no key comes: often while a
/// command runs (its result is drawn within this), rarely when idle.
const BUSY_TICK: Duration = Duration::from_millis(2);
const IDLE_TICK: Duration = Duration::from_millis(50);

/// Runs the UI until the user quits; returns the guest's exit code when it finished.
pub fn run(debugger: Debugger, options: Options) -> io::Result<Option<i32>> {
    let (command_tx, command_rx) = mpsc::channel::<String>();
    let (view_tx, view_rx) = mpsc::channel::<View>();
    let worker = std::thread::Builder::new()
        .name("wobs-debugger".into())
        .spawn(move || {
            let mut debugger = debugger;
            let _ = view_tx.send(debugger.view());
            for command in command_rx {
                let flow = debugger.execute(&command);
                if view_tx.send(debugger.view()).is_err() || flow == Flow::Quit {
                    break;
                }
            }
        })?;
    let first = view_rx
        .recv()
        .map_err(|_| io::Error::other("the debugger thread ended"))?;
    let mut state = State::new(first);
    let mut guard = term::TerminalGuard::enter()?;
    let mut collector = OutputCollector::default();
    let mut dirty = true;
    // `WOBS_TUI_TIMING=FILE` appends each command's key-to-redrawn-screen time (bench figures).
    let timing = std::env::var_os("WOBS_TUI_TIMING").map(std::path::PathBuf::from);
    let mut measuring: Option<std::time::Instant> = None;
    loop {
        let mut arrived = false;
        while let Ok(view) = view_rx.try_recv() {
            state.update(view);
            state.busy = false;
            dirty = true;
            arrived = true;
        }
        dirty |= collector.collect(&options, &mut state);
        if let Some(sent) = state.sent_at.take() {
            measuring = Some(sent);
        }
        if dirty {
            guard.terminal.draw(|frame| render(&state, frame))?;
            dirty = false;
            let finished = if arrived { measuring.take() } else { None };
            if let (Some(started), Some(path)) = (finished, &timing) {
                use std::io::Write as _;
                let command = state.history.last().cloned().unwrap_or_default();
                if let Ok(mut file) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                {
                    let ms = started.elapsed().as_secs_f64() * 1e3;
                    let _ = writeln!(file, "{command}\t{ms:.2} ms");
                }
            }
            // Tests check the terminal is restored after a panic; this injects one.
            if std::env::var_os("WOBS_TUI_TEST_PANIC").is_some() {
                panic!("injected by WOBS_TUI_TEST_PANIC");
            }
        }
        let tick = if state.busy { BUSY_TICK } else { IDLE_TICK };
        if !event::poll(tick)? {
            continue;
        }
        dirty = true;
        let Event::Key(key) = event::read()? else {
            continue; // a resize redraws
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        if let Some(line) = &mut state.command_line {
            match key.code {
                KeyCode::Enter => {
                    let command = std::mem::take(line);
                    state.command_line = None;
                    state.history_at = None;
                    if !command.trim().is_empty() {
                        send(&mut state, &command_tx, &command);
                    }
                }
                KeyCode::Esc => state.command_line = None,
                KeyCode::Backspace => {
                    line.pop();
                }
                KeyCode::Up | KeyCode::Down => browse_history(&mut state, key.code == KeyCode::Up),
                KeyCode::Char(c) => line.push(c),
                _ => {}
            }
            continue;
        }
        if let Some(text) = &mut state.search {
            match key.code {
                KeyCode::Enter => {
                    let mut text = std::mem::take(text);
                    state.search = None;
                    if text.is_empty() {
                        text = state.last_search.clone();
                    }
                    if !text.is_empty() && !state.search(&text) {
                        state.output.push(format!("Search: \"{text}\" not found"));
                    }
                    state.last_search = text;
                }
                KeyCode::Esc => state.search = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            continue;
        }
        if state.confirm_quit {
            if key.code == KeyCode::Char('y') {
                break;
            }
            state.confirm_quit = false;
            continue;
        }
        let Some(action) = action(key) else {
            continue;
        };
        if state.busy && !matches!(action, Action::Interrupt | Action::Quit | Action::Help) {
            continue;
        }
        match action {
            Action::Command(command) => {
                let command = if command == "continue" && state.view.state == RunState::NotStarted {
                    "run".to_string()
                } else {
                    command
                };
                send(&mut state, &command_tx, &command);
            }
            Action::ToggleBreakpoint => {
                if let Some(id) = state.breakpoint_at_cursor() {
                    send(&mut state, &command_tx, &format!("delete {id}"));
                } else if let Some(file) = state.file.clone() {
                    let command = format!("break {file}:{}", state.cursor);
                    send(&mut state, &command_tx, &command);
                }
            }
            Action::RunToCursor => {
                if let Some(file) = state.file.clone() {
                    let at = format!("{file}:{}", state.cursor);
                    if state.view.state == RunState::NotStarted {
                        send(&mut state, &command_tx, &format!("tbreak {at}"));
                        send(&mut state, &command_tx, "run");
                    } else {
                        send(&mut state, &command_tx, &format!("advance {at}"));
                    }
                }
            }
            // ↑↓ act on the focused pane: the source cursor, the selected frame, the scrollback.
            Action::Cursor(by) => match state.focus {
                Pane::Source => state.move_cursor(by),
                Pane::Variables => state.move_variable_cursor(by),
                Pane::Stack => {
                    if let Some(target) = state.frame_after(by) {
                        send(&mut state, &command_tx, &format!("frame {target}"));
                    }
                }
                Pane::Output => state.scroll_output(by),
            },
            Action::CursorHome => state.cursor_to(false),
            Action::CursorEnd => state.cursor_to(true),
            Action::NextPane => state.next_pane(),
            Action::OpenCommandLine => state.command_line = Some(String::new()),
            Action::Search => state.search = Some(String::new()),
            Action::Expand => {
                if let Some(command) = state.toggle_expanded() {
                    send(&mut state, &command_tx, &command);
                }
            }
            Action::Memory => state.command_line = Some("memory ".to_string()),
            Action::ToggleLayout => {
                let layout = if state.view.disassembly.is_some() {
                    "src"
                } else {
                    "asm"
                };
                send(&mut state, &command_tx, &format!("layout {layout}"));
            }
            Action::Help => state.help = !state.help,
            Action::Interrupt => (options.interrupt)(),
            Action::Quit => {
                if state.guest_alive() {
                    state.confirm_quit = true;
                    state
                        .output
                        .push("The guest is still alive. Quit anyway? (y or n)".into());
                } else {
                    break;
                }
            }
        }
    }
    drop(guard);
    drop(command_tx);
    if !state.busy {
        let _ = worker.join();
    }
    Ok(match state.view.state {
        RunState::Exited(code) => Some(code),
        _ => None,
    })
}

fn send(state: &mut State, commands: &mpsc::Sender<String>, command: &str) {
    state.busy = true;
    state.sent_at = Some(std::time::Instant::now());
    if state.history.last().map(String::as_str) != Some(command) {
        state.history.push(command.to_string());
    }
    let _ = commands.send(command.to_string());
}

fn browse_history(state: &mut State, older: bool) {
    if state.history.is_empty() {
        return;
    }
    let last = state.history.len() - 1;
    let at = match (state.history_at, older) {
        (None, true) => last,
        (None, false) => return,
        (Some(at), true) => at.saturating_sub(1),
        (Some(at), false) if at >= last => {
            state.history_at = None;
            state.command_line = Some(String::new());
            return;
        }
        (Some(at), false) => at + 1,
    };
    state.history_at = Some(at);
    state.command_line = Some(state.history[at].clone());
}

/// Moves new guest output and debugger messages into the output pane, a line at a time.
#[derive(Default)]
struct OutputCollector {
    /// Bytes of guest output and of debugger messages already taken.
    seen: (usize, usize),
    /// The unfinished last line (text after the last newline).
    partial: String,
    /// When the guest's output was last read: reading copies all of it, so not on every busy tick.
    guest_read: Option<std::time::Instant>,
}

impl OutputCollector {
    /// Appends what is new; true when anything came.
    fn collect(&mut self, options: &Options, state: &mut State) -> bool {
        let mut changed = false;
        // While a command runs the loop ticks every 2 ms; the output is read at most every 50 ms
        // then, and on every (idle) tick otherwise, so it is complete when a command's view comes.
        if !state.busy || self.guest_read.is_none_or(|at| at.elapsed() >= IDLE_TICK) {
            self.guest_read = Some(std::time::Instant::now());
            let guest = (options.guest_output)();
            let new = guest.get(self.seen.0..).unwrap_or_default();
            self.seen.0 = guest.len();
            changed |= self.append(new, state);
        }
        // The debugger's messages come with its view, when the command is done: what the screen
        // shows is then always one consistent state (and a key after a message acts on it).
        if !state.busy {
            let messages = options
                .messages
                .lock()
                .map(|m| m.get(self.seen.1..).unwrap_or_default().to_vec())
                .unwrap_or_default();
            self.seen.1 += messages.len();
            changed |= self.append(&messages, state);
        }
        changed
    }

    fn append(&mut self, bytes: &[u8], state: &mut State) -> bool {
        if bytes.is_empty() {
            return false;
        }
        // The unfinished line was shown as the last row; it is replaced as it grows.
        if !self.partial.is_empty()
            && state.output.last() == Some(&state::expand_tabs(&self.partial))
        {
            state.output.pop();
        }
        self.partial.push_str(&String::from_utf8_lossy(bytes));
        let mut lines: Vec<&str> = self.partial.split('\n').collect();
        let rest = lines.pop().unwrap_or_default().to_string();
        state
            .output
            .extend(lines.into_iter().map(state::expand_tabs));
        if !rest.is_empty() {
            state.output.push(state::expand_tabs(&rest));
        }
        self.partial = rest;
        true
    }
}
