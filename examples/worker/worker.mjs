// A Cloudflare Worker that queries YDB through ydb-wasm and answers with the rows as JSON.
//
//   GET /?n=3        → a query through the table service (module-scope SessionPool)
//   GET /query       → a query through the query service (module-scope QuerySessionPool)
//   GET /scenario    → the shared runtime scenario (used by the test suite)
//
// Workers bind I/O to the request that opened it, while module-scope objects live on across requests
// in one isolate. Both pools may live at module scope:
// - table-service sessions are plain ids and every call is a fresh fetch inside the current request,
//   so one session serves request after request (one round trip per query);
// - a query-service session is watched through its AttachSession stream, which belongs to the request
//   that created the session and ends with it. The client sees the stream end, discards the session
//   (the server closes it too), and the next request gets a fresh one: correct answers, at the cost of
//   creating a session per request. Prefer the table service for hot paths in Workers.
import * as ydb from '../../js/worker.mjs';
import { scenario } from '../../tests/runtimes/scenario.mjs';

const { Driver, SessionPool, QuerySessionPool, TypedValue, PrimitiveType } = ydb;
let clients;

function sharedClients(env) {
  if (!clients) {
    const driver = new Driver({ endpoint: env.YDB_ENDPOINT, database: env.YDB_DATABASE ?? '/local' });
    clients = { driver, tables: new SessionPool(driver, { size: 5 }), queries: new QuerySessionPool(driver, { size: 5 }) };
  }
  return clients;
}

const json = (body, status = 200) => new Response(
  JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
  { status, headers: { 'content-type': 'application/json' } },
);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/scenario') {
        return json(await scenario(ydb, { endpoint: env.YDB_ENDPOINT }));
      }
      const { tables, queries } = sharedClients(env);
      if (url.pathname === '/query') {
        const [rs] = await queries.executeWithRetries('SELECT 1 AS one, "query service"u AS via');
        return json({ rows: rs.rows });
      }
      const n = Number(url.searchParams.get('n') ?? '3');
      const [rs] = await tables.retryOperation((session) => session.executeQuery(
        'DECLARE $n AS Int32; SELECT $n AS n, $n * 2 AS twice, "table service"u AS via;',
        { $n: new TypedValue(n, PrimitiveType.Int32) },
      ));
      return json({ rows: rs.rows, sessions: tables.totalSessions });
    } catch (e) {
      return json({ error: String(e), status: e?.status ?? null }, 500);
    }
  },
};
