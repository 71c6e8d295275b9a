# Sourced by the other scripts: start_devserver starts target/debug/ydb-devserver on a free port, sets
# YDB_ENDPOINT to its gRPC-web URL and stops it when the calling script exits.
start_devserver() {
  local log
  log=$(mktemp)
  target/debug/ydb-devserver --listen "${YDB_LISTEN:-127.0.0.1:0}" "$@" >"$log" 2>&1 &
  DEVSERVER_PID=$!
  trap 'kill "$DEVSERVER_PID" 2>/dev/null; wait "$DEVSERVER_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    if grep -q '^ydb-devserver listening on ' "$log"; then
      YDB_ENDPOINT="http://$(sed -n 's/^ydb-devserver listening on //p' "$log" | head -1)"
      export YDB_ENDPOINT
      echo "dev server at $YDB_ENDPOINT"
      return 0
    fi
    if ! kill -0 "$DEVSERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "the dev server did not start:" >&2
  cat "$log" >&2
  return 1
}
