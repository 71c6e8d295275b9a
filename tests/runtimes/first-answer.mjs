// Cold start: milliseconds from starting to import the package to the first query answered.
export async function firstAnswer(ydb, endpoint, started) {
  const driver = new ydb.Driver({ endpoint, database: '/local' });
  const pool = new ydb.QuerySessionPool(driver, { size: 1 });
  try {
    const [rs] = await pool.executeWithRetries('SELECT 1 AS one');
    if (rs.rows[0].one !== 1) throw new Error('first answer is wrong');
    return Math.round((performance.now() - started) * 10) / 10;
  } finally {
    await pool.stop();
    await driver.stop();
  }
}
