//! Discovery: lists the server's running nodes as the database's endpoints, and says who the caller is.

use tonic::{Request, Response, Status};

use super::operation_ok;
use crate::proto::ydb::discovery::v1::discovery_service_server::DiscoveryService;
use crate::proto::ydb::discovery::{
    EndpointInfo, ListEndpointsRequest, ListEndpointsResponse, ListEndpointsResult, WhoAmIRequest, WhoAmIResponse,
    WhoAmIResult,
};
use crate::state::State;

/// The services a node of this server offers, as ListEndpoints names them.
const SERVICES: &[&str] = &["discovery", "table_service", "query_service", "scheme_service", "auth"];

pub struct Discovery {
    pub state: State,
}

#[tonic::async_trait]
impl DiscoveryService for Discovery {
    async fn list_endpoints(
        &self,
        _request: Request<ListEndpointsRequest>,
    ) -> Result<Response<ListEndpointsResponse>, Status> {
        let endpoints = self
            .state
            .directory
            .up()
            .into_iter()
            .map(|node| EndpointInfo {
                address: node.host,
                port: u32::from(node.port),
                load_factor: 0.0,
                ssl: false,
                service: SERVICES.iter().map(|s| s.to_string()).collect(),
                location: "local".to_string(),
                node_id: node.node_id,
                ..Default::default()
            })
            .collect();
        let result = ListEndpointsResult { endpoints, self_location: "local".to_string() };
        Ok(Response::new(ListEndpointsResponse {
            operation: Some(operation_ok("Ydb.Discovery.ListEndpointsResult", &result)),
        }))
    }

    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let token = request.metadata().get(crate::auth::TICKET_HEADER).and_then(|v| v.to_str().ok());
        let user = token.and_then(|t| self.state.auth.user_of(t).ok()).unwrap_or_else(|| "anonymous".to_string());
        let result = WhoAmIResult { user, groups: Vec::new() };
        Ok(Response::new(WhoAmIResponse { operation: Some(operation_ok("Ydb.Discovery.WhoAmIResult", &result)) }))
    }
}
