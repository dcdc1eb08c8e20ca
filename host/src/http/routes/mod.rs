//! The routes, one module per resource; each exposes `router()`.

pub mod bundles;
pub mod catalogue;
pub mod check;
pub mod cluster;
pub mod console;
pub mod decisions;
pub mod evaluate;
pub mod guide;
pub mod interview;
pub mod operations;
pub mod policies;
pub mod reference;
pub mod reviews;

/// Set by a handler on its response so the metrics layer can label the
/// request with the policy it was about.
#[derive(Debug, Clone)]
pub struct PolicyLabel(pub crate::service::metrics::Label);
