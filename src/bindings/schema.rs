//! JS <-> protobuf for table schemas and scheme entries: `TableDescription`-shaped objects in, plain
//! objects out (the JS entry wraps them in its classes), data queries, key ranges and bulk-upsert rows.

use super::values::{encode_as, params_from_js_declared, typed_from_js};
use super::{js_read, options};
use crate::error::{Error, Result};
use crate::proto::ydb::{scheme, table, TypedValue};
use crate::table::schema::{AlterTable, DataQuery, PreparedQuery, ReadTable};
use crate::value::YdbType;
use js_sys::{Array, Object, Reflect};
use std::collections::HashMap;
use wasm_bindgen::JsValue;

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(o: &Object, key: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), v);
}

fn strings(v: &JsValue, what: &str) -> Result<Vec<String>> {
    array(v, what)?
        .iter()
        .map(|x| x.as_string().ok_or_else(|| Error::argument(format!("{what} must be an array of strings"))))
        .collect()
}

/// The elements of an array argument (absent: none), read without letting a proxy's throw unwind.
fn array(v: &JsValue, what: &str) -> Result<Vec<JsValue>> {
    if v.is_undefined() || v.is_null() {
        return Ok(Vec::new());
    }
    let threw = |e: js_read::Thrown| e.at(what);
    if !v.is_object() || !js_read::is_array(v).map_err(threw)? {
        return Err(Error::argument(format!("{what} must be an array")));
    }
    let mut out = Vec::new();
    for i in 0..js_read::length(v).map_err(threw)? {
        out.push(js_read::element(v, i).map_err(threw)?);
    }
    Ok(out)
}

fn type_of(v: &JsValue, what: &str) -> Result<YdbType> {
    let text = v.as_string().ok_or_else(|| Error::argument(format!("{what} must be a type name such as 'Uint64'")))?;
    YdbType::parse(&text).map_err(|e| Error::argument(format!("{what}: {}", e.message)))
}

/// A `TableColumn` (`{ name, type, notNull? }`) as column metadata. Nullable columns travel as
/// `Optional<T>`, as YDB describes them.
fn column(v: &JsValue) -> Result<table::ColumnMeta> {
    if !v.is_object() {
        return Err(Error::argument("a column must be a TableColumn { name, type }"));
    }
    let name = get(v, "name").as_string().ok_or_else(|| Error::argument("a column needs a name"))?;
    let t = type_of(&get(v, "type"), &format!("column {name} type"))?;
    let not_null = get(v, "notNull").as_bool().unwrap_or(false);
    let t = match t {
        YdbType::Optional(_) => t,
        other if !not_null => YdbType::Optional(Box::new(other)),
        other => other,
    };
    Ok(table::ColumnMeta { name, r#type: Some(t.to_proto()), not_null: not_null.then_some(true), ..Default::default() })
}

fn index(v: &JsValue) -> Result<table::TableIndex> {
    let name = get(v, "name").as_string().ok_or_else(|| Error::argument("an index needs a name"))?;
    let index_columns = strings(&get(v, "indexColumns"), &format!("index {name} indexColumns"))?;
    if index_columns.is_empty() {
        return Err(Error::argument(format!("index {name} needs index columns")));
    }
    Ok(table::TableIndex {
        name,
        index_columns,
        data_columns: strings(&get(v, "dataColumns"), "index dataColumns")?,
        r#type: Some(table::table_index::Type::GlobalIndex(table::GlobalIndex::default())),
    })
}

/// A `TableDescription` as CreateTable's columns, primary key and indexes.
pub fn description_from_js(v: &JsValue) -> Result<(Vec<table::ColumnMeta>, Vec<String>, Vec<table::TableIndex>)> {
    if !v.is_object() {
        return Err(Error::argument("createTable needs a TableDescription"));
    }
    let columns = array(&get(v, "columns"), "columns")?.iter().map(column).collect::<Result<Vec<_>>>()?;
    if columns.is_empty() {
        return Err(Error::argument("a TableDescription needs at least one column"));
    }
    let primary_key = strings(&get(v, "primaryKey"), "primaryKey")?;
    if primary_key.is_empty() {
        return Err(Error::argument("a TableDescription needs a primary key"));
    }
    let indexes = array(&get(v, "indexes"), "indexes")?.iter().map(index).collect::<Result<Vec<_>>>()?;
    Ok((columns, primary_key, indexes))
}

/// `{ addColumns?, dropColumns?, addIndexes?, dropIndexes? }`.
pub fn alter_from_js(v: &JsValue) -> Result<AlterTable> {
    let o = options::object(v, "alterTable settings")?.ok_or_else(|| Error::argument("alterTable needs settings"))?;
    Ok(AlterTable {
        add_columns: array(&get(&o, "addColumns"), "addColumns")?.iter().map(column).collect::<Result<_>>()?,
        drop_columns: strings(&get(&o, "dropColumns"), "dropColumns")?,
        add_indexes: array(&get(&o, "addIndexes"), "addIndexes")?.iter().map(index).collect::<Result<_>>()?,
        drop_indexes: strings(&get(&o, "dropIndexes"), "dropIndexes")?,
    })
}

fn type_text(t: &Option<crate::proto::ydb::Type>) -> String {
    t.as_ref().and_then(|t| YdbType::from_proto(t).ok()).map(|t| t.to_string()).unwrap_or_else(|| "Unknown".into())
}

/// DescribeTable's answer as a plain object `{ name, columns, primaryKey, indexes }`.
pub fn description_to_js(d: &table::DescribeTableResult) -> JsValue {
    let o = Object::new();
    set(&o, "name", &JsValue::from_str(d.self_.as_ref().map(|e| e.name.as_str()).unwrap_or("")));
    let columns = Array::new();
    for c in &d.columns {
        let col = Object::new();
        set(&col, "name", &JsValue::from_str(&c.name));
        set(&col, "type", &JsValue::from_str(&type_text(&c.r#type)));
        set(&col, "notNull", &JsValue::from_bool(c.not_null.unwrap_or(false)));
        columns.push(&col);
    }
    set(&o, "columns", &columns);
    set(&o, "primaryKey", &d.primary_key.iter().map(|k| JsValue::from_str(k)).collect::<Array>());
    let indexes = Array::new();
    for i in &d.indexes {
        let idx = Object::new();
        set(&idx, "name", &JsValue::from_str(&i.name));
        set(&idx, "indexColumns", &i.index_columns.iter().map(|k| JsValue::from_str(k)).collect::<Array>());
        set(&idx, "dataColumns", &i.data_columns.iter().map(|k| JsValue::from_str(k)).collect::<Array>());
        indexes.push(&idx);
    }
    set(&o, "indexes", &indexes);
    o.into()
}

/// A query argument: YQL text, or a `DataQuery` from `prepareQuery` (`{ yqlText, queryId, parameterTypes }`).
fn data_query_from_js(v: &JsValue) -> Result<DataQuery> {
    if let Some(text) = v.as_string() {
        return Ok(DataQuery::Text(text));
    }
    if !v.is_object() {
        return Err(Error::argument("query must be YQL text or a DataQuery from prepareQuery"));
    }
    let text = get(v, "yqlText").as_string();
    let id = get(v, "queryId").as_string();
    let (Some(text), Some(id)) = (text, id) else {
        return Err(Error::argument("query must be YQL text or a DataQuery from prepareQuery"));
    };
    let mut parameter_types = HashMap::new();
    let types = get(v, "parameterTypes");
    if types.is_object() {
        for (name, t) in js_read::entries(&types).map_err(|e| e.at("DataQuery parameterTypes"))? {
            let Some(t) = t.as_string() else { continue };
            let t = YdbType::parse(&t)
                .map_err(|e| Error::argument(format!("DataQuery parameter {name}: {}", e.message)))?;
            parameter_types.insert(name, t.to_proto());
        }
    }
    Ok(DataQuery::Prepared(PreparedQuery { id, text, parameter_types }))
}

/// A data query argument and its parameters: an sql`…` template (its values bound as parameters beside
/// `params`), YQL text, or a prepared `DataQuery`.
pub fn data_query_and_params(query: &JsValue, params: &JsValue) -> Result<(DataQuery, HashMap<String, TypedValue>)> {
    if super::sql::is_template(query) {
        let (text, params) = super::sql::text_and_params(query, params)?;
        return Ok((DataQuery::Text(text), params));
    }
    let q = data_query_from_js(query)?;
    let params = data_query_params(&q, params)?;
    Ok((q, params))
}

/// The parameters, typed by a prepared query's declarations where the caller gave plain values.
fn data_query_params(query: &DataQuery, params: &JsValue) -> Result<HashMap<String, TypedValue>> {
    let declared = query
        .parameter_types()
        .map(|types| {
            types.iter().filter_map(|(name, t)| YdbType::from_proto(t).ok().map(|t| (name.clone(), t))).collect()
        })
        .unwrap_or_default();
    params_from_js_declared(params, &declared)
}

/// A prepared query as the plain object the JS `DataQuery` wraps.
pub fn prepared_to_js(p: &PreparedQuery) -> JsValue {
    let o = Object::new();
    set(&o, "yqlText", &JsValue::from_str(&p.text));
    set(&o, "queryId", &JsValue::from_str(&p.id));
    let types = Object::new();
    for (name, t) in &p.parameter_types {
        set(&types, name, &JsValue::from_str(&type_text(&Some(t.clone()))));
    }
    set(&o, "parameterTypes", &types);
    o.into()
}

/// A key bound: a `TypedValue` of a tuple (a non-tuple value is taken as a one-element tuple).
fn bound(v: &JsValue, name: &str) -> Result<Option<TypedValue>> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let typed = typed_from_js(v, name)?;
    let is_tuple = matches!(
        typed.r#type.as_ref().and_then(|t| t.r#type.as_ref()),
        Some(crate::proto::ydb::r#type::Type::TupleType(_))
    );
    if is_tuple {
        return Ok(Some(typed));
    }
    let t = typed.r#type.unwrap_or_default();
    let value = typed.value.unwrap_or_default();
    Ok(Some(TypedValue {
        r#type: Some(crate::proto::ydb::Type {
            r#type: Some(crate::proto::ydb::r#type::Type::TupleType(crate::proto::ydb::TupleType {
                elements: vec![t],
            })),
        }),
        value: Some(crate::proto::ydb::Value { items: vec![value], ..Default::default() }),
    }))
}

/// `{ keyRange?: { greater?, greaterOrEqual?, less?, lessOrEqual? }, columns?, ordered?, rowLimit? }`.
pub fn read_table_from_js(v: &JsValue) -> Result<ReadTable> {
    let o = options::object(v, "readTable options")?;
    let range = options::raw(&o, "keyRange");
    let key_range = if range.is_object() {
        use table::key_range::{FromBound, ToBound};
        let from = match (
            bound(&get(&range, "greater"), "keyRange.greater")?,
            bound(&get(&range, "greaterOrEqual"), "keyRange.greaterOrEqual")?,
        ) {
            (Some(_), Some(_)) => return Err(Error::argument("keyRange takes greater or greaterOrEqual, not both")),
            (Some(b), None) => Some(FromBound::Greater(b)),
            (None, Some(b)) => Some(FromBound::GreaterOrEqual(b)),
            (None, None) => None,
        };
        let to = match (
            bound(&get(&range, "less"), "keyRange.less")?,
            bound(&get(&range, "lessOrEqual"), "keyRange.lessOrEqual")?,
        ) {
            (Some(_), Some(_)) => return Err(Error::argument("keyRange takes less or lessOrEqual, not both")),
            (Some(b), None) => Some(ToBound::Less(b)),
            (None, Some(b)) => Some(ToBound::LessOrEqual(b)),
            (None, None) => None,
        };
        Some(table::KeyRange { from_bound: from, to_bound: to })
    } else if range.is_undefined() || range.is_null() {
        None
    } else {
        return Err(Error::argument("option keyRange must be an object"));
    };
    Ok(ReadTable {
        key_range,
        columns: strings(&options::raw(&o, "columns"), "option columns")?,
        ordered: options::boolean(&o, "ordered")?.unwrap_or(false),
        row_limit: options::number(&o, "rowLimit")?.map(|n| n as u64).unwrap_or(0),
    })
}

/// Bulk-upsert rows: an array of objects, typed by `columnTypes` (`{ col: 'Uint64', … }`) or inferred
/// from the first row.
pub fn rows_from_js(rows: &JsValue, column_types: &JsValue) -> Result<TypedValue> {
    if !rows.is_object() || !js_read::is_array(rows).map_err(|e| e.at("bulkUpsert rows"))? {
        return Err(Error::argument("bulkUpsert rows must be an array of objects"));
    }
    if column_types.is_object() {
        let mut fields = Vec::new();
        for (name, t) in js_read::entries(column_types).map_err(|e| e.at("bulkUpsert columnTypes"))? {
            let t = type_of(&t, &format!("columnTypes.{name}"))?;
            fields.push((name, t));
        }
        encode_as(rows, &YdbType::List(Box::new(YdbType::Struct(fields))), "rows")
    } else if column_types.is_undefined() || column_types.is_null() {
        typed_from_js(rows, "rows")
    } else {
        Err(Error::argument("bulkUpsert columnTypes must be an object such as { id: 'Uint64' }"))
    }
}

fn entry_type(t: i32) -> &'static str {
    use scheme::entry::Type as T;
    match T::try_from(t).unwrap_or(T::Unspecified) {
        T::Directory => "DIRECTORY",
        T::Table => "TABLE",
        T::Database => "DATABASE",
        T::ColumnTable => "COLUMN_TABLE",
        T::Topic => "TOPIC",
        T::View => "VIEW",
        T::ExternalTable => "EXTERNAL_TABLE",
        T::Sequence => "SEQUENCE",
        T::CoordinationNode => "COORDINATION_NODE",
        _ => "UNKNOWN",
    }
}

fn permissions_to_js(list: &[scheme::Permissions]) -> Array {
    list.iter()
        .map(|p| {
            let o = Object::new();
            set(&o, "subject", &JsValue::from_str(&p.subject));
            set(&o, "permissionNames", &p.permission_names.iter().map(|n| JsValue::from_str(n)).collect::<Array>());
            JsValue::from(o)
        })
        .collect()
}

/// A scheme entry as `{ name, type, owner, permissions, effectivePermissions }`.
pub fn entry_to_js(e: &scheme::Entry) -> Object {
    let o = Object::new();
    set(&o, "name", &JsValue::from_str(&e.name));
    set(&o, "type", &JsValue::from_str(entry_type(e.r#type)));
    set(&o, "owner", &JsValue::from_str(&e.owner));
    set(&o, "permissions", &permissions_to_js(&e.permissions));
    set(&o, "effectivePermissions", &permissions_to_js(&e.effective_permissions));
    o
}

/// ListDirectory's answer: the directory's own entry with `children`.
pub fn directory_to_js(d: &scheme::ListDirectoryResult) -> JsValue {
    let o = d.self_.as_ref().map(entry_to_js).unwrap_or_default();
    set(&o, "children", &d.children.iter().map(|c| JsValue::from(entry_to_js(c))).collect::<Array>());
    o.into()
}

/// `Permissions` (`{ actions: [{ grant | revoke | set: { subject, permissionNames } } | { changeOwner }],
/// clear? }`) as ModifyPermissions actions.
pub fn permissions_from_js(v: &JsValue) -> Result<(Vec<scheme::PermissionsAction>, bool)> {
    use scheme::permissions_action::Action;
    let o = options::object(v, "permissions")?.ok_or_else(|| Error::argument("modifyPermissions needs Permissions"))?;
    let mut actions = Vec::new();
    for a in array(&get(&o, "actions"), "permissions actions")? {
        let perms = |key: &str| -> Result<Option<scheme::Permissions>> {
            let p = get(&a, key);
            if !p.is_object() {
                return Ok(None);
            }
            let subject =
                get(&p, "subject").as_string().ok_or_else(|| Error::argument("a permission needs a subject"))?;
            Ok(Some(scheme::Permissions {
                subject,
                permission_names: strings(&get(&p, "permissionNames"), "permissionNames")?,
            }))
        };
        let action = if let Some(p) = perms("grant")? {
            Action::Grant(p)
        } else if let Some(p) = perms("revoke")? {
            Action::Revoke(p)
        } else if let Some(p) = perms("set")? {
            Action::Set(p)
        } else if let Some(owner) = get(&a, "changeOwner").as_string() {
            Action::ChangeOwner(owner)
        } else {
            return Err(Error::argument("a permissions action must be grant, revoke, set or changeOwner"));
        };
        actions.push(scheme::PermissionsAction { action: Some(action) });
    }
    Ok((actions, get(&o, "clear").as_bool().unwrap_or(false)))
}
