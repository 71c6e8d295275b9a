//! Where a driver connects and as whom, in the forms YDB hands them out: a connection string
//! (`grpcs://host:2135/?database=/ru/home/db`, what every YDB console and doc shows) and the environment
//! variables the official SDKs read (`YDB_CONNECTION_STRING`, `YDB_ACCESS_TOKEN_CREDENTIALS`, …).
//!
//! This client speaks gRPC-web, so a `grpc(s)://` endpoint is taken as `http(s)://` on the same host and
//! port: the endpoint must be a gRPC-web proxy in front of YDB, or the dev server. Nothing here reads
//! the environment itself — the caller hands over a lookup — so the rules are the same in every runtime.

use crate::error::{Error, Quoted, Result};
use crate::substring;
use crate::transport::channel::normalize_endpoint;

/// An endpoint and a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionString {
    pub endpoint: String,
    pub database: String,
}

const EXPECTED: &str = "expected grpc(s)://host:port/?database=/path or http(s)://host:port/path";

impl ConnectionString {
    /// The driver's options: a `connectionString`, or else both an `endpoint` and a `database`.
    pub fn from_options(text: Option<String>, endpoint: Option<String>, database: Option<String>) -> Result<Self> {
        if let Some(text) = text {
            return ConnectionString::parse(&text);
        }
        let required = |what: &str| Error::argument(format!("option {what} (or connectionString) is required"));
        Ok(ConnectionString {
            endpoint: endpoint.ok_or_else(|| required("endpoint"))?,
            database: database.ok_or_else(|| required("database"))?,
        })
    }

    /// Parses `scheme://host[:port][/path][?database=/path]`; the database comes from `?database=`, or
    /// else from the path.
    pub fn parse(text: &str) -> Result<ConnectionString> {
        let bad = |why: &str| Error::argument(format!("connection string {}: {why} ({EXPECTED})", Quoted(text)));
        let text = text.trim();
        let (scheme, rest) = substring::split_once(text, "://").ok_or_else(|| bad("no scheme"))?;
        if !matches!(scheme, "grpc" | "grpcs" | "http" | "https") {
            return Err(bad("the scheme must be grpc, grpcs, http or https"));
        }
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = location.split_once('/').map_or((location, ""), |(a, p)| (a, p));
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let mut database = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == "database" {
                database = Some(percent_decode(value).ok_or_else(|| bad("a malformed %-escape in the database"))?);
            }
        }
        let database = match database {
            Some(d) => d,
            None if !path.trim_matches('/').is_empty() => {
                format!("/{}", percent_decode(path).ok_or_else(|| bad("a malformed %-escape in the path"))?)
            }
            None => return Err(bad("no database (add ?database=/path)")),
        };
        if !database.starts_with('/') || database.trim_matches('/').is_empty() {
            return Err(bad("the database must be a path such as /local"));
        }
        let endpoint = normalize_endpoint(&format!("{scheme}://{authority}"))?;
        Ok(ConnectionString { endpoint, database: database.trim_end_matches('/').to_string() })
    }
}

/// `%XX` escapes decoded; `None` for a malformed one or bytes that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            out.push(u8::try_from(crate::digits::hex(hex)?).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The credentials the environment names.
#[derive(Clone, PartialEq, Eq)]
pub enum EnvCredentials {
    /// None named, or `YDB_ANONYMOUS_CREDENTIALS=1`.
    Anonymous,
    /// `YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS`: the key file's JSON itself.
    ServiceAccountKey(String),
    /// `YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS`: the path of the key file.
    ServiceAccountKeyFile(String),
    /// `YDB_METADATA_CREDENTIALS=1`.
    Metadata,
    /// `YDB_ACCESS_TOKEN_CREDENTIALS`.
    AccessToken(String),
    /// `YDB_STATIC_CREDENTIALS_USER` and `YDB_STATIC_CREDENTIALS_PASSWORD`.
    Static { user: String, password: String },
    /// `YDB_OAUTH2_KEY_FILE`: the path of an OAuth 2.0 token-exchange config (the Python SDK's format).
    OAuth2KeyFile(String),
}

impl std::fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvCredentials::Anonymous => f.write_str("Anonymous"),
            EnvCredentials::ServiceAccountKey(_) => f.write_str("ServiceAccountKey(<redacted>)"),
            EnvCredentials::ServiceAccountKeyFile(path) => write!(f, "ServiceAccountKeyFile({})", Quoted(path)),
            EnvCredentials::Metadata => f.write_str("Metadata"),
            EnvCredentials::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
            EnvCredentials::Static { user, .. } => {
                write!(f, "Static {{ user: {}, password: <redacted> }}", Quoted(user))
            }
            EnvCredentials::OAuth2KeyFile(path) => write!(f, "OAuth2KeyFile({})", Quoted(path)),
        }
    }
}

/// What a driver made from the environment connects to, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvConfig {
    pub connection: ConnectionString,
    pub credentials: EnvCredentials,
}

/// Reads `YDB_CONNECTION_STRING` and the credentials variables through `get`, in the order of the official
/// SDKs (Go's `ydb-go-sdk-auth-environ`, Python's `credentials_from_env_variables`): a service-account key
/// (the JSON itself, then a file), anonymous, the metadata service, an access token, a static user, an
/// OAuth 2.0 token-exchange config file; anonymous when none is set (Python would try the metadata
/// service, which outside a cloud VM only fails later).
pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<EnvConfig> {
    let set = |name: &str| get(name).filter(|v| !v.is_empty());
    let text = set("YDB_CONNECTION_STRING")
        .ok_or_else(|| Error::argument(format!("YDB_CONNECTION_STRING is not set ({EXPECTED})")))?;
    let connection = ConnectionString::parse(&text)?;
    let on = |name: &str| set(name).is_some_and(|v| v == "1");
    let credentials = if let Some(key) = set("YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS") {
        EnvCredentials::ServiceAccountKey(key)
    } else if let Some(path) = set("YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS") {
        EnvCredentials::ServiceAccountKeyFile(path)
    } else if on("YDB_ANONYMOUS_CREDENTIALS") {
        EnvCredentials::Anonymous
    } else if on("YDB_METADATA_CREDENTIALS") {
        EnvCredentials::Metadata
    } else if let Some(token) = set("YDB_ACCESS_TOKEN_CREDENTIALS") {
        EnvCredentials::AccessToken(token)
    } else if let Some(user) = set("YDB_STATIC_CREDENTIALS_USER") {
        EnvCredentials::Static { user, password: get("YDB_STATIC_CREDENTIALS_PASSWORD").unwrap_or_default() }
    } else if let Some(path) = set("YDB_OAUTH2_KEY_FILE") {
        EnvCredentials::OAuth2KeyFile(path)
    } else {
        EnvCredentials::Anonymous
    };
    Ok(EnvConfig { connection, credentials })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_a_connection_string_or_an_endpoint_with_a_database() {
        let c = ConnectionString::from_options(Some("grpc://h:2136/?database=/local".into()), None, None);
        assert_eq!(c.map(|c| c.database).ok().as_deref(), Some("/local"));
        let parts = ConnectionString::from_options(None, Some("http://h".into()), Some("/db".into()));
        assert_eq!(parts.ok(), Some(ConnectionString { endpoint: "http://h".into(), database: "/db".into() }));
        let missing = ConnectionString::from_options(None, Some("http://h".into()), None).err();
        assert!(missing.is_some_and(|e| e.message().contains("database")));
    }

    fn parsed(text: &str) -> (String, String) {
        let c = ConnectionString::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (c.endpoint, c.database)
    }

    #[test]
    fn every_documented_form_parses() {
        let pair = |e: &str, d: &str| (e.to_string(), d.to_string());
        assert_eq!(
            parsed("grpcs://ydb.example.net:2135/?database=/ru/home/db"),
            pair("https://ydb.example.net:2135", "/ru/home/db")
        );
        assert_eq!(parsed("grpc://localhost:2136?database=/local"), pair("http://localhost:2136", "/local"));
        assert_eq!(parsed("http://127.0.0.1:2136/local"), pair("http://127.0.0.1:2136", "/local"));
        assert_eq!(
            parsed("https://proxy.example.net/ru-central1/b1g/etn?x=1"),
            pair("https://proxy.example.net", "/ru-central1/b1g/etn")
        );
        assert_eq!(parsed("  grpcs://h:1/?database=%2Fru%2Fhome%2Fdb%20x/  "), pair("https://h:1", "/ru/home/db x"));
        assert_eq!(parsed("grpc://h:1/ignored?a=b&database=/wins#frag"), pair("http://h:1", "/wins"));
        assert_eq!(parsed("grpc://[::1]:2136/?database=/local"), pair("http://[::1]:2136", "/local"));
    }

    #[test]
    fn bad_strings_say_what_form_is_expected() {
        for text in [
            "",
            "localhost:2136/?database=/local",
            "ftp://h:1/?database=/local",
            "grpc:///?database=/local",
            "grpc://h:1",
            "grpc://h:1/",
            "grpc://h:1/?database=local",
            "grpc://h:1/?database=/",
            "grpc://h:1/?database=%zz",
            "grpc://h:1/?database=%C3",
        ] {
            let e = ConnectionString::parse(text).expect_err(text);
            assert_eq!(e.kind(), crate::ErrorKind::Argument, "{text}");
            assert!(e.message().contains("expected grpc(s)://"), "{text}: {}", e.message());
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_environment_names_the_connection_and_credentials_in_the_sdks_order() {
        let cs = ("YDB_CONNECTION_STRING", "grpc://localhost:2136/?database=/local");
        let c = from_env(&env(&[cs])).expect("anonymous by default");
        assert_eq!(c.connection.database, "/local");
        assert_eq!(c.credentials, EnvCredentials::Anonymous);
        let token = from_env(&env(&[cs, ("YDB_ACCESS_TOKEN_CREDENTIALS", "t0ken")])).expect("token");
        assert_eq!(token.credentials, EnvCredentials::AccessToken("t0ken".into()));
        assert!(!format!("{token:?}").contains("t0ken"), "debug output hides the token");
        let anon = from_env(&env(&[cs, ("YDB_ANONYMOUS_CREDENTIALS", "1"), ("YDB_ACCESS_TOKEN_CREDENTIALS", "t")]));
        assert_eq!(anon.map(|c| c.credentials).ok(), Some(EnvCredentials::Anonymous));
        let user =
            from_env(&env(&[cs, ("YDB_STATIC_CREDENTIALS_USER", "u"), ("YDB_STATIC_CREDENTIALS_PASSWORD", "p")]));
        let user = user.expect("static");
        assert_eq!(user.credentials, EnvCredentials::Static { user: "u".into(), password: "p".into() });
        assert!(!format!("{user:?}").contains("\"p\""));
        assert!(from_env(&env(&[])).is_err(), "no connection string");
    }

    #[test]
    fn cloud_credentials_come_first_as_in_the_official_sdks() {
        let cs =
            ("YDB_CONNECTION_STRING", "grpcs://ydb.serverless.yandexcloud.net:2135/?database=/ru-central1/b1g/etn");
        let creds = |vars: &[(&str, &str)]| {
            let mut all = vec![cs];
            all.extend_from_slice(vars);
            let credentials = from_env(&env(&all)).map(|c| c.credentials).expect("parsed");
            credentials
        };
        let key = ("YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS", "{\"private_key\":\"s3cret\"}");
        let file = ("YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS", "/keys/sa.json");
        let metadata = ("YDB_METADATA_CREDENTIALS", "1");
        let token = ("YDB_ACCESS_TOKEN_CREDENTIALS", "t");
        let oauth = ("YDB_OAUTH2_KEY_FILE", "/keys/oauth.json");
        let json = creds(&[key, file, metadata, token]);
        assert_eq!(json, EnvCredentials::ServiceAccountKey("{\"private_key\":\"s3cret\"}".into()));
        assert!(!format!("{json:?}").contains("s3cret"), "the key never shows");
        assert_eq!(creds(&[file, metadata, token]), EnvCredentials::ServiceAccountKeyFile("/keys/sa.json".into()));
        assert_eq!(creds(&[metadata, token, oauth]), EnvCredentials::Metadata);
        assert_eq!(creds(&[("YDB_METADATA_CREDENTIALS", "0"), token]), EnvCredentials::AccessToken("t".into()));
        assert_eq!(creds(&[("YDB_ANONYMOUS_CREDENTIALS", "1"), metadata]), EnvCredentials::Anonymous);
        assert_eq!(creds(&[oauth]), EnvCredentials::OAuth2KeyFile("/keys/oauth.json".into()));
        assert_eq!(creds(&[token, oauth]), EnvCredentials::AccessToken("t".into()));
    }
}
