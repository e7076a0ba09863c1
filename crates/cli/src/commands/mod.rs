//! One module per subcommand.

pub mod report;
pub mod run;
