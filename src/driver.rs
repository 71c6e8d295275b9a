//! The driver: the channel to the database, the readiness check, and shutdown.
//!
//! Behind a gRPC-web proxy the endpoints that discovery lists speak plain gRPC and cannot be reached
//! from a JS runtime, so the driver sends every call to the configured endpoint and uses discovery
//! (ListEndpoints) as the readiness check of `wait`.

use crate::auth::Credentials;
use crate::error::{Error, Result, Status};
use crate::proto::ydb::discovery;
use crate::transport::methods::discovery_service as rpc;
use crate::transport::operation::result_of;
use crate::transport::{CallOptions, Channel};
use std::cell::RefCell;
use std::rc::Rc;

/// A connection to one YDB database.
#[derive(Clone)]
pub struct Driver {
    channel: Channel,
    last_discovery: Rc<RefCell<String>>,
}

impl Driver {
    pub fn new(endpoint: &str, database: &str, credentials: Rc<dyn Credentials>) -> Result<Driver> {
        Ok(Driver { channel: Channel::new(endpoint, database, credentials)?, last_discovery: Rc::default() })
    }

    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Asks the database for its endpoints once.
    pub async fn discover(&self, opts: &CallOptions) -> Result<discovery::ListEndpointsResult> {
        let req =
            discovery::ListEndpointsRequest { database: self.channel.database().to_string(), ..Default::default() };
        let outcome = async {
            let r = self.channel.unary(&rpc::LIST_ENDPOINTS, &req, opts).await?;
            result_of::<discovery::ListEndpointsResult>(r.operation)
        };
        let result = outcome.await;
        *self.last_discovery.borrow_mut() = match &result {
            Ok(r) => {
                let eps: Vec<String> = r.endpoints.iter().map(|e| format!("{}:{}", e.address, e.port)).collect();
                format!(
                    "ok: endpoint {}, database {}, discovered [{}]",
                    self.channel.endpoint(),
                    self.channel.database(),
                    eps.join(", ")
                )
            }
            Err(e) => {
                format!("failed: endpoint {}, database {}: {e}", self.channel.endpoint(), self.channel.database())
            }
        };
        if let Ok(r) = &result {
            if r.endpoints.is_empty() {
                return Err(Error::new(crate::ErrorKind::Ydb, Status::Unavailable, "discovery returned no endpoints"));
            }
        }
        result
    }

    /// What the last discovery attempt saw, for diagnostics.
    pub fn discovery_debug_details(&self) -> String {
        let d = self.last_discovery.borrow();
        if d.is_empty() {
            format!("not discovered yet: endpoint {}, database {}", self.channel.endpoint(), self.channel.database())
        } else {
            d.clone()
        }
    }
}
