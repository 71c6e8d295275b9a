//! Compiles the YDB API subset in `proto/` for the wasm client.
//!
//! `protox` parses the files in pure Rust, so no system `protoc` is needed, and `tonic-prost-build`
//! turns them into prost messages. We generate no tonic client stubs: the client owns its gRPC-web
//! transport over `fetch` (see `src/transport`), so instead this script writes `ydb_methods.rs`, a
//! table of typed method descriptors (`Method<Request, Response>` with the rpc path) from the same
//! descriptor set.

use prost_types::FileDescriptorSet;
use std::fmt::Write as _;
use std::path::PathBuf;

const PROTO_FILES: &[&str] =
    &["ydb_discovery_v1.proto", "ydb_scheme_v1.proto", "ydb_table_v1.proto", "ydb_query_v1.proto", "ydb_auth_v1.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest.join("proto");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    let files: Vec<PathBuf> = PROTO_FILES.iter().map(|f| proto_dir.join(f)).collect();
    let descriptors = protox::compile(&files, [&proto_dir])?;
    let shared = operation_answers(&descriptors);
    let methods = method_table(&descriptors, &shared);
    let descriptors = maps_as_entries(prune_unused_fields(descriptors));
    let mut config = tonic_prost_build::configure();
    for name in &shared {
        config = config.extern_path(name.as_str(), OPERATION_ANSWER);
    }
    config
        .build_server(false)
        .build_client(false)
        .build_transport(false)
        // Rows stay encoded until they are read column by column (src/value/rows.rs).
        .extern_path(".Ydb.ResultSet", "crate::value::rows::ResultSet")
        // The query parameters of both services as one entry type (see `maps_as_entries`).
        .extern_path(".Ydb.Table.ExecuteDataQueryRequest.ParametersEntry", "crate::value::params::Param")
        .extern_path(".Ydb.Table.ExecuteScanQueryRequest.ParametersEntry", "crate::value::params::Param")
        .extern_path(".Ydb.Query.ExecuteQueryRequest.ParametersEntry", "crate::value::params::Param")
        .include_file("ydb_api.rs")
        .compile_fds(descriptors)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("ydb_methods.rs"), methods)?;
    Ok(())
}

/// Message types the client never reads or sends. Every field of one of these types is dropped from the
/// client's view of the messages (the wire format is unchanged: prost skips fields it does not know),
/// so their encode/decode code never reaches the wasm. Each entry here saves kilobytes of wasm.
const CLIENT_UNUSED_TYPES: &[&str] = &[
    ".Ydb.TableStats.QueryStats",
    ".Ydb.Table.TableStats",
    ".Ydb.Table.TtlSettings",
    ".Ydb.Table.StorageSettings",
    ".Ydb.Table.ColumnFamily",
    ".Ydb.Table.PartitioningSettings",
    ".Ydb.Table.ReadReplicasSettings",
    ".Ydb.Table.Changefeed",
    ".Ydb.Table.ChangefeedDescription",
    ".Ydb.Table.TableProfile",
    ".Ydb.Table.ExplicitPartitions",
    ".Ydb.Table.SequenceDescription",
    ".Ydb.Table.RenameIndexItem",
    ".Ydb.Formats.ArrowBatchSettings",
    ".Ydb.Formats.ArrowFormatSettings",
    ".Ydb.Formats.CsvSettings",
    ".Ydb.CostInfo",
    ".Ydb.VirtualTimestamp",
    ".google.protobuf.Empty",
    // Results are read as values (`Ydb.ResultSet` is src/value/rows.rs, which has no format field).
    ".Ydb.ResultSet.Format",
];

fn prune_unused_fields(mut set: FileDescriptorSet) -> FileDescriptorSet {
    fn prune(m: &mut prost_types::DescriptorProto) {
        m.field.retain(|f| !CLIENT_UNUSED_TYPES.contains(&f.type_name()));
        for nested in &mut m.nested_type {
            prune(nested);
        }
    }
    for file in &mut set.file {
        for m in &mut file.message_type {
            prune(m);
        }
    }
    set
}

/// Every `map<K, V>` field as what it is on the wire, a repeated entry message of key 1 and value 2:
/// prost makes it a `Vec` of entries instead of a `HashMap`. A request carries a handful of parameters,
/// and the hash table, its hashing and prost's map codecs were about 12 KB of the wasm (twiggy). A name
/// sent twice is read by the server, as by any protobuf reader of a map, as its last value: what a map
/// here would have kept.
fn maps_as_entries(mut set: FileDescriptorSet) -> FileDescriptorSet {
    fn unmap(m: &mut prost_types::DescriptorProto) -> bool {
        let mut changed = false;
        for nested in &mut m.nested_type {
            if let Some(options) = nested.options.as_mut().filter(|o| o.map_entry()) {
                options.map_entry = None;
                changed = true;
            }
            changed |= unmap(nested);
        }
        changed
    }
    for file in &mut set.file {
        let mut changed = false;
        for m in &mut file.message_type {
            changed |= unmap(m);
        }
        if changed {
            // The entry types were synthetic and have no comments to look up (prost-build would panic
            // looking); the generated code's doc comments are not needed.
            file.source_code_info = None;
        }
    }
    set
}

/// The one Rust type of every answer that is an `Operation` and nothing else (`CreateTableResponse`,
/// `DropTableResponse`, … about twenty): they are the same message on the wire, and one type decodes
/// them all instead of one copy of prost's decoder, its error paths and its drop code per answer type.
const OPERATION_ANSWER: &str = "crate::transport::operation::OperationAnswer";

/// The full names (`.Ydb.Table.CreateTableResponse`) of the messages whose only field is
/// `Ydb.Operations.Operation operation = 1`.
fn operation_answers(set: &FileDescriptorSet) -> Vec<String> {
    let mut out = Vec::new();
    for file in &set.file {
        for m in &file.message_type {
            let only_an_operation = match m.field.as_slice() {
                [f] => f.number() == 1 && f.name() == "operation" && f.type_name() == ".Ydb.Operations.Operation",
                _ => false,
            };
            if only_an_operation && m.nested_type.is_empty() && m.enum_type.is_empty() {
                out.push(format!(".{}.{}", file.package(), m.name()));
            }
        }
    }
    out
}

/// `Ydb.Table.V1` -> `table_v1`-style module names are not needed: we name the module after the
/// service (`table_service`) and the constant after the rpc (`EXECUTE_DATA_QUERY`).
fn method_table(set: &FileDescriptorSet, shared: &[String]) -> String {
    let mut out = String::from("// @generated by build.rs from proto/: one descriptor per rpc.\n");
    for file in &set.file {
        for service in &file.service {
            let _ = writeln!(out, "pub mod {} {{", snake(service.name()));
            let _ = writeln!(out, "    use super::*;");
            for m in &service.method {
                let kind = if m.server_streaming() { "StreamingMethod" } else { "Method" };
                let _ = writeln!(
                    out,
                    "    pub const {}: {kind}<{}, {}> = {kind}::new(\"/{}.{}/{}\");",
                    snake(m.name()).to_uppercase(),
                    rust_path(m.input_type()),
                    if shared.iter().any(|s| s == m.output_type()) {
                        OPERATION_ANSWER.to_string()
                    } else {
                        rust_path(m.output_type())
                    },
                    file.package(),
                    service.name(),
                    m.name(),
                );
            }
            let _ = writeln!(out, "}}");
        }
    }
    out
}

/// `.Ydb.Table.ExecuteDataQueryRequest` -> `crate::proto::ydb::table::ExecuteDataQueryRequest`.
fn rust_path(full: &str) -> String {
    let parts: Vec<&str> = full.trim_start_matches('.').split('.').collect();
    let (name, package) = parts.split_last().map(|(n, p)| (*n, p)).unwrap_or((full, &[]));
    let mut path = String::from("crate::proto");
    for p in package {
        path.push_str("::");
        path.push_str(&snake(p));
    }
    path.push_str("::");
    path.push_str(name);
    path
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
