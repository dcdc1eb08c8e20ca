//! Bearer tokens: each belongs to the platform (may only evaluate) or to one
//! department (may evaluate, preview, read the decision log of its policies,
//! and publish and withdraw its own policies). Tokens are configured and
//! kept as SHA-256 hashes; a request's token is hashed and looked up.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::state::AppState;
use crate::config::{TokenConfig, decode_sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Platform,
    Department(String),
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// Publishing, withdrawing and previewing are for the policy's own department.
    pub fn require_department(&self, department: &str, action: &str) -> Result<(), ApiError> {
        match &self.role {
            Role::Department(own) if own == department => Ok(()),
            Role::Department(own) => Err(ApiError::forbidden(format!(
                "`{}` acts for `{own}` and may not {action} a policy of `{department}`",
                self.name
            ))),
            Role::Platform => Err(ApiError::forbidden(format!(
                "`{}` is the platform's token, which may only evaluate; {action} needs the \
                 token of department `{department}`",
                self.name
            ))),
        }
    }

    /// Reading the decision log: departments only (their own policies are filtered by the route).
    pub fn department(&self) -> Result<&str, ApiError> {
        match &self.role {
            Role::Department(own) => Ok(own),
            Role::Platform => Err(ApiError::forbidden(format!(
                "`{}` is the platform's token, which may only evaluate",
                self.name
            ))),
        }
    }
}

#[derive(Debug, Default)]
pub struct Tokens {
    by_hash: HashMap<[u8; 32], Arc<Principal>>,
}

impl Tokens {
    /// From validated configuration (see `Config::load`).
    pub fn new(tokens: &[TokenConfig]) -> Tokens {
        let mut by_hash = HashMap::new();
        for token in tokens {
            let Some(hash) = decode_sha256(&token.sha256) else {
                continue;
            };
            let role = match &token.department {
                Some(department) => Role::Department(department.clone()),
                None => Role::Platform,
            };
            by_hash.insert(
                hash,
                Arc::new(Principal {
                    name: token.name.clone(),
                    role,
                }),
            );
        }
        Tokens { by_hash }
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    fn find(&self, token: &str) -> Option<Arc<Principal>> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_hash.get(&hash).cloned()
    }
}

/// The authenticated caller; a handler that takes it answers 401 without a valid token.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized("send a token: `Authorization: Bearer <token>`")
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("the `Authorization` header must be `Bearer <token>`")
            })?;
        state
            .tokens
            .find(token)
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("the token is not valid"))
    }
}
