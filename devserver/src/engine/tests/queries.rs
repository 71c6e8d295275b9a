//! Queries: parameters, SELECT shapes, expressions and aggregation, named expressions, built-in
//! function modules, VALUES typing, writes by key, and the errors YDB gives for bad queries.

use super::*;

#[test]
fn round_trip_with_params() {
    let e = eng();
    setup(&e);
    let mut p = HashMap::new();
    p.insert("$id".to_string(), tv(Type::Prim(Prim::Uint64), PV::Uint64Value(7)));
    p.insert("$title".to_string(), tv(Type::Prim(Prim::Utf8), PV::TextValue("Seven".into())));
    p.insert("$big".to_string(), tv(Type::Prim(Prim::Uint64), PV::Uint64Value(u64::MAX)));
    run(
        &e,
        "DECLARE $id AS Uint64; DECLARE $title AS Utf8; DECLARE $big AS Uint64;
         UPSERT INTO series (id, title, score, big) VALUES ($id, $title, 1.5, $big), (1, 'one'u, NULL, 5ul);",
        &p,
    )
    .unwrap();
    let rs = q(&e, "SELECT id, title, score, big FROM series ORDER BY id;");
    assert_eq!(rs.len(), 1);
    let r = &rs[0];
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.columns[0].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(r.columns[1].r#type, Some(Type::optional(Type::Prim(Prim::Utf8)).to_proto()));
    assert_eq!(cell(r, 0, 0), Some(PV::Uint64Value(1)));
    assert_eq!(cell(r, 0, 2), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(r, 1, 1), Some(PV::TextValue("Seven".into())));
    assert_eq!(cell(r, 1, 2), Some(PV::DoubleValue(1.5)));
    assert_eq!(cell(r, 1, 3), Some(PV::Uint64Value(u64::MAX)));
    // Uint64 above 2^63 keeps its order in WHERE.
    let rs = q(&e, "SELECT id FROM series WHERE big > 5ul;");
    assert_eq!(rs[0].rows.len(), 1);
}

#[test]
fn upsert_from_as_table_and_order_limit() {
    let e = eng();
    setup(&e);
    let row_t = Type::Struct(vec![("id".into(), Type::Prim(Prim::Uint64)), ("title".into(), Type::Prim(Prim::Utf8))]);
    let list_t = Type::List(Box::new(row_t));
    let rows: Vec<ydb::Value> = (0..20u64)
        .map(|i| ydb::Value {
            items: vec![
                ydb::Value { value: Some(PV::Uint64Value(i)), ..Default::default() },
                ydb::Value { value: Some(PV::TextValue(format!("t{i}"))), ..Default::default() },
            ],
            ..Default::default()
        })
        .collect();
    let mut p = HashMap::new();
    p.insert(
        "$rows".to_string(),
        ydb::TypedValue {
            r#type: Some(list_t.to_proto()),
            value: Some(ydb::Value { items: rows, ..Default::default() }),
        },
    );
    run(
        &e,
        "DECLARE $rows AS List<Struct<id:Uint64,title:Utf8>>; UPSERT INTO series SELECT id, title FROM AS_TABLE($rows);",
        &p,
    )
    .unwrap();
    let rs = q(&e, "SELECT id, title AS t FROM series WHERE id >= 5 ORDER BY id DESC LIMIT 3 OFFSET 1;");
    let r = &rs[0];
    assert_eq!(r.columns[1].name, "t");
    let ids: Vec<_> = (0..r.rows.len()).map(|i| cell(r, i, 0)).collect();
    assert_eq!(ids, vec![Some(PV::Uint64Value(18)), Some(PV::Uint64Value(17)), Some(PV::Uint64Value(16))]);
    let rs = q(&e, "SELECT COUNT(*) FROM series; SELECT 1; SELECT COUNT(*) AS c FROM series WHERE id < 3;");
    assert_eq!(rs.len(), 3);
    assert_eq!(rs[0].columns[0].name, "column0");
    assert_eq!(rs[0].columns[0].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(20)));
    assert_eq!(rs[1].columns[0].r#type, Some(Type::Prim(Prim::Int32).to_proto()));
    assert_eq!(cell(&rs[1], 0, 0), Some(PV::Int32Value(1)));
    assert_eq!(cell(&rs[2], 0, 0), Some(PV::Uint64Value(3)));
}

#[test]
fn expressions_and_group_by() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE t (k Int32, g Utf8, v Int64, PRIMARY KEY (k))").unwrap();
    q(&e, "UPSERT INTO t (k, g, v) VALUES (1, 'a'u, 10), (2, 'a'u, 20), (3, 'b'u, NULL), (4, NULL, 5);");
    let rs = q(&e, "SELECT g, COUNT(*) AS n, SUM(v) AS s FROM t GROUP BY g ORDER BY g;");
    let r = &rs[0];
    assert_eq!(r.rows.len(), 3);
    assert_eq!(cell(r, 0, 0), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(r, 1, 2), Some(PV::Int64Value(30)));
    let rs = q(&e, "SELECT k FROM t WHERE v IS NULL OR (k > 1 AND NOT k = 2) ORDER BY k;");
    assert_eq!(rs[0].rows.len(), 2);
    let rs = q(&e, "SELECT 1 + 2 * 3, CAST(1 AS Uint64), 7 / 2, 'a' || 'b', 5 BETWEEN 1 AND 9, 3 IN (1, 2);");
    let r = &rs[0];
    assert_eq!(cell(r, 0, 0), Some(PV::Int32Value(7)));
    assert_eq!(r.columns[1].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(cell(r, 0, 2), Some(PV::Int32Value(3)));
    assert_eq!(cell(r, 0, 3), Some(PV::BytesValue(b"ab".to_vec())));
    assert_eq!(cell(r, 0, 4), Some(PV::BoolValue(true)));
    assert_eq!(cell(r, 0, 5), Some(PV::BoolValue(false)));
    q(&e, "UPDATE t SET v = v + 1 WHERE k = 1; DELETE FROM t WHERE k = 4;");
    let rs = q(&e, "SELECT v FROM t WHERE k = 1; SELECT COUNT(*) FROM t;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int64Value(11)));
    assert_eq!(cell(&rs[1], 0, 0), Some(PV::Uint64Value(3)));
}

#[test]
fn errors() {
    let e = eng();
    let err = run(&e, "SELECT * FROM missing;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
    assert!(err.message().contains("/local/missing"), "{}", err.message());
    let err = run(&e, "SELECT FROM WHERE;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    assert!(err.issues[0].position.is_some());
    let mut p = HashMap::new();
    p.insert("$x".to_string(), tv(Type::Prim(Prim::Utf8), PV::TextValue("a".into())));
    let err = run(&e, "DECLARE $x AS Uint64; SELECT $x;", &p).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
    let err = run(&e, "DECLARE $y AS Uint64; SELECT $y;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
    setup(&e);
    // Out of range: a negative value into Uint64 is an error, not a wrap.
    let err = run(&e, "UPSERT INTO series (id) VALUES (-1);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    let err = run(&e, "UPSERT INTO series (id, title) VALUES (1, 5);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    q(&e, "INSERT INTO series (id) VALUES (1);");
    let err = run(&e, "INSERT INTO series (id) VALUES (1);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::PreconditionFailed);
    let err = e.commit("nope").unwrap_err();
    assert_eq!(err.status, StatusCode::NotFound);
    let err = e
        .execute(ExecuteRequest {
            database: "/local",
            yql: "SELECT 1",
            params: &HashMap::new(),
            tx: TxSelector::Existing("nope".into()),
            commit: false,
        })
        .unwrap_err();
    assert_eq!(err.status, StatusCode::NotFound);
}

#[test]
fn ten_thousand_rows() {
    let e = eng();
    setup(&e);
    let values: Vec<String> = (0..10_000).map(|i| format!("({i}, 'x{i}'u)")).collect();
    q(&e, &format!("UPSERT INTO series (id, title) VALUES {};", values.join(",")));
    let rs = q(&e, "SELECT * FROM series;");
    assert_eq!(rs[0].rows.len(), 10_000);
    assert_eq!(rs[0].columns.len(), 4);
    let rs = q(&e, "SELECT title FROM series WHERE id = 9999;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("x9999".into())));
}

#[test]
fn named_expressions_joins_and_prefix() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE `dir/a` (id Int32, name Utf8, PRIMARY KEY (id))").unwrap();
    e.execute_scheme("/local", "CREATE TABLE `dir/b` (id Int32, a_id Int32, v Double, PRIMARY KEY (id))").unwrap();
    q(
        &e,
        "PRAGMA TablePathPrefix('/local/dir'); UPSERT INTO a (id, name) VALUES (1, 'x'u), (2, 'y'u);
           UPSERT INTO b (id, a_id, v) VALUES (10, 1, 1.0), (11, 1, 2.0), (12, 3, 4.0);",
    );
    let rs = q(
        &e,
        "PRAGMA TablePathPrefix = '/local/dir';
         $min = 1.5;
         $big = (SELECT a_id, v FROM b WHERE v >= $min);
         SELECT a.name AS name, bb.v AS v FROM a AS a JOIN $big AS bb ON a.id = bb.a_id ORDER BY v;
         SELECT a.id, b.id FROM a LEFT JOIN b ON a.id = b.a_id ORDER BY a.id, b.id;",
    );
    assert_eq!(rs[0].rows.len(), 1);
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("x".into())));
    assert_eq!(rs[1].rows.len(), 3);
    assert_eq!(cell(&rs[1], 2, 1), Some(PV::NullFlagValue(0)));
    let rs = q(&e, "SELECT COUNT(*) FROM `/local/dir/b` WHERE a_id IN (SELECT id FROM `/local/dir/a`);");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(2)));
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let e = eng();
    let deep = format!("SELECT {}1{};", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(run(&e, &deep, &HashMap::new()).unwrap_err().status, StatusCode::GenericError);
    let ok = format!("SELECT {}1{};", "(".repeat(60), ")".repeat(60));
    assert_eq!(q(&e, &ok)[0].rows.len(), 1);
    // Subqueries nested as deep as the parser lets them run, on a test thread's small stack.
    let nested = |n: usize| format!("SELECT {}1{};", "(SELECT ".repeat(n), ")".repeat(n));
    let deepest = (1..=64).take_while(|n| run(&e, &nested(*n), &HashMap::new()).is_ok()).count();
    assert!(deepest >= 16, "{deepest}");
    let negs = format!("SELECT {}1;", "-".repeat(5000));
    assert!(run(&e, &negs, &HashMap::new()).is_err());
    for bad in [
        "SELECT 340282366920938463463374607431768211455;",
        "SELECT -170141183460469231731687303715884105728;",
        "SELECT Date('99999999-01-01');",
        "SELECT CAST('1e400' AS Decimal(35,0));",
        "SELECT 1 +;",
        "SELECT `unterminated",
    ] {
        let _ = run(&e, bad, &HashMap::new());
    }
    let rs = q(&e, "SELECT 2147483647 + 1, 10 / 0, CAST('abc' AS Int32);");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int32Value(i32::MIN)));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(&rs[0], 0, 2), Some(PV::NullFlagValue(0)));
}

#[test]
fn update_on_and_delete_on_touch_only_the_keys_they_name() {
    let e = eng();
    q(&e, "CREATE TABLE kv (k Uint64, v Utf8, n Int32, PRIMARY KEY (k));");
    q(&e, "UPSERT INTO kv (k, v, n) VALUES (1ul, 'a'u, 1), (2ul, 'b'u, 2), (3ul, 'c'u, 3);");
    // Key 9 does not exist: UPDATE ON skips it instead of inserting it.
    q(&e, "UPDATE kv ON (k, v) VALUES (2ul, 'B'u), (9ul, 'X'u);");
    q(&e, "UPDATE kv ON SELECT k, n + 10 AS n FROM kv WHERE k = 3ul;");
    q(&e, "DELETE FROM kv ON SELECT k FROM kv WHERE v = 'a'u;");
    let rs = q(&e, "SELECT k, v, n FROM kv ORDER BY k;");
    let r = &rs[0];
    assert_eq!(r.rows.len(), 2);
    assert_eq!(cell(r, 0, 0), Some(PV::Uint64Value(2)));
    assert_eq!(cell(r, 0, 1), Some(PV::TextValue("B".into())));
    assert_eq!(cell(r, 0, 2), Some(PV::Int32Value(2)), "columns not named are left alone");
    assert_eq!(cell(r, 1, 2), Some(PV::Int32Value(13)));
    let err = run(&e, "DELETE FROM kv ON (v) VALUES ('b'u);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError, "DELETE ON needs the key columns");
}

#[test]
fn group_by_an_expression_named_with_as() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (5, 5.0);");
    let rs = q(
        &e,
        "SELECT parity, COUNT(*) AS n, SUM(score) AS total FROM series GROUP BY id % 2 AS parity
         HAVING parity IS NOT NULL ORDER BY parity;",
    );
    let rows: Vec<_> = rs[0].rows.iter().map(|r| r.items.iter().map(|i| i.value.clone()).collect::<Vec<_>>()).collect();
    assert_eq!(
        rows,
        vec![
            vec![Some(PV::Uint64Value(0)), Some(PV::Uint64Value(2)), Some(PV::DoubleValue(6.0))],
            vec![Some(PV::Uint64Value(1)), Some(PV::Uint64Value(3)), Some(PV::DoubleValue(9.0))],
        ]
    );
    // The alias is not a source column: used outside GROUP BY's scope it is unknown.
    assert!(run(&e, "SELECT parity FROM series;", &HashMap::new()).is_err());
}

#[test]
fn values_rows_unify_their_types_and_writes_convert_to_the_column_type() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 0.5), (2, 3);");
    q(&e, "UPSERT INTO series (id, score) VALUES (3, 4), (4, 0.25);");
    let rs = q(&e, "SELECT score FROM series ORDER BY id;");
    let scores: Vec<_> = rs[0].rows.iter().map(|r| r.items[0].value.clone()).collect();
    assert_eq!(
        scores,
        [0.5, 3.0, 4.0, 0.25].map(|x| Some(PV::DoubleValue(x))).to_vec(),
        "every value of a Double column comes back as a Double"
    );
    // UPDATE with an integer into a Double column converts too.
    q(&e, "UPDATE series SET score = 7 WHERE id = 1;");
    assert_eq!(score(&e, 1), Some(PV::DoubleValue(7.0)));
    let err = run(&e, "UPSERT INTO series (id, title) VALUES (5, 'a'u), (6, 7);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    assert!(err.message().contains("unify"), "{}", err.message());
    // AS_TABLE over literal structs: each column takes the unified type of its rows.
    let rs = q(
        &e,
        "SELECT a, b FROM AS_TABLE(AsList(AsStruct(1 AS a, 'x'u AS b), AsStruct(2.5 AS a, 'y'u AS b))) ORDER BY a;",
    );
    assert_eq!(rs[0].columns[0].r#type, Some(Type::Prim(Prim::Double).to_proto()));
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::DoubleValue(1.0)));
    assert_eq!(cell(&rs[0], 1, 1), Some(PV::TextValue("y".into())));
    q(&e, "UPSERT INTO series SELECT * FROM AS_TABLE(AsList(AsStruct(10ul AS id, 1 AS score), AsStruct(11ul AS id, 0.5 AS score)));");
    assert_eq!(score(&e, 10), Some(PV::DoubleValue(1.0)));
    let mismatched = "SELECT * FROM AS_TABLE(AsList(AsStruct(1 AS a), AsStruct(2 AS b)));";
    assert_eq!(run(&e, mismatched, &HashMap::new()).unwrap_err().status, StatusCode::GenericError);
    // A literal list: one item type, every item converted to it.
    let rs = q(&e, "SELECT AsList(1, 2.5) AS l;");
    assert_eq!(rs[0].columns[0].r#type, Some(Type::List(Box::new(Type::Prim(Prim::Double))).to_proto()));
    let items: Vec<_> = rs[0].rows[0].items[0].items.iter().map(|i| i.value.clone()).collect();
    assert_eq!(items, vec![Some(PV::DoubleValue(1.0)), Some(PV::DoubleValue(2.5))]);
}

#[test]
fn datetime_module_functions() {
    let e = eng();
    let rs = q(
        &e,
        r#"$t = Timestamp("2024-02-29T13:05:09.250000Z");
        $format = DateTime::Format("%d %B %Y, %H:%M");
        SELECT
            DateTime::GetYear($t) AS y, DateTime::GetMonth($t) AS m, DateTime::GetDayOfMonth($t) AS d,
            DateTime::GetHour($t) AS h, DateTime::GetMinute($t) AS mi, DateTime::GetSecond($t) AS s,
            DateTime::GetDayOfWeek($t) AS dow, DateTime::GetDayOfYear($t) AS doy,
            DateTime::GetMonthName($t) AS mname,
            DateTime::MakeDate(DateTime::StartOfWeek($t)) AS week,
            DateTime::StartOfDay($t) AS day,
            DateTime::MakeDate(DateTime::StartOfQuarter(Date("2024-05-17"))) AS quarter,
            DateTime::MakeDate(DateTime::StartOfYear($t)) AS year_start,
            DateTime::Format("%Y-%m-%d %H:%M:%S")($t) AS formatted,
            $format($t) AS named_format,
            DateTime::ToSeconds(Date("2019-09-16")) AS secs,
            DateTime::ToMilliseconds($t) AS millis,
            DateTime::FromSeconds(1546304523u) AS from_secs,
            DateTime::IntervalFromDays(2) AS two_days,
            DateTime::ToHours(DateTime::IntervalFromMinutes(2190)) AS hours,
            DateTime::MakeDatetime(Date("2019-01-01")) AS midnight;"#,
    );
    let r = &rs[0];
    let col = |name: &str| {
        let i = r.columns.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"));
        (r.columns[i].r#type.clone(), cell(r, 0, i))
    };
    let prim = |p: Prim| Some(Type::Prim(p).to_proto());
    assert_eq!(col("y"), (prim(Prim::Uint16), Some(PV::Uint32Value(2024))));
    assert_eq!(col("m"), (prim(Prim::Uint8), Some(PV::Uint32Value(2))));
    assert_eq!(col("d").1, Some(PV::Uint32Value(29)));
    assert_eq!(col("h").1, Some(PV::Uint32Value(13)));
    assert_eq!(col("mi").1, Some(PV::Uint32Value(5)));
    assert_eq!(col("s").1, Some(PV::Uint32Value(9)));
    assert_eq!(col("dow").1, Some(PV::Uint32Value(4)));
    assert_eq!(col("doy").1, Some(PV::Uint32Value(60)));
    assert_eq!(col("mname"), (prim(Prim::String), Some(PV::BytesValue(b"February".to_vec()))));
    let days = |s: &str| values::parse_date(s).unwrap() as u32;
    assert_eq!(
        col("week"),
        (Some(Type::optional(Type::Prim(Prim::Date)).to_proto()), Some(PV::Uint32Value(days("2024-02-26"))))
    );
    assert_eq!(col("day").1, Some(PV::Uint64Value(u64::from(days("2024-02-29")) * 86_400_000_000)));
    assert_eq!(col("quarter").1, Some(PV::Uint32Value(days("2024-04-01"))));
    assert_eq!(col("year_start").1, Some(PV::Uint32Value(days("2024-01-01"))));
    assert_eq!(col("formatted").1, Some(PV::BytesValue(b"2024-02-29 13:05:09.250000".to_vec())));
    assert_eq!(col("named_format").1, Some(PV::BytesValue(b"29 February 2024, 13:05".to_vec())));
    assert_eq!(col("secs"), (prim(Prim::Uint32), Some(PV::Uint32Value(1_568_592_000))));
    assert_eq!(col("millis"), (prim(Prim::Uint64), Some(PV::Uint64Value(1_709_211_909_250))));
    assert_eq!(col("from_secs").1, Some(PV::Uint64Value(1_546_304_523_000_000)));
    assert_eq!(col("two_days").1, Some(PV::Int64Value(2 * 86_400_000_000)));
    // IntervalFrom… may give NULL (out of range), so what is computed from it is optional.
    assert_eq!(col("hours"), (Some(Type::optional(Type::Prim(Prim::Int32)).to_proto()), Some(PV::Int32Value(36))));
    assert_eq!(col("midnight"), (prim(Prim::Datetime), Some(PV::Uint32Value(1_546_300_800))));
    // Interval literals and text are ISO 8601 durations.
    let rs = q(
        &e,
        r#"SELECT Interval("P1DT2H") AS i, CAST(Interval("-PT1.5S") AS Utf8) AS t,
                  DateTime::ToHours(Interval("PT36H")) AS h, CAST("PT90S" AS Interval) AS c;"#,
    );
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int64Value(26 * 3_600_000_000)));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::TextValue("-PT1.5S".into())));
    assert_eq!(cell(&rs[0], 0, 2), Some(PV::Int32Value(36)));
    assert_eq!(cell(&rs[0], 0, 3), Some(PV::Int64Value(90_000_000)));
    assert_eq!(run(&e, r#"SELECT Interval("P1M");"#, &HashMap::new()).unwrap_err().status, StatusCode::GenericError);
    // Misuse is an error with a reason, never a crash.
    for bad in [
        "SELECT DateTime::GetYear(1);",
        "SELECT DateTime::Format('%Y');",
        "SELECT DateTime::ToDays(Date('2024-01-01'));",
        "SELECT DateTime::NoSuchThing(CurrentUtcDate());",
        "$f = 1; SELECT $f(2);",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn math_module_functions() {
    let e = eng();
    let rs = q(
        &e,
        "SELECT Math::Sqrt(256) AS root, Math::Round(1.2345, -2) AS cents, Math::Pow(2, 10) AS kilo,
                Math::Floor(-1.5) AS floor, Math::Mod(-1, 7) AS m, Math::Rem(-1, 7) AS r, Math::Mod(1, 0) AS none,
                Math::IsNaN(0.0 / 0.0) AS nan, Math::Pi() AS pi;",
    );
    let r = &rs[0];
    assert_eq!(r.columns[0].r#type, Some(Type::Prim(Prim::Double).to_proto()));
    assert_eq!(cell(r, 0, 0), Some(PV::DoubleValue(16.0)));
    assert_eq!(cell(r, 0, 1), Some(PV::DoubleValue(1.23)));
    assert_eq!(cell(r, 0, 2), Some(PV::DoubleValue(1024.0)));
    assert_eq!(cell(r, 0, 3), Some(PV::DoubleValue(-2.0)));
    assert_eq!(cell(r, 0, 4), Some(PV::Int64Value(6)));
    assert_eq!(cell(r, 0, 5), Some(PV::Int64Value(-1)));
    assert_eq!(cell(r, 0, 6), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(r, 0, 7), Some(PV::BoolValue(true)));
    assert_eq!(cell(r, 0, 8), Some(PV::DoubleValue(std::f64::consts::PI)));
    for bad in
        ["SELECT Math::Sqrt('x');", "SELECT Math::Pow(2);", "SELECT Math::Nope(1.0);", "SELECT Math::Mod(1.5, 2);"]
    {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn string_and_unicode_module_functions() {
    let e = eng();
    let rs = q(
        &e,
        r#"SELECT String::Strip(" YQL ") AS strip, String::ReplaceAll("a-b-c", "-", "+") AS replaced,
                String::Find("abcabc", "c") AS found, String::Find("abc", "x") AS missing,
                String::LeftPad("7", 3, "0") AS padded, String::SplitToList("1,2,3", ",") AS parts,
                String::JoinFromList(AsList("a", "b"), "/") AS joined, String::Base64Encode("YQL") AS b64,
                String::HasPrefix("prefix", "pre") AS has,
                Unicode::GetLength("привет"u) AS len, Unicode::Reverse("абв"u) AS rev,
                Unicode::Substring("привет"u, 1, 3) AS sub, Unicode::Find("привет"u, "ве"u) AS pos,
                Unicode::Find("привет"u, "x"u) AS nopos;"#,
    );
    let r = &rs[0];
    let col = |name: &str| {
        let i = r.columns.iter().position(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"));
        (r.columns[i].r#type.clone().unwrap(), r.rows[0].items[i].clone())
    };
    let bytes = |b: &[u8]| Some(PV::BytesValue(b.to_vec()));
    assert_eq!(col("strip").1.value, bytes(b"YQL"));
    assert_eq!(col("strip").0, Type::Prim(Prim::String).to_proto());
    assert_eq!(col("replaced").1.value, bytes(b"a+b+c"));
    assert_eq!(col("found").1.value, Some(PV::Int64Value(2)));
    assert_eq!(col("missing").1.value, Some(PV::Int64Value(-1)));
    assert_eq!(col("padded").1.value, bytes(b"007"));
    let parts: Vec<_> = col("parts").1.items.iter().map(|i| i.value.clone()).collect();
    assert_eq!(parts, vec![bytes(b"1"), bytes(b"2"), bytes(b"3")]);
    assert_eq!(col("joined").1.value, bytes(b"a/b"));
    assert_eq!(col("b64").1.value, bytes(b"WVFM"));
    assert_eq!(col("has").1.value, Some(PV::BoolValue(true)));
    assert_eq!(
        col("len"),
        (Type::Prim(Prim::Uint64).to_proto(), ydb::Value { value: Some(PV::Uint64Value(6)), ..Default::default() })
    );
    assert_eq!(col("rev").1.value, Some(PV::TextValue("вба".into())));
    assert_eq!(col("sub").1.value, Some(PV::TextValue("рив".into())));
    assert_eq!(col("pos").0, Type::optional(Type::Prim(Prim::Uint64)).to_proto());
    assert_eq!(col("pos").1.value, Some(PV::Uint64Value(3)));
    assert_eq!(col("nopos").1.value, Some(PV::NullFlagValue(0)));
    for bad in [
        "SELECT String::Strip(1);",
        "SELECT String::ReplaceAll('a', 'b');",
        "SELECT Unicode::Nope('a'u);",
        "SELECT String::LeftPad('a', 18446744073709551615ul);",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn lambdas_with_list_map_and_list_filter() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, title) VALUES (1, 'a'u), (2, 'b'u)");
    let rs = q(
        &e,
        "$double = ($x) -> ($x * 2); \
         SELECT ListMap(AsList(1, 2, 3), ($x) -> ($x + 1)) AS plus, \
                ListFilter(ListFromRange(0, 10), ($x) -> { RETURN $x % 3 == 0 }) AS threes, \
                ListMap(AsList(1, 2), $double) AS doubled, \
                ListMap(ListFromRange(1ul, 3ul), ($i) -> (<|id: $i, name: 'n'u|>)) AS structs;",
    );
    let ints = |c: usize| -> Vec<Option<PV>> { rs[0].rows[0].items[c].items.iter().map(|i| i.value.clone()).collect() };
    assert_eq!(ints(0), vec![Some(PV::Int32Value(2)), Some(PV::Int32Value(3)), Some(PV::Int32Value(4))]);
    assert_eq!(ints(1).len(), 4);
    assert_eq!(ints(2), vec![Some(PV::Int32Value(2)), Some(PV::Int32Value(4))]);
    let structs = &rs[0].columns[3].r#type;
    let expected = Type::List(Box::new(Type::Struct(vec![
        ("id".into(), Type::Prim(Prim::Uint64)),
        ("name".into(), Type::Prim(Prim::Utf8)),
    ])));
    assert_eq!(structs, &Some(expected.to_proto()));
    // A lambda sees the row's columns; AS_TABLE takes the list it makes.
    let rs =
        q(&e, "SELECT id, ListMap(AsList(10, 20), ($x) -> ($x + CAST(id AS Int32))) AS l FROM series ORDER BY id;");
    assert_eq!(rs[0].rows[1].items[1].items[1].value, Some(PV::Int32Value(22)));
    let rs = q(&e, "SELECT COUNT(*) AS n FROM AS_TABLE(ListMap(ListFromRange(0ul, 5000ul), ($x) -> (<|id: $x|>)));");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(5000)));
    for bad in [
        "SELECT ListMap(AsList(1), 1);",
        "SELECT ListMap(1, ($x) -> ($x));",
        "SELECT ListMap(AsList(1), ($x, $y) -> ($x));",
        "SELECT ListFilter(AsList(1), ($x) -> ($x));",
        "SELECT ($x) -> ($x);",
        "SELECT ListMap(AsList(1), ($x) -> ($y));",
        "SELECT ListFromRange(0, 100000000000);",
        "SELECT ListFromRange('a', 'b');",
        "SELECT <|a: 1, a: 2|>;",
        "SELECT <|a: 1;",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
    // Nested lambdas past the depth bound are an error, not a stack overflow.
    let deep = format!("SELECT {}AsList(1){};", "ListMap(".repeat(200), ", ($x) -> ($x))".repeat(200));
    assert!(run(&e, &deep, &HashMap::new()).is_err());
}

#[test]
fn knn_float_vectors_and_untag() {
    let e = eng();
    let rs = q(&e, "SELECT Untag(Knn::ToBinaryStringFloat(AsList(1.5f, -2.0f)), 'FloatVector') AS v;");
    let mut expected = 1.5f32.to_le_bytes().to_vec();
    expected.extend_from_slice(&(-2.0f32).to_le_bytes());
    expected.push(1);
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::BytesValue(expected)));
    let rs = q(&e, "SELECT Knn::ToBinaryStringFloat(AsList(1.0f)) AS v;");
    let tagged = Type::Tagged("FloatVector".into(), Box::new(Type::Prim(Prim::String)));
    assert_eq!(rs[0].columns[0].r#type, Some(tagged.to_proto()));
    for bad in [
        "SELECT Untag(1, 'FloatVector');",
        "SELECT Untag(Knn::ToBinaryStringFloat(AsList(1.0f)), 'Other');",
        "SELECT Knn::ToBinaryStringFloat(AsList('a'));",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn json_documents_come_back_canonical() {
    let e = eng();
    let mut params = HashMap::new();
    params.insert(
        "$j".to_string(),
        tv(Type::Prim(Prim::JsonDocument), PV::TextValue(r#"{ "b" : [1, 2], "a": "x" }"#.into())),
    );
    let rs =
        run(&e, "DECLARE $j AS JsonDocument; SELECT $j AS j, CAST('{\"k\":  true}' AS JsonDocument) AS c;", &params)
            .unwrap()
            .result_sets;
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue(r#"{"a":"x","b":[1,2]}"#.into())));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::TextValue(r#"{"k":true}"#.into())));
    params.insert("$j".to_string(), tv(Type::Prim(Prim::JsonDocument), PV::TextValue("{not json".into())));
    assert_eq!(run(&e, "DECLARE $j AS JsonDocument; SELECT $j;", &params).unwrap_err().status, StatusCode::BadRequest);
}

#[test]
fn union_distinct_and_order_by_after_a_union_and_qualified_columns_in_update_and_delete() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, title, score) VALUES (1, 'a'u, 1.0), (2, 'b'u, 1.0), (3, 'c'u, 2.0)");
    let ids = |rs: &ydb::ResultSet| -> Vec<Option<PV>> { rs.rows.iter().map(|r| r.items[0].value.clone()).collect() };
    // ORDER BY and LIMIT after the last SELECT apply to the whole union.
    let rs = q(
        &e,
        "SELECT id FROM series WHERE id > 1 UNION ALL SELECT id FROM series WHERE id = 1 ORDER BY id DESC LIMIT 2",
    );
    assert_eq!(ids(&rs[0]), vec![Some(PV::Uint64Value(3)), Some(PV::Uint64Value(2))]);
    // UNION (DISTINCT) drops repeated rows; UNION ALL keeps them; they mix left to right.
    let rs = q(&e, "SELECT score FROM series UNION SELECT score FROM series ORDER BY score");
    assert_eq!(ids(&rs[0]), vec![Some(PV::DoubleValue(1.0)), Some(PV::DoubleValue(2.0))]);
    let rs = q(&e, "SELECT score FROM series UNION DISTINCT SELECT score FROM series UNION ALL SELECT 1.0 AS score");
    assert_eq!(rs[0].rows.len(), 3);
    let rs = q(&e, "SELECT id FROM series WHERE id = 2 UNION ALL (SELECT id FROM series ORDER BY id LIMIT 1)");
    assert_eq!(ids(&rs[0]), vec![Some(PV::Uint64Value(2)), Some(PV::Uint64Value(1))]);
    let err = run(
        &e,
        "SELECT id FROM series LIMIT 1 UNION ALL SELECT id FROM series ORDER BY id UNION ALL SELECT 1ul",
        &HashMap::new(),
    );
    assert_eq!(err.unwrap_err().status, StatusCode::GenericError);
    let many = vec!["SELECT 1 AS x"; 100].join(" UNION ");
    assert_eq!(run(&e, &many, &HashMap::new()).unwrap_err().status, StatusCode::GenericError);
    // UPDATE and DELETE filters may name the table's columns through the table.
    q(&e, "UPDATE series SET title = 'z'u WHERE series.id = 1");
    q(&e, "DELETE FROM series WHERE series.id = 3 AND series.score > 1.5");
    let rs = q(&e, "SELECT id, title FROM series ORDER BY id");
    assert_eq!(ids(&rs[0]), vec![Some(PV::Uint64Value(1)), Some(PV::Uint64Value(2))]);
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::TextValue("z".into())));
    assert!(run(&e, "UPDATE series SET title = 'y'u WHERE other.id = 1", &HashMap::new()).is_err());
}

#[test]
fn values_as_a_table_with_named_columns() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, title) VALUES (1, 'a'u), (2, 'b'u)");
    let rs = q(
        &e,
        "SELECT v.a AS a, v.b AS b, s.title AS title FROM (VALUES (1, 0.5), (2, 3)) AS v(a, b) \
         JOIN series AS s ON s.id = v.a WHERE v.a > 1",
    );
    assert_eq!(rs[0].rows.len(), 1);
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::DoubleValue(3.0)));
    assert_eq!(cell(&rs[0], 0, 2), Some(PV::TextValue("b".into())));
    let rs = q(&e, "SELECT column1 FROM (VALUES ('x'u, 1), ('y'u, 2)) ORDER BY column1 DESC");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int32Value(2)));
    for bad in [
        "SELECT * FROM (VALUES (1, 2), (3)) AS v(a, b)",
        "SELECT * FROM (VALUES (1, 2)) AS v(a)",
        "SELECT * FROM (VALUES (1, 2)) AS v(a, a)",
        "SELECT * FROM (VALUES (1), ('x')) AS v(a)",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn returning_gives_the_rows_written_or_deleted() {
    let e = eng();
    setup(&e);
    let rs = q(&e, "UPSERT INTO series (id, title) VALUES (1, 'a'u), (2, 'b'u) RETURNING *");
    assert_eq!(rs[0].columns.len(), 4);
    assert_eq!(rs[0].rows.len(), 2);
    assert_eq!(cell(&rs[0], 1, 1), Some(PV::TextValue("b".into())));
    // UPDATE returns the new values, computed columns included; DELETE the rows as they were.
    let rs = q(&e, "UPDATE series SET score = 2.5 WHERE id = 2 RETURNING id, score * 2 AS twice, series.title");
    assert_eq!(rs[0].columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["id", "twice", "title"]);
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::DoubleValue(5.0)));
    let rs = q(&e, "DELETE FROM series WHERE id = 1 RETURNING title; SELECT COUNT(*) AS n FROM series;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("a".into())));
    assert_eq!(cell(&rs[1], 0, 0), Some(PV::Uint64Value(1)));
    let rs = q(&e, "UPDATE series SET score = 1.0 WHERE id = 99 RETURNING id");
    assert!(rs[0].rows.is_empty() && rs[0].columns.len() == 1);
    let rs = q(&e, "INSERT INTO series (id) SELECT id + 10ul AS id FROM series RETURNING id");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(12)));
    for bad in [
        "UPDATE series SET score = 1.0 RETURNING COUNT(*)",
        "UPSERT INTO series (id) VALUES (5) RETURNING nope",
        "DELETE FROM series ON SELECT 2ul AS id RETURNING *",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}

#[test]
fn window_functions_number_rank_shift_and_run_totals() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE s (id Int64, grp Utf8, v Int64, PRIMARY KEY (id))").unwrap();
    q(
        &e,
        "UPSERT INTO s (id, grp, v) VALUES (1, 'a'u, 10), (2, 'a'u, 20), (3, 'a'u, 20), (4, 'b'u, 5), (5, 'b'u, NULL)",
    );
    let rs = q(
        &e,
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY v DESC, id) AS rn, \
                RANK() OVER (PARTITION BY grp ORDER BY v DESC) AS rk, \
                DENSE_RANK() OVER (ORDER BY v) AS dr, \
                LAG(v) OVER (PARTITION BY grp ORDER BY id) AS prev, \
                LEAD(v, 2) OVER (ORDER BY id) AS next2, \
                SUM(v) OVER (PARTITION BY grp ORDER BY id) AS running, \
                SUM(v) OVER (PARTITION BY grp) AS total, \
                COUNT(*) OVER () AS n, \
                AVG(v) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS avg3, \
                FIRST_VALUE(id) OVER (PARTITION BY grp ORDER BY v DESC) AS top \
         FROM s ORDER BY id",
    );
    let col = |c: usize| -> Vec<Option<PV>> { rs[0].rows.iter().map(|r| r.items[c].value.clone()).collect() };
    let u = |v: u64| Some(PV::Uint64Value(v));
    let i = |v: i64| Some(PV::Int64Value(v));
    let null = Some(PV::NullFlagValue(0));
    assert_eq!(rs[0].columns[1].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(col(1), vec![u(3), u(1), u(2), u(1), u(2)]);
    assert_eq!(col(2), vec![u(3), u(1), u(1), u(1), u(2)]);
    assert_eq!(col(3), vec![u(3), u(4), u(4), u(2), u(1)]);
    assert_eq!(col(4), vec![null.clone(), i(10), i(20), null.clone(), i(5)]);
    assert_eq!(col(5), vec![i(20), i(5), null.clone(), null.clone(), null.clone()]);
    assert_eq!(col(6), vec![i(10), i(30), i(50), i(5), i(5)]);
    assert_eq!(col(7), vec![i(50), i(50), i(50), i(5), i(5)]);
    assert_eq!(col(8), vec![u(5); 5]);
    assert_eq!(col(9)[0], Some(PV::DoubleValue(15.0)));
    assert_eq!(col(10), vec![i(2), i(2), i(2), i(4), i(4)]);
    // Unnamed windows are columnN; SELECT * leaves the hidden columns out; ORDER BY may use a window.
    let rs = q(
        &e,
        "SELECT *, ROW_NUMBER() OVER (ORDER BY id DESC) FROM s ORDER BY ROW_NUMBER() OVER (ORDER BY id DESC) LIMIT 1",
    );
    let names: Vec<&str> = rs[0].columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["id", "grp", "v", "column1"]);
    assert_eq!(rs[0].rows[0].items[0].value, i(5));
    assert_eq!(rs[0].rows[0].items[3].value, u(1));
    // Offsets far past the partition are NULL or clamp, never overflow.
    let far = q(
        &e,
        "SELECT LEAD(v, 9223372036854775807) OVER (ORDER BY id) AS a, LAG(v, 9223372036854775807) OVER () AS b, \
         SUM(v) OVER (ORDER BY id ROWS BETWEEN 9223372036854775807 PRECEDING AND 9223372036854775807 FOLLOWING) AS c \
         FROM s",
    );
    assert_eq!(far[0].rows[0].items[0].value, null);
    assert_eq!(far[0].rows[0].items[2].value, i(55));
    for bad in [
        "SELECT grp, COUNT(*), ROW_NUMBER() OVER (ORDER BY grp) FROM s GROUP BY grp",
        "SELECT ROW_NUMBER(1) OVER () FROM s",
        "SELECT NOPE() OVER () FROM s",
        "SELECT id FROM s WHERE ROW_NUMBER() OVER () = 1",
        "SELECT ROW_NUMBER() OVER w FROM s",
        "SELECT SUM(ROW_NUMBER() OVER ()) OVER () FROM s",
    ] {
        assert_eq!(run(&e, bad, &HashMap::new()).unwrap_err().status, StatusCode::GenericError, "{bad}");
    }
}
