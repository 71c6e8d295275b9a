#!/usr/bin/env bash
# Installs what building and testing need on a fresh machine, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the version Cargo.lock pins, and (with --python) a venv with
# the official YDB Python SDK for the referee tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  # Not --locked: the registry mirror here lacks a version the CLI's own lockfile pins.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if [ "${1:-}" = "--python" ]; then
  venv=target/venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c 'import ydb, pytest' 2>/dev/null; then
    "$venv/bin/pip" install --quiet -r tests/python/requirements.txt
  fi
fi
