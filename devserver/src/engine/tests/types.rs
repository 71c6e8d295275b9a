//! Every type YDB's `Ydb.Type` carries: the wide and Tz date and time types, DyNumber, Yson, Uuid, Decimal
//! up to 35 digits and JSON as columns written with parameters and read back exactly; Variant, Tagged,
//! Set, Void, Null, EmptyList and EmptyDict as parameters selected back.

use super::*;

fn value(v: PV) -> ydb::Value {
    ydb::Value { value: Some(v), ..Default::default() }
}

/// The storable column types with an edge value of each, as YDB puts it on the wire.
fn columns() -> Vec<(&'static str, Type, ydb::Value)> {
    let p = Type::Prim;
    let decimal = |v: i128| ydb::Value {
        value: Some(PV::Low128(v as u128 as u64)),
        high_128: ((v as u128) >> 64) as u64,
        ..Default::default()
    };
    vec![
        ("d32", p(Prim::Date32), value(PV::Int32Value(-53_375_809))),
        ("dt64", p(Prim::Datetime64), value(PV::Int64Value(4_611_669_811_199))),
        ("ts64", p(Prim::Timestamp64), value(PV::Int64Value(-62_135_596_800_000_001))),
        ("iv64", p(Prim::Interval64), value(PV::Int64Value(-9_223_339_708_799_999_999))),
        ("tzd", p(Prim::TzDate), value(PV::TextValue("1901-02-03,Europe/Berlin".into()))),
        ("tzdt", p(Prim::TzDatetime), value(PV::TextValue("2024-05-06T07:08:09,America/New_York".into()))),
        ("tzts", p(Prim::TzTimestamp), value(PV::TextValue("2024-05-06T07:08:09.000123,Asia/Tokyo".into()))),
        ("dy", p(Prim::DyNumber), value(PV::TextValue("-1.5e-100".into()))),
        ("ys", p(Prim::Yson), value(PV::BytesValue(b"{a=1;b=[x;y]}".to_vec()))),
        ("uu", p(Prim::Uuid), decimal(0x1234_5678_9abc_def0_0fed_cba9_8765_4321)),
        ("dec", Type::Decimal(35, 10), decimal(-99_999_999_999_999_999_999_999_999_999_999_999)),
        ("js", p(Prim::Json), value(PV::TextValue(r#"{"a":[1,2]}"#.into()))),
        ("jd", p(Prim::JsonDocument), value(PV::TextValue(r#"{"b":null}"#.into()))),
    ]
}

#[test]
fn every_storable_type_is_a_column_written_and_read_back_exactly() {
    let e = eng();
    let cols = columns();
    let defs: Vec<String> = cols.iter().map(|(n, t, _)| format!("{n} {t}")).collect();
    e.execute_scheme("/local", &format!("CREATE TABLE t (id Int32 NOT NULL, {}, PRIMARY KEY (id))", defs.join(", ")))
        .unwrap();
    let mut params = HashMap::new();
    let mut declares = String::new();
    for (n, t, v) in &cols {
        declares.push_str(&format!("DECLARE ${n} AS {t}; "));
        params.insert(format!("${n}"), ydb::TypedValue { r#type: Some(t.to_proto()), value: Some(v.clone()) });
    }
    let names: Vec<&str> = cols.iter().map(|(n, _, _)| *n).collect();
    let dollars: Vec<String> = names.iter().map(|n| format!("${n}")).collect();
    let sql = format!("{declares} UPSERT INTO t (id, {}) VALUES (1, {});", names.join(", "), dollars.join(", "));
    run(&e, &sql, &params).unwrap();
    let rs = q(&e, &format!("SELECT {} FROM t WHERE id = 1;", names.join(", ")));
    for (i, (n, t, v)) in cols.iter().enumerate() {
        assert_eq!(rs[0].columns[i].r#type, Some(Type::optional(t.clone()).to_proto()), "{n}");
        assert_eq!(&rs[0].rows[0].items[i], v, "{n}");
    }
    // Past the wide range, or text of the wrong form, is refused.
    let bad = tv(Type::Prim(Prim::Date32), PV::Int32Value(-53_375_810));
    let err = run(&e, "DECLARE $d AS Date32; SELECT $d;", &HashMap::from([("$d".to_string(), bad)])).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest, "{err}");
    let bad = tv(Type::Prim(Prim::TzDate), PV::TextValue("2024-01-01".into()));
    assert!(run(&e, "DECLARE $d AS TzDate; SELECT $d;", &HashMap::from([("$d".to_string(), bad)])).is_err());
    // Casts between the narrow and wide forms keep the moment.
    let rs =
        q(&e, r#"SELECT CAST(Date("2024-02-29") AS Date32), CAST(Timestamp64("1969-12-31T23:59:59.5Z") AS Utf8);"#);
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int32Value(19_782)));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::TextValue("1969-12-31T23:59:59.500000Z".into())));
}

#[test]
fn container_and_special_types_round_trip_as_parameters() {
    let e = eng();
    let int = |i: i32| value(PV::Int32Value(i));
    let text = |s: &str| value(PV::TextValue(s.into()));
    let variant = |index: u32, v: ydb::Value| ydb::Value {
        value: Some(PV::NestedValue(Box::new(v))),
        variant_index: index,
        ..Default::default()
    };
    let utf8 = Type::Prim(Prim::Utf8);
    let i32t = Type::Prim(Prim::Int32);
    let set_of = |keys: Vec<ydb::Value>| ydb::Value {
        pairs: keys
            .into_iter()
            .map(|k| ydb::ValuePair { key: Some(k), payload: Some(value(PV::NullFlagValue(0))) })
            .collect(),
        ..Default::default()
    };
    let cases: Vec<(&str, Type, ydb::Value)> = vec![
        (
            "Variant<'a':Int32,'b':Utf8>",
            Type::Variant(Box::new(Type::Struct(vec![("a".into(), i32t.clone()), ("b".into(), utf8.clone())]))),
            variant(1, text("x")),
        ),
        (
            "Variant<Int32,Utf8>",
            Type::Variant(Box::new(Type::Tuple(vec![i32t.clone(), utf8.clone()]))),
            variant(0, int(5)),
        ),
        (
            "Optional<Variant<Int32,Utf8>>",
            Type::optional(Type::Variant(Box::new(Type::Tuple(vec![i32t.clone(), utf8.clone()])))),
            variant(0, int(0)),
        ),
        ("Tagged<Int32,'id'>", Type::Tagged("id".into(), Box::new(i32t.clone())), int(3)),
        ("Set<Utf8>", Type::Dict(Box::new(utf8.clone()), Box::new(Type::Void)), set_of(vec![text("a"), text("b")])),
        ("Void", Type::Void, value(PV::NullFlagValue(0))),
        ("Null", Type::Null, value(PV::NullFlagValue(0))),
        ("EmptyList", Type::EmptyList, ydb::Value::default()),
        ("EmptyDict", Type::EmptyDict, ydb::Value::default()),
        (
            "Optional<Optional<Int32>>",
            Type::optional(Type::optional(i32t.clone())),
            value(PV::NestedValue(Box::new(value(PV::NullFlagValue(0))))),
        ),
    ];
    for (spelling, t, v) in cases {
        let params =
            HashMap::from([("$p".to_string(), ydb::TypedValue { r#type: Some(t.to_proto()), value: Some(v.clone()) })]);
        let out = run(&e, &format!("DECLARE $p AS {spelling}; SELECT $p AS p;"), &params)
            .unwrap_or_else(|err| panic!("{spelling}: {err}"))
            .result_sets;
        assert_eq!(out[0].columns[0].r#type, Some(t.to_proto()), "{spelling}");
        assert_eq!(out[0].rows[0].items[0], v, "{spelling}");
    }
    // A Set's pairs may leave out their Void payload, as the Python SDK sends them; any other dictionary's
    // may not.
    let keys_only = |k: ydb::Value| ydb::Value {
        pairs: vec![ydb::ValuePair { key: Some(k), payload: None }],
        ..Default::default()
    };
    let set = Type::Dict(Box::new(i32t.clone()), Box::new(Type::Void));
    let params = HashMap::from([(
        "$p".to_string(),
        ydb::TypedValue { r#type: Some(set.to_proto()), value: Some(keys_only(int(7))) },
    )]);
    let out = run(&e, "DECLARE $p AS Set<Int32>; SELECT $p AS p;", &params).unwrap().result_sets;
    assert_eq!(out[0].rows[0].items[0].pairs[0].key, Some(int(7)));
    let dict = Type::Dict(Box::new(i32t.clone()), Box::new(i32t));
    let params = HashMap::from([(
        "$p".to_string(),
        ydb::TypedValue { r#type: Some(dict.to_proto()), value: Some(keys_only(int(7))) },
    )]);
    let err = run(&e, "DECLARE $p AS Dict<Int32,Int32>; SELECT $p AS p;", &params).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
}
