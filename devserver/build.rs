//! Compiles the shared `proto/` tree into server stubs (and native clients for the tests).

use std::path::PathBuf;

const PROTO_FILES: &[&str] =
    &["ydb_discovery_v1.proto", "ydb_scheme_v1.proto", "ydb_table_v1.proto", "ydb_query_v1.proto", "ydb_auth_v1.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    let files: Vec<PathBuf> = PROTO_FILES.iter().map(|f| proto_dir.join(f)).collect();
    let descriptors = protox::compile(&files, [&proto_dir])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .include_file("ydb_api.rs")
        .compile_fds(descriptors)?;
    Ok(())
}
