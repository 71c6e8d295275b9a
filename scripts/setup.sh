#!/usr/bin/env bash
# Installs what building and testing need on a fresh machine, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the version Cargo.lock pins, and (with --python) a venv with
# the official YDB Python SDK for the referee tests, and (with --runtimes) Deno and workerd from npm,
# Bun from npm (with the other tools of scripts/js-tools.sh, in target/js-tools) and Debian's Chromium and
# ChromeDriver for the runtime tests (and TypeScript for the declaration check).
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

for arg in "$@"; do
  case "$arg" in
    --python) want_python=1 ;;
    --runtimes) want_runtimes=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ -n "${want_runtimes:-}" ]; then
  if ! node_modules/.bin/deno --version >/dev/null 2>&1 || ! node_modules/.bin/workerd --version >/dev/null 2>&1 \
    || [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/@types/node ]; then
    npm install --no-audit --no-fund
  fi
  # Bun (and the installed-package test's tools): installed once per scripts/js-tools/package-lock.json.
  bash scripts/js-tools.sh >/dev/null
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd=sudo; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver
  fi
fi

if [ -n "${want_python:-}" ]; then
  venv=target/venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c 'import ydb, pytest, requests, jwt, cryptography' 2>/dev/null; then
    "$venv/bin/pip" install --quiet -r tests/python/requirements.txt
  fi
fi
