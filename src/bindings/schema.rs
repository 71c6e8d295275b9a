//! JS -> protobuf for table schemas and scheme changes: `TableDescription`-shaped objects, data queries, key
//! ranges, bulk-upsert rows and permissions. (Answers go out as the core's plain trees, `crate::plain`.)

use super::values::{encode_as, params_from_js_declared, typed_from_js};
use super::{js_read, options};
use crate::error::{Error, Result};
use crate::proto::ydb::{scheme, table, TypedValue};
use crate::scheme::{permissions_action, PERMISSIONS_ACTIONS};
use crate::table::schema::{self, AlterTable, DataQuery, NewTable, ReadTable};
use crate::value::params::Params;
use crate::value::YdbType;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
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

/// A `TableColumn` (`{ name, type, notNull? }`).
fn column(v: &JsValue) -> Result<table::ColumnMeta> {
    if !v.is_object() {
        return Err(Error::argument("a column must be a TableColumn { name, type }"));
    }
    let name = get(v, "name").as_string().ok_or_else(|| Error::argument("a column needs a name"))?;
    let t = type_of(&get(v, "type"), &format!("column {name} type"))?;
    Ok(schema::column(name, t, get(v, "notNull").as_bool().unwrap_or(false)))
}

/// A `TableIndex` (`{ name, indexColumns, dataColumns? }`).
fn index(v: &JsValue) -> Result<table::TableIndex> {
    let name = get(v, "name").as_string().ok_or_else(|| Error::argument("an index needs a name"))?;
    let index_columns = strings(&get(v, "indexColumns"), &format!("index {name} indexColumns"))?;
    schema::global_index(name, index_columns, strings(&get(v, "dataColumns"), "index dataColumns")?)
}

/// A `TableDescription`.
pub fn description_from_js(v: &JsValue) -> Result<NewTable> {
    if !v.is_object() {
        return Err(Error::argument("createTable needs a TableDescription"));
    }
    let columns = array(&get(v, "columns"), "columns")?.iter().map(column).collect::<Result<Vec<_>>>()?;
    let primary_key = strings(&get(v, "primaryKey"), "primaryKey")?;
    let indexes = array(&get(v, "indexes"), "indexes")?.iter().map(index).collect::<Result<Vec<_>>>()?;
    NewTable::new(columns, primary_key, indexes)
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
    let types = get(v, "parameterTypes");
    let types = match types.is_object() {
        true => js_read::entries(&types).map_err(|e| e.at("DataQuery parameterTypes"))?,
        false => Vec::new(),
    };
    DataQuery::prepared(id, text, types.into_iter().filter_map(|(name, t)| Some((name, t.as_string()?))).collect())
}

/// A data query argument and its parameters: an sql`…` template (its values bound as parameters beside
/// `params`), YQL text, or a prepared `DataQuery`.
pub fn data_query_and_params(query: &JsValue, params: &JsValue) -> Result<(DataQuery, Params)> {
    if super::sql::is_template(query) {
        let (text, params) = super::sql::text_and_params(query, params)?;
        return Ok((DataQuery::Text(text), params));
    }
    let q = data_query_from_js(query)?;
    let params = params_from_js_declared(params, &q.declared_types())?;
    Ok((q, params))
}

/// A key bound (absent: none).
fn bound(range: &JsValue, name: &str) -> Result<Option<TypedValue>> {
    let v = get(range, name);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    typed_from_js(&v, &format!("keyRange.{name}")).map(Some)
}

/// `{ keyRange?: { greater?, greaterOrEqual?, less?, lessOrEqual? }, columns?, ordered?, rowLimit? }`.
pub fn read_table_from_js(v: &JsValue) -> Result<ReadTable> {
    let o = options::object(v, "readTable options")?;
    let range = options::raw(&o, "keyRange");
    let key_range = if range.is_object() {
        let from = [bound(&range, "greater")?, bound(&range, "greaterOrEqual")?];
        Some(schema::key_range(from, [bound(&range, "less")?, bound(&range, "lessOrEqual")?])?)
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

/// `Permissions` (`{ actions: [{ grant | revoke | set: { subject, permissionNames } } | { changeOwner }],
/// clear? }`) as ModifyPermissions actions.
pub fn permissions_from_js(v: &JsValue) -> Result<(Vec<scheme::PermissionsAction>, bool)> {
    let o = options::object(v, "permissions")?.ok_or_else(|| Error::argument("modifyPermissions needs Permissions"))?;
    let mut actions = Vec::new();
    for a in array(&get(&o, "actions"), "permissions actions")? {
        // The first action the object holds: `{ grant: { subject, permissionNames } }`, `{ changeOwner }`.
        let (kind, p) = PERMISSIONS_ACTIONS.iter().map(|k| (*k, get(&a, k))).find(|(_, p)| !p.is_undefined()).unzip();
        let p = p.unwrap_or(JsValue::UNDEFINED);
        let (subject, names) = match p.as_string() {
            Some(owner) => (Some(owner), Vec::new()),
            None => (get(&p, "subject").as_string(), strings(&get(&p, "permissionNames"), "permissionNames")?),
        };
        actions.push(permissions_action(kind, subject, names)?);
    }
    Ok((actions, get(&o, "clear").as_bool().unwrap_or(false)))
}
