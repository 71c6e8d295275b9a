//! Raw HTTP/1.1 helpers the dev server's integration tests share (each test file is its own crate and
//! uses what it needs).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends raw bytes over HTTP/1.1 and returns the whole answer (the request closes the connection).
pub async fn http1(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await.unwrap().unwrap();
    answer
}

/// POSTs one empty gRPC-web request frame to `path` (`/Ydb.…/Rpc`) over HTTP/1.1, with `extra_headers`
/// (each ending in `\r\n`) after the gRPC-web ones; returns the whole answer, lowercased.
pub async fn grpc_web_empty_call(addr: SocketAddr, path: &str, extra_headers: &str) -> String {
    let body = [0u8, 0, 0, 0, 0];
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    String::from_utf8_lossy(&http1(addr, &request).await).to_lowercase()
}
