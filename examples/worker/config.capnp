# workerd configuration of the example worker: `workerd serve examples/worker/config.capnp`
# (the test suite overrides the socket with --socket-addr http=127.0.0.1:PORT).
# Modules are listed one by one, named by their path in the repository, so relative imports resolve.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches may reach the dev server on loopback.
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "examples/worker/worker.mjs", esModule = embed "worker.mjs"),
    (name = "js/worker.mjs", esModule = embed "../../js/worker.mjs"),
    (name = "js/api.js", esModule = embed "../../js/api.js"),
    (name = "js/errors.js", esModule = embed "../../js/errors.js"),
    (name = "js/rows.js", esModule = embed "../../js/rows.js"),
    (name = "js/observe.js", esModule = embed "../../js/observe.js"),
    (name = "js/crash.js", esModule = embed "../../js/crash.js"),
    (name = "js/credentials.js", esModule = embed "../../js/credentials.js"),
    (name = "pkg/ydb_wasm.js", esModule = embed "../../pkg/ydb_wasm.js"),
    (name = "pkg/ydb_wasm_bg.wasm", wasm = embed "../../pkg/ydb_wasm_bg.wasm"),
    (name = "tests/runtimes/scenario.mjs", esModule = embed "../../tests/runtimes/scenario.mjs"),
    (name = "tests/runtimes/credentials-scenario.mjs", esModule = embed "../../tests/runtimes/credentials-scenario.mjs"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [
    (name = "YDB_ENDPOINT", fromEnvironment = "YDB_ENDPOINT"),
    (name = "YDB_SA_KEY", fromEnvironment = "YDB_SA_KEY"),
    (name = "YDB_TOKEN_TTL_MS", fromEnvironment = "YDB_TOKEN_TTL_MS"),
  ],
  globalOutbound = "internet",
);
