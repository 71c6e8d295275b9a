// The seed's "Async Query Service": monthly order totals, streamed through the query service.
import { Driver, TypedValue, PrimitiveType, ListType, StructType } from 'ydb-wasm';

const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: '/local' });
const pool = driver.querySessionPool({ size: 5 });
try {
  await driver.wait({ timeoutMs: 5000 });
  await pool.executeWithRetries(
    'CREATE TABLE orders (order_id Uint64, created_at Timestamp, total_amount Double, PRIMARY KEY (order_id))');
  const orderType = StructType({ order_id: PrimitiveType.Uint64, created_at: PrimitiveType.Timestamp, total_amount: PrimitiveType.Double });
  const orders = Array.from({ length: 90 }, (_, i) => ({
    order_id: BigInt(i),
    created_at: new Date(Date.UTC(2023, 11, 1) + i * 2 * 86_400_000), // every other day from Dec 2023
    total_amount: 10 + (i % 7),
  }));
  await pool.executeWithRetries(
    `DECLARE $orders AS List<${orderType}>; UPSERT INTO orders SELECT * FROM AS_TABLE($orders);`,
    { $orders: new TypedValue(orders, ListType(orderType)) },
  );

  const totals = await pool.retryOperation(async (session) => {
    const query = `
      DECLARE $start_date AS Timestamp;
      SELECT month, COUNT(*) AS orders_count, SUM(total_amount) AS total_revenue
      FROM (
        SELECT DateTime::StartOfMonth(created_at) AS month, total_amount FROM orders WHERE created_at >= $start_date
      )
      GROUP BY month
      ORDER BY month`;
    const rows = [];
    for await (const resultSet of session.executeQuery(query, { $start_date: new Date(Date.UTC(2024, 0, 1)) })) {
      for (const row of resultSet.rows) {
        console.log(`Month: ${row.month.toISOString().slice(0, 7)}, Orders: ${row.orders_count}, Revenue: ${row.total_revenue}`);
        rows.push(row);
      }
    }
    return rows;
  });
  const counted = totals.reduce((n, r) => n + r.orders_count, 0n);
  if (counted !== BigInt(orders.filter((o) => o.created_at >= new Date(Date.UTC(2024, 0, 1))).length)) {
    throw new Error(`monthly counts add up to ${counted}`);
  }
  await pool.executeWithRetries('DROP TABLE orders');
} finally {
  await pool.stop();
  await driver.stop();
}
