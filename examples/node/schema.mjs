// The seed's "Async Schema Operations": directories, a listing, and a table created from a description.
import { Driver, SessionPool, TableDescription, TableColumn, OptionalType, PrimitiveType } from 'ydb-wasm';

const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT ?? 'http://localhost:2136', database: '/local' });
try {
  await driver.wait({ timeoutMs: 5000 });
  const schemeClient = driver.schemeClient();
  await schemeClient.makeDirectory('/local/app');
  await schemeClient.makeDirectory('/local/app/tables');

  const pool = new SessionPool(driver);
  await pool.retryOperation(async (session) => {
    const tableDescription = new TableDescription()
      .withColumn(new TableColumn('id', OptionalType(PrimitiveType.Uint64)))
      .withColumn(new TableColumn('name', OptionalType(PrimitiveType.Utf8)))
      .withPrimaryKey('id');
    await session.createTable('/local/app/tables/users', tableDescription);
  });

  const directory = await schemeClient.listDirectory('/local/app');
  for (const entry of directory.children) console.log(`Entry: ${entry.name}, Type: ${entry.type}`);
  const tablesDir = await schemeClient.listDirectory('/local/app/tables');
  for (const entry of tablesDir.children) console.log(`Entry: tables/${entry.name}, Type: ${entry.type}`);
  const described = await pool.retryOperation((s) => s.describeTable('/local/app/tables/users'));
  console.log('users columns:', described.columns.map((c) => `${c.name} ${c.type}`).join(', '));

  await pool.retryOperation((s) => s.dropTable('/local/app/tables/users'));
  await schemeClient.removeDirectory('/local/app/tables');
  await schemeClient.removeDirectory('/local/app');
  await pool.stop();
} finally {
  await driver.stop();
}
