//! The `yici` host: the command line (and, later, the service) around the
//! language and the engine. The library part holds what the binary and the
//! workspace's integration tests share: scenario files.

pub mod project;
pub mod scenario;
