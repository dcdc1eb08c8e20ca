//! The `yici` host: the command line and the HTTP service around the
//! language and the engine. The library part holds what the binary and the
//! workspace's integration tests share: projects, scenario files, the
//! configuration, the store, the service layer and its HTTP layer.

pub mod config;
pub mod files;
pub mod http;
pub mod project;
pub mod scenario;
pub mod service;
pub mod store;
