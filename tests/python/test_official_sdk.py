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


@pytest.fixture()
def endpoint():
    binary = os.environ.get("YDB_DEVSERVER_BIN", "target/debug/ydb-devserver")
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("ydb-devserver listening on "), line
        yield "grpc://" + line.rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
