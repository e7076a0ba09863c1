//! What to instrument.

use wobs_events::ProbeAbi;

/// Options for [`crate::instrument`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Only functions whose (demangled) name matches one of these globs (`*`, `?`). Default: all.
    pub include: Vec<String>,
    /// Skip functions whose name matches one of these globs. Default: none.
    pub exclude: Vec<String>,
    /// Skip *leaf* functions (no calls) with fewer instructions than this. Default: 16.
    ///
    /// A probe pair costs two host calls (~20–40 ns); a getter of a few instructions called millions
    /// of times would be dominated by them while adding nothing to the call tree. `0` instruments
    /// every function.
    pub min_size: u64,
    /// Only exported functions. Default: false.
    pub exports_only: bool,
    /// Which probe imports to emit. Default: [`ProbeAbi::Wobs`].
    pub abi: ProbeAbi,
    /// Also probe `memory.grow` (pages requested and result). Default: false.
    pub memory: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include: Vec::new(),
            exclude: Vec::new(),
            min_size: 16,
            exports_only: false,
            abi: ProbeAbi::Wobs,
            memory: false,
        }
    }
}

/// `*` matches any run of characters, `?` any one character; everything else is literal.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    pi = star + 1;
                    ti = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("work_*", "work_two"));
        assert!(glob_match("*::run", "demo::worker::run"));
        assert!(glob_match("f?b", "fib"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("work_*", "main"));
        assert!(!glob_match("fib", "fibonacci"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
    }
}
