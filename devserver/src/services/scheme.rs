//! The Scheme service: directories, listings, path descriptions and permissions.
//!
//! Answers are Operations like the Table service's; the directory tree and the rights live in the
//! engine's catalog (so they persist with `--data`), this module only maps protos.

use tonic::{Request, Response, Status};

use super::{blocking, operation_done, operation_failed, operation_ok};
use crate::engine::{EngineError, EntryKind, PathEntry, PermissionAction};
use crate::proto::ydb::operations::Operation;
use crate::proto::ydb::scheme::v1::scheme_service_server::SchemeService;
use crate::proto::ydb::scheme::*;
use crate::state::{database_of, State};

pub struct Scheme {
    pub state: State,
}

fn permissions(list: &[(String, Vec<String>)]) -> Vec<Permissions> {
    list.iter()
        .map(|(subject, names)| Permissions { subject: subject.clone(), permission_names: names.clone() })
        .collect()
}

/// A scheme entry as YDB sends it.
pub fn entry_proto(e: &PathEntry) -> Entry {
    let kind = match e.kind {
        EntryKind::Database => entry::Type::Database,
        EntryKind::Directory => entry::Type::Directory,
        EntryKind::Table => entry::Type::Table,
    };
    Entry {
        name: e.name.clone(),
        owner: e.owner.clone(),
        r#type: kind as i32,
        effective_permissions: permissions(&e.effective_permissions),
        permissions: permissions(&e.permissions),
        ..Default::default()
    }
}

fn answer(result: Result<Operation, EngineError>) -> Option<Operation> {
    Some(result.unwrap_or_else(|e| operation_failed(&e)))
}

#[tonic::async_trait]
impl SchemeService for Scheme {
    async fn make_directory(
        &self,
        r: Request<MakeDirectoryRequest>,
    ) -> Result<Response<MakeDirectoryResponse>, Status> {
        let database = database_of(&r);
        let owner = crate::auth::caller(&self.state.auth, &r);
        let path = r.into_inner().path;
        let engine = self.state.engine.clone();
        let result = blocking(move || {
            engine.make_directory(&database, &path)?;
            owner.map_or(Ok(()), |owner| engine.set_owner(&database, &path, &owner))
        })
        .await
        .map(|()| operation_done());
        Ok(Response::new(MakeDirectoryResponse { operation: answer(result) }))
    }

    async fn remove_directory(
        &self,
        r: Request<RemoveDirectoryRequest>,
    ) -> Result<Response<RemoveDirectoryResponse>, Status> {
        let database = database_of(&r);
        let path = r.into_inner().path;
        let engine = self.state.engine.clone();
        let result = blocking(move || engine.remove_directory(&database, &path)).await.map(|()| operation_done());
        Ok(Response::new(RemoveDirectoryResponse { operation: answer(result) }))
    }

    async fn list_directory(
        &self,
        r: Request<ListDirectoryRequest>,
    ) -> Result<Response<ListDirectoryResponse>, Status> {
        let database = database_of(&r);
        let path = r.into_inner().path;
        let engine = self.state.engine.clone();
        let result = blocking(move || engine.list_directory(&database, &path)).await.map(|(this, children)| {
            let result = ListDirectoryResult {
                self_: Some(entry_proto(&this)),
                children: children.iter().map(entry_proto).collect(),
            };
            operation_ok("Ydb.Scheme.ListDirectoryResult", &result)
        });
        Ok(Response::new(ListDirectoryResponse { operation: answer(result) }))
    }

    async fn describe_path(&self, r: Request<DescribePathRequest>) -> Result<Response<DescribePathResponse>, Status> {
        let database = database_of(&r);
        let path = r.into_inner().path;
        let engine = self.state.engine.clone();
        let result = blocking(move || engine.describe_path(&database, &path)).await.map(|e| {
            operation_ok("Ydb.Scheme.DescribePathResult", &DescribePathResult { self_: Some(entry_proto(&e)) })
        });
        Ok(Response::new(DescribePathResponse { operation: answer(result) }))
    }

    async fn modify_permissions(
        &self,
        r: Request<ModifyPermissionsRequest>,
    ) -> Result<Response<ModifyPermissionsResponse>, Status> {
        let database = database_of(&r);
        let req = r.into_inner();
        let actions: Vec<PermissionAction> = req
            .actions
            .into_iter()
            .filter_map(|a| {
                Some(match a.action? {
                    permissions_action::Action::Grant(p) => PermissionAction::Grant(p.subject, p.permission_names),
                    permissions_action::Action::Revoke(p) => PermissionAction::Revoke(p.subject, p.permission_names),
                    permissions_action::Action::Set(p) => PermissionAction::Set(p.subject, p.permission_names),
                    permissions_action::Action::ChangeOwner(o) => PermissionAction::ChangeOwner(o),
                })
            })
            .collect();
        let engine = self.state.engine.clone();
        let (path, clear) = (req.path, req.clear_permissions);
        let result = blocking(move || engine.modify_permissions(&database, &path, &actions, clear))
            .await
            .map(|()| operation_done());
        Ok(Response::new(ModifyPermissionsResponse { operation: answer(result) }))
    }
}
