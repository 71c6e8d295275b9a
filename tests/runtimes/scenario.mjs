// The integration scenario every runtime runs (Node, Deno, Bun, workerd, Chromium), from this one source.
// It takes the package's module namespace, so each runtime imports the package its own way.
//
// Connect, wait, create a table, write rows with typed parameters in a transaction, read them back
// through the query service (streamed, 10,000 rows; gathered by a one-shot call) and through a table
// session, check the values (BigInt, Date, Uint8Array, null), drop the table, stop. Returns a JSON-safe
// summary; throws on any mismatch.

export const ROWS = 10_000;

function check(cond, what) {
  if (!cond) throw new Error(`scenario check failed: ${what}`);
}

const payloadOf = (i) => new Uint8Array([i & 0xff, (i >> 8) & 0xff, 0, 255]);
const dateOf = (i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000);

export async function scenario(ydb, { endpoint, database = '/local', table = `rt_${Date.now()}_${Math.floor(Math.random() * 1e9)}` }) {
  const { Driver, QuerySessionPool, SessionPool, TypedValue, PrimitiveType, OptionalType, ListType, StructType } = ydb;
  const driver = new Driver({ endpoint, database });
  const queries = new QuerySessionPool(driver, { size: 2 });
  const tables = new SessionPool(driver, { size: 2 });
  try {
    check(await driver.wait({ timeoutMs: 10_000 }), `database at ${endpoint} answers`);
    await queries.executeWithRetries(`CREATE TABLE \`${table}\` (
      id Uint64, big Int64, name Utf8, born Date, payload String, note Utf8, PRIMARY KEY (id))`);

    // Write in one table-service transaction: 10 batches of 1,000 rows as a typed list of structs.
    const rowType = StructType({
      id: PrimitiveType.Uint64, big: PrimitiveType.Int64, name: PrimitiveType.Utf8, born: PrimitiveType.Date,
      payload: PrimitiveType.String, note: OptionalType(PrimitiveType.Utf8),
    });
    await tables.retryOperation((session) => session.withTransaction(async (tx) => {
      for (let batch = 0; batch < ROWS / 1000; batch++) {
        const rows = Array.from({ length: 1000 }, (_, k) => {
          const i = batch * 1000 + k;
          return {
            id: BigInt(i), big: -9007199254740993n * BigInt(i % 3), name: `row ${i}`, born: dateOf(i % 20000),
            payload: payloadOf(i), note: i % 2 ? null : `even ${i}`,
          };
        });
        await tx.execute(
          `DECLARE $rows AS List<${rowType}>; UPSERT INTO \`${table}\` SELECT * FROM AS_TABLE($rows);`,
          { $rows: new TypedValue(rows, ListType(rowType)) },
        );
      }
    }));

    // Read back through the query service, streamed part by part.
    const session = await queries.acquire();
    let parts = 0;
    let seen = 0;
    try {
      for await (const part of session.executeQuery(`SELECT * FROM \`${table}\` ORDER BY id`)) {
        parts++;
        for (const row of part.rows) {
          const i = seen++;
          check(row.id === BigInt(i), `id ${i}`);
          check(row.big === -9007199254740993n * BigInt(i % 3), `big ${i}`);
          check(row.name === `row ${i}`, `name ${i}`);
          check(row.born instanceof Date && row.born.getTime() === dateOf(i % 20000).getTime(), `born ${i}`);
          check(row.payload instanceof Uint8Array && row.payload.join() === payloadOf(i).join(), `payload ${i}`);
          check(row.note === (i % 2 ? null : `even ${i}`), `note ${i}`);
        }
      }
    } finally {
      queries.release(session);
    }
    check(seen === ROWS, `${ROWS} rows streamed, got ${seen}`);

    // Gathered by a one-shot call (whose body Deno reads in one piece: src/transport/fetch.rs), and a
    // one-shot call's YDB error.
    const [gathered] = await queries.executeWithRetries(`SELECT id, name FROM \`${table}\` ORDER BY id`);
    check(gathered.rows.length === ROWS && gathered.rows[ROWS - 1].name === `row ${ROWS - 1}`, `${ROWS} rows gathered`);
    const refused = await queries.executeWithRetries(`SELECT * FROM \`${table}_missing\``).then(() => null, (e) => e);
    check(refused?.status === 'SCHEME_ERROR', `a missing table is a SCHEME_ERROR, got ${refused}`);

    // And through a table session, with a parameter.
    const [picked] = await tables.retryOperation((s) => s.executeQuery(
      `DECLARE $id AS Uint64; SELECT id, name, note FROM \`${table}\` WHERE id = $id`,
      { $id: new TypedValue(4242n, PrimitiveType.Uint64) },
    ));
    check(picked.rows.length === 1 && picked.rows[0].name === 'row 4242' && picked.rows[0].note === 'even 4242',
      'point read through the table service');

    await queries.executeWithRetries(`DROP TABLE \`${table}\``);
    const traced = await tracing(ydb, { endpoint, database });
    return { ok: true, rows: seen, parts, sample: { id: String(picked.rows[0].id), name: picked.rows[0].name }, traced };
  } finally {
    await queries.stop();
    await tables.stop();
    await driver.stop();
  }
}

/**
 * A duck-typed tracer (no OpenTelemetry package: plain objects with the API's shape) on a traced
 * `executeWithRetries`: the spans nest call → try → request, and the request's `traceparent` header, seen
 * by a fetch wrapper, names the request's span. Returns the span names in start order.
 */
export async function tracing(ydb, { endpoint, database = '/local' }) {
  const spans = [];
  let next = 0;
  const tracer = {
    startSpan(name, options, context) {
      const id = (++next).toString(16).padStart(16, '0');
      const parent = context?.getValue(Symbol.for('OpenTelemetry Context Key SPAN'));
      const span = {
        name, kind: options?.kind, attributes: { ...options?.attributes }, parent: parent?.id, id, ended: false, status: undefined,
        setAttribute(k, v) { this.attributes[k] = v; return this; },
        setStatus(s) { this.status = s; return this; },
        recordException() {},
        end() { this.ended = true; },
        spanContext: () => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: id, traceFlags: 1 }),
      };
      spans.push(span);
      return span;
    },
  };
  const sent = [];
  const fetch = (url, init) => {
    sent.push(new Headers(init.headers).get('traceparent'));
    return globalThis.fetch(url, init);
  };
  const driver = new ydb.Driver({ endpoint, database, tracer, fetch });
  const pool = new ydb.QuerySessionPool(driver, { size: 1 });
  try {
    const [rs] = await pool.executeWithRetries('SELECT 1 AS one');
    check(rs.rows[0].one === 1, 'traced query answers');
  } finally {
    await pool.stop();
    await driver.stop();
  }
  const [call, attempt, request] = spans;
  check(spans.length === 3 && call.name === 'ydb.RunWithRetry' && attempt.name === 'ydb.Try' && request.name === 'ydb.ExecuteQuery',
    `spans ${spans.map((s) => s.name)}`);
  check(attempt.parent === call.id && request.parent === attempt.id && call.parent === undefined, 'spans nest call → try → request');
  check(spans.every((s) => s.ended && s.attributes['db.system.name'] === 'ydb' && s.attributes['db.namespace'] === database),
    'every span ended with the database attributes');
  check(request.kind === 2 && request.attributes['db.operation.name'] === 'ExecuteQuery', 'the request is a client span');
  check(sent.includes(`00-4bf92f3577b34da6a3ce929d0e0e4736-${request.id}-01`), `traceparent sent: ${sent}`);
  return spans.map((s) => s.name);
}
