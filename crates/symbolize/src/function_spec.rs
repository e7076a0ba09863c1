//! Function names as a breakpoint location names them, matched the way gdb's linespecs match.
//!
//! Names in a module are demangled (`geo::Rect::area() const`, `measure(int)`,
//! `max<int>(int, int)`); a user types `area`, `Rect::area`, `geo::Rect::area`, `measure(double)`
//! or `max`. gdb's rules, which these follow: a name matches every function whose qualified name
//! is it or ends in `::` and it ("wild" matching, so every overload and every scope matches); a
//! leading `::` asks for the global scope only; a parameter list picks the overloads with those
//! parameter types (spaces ignored, `(void)` as `()`, trailing `const` and reference qualifiers
//! of methods ignored); template arguments the user leaves out match any.

/// A parsed function name from a breakpoint location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The qualified name without spaces and without a leading `::`.
    name: String,
    /// `::name`: only the global scope.
    global: bool,
    /// The parameter list without spaces, parentheses included, when one was given.
    params: Option<String>,
    /// The unqualified identifier, which every name the spec matches contains as written: a
    /// cheap test that rejects almost every name of a large module before the exact one. Empty
    /// (no test) for operators, whose demangled names have spaces the spec drops.
    identifier: String,
}

impl FunctionSpec {
    /// Parses `spec` (`ns::Class::method`, `f(int, char*)`, `::f`).
    pub fn parse(spec: &str) -> FunctionSpec {
        let compact: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
        let (name, params) = split_signature(&compact);
        let (name, global) = match name.strip_prefix("::") {
            Some(rest) => (rest, true),
            None => (name, false),
        };
        let unscoped = name.split(['<', '(']).next().unwrap_or(name);
        let identifier = unscoped.rsplit("::").next().unwrap_or(unscoped);
        FunctionSpec {
            name: name.to_string(),
            global,
            params: params.map(normalize_params),
            identifier: match identifier.starts_with("operator") {
                true => String::new(),
                false => identifier.to_string(),
            },
        }
    }

    /// Whether the demangled function name `candidate` is one the spec names.
    pub fn matches(&self, candidate: &str) -> bool {
        if !candidate.contains(self.identifier.as_str()) {
            return false;
        }
        let (name, params) = split_signature(candidate);
        let name: String = without_return_type(name)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let params = params.map(|p| p.chars().filter(|c| !c.is_whitespace()).collect::<String>());
        let name = match self.name.contains('<') {
            true => name,
            false => without_template_arguments(&name),
        };
        let name_matches = name == self.name
            || (!self.global
                && name
                    .strip_suffix(self.name.as_str())
                    .is_some_and(|scope| scope.ends_with("::")));
        name_matches
            && match &self.params {
                None => true,
                Some(wanted) => params.as_deref().map(normalize_params).as_ref() == Some(wanted),
            }
    }
}

/// A function's name as gdb shows it in a frame: the demangled name without its parameter list
/// and without the return type a template's mangled name carries (`long biggest<long>(long,
/// long)` → `biggest<long>`, `geo::Rect::area() const` → `geo::Rect::area`).
pub fn frame_name(demangled: &str) -> &str {
    without_return_type(split_signature(demangled).0)
}

/// A function's demangled signature without the return type a template's carries, as gdb's
/// `info breakpoints` shows it (`long biggest<long>(long, long)` → `biggest<long>(long, long)`).
pub fn signature(demangled: &str) -> &str {
    let name = without_return_type(split_signature(demangled).0);
    &demangled[name.as_ptr() as usize - demangled.as_ptr() as usize..]
}

/// `name` without a return type before it: what follows the last space outside template
/// arguments (`operator new` and conversion operators keep theirs).
fn without_return_type(name: &str) -> &str {
    let mut depth = 0i32;
    let mut start = 0;
    for (at, c) in name.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ' ' if depth <= 0 && !name[..at].ends_with("operator") => start = at + 1,
            _ => {}
        }
    }
    &name[start..]
}

/// Splits `name(params) qualifiers` at the parameter list's opening parenthesis (outside template
/// arguments; `operator()` is a name). Returns the name and the rest, `None` without a list.
fn split_signature(signature: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    for (at, c) in signature.char_indices() {
        // `operator<`, `operator<<=`, `operator->`: not template brackets.
        let operator = signature[..at]
            .trim_end_matches(['<', '>', '=', '-'])
            .ends_with("operator");
        match c {
            '<' | '>' if operator => {}
            '<' => depth += 1,
            '>' => depth -= 1,
            '(' if depth <= 0 => {
                let name = &signature[..at];
                if name.ends_with("operator") && signature[at..].starts_with("()") {
                    continue;
                }
                return (name, Some(&signature[at..]));
            }
            _ => {}
        }
    }
    (signature, None)
}

/// The parameter list up to its closing parenthesis (so `const`, `&` and `&&` after it are
/// dropped), with `(void)` as `()`.
fn normalize_params(rest: &str) -> String {
    let mut depth = 0i32;
    let mut end = rest.len();
    for (at, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    end = at + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    match &rest[..end] {
        "(void)" => "()".to_string(),
        params => params.to_string(),
    }
}

/// `name` without `<…>` template argument lists (`std::vector<int>::push_back` →
/// `std::vector::push_back`); `operator<`, `operator<<` and friends are kept.
fn without_template_arguments(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0u32;
    let mut chars = name.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let operator = depth == 0 && name[..at].ends_with("operator");
        match c {
            '<' | '>' if operator => {
                out.push(c);
                // `operator<<`, `operator<=`, `operator>>=`: the whole operator is the name.
                while let Some(&(_, next)) = chars.peek() {
                    if !matches!(next, '<' | '>' | '=') {
                        break;
                    }
                    out.push(next);
                    chars.next();
                }
            }
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::FunctionSpec;

    fn matches(spec: &str, candidate: &str) -> bool {
        FunctionSpec::parse(spec).matches(candidate)
    }

    #[test]
    fn unqualified_names_match_every_scope_and_overload() {
        assert!(matches("area", "geo::Rect::area() const"));
        assert!(matches("Rect::area", "geo::Rect::area() const"));
        assert!(matches("geo::Rect::area", "geo::Rect::area() const"));
        assert!(matches("measure", "measure(int)"));
        assert!(matches("measure", "measure(double)"));
        assert!(matches("main", "main"));
        assert!(!matches("area", "geo::Rect::surface_area() const"));
        assert!(!matches("ect::area", "geo::Rect::area() const"));
        assert!(!matches("main", "__main_void"));
    }

    #[test]
    fn a_leading_scope_operator_means_the_global_scope() {
        assert!(matches("::measure", "measure(int)"));
        assert!(!matches("::area", "geo::Rect::area() const"));
    }

    #[test]
    fn parameter_lists_pick_overloads() {
        assert!(matches("measure(int)", "measure(int)"));
        assert!(!matches("measure(int)", "measure(double)"));
        assert!(matches("geo::Rect::area()", "geo::Rect::area() const"));
        assert!(matches("f(void)", "f()"));
        assert!(matches("add(int,int)", "add(int, int)"));
        assert!(matches("push(const char *)", "Stack::push(const char*)"));
    }

    #[test]
    fn template_arguments_left_out_match_any() {
        assert!(matches("max", "max<int>(int, int)"));
        assert!(matches(
            "push_back",
            "std::vector<int, std::allocator<int> >::push_back(int const&)"
        ));
        assert!(matches("vector<int>::size", "vector<int>::size() const"));
        assert!(!matches("vector<long>::size", "vector<int>::size() const"));
    }

    #[test]
    fn template_functions_carry_their_return_type() {
        assert!(matches("biggest", "long biggest<long>(long, long)"));
        assert!(matches("biggest<long>", "long biggest<long>(long, long)"));
        assert_eq!(
            super::frame_name("long biggest<long>(long, long)"),
            "biggest<long>"
        );
        assert_eq!(
            super::frame_name("geo::Rect::area() const"),
            "geo::Rect::area"
        );
        assert_eq!(super::frame_name("main"), "main");
        assert_eq!(
            super::signature("long biggest<long>(long, long)"),
            "biggest<long>(long, long)"
        );
        assert_eq!(
            super::signature("geo::Rect::area() const"),
            "geo::Rect::area() const"
        );
        assert_eq!(
            super::frame_name("std::pair<int, int> make<std::pair<int, int> >(int)"),
            "make<std::pair<int, int> >"
        );
    }

    #[test]
    fn operators_are_names() {
        assert!(matches("operator()", "Functor::operator()(int)"));
        assert!(matches("Vec::operator<<", "Vec::operator<<(int)"));
        assert!(matches(
            "operator<",
            "geo::operator<(geo::Rect const&, geo::Rect const&)"
        ));
    }
}
