//! `GET /computeMetadata/v1/instance/service-accounts/default/token`: the instance metadata service's token,
//! as Yandex Cloud VMs and functions (and Google Compute Engine) serve it to programs running inside.
//!
//! The request must carry `Metadata-Flavor: Google` (the real service's guard against requests a page or a
//! proxy forwards blindly); without it the answer is 403 in plain text. Each call gets a fresh token for
//! the `--metadata-token` service account: `{"access_token", "expires_in", "token_type": "Bearer"}`.

use http::{HeaderMap, Response, StatusCode};
use serde_json::json;
use tonic::body::Body;

use super::Config;
use super::Issuer;

/// Serves the metadata token route.
pub fn token(headers: &HeaderMap, config: &Config, auth: &dyn Issuer) -> Response<Body> {
    let flavored = headers.get("metadata-flavor").is_some_and(|v| v.as_bytes() == b"Google");
    if !flavored {
        return super::text(StatusCode::FORBIDDEN, "Missing required header: Metadata-Flavor: Google");
    }
    let Some(account) = config.metadata_account.as_deref() else {
        return super::text(StatusCode::NOT_FOUND, "no service account is attached to this instance");
    };
    let (token, _) = auth.issue(account, config.token_ttl);
    tracing::info!(service_account = %account, "metadata token issued");
    super::json(
        StatusCode::OK,
        &json!({ "access_token": token, "expires_in": config.token_ttl_seconds(), "token_type": "Bearer" }),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::auth::Auth;
    use http_body_util::BodyExt;
    use std::time::Duration;

    #[tokio::test]
    async fn a_flavored_request_gets_a_fresh_token_of_the_account_and_others_get_403() {
        let auth = Auth::default();
        let config =
            Config { metadata_account: Some("sa-vm".into()), token_ttl: Duration::from_secs(30), ..Config::default() };
        let mut headers = HeaderMap::new();
        assert_eq!(token(&headers, &config, &auth).status(), StatusCode::FORBIDDEN);
        headers.insert("metadata-flavor", "google".parse().unwrap());
        assert_eq!(token(&headers, &config, &auth).status(), StatusCode::FORBIDDEN, "the value is exact");
        headers.insert("metadata-flavor", "Google".parse().unwrap());
        let mut seen = Vec::new();
        for _ in 0..2 {
            let response = token(&headers, &config, &auth);
            assert_eq!(response.status(), StatusCode::OK);
            let body: serde_json::Value =
                serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
            assert_eq!((body["expires_in"].as_u64(), body["token_type"].as_str()), (Some(30), Some("Bearer")));
            let access = body["access_token"].as_str().unwrap().to_string();
            assert_eq!(auth.user_of(&access).unwrap(), "sa-vm");
            seen.push(access);
        }
        assert_ne!(seen[0], seen[1], "a fresh token each call");
    }
}
