//! One module per subcommand.

pub mod debug;
pub mod instrument;
pub mod report;
pub mod run;
