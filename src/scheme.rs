//! The Scheme service: directories, listings, path descriptions and permissions.

use crate::discovery::Endpoints;
use crate::error::Result;
use crate::proto::ydb::scheme;
use crate::table::schema::full_path;
use crate::transport::methods::scheme_service as rpc;
use crate::transport::operation::{check, result_of};
use crate::transport::{CallOptions, Channel};

/// A client of the Scheme service; cheap to clone. Each call goes where the driver's balancer says.
#[derive(Clone)]
pub struct SchemeClient {
    endpoints: Endpoints,
}

impl SchemeClient {
    pub fn new(endpoints: Endpoints) -> SchemeClient {
        SchemeClient { endpoints }
    }

    fn path(&self, path: &str) -> Result<String> {
        full_path(self.endpoints.seed().database(), path)
    }

    fn channel(&self) -> Channel {
        self.endpoints.pick()
    }

    pub async fn make_directory(&self, path: &str, opts: &CallOptions) -> Result<()> {
        let req = scheme::MakeDirectoryRequest { path: self.path(path)?, ..Default::default() };
        check(self.channel().unary(&rpc::MAKE_DIRECTORY, &req, opts).await?.operation).map(|_| ())
    }

    pub async fn remove_directory(&self, path: &str, opts: &CallOptions) -> Result<()> {
        let req = scheme::RemoveDirectoryRequest { path: self.path(path)?, ..Default::default() };
        check(self.channel().unary(&rpc::REMOVE_DIRECTORY, &req, opts).await?.operation).map(|_| ())
    }

    pub async fn list_directory(&self, path: &str, opts: &CallOptions) -> Result<scheme::ListDirectoryResult> {
        let req = scheme::ListDirectoryRequest { path: self.path(path)?, ..Default::default() };
        result_of(self.channel().unary(&rpc::LIST_DIRECTORY, &req, opts).await?.operation)
    }

    pub async fn describe_path(&self, path: &str, opts: &CallOptions) -> Result<scheme::DescribePathResult> {
        let req = scheme::DescribePathRequest { path: self.path(path)?, ..Default::default() };
        result_of(self.channel().unary(&rpc::DESCRIBE_PATH, &req, opts).await?.operation)
    }

    pub async fn modify_permissions(
        &self,
        path: &str,
        actions: Vec<scheme::PermissionsAction>,
        clear_permissions: bool,
        opts: &CallOptions,
    ) -> Result<()> {
        let req = scheme::ModifyPermissionsRequest {
            path: self.path(path)?,
            actions,
            clear_permissions,
            ..Default::default()
        };
        check(self.channel().unary(&rpc::MODIFY_PERMISSIONS, &req, opts).await?.operation).map(|_| ())
    }
}
