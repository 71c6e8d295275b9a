"""The official Python SDK (``ydb`` from PyPI) as the referee of the dev server.

Each test starts a fresh ``ydb-devserver`` on a free port (the binary named by ``YDB_DEVSERVER_BIN``)
and drives it with ``ydb.aio`` over plain gRPC, the way a Python user would against real YDB.
"""

import asyncio
import datetime
import os
import subprocess

import pytest
import ydb
import ydb.aio


def start_server(*extra):
    """A dev server with these extra flags; returns the process, its gRPC endpoint, and its admin URL (None
    unless ``--admin`` is among the flags)."""
    binary = os.environ.get("YDB_DEVSERVER_BIN", "target/debug/ydb-devserver")
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *extra], stdout=subprocess.PIPE, text=True)
    endpoint = admin = None
    while endpoint is None or ("--admin" in extra and admin is None):
        line = proc.stdout.readline().strip()
        assert line, "the dev server exited"
        if line.startswith("ydb-devserver listening on "):
            endpoint = "grpc://" + line.rsplit(" ", 1)[1]
        elif line.startswith("ydb-devserver admin on "):
            admin = "http://" + line.rsplit(" ", 1)[1]
    return proc, endpoint, admin


def stop_server(proc):
    proc.terminate()
    proc.wait(timeout=10)


def serve(*extra):
    """The body of a fixture: a dev server with these flags for one test, its gRPC endpoint yielded."""
    proc, endpoint, _ = start_server(*extra)
    try:
        yield endpoint
    finally:
        stop_server(proc)


@pytest.fixture()
def endpoint():
    yield from serve()


@pytest.fixture()
def auth_endpoint():
    yield from serve("--user", "alice:secret", "--user", "bob:hunter2")


@pytest.fixture()
def short_token_endpoint():
    yield from serve("--user", "alice:secret", "--token-ttl", "1")


def run(coro):
    return asyncio.run(coro)


def test_table_session_pool_creates_writes_and_reads(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=4) as pool:

                async def create(session):
                    await session.execute_scheme(
                        "CREATE TABLE series (series_id Uint64, title Utf8, release_date Timestamp, "
                        "PRIMARY KEY (series_id))"
                    )

                await pool.retry_operation(create)

                async def write(session):
                    query = """
                        DECLARE $id AS Uint64; DECLARE $title AS Utf8; DECLARE $released AS Timestamp;
                        UPSERT INTO series (series_id, title, release_date) VALUES ($id, $title, $released);
                    """
                    # The SDK learns the parameter types from PrepareDataQuery's answer.
                    prepared = await session.prepare(query)
                    tx = session.transaction(ydb.SerializableReadWrite())
                    for sid, title in [(1, "IT Crowd"), (2, "Silicon Valley")]:
                        released = datetime.datetime(2006 + sid, 2, 3, tzinfo=datetime.timezone.utc)
                        await tx.execute(prepared, {"$id": sid, "$title": title, "$released": released})
                    await tx.commit()

                await pool.retry_operation(write)

                async def read(session):
                    return await session.transaction(ydb.SerializableReadWrite()).execute(
                        "SELECT series_id, title, release_date FROM series ORDER BY series_id",
                        commit_tx=True,
                    )

                result_sets = await pool.retry_operation(read)
                rows = result_sets[0].rows
                assert [r.series_id for r in rows] == [1, 2]
                assert [r.title for r in rows] == ["IT Crowd", "Silicon Valley"]
                assert rows[0].release_date is not None

    run(main())


def test_query_session_pool_creates_writes_and_reads(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=4) as pool:
                await pool.execute_with_retries(
                    "CREATE TABLE users (id Int64, name Utf8, score Double, PRIMARY KEY (id))"
                )
                for uid, name, score in [(1, "ann", 1.5), (2, "bob", 2.5), (3, "cid", 3.5)]:
                    await pool.execute_with_retries(
                        "DECLARE $id AS Int64; DECLARE $name AS Utf8; DECLARE $score AS Double; "
                        "UPSERT INTO users (id, name, score) VALUES ($id, $name, $score);",
                        {
                            "$id": (uid, ydb.PrimitiveType.Int64),
                            "$name": (name, ydb.PrimitiveType.Utf8),
                            "$score": (score, ydb.PrimitiveType.Double),
                        },
                    )
                result_sets = await pool.execute_with_retries(
                    "DECLARE $min AS Double; SELECT id, name FROM users WHERE score > $min ORDER BY id DESC LIMIT 2;",
                    {"$min": (2.0, ydb.PrimitiveType.Double)},
                )
                assert [(r.id, r.name) for r in result_sets[0].rows] == [(3, "cid"), (2, "bob")]

                async def in_tx(session):
                    async with session.transaction() as tx:
                        await tx.begin()
                        async with await tx.execute("UPSERT INTO users (id, name, score) VALUES (4, 'dan', 0.5)") as _:
                            pass
                        await tx.commit()

                await pool.retry_operation_async(in_tx)
                result_sets = await pool.execute_with_retries("SELECT COUNT(*) AS n FROM users")
                assert result_sets[0].rows[0].n == 4

    run(main())


def test_errors_carry_ydb_statuses(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                with pytest.raises(ydb.issues.SchemeError):
                    await pool.execute_with_retries("SELECT * FROM missing_table")
                with pytest.raises(ydb.issues.GenericError):
                    await pool.execute_with_retries("SELEKT 1")

    run(main())


def opt(t):
    return ydb.OptionalType(t)


async def make_series_table(pool, path):
    async def create(session):
        await session.create_table(
            path,
            ydb.TableDescription()
            .with_primary_keys("series_id")
            .with_columns(
                ydb.Column("series_id", ydb.PrimitiveType.Uint64),
                ydb.Column("title", opt(ydb.PrimitiveType.Utf8)),
                ydb.Column("views", opt(ydb.PrimitiveType.Int64)),
            )
            .with_index(ydb.TableIndex("by_title").with_index_columns("title")),
        )

    await pool.retry_operation(create)


def test_create_describe_bulk_upsert_and_read_table(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=2) as pool:
                path = "/local/shows/series"
                await make_series_table(pool, path)

                async def describe(session):
                    return await session.describe_table(path)

                desc = await pool.retry_operation(describe)
                assert [c.name for c in desc.columns] == ["series_id", "title", "views"]
                assert desc.primary_key == ["series_id"]
                assert str(desc.columns[0].type) == "Uint64"
                assert str(desc.columns[1].type) == "Utf8?"
                assert [(i.name, list(i.index_columns)) for i in desc.indexes] == [("by_title", ["title"])]
                assert desc.type == ydb.SchemeEntryType.TABLE

                with pytest.raises(ydb.issues.AlreadyExists):
                    await make_series_table(pool, path)

                column_types = (
                    ydb.BulkUpsertColumns()
                    .add_column("series_id", ydb.PrimitiveType.Uint64)
                    .add_column("title", opt(ydb.PrimitiveType.Utf8))
                )
                rows = [{"series_id": i, "title": "show %d" % i} for i in range(1, 2001)]
                await driver.table_client.bulk_upsert(path, rows, column_types)
                # Upsert semantics, named columns only: views stays as written before.
                await driver.table_client.bulk_upsert(
                    path,
                    [{"series_id": 5, "views": 50}],
                    ydb.BulkUpsertColumns()
                    .add_column("series_id", ydb.PrimitiveType.Uint64)
                    .add_column("views", opt(ydb.PrimitiveType.Int64)),
                )

                async def read_all(session):
                    parts, rows = 0, []
                    async for part in await session.read_table(path, ordered=True):
                        parts += 1
                        rows.extend(part.rows)
                    return parts, rows

                async def describe_with_stats(session):
                    settings = ydb.DescribeTableSettings().with_include_table_stats(True)
                    return await session.describe_table(path, settings)

                stats = (await pool.retry_operation(describe_with_stats)).table_stats
                assert stats.rows_estimate == 2000 and stats.partitions == 1

                parts, rows = await pool.retry_operation(read_all)
                # 2,000 small rows fit one 1 MB part; YDB sends no part without rows.
                assert len(rows) == 2000 and parts == 1
                assert [r.series_id for r in rows] == list(range(1, 2001))
                assert rows[4].title == "show 5" and rows[4].views == 50

                key_type = ydb.TupleType().add_element(ydb.PrimitiveType.Uint64)

                async def read_range(session):
                    key_range = ydb.KeyRange(
                        ydb.KeyBound.exclusive((10,), key_type), ydb.KeyBound.inclusive((20,), key_type)
                    )
                    out = []
                    async for part in await session.read_table(
                        path, key_range=key_range, columns=("series_id",), ordered=True, row_limit=5
                    ):
                        out.extend(part.rows)
                    return out

                got = await pool.retry_operation(read_range)
                assert [r.series_id for r in got] == [11, 12, 13, 14, 15]
                assert set(got[0].keys()) == {"series_id"}

                async def alter_copy_rename(session):
                    await session.alter_table(
                        path, add_columns=[ydb.Column("rating", opt(ydb.PrimitiveType.Double))], drop_columns=["views"]
                    )
                    await session.copy_table(path, "/local/shows/series_copy")
                    await session.rename_tables([ydb.RenameItem("/local/shows/series_copy", "/local/shows/renamed")])
                    return await session.describe_table("/local/shows/renamed")

                renamed = await pool.retry_operation(alter_copy_rename)
                assert [c.name for c in renamed.columns] == ["series_id", "title", "rating"]

                async def count(session):
                    rs = await session.transaction().execute(
                        "SELECT COUNT(*) AS n FROM `shows/renamed`", commit_tx=True
                    )
                    return rs[0].rows[0].n

                assert await pool.retry_operation(count) == 2000

                async def explain(session):
                    return await session.explain("SELECT * FROM `shows/renamed`")

                plan = await pool.retry_operation(explain)
                assert "shows/renamed" in plan.query_plan

                async def drop(session):
                    await session.drop_table("/local/shows/renamed")
                    await session.describe_table("/local/shows/renamed")

                with pytest.raises(ydb.issues.SchemeError):
                    await pool.retry_operation(drop)

    run(main())


def test_transactions_commit_rollback_and_conflicts(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=4) as pool:

                async def create(session):
                    await session.execute_scheme("CREATE TABLE counters (id Uint64, n Int64, PRIMARY KEY (id))")
                    await session.transaction().execute(
                        "UPSERT INTO counters (id, n) VALUES (1, 0)", commit_tx=True
                    )

                await pool.retry_operation(create)

                async def rolled_back(session):
                    tx = session.transaction()
                    await tx.execute("UPSERT INTO counters (id, n) VALUES (2, 100)")
                    await tx.rollback()

                await pool.retry_operation(rolled_back)

                async def committed(session):
                    tx = session.transaction()
                    await tx.execute("UPSERT INTO counters (id, n) VALUES (3, 300)")
                    await tx.commit()

                await pool.retry_operation(committed)

                async def ids(session):
                    rs = await session.transaction().execute("SELECT id FROM counters ORDER BY id", commit_tx=True)
                    return [r.id for r in rs[0].rows]

                assert await pool.retry_operation(ids) == [1, 3]

                attempts = []

                async def increment(session):
                    attempts.append(1)
                    tx = session.transaction(ydb.SerializableReadWrite())
                    rs = await tx.execute("SELECT n FROM counters WHERE id = 1")
                    n = rs[0].rows[0].n
                    await asyncio.sleep(0.05)
                    prepared = await session.prepare("DECLARE $n AS Int64; UPSERT INTO counters (id, n) VALUES (1, $n)")
                    await tx.execute(prepared, {"$n": n + 1})
                    await tx.commit()

                settings = ydb.RetrySettings(max_retries=20)
                await asyncio.gather(*[pool.retry_operation(increment, retry_settings=settings) for _ in range(4)])
                assert len(attempts) > 4  # some went through ABORTED and were retried

                async def value(session):
                    rs = await session.transaction().execute("SELECT n FROM counters WHERE id = 1", commit_tx=True)
                    return rs[0].rows[0].n

                assert await pool.retry_operation(value) == 4

                async def insert_twice(session):
                    await session.transaction().execute(
                        "INSERT INTO counters (id, n) VALUES (1, 5)", commit_tx=True
                    )

                with pytest.raises(ydb.issues.PreconditionFailed):
                    await pool.retry_operation(insert_twice)

    run(main())


async def accounts_table(pool):
    """A table service pool's `accounts` table with rows 1 and 2 holding 100 each."""

    async def create(session):
        await session.execute_scheme("CREATE TABLE accounts (id Uint64, balance Int64, PRIMARY KEY (id))")
        await session.transaction().execute(
            "UPSERT INTO accounts (id, balance) VALUES (1, 100), (2, 100)", commit_tx=True
        )

    await pool.retry_operation(create)


async def balances(pool):
    async def read(session):
        rs = await session.transaction().execute("SELECT id, balance FROM accounts ORDER BY id", commit_tx=True)
        return {r.id: r.balance for r in rs[0].rows}

    return await pool.retry_operation(read)


def test_interactive_transactions_on_different_rows_are_open_together_and_both_commit(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=2) as pool:
                await accounts_table(pool)
                s1, s2 = await pool.acquire(), await pool.acquire()
                t1, t2 = s1.transaction(), s2.transaction()
                for tx, row in [(t1, 1), (t2, 2)]:
                    rs = await tx.execute(f"SELECT balance FROM accounts WHERE id = {row}")
                    assert rs[0].rows[0].balance == 100
                # Both write while both are open; neither waits for nor aborts the other.
                await t1.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
                await t2.execute("UPDATE accounts SET balance = balance + 2 WHERE id = 2")
                await t2.commit()
                await t1.commit()
                await pool.release(s1)
                await pool.release(s2)
                assert await balances(pool) == {1: 101, 2: 102}

    run(main())


def test_a_conflict_on_the_same_row_is_aborted_at_commit_not_at_the_write(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=2) as pool:
                await accounts_table(pool)
                s1, s2 = await pool.acquire(), await pool.acquire()
                t1, t2 = s1.transaction(), s2.transaction()
                for tx in (t1, t2):
                    await tx.execute("SELECT balance FROM accounts WHERE id = 1")
                # Both writes succeed: they are buffered in their transactions.
                await t1.execute("UPSERT INTO accounts (id, balance) VALUES (1, 50)")
                await t2.execute("UPSERT INTO accounts (id, balance) VALUES (1, 70)")
                await t1.commit()
                with pytest.raises(ydb.issues.Aborted, match="Transaction locks invalidated"):
                    await t2.commit()
                await pool.release(s1)
                await pool.release(s2)
                assert await balances(pool) == {1: 50, 2: 100}

    run(main())


def test_a_read_then_write_race_is_caught_at_commit_on_the_query_service(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=2) as pool:
                await pool.execute_with_retries("CREATE TABLE accounts (id Uint64, balance Int64, PRIMARY KEY (id))")
                await pool.execute_with_retries("UPSERT INTO accounts (id, balance) VALUES (1, 100), (2, 100)")
                async with pool.checkout() as session:
                    tx = session.transaction(ydb.QuerySerializableReadWrite())
                    await tx.begin()
                    async with await tx.execute("SELECT balance FROM accounts WHERE id = 1") as results:
                        rows = [row async for rs in results for row in rs.rows]
                    assert rows[0].balance == 100
                    # Another client moves money out of account 1 and commits.
                    await pool.execute_with_retries("UPSERT INTO accounts (id, balance) VALUES (1, 0)")
                    # This transaction, believing account 1 holds 100, credits account 2: accepted now...
                    async with await tx.execute("UPSERT INTO accounts (id, balance) VALUES (2, 200)") as _:
                        pass
                    # ...and refused at commit, having applied nothing.
                    with pytest.raises(ydb.issues.Aborted, match="Transaction locks invalidated"):
                        await tx.commit()
                result_sets = await pool.execute_with_retries("SELECT id, balance FROM accounts ORDER BY id")
                assert [(r.id, r.balance) for r in result_sets[0].rows] == [(1, 0), (2, 100)]

    run(main())


def test_read_only_modes_read_as_documented_and_refuse_writes(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=3) as pool:
                await accounts_table(pool)

                async def total(tx):
                    rs = await tx.execute("SELECT SUM(balance) AS total FROM accounts")
                    return rs[0].rows[0].total

                snapshot_session, online_session = await pool.acquire(), await pool.acquire()
                snapshot = snapshot_session.transaction(ydb.SnapshotReadOnly())
                assert await total(snapshot) == 200  # the snapshot is taken here, at the first read

                async def deposit(session):
                    await session.transaction().execute(
                        "UPDATE accounts SET balance = balance + 50 WHERE id = 1", commit_tx=True
                    )

                await pool.retry_operation(deposit)
                assert await total(snapshot) == 200
                await snapshot.commit()
                inconsistent = ydb.OnlineReadOnly().with_allow_inconsistent_reads()
                for mode in (ydb.OnlineReadOnly(), inconsistent, ydb.StaleReadOnly()):
                    rs = await online_session.transaction(mode).execute(
                        "SELECT SUM(balance) AS total FROM accounts", commit_tx=True
                    )
                    assert rs[0].rows[0].total == 250
                for mode in (ydb.SnapshotReadOnly(), ydb.OnlineReadOnly(), ydb.StaleReadOnly()):
                    with pytest.raises(ydb.issues.GenericError):
                        await online_session.transaction(mode).execute(
                            "UPSERT INTO accounts (id, balance) VALUES (3, 1)", commit_tx=True
                        )
                await pool.release(snapshot_session)
                await pool.release(online_session)
                assert await balances(pool) == {1: 150, 2: 100}

    run(main())


def test_bank_transfers_by_16_workers_keep_the_total(endpoint, capsys):
    accounts, transfers, workers = 8, 160, 16

    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=workers) as pool:
                await pool.execute_with_retries("CREATE TABLE bank (id Uint64, balance Int64, PRIMARY KEY (id))")
                values = ", ".join(f"({i}, 1000)" for i in range(accounts))
                await pool.execute_with_retries(f"UPSERT INTO bank (id, balance) VALUES {values}")
                aborted = []
                queue = list(range(transfers))

                async def transfer(n):
                    a, b = n % accounts, (n * 3 + 1) % accounts
                    if a == b:
                        b = (b + 1) % accounts
                    params = {"$a": (a, ydb.PrimitiveType.Uint64), "$b": (b, ydb.PrimitiveType.Uint64)}

                    async def attempt(session):
                        try:
                            async with session.transaction(ydb.QuerySerializableReadWrite()) as tx:
                                await tx.begin()
                                async with await tx.execute(
                                    "DECLARE $a AS Uint64; DECLARE $b AS Uint64; "
                                    "SELECT id, balance FROM bank WHERE id = $a OR id = $b",
                                    params,
                                ) as results:
                                    rows = {row.id: row.balance async for rs in results for row in rs.rows}
                                amount = 7
                                async with await tx.execute(
                                    "DECLARE $a AS Uint64; DECLARE $b AS Uint64; DECLARE $x AS Int64; "
                                    "DECLARE $y AS Int64; UPSERT INTO bank (id, balance) VALUES ($a, $x), ($b, $y)",
                                    {
                                        **params,
                                        "$x": (rows[a] - amount, ydb.PrimitiveType.Int64),
                                        "$y": (rows[b] + amount, ydb.PrimitiveType.Int64),
                                    },
                                ) as _:
                                    pass
                                await tx.commit()
                        except ydb.issues.Aborted:
                            aborted.append(n)
                            raise

                    await pool.retry_operation_async(attempt, ydb.RetrySettings(max_retries=50))

                async def worker():
                    while queue:
                        await transfer(queue.pop())

                await asyncio.gather(*[worker() for _ in range(workers)])
                result_sets = await pool.execute_with_retries("SELECT SUM(balance) AS total FROM bank")
                with capsys.disabled():  # reported in every run, not only when the test fails
                    print(f"\nbank: {transfers} transfers by {workers} workers, {len(aborted)} ABORTED and retried")
                assert result_sets[0].rows[0].total == accounts * 1000
                assert aborted, "16 workers over 8 accounts must conflict"

    run(main())


def test_data_query_result_sets_stop_at_1000_rows_and_say_truncated(endpoint):
    async def read(session):
        return await session.transaction().execute(
            "SELECT id FROM many ORDER BY id; SELECT id FROM many WHERE id < 10", commit_tx=True
        )

    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=1) as pool:

                async def fill(session):
                    await session.execute_scheme("CREATE TABLE many (id Uint64, PRIMARY KEY (id))")
                    values = ", ".join(f"({i})" for i in range(1500))
                    await session.transaction().execute(f"UPSERT INTO many (id) VALUES {values}", commit_tx=True)

                await pool.retry_operation(fill)

                # As against YDB, the SDK refuses a truncated result unless told to accept it.
                with pytest.raises(ydb.issues.TruncatedResponseError):
                    await pool.retry_operation(read)
            async with ydb.aio.QuerySessionPool(driver, size=1) as queries:
                result_sets = await queries.execute_with_retries("SELECT id FROM many ORDER BY id")
                assert sum(len(rs.rows) for rs in result_sets) == 1500, "the query service is not capped"
        accept = ydb.TableClientSettings().with_allow_truncated_result(True)
        async with ydb.aio.Driver(endpoint=endpoint, database="/local", table_client_settings=accept) as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.SessionPool(driver, size=1) as pool:
                big, small = await pool.retry_operation(read)
                assert len(big.rows) == 1000 and big.truncated
                assert big.rows[-1].id == 999
                assert len(small.rows) == 10 and not small.truncated

    run(main())


def test_group_by_an_expression_as_an_alias_groups_orders_by_month(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                await pool.execute_with_retries(
                    "CREATE TABLE orders (id Uint64, created_at Timestamp, amount Double, PRIMARY KEY (id))"
                )
                await pool.execute_with_retries(
                    "UPSERT INTO orders (id, created_at, amount) VALUES "
                    '(1, Timestamp("2024-01-05T10:00:00Z"), 10.0), (2, Timestamp("2024-01-20T10:00:00Z"), 5.5), '
                    '(3, Timestamp("2024-02-02T10:00:00Z"), 7.0)'
                )
                result_sets = await pool.execute_with_retries(
                    "SELECT month, COUNT(*) AS n, SUM(amount) AS total FROM orders "
                    "GROUP BY DateTime::StartOfMonth(created_at) AS month ORDER BY month"
                )
                rows = [(r.month, r.n, r.total) for r in result_sets[0].rows]
                assert rows == [
                    (datetime.datetime(2024, 1, 1), 2, 15.5),
                    (datetime.datetime(2024, 2, 1), 1, 7.0),
                ]

    run(main())


def test_values_mixing_integers_and_doubles_store_the_column_type(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                await pool.execute_with_retries("CREATE TABLE prices (id Uint64, price Double, PRIMARY KEY (id))")
                await pool.execute_with_retries("UPSERT INTO prices (id, price) VALUES (1, 0.5), (2, 3)")
                await pool.execute_with_retries("UPSERT INTO prices (id, price) VALUES (3, 4), (4, 1.25)")
                result_sets = await pool.execute_with_retries("SELECT id, price FROM prices ORDER BY id")
                prices = [(r.id, r.price) for r in result_sets[0].rows]
                assert prices == [(1, 0.5), (2, 3.0), (3, 4.0), (4, 1.25)]
                assert all(isinstance(price, float) for _, price in prices)
                await pool.execute_with_retries(
                    "UPSERT INTO prices SELECT * FROM AS_TABLE(AsList(AsStruct(5ul AS id, 2 AS price), "
                    "AsStruct(6ul AS id, 2.5 AS price)))"
                )
                result_sets = await pool.execute_with_retries("SELECT price FROM prices WHERE id = 5")
                assert result_sets[0].rows[0].price == 2.0 and isinstance(result_sets[0].rows[0].price, float)
                with pytest.raises(ydb.issues.GenericError):
                    await pool.execute_with_retries("UPSERT INTO prices (id, price) VALUES (5, 1.0), (6, 'x')")

    run(main())


def test_datetime_module_functions(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                result_sets = await pool.execute_with_retries(
                    """
                    $t = Timestamp("2024-02-29T13:05:09Z");
                    $format = DateTime::Format("%d %b %Y");
                    SELECT
                        DateTime::GetYear($t) AS year, DateTime::GetMonth($t) AS month,
                        DateTime::GetDayOfMonth($t) AS day, DateTime::GetHour($t) AS hour,
                        DateTime::GetDayOfWeek($t) AS weekday,
                        DateTime::MakeDate(DateTime::StartOfWeek($t)) AS week,
                        DateTime::StartOfDay($t) AS midnight,
                        DateTime::MakeDate($t) AS date,
                        DateTime::Format("%Y-%m-%dT%H:%M:%S")($t) AS iso,
                        $format($t) AS short,
                        DateTime::ToSeconds($t) AS seconds,
                        $t + DateTime::IntervalFromDays(1) AS tomorrow,
                        $t - Interval("P1DT2H") AS earlier,
                        CAST(Interval("-PT1.5S") AS Utf8) AS interval_text
                    """
                )
                row = result_sets[0].rows[0]
                assert (row.year, row.month, row.day, row.hour, row.weekday) == (2024, 2, 29, 13, 4)
                assert row.week == datetime.date(2024, 2, 26)
                assert row.midnight == datetime.datetime(2024, 2, 29)
                assert row.date == datetime.date(2024, 2, 29)
                assert row.iso == b"2024-02-29T13:05:09"
                assert row.short == b"29 Feb 2024"
                assert row.seconds == 1709211909
                assert row.tomorrow == datetime.datetime(2024, 3, 1, 13, 5, 9)
                assert row.earlier == datetime.datetime(2024, 2, 28, 11, 5, 9)
                assert row.interval_text == "-PT1.5S"

    run(main())


def test_math_string_and_unicode_modules(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                result_sets = await pool.execute_with_retries(
                    """
                    SELECT Math::Round(1.2345, -2) AS cents, Math::Sqrt(256) AS root, Math::Mod(-1, 7) AS m,
                        String::Strip(" YQL ") AS strip, String::SplitToList("1,2,3", ",") AS parts,
                        String::ReplaceAll("a-b", "-", "+") AS replaced, String::Find("abc", "c") AS found,
                        Unicode::GetLength("привет"u) AS length, Unicode::Substring("привет"u, 1, 3) AS sub
                    """
                )
                row = result_sets[0].rows[0]
                assert (row.cents, row.root, row.m) == (1.23, 16.0, 6)
                assert (row.strip, row.parts, row.replaced, row.found) == (b"YQL", [b"1", b"2", b"3"], b"a+b", 2)
                assert (row.length, row.sub) == (6, "рив")

    run(main())


def test_scheme_client_directories(endpoint):
    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            scheme = driver.scheme_client
            await scheme.make_directory("/local/app/data")
            async with ydb.aio.SessionPool(driver, size=1) as pool:
                await make_series_table(pool, "/local/app/data/series")

            root = await scheme.describe_path("/local")
            assert root.type == ydb.SchemeEntryType.DATABASE
            listing = await scheme.list_directory("/local/app")
            assert [(c.name, c.is_directory()) for c in listing.children] == [("data", True)]
            listing = await scheme.list_directory("/local/app/data")
            assert [(c.name, c.is_table()) for c in listing.children] == [("series", True)]
            entry = await scheme.describe_path("/local/app/data/series")
            assert entry.type == ydb.SchemeEntryType.TABLE

            await scheme.modify_permissions(
                "/local/app", ydb.ModifyPermissionsSettings().grant_permissions("alice", ["ydb.generic.read"])
            )
            entry = await scheme.describe_path("/local/app/data")
            assert [(p.subject, list(p.permission_names)) for p in entry.effective_permissions] == [
                ("alice", ["ydb.generic.read"])
            ]
            assert list(entry.permissions) == []

            with pytest.raises(ydb.issues.SchemeError):
                await scheme.remove_directory("/local/app/data")  # not empty
            with pytest.raises(ydb.issues.SchemeError):
                await scheme.describe_path("/local/nowhere")
            await scheme.make_directory("/local/empty")
            await scheme.remove_directory("/local/empty")
            with pytest.raises(ydb.issues.SchemeError):
                await scheme.describe_path("/local/empty")

    run(main())


def test_static_credentials_against_a_server_with_users(auth_endpoint):
    async def main():
        credentials = ydb.StaticCredentials.from_user_password("alice", "secret")
        async with ydb.aio.Driver(endpoint=auth_endpoint, database="/local", credentials=credentials) as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                await pool.execute_with_retries("CREATE TABLE t (id Int64, PRIMARY KEY (id))")
                await pool.execute_with_retries("UPSERT INTO t (id) VALUES (1)")
                rs = await pool.execute_with_retries("SELECT COUNT(*) AS n FROM t")
                assert rs[0].rows[0].n == 1
            listing = await driver.scheme_client.list_directory("/local")
            assert [c.name for c in listing.children] == ["t"]
            await driver.scheme_client.make_directory("/local/alices")
            assert (await driver.scheme_client.describe_path("/local/alices")).owner == "alice"

        # No token: the server answers UNAUTHENTICATED before any service runs.
        async with ydb.aio.Driver(endpoint=auth_endpoint, database="/local") as driver:
            with pytest.raises(ydb.issues.Error) as raised:
                await driver.wait(timeout=5, fail_fast=True)
            assert "nauthenticated" in str(raised.value)

        bad = ydb.StaticCredentials.from_user_password("alice", "wrong")
        async with ydb.aio.Driver(endpoint=auth_endpoint, database="/local", credentials=bad) as driver:
            with pytest.raises(ydb.issues.Error) as raised:
                await driver.wait(timeout=5, fail_fast=True)
            assert "Invalid password" in str(raised.value)

    run(main())


def test_an_expired_token_is_unauthenticated(short_token_endpoint):
    async def main():
        credentials = ydb.StaticCredentials.from_user_password("alice", "secret")
        async with ydb.aio.Driver(endpoint=short_token_endpoint, database="/local", credentials=credentials) as driver:
            await driver.wait(timeout=5, fail_fast=True)
            await driver.scheme_client.describe_path("/local")
            # The SDK assumes tokens live 30 minutes and keeps sending this one after the server's 1 s.
            await asyncio.sleep(1.5)
            with pytest.raises(ydb.issues.Unauthenticated):
                await driver.scheme_client.describe_path("/local")

    run(main())


def admin_post(admin, path, body):
    import json
    import urllib.request

    request = urllib.request.Request(admin + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def node_of(session_id):
    return int(session_id.split("node_id=")[1].split("&")[0])


def test_the_sdk_balances_sessions_over_the_listed_nodes():
    proc, endpoint, _ = start_server("--nodes", "3")
    try:

        async def main():
            async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
                await driver.wait(timeout=5, fail_fast=True)
                sessions = [await driver.table_client.session().create() for _ in range(12)]
                nodes = {node_of(s.session_id) for s in sessions}
                for s in sessions:
                    await s.transaction().execute("SELECT 1 AS one", commit_tx=True)
                    await s.delete()
                return nodes

        assert len(run(main())) > 1, "sessions went to more than one of the three nodes"
    finally:
        stop_server(proc)


def test_the_sdk_retires_a_session_on_the_session_close_hint():
    proc, endpoint, admin = start_server("--admin", "127.0.0.1:0")
    try:

        async def main():
            async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
                await driver.wait(timeout=5, fail_fast=True)
                async with ydb.aio.SessionPool(driver, size=1) as pool:
                    seen = []

                    async def select(session):
                        seen.append(session.session_id)
                        return await session.transaction().execute("SELECT 7 AS seven", commit_tx=True)

                    await pool.retry_operation(select)
                    rpc = "Ydb.Table.V1.TableService/ExecuteDataQuery"
                    admin_post(admin, "/faults", {"rpc": rpc, "sessionCloseHint": True, "times": 1})
                    hinted = await pool.retry_operation(select)
                    after = await pool.retry_operation(select)
                    return seen, hinted, after

        seen, hinted, after = run(main())
        assert hinted[0].rows[0].seven == 7 and after[0].rows[0].seven == 7
        assert seen[0] == seen[1], "the hinted call ran on the pooled session, once"
        assert len(seen) == 3 and seen[2] != seen[1], "the next call got a new session, with no failed attempt"
    finally:
        stop_server(proc)


def test_wide_tz_and_other_column_types_round_trip(endpoint):
    """Columns of the wide date and time types, the Tz types, DyNumber, Yson, Uuid, a 35-digit Decimal and
    JsonDocument, written with the SDK's typed parameters and read back as the SDK reads real YDB."""
    import decimal
    import uuid
    from zoneinfo import ZoneInfo

    columns = [
        ("d32", "Date32", ydb.PrimitiveType.Date32, datetime.date(1000, 3, 1)),
        ("dt64", "Datetime64", ydb.PrimitiveType.Datetime64, datetime.datetime(1500, 6, 15, 12, 30, 45)),
        ("ts64", "Timestamp64", ydb.PrimitiveType.Timestamp64, datetime.datetime(1900, 1, 1, 0, 0, 0, 123456)),
        ("iv64", "Interval64", ydb.PrimitiveType.Interval64, datetime.timedelta(days=-200 * 365, microseconds=7)),
        ("tzd", "TzDate", ydb.PrimitiveType.TzDate, "1901-02-03,Europe/Berlin"),
        ("tzts", "TzTimestamp", ydb.PrimitiveType.TzTimestamp, "2024-05-06T07:08:09.000123,Asia/Tokyo"),
        ("dy", "DyNumber", ydb.PrimitiveType.DyNumber, "-1.5e-100"),
        ("ys", "Yson", ydb.PrimitiveType.Yson, b"{a=1}"),
        ("uu", "Uuid", ydb.PrimitiveType.UUID, uuid.UUID("123e4567-e89b-12d3-a456-426614174000")),
        # 28 significant digits: the SDK converts in Python's default decimal context, which rounds beyond.
        ("dec", "Decimal(35,10)", ydb.DecimalType(35, 10), decimal.Decimal("-123456789012345678.0123456789")),
        ("jd", "JsonDocument", ydb.PrimitiveType.JsonDocument, '{"b": null}'),
    ]

    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                defs = ", ".join(f"{n} {t}" for n, t, _, _ in columns)
                await pool.execute_with_retries(f"CREATE TABLE wide (id Int32, {defs}, PRIMARY KEY (id))")
                declares = " ".join(f"DECLARE ${n} AS {t};" for n, t, _, _ in columns)
                names = ", ".join(n for n, _, _, _ in columns)
                dollars = ", ".join(f"${n}" for n, _, _, _ in columns)
                await pool.execute_with_retries(
                    f"{declares} UPSERT INTO wide (id, {names}) VALUES (1, {dollars});",
                    {f"${n}": (v, pt) for n, _, pt, v in columns},
                )
                result_sets = await pool.execute_with_retries(f"SELECT {names} FROM wide WHERE id = 1;")
                row = result_sets[0].rows[0]
                # The SDK reads Tz types as zoned datetimes and JSON parsed.
                zoned = {
                    "tzd": datetime.datetime(1901, 2, 3, tzinfo=ZoneInfo("Europe/Berlin")),
                    "tzts": datetime.datetime(2024, 5, 6, 7, 8, 9, 123, tzinfo=ZoneInfo("Asia/Tokyo")),
                    "jd": {"b": None},
                }
                for n, _, _, v in columns:
                    want = zoned.get(n, v)
                    assert row[n] == want, (n, row[n], want)

    run(main())


def test_plans_lambdas_canonical_json_and_table_reads_as_ydb_answers_them(endpoint):
    """What the SDK's own suite checks against YDB, here as ordinary use: EXPLAIN and FULL statistics carry a
    plan naming a full scan or a lookup, `ListMap` takes a lambda, JsonDocument comes back canonical,
    ReadRows reads by keys, a scan query streams with statistics, prepared text is kept in the cache with
    its id, indexes are renamed, and a request compressed with gzip is answered."""
    import json

    async def main():
        config = ydb.DriverConfig(endpoint, "/local", compression=ydb.RPCCompression.Gzip)
        async with ydb.aio.Driver(driver_config=config) as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                await pool.execute_with_retries(
                    "CREATE TABLE kv (k Uint64, v Utf8, PRIMARY KEY (k), INDEX by_v GLOBAL ON (v))"
                )
                await pool.execute_with_retries("UPSERT INTO kv (k, v) VALUES (1, 'one'), (2, 'two'), (3, 'three')")

                async def explain(session):
                    scan = await session.explain("SELECT * FROM kv", result_format=ydb.QueryExplainResultFormat.DICT)
                    lookup = await session.explain(
                        "DECLARE $k AS Uint64; SELECT * FROM kv WHERE k = $k", {"$k": (1, ydb.PrimitiveType.Uint64)}
                    )
                    async for _ in await session.execute("SELECT v FROM kv", stats_mode=ydb.QueryStatsMode.FULL):
                        pass
                    return scan, lookup, session.last_query_stats

                scan, lookup, stats = await pool.retry_operation_async(explain)
                assert "TableFullScan" in json.dumps(scan) and "TablePointLookup" in lookup
                assert json.loads(stats.query_plan)["tables"][0]["reads"][0]["type"] == "FullScan"
                assert stats.query_ast

                result = await pool.execute_with_retries(
                    "SELECT ListMap(ListFromRange(1, 4), ($x) -> ($x * 10)) AS tens, "
                    "ListFilter(AsList(1, 2, 3, 4), ($x) -> ($x % 2 = 0)) AS even, "
                    "CAST(@@{ \"b\" : 1, \"a\" : [true] }@@ AS JsonDocument) AS doc;"
                )
                row = result[0].rows[0]
                assert row.tens == [10, 20, 30] and row.even == [2, 4]
                assert row.doc == {"a": [True], "b": 1}

            client = driver.table_client
            key_types = ydb.BulkUpsertColumns().add_column("k", ydb.PrimitiveType.Uint64)
            rows = await client.read_rows("/local/kv", [{"k": 3}, {"k": 1}, {"k": 9}], key_types, columns=("v",))
            assert [r.v for r in rows.rows] == ["one", "three"]

            scanned = []
            settings = ydb.ScanQuerySettings().with_collect_stats(ydb.QueryStatsCollectionMode.BASIC)
            last = None
            async for part in await client.scan_query("SELECT k FROM kv ORDER BY k", settings=settings):
                scanned.extend(r.k for r in part.result_set.rows)
                last = part
            assert scanned == [1, 2, 3] and len(last.query_stats.query_phases) > 0

            async with ydb.aio.SessionPool(driver, size=1) as table_pool:

                async def cached_and_renamed(session):
                    query = ydb.DataQuery("SELECT COUNT(*) AS n FROM kv", {})
                    await session.transaction().execute(query, commit_tx=True)
                    await session.alter_table("/local/kv", rename_indexes=[ydb.RenameIndexItem("by_v", "by_value")])
                    await session.copy_table("/local/kv", "/local/kv_copy")
                    await session.copy_table("/local/kv", "/local/kv_copy")  # onto an existing table: accepted
                    return session.has_prepared(query), await session.describe_table("/local/kv")

                kept, described = await table_pool.retry_operation(cached_and_renamed)
                assert kept
                assert [i.name for i in described.indexes] == ["by_value"]

    run(main())


def test_the_sql_an_orm_writes(endpoint):
    """Forms an ORM layer issues as ordinary SQL, answered as YDB answers them: CREATE TABLE options, table-
    qualified columns in UPDATE / DELETE, RETURNING, UNION with ORDER BY after it, window functions, VALUES as
    a table, and a unique index that refuses a duplicate."""

    async def main():
        async with ydb.aio.Driver(endpoint=endpoint, database="/local") as driver:
            await driver.wait(timeout=5, fail_fast=True)
            async with ydb.aio.QuerySessionPool(driver, size=1) as pool:
                await pool.execute_with_retries(
                    "CREATE TABLE users (id Int64 NOT NULL, email Utf8, team Utf8 FAMILY cold, score Int64, "
                    "PRIMARY KEY (id), INDEX by_email GLOBAL UNIQUE SYNC ON (email), "
                    "FAMILY cold (COMPRESSION = 'lz4')) PARTITION BY HASH(id) WITH (AUTO_PARTITIONING_BY_SIZE = ENABLED)"
                )
                inserted = await pool.execute_with_retries(
                    "INSERT INTO users (id, email, team, score) VALUES "
                    "(1, 'a@x'u, 'red'u, 10), (2, 'b@x'u, 'red'u, 30), (3, 'c@x'u, 'blue'u, 20) RETURNING id, email"
                )
                assert [(r.id, r.email) for r in inserted[0].rows] == [(1, "a@x"), (2, "b@x"), (3, "c@x")]

                updated = await pool.execute_with_retries(
                    "DECLARE $id AS Int64; UPDATE users SET score = users.score + 1 WHERE users.id = $id "
                    "RETURNING id, score",
                    {"$id": (2, ydb.PrimitiveType.Int64)},
                )
                assert [(r.id, r.score) for r in updated[0].rows] == [(2, 31)]

                with pytest.raises(ydb.PreconditionFailed):
                    await pool.execute_with_retries("UPSERT INTO users (id, email) VALUES (4, 'a@x'u)")

                ranked = await pool.execute_with_retries(
                    "SELECT id, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC) AS place, "
                    "SUM(score) OVER (PARTITION BY team) AS team_total FROM users ORDER BY id"
                )
                assert [(r.id, r.place, r.team_total) for r in ranked[0].rows] == [(1, 2, 41), (2, 1, 41), (3, 1, 20)]

                unioned = await pool.execute_with_retries(
                    "SELECT team FROM users UNION SELECT 'green'u AS team UNION SELECT team FROM users ORDER BY team"
                )
                assert [r.team for r in unioned[0].rows] == ["blue", "green", "red"]

                joined = await pool.execute_with_retries(
                    "SELECT v.id AS id, v.label AS label, u.email AS email FROM (VALUES (1, 'one'u), (3, 'three'u)) "
                    "AS v(id, label) JOIN users AS u ON u.id = v.id ORDER BY id DESC"
                )
                assert [(r.id, r.label, r.email) for r in joined[0].rows] == [(3, "three", "c@x"), (1, "one", "a@x")]

                deleted = await pool.execute_with_retries("DELETE FROM users WHERE users.team = 'red'u RETURNING id")
                assert sorted(r.id for r in deleted[0].rows) == [1, 2]

    run(main())
