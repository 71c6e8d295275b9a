// ydb-wasm in workerd for bench/cold-edge.mjs: imported and given a driver at module scope, as a real
// worker would; each request reads one row of bench_kv with a one-shot query.
import { env } from 'cloudflare:workers';
import { Driver, TypedValue } from '../../js/worker.mjs';

const driver = new Driver({ endpoint: env.YDB_ENDPOINT, database: '/local' });

export default {
  async fetch() {
    const [rs] = await driver.query('DECLARE $k AS Uint64; SELECT * FROM bench_kv WHERE k1 = $k', { $k: new TypedValue(1n, 'Uint64') });
    return new Response(rs.rows.length === 1 ? 'ok' : `${rs.rows.length} rows`, { status: rs.rows.length === 1 ? 200 : 502 });
  },
};
