//! Metadata credentials: the token of the service account attached to a Yandex Cloud VM or function
//! (or a Google Compute Engine instance), from the instance metadata service
//! (`GET …/computeMetadata/v1/instance/service-accounts/default/token` with `Metadata-Flavor: Google` →
//! `{"access_token", "expires_in", "token_type"}`), as the official SDKs read it.

use super::http::{json_answer, string_field, HttpClient, HttpRequest, REQUEST_TIMEOUT_MS};
use super::service_account::named;
use super::{Token, TokenSource};
use crate::clock::now_ms;
use crate::error::{Error, Quoted, Result};
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;

/// The metadata service's token URL inside Yandex Cloud (and Google Cloud).
pub const DEFAULT_METADATA_URL: &str =
    "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token";

pub struct MetadataTokenSource {
    url: String,
    http: Rc<dyn HttpClient>,
}

impl MetadataTokenSource {
    pub fn new(url: Option<String>, http: Rc<dyn HttpClient>) -> Result<MetadataTokenSource> {
        let url = url.unwrap_or_else(|| DEFAULT_METADATA_URL.into());
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(Error::argument(format!("the metadata url must be an http(s):// URL, got {}", Quoted(&url))));
        }
        Ok(MetadataTokenSource { url, http })
    }
}

impl TokenSource for MetadataTokenSource {
    fn describe(&self) -> String {
        format!("the metadata service {}", self.url)
    }

    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
        Box::pin(async move {
            let what = self.describe();
            let request = HttpRequest {
                method: "GET",
                url: self.url.clone(),
                headers: vec![("metadata-flavor", "Google".into())],
                body: None,
                timeout_ms: REQUEST_TIMEOUT_MS,
            };
            let asked_at = now_ms();
            let response = self.http.send(request).await.map_err(|e| named(e, &what))?;
            let doc = json_answer(&what, &response)?;
            let value = string_field(&what, &doc, "access_token")?;
            let expires_in = doc
                .get("expires_in")
                .and_then(super::json::Json::as_f64)
                .filter(|s| *s > 0.0 && s.is_finite())
                .ok_or_else(|| Error::protocol(format!("{what} answered without a positive expires_in")))?;
            Ok(Token { value, expires_at_ms: asked_at + expires_in * 1000.0 })
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::http::HttpResponse;
    use super::super::service_account::tests::FakeHttp;
    use super::*;

    #[test]
    fn asks_with_the_flavor_header_and_reads_the_lifetime() {
        let http = Rc::new(FakeHttp::default());
        http.answers.borrow_mut().push(Ok(HttpResponse {
            status: 200,
            body: r#"{"access_token":"m1","expires_in":43200,"token_type":"Bearer"}"#.into(),
        }));
        http.answers.borrow_mut().push(Ok(HttpResponse { status: 200, body: r#"{"access_token":"m1"}"#.into() }));
        let source = MetadataTokenSource::new(None, http.clone()).expect("source");
        let before = now_ms();
        let token = futures_executor::block_on(source.fetch()).expect("token");
        assert_eq!(token.value, "m1");
        assert!(token.expires_at_ms >= before + 43_200_000.0);
        let requests = http.requests.borrow();
        let (method, url, headers, _) = requests.first().expect("a request");
        assert_eq!((method.as_str(), url.as_str()), ("GET", DEFAULT_METADATA_URL));
        assert!(headers.contains(&("metadata-flavor", "Google".to_string())));
        drop(requests);
        let e = futures_executor::block_on(source.fetch()).expect_err("no expiry");
        assert!(e.message().contains("expires_in"));
        assert!(MetadataTokenSource::new(Some("169.254.169.254".into()), http).is_err());
    }
}
