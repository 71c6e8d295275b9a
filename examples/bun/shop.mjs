// Bun: a small shop's HTTP service on Bun.serve, with one driver and one query-session pool for the process
// (constructing the driver sends nothing; the first query is the first request).
//
//   GET  /stock             → a one-shot query (`driver.query`): one request to YDB, no session
//   POST /buy?item=…&n=…    → a transaction on a pooled query session: read the stock, refuse when short,
//                             take the items, commit; when two buyers race, one commit fails with ABORTED
//                             and the pool runs that purchase again on fresh data, so stock never goes negative
//
// Run against a dev server:  YDB_ENDPOINT=http://127.0.0.1:2136 bun examples/bun/shop.mjs
// It serves on a free port, sends itself a few requests (two buyers racing for the same apples), prints
// the answers and stops. Bun resolves 'ydb-wasm' to the package's `node` entry.
import { Driver, QuerySessionPool } from 'ydb-wasm';

const driver = new Driver({ endpoint: Bun.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: Bun.env.YDB_DATABASE ?? '/local' });
const pool = new QuerySessionPool(driver, { size: 4 });

class OutOfStock extends Error {}

/** Takes `n` of `item` in one transaction; throws OutOfStock when fewer are left. */
function buy(item, n) {
  return pool.retryOperation(async (session) => {
    const tx = await session.transaction();
    const [rs] = await tx.execute('DECLARE $item AS Utf8; SELECT count FROM bun_stock WHERE item = $item', { $item: item });
    const left = rs.rows[0]?.count ?? 0n;
    if (left < n) {
      await tx.rollback();
      throw new OutOfStock(`${left} ${item} left, ${n} wanted`);
    }
    await tx.execute(
      'DECLARE $item AS Utf8; DECLARE $n AS Int64; UPDATE bun_stock SET count = count - $n WHERE item = $item',
      { $item: item, $n: n },
      { commitTx: true },
    );
    return left - n;
  });
}

const json = (body, status = 200) => new Response(
  JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? Number(v) : v)),
  { status, headers: { 'content-type': 'application/json' } },
);

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  routes: {
    '/stock': async () => {
      const [rs] = await driver.query('SELECT item, count FROM bun_stock ORDER BY item');
      return json(rs.rows);
    },
    '/buy': {
      POST: async (request) => {
        const url = new URL(request.url);
        const item = url.searchParams.get('item') ?? '';
        const n = BigInt(url.searchParams.get('n') ?? '1');
        try {
          return json({ item, left: await buy(item, n) });
        } catch (e) {
          if (e instanceof OutOfStock) return json({ error: e.message }, 409);
          throw e;
        }
      },
    },
  },
  error: (e) => json({ error: String(e) }, 500),
});

try {
  await driver.query('CREATE TABLE IF NOT EXISTS bun_stock (item Utf8, count Int64, PRIMARY KEY (item))');
  await driver.query('UPSERT INTO bun_stock (item, count) VALUES ("apple"u, 10l), ("pear"u, 3l)', {}, { idempotent: true });

  const call = async (method, path) => {
    const res = await fetch(new URL(path, server.url), { method });
    const body = await res.json();
    console.log(method, path, res.status, JSON.stringify(body));
    return { status: res.status, body };
  };
  // Two buyers race for 6 of the 10 apples: exactly one of them gets them.
  const race = await Promise.all([call('POST', '/buy?item=apple&n=6'), call('POST', '/buy?item=apple&n=6')]);
  const stock = await call('GET', '/stock');
  if (race.map((r) => r.status).sort().join() !== '200,409' || JSON.stringify(stock.body) !== '[{"item":"apple","count":4},{"item":"pear","count":3}]') {
    throw new Error('one buyer should have the apples and 4 should be left');
  }
  await driver.query('DROP TABLE bun_stock');
} finally {
  server.stop();
  await pool.stop();
  await driver.stop();
}
