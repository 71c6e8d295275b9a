// A Cloudflare Worker that queries YDB through ydb-wasm and answers with the rows as JSON.
//
//   GET /one-shot?n=3 → a one-shot query (`driver.query`): one fetch, no session
//   GET /?n=3         → a query through the table service (module-scope SessionPool)
//   GET /query        → a query through a query session (module-scope QuerySessionPool)
//   GET /scenario     → the shared runtime scenario (used by the test suite)
//   GET /credentials  → the service-account key scenario, with the key in env.YDB_SA_KEY (the test suite)
//   GET /credentials-module → one query through a module-scope driver with that key: its IAM token is
//                       fetched in one request and refreshed in a later one (the test suite)
//
// The driver is created at module scope, once per isolate: constructing it sends nothing, and it serves
// request after request. Workers bind I/O to the request that opened it, while module-scope objects live
// on across requests, so what each kind of call costs here is:
// - a one-shot query is one ExecuteQuery in an implicit session, made inside the current request: one
//   fetch per query, nothing kept between requests — the hot path to prefer;
// - table-service sessions are plain ids and every call is a fresh fetch inside the current request,
//   so one pooled session serves request after request (one round trip per query);
// - a query-service session is watched through its AttachSession stream, which belongs to the request
//   that created the session and ends with it. The client sees the stream end, discards the session
//   (the server closes it too), and the next request gets a fresh one: correct answers, at the cost of
//   CreateSession + AttachSession per request. Use it for interactive transactions, not one-shot reads.
import { env } from 'cloudflare:workers';
import * as ydb from '../../js/worker.mjs';
import { scenario } from '../../tests/runtimes/scenario.mjs';
import { credentialsScenario } from '../../tests/runtimes/credentials-scenario.mjs';

const { Driver, SessionPool, QuerySessionPool, TypedValue, PrimitiveType } = ydb;

const driver = new Driver({ endpoint: env.YDB_ENDPOINT, database: env.YDB_DATABASE ?? '/local' });
const tables = new SessionPool(driver, { size: 5 });
const queries = new QuerySessionPool(driver, { size: 5 });

// With a service-account key in the environment (the test suite's credentials run), a second module-scope
// driver authenticates with it, so that one IAM token serves several requests and is refreshed in a later
// one. The exchanges are counted through the driver's `fetch`.
const iamEndpoint = `${env.YDB_ENDPOINT}/iam/v1/tokens`;
let iamExchanges = 0;
const keyed = env.YDB_SA_KEY && new Driver({
  endpoint: env.YDB_ENDPOINT,
  database: env.YDB_DATABASE ?? '/local',
  credentials: new ydb.ServiceAccountKeyCredentials(env.YDB_SA_KEY, { iamEndpoint }),
  fetch: (url, init) => {
    if (String(url) === iamEndpoint) iamExchanges++;
    return fetch(url, init);
  },
});

const json = (body, status = 200) => new Response(
  JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
  { status, headers: { 'content-type': 'application/json' } },
);

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get('n') ?? '3');
    try {
      if (url.pathname === '/scenario') {
        return json(await scenario(ydb, { endpoint: env.YDB_ENDPOINT }));
      }
      if (url.pathname === '/credentials') {
        const ttlMs = Number(env.YDB_TOKEN_TTL_MS);
        return json(await credentialsScenario(ydb, { endpoint: env.YDB_ENDPOINT, keyJson: env.YDB_SA_KEY, ttlMs }));
      }
      if (url.pathname === '/credentials-module') {
        const [rs] = await keyed.query('SELECT 7 AS seven');
        return json({ rows: rs.rows, exchanges: iamExchanges });
      }
      if (url.pathname === '/one-shot') {
        const [rs] = await driver.query(
          'DECLARE $n AS Int32; SELECT $n AS n, $n * 2 AS twice, "one-shot"u AS via;',
          { $n: new TypedValue(n, PrimitiveType.Int32) },
          { idempotent: true },
        );
        return json({ rows: rs.rows });
      }
      if (url.pathname === '/query') {
        const [rs] = await queries.retryOperation((session) => session.executeQuery('SELECT 1 AS one, "query service"u AS via').collect());
        return json({ rows: rs.rows });
      }
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
