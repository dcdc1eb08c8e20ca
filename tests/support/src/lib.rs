//! Test oracles and generators, shared by the engine's tests and the
//! workspace's: kept out of the production crates.
//!
//! - [`oracle`]: the reference interpreter of the typed IR (the differential
//!   test's oracle), reading the same input memory as a compiled module.
//! - [`generate`]: random well-typed policies and requests for them.
//! - [`policy`]: check and compile a test policy, build requests by hand.

#![allow(
    clippy::expect_used,
    reason = "test helpers stop the test with their message"
)]

pub mod generate;
pub mod oracle;
pub mod policy;
