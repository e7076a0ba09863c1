//! Screens drawn from a known state into ratatui's TestBackend, at 80×24 and at a large size.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use wobs_debugger::{BreakpointView, FrameView, RunState, View};
use wobs_tui::{render, State};

fn source() -> String {
    format!("{}/../examples/c/debugme.c", env!("CARGO_MANIFEST_DIR"))
}

fn stopped_in_area() -> View {
    View {
        state: RunState::Stopped,
        frames: vec![
            FrameView {
                label: "area (r=0x112a0)".into(),
                file: Some(source()),
                path: Some(source()),
                line: Some(42),
                inlined: false,
                physical: 0,
            },
            FrameView {
                label: "main ()".into(),
                file: Some(source()),
                path: Some(source()),
                line: Some(82),
                inlined: false,
                physical: 1,
            },
        ],
        selected: 0,
        variables: vec![
            ("r".into(), "0x112a0".into()),
            ("w".into(), "4".into()),
            ("h".into(), "0".into()),
        ],
        breakpoints: vec![BreakpointView {
            id: 1,
            file: Some(source()),
            line: Some(41),
        }],
        entry: None,
        memory: None,
        disassembly: None,
        followed: Default::default(),
        error: None,
    }
}

fn screen(state: &State, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| render(state, frame)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn a_stop_shows_status_source_stack_variables_and_breakpoints() {
    let state = State::new(stopped_in_area());
    for (width, height) in [(80, 24), (200, 60)] {
        let rows = screen(&state, width, height);
        let all = rows.join("\n");
        assert!(
            rows[0].starts_with("stopped at ")
                && rows[0].contains("debugme.c:42 in area (r=0x112a0)"),
            "{all}"
        );
        // The current line is marked, the breakpoint line has its dot.
        let current = rows
            .iter()
            .find(|r| r.contains("▶") && r.contains("42"))
            .expect(&all);
        assert!(current.contains("int h = r->height;"), "{all}");
        let breakpoint = rows.iter().find(|r| r.contains("●")).expect(&all);
        assert!(
            breakpoint.contains("41") && breakpoint.contains("int w = r->width;"),
            "{all}"
        );
        assert!(all.contains("#0 area (r=0x112a0)"), "{all}");
        assert!(all.contains("#1 main ()"), "{all}");
        assert!(all.contains("w = 4"), "{all}");
        assert!(all.contains(": command  / search  ? keys  q quit"), "{all}");
    }
}

#[test]
fn changed_values_are_remembered_and_the_cursor_moves_within_the_file() {
    let mut state = State::new(stopped_in_area());
    let mut next = stopped_in_area();
    next.frames[0].line = Some(43);
    next.variables[2].1 = "5".into();
    state.update(next);
    assert_eq!(state.current_line, Some(43));
    assert_eq!(
        state.previous_values.get("h").map(String::as_str),
        Some("0")
    );
    state.move_cursor(-1000);
    assert_eq!(state.cursor, 1);
    state.cursor_to(true);
    assert_eq!(state.cursor as usize, state.lines().unwrap().len());
    // The breakpoint under the cursor is found for F9.
    state.cursor = 41;
    assert_eq!(state.breakpoint_at_cursor(), Some(1));
}

#[test]
fn before_the_run_the_entry_function_is_shown_and_missing_files_say_so() {
    let mut view = stopped_in_area();
    view.state = RunState::NotStarted;
    view.frames.clear();
    view.entry = Some((source(), 60));
    let state = State::new(view);
    let all = screen(&state, 80, 24).join("\n");
    assert!(all.contains("int main(void) {"), "{all}");
    assert!(all.starts_with("not started"), "{all}");

    let mut view = stopped_in_area();
    view.frames[0].file = Some("/no/such/file.c".into());
    view.frames[0].path = Some("/no/such/file.c".into());
    let all = screen(&State::new(view), 80, 24).join("\n");
    assert!(all.contains("cannot read /no/such/file.c"), "{all}");
}

#[test]
fn search_moves_the_cursor_to_the_next_match_and_wraps() {
    let mut state = State::new(stopped_in_area());
    state.cursor = 1;
    assert!(state.search("int sum_list"));
    assert_eq!(
        state.lines().unwrap()[state.cursor as usize - 1],
        "int sum_list(struct Node *head) {"
    );
    let first = state.cursor;
    assert!(state.search("int area("));
    assert!(state.cursor < first, "wrapped to the top");
    assert!(!state.search("no such text anywhere"));
}

#[test]
fn the_output_pane_scrolls_back_within_what_it_holds() {
    let mut state = State::new(stopped_in_area());
    state.output = (1..=100).map(|i| format!("line {i}")).collect();
    state.scroll_output(-10);
    assert_eq!(state.output_scroll, 10);
    let all = screen(&state, 80, 24).join("\n");
    assert!(all.contains("scrolled back 10 lines"), "{all}");
    assert!(all.contains("line 90") && !all.contains("line 95"), "{all}");
    state.scroll_output(-1000);
    assert_eq!(state.output_scroll, 100);
    state.scroll_output(1000);
    assert_eq!(state.output_scroll, 0);
}

#[test]
fn the_memory_pane_shows_its_expression_and_bytes() {
    let mut view = stopped_in_area();
    view.memory = Some(("r".into(), vec!["0x112a0:\t0x01\t0x00\t0x00\t0x00".into()]));
    let all = screen(&State::new(view), 100, 30).join("\n");
    assert!(all.contains("memory: r"), "{all}");
    assert!(all.contains("0x112a0: 0x01 0x00 0x00 0x00"), "{all}");
}

#[test]
fn the_assembly_layout_marks_the_current_instruction() {
    let mut view = stopped_in_area();
    view.disassembly = Some((
        vec![
            (0x1b0, "local.get 0".into()),
            (0x1b2, "i32.load offset=8".into()),
            (0x1b5, "local.set 1".into()),
        ],
        0x1b2,
    ));
    let rows = screen(&State::new(view), 80, 24);
    let all = rows.join("\n");
    assert!(all.contains("instructions"), "{all}");
    let current = rows.iter().find(|r| r.contains("▶")).expect(&all);
    assert!(
        current.contains("0x0001b2") && current.contains("i32.load offset=8"),
        "{all}"
    );
}

#[test]
fn aggregates_expand_in_the_variables_pane() {
    let mut view = stopped_in_area();
    view.variables.push((
        "rect".into(),
        "{origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}".into(),
    ));
    let mut state = State::new(view);
    state.focus = wobs_tui::Pane::Variables;
    state.move_variable_cursor(3);
    state.toggle_expanded();
    let all = screen(&state, 100, 30).join("\n");
    assert!(all.contains("▾ rect = {origin"), "{all}");
    assert!(all.contains("  ▸ origin = {x = 1, y = 2}"), "{all}");
    assert!(all.contains("  color = GREEN"), "{all}");
    state.toggle_expanded();
    let all = screen(&state, 100, 30).join("\n");
    assert!(
        all.contains("▸ rect = {origin") && !all.contains("color = GREEN\n"),
        "{all}"
    );
}

#[test]
fn a_command_error_shows_beside_the_command_line() {
    let mut view = stopped_in_area();
    view.error = Some("No symbol \"nosuch\" in current context.".into());
    let rows = screen(&State::new(view), 80, 24);
    assert_eq!(
        rows[23].trim_end(),
        "error: No symbol \"nosuch\" in current context."
    );
}

/// Whole screens as insta snapshots (tests/snapshots/). Review a change with `cargo insta review`
/// or regenerate with `INSTA_UPDATE=always`. Frames name the file as DWARF does (relative), so
/// snapshots do not depend on where the repository is.
#[test]
fn snapshots_of_a_stop_at_80x24_and_of_the_key_help() {
    // DWARF's relative name on screen, the absolute path only for reading.
    let view = || {
        let mut view = stopped_in_area();
        for frame in &mut view.frames {
            frame.file = Some("examples/c/debugme.c".into());
        }
        view.breakpoints[0].file = Some("examples/c/debugme.c".into());
        view
    };
    let state = State::new(view());
    insta::assert_snapshot!("stop_80x24", screen(&state, 80, 24).join("\n"));
    let mut state = State::new(view());
    state.help = true;
    insta::assert_snapshot!("help_80x24", screen(&state, 80, 24).join("\n"));
}

#[test]
fn frame_selection_stays_within_the_stack_and_needs_one() {
    let state = State::new(stopped_in_area());
    assert_eq!(state.frame_after(1), Some(1));
    assert_eq!(state.frame_after(100), Some(1));
    assert_eq!(state.frame_after(-1), None);
    let mut view = stopped_in_area();
    view.state = wobs_debugger::RunState::NotStarted;
    view.frames.clear();
    // No stack (before the run): nothing to select, and no panic.
    assert_eq!(State::new(view).frame_after(1), None);
}
