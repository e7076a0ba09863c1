//! One module per subcommand.

pub mod bench;
pub mod debug;
pub mod instrument;
pub mod report;
pub mod run;
pub mod serve;
