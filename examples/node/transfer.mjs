// The seed's "Async Transaction Management": a funds transfer as one serializable transaction —
// committed when the callback resolves, rolled back when it throws, retried by the pool on conflicts.
import { Driver, SessionPool, SerializableReadWrite, TypedValue, PrimitiveType } from 'ydb-wasm';

const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: '/local' });
const pool = new SessionPool(driver, { size: 5 });

/**
 * @param {import('ydb-wasm').Session} session
 * @param {string} fromAccount
 * @param {string} toAccount
 * @param {number} amount
 */
async function transferFunds(session, fromAccount, toAccount, amount) {
  await session.withTransaction(async (tx) => {
    await tx.execute(
      `DECLARE $from_account AS Utf8; DECLARE $amount AS Double;
       UPDATE accounts SET balance = balance - $amount WHERE account_id = $from_account`,
      { $from_account: fromAccount, $amount: amount },
    );
    await tx.execute(
      `DECLARE $to_account AS Utf8; DECLARE $amount AS Double;
       UPDATE accounts SET balance = balance + $amount WHERE account_id = $to_account`,
      { $to_account: toAccount, $amount: amount },
    );
  }, new SerializableReadWrite());
}

try {
  await driver.wait({ timeoutMs: 5000 });
  await pool.retryOperation((s) => s.executeSchemeQuery(
    'CREATE TABLE accounts (account_id Utf8, balance Double, PRIMARY KEY (account_id))'));
  await pool.retryOperation((s) => s.executeQuery(
    'UPSERT INTO accounts (account_id, balance) VALUES ("acc1"u, 500.0), ("acc2"u, 50.0)'));

  // The seed's `async with pool.checkout() as session`: here retryOperation checks a session out,
  // retries the transfer on ABORTED and friends, and gives the session back.
  await pool.retryOperation((session) => transferFunds(session, 'acc1', 'acc2', 100.0));

  const [rs] = await pool.retryOperation((s) => s.executeQuery('SELECT account_id, balance FROM accounts ORDER BY account_id'));
  for (const row of rs.rows) console.log(`${row.account_id}: ${row.balance}`);
  if (rs.rows[0].balance !== 400 || rs.rows[1].balance !== 150) throw new Error('the transfer did not add up');
  await pool.retryOperation((s) => s.executeSchemeQuery('DROP TABLE accounts'));
} finally {
  await pool.stop();
  await driver.stop();
}
