//! The cloud token endpoints over the wire, on the gRPC port: a service account's signed JWT exchanged for
//! an IAM token, the metadata token, the OAuth 2.0 token exchange — each token then authorising real YDB
//! calls (and a bad or expired one not) — plus their faults, CORS, and what a disabled route answers.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use tonic::Request;
use ydb_devserver::cloud_auth::{self, IamKey, OauthSubject};
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::discovery::v1::discovery_service_client::DiscoveryServiceClient;
use ydb_devserver::proto::ydb::scheme::v1::scheme_service_client::SchemeServiceClient;
use ydb_devserver::proto::ydb::status_ids::StatusCode;
use ydb_devserver::server::{start, Config, Running};

mod common;
use common::http1;

const METADATA: &str = cloud_auth::METADATA_PATH;

/// The service account's key and an identity provider's key, made once: 1024 bits, since the checks do not
/// depend on the size and 2048-bit keys take seconds to make in a debug build.
fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: std::sync::OnceLock<(RsaPrivateKey, RsaPrivateKey)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        (RsaPrivateKey::new(&mut rng, 1024).unwrap(), RsaPrivateKey::new(&mut rng, 1024).unwrap())
    })
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A compact JWS signed with `key`: PS256 unless the header says RS256.
fn sign(key: &RsaPrivateKey, header: &Value, claims: &Value) -> String {
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = if header["alg"] == "RS256" {
        rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes()).to_vec()
    } else {
        rsa::pss::SigningKey::<Sha256>::new(key.clone())
            .sign_with_rng(&mut rsa::rand_core::OsRng, input.as_bytes())
            .to_vec()
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// What a client's service-account credentials send: PS256, kid, iss = the account, aud = IAM, 1 h.
fn service_account_jwt(key: &RsaPrivateKey, kid: &str, iss: &str) -> String {
    let iat = now();
    sign(
        key,
        &json!({"alg": "PS256", "typ": "JWT", "kid": kid}),
        &json!({"iss": iss, "aud": cloud_auth::DEFAULT_IAM_AUDIENCE, "iat": iat, "exp": iat + 3600}),
    )
}

async fn server(cloud: cloud_auth::Config) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        admin: Some("127.0.0.1:0".parse().unwrap()),
        cloud_auth: cloud,
        ..Config::default()
    };
    start(config).await.unwrap()
}

/// Every endpoint on: the IAM key `kid-1` of `sa-1`, the metadata account `sa-vm`, a fixed OAuth subject
/// token and an identity provider's JWT key `idp-1`.
fn every_endpoint(ttl: Duration) -> cloud_auth::Config {
    cloud_auth::Config {
        iam_keys: vec![IamKey {
            key_id: "kid-1".into(),
            service_account_id: "sa-1".into(),
            key: keys().0.to_public_key().into(),
        }],
        metadata_account: Some("sa-vm".into()),
        oauth_subjects: vec![
            OauthSubject::Token("fixed subject token".into()),
            OauthSubject::Jwt { key_id: "idp-1".into(), key: keys().1.to_public_key().into() },
        ],
        token_ttl: ttl,
        ..cloud_auth::Config::default()
    }
}

/// An HTTP/1.1 answer: status, header block (lowercased) and body.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request with these extra header lines (each ending in `\r\n`).
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &str) -> Answer {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let text = String::from_utf8(http1(addr, raw.as_bytes()).await).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, headers: head.to_lowercase(), body: body.to_string() }
}

async fn exchange_jwt(addr: SocketAddr, jwt: &str) -> Answer {
    let body = json!({ "jwt": jwt }).to_string();
    request(addr, "POST", cloud_auth::IAM_PATH, "content-type: application/json\r\n", &body).await
}

async fn oauth(addr: SocketAddr, form: &[(&str, &str)]) -> Answer {
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    let headers = "content-type: application/x-www-form-urlencoded\r\n";
    request(addr, "POST", cloud_auth::OAUTH_PATH, headers, &body.join("&")).await
}

async fn admin(running: &Running, method: &str, path: &str, body: Value) -> Value {
    let addr = running.admin_addr.unwrap();
    let answer = request(addr, method, path, "content-type: application/json\r\n", &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// Who the server says `ticket` is (WhoAmI), or the gRPC status code it refused the call with.
async fn who_am_i(running: &Running, ticket: Option<&str>) -> Result<String, tonic::Code> {
    let mut client = DiscoveryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let mut request = Request::new(ydb::discovery::WhoAmIRequest::default());
    if let Some(ticket) = ticket {
        request.metadata_mut().insert("x-ydb-auth-ticket", ticket.parse().unwrap());
    }
    let answer = client.who_am_i(request).await.map_err(|s| s.code())?.into_inner();
    let any = answer.operation.unwrap().result.unwrap();
    Ok(<ydb::discovery::WhoAmIResult as prost::Message>::decode(any.value.as_slice()).unwrap().user)
}

/// A Scheme ListDirectory of the database with `ticket`: its YDB status, or the gRPC code it was refused with.
async fn list_directory(running: &Running, ticket: Option<&str>) -> Result<i32, tonic::Code> {
    let mut client = SchemeServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let mut request = Request::new(ydb::scheme::ListDirectoryRequest { path: "/local".into(), ..Default::default() });
    if let Some(ticket) = ticket {
        request.metadata_mut().insert("x-ydb-auth-ticket", ticket.parse().unwrap());
    }
    let answer = client.list_directory(request).await.map_err(|s| s.code())?.into_inner();
    Ok(answer.operation.unwrap().status)
}

#[tokio::test]
async fn a_service_account_jwt_buys_an_iam_token_that_authorises_calls_as_the_account() {
    let running = server(every_endpoint(Duration::from_secs(3600))).await;
    let answer = exchange_jwt(running.addr, &service_account_jwt(&keys().0, "kid-1", "sa-1")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.headers.contains("content-type: application/json"), "{}", answer.headers);
    assert!(answer.headers.contains("cache-control: no-store"), "{}", answer.headers);
    let body = answer.json();
    let token = body["iamToken"].as_str().unwrap();
    // RFC 3339 in UTC, an hour from now (the lifetime configured).
    let expires = body["expiresAt"].as_str().unwrap();
    assert!(expires.len() == 20 && expires.ends_with('Z') && expires.as_bytes()[10] == b'T', "{expires}");

    assert_eq!(who_am_i(&running, Some(token)).await, Ok("sa-1".to_string()));
    assert_eq!(list_directory(&running, Some(token)).await, Ok(StatusCode::Success as i32));
    // Authentication is on: no token, or one the server did not issue, is UNAUTHENTICATED.
    assert_eq!(list_directory(&running, None).await, Err(tonic::Code::Unauthenticated));
    assert_eq!(list_directory(&running, Some("t1.forged")).await, Err(tonic::Code::Unauthenticated));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn untrusted_jwts_get_401_code_16_and_unreadable_bodies_400_code_3_in_the_gateways_shape() {
    let running = server(every_endpoint(Duration::from_secs(3600))).await;
    let (sa_key, other_key) = keys();
    let iat = now();
    let claims = json!({"iss": "sa-1", "aud": cloud_auth::DEFAULT_IAM_AUDIENCE, "iat": iat, "exp": iat + 3600});
    let untrusted = [
        ("signature", service_account_jwt(other_key, "kid-1", "sa-1")),
        ("unknown key id", service_account_jwt(sa_key, "kid-2", "sa-1")),
        ("iss", service_account_jwt(sa_key, "kid-1", "sa-2")),
        (
            "aud",
            sign(
                sa_key,
                &json!({"alg": "PS256", "kid": "kid-1"}),
                &json!({"iss": "sa-1", "aud": "x", "iat": iat, "exp": iat + 60}),
            ),
        ),
        (
            "expired",
            sign(
                sa_key,
                &json!({"alg": "PS256", "kid": "kid-1"}),
                &json!({"iss": "sa-1", "aud": cloud_auth::DEFAULT_IAM_AUDIENCE, "iat": iat - 100, "exp": iat - 10}),
            ),
        ),
        (
            "longer than",
            sign(
                sa_key,
                &json!({"alg": "PS256", "kid": "kid-1"}),
                &json!({"iss": "sa-1", "aud": cloud_auth::DEFAULT_IAM_AUDIENCE, "iat": iat, "exp": iat + 7200}),
            ),
        ),
        ("PS256", sign(sa_key, &json!({"alg": "RS256", "kid": "kid-1"}), &claims)),
    ];
    for (reason, jwt) in untrusted {
        let answer = exchange_jwt(running.addr, &jwt).await;
        assert_eq!(answer.status, 401, "{reason}: {}", answer.body);
        let body = answer.json();
        assert_eq!((body["code"].as_u64(), &body["details"]), (Some(16), &json!([])), "{reason}");
        assert!(body["message"].as_str().unwrap().contains(reason), "{reason}: {body}");
        assert!(!answer.body.contains(&jwt), "the JWT is not echoed");
    }
    for body in ["", "{", r#"{"jwt": 1}"#, r#"{"token": "x"}"#, r#"{"jwt": "a.b"}"#] {
        let answer =
            request(running.addr, "POST", cloud_auth::IAM_PATH, "content-type: application/json\r\n", body).await;
        assert_eq!((answer.status, answer.json()["code"].as_u64()), (400, Some(3)), "{body}: {}", answer.body);
    }
    let answer = request(running.addr, "GET", cloud_auth::IAM_PATH, "", "").await;
    assert_eq!(answer.status, 405);
    assert!(answer.headers.contains("allow: post"), "{}", answer.headers);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_iam_endpoint_answers_plain_http2_on_the_same_port() {
    use http_body_util::BodyExt;
    use tower_service::Service;
    let running = server(every_endpoint(Duration::from_secs(3600))).await;
    let mut channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", running.addr)).unwrap().connect().await.unwrap();
    let body = json!({ "jwt": service_account_jwt(&keys().0, "kid-1", "sa-1") }).to_string();
    let request = || {
        http::Request::builder()
            .method("POST")
            .uri(format!("http://{}{}", running.addr, cloud_auth::IAM_PATH))
            .header("content-type", "application/json")
            .body(tonic::body::Body::new(http_body_util::Full::new(bytes::Bytes::from(body.clone()))))
            .unwrap()
    };
    std::future::poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let response = channel.call(request()).await.unwrap();
    assert_eq!((response.status(), response.version()), (http::StatusCode::OK, http::Version::HTTP_2));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let token: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(who_am_i(&running, token["iamToken"].as_str()).await, Ok("sa-1".to_string()));

    // dropStream over HTTP/2: the stream is reset, so no answer can be read.
    admin(&running, "POST", "/faults", json!({ "rpc": "/iam/v1/tokens", "dropStream": true, "times": 1 })).await;
    std::future::poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let read = match channel.call(request()).await {
        Ok(response) => response.into_body().collect().await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(read.is_err(), "the dropped answer was read");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_metadata_token_needs_the_flavor_header_and_authorises_calls() {
    let running = server(every_endpoint(Duration::from_secs(120))).await;
    let answer = request(running.addr, "GET", METADATA, "", "").await;
    assert_eq!(answer.status, 403);
    assert!(answer.headers.contains("content-type: text/plain"), "{}", answer.headers);
    assert!(answer.body.contains("Metadata-Flavor"), "{}", answer.body);

    let answer = request(running.addr, "GET", METADATA, "metadata-flavor: Google\r\n", "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!((body["expires_in"].as_u64(), body["token_type"].as_str()), (Some(120), Some("Bearer")));
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(who_am_i(&running, Some(token)).await, Ok("sa-vm".to_string()));
    assert_eq!(list_directory(&running, Some(token)).await, Ok(StatusCode::Success as i32));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_oauth_exchange_trades_a_fixed_token_or_a_signed_jwt_for_an_access_token() {
    let running = server(every_endpoint(Duration::from_secs(600))).await;
    let grant = ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
    let requested = ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token");
    let access = ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
    let jwt_type = ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt");

    // A fixed subject token, as the Python SDK's FixedTokenSource sends it; the SDK then sends
    // "Bearer <access_token>" as its ticket.
    let answer = oauth(running.addr, &[grant, requested, ("subject_token", "fixed subject token"), access]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_u64()), (Some("Bearer"), Some(600)));
    let ticket = format!("Bearer {}", body["access_token"].as_str().unwrap());
    assert_eq!(who_am_i(&running, Some(&ticket)).await, Ok("oauth-subject".to_string()));

    // A JWT the client signs (RS256, as a JwtTokenSource would), with audience and scope it may add.
    let iat = now();
    let jwt = sign(
        &keys().1,
        &json!({"alg": "RS256", "typ": "JWT", "kid": "idp-1"}),
        &json!({"sub": "alice@idp", "iss": "idp", "iat": iat, "exp": iat + 3600}),
    );
    let answer = oauth(
        running.addr,
        &[grant, requested, ("audience", "ydb"), ("scope", "a b"), ("subject_token", &jwt), jwt_type],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let token = answer.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(who_am_i(&running, Some(&token)).await, Ok("alice@idp".to_string()));
    assert_eq!(list_directory(&running, Some(&token)).await, Ok(StatusCode::Success as i32));

    // Failures in RFC 6749 §5.2's shape.
    let wrong_key = sign(&keys().0, &json!({"alg": "RS256", "kid": "idp-1"}), &json!({"sub": "x", "exp": iat + 60}));
    for (form, error) in [
        (vec![grant, ("subject_token", "guess"), access], "invalid_grant"),
        (vec![grant, ("subject_token", wrong_key.as_str()), jwt_type], "invalid_grant"),
        (
            vec![("grant_type", "client_credentials"), ("subject_token", "fixed subject token"), access],
            "unsupported_grant_type",
        ),
        (vec![grant, access], "invalid_request"),
    ] {
        let answer = oauth(running.addr, &form).await;
        assert_eq!((answer.status, answer.json()["error"].as_str()), (400, Some(error)), "{form:?}: {}", answer.body);
        assert!(answer.json()["error_description"].is_string());
    }
    running.stop().await.unwrap();
}

#[tokio::test]
async fn issued_tokens_expire_after_the_token_ttl() {
    let running = server(every_endpoint(Duration::from_millis(300))).await;
    let answer = exchange_jwt(running.addr, &service_account_jwt(&keys().0, "kid-1", "sa-1")).await;
    let token = answer.json()["iamToken"].as_str().unwrap().to_string();
    assert_eq!(who_am_i(&running, Some(&token)).await, Ok("sa-1".to_string()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(list_directory(&running, Some(&token)).await, Err(tonic::Code::Unauthenticated));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn faults_make_a_token_endpoint_fail_n_times_hang_or_drop_the_connection() {
    let running = server(every_endpoint(Duration::from_secs(60))).await;
    let jwt = service_account_jwt(&keys().0, "kid-1", "sa-1");
    // A catch-all gRPC fault leaves the token endpoints alone.
    admin(&running, "POST", "/faults", json!({ "status": "OVERLOADED", "rpc": "Ydb.Table.V1.TableService" })).await;
    admin(&running, "POST", "/faults", json!({ "rpc": "/iam/v1/tokens", "httpStatus": 503, "times": 2 })).await;
    for _ in 0..2 {
        let answer = exchange_jwt(running.addr, &jwt).await;
        assert_eq!((answer.status, answer.json()["code"].as_u64()), (503, Some(14)), "{}", answer.body);
    }
    assert_eq!(exchange_jwt(running.addr, &jwt).await.status, 200);
    let stats = admin(&running, "GET", "/stats", json!(null)).await;
    assert_eq!(stats["calls"]["/iam/v1/tokens"], 3);

    admin(&running, "POST", "/faults", json!({ "rpc": "oauth/*", "httpStatus": 503, "times": 1 })).await;
    let answer = oauth(running.addr, &[("grant_type", "x")]).await;
    assert_eq!((answer.status, answer.json()["error"].as_str()), (503, Some("temporarily_unavailable")));

    admin(&running, "POST", "/faults", json!({ "rpc": METADATA, "httpStatus": 500, "times": 1 })).await;
    assert_eq!(request(running.addr, "GET", METADATA, "metadata-flavor: Google\r\n", "").await.status, 500);

    // dropStream: the connection closes with no answer at all.
    admin(&running, "POST", "/faults", json!({ "rpc": "/iam/v1/tokens", "dropStream": true, "times": 1 })).await;
    let dropped = exchange_jwt(running.addr, &jwt).await;
    assert_eq!(dropped.status, 0, "no status line: {:?}", dropped.headers);

    // latencyMs delays (a long one is a hang for the client's timeout to catch).
    admin(&running, "POST", "/faults", json!({ "rpc": "/iam/v1/tokens", "latencyMs": 300, "times": 1 })).await;
    let started = std::time::Instant::now();
    assert_eq!(exchange_jwt(running.addr, &jwt).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A fault that cannot apply is refused with the reason.
    let addr = running.admin_addr.unwrap();
    let refused = request(addr, "POST", "/faults", "", &json!({ "httpStatus": 503 }).to_string()).await;
    assert_eq!(refused.status, 400);
    assert!(refused.json()["error"].as_str().unwrap().contains("/iam/v1/tokens"), "{}", refused.body);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn browsers_get_the_grpc_web_cors_rules_on_the_token_endpoints() {
    let running = server(every_endpoint(Duration::from_secs(60))).await;
    let origin = "http://127.0.0.1:8000";
    let preflight = format!(
        "origin: {origin}\r\naccess-control-request-method: POST\r\naccess-control-request-headers: content-type\r\n"
    );
    let answer = request(running.addr, "OPTIONS", cloud_auth::IAM_PATH, &preflight, "").await;
    assert_eq!(answer.status, 200, "{}", answer.headers);
    assert!(answer.headers.contains(&format!("access-control-allow-origin: {origin}")), "{}", answer.headers);
    assert!(answer.headers.contains("access-control-allow-methods: get,post,options"), "{}", answer.headers);
    let preflight = format!(
        "origin: {origin}\r\naccess-control-request-method: GET\r\naccess-control-request-headers: metadata-flavor\r\n"
    );
    assert_eq!(request(running.addr, "OPTIONS", METADATA, &preflight, "").await.status, 200);

    let headers = format!("origin: {origin}\r\ncontent-type: application/json\r\n");
    let body = json!({ "jwt": service_account_jwt(&keys().0, "kid-1", "sa-1") }).to_string();
    let answer = request(running.addr, "POST", cloud_auth::IAM_PATH, &headers, &body).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.contains(&format!("access-control-allow-origin: {origin}")), "{}", answer.headers);

    // Other origins are refused before the endpoint runs, as for gRPC-web.
    let answer = request(running.addr, "POST", cloud_auth::IAM_PATH, "origin: http://evil.test\r\n", &body).await;
    assert_eq!(answer.status, 403);
    assert!(!answer.headers.contains("access-control-allow-origin"), "{}", answer.headers);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn a_route_that_is_off_says_which_flag_turns_it_on_and_the_server_stays_open() {
    let running = server(cloud_auth::Config::default()).await;
    let answer = exchange_jwt(running.addr, &service_account_jwt(&keys().0, "kid-1", "sa-1")).await;
    assert_eq!((answer.status, answer.json()["code"].as_u64()), (404, Some(5)));
    assert!(answer.body.contains("--iam-key"), "{}", answer.body);
    let answer = request(running.addr, "GET", METADATA, "metadata-flavor: Google\r\n", "").await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("--metadata-token"), "{}", answer.body);
    let answer = oauth(running.addr, &[]).await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("--oauth-subject"), "{}", answer.body);
    assert_eq!(who_am_i(&running, None).await, Ok("anonymous".to_string()));
    running.stop().await.unwrap();
}
