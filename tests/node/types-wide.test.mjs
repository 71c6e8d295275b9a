// Result columns of the wide date and time types (Date32, Datetime64, Timestamp64, Interval64) and of a
// type this client does not know. The dev server has no such columns, so a proxy in front of it rewrites
// the type ids of some columns in real answers — the values on the wire are already what those types
// carry (Int32 days, Int64 seconds or microseconds) — and the client reads them over the real transport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Driver, QuerySessionPool } from 'ydb-wasm';

const upstream = new URL(process.env.YDB_ENDPOINT ?? 'http://127.0.0.1:2136');
/** column name → [the type id the dev server sends, the one the proxy makes of it] */
const REWRITES = { c_date32: [0x01, 0x40], c_dt64: [0x03, 0x41], c_ts64: [0x03, 0x42], c_iv64: [0x03, 0x43], c_newer: [0x01, 0x63] };

/** `Column { name, type: Type { type_id } }` on the wire: the name, then field 2 holding field 1. */
function rewrite(body) {
  for (const [name, [from, to]] of Object.entries(REWRITES)) {
    const pattern = Buffer.concat([Buffer.from(name), Buffer.from([0x12, 0x02, 0x08, from])]);
    const at = body.indexOf(pattern);
    if (at >= 0) body[at + pattern.length - 1] = to;
  }
  return body;
}

let proxy;
before(async () => {
  proxy = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      if (!req.url.endsWith('/ExecuteQuery')) {
        // Everything else (AttachSession's stream among them) passes through as it comes.
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const body = rewrite(Buffer.concat(chunks));
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
        res.writeHead(answer.statusCode, headers);
        res.end(body);
      });
    });
    req.pipe(out);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
after(() => proxy.close());

test('wide date and time columns read back as Dates and BigInts, before 1970 too', async () => {
  const driver = new Driver({ endpoint: `http://127.0.0.1:${proxy.address().port}`, database: '/local' });
  const pool = new QuerySessionPool(driver, { size: 1 });
  const [rs] = await pool.executeWithRetries(
    'SELECT CAST(-1 AS Int32) AS c_date32, CAST(-100 AS Int64) AS c_dt64, CAST(-86400000001 AS Int64) AS c_ts64, ' +
    'CAST(5000000 AS Int64) AS c_iv64');
  assert.deepEqual(rs.columns.map((c) => c.type), ['Date32', 'Datetime64', 'Timestamp64', 'Interval64']);
  assert.deepEqual(rs.rows, [{
    c_date32: new Date('1969-12-31T00:00:00Z'),
    c_dt64: new Date(-100_000),
    c_ts64: new Date(Math.floor(-86_400_000_001 / 1000)),
    c_iv64: 5_000_000n,
  }]);
  await driver.stop();
});

test('a column of a type this client does not know answers with its raw value instead of failing the call', async () => {
  const driver = new Driver({ endpoint: `http://127.0.0.1:${proxy.address().port}`, database: '/local' });
  const pool = new QuerySessionPool(driver, { size: 1 });
  const [rs] = await pool.executeWithRetries('SELECT CAST(7 AS Int32) AS c_newer, "ok" AS known');
  assert.deepEqual(rs.columns.map((c) => c.type), ['Unknown<type id 99>', 'String']);
  assert.equal(rs.rows[0].c_newer, 7);
  await driver.stop();
});
