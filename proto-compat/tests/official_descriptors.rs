//! Proves that `proto/` is wire-compatible with YDB's public API.
//!
//! The reference is the FileDescriptorSet that the crates.io crate `ydb-grpc` ships
//! (`src/descriptors.bin`). We locate its source through `cargo metadata` (the crate is pinned in
//! Cargo.lock but never compiled), compile our own `proto/` with `protox`, and check every message,
//! enum and service we define against the official one: full names, field numbers, names, types,
//! labels, oneof membership, enum values, rpc signatures and streaming flags.

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn official_descriptor_set() -> FileDescriptorSet {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--all-features"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let manifest = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "ydb-grpc")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("ydb-grpc is in the lock file (proto-compat declares it)");
    let path = Path::new(manifest).with_file_name("src").join("descriptors.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    FileDescriptorSet::decode(bytes.as_slice()).expect("descriptors.bin is a FileDescriptorSet")
}

fn our_descriptor_set() -> FileDescriptorSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("proto/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    assert!(!files.is_empty());
    protox::compile(&files, [&dir]).expect("proto/ compiles")
}

/// An rpc signature: input type, output type, client streaming, server streaming.
type Signature = (String, String, bool, bool);

#[derive(Default)]
struct Index {
    messages: BTreeMap<String, DescriptorProto>,
    enums: BTreeMap<String, EnumDescriptorProto>,
    /// service full name -> method name -> (input, output, client streaming, server streaming)
    services: BTreeMap<String, BTreeMap<String, Signature>>,
    /// which files we define each type in (only for our set; official types may live elsewhere)
    our_files: BTreeMap<String, String>,
}

fn index(set: &FileDescriptorSet) -> Index {
    fn walk(ix: &mut Index, file: &str, prefix: &str, m: &DescriptorProto) {
        let name = format!("{prefix}.{}", m.name());
        for n in &m.nested_type {
            walk(ix, file, &name, n);
        }
        for e in &m.enum_type {
            ix.enums.insert(format!("{name}.{}", e.name()), e.clone());
        }
        ix.our_files.insert(name.clone(), file.to_string());
        ix.messages.insert(name, m.clone());
    }
    let mut ix = Index::default();
    for f in &set.file {
        let prefix = format!(".{}", f.package());
        for m in &f.message_type {
            walk(&mut ix, f.name(), &prefix, m);
        }
        for e in &f.enum_type {
            ix.enums.insert(format!("{prefix}.{}", e.name()), e.clone());
        }
        for s in &f.service {
            let methods = s
                .method
                .iter()
                .map(|m| {
                    let sig = (
                        m.input_type().to_string(),
                        m.output_type().to_string(),
                        m.client_streaming(),
                        m.server_streaming(),
                    );
                    (m.name().to_string(), sig)
                })
                .collect();
            ix.services.insert(format!("{}.{}", f.package(), s.name()), methods);
        }
    }
    ix
}

/// Every difference between our definitions and the official ones, as readable lines.
fn differences(ours: &Index, official: &Index) -> Vec<String> {
    let mut diffs = Vec::new();
    for (name, m) in &ours.messages {
        if name.starts_with(".google.protobuf") {
            continue;
        }
        let Some(o) = official.messages.get(name) else {
            diffs.push(format!("message {name}: not in the official API"));
            continue;
        };
        let oneof_name = |d: &DescriptorProto, f: &prost_types::FieldDescriptorProto| {
            f.oneof_index
                .filter(|_| !f.proto3_optional())
                .and_then(|i| d.oneof_decl.get(i as usize))
                .map(|o| o.name().to_string())
        };
        for f in &m.field {
            let Some(of) = o.field.iter().find(|x| x.number() == f.number()) else {
                diffs.push(format!("{name}.{}: field number {} not in the official message", f.name(), f.number()));
                continue;
            };
            let ours_sig = (f.name(), f.r#type(), f.label(), f.type_name(), oneof_name(m, f), f.proto3_optional());
            let off_sig = (of.name(), of.r#type(), of.label(), of.type_name(), oneof_name(o, of), of.proto3_optional());
            if ours_sig != off_sig {
                diffs.push(format!("{name} field {}: ours {ours_sig:?}, official {off_sig:?}", f.number()));
            }
        }
    }
    for (name, e) in &ours.enums {
        if name.starts_with(".google.protobuf") {
            continue;
        }
        let Some(o) = official.enums.get(name) else {
            diffs.push(format!("enum {name}: not in the official API"));
            continue;
        };
        for v in &e.value {
            if !o.value.iter().any(|x| x.name() == v.name() && x.number() == v.number()) {
                diffs.push(format!("enum {name}: value {} = {} differs", v.name(), v.number()));
            }
        }
    }
    for (svc, methods) in &ours.services {
        let Some(o) = official.services.get(svc) else {
            diffs.push(format!("service {svc}: not in the official API"));
            continue;
        };
        for (method, sig) in methods {
            match o.get(method) {
                None => diffs.push(format!("rpc {svc}.{method}: not in the official API")),
                Some(osig) if osig != sig => diffs.push(format!("rpc {svc}.{method}: ours {sig:?}, official {osig:?}")),
                Some(_) => {}
            }
        }
    }
    diffs
}

#[test]
fn proto_dir_matches_the_official_ydb_api() {
    let official = index(&official_descriptor_set());
    let ours = index(&our_descriptor_set());
    assert!(ours.services.len() >= 5, "we define the Discovery, Scheme, Table, Query and Auth services");
    assert!(ours.messages.len() > 100, "the subset is not trivially small");
    let diffs = differences(&ours, &official);
    assert!(diffs.is_empty(), "proto/ differs from the official YDB API:\n{}", diffs.join("\n"));
}

#[test]
fn a_changed_field_number_is_detected() {
    // Sanity check of the checker itself: renumber one field of Ydb.Value and expect a difference.
    let official = index(&official_descriptor_set());
    let mut set = our_descriptor_set();
    let value = set
        .file
        .iter_mut()
        .flat_map(|f| f.message_type.iter_mut())
        .find(|m| m.name() == "TypedValue")
        .expect("Ydb.TypedValue is defined");
    let field = value.field.iter_mut().find(|f| f.name() == "value").expect("TypedValue.value");
    field.number = Some(7);
    let diffs = differences(&index(&set), &official);
    assert!(diffs.iter().any(|d| d.contains("TypedValue")), "renumbering went unnoticed: {diffs:?}");
}

#[test]
fn every_service_we_serve_exists_in_the_official_api() {
    let ours = index(&our_descriptor_set());
    for svc in [
        "Ydb.Discovery.V1.DiscoveryService",
        "Ydb.Scheme.V1.SchemeService",
        "Ydb.Table.V1.TableService",
        "Ydb.Query.V1.QueryService",
        "Ydb.Auth.V1.AuthService",
    ] {
        assert!(ours.services.contains_key(svc), "{svc} is missing from proto/");
    }
    let _ = &ours.our_files;
}
