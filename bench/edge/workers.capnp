# workerd configurations of bench/cold-edge.mjs: `workerd serve bench/edge/workers.capnp bare` (a worker
# that replays ydb-wasm's captured request with the runtime's own fetch) or `… ydb` (a worker that imports
# ydb-wasm at module scope and reads one row with `driver.query`). Both answer "ok" to any request.
# Modules are named by their path in the repository, so relative imports resolve.
using Workerd = import "/workerd/workerd.capnp";

const bare :Workerd.Config = (
  services = [(name = "main", worker = .bareWorker), .internet],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const ydb :Workerd.Config = (
  services = [(name = "main", worker = .ydbWorker), .internet],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

# Outbound fetches may reach the dev server on loopback.
const internet :Workerd.Service = (name = "internet", network = (allow = ["public", "private", "local"]));

const bareWorker :Workerd.Worker = (
  modules = [(name = "bench/edge/bare-worker.mjs", esModule = embed "bare-worker.mjs")],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "BENCH_REQUEST", fromEnvironment = "BENCH_REQUEST")],
  globalOutbound = "internet",
);

const ydbWorker :Workerd.Worker = (
  modules = [
    (name = "bench/edge/ydb-worker.mjs", esModule = embed "ydb-worker.mjs"),
    (name = "js/worker.mjs", esModule = embed "../../js/worker.mjs"),
    (name = "js/api.js", esModule = embed "../../js/api.js"),
    (name = "js/errors.js", esModule = embed "../../js/errors.js"),
    (name = "js/rows.js", esModule = embed "../../js/rows.js"),
    (name = "js/crash.js", esModule = embed "../../js/crash.js"),
    (name = "js/credentials.js", esModule = embed "../../js/credentials.js"),
    (name = "js/observe.js", esModule = embed "../../js/observe.js"),
    (name = "pkg/ydb_wasm.js", esModule = embed "../../pkg/ydb_wasm.js"),
    (name = "pkg/ydb_wasm_bg.wasm", wasm = embed "../../pkg/ydb_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "YDB_ENDPOINT", fromEnvironment = "YDB_ENDPOINT")],
  globalOutbound = "internet",
);
