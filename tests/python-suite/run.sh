#!/usr/bin/env bash
# The official Python SDK's own integration tests against the dev server.
#
# Downloads the sdist of the SDK version tests/python/requirements.txt pins (its tarball carries the
# suite's tests/) into target/python-suite, installs what the suite needs into target/python-suite/venv,
# builds the dev server, swaps the suite's docker fixtures for tests/python-suite/conftest.py (which starts
# the dev server; no test or assertion changes) and runs every test but topics/ and coordination/ (services
# the dev server does not have) and the TLS ones (`-m "not tls"`, as the suite's own tox runs them without
# a TLS container). Fails if a test outside tests/python-suite/expected-failures.txt fails.
#
#   bash tests/python-suite/run.sh                         # the whole suite
#   bash tests/python-suite/run.sh tests/query -k explain  # extra pytest arguments narrow it (no list check)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=target/python-suite
version=$(sed -n 's/^ydb==//p' tests/python/requirements.txt)
mkdir -p "$work"

if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
if [ ! -f "$work/ydb-$version.tar.gz" ]; then
  "$work/venv/bin/python" -m pip download --quiet "ydb==$version" --no-binary :all: --no-deps -d "$work"
fi
if ! "$work/venv/bin/python" -c "import ydb, pytest_asyncio, pytest_timeout, opentelemetry.sdk, yandex.cloud; \
    assert ydb.__version__ == '$version'" 2>/dev/null; then
  "$work/venv/bin/python" -m pip install --quiet "ydb==$version" -r tests/python-suite/requirements.txt
fi

cargo build --quiet -p ydb-devserver

# A fresh copy of the suite's tests with our conftest in place of the suite's.
rm -rf "$work/run"
mkdir -p "$work/run"
tar -xzf "$work/ydb-$version.tar.gz" -C "$work/run" --strip-components=1 "ydb-$version/tests"
mv "$work/run/tests/conftest.py" "$work/run/tests/upstream_conftest.py"
cp tests/python-suite/conftest.py "$work/run/tests/conftest.py"

args=(--ignore=tests/topics --ignore=tests/coordination)
expected="$root/tests/python-suite/expected-failures.txt"
if [ $# -gt 0 ]; then
  args+=("$@")
  expected=""
else
  args+=(tests)
fi
cd "$work/run"
YDB_DEVSERVER_BIN="$root/target/debug/ydb-devserver" PYTHON_SUITE_EXPECTED="$expected" \
  "$root/$work/venv/bin/python" -m pytest -p no:cacheprovider -o asyncio_mode=auto -m "not tls" \
  --timeout=60 -q -rN "${args[@]}"
