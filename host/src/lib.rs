//! The `yici` host: the command line and the HTTP service around the
//! language and the engine. The library part holds what the binary and the
//! workspace's integration tests share: projects, scenario files, the
//! configuration, the store and the server.

pub mod config;
pub mod project;
pub mod scenario;
pub mod server;
pub mod store;
