//! The Scheme service: directories, listings, path descriptions and permissions.

use crate::discovery::Endpoints;
use crate::error::Result;
use crate::plain::{list, object, Plain};
use crate::proto::ydb::scheme;
use crate::table::schema::full_path;
use crate::transport::methods::scheme_service as rpc;
use crate::transport::operation::result_in;
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
        self.channel().operation(&rpc::MAKE_DIRECTORY, &req, opts).await.map(|_| ())
    }

    pub async fn remove_directory(&self, path: &str, opts: &CallOptions) -> Result<()> {
        let req = scheme::RemoveDirectoryRequest { path: self.path(path)?, ..Default::default() };
        self.channel().operation(&rpc::REMOVE_DIRECTORY, &req, opts).await.map(|_| ())
    }

    pub async fn list_directory(&self, path: &str, opts: &CallOptions) -> Result<scheme::ListDirectoryResult> {
        let req = scheme::ListDirectoryRequest { path: self.path(path)?, ..Default::default() };
        result_in(self.channel().operation(&rpc::LIST_DIRECTORY, &req, opts).await?)
    }

    pub async fn describe_path(&self, path: &str, opts: &CallOptions) -> Result<scheme::DescribePathResult> {
        let req = scheme::DescribePathRequest { path: self.path(path)?, ..Default::default() };
        result_in(self.channel().operation(&rpc::DESCRIBE_PATH, &req, opts).await?)
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
        self.channel().operation(&rpc::MODIFY_PERMISSIONS, &req, opts).await.map(|_| ())
    }
}

/// A `modifyPermissions` action: `grant`, `revoke` or `set` `permission_names` for `subject`; `changeOwner` to
/// `subject`. Each needs a subject.
pub fn permissions_action(
    kind: Option<&str>,
    subject: Option<String>,
    permission_names: Vec<String>,
) -> Result<scheme::PermissionsAction> {
    use scheme::permissions_action::Action;
    let unknown = || crate::Error::argument("a permissions action must be grant, revoke, set or changeOwner");
    let kind = kind.ok_or_else(unknown)?;
    let subject = subject.ok_or_else(|| crate::Error::argument("a permission needs a subject"))?;
    let permissions = scheme::Permissions { subject, permission_names };
    let action = match kind {
        "grant" => Action::Grant(permissions),
        "revoke" => Action::Revoke(permissions),
        "set" => Action::Set(permissions),
        "changeOwner" => Action::ChangeOwner(permissions.subject),
        _ => return Err(unknown()),
    };
    Ok(scheme::PermissionsAction { action: Some(action) })
}

/// The kinds of [`permissions_action`], in the order a JS action object is read.
pub const PERMISSIONS_ACTIONS: [&str; 4] = ["grant", "revoke", "set", "changeOwner"];

/// An entry's type as the JS API names it (`'TABLE'`, `'DIRECTORY'`, …).
pub fn entry_type_name(t: i32) -> &'static str {
    use scheme::entry::Type as T;
    match T::try_from(t).unwrap_or(T::Unspecified) {
        T::Directory => "DIRECTORY",
        T::Table => "TABLE",
        T::Database => "DATABASE",
        T::ColumnTable => "COLUMN_TABLE",
        T::Topic => "TOPIC",
        T::View => "VIEW",
        T::ExternalTable => "EXTERNAL_TABLE",
        T::Sequence => "SEQUENCE",
        T::CoordinationNode => "COORDINATION_NODE",
        _ => "UNKNOWN",
    }
}

fn permissions_plain(p: &scheme::Permissions) -> Plain {
    object(vec![("subject", (&p.subject).into()), ("permissionNames", (&p.permission_names).into())])
}

/// An entry as `{ name, type, owner, permissions, effectivePermissions }` (an empty one when the server
/// sent none), plus `extra` fields.
fn entry_plain(e: Option<&scheme::Entry>, extra: Option<(&'static str, Plain)>) -> Plain {
    let empty = scheme::Entry::default();
    let e = e.unwrap_or(&empty);
    let mut fields = vec![
        ("name", (&e.name).into()),
        ("type", entry_type_name(e.r#type).into()),
        ("owner", (&e.owner).into()),
        ("permissions", list(&e.permissions, permissions_plain)),
        ("effectivePermissions", list(&e.effective_permissions, permissions_plain)),
    ];
    fields.extend(extra);
    object(fields)
}

/// DescribePath's answer: the path's entry.
pub fn path_plain(d: &scheme::DescribePathResult) -> Plain {
    entry_plain(d.self_.as_ref(), None)
}

/// ListDirectory's answer: the directory's own entry with `children`.
pub fn directory_plain(d: &scheme::ListDirectoryResult) -> Plain {
    entry_plain(d.self_.as_ref(), Some(("children", list(&d.children, |c| entry_plain(Some(c), None)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_actions_are_known_by_name() {
        use scheme::permissions_action::Action;
        let grant = permissions_action(Some("grant"), Some("alice".into()), vec!["ydb.generic.read".into()]).ok();
        assert!(matches!(grant.and_then(|a| a.action), Some(Action::Grant(p)) if p.subject == "alice"));
        let owner = permissions_action(Some("changeOwner"), Some("bob".into()), vec![]).ok();
        assert!(matches!(owner.and_then(|a| a.action), Some(Action::ChangeOwner(o)) if o == "bob"));
        let message = |kind, subject| permissions_action(kind, subject, vec![]).err().map(|e| e.message().to_string());
        assert!(message(Some("deny"), Some("x".into())).is_some_and(|m| m.contains("grant, revoke")));
        assert!(message(None, None).is_some_and(|m| m.contains("grant, revoke")), "the kind is checked first");
        assert!(message(Some("set"), None).is_some_and(|m| m.contains("subject")));
    }

    #[test]
    fn a_listing_is_the_directory_entry_with_its_children_named_by_type() {
        let table = scheme::Entry { name: "t".into(), r#type: scheme::entry::Type::Table as i32, ..Default::default() };
        let grant = scheme::Permissions { subject: "alice".into(), permission_names: vec!["ydb.generic.read".into()] };
        let dir = scheme::Entry {
            name: "dir".into(),
            r#type: 1,
            owner: "root".into(),
            permissions: vec![grant],
            ..Default::default()
        };
        let listing = directory_plain(&scheme::ListDirectoryResult { self_: Some(dir), children: vec![table] });
        assert_eq!(listing.field("type"), Some(&Plain::from("DIRECTORY")));
        assert_eq!(listing.field("owner"), Some(&Plain::from("root")));
        let first_grant = match listing.field("permissions") {
            Some(Plain::List(p)) => p.first().and_then(|p| p.field("subject")).cloned(),
            _ => None,
        };
        assert_eq!(first_grant, Some(Plain::from("alice")));
        let child_type = match listing.field("children") {
            Some(Plain::List(c)) => c.first().and_then(|c| c.field("type")).cloned(),
            _ => None,
        };
        assert_eq!(child_type, Some(Plain::from("TABLE")));
        assert_eq!(entry_type_name(999), "UNKNOWN");
        assert_eq!(path_plain(&Default::default()).field("name"), Some(&Plain::from("")));
    }
}
