//! What every handler sees: the service layer and the configured tokens.
//! Extractors take only the part they need (`FromRef`), so the `auth`
//! extractor depends on the tokens, not on the whole state.

use std::sync::Arc;

use axum::extract::FromRef;

use super::auth::Tokens;
use crate::service::Service;

/// Shared by every handler; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub tokens: Arc<Tokens>,
}

impl FromRef<AppState> for Arc<Tokens> {
    fn from_ref(state: &AppState) -> Arc<Tokens> {
        Arc::clone(&state.tokens)
    }
}

impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Arc<Service> {
        Arc::clone(&state.service)
    }
}

impl std::ops::Deref for AppState {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}
