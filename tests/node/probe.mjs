import { Driver, QuerySessionPool } from 'ydb-wasm';
const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT, database: '/local' });
const pool = new QuerySessionPool(driver, { size: 2 });
const s = await pool.acquire();
const cyclic = {}; cyclic.self = cyclic;
for (const [l, v] of [['undef', undefined], ['num', 42], ['obj', {a:1}], ['cyclic', cyclic], ['arr', [1,2]], ['sym', Symbol('x')], ['fn', () => 1], ['proxy', new Proxy({}, { get() { throw new Error('trap'); } })], ['big', 'x'.repeat(10*1024*1024)], ['sur', '\ud800']]) {
  try { await s.commitTransaction(v); console.log(l, 'ok'); } catch (e) { console.log(l, e.constructor.name, e.message.slice(0, 120)); }
}
await driver.stop();
