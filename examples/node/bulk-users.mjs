// The seed's "Async Bulk Operations": bulk insert of users with explicit column types.
import { Driver, SessionPool, PrimitiveType } from 'ydb-wasm';

const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: '/local' });
const pool = new SessionPool(driver);

/**
 * @param {import('ydb-wasm').Session} session
 * @param {{ id: number, name: string, email: string }[]} userData
 */
async function bulkInsertUsers(session, userData) {
  const rows = userData.map((user) => ({ user_id: user.id, name: user.name, email: user.email }));
  const columnTypes = { user_id: PrimitiveType.Uint64, name: PrimitiveType.Utf8, email: PrimitiveType.Utf8 };
  await session.bulkUpsert('/local/users', rows, columnTypes);
}

try {
  await driver.wait({ timeoutMs: 5000 });
  await pool.retryOperation((s) => s.executeSchemeQuery(
    'CREATE TABLE users (user_id Uint64, name Utf8, email Utf8, PRIMARY KEY (user_id))'));
  const users = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, name: `user${i + 1}`, email: `user${i + 1}@example.com` }));
  await pool.withSession((session) => bulkInsertUsers(session, users));
  const [rs] = await pool.retryOperation((s) => s.executeQuery('SELECT COUNT(*) AS n, MAX(email) AS last FROM users'));
  console.log(`users: ${rs.rows[0].n}, last email: ${rs.rows[0].last}`);
  if (rs.rows[0].n !== 1000n) throw new Error('bulk upsert lost rows');
  await pool.retryOperation((s) => s.dropTable('users'));
} finally {
  await pool.stop();
  await driver.stop();
}
