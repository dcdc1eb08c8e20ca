//! `yici`: the command line of the Yici rules engine for officers and testers.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
