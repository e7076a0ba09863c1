//! The variables pane as a tree: gdb-style aggregate values (`{x = 2, y = {…}}`, `{10, 20}`,
//! `Point {x: 1}`, `vec![…]`) split into children that expand on demand.

/// One row of the variables tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Nesting depth (0 = a variable).
    pub depth: usize,
    /// The path of names from the variable down (`rect.origin.x`): what expands it.
    pub path: String,
    /// `name = value` for leaves, `name` plus a summary for aggregates.
    pub text: String,
    /// Whether the row has children, and whether they are shown.
    pub expandable: bool,
    /// See [`Row::expandable`].
    pub expanded: bool,
    /// A pointer: expanding it asks the debugger to follow it.
    pub pointer: bool,
}

/// The rows of `variables`, aggregates expanded where `expanded` holds their path, pointers
/// followed where `followed` has their target (by expression, see [`expression`]).
pub fn rows(
    variables: &[(String, String)],
    expanded: &std::collections::HashSet<String>,
    followed: &std::collections::BTreeMap<String, String>,
) -> Vec<Row> {
    let mut out = Vec::new();
    let context = Context { expanded, followed };
    for (name, value) in variables {
        push(&mut out, 0, name, name, value, &context);
    }
    out
}

struct Context<'a> {
    expanded: &'a std::collections::HashSet<String>,
    followed: &'a std::collections::BTreeMap<String, String>,
}

/// The C expression a tree path names: `rect.origin`, `numbers[2]`, and through a followed
/// pointer `(*head).next`.
pub fn expression(path: &str) -> String {
    let mut parts = path.split('.');
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        if part == "*" {
            out = format!("(*{out})");
        } else if part.starts_with('[') {
            out.push_str(part);
        } else {
            out = format!("{out}.{part}");
        }
    }
    out
}

/// Whether `value` is a pointer the UI can follow (`0x10f0`, `(struct Node *) 0x10f0`).
pub fn is_pointer(value: &str) -> bool {
    let value = value.trim();
    let address = match value.split_once(") ") {
        Some((cast, rest)) if cast.starts_with('(') && cast.ends_with('*') => rest,
        _ => value,
    };
    address.starts_with("0x") && address.len() > 2 && !address.contains(' ') && address != "0x0"
}

fn push(out: &mut Vec<Row>, depth: usize, path: &str, name: &str, value: &str, cx: &Context<'_>) {
    let target = is_pointer(value)
        .then(|| cx.followed.get(&expression(path)))
        .flatten();
    if is_pointer(value) {
        out.push(Row {
            depth,
            path: path.to_string(),
            text: format!(
                "{} {name} = {value}",
                if target.is_some() { "▾" } else { "→" }
            ),
            expandable: true,
            expanded: target.is_some(),
            pointer: true,
        });
        if let Some(target) = target {
            let child = format!("{path}.*");
            push(out, depth + 1, &child, &format!("*{name}"), target, cx);
        }
        return;
    }
    let expanded = cx.expanded;
    let children = children(value);
    let is_open = children.is_some() && expanded.contains(path);
    let marker = match (&children, is_open) {
        (Some(_), true) => "▾ ",
        (Some(_), false) => "▸ ",
        (None, _) => "",
    };
    out.push(Row {
        depth,
        path: path.to_string(),
        text: format!("{marker}{name} = {value}"),
        expandable: children.is_some(),
        expanded: is_open,
        pointer: false,
    });
    if let (Some(children), true) = (children, is_open) {
        for (child, child_value) in children {
            let child_path = format!("{path}.{child}");
            push(out, depth + 1, &child_path, &child, &child_value, cx);
        }
    }
}

/// The fields or elements of an aggregate value, or `None` for a scalar.
pub fn children(value: &str) -> Option<Vec<(String, String)>> {
    let value = value.trim();
    let open = value
        .find('{')
        .filter(|&at| value.ends_with('}') && !value[..at].contains('"'))?;
    // `vec![…]` and `Name {…}` prefixes are kept out of the children.
    let inner = &value[open + 1..value.len() - 1];
    let parts = split_top_level(inner);
    if parts.is_empty() {
        return None;
    }
    Some(
        parts
            .into_iter()
            .enumerate()
            .map(
                |(index, part)| match part.split_once(" = ").or_else(|| named_rust_field(&part)) {
                    Some((name, value)) if is_name(name) => {
                        (name.trim().to_string(), value.trim().to_string())
                    }
                    _ => (format!("[{index}]"), part.trim().to_string()),
                },
            )
            .collect(),
    )
}

/// `x: 1` (Rust's field syntax).
fn named_rust_field(part: &str) -> Option<(&str, &str)> {
    part.split_once(": ")
}

fn is_name(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Splits at commas outside braces, brackets, parentheses and quotes.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut current = String::new();
    for c in text.chars() {
        if let Some(q) = quote {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_followed_where_the_debugger_has_their_target() {
        assert!(is_pointer("0x112a0"));
        assert!(is_pointer("(struct Node *) 0x112c0"));
        assert!(!is_pointer("0x0"));
        assert!(!is_pointer("0x41d \"hello\""));
        assert_eq!(expression("numbers.[2]"), "numbers[2]");
        assert_eq!(expression("head.*.next"), "(*head).next");
        let variables = vec![("r".to_string(), "0x112a0".to_string())];
        let open = std::collections::HashSet::new();
        let mut followed = std::collections::BTreeMap::new();
        assert_eq!(rows(&variables, &open, &followed)[0].text, "→ r = 0x112a0");
        followed.insert("r".to_string(), "{width = 4, height = 5}".to_string());
        let shown = rows(&variables, &open, &followed);
        assert_eq!(shown[0].text, "▾ r = 0x112a0");
        assert_eq!(
            (shown[1].depth, shown[1].text.as_str()),
            (1, "▸ *r = {width = 4, height = 5}")
        );
        assert_eq!(shown[1].path, "r.*");
    }

    #[test]
    fn aggregates_split_into_named_fields_and_indexed_elements() {
        let rect = "{origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}";
        let fields = children(rect).unwrap();
        assert_eq!(fields[0], ("origin".into(), "{x = 1, y = 2}".into()));
        assert_eq!(fields[3], ("color".into(), "GREEN".into()));
        let array = children("{10, 20, 30, 40}").unwrap();
        assert_eq!(array[2], ("[2]".into(), "30".into()));
        let rust = children("Worker {seed: 2654435769}").unwrap();
        assert_eq!(rust[0], ("seed".into(), "2654435769".into()));
        assert_eq!(children("42"), None);
        assert_eq!(children("0x41d \"hello, {world}\""), None);
        let quoted = children("{name = \"a, b\", n = 1}").unwrap();
        assert_eq!(quoted[0].1, "\"a, b\"");
    }

    #[test]
    fn expanded_paths_show_children_with_depth() {
        let variables = vec![(
            "rect".to_string(),
            "{origin = {x = 1, y = 2}, width = 4}".to_string(),
        )];
        let mut open = std::collections::HashSet::new();
        let none = std::collections::BTreeMap::new();
        assert_eq!(rows(&variables, &open, &none).len(), 1);
        open.insert("rect".to_string());
        open.insert("rect.origin".to_string());
        let rows = rows(&variables, &open, &none);
        let texts: Vec<_> = rows.iter().map(|r| (r.depth, r.text.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (0, "▾ rect = {origin = {x = 1, y = 2}, width = 4}"),
                (1, "▾ origin = {x = 1, y = 2}"),
                (2, "x = 1"),
                (2, "y = 2"),
                (1, "width = 4"),
            ]
        );
    }
}
