//! `yici`: the command line of the Yici rules engine for officers and testers,
//! and `yici serve`, the HTTP service.

mod cli;

use std::process::ExitCode;

// The service allocates many small, short-lived buffers per request (JSON
// in and out, the decision); mimalloc serves them faster than glibc's
// malloc (docs/benchmarks.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run()
}
