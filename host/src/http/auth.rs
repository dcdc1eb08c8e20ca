//! Bearer tokens: each belongs to the platform, to one department, or to
//! the catalogue's keepers (what each may do is `service::rights`). Tokens
//! are configured and kept as SHA-256 hashes; a request's token is hashed
//! and looked up.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use axum::extract::FromRef;

use super::error::ApiError;
use crate::config::{TokenConfig, decode_sha256};
use crate::service::rights::{Principal, Role};

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
            let role = match (&token.department, token.platform) {
                (Some(department), _) => Role::Department(department.clone()),
                (None, true) => Role::Platform,
                (None, false) => Role::CatalogueKeeper,
            };
            by_hash.insert(
                hash,
                Arc::new(Principal {
                    name: token.name.clone(),
                    role,
                    keeps_catalogue: token.catalogue,
                    reviewer: token.reviewer,
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

impl<S> FromRequestParts<S> for Caller
where
    Arc<Tokens>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized("send a token: `Authorization: Bearer <token>`")
            })?;
        // The scheme is case-insensitive (RFC 9110 §11.1).
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                ApiError::unauthorized("the `Authorization` header must be `Bearer <token>`")
            })?;
        Arc::<Tokens>::from_ref(state)
            .find(token)
            .map(Caller)
            .ok_or_else(|| ApiError::unauthorized("the token is not valid"))
    }
}
