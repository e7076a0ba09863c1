//! One module per subcommand.

pub mod instrument;
pub mod report;
pub mod run;
