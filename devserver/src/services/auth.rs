//! The Auth service: Login trades a user name and password for a token (see `crate::auth`).

use tonic::{Request, Response, Status};

use super::{operation_failed, operation_ok};
use crate::auth::LoginError;
use crate::engine::{EngineError, StatusCode};
use crate::proto::ydb::auth::v1::auth_service_server::AuthService;
use crate::proto::ydb::auth::{LoginRequest, LoginResponse, LoginResult};
use crate::state::State;

pub struct Auth {
    pub state: State,
}

#[tonic::async_trait]
impl AuthService for Auth {
    async fn login(&self, r: Request<LoginRequest>) -> Result<Response<LoginResponse>, Status> {
        let req = r.into_inner();
        let operation = match self.state.auth.login(&req.user, &req.password) {
            Ok(token) => operation_ok("Ydb.Auth.LoginResult", &LoginResult { token }),
            Err(LoginError::UnknownUser) => {
                operation_failed(&EngineError::new(StatusCode::Unauthorized, format!("Invalid user: {}", req.user)))
            }
            Err(LoginError::InvalidPassword) => {
                operation_failed(&EngineError::new(StatusCode::Unauthorized, "Invalid password"))
            }
        };
        Ok(Response::new(LoginResponse { operation: Some(operation) }))
    }
}
