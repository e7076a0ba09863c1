//! What to instrument.

use wobs_events::ProbeAbi;

/// Options for [`crate::instrument`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Only functions whose (demangled) name matches one of these globs (`*`, `?`, `[abc]`, `{a,b}`).
    /// Default: all.
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
    /// With [`ProbeAbi::Counted`]: leaf functions may call the host too, so every call can be
    /// timed. Default: false (leaves are counted only: a host call in a leaf, even one never
    /// taken, makes its compiled code build a frame on every call).
    pub time_leaves: bool,
    /// Functions (indices in the module) whose counted probes only count: no host call, as for
    /// leaves (ABI v2 only). Default: none.
    pub count_only: Vec<u32>,
    /// Also probe `memory.grow` (pages requested and result). Default: false.
    pub memory: bool,
    /// With [`ProbeAbi::Counted`]: every function counts its calls in its own counter. Default:
    /// true. A host that needs only the calls-so-far counter (spans' `filtered_calls`: a served
    /// component's requests) turns it off; the counters then stay 0, and a function that is only
    /// counted touches no memory at all.
    pub per_function_counts: bool,
    /// Exports (globs) under which no function gets a probe: the export and everything it
    /// reaches by direct calls. A component's `cabi_realloc` and `cabi_post_*` run while the
    /// component model forbids calls out of the instance, which a probe is. Default: none
    /// ([`crate::component::instrument_component`] sets them).
    pub unprobed_exports: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include: Vec::new(),
            exclude: Vec::new(),
            min_size: 16,
            exports_only: false,
            abi: ProbeAbi::Wobs,
            time_leaves: false,
            count_only: Vec::new(),
            memory: false,
            per_function_counts: true,
            unprobed_exports: Vec::new(),
        }
    }
}

/// The name filters of [`Options`], compiled once per run (globset: `*`, `?`, `[abc]`, `{a,b}`;
/// `*` also matches `::` and `/`).
pub(crate) struct NameFilter {
    include: Option<globset::GlobSet>,
    exclude: globset::GlobSet,
}

impl NameFilter {
    /// Compiles `options`' globs; an invalid one is named in the error.
    pub fn new(options: &Options) -> Result<NameFilter, crate::Error> {
        let set = |patterns: &[String], flag: &str| -> Result<globset::GlobSet, crate::Error> {
            let mut builder = globset::GlobSetBuilder::new();
            for pattern in patterns {
                let glob = globset::Glob::new(pattern).map_err(|e| {
                    crate::Error::Pattern(format!("{flag} {pattern:?}: {}", e.kind()))
                })?;
                builder.add(glob);
            }
            builder
                .build()
                .map_err(|e| crate::Error::Pattern(format!("{flag}: {e}")))
        };
        Ok(NameFilter {
            include: if options.include.is_empty() {
                None
            } else {
                Some(set(&options.include, "--include")?)
            },
            exclude: set(&options.exclude, "--exclude")?,
        })
    }

    /// Whether a function named `name` passes the filters.
    pub fn wants(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|set| set.is_match(name)) && !self.exclude.is_match(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        let options = Options {
            include: vec![pattern.to_string()],
            ..Options::default()
        };
        NameFilter::new(&options).unwrap().wants(name)
    }

    #[test]
    fn globs() {
        assert!(matches("work_*", "work_two"));
        assert!(matches("*::run", "demo::worker::run"));
        assert!(matches("f?b", "fib"));
        assert!(matches("*", ""));
        assert!(!matches("work_*", "main"));
        assert!(!matches("fib", "fibonacci"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(matches("{fib,main}", "main"));
        let mut options = Options {
            exclude: vec!["work_*".into()],
            ..Options::default()
        };
        let filter = NameFilter::new(&options).unwrap();
        assert!(filter.wants("main") && !filter.wants("work_one"));
        options.include = vec!["[".into()];
        assert!(matches!(
            NameFilter::new(&options),
            Err(crate::Error::Pattern(_))
        ));
    }
}
