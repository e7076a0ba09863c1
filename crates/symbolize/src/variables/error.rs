//! Why a value could not be read or an expression could not be evaluated.

/// A failure while locating, reading or printing one value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EvalError {
    /// The DWARF has no location for the value at this pc.
    #[error("optimized out")]
    OptimizedOut,
    /// Linear memory at this address could not be read (gdb's wording).
    #[error("Cannot access memory at address {0:#x}")]
    Memory(u64),
    /// A wasm local, global or operand stack slot the frame does not have.
    #[error("wasm {kind} {index} is not available in this frame")]
    Slot {
        /// `local`, `global` or `stack slot`.
        kind: &'static str,
        /// The slot's index.
        index: u32,
    },
    /// The DWARF could not be parsed.
    #[error("malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
    /// Well-formed DWARF that uses something this evaluator does not support.
    #[error("{0}")]
    Unsupported(String),
    /// A mistake in a `print` expression, worded as gdb words it.
    #[error("{0}")]
    User(String),
}

impl EvalError {
    /// How a value that could not be read prints in place of its value.
    pub(crate) fn placeholder(&self) -> String {
        match self {
            EvalError::OptimizedOut => "<optimized out>".to_string(),
            other => format!("<error: {other}>"),
        }
    }

    /// Shorthand for [`EvalError::Unsupported`].
    pub(crate) fn unsupported(what: impl Into<String>) -> EvalError {
        EvalError::Unsupported(what.into())
    }
}

/// Result of evaluation steps.
pub(crate) type EvalResult<T> = Result<T, EvalError>;
