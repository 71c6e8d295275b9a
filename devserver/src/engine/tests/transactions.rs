//! Transactions: interactive transactions, optimistic locks and their conflicts, snapshots, read-only
//! modes, and concurrent writers.

use super::*;

fn in_tx(e: &Engine, tx: &str, yql: &str) -> Result<ExecuteOutcome, EngineError> {
    e.execute(ExecuteRequest {
        database: "/local",
        yql,
        params: &HashMap::new(),
        tx: TxSelector::Existing(tx.to_string()),
        commit: false,
    })
}

#[test]
fn interactive_transactions() {
    let e = eng();
    setup(&e);
    // Begin through execute; visible after commit.
    let out = e
        .execute(ExecuteRequest {
            database: "/local",
            yql: "UPSERT INTO series (id, title) VALUES (1, 'a'u);",
            params: &HashMap::new(),
            tx: TxSelector::Begin(TxMode::SerializableReadWrite),
            commit: false,
        })
        .unwrap();
    let tx = out.tx_id.unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(0)));
    e.commit(&tx).unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(1)));
    // Rollback discards.
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "UPSERT INTO series (id) VALUES (2);").unwrap();
    let inside = in_tx(&e, &tx, "SELECT COUNT(*) FROM series;").unwrap();
    assert_eq!(inside.result_sets[0].rows[0].items[0].value, Some(PV::Uint64Value(2)));
    e.rollback(&tx).unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(1)));
    assert_eq!(e.rollback(&tx).unwrap_err().status, StatusCode::NotFound);
}

#[test]
fn conflicting_transactions_abort_the_later() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0);");
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "SELECT score FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &t2, "SELECT score FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &t1, "UPSERT INTO series (id, score) VALUES (1, 2.0);").unwrap();
    e.commit(&t1).unwrap();
    let res = in_tx(&e, &t2, "UPSERT INTO series (id, score) VALUES (1, 3.0);")
        .and_then(|_| e.commit(&t2).map(|_| ExecuteOutcome::default()));
    let err = res.unwrap_err();
    assert_eq!(err.status, StatusCode::Aborted);
    assert_eq!(err.message(), "Transaction locks invalidated. Table: `/local/series`.");
    assert_eq!(err.issues[0].issue_code, 2001);
    // The aborted transaction is gone.
    assert_eq!(e.commit(&t2).unwrap_err().status, StatusCode::NotFound);
    assert_eq!(q(&e, "SELECT score FROM series;")[0].rows[0].items[0].value, Some(PV::DoubleValue(2.0)));
}

fn count(e: &Engine) -> PV {
    q(e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value.clone().unwrap()
}

#[test]
fn transactions_writing_different_rows_are_open_together_and_both_commit() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0), (2, 2.0);");
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "SELECT score FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &t2, "SELECT score FROM series WHERE id = 2;").unwrap();
    in_tx(&e, &t1, "UPDATE series SET score = score + 10.0 WHERE id = 1;").unwrap();
    in_tx(&e, &t2, "UPDATE series SET score = score + 20.0 WHERE id = 2;").unwrap();
    e.commit(&t2).unwrap();
    e.commit(&t1).unwrap();
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(11.0)));
    assert_eq!(score(&e, 2), Some(PV::DoubleValue(22.0)));
}

#[test]
fn writes_are_buffered_seen_by_their_own_transaction_only_until_commit() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0), (2, 2.0);");
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (3, 3.0); DELETE FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &tx, "UPDATE series SET score = score * 2.0 WHERE id = 3;").unwrap();
    // Nobody else sees them, and nobody waits for them: an autocommit write to another row goes through.
    assert_eq!(count(&e), PV::Uint64Value(2));
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(1.0)));
    q(&e, "UPSERT INTO series (id, score) VALUES (4, 4.0);");
    // The transaction sees its own writes over the latest committed state.
    let inside = in_tx(&e, &tx, "SELECT id, score FROM series ORDER BY id;").unwrap().result_sets;
    let ids: Vec<_> = inside[0].rows.iter().map(|r| r.items[0].value.clone()).collect();
    assert_eq!(ids, vec![Some(PV::Uint64Value(2)), Some(PV::Uint64Value(3)), Some(PV::Uint64Value(4))]);
    assert_eq!(cell(&inside[0], 1, 1), Some(PV::DoubleValue(6.0)));
    e.commit(&tx).unwrap();
    let rs = q(&e, "SELECT id, score FROM series ORDER BY id;");
    let rows: Vec<_> = rs[0].rows.iter().map(|r| (r.items[0].value.clone(), r.items[1].value.clone())).collect();
    assert_eq!(
        rows,
        vec![
            (Some(PV::Uint64Value(2)), Some(PV::DoubleValue(2.0))),
            (Some(PV::Uint64Value(3)), Some(PV::DoubleValue(6.0))),
            (Some(PV::Uint64Value(4)), Some(PV::DoubleValue(4.0))),
        ]
    );
}

#[test]
fn a_conflict_on_the_same_row_is_reported_at_commit_not_at_the_write() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0);");
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "UPDATE series SET score = score + 1.0 WHERE id = 1;").unwrap();
    in_tx(&e, &t2, "UPDATE series SET score = score + 2.0 WHERE id = 1;").unwrap();
    e.commit(&t1).unwrap();
    let err = e.commit(&t2).unwrap_err();
    assert_eq!(err.status, StatusCode::Aborted);
    assert!(err.message().starts_with("Transaction locks invalidated."), "{}", err.message());
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(2.0)));
}

#[test]
fn blind_writes_to_the_same_row_conflict_too() {
    let e = eng();
    setup(&e);
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "UPSERT INTO series (id, score) VALUES (1, 1.0);").unwrap();
    in_tx(&e, &t2, "UPSERT INTO series (id, score) VALUES (1, 2.0);").unwrap();
    e.commit(&t2).unwrap();
    assert_eq!(e.commit(&t1).unwrap_err().status, StatusCode::Aborted);
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(2.0)));
}

#[test]
fn a_read_then_write_race_is_caught_at_commit_and_applies_nothing() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 100.0), (2, 0.0);");
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "SELECT score FROM series WHERE id = 1;").unwrap();
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 50.0);");
    // The write goes into the buffer; the broken lock is found at commit.
    in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (2, 100.0);").unwrap();
    assert_eq!(e.commit(&tx).unwrap_err().status, StatusCode::Aborted);
    assert_eq!(score(&e, 2), Some(PV::DoubleValue(0.0)));
}

#[test]
fn reads_of_listed_keys_lock_only_those_keys() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0);");
    for filter in ["id = 1 OR id = 2", "id IN (1, 2)", "(id = 1 AND score > 0.0) OR id = 2"] {
        let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
        in_tx(&e, &tx, &format!("SELECT * FROM series WHERE {filter};")).unwrap();
        q(&e, "UPSERT INTO series (id, score) VALUES (3, 30.0);");
        in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (1, 10.0);").unwrap();
        e.commit(&tx).unwrap_or_else(|err| panic!("{filter}: {err}"));
        let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
        in_tx(&e, &tx, &format!("SELECT * FROM series WHERE {filter};")).unwrap();
        q(&e, "UPSERT INTO series (id, score) VALUES (2, 20.0);");
        in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (1, 10.0);").unwrap();
        assert_eq!(e.commit(&tx).unwrap_err().status, StatusCode::Aborted, "{filter}");
    }
}

#[test]
fn a_transaction_that_only_reads_sees_one_snapshot_and_commits() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 50.0), (2, 50.0);");
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    let first = in_tx(&e, &tx, "SELECT score FROM series WHERE id = 1;").unwrap().result_sets;
    // A transfer commits between the two reads; the second read still sees the first one's state.
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 0.0), (2, 100.0);");
    let second = in_tx(&e, &tx, "SELECT score FROM series WHERE id = 2;").unwrap().result_sets;
    assert_eq!(cell(&first[0], 0, 0), Some(PV::DoubleValue(50.0)));
    assert_eq!(cell(&second[0], 0, 0), Some(PV::DoubleValue(50.0)), "one snapshot: the total stays 100");
    e.commit(&tx).unwrap();
    // Once it writes, it sees the latest state, and the lock its snapshot read took is checked.
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "SELECT score FROM series WHERE id = 1;").unwrap();
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 7.0);");
    let now = in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (3, 1.0); SELECT score FROM series WHERE id = 1;");
    assert_eq!(cell(&now.unwrap().result_sets[0], 0, 0), Some(PV::DoubleValue(7.0)));
    assert_eq!(e.commit(&tx).unwrap_err().status, StatusCode::Aborted);
}

#[test]
fn a_range_read_is_broken_by_a_new_row_in_the_range() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0);");
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "SELECT COUNT(*) FROM series WHERE score > 0.0;").unwrap();
    q(&e, "UPSERT INTO series (id, score) VALUES (9, 9.0);");
    in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (2, 2.0);").unwrap();
    assert_eq!(e.commit(&tx).unwrap_err().status, StatusCode::Aborted);
}

#[test]
fn a_rolled_back_transaction_leaves_no_rows_and_no_locks() {
    let e = eng();
    setup(&e);
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "UPSERT INTO series (id, score) VALUES (1, 1.0);").unwrap();
    e.rollback(&t1).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t2, "SELECT * FROM series; UPSERT INTO series (id, score) VALUES (1, 2.0);").unwrap();
    e.commit(&t2).unwrap();
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(2.0)));
}

#[test]
fn dropping_a_table_under_a_transaction_aborts_its_commit() {
    let e = eng();
    setup(&e);
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "UPSERT INTO series (id, score) VALUES (1, 1.0);").unwrap();
    e.execute_scheme("/local", "DROP TABLE series").unwrap();
    assert_eq!(e.commit(&tx).unwrap_err().status, StatusCode::Aborted);
}

#[test]
fn snapshot_read_only_sees_the_state_of_its_first_read() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id) VALUES (1);");
    let snap = e.begin(TxMode::SnapshotReadOnly).unwrap();
    let online = e.begin(TxMode::OnlineReadOnly).unwrap();
    let stale = e.begin(TxMode::StaleReadOnly).unwrap();
    // The snapshot is taken by the first read, not by begin.
    q(&e, "UPSERT INTO series (id) VALUES (2);");
    let first = in_tx(&e, &snap, "SELECT COUNT(*) FROM series;").unwrap().result_sets;
    assert_eq!(cell(&first[0], 0, 0), Some(PV::Uint64Value(2)));
    q(&e, "UPSERT INTO series (id) VALUES (3);");
    let later = in_tx(&e, &snap, "SELECT COUNT(*) FROM series;").unwrap().result_sets;
    assert_eq!(cell(&later[0], 0, 0), Some(PV::Uint64Value(2)));
    // Online and stale read-only read the latest committed state at each statement.
    for tx in [&online, &stale] {
        let now = in_tx(&e, tx, "SELECT COUNT(*) FROM series;").unwrap().result_sets;
        assert_eq!(cell(&now[0], 0, 0), Some(PV::Uint64Value(3)));
        assert_eq!(in_tx(&e, tx, "DELETE FROM series;").unwrap_err().status, StatusCode::GenericError);
    }
    e.commit(&snap).unwrap();
    assert_eq!(e.commit(&online).unwrap_err().status, StatusCode::NotFound, "a refused write ends it");
}

#[test]
fn concurrent_transfers_keep_the_total_and_some_abort() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (0, 100.0), (1, 100.0), (2, 100.0), (3, 100.0);");
    let aborted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..8u64)
        .map(|w| {
            let (e, aborted) = (e.clone(), aborted.clone());
            std::thread::spawn(move || {
                for i in 0..15u64 {
                    let (from, to) = ((w + i) % 4, (w + i + 1) % 4);
                    loop {
                        let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
                        let attempt = in_tx(&e, &tx, &format!("SELECT score FROM series WHERE id = {from};"))
                            .and_then(|_| {
                                in_tx(
                                    &e,
                                    &tx,
                                    &format!(
                                        "UPDATE series SET score = score - 1.0 WHERE id = {from};
                                         UPDATE series SET score = score + 1.0 WHERE id = {to};"
                                    ),
                                )
                            })
                            .and_then(|_| e.commit(&tx));
                        match attempt {
                            Ok(()) => break,
                            Err(err) if err.status == StatusCode::Aborted => {
                                aborted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            Err(err) => panic!("{err}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let rs = q(&e, "SELECT SUM(score) FROM series;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::DoubleValue(400.0)));
    eprintln!("aborted and retried: {}", aborted.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn concurrent_autocommit() {
    let e = eng();
    setup(&e);
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let e = e.clone();
            std::thread::spawn(move || {
                for i in 0..25u64 {
                    q(&e, &format!("UPSERT INTO series (id) VALUES ({}ul);", t * 100 + i));
                    q(&e, "SELECT COUNT(*) FROM series;");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(100)));
}

#[test]
fn a_transaction_writing_ten_thousand_rows_in_ten_statements_commits_them_all() {
    let e = eng();
    setup(&e);
    let started = std::time::Instant::now();
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    for batch in 0..10u64 {
        let values: Vec<String> =
            (0..1000).map(|i| format!("({}ul, '{}'u)", batch * 1000 + i, "x".repeat(300))).collect();
        in_tx(&e, &tx, &format!("UPSERT INTO series (id, title) VALUES {};", values.join(","))).unwrap();
    }
    e.commit(&tx).unwrap();
    eprintln!("10 x 1,000 rows in one transaction: {:?}", started.elapsed());
    assert_eq!(count(&e), PV::Uint64Value(10_000));
}

#[test]
fn read_only_transaction_rejects_writes() {
    let e = eng();
    setup(&e);
    let tx = e.begin(TxMode::SnapshotReadOnly).unwrap();
    assert!(in_tx(&e, &tx, "SELECT * FROM series;").is_ok());
    let err = in_tx(&e, &tx, "UPSERT INTO series (id) VALUES (1);").unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
}
