//! The terminal UI in a real terminal: the real binary driven through tmux (`send-keys`,
//! `capture-pane`), polling for text, never sleeping a fixed time. Skipped (with a message) when
//! tmux is not installed; CI installs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of this test's own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a detached 100×30 session, or `None` without tmux.
    fn start(name: &str, command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("skipping: tmux is not installed");
            return None;
        }
        let tmux = Tmux {
            socket: format!("wobs-{name}-{}", std::process::id()),
        };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-x", "100", "-y", "30", command])
            .status()
            .unwrap();
        assert!(status.success());
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        // UTF-8 whatever the CI machine's locale: the UI draws box and arrow characters.
        command
            .args(["-u", "-L", &self.socket])
            .env("LANG", "C.UTF-8");
        command
    }

    fn keys(&self, keys: &[&str]) {
        let status = self.command().arg("send-keys").args(keys).status().unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = self
            .command()
            .args(["capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// The shell command that runs `wobs debug ARGS` and then reports how it ended and whether the
/// terminal echoes again (raw mode left).
fn session(env: &str, args: &str) -> String {
    format!(
        "cd {} && {env} WOBS_CACHE_DIR={} {} debug {args}; echo EXITED-$?; \
         stty -a | grep -q ' echo ' && echo ECHO-ON; sleep 120",
        common::root().display(),
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cache")
            .display(),
        env!("CARGO_BIN_EXE_wobs"),
    )
}

/// On debugme (a module or a component): main's source before the run, then `break area`, `c`
/// to it and `n` over its first line, checking the status line, stack and variables panes.
fn break_in_area_and_step(tmux: &Tmux) {
    let screen = tmux.wait_for("not started");
    assert!(screen.contains("int main(void) {"), "{screen}");
    tmux.keys(&[":", "break area", "Enter"]);
    tmux.wait_for("Breakpoint 1 at 0x");
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("stopped at examples/c/debugme.c:41 in area (r=0x112a0)");
    assert!(screen.contains("#1 main ()"), "{screen}");
    tmux.keys(&["n"]);
    let screen = tmux.wait_for("stopped at examples/c/debugme.c:42");
    // The variables pane has the value `int w = r->width;` just stored.
    assert!(screen.contains("w = 4"), "{screen}");
}

#[test]
fn break_continue_next_and_quit_in_a_real_terminal() {
    let Some(tmux) = Tmux::start("e2e", &session("", "examples/wasm/debugme.wasm")) else {
        return;
    };
    break_in_area_and_step(&tmux);
    // In the stack pane, ↓ selects the caller: the source pane follows it to main's call.
    tmux.keys(&["Tab", "Down"]);
    tmux.wait_for("#1  0x00000518 in main () at examples/c/debugme.c:82");
    let screen = tmux.wait_for("▶   82");
    assert!(screen.contains("int a = area(&rect);"), "{screen}");
    tmux.keys(&["Up", "Tab", "Tab", "Tab"]);
    tmux.wait_for("#0  area (r=0x112a0) at examples/c/debugme.c:42");
    // The memory pane: the Rect r points to, {{1, 2}, 4, 5, GREEN}, little-endian.
    tmux.keys(&["m", "*r", "Enter"]);
    tmux.wait_for("memory: *r");
    tmux.wait_for("0x112a0: 0x01 0x00 0x00 0x00 0x02");
    // The assembly layout marks the instruction the frame is at; `a` again returns to source.
    tmux.keys(&["a"]);
    let screen = tmux.wait_for("instructions");
    assert!(screen.contains("▶ 0x"), "{screen}");
    tmux.keys(&["a"]);
    tmux.wait_for("▶   42");
    // In the variables pane, Enter on the pointer `r` follows it: its struct appears under it.
    tmux.keys(&["Tab", "Tab", "Enter"]);
    tmux.wait_for("▾ r = 0x112a0");
    tmux.wait_for("▸ *r = {origin = {x = 1, y = 2}");
    // The help overlay opens and closes.
    tmux.keys(&["?"]);
    tmux.wait_for("toggle breakpoint at cursor");
    tmux.keys(&["?"]);
    tmux.keys(&["c"]);
    tmux.wait_for("exited with 0");
    // The guest's stdout went to the output pane, not over the screen. (It is copied on the UI's
    // next tick, which under load can come after the exit message is drawn: wait for it.)
    tmux.wait_for("2 3 10 2 hello A");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED-0");
    // The terminal is back: echo on, the UI gone.
    let screen = tmux.wait_for("ECHO-ON");
    assert!(!screen.contains("exited with 0"), "{screen}");
}

#[test]
fn a_component_in_the_terminal_ui() {
    let dir = common::scratch();
    let debugme = common::component(dir.path(), "debugme", "command");
    let Some(tmux) = Tmux::start("component", &session("", &debugme)) else {
        return;
    };
    // The same session as on the module: main's source from the component's main module.
    break_in_area_and_step(&tmux);
    // A breakpoint in the WASI adapter, a module without lines, set after a step: the stop shows
    // its instructions.
    tmux.keys(&[
        ":",
        "tbreak wit-component:adapter:wasi_snapshot_preview1!fd_write",
        "Enter",
    ]);
    tmux.wait_for("Temporary breakpoint 2 at 0x");
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("stopped in fd_write ()");
    assert!(screen.contains("┌instructions"), "{screen}");
    assert!(screen.contains("#0 fd_write ()"), "{screen}");
    tmux.keys(&["c"]);
    tmux.wait_for("exited with 0");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED-0");
}

#[test]
fn the_terminal_is_restored_after_a_panic() {
    let command = session("WOBS_TUI_TEST_PANIC=1", "examples/wasm/debugme.wasm");
    let Some(tmux) = Tmux::start("panic", &command) else {
        return;
    };
    let screen = tmux.wait_for("EXITED-");
    assert!(
        screen.contains("injected by WOBS_TUI_TEST_PANIC"),
        "{screen}"
    );
    assert!(screen.contains("EXITED-101"), "{screen}");
    tmux.wait_for("ECHO-ON");
}

#[test]
fn the_terminal_is_restored_after_sigterm() {
    let Some(tmux) = Tmux::start("term", &session("", "examples/wasm/debugme.wasm")) else {
        return;
    };
    tmux.wait_for("not started");
    let shell = tmux
        .command()
        .args(["display", "-p", "#{pane_pid}"])
        .output()
        .unwrap();
    let shell = String::from_utf8_lossy(&shell.stdout).trim().to_string();
    let children = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
    let wobs = String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &wobs])
        .status()
        .unwrap()
        .success());
    tmux.wait_for("EXITED-143");
    let screen = tmux.wait_for("ECHO-ON");
    assert!(!screen.contains("not started"), "{screen}");
}

#[test]
fn a_trap_shows_in_the_status_line_and_quitting_asks_first() {
    let Some(tmux) = Tmux::start("trap", &session("", "examples/wasm/trap.wasm")) else {
        return;
    };
    tmux.wait_for("not started");
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("trapped (wasm trap: integer divide by zero)");
    // Post-mortem: the trapping frame, its arguments and the guest's output before the trap.
    assert!(screen.contains("#0 divide (a=42, b=0)"), "{screen}");
    // The guest's output is copied to its pane on the UI's next tick, which under load can come
    // after the trap is drawn (a CI run saw it missing): wait for it.
    tmux.wait_for("trap: about to divide by zero");
    // Resizing to 80×24 re-lays out the screen: the command line is on the new last row.
    let resized = tmux
        .command()
        .args(["resize-window", "-x", "80", "-y", "24"])
        .status()
        .unwrap();
    assert!(resized.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let screen = tmux.screen();
        let rows: Vec<&str> = screen.lines().collect();
        if rows.len() == 24 && rows[23].starts_with(": command") && rows[0].starts_with("trapped") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not re-laid out at 80x24:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The guest is alive (post-mortem), so `q` asks; anything but `y` keeps the session.
    tmux.keys(&["q"]);
    tmux.wait_for("Quit anyway? (y or n)");
    tmux.keys(&["n"]);
    tmux.keys(&["q"]);
    tmux.keys(&["y"]);
    tmux.wait_for("EXITED-0");
    tmux.wait_for("ECHO-ON");
}
