//! The cloud credentials by kind, as the JS classes and the environment name them: which token source
//! a kind is, built from its document (a key file's JSON, an OAuth config) now or, when the document is
//! still being read from a file, on the first call that needs a token.

use super::http::HttpClient;
use super::metadata::MetadataTokenSource;
use super::oauth::OAuthTokenSource;
use super::service_account::{IamSettings, IamTokenSource, SignerFactory};
use super::{LazySource, TokenCache, TokenSource};
use crate::error::{Error, Quoted, Result};
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;

/// A kind of cloud credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudKind {
    /// A service-account key (its JSON) exchanged at IAM.
    ServiceAccountKey,
    /// The instance metadata service (no document).
    Metadata,
    /// An OAuth 2.0 token exchange (its config JSON).
    OAuth2,
}

impl CloudKind {
    /// The kind's name, as the JS side and the logs spell it.
    pub fn name(self) -> &'static str {
        match self {
            CloudKind::ServiceAccountKey => "serviceAccountKey",
            CloudKind::Metadata => "metadata",
            CloudKind::OAuth2 => "oauth2",
        }
    }

    pub fn from_name(name: &str) -> Result<CloudKind> {
        match name {
            "serviceAccountKey" => Ok(CloudKind::ServiceAccountKey),
            "metadata" => Ok(CloudKind::Metadata),
            "oauth2" => Ok(CloudKind::OAuth2),
            _ => Err(Error::argument(format!("unknown credentials kind {}", Quoted(name)))),
        }
    }
}

/// Everything a cloud credential needs besides its document.
#[derive(Clone)]
pub struct CloudSettings {
    pub kind: CloudKind,
    /// The IAM endpoint, the metadata URL, or the token endpoint overriding the config's.
    pub endpoint: Option<String>,
    /// The IAM JWT's audience.
    pub audience: Option<String>,
    pub http: Rc<dyn HttpClient>,
    pub make_signer: SignerFactory,
    /// Where the token refreshes are logged.
    pub observer: crate::observe::Observer,
}

impl CloudSettings {
    /// The token source of `document` (ignored by the metadata kind).
    pub fn source(&self, document: &str) -> Result<Rc<dyn TokenSource>> {
        let http = self.http.clone();
        Ok(match self.kind {
            CloudKind::ServiceAccountKey => {
                let iam = IamSettings { endpoint: self.endpoint.clone(), audience: self.audience.clone() };
                Rc::new(IamTokenSource::new(document, iam, http, self.make_signer)?)
            }
            CloudKind::Metadata => Rc::new(MetadataTokenSource::new(self.endpoint.clone(), http)?),
            CloudKind::OAuth2 => {
                Rc::new(OAuthTokenSource::new(document, self.endpoint.clone(), http, self.make_signer)?)
            }
        })
    }

    /// Credentials for a document known now: a bad one is an error now.
    pub fn credentials(&self, document: &str) -> Result<TokenCache> {
        Ok(self.cache(self.source(document)?))
    }

    /// Credentials for a document still being read (`what` names it for errors: a file path); a bad
    /// document fails the calls that need a token.
    pub fn credentials_later(&self, what: String, document: LocalBoxFuture<'static, Result<String>>) -> TokenCache {
        let settings = self.clone();
        let build = Box::pin(async move { settings.source(&document.await?) });
        self.cache(Rc::new(LazySource::new(what, build)))
    }

    fn cache(&self, source: Rc<dyn TokenSource>) -> TokenCache {
        TokenCache::new(source).with_observer(self.observer.clone(), self.kind.name())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::http::HttpResponse;
    use super::super::service_account::tests::{fake_signer, FakeHttp};
    use super::*;
    use futures_executor::block_on;

    fn settings(kind: CloudKind, http: Rc<FakeHttp>) -> CloudSettings {
        let observer = Default::default();
        CloudSettings { kind, endpoint: None, audience: None, http, make_signer: fake_signer, observer }
    }

    #[test]
    fn a_document_read_later_is_parsed_on_the_first_call() {
        let http = Rc::new(FakeHttp::default());
        http.answers.borrow_mut().push(Ok(HttpResponse {
            status: 200,
            body: r#"{"iamToken":"t1","expiresAt":"2099-01-01T00:00:00Z"}"#.into(),
        }));
        let key = super::super::key::tests::key_json(super::super::key::tests::PEM);
        let s = settings(CloudKind::ServiceAccountKey, http);
        let creds = s.credentials_later("the key file /k.json".into(), Box::pin(async move { Ok(key) }));
        assert_eq!(block_on(creds.get()).ok().as_deref(), Some("t1"));
        let broken = s.credentials_later("the key file /bad.json".into(), Box::pin(async { Ok("{".to_string()) }));
        let e = block_on(broken.get()).expect_err("bad key");
        assert!(e.message().contains("not JSON"), "{}", e.message());
        assert!(s.credentials("{}").is_err(), "a document known now is checked now");
        assert_eq!(CloudKind::from_name("metadata").ok(), Some(CloudKind::Metadata));
        assert!(CloudKind::from_name("magic").is_err());
    }
}
