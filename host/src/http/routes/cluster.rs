//! `GET /v1/cluster`: the nodes serving the store, the change each has
//! applied and when each last reported; and the `cluster` object of every
//! publish and withdrawal (on which nodes the change is in force).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::super::auth::Caller;
use super::super::error::ApiError;
use super::super::openapi::ErrorBody;
use super::super::state::AppState;
use crate::service::clock::timestamp_text as rfc3339;
use crate::service::cluster::{ClusterView, Propagation};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/cluster", get(cluster))
}

/// Where a publish or a withdrawal is in force when it is answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PropagationView {
    /// The change's number in the store's change sequence.
    pub seq: i64,
    /// Live nodes that serve it (the answering node first).
    pub in_force_on: Vec<String>,
    /// Live nodes that had not applied it within `cluster.publish_wait_ms`;
    /// they apply it when they catch up (empty: in force everywhere).
    pub lagging: Vec<String>,
    /// Milliseconds from the commit until every live node had applied it
    /// (or until the wait ended, when some lag).
    pub in_force_after_ms: f64,
}

impl PropagationView {
    pub fn of(propagation: &Propagation) -> PropagationView {
        PropagationView {
            seq: propagation.seq,
            in_force_on: propagation.in_force_on.clone(),
            lagging: propagation.lagging.clone(),
            in_force_after_ms: (propagation.waited.as_secs_f64() * 1e6).round() / 1e3,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeDoc {
    /// `cluster.node_id`, or `HOSTNAME:port`.
    pub node: String,
    /// Where it listens.
    pub addr: String,
    pub started_at: String,
    /// The last change it has applied.
    pub applied_seq: i64,
    /// The store's newest change minus `applied_seq`.
    pub behind: i64,
    pub heartbeat_at: String,
    /// Reported within `cluster.node_timeout_ms`.
    pub live: bool,
    /// Its change listener is connected (else it catches up on its timer).
    pub listening: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClusterDoc {
    /// The node that answered.
    pub node: String,
    /// The store's newest change.
    pub latest_seq: i64,
    pub nodes: Vec<NodeDoc>,
}

impl ClusterDoc {
    fn of(view: ClusterView) -> ClusterDoc {
        let latest = view.latest_seq;
        ClusterDoc {
            node: view.node,
            latest_seq: latest,
            nodes: view
                .nodes
                .into_iter()
                .map(|n| NodeDoc {
                    behind: (latest - n.state.applied_seq).max(0),
                    started_at: rfc3339(n.state.started_at),
                    heartbeat_at: rfc3339(n.state.heartbeat_at),
                    node: n.state.node,
                    addr: n.state.addr,
                    applied_seq: n.state.applied_seq,
                    live: n.live,
                    listening: n.state.listening,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/v1/cluster", tag = "operations",
    responses(
        (status = 200, description = "the nodes serving the store, the change each has applied and their last report", body = ClusterDoc),
        (status = 401, body = ErrorBody),
        (status = 503, description = "the store cannot be reached (`store_unavailable`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn cluster(
    State(state): State<AppState>,
    Caller(_caller): Caller,
) -> Result<Response, ApiError> {
    let view = state.cluster_view().await?;
    Ok(Json(ClusterDoc::of(view)).into_response())
}
