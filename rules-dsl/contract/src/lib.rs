//! The contract between the Yici compiler (`rules-dsl`, which writes it) and
//! the engine (which reads it): the artifact's manifest, the calendar rules
//! and the working-day calendar data, and the codecs of values (money and
//! dates as text), and the two languages every message is told in (`lang`,
//! for the compiler's diagnostics and the engine's refusals alike). Both
//! sides depend on this crate and on nothing of each other. Pure: no IO.

pub mod calendar;
pub mod codec;
pub mod lang;
pub mod manifest;
