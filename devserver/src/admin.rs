//! The admin endpoint: a small HTTP/1.1 JSON API on its own port that tests use to script the server.
//!
//! | Request | Body | Answer |
//! |---|---|---|
//! | `POST /faults` | a [`FaultSpec`] | `{"id": n}` |
//! | `GET /faults` | | `{"faults": [{id, ...spec, hits}]}` |
//! | `DELETE /faults` | | `{"cleared": n}` |
//! | `DELETE /faults/{id}` | | `{"removed": bool}` |
//! | `POST /sessions/kill` | none (all) or `{"sessionId": "..."}` | `{"killed": n}` |
//! | `POST /restart` | | `{"sessionsEnded": n}` |
//! | `POST /nodes/{id}/stop`, `POST /nodes/{id}/start` | | `{"id": n, "up": bool, "changed": bool}` |
//! | `GET /nodes` | | `{"nodes": [{id, address, up, sessions}]}` |
//! | `GET /stats` | | `{"sessions", "sessionsPerNode", "calls", "faultsHit", "nodes"}` |
//!
//! Errors answer 400 (bad body) or 404 (unknown path or node) with `{"error": "..."}`. It only drives the
//! [`Cluster`]; it never touches the gRPC services directly.
//!
//! It serves scripts and test runners, never a browser: a request carrying an `Origin` is refused (403)
//! whatever the origin, and so is an HTTP/1.x request naming a host the guard does not answer (DNS
//! rebinding: a same-origin GET carries no `Origin`). See `guard.rs`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::cluster::Cluster;
use crate::faults::FaultSpec;

/// Admin request bodies larger than this are refused.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Serves the admin endpoint on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, cluster: Arc<Cluster>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let cluster = cluster.clone();
                async move { Ok::<_, Infallible>(handle(&cluster, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn answer(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

fn ok(body: Value) -> Response<Full<Bytes>> {
    answer(StatusCode::OK, &body)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<Full<Bytes>> {
    answer(status, &json!({ "error": message.into() }))
}

/// Reads a JSON body; an empty body is `null`.
async fn json_body(request: hyper::Request<Incoming>) -> Result<Value, String> {
    let bytes = Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| format!("cannot read the body: {e}"))?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the body is not JSON: {e}"))
}

async fn handle(cluster: &Cluster, request: hyper::Request<Incoming>) -> Response<Full<Bytes>> {
    if request.headers().contains_key(http::header::ORIGIN) {
        return error(StatusCode::FORBIDDEN, "the admin endpoint does not answer browsers (the request has an Origin)");
    }
    if let Err(reason) = cluster.guard.check(request.version(), request.headers()) {
        return error(StatusCode::FORBIDDEN, reason);
    }
    let method = request.method().clone();
    let path = request.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (&method, parts.as_slice()) {
        (&Method::POST, ["faults"]) => {
            let spec = match json_body(request)
                .await
                .and_then(|v| serde_json::from_value::<FaultSpec>(v).map_err(|e| format!("bad fault: {e}")))
            {
                Ok(spec) => spec,
                Err(e) => return error(StatusCode::BAD_REQUEST, e),
            };
            match cluster.faults.add(spec) {
                Ok(id) => ok(json!({ "id": id })),
                Err(e) => error(StatusCode::BAD_REQUEST, e),
            }
        }
        (&Method::GET, ["faults"]) => ok(json!({ "faults": cluster.faults.list() })),
        (&Method::DELETE, ["faults"]) => ok(json!({ "cleared": cluster.faults.clear() })),
        (&Method::DELETE, ["faults", id]) => match id.parse::<u64>() {
            Ok(id) => ok(json!({ "removed": cluster.faults.remove(id) })),
            Err(_) => error(StatusCode::BAD_REQUEST, format!("bad fault id: {id}")),
        },
        (&Method::POST, ["sessions", "kill"]) => {
            let body = match json_body(request).await {
                Ok(body) => body,
                Err(e) => return error(StatusCode::BAD_REQUEST, e),
            };
            let session_id = match body.get("sessionId") {
                None | Some(Value::Null) => None,
                Some(Value::String(id)) => Some(id.clone()),
                Some(_) => return error(StatusCode::BAD_REQUEST, "sessionId must be a string"),
            };
            ok(json!({ "killed": cluster.kill_sessions(session_id.as_deref()).await }))
        }
        (&Method::POST, ["restart"]) => ok(json!({ "sessionsEnded": cluster.restart().await })),
        (&Method::POST, ["nodes", id, verb @ ("stop" | "start")]) => {
            let Some(id) = id.parse::<u32>().ok().filter(|id| cluster.node(*id).is_some()) else {
                return error(StatusCode::NOT_FOUND, format!("no node {id}"));
            };
            let changed = if *verb == "stop" {
                cluster.stop_node(id).await
            } else {
                match cluster.start_node(id).await {
                    Ok(changed) => changed,
                    Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
                }
            };
            ok(json!({ "id": id, "up": cluster.is_up(id), "changed": changed }))
        }
        (&Method::GET, ["nodes"]) => ok(json!({ "nodes": nodes(cluster) })),
        (&Method::GET, ["stats"]) => {
            let per_node: serde_json::Map<String, Value> =
                cluster.nodes.iter().map(|n| (n.id.to_string(), json!(n.state.sessions.len()))).collect();
            ok(json!({
                "sessions": cluster.session_count(),
                "sessionsPerNode": per_node,
                "calls": cluster.faults.calls(),
                "faultsHit": cluster.faults.hits(),
                "nodes": nodes(cluster),
            }))
        }
        _ => error(StatusCode::NOT_FOUND, format!("no such admin request: {method} {path}")),
    }
}

fn nodes(cluster: &Cluster) -> Vec<Value> {
    cluster
        .endpoints()
        .into_iter()
        .map(|e| {
            let sessions = cluster.node(e.node_id).map_or(0, |n| n.state.sessions.len());
            json!({ "id": e.node_id, "address": format!("{}:{}", e.host, e.port), "up": e.up, "sessions": sessions })
        })
        .collect()
}
