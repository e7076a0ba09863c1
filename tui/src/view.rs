//! Drawing: a pure function of [`State`].

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, Paragraph};
use ratatui::Frame;

use crate::input::KEYS;
use crate::state::{Pane, State};

/// Draws the whole screen.
pub fn render(state: &State, frame: &mut Frame<'_>) {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(6),
            Constraint::Length(8),
            Constraint::Length(1),
        ])
        .split(frame.area());
    frame.render_widget(
        Paragraph::new(state.status()).style(Style::default().add_modifier(Modifier::REVERSED)),
        rows[0],
    );
    let middle = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(60), Constraint::Percentage(40)])
        .split(rows[1]);
    source(state, frame, middle[0]);
    let side_constraints: &[Constraint] = if state.view.memory.is_some() {
        &[
            Constraint::Percentage(30),
            Constraint::Percentage(35),
            Constraint::Percentage(35),
        ]
    } else {
        &[Constraint::Percentage(45), Constraint::Percentage(55)]
    };
    let side = Layout::default()
        .direction(Direction::Vertical)
        .constraints(side_constraints)
        .split(middle[1]);
    stack(state, frame, side[0]);
    variables(state, frame, side[1]);
    if let Some((expression, lines)) = &state.view.memory {
        let text: Vec<Line<'_>> = lines
            .iter()
            .map(|l| Line::raw(l.replace('\t', " ")))
            .collect();
        frame.render_widget(
            Paragraph::new(text).block(block(format!("memory: {expression}"), false)),
            side[2],
        );
    }
    output(state, frame, rows[2]);
    let (command, style) = match (&state.command_line, &state.search, &state.view.error) {
        (Some(text), _, _) => (format!(":{text}"), Style::default()),
        (_, Some(text), _) => (format!("/{text}"), Style::default()),
        // The last command's error, beside the command line, until the next command.
        (_, _, Some(error)) => (format!("error: {error}"), Style::default().fg(Color::Red)),
        _ => (
            ": command  / search  ? keys  q quit".to_string(),
            Style::default(),
        ),
    };
    frame.render_widget(Paragraph::new(command).style(style), rows[3]);
    if state.help {
        help(frame);
    }
}

fn block(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::default().fg(Color::Yellow)
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(title)
}

fn source(state: &State, frame: &mut Frame<'_>, area: Rect) {
    if let Some((lines, at)) = &state.view.disassembly {
        return disassembly(state, frame, area, lines, *at);
    }
    let title = state.file.clone().unwrap_or_else(|| "source".to_string());
    let block = block(title, state.focus == Pane::Source);
    let Some(lines) = state.lines() else {
        let message = match &state.file {
            Some(file) => {
                format!("cannot read {file} (run from the directory the paths are relative to)")
            }
            None => "no source for this code (no line information)".to_string(),
        };
        frame.render_widget(Paragraph::new(message).block(block), area);
        return;
    };
    let height = area.height.saturating_sub(2) as usize;
    let cursor = state.cursor as usize;
    let first = cursor.saturating_sub(height / 2).max(1);
    let breakpoints: Vec<u32> = state
        .view
        .breakpoints
        .iter()
        .filter(|b| b.file == state.file)
        .filter_map(|b| b.line)
        .collect();
    let items: Vec<ListItem<'_>> = (first..first + height)
        .filter_map(|number| {
            let text = lines.get(number - 1)?;
            let number = number as u32;
            let marker = if breakpoints.contains(&number) {
                "●"
            } else {
                " "
            };
            let arrow = if state.current_line == Some(number) {
                "▶"
            } else {
                " "
            };
            let mut style = Style::default();
            if state.current_line == Some(number) {
                style = style.bg(Color::Blue).fg(Color::White);
            }
            if state.cursor == number {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Some(ListItem::new(Line::from(vec![
                Span::styled(marker, Style::default().fg(Color::Red)),
                Span::raw(arrow),
                Span::raw(format!("{number:>5} ")),
                Span::styled(text.clone(), style),
            ])))
        })
        .collect();
    frame.render_widget(List::new(items).block(block), area);
}

/// The assembly layout: the selected frame's instructions, the current one marked.
fn disassembly(state: &State, frame: &mut Frame<'_>, area: Rect, lines: &[(u32, String)], at: u32) {
    let height = area.height.saturating_sub(2) as usize;
    let current = lines
        .iter()
        .position(|(offset, _)| *offset == at)
        .unwrap_or(0);
    let first = current.saturating_sub(height / 2);
    let items: Vec<ListItem<'_>> = lines
        .iter()
        .skip(first)
        .take(height)
        .map(|(offset, text)| {
            let here = *offset == at;
            let style = if here {
                Style::default().bg(Color::Blue).fg(Color::White)
            } else {
                Style::default()
            };
            let arrow = if here { "▶" } else { " " };
            ListItem::new(Span::styled(
                format!("{arrow} {offset:#08x}  {text}"),
                style,
            ))
        })
        .collect();
    frame.render_widget(
        List::new(items).block(block("instructions".into(), state.focus == Pane::Source)),
        area,
    );
}

fn stack(state: &State, frame: &mut Frame<'_>, area: Rect) {
    let items: Vec<ListItem<'_>> = state
        .view
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let inlined = if f.inlined { " [inlined]" } else { "" };
            let at = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" {}:{line}", short(file)),
                _ => String::new(),
            };
            let style = if f.physical == state.view.selected {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            ListItem::new(Span::styled(
                format!("#{i} {}{inlined}{at}", f.label),
                style,
            ))
        })
        .collect();
    frame.render_widget(
        List::new(items).block(block("stack".into(), state.focus == Pane::Stack)),
        area,
    );
}

fn variables(state: &State, frame: &mut Frame<'_>, area: Rect) {
    let focused = state.focus == Pane::Variables;
    let items: Vec<ListItem<'_>> = state
        .variable_rows()
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            // A variable whose value changed since the last stop stands out.
            let name = row.path.split('.').next().unwrap_or_default();
            let changed = row.depth == 0
                && state.previous_values.get(name).is_some_and(|before| {
                    state
                        .view
                        .variables
                        .iter()
                        .any(|(n, now)| n == name && now != before)
                });
            let mut style = if changed {
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            if focused && index == state.variable_cursor {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let indent = "  ".repeat(row.depth);
            ListItem::new(Span::styled(format!("{indent}{}", row.text), style))
        })
        .collect();
    frame.render_widget(
        List::new(items).block(block("variables".into(), focused)),
        area,
    );
}

fn output(state: &State, frame: &mut Frame<'_>, area: Rect) {
    let height = area.height.saturating_sub(2) as usize;
    let end = state.output.len().saturating_sub(state.output_scroll);
    let start = end.saturating_sub(height);
    let text: Vec<Line<'_>> = state.output[start..end]
        .iter()
        .map(|l| Line::raw(l.clone()))
        .collect();
    let title = if state.output_scroll > 0 {
        format!("output (scrolled back {} lines)", state.output_scroll)
    } else {
        "output".to_string()
    };
    frame.render_widget(
        Paragraph::new(text).block(block(title, state.focus == Pane::Output)),
        area,
    );
}

fn help(frame: &mut Frame<'_>) {
    let area = frame.area();
    let longest = KEYS
        .iter()
        .map(|(key, what)| key.chars().count().max(20) + 1 + what.chars().count())
        .max()
        .unwrap_or(40) as u16;
    let width = (longest + 2).min(area.width);
    let height = (KEYS.len() as u16 + 2).min(area.height);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(key, what)| Line::raw(format!("{key:<20} {what}")))
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("keys")),
        rect,
    );
}

/// The last two path components: enough to recognize a file in a narrow pane.
fn short(path: &str) -> String {
    let parts: Vec<&str> = path.rsplit('/').take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}
