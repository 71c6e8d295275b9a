//! `sql` tagged templates from JS (`js/api.js` builds them) into the core's [`crate::sql::Piece`]s: each
//! interpolated value converted as any parameter is, fragments (`sql.identifier`, `sql.unsafe`, a nested
//! template) recognised by their marker. Nesting is bounded like any value.

use super::js_read;
use super::values::{params_from_js, params_from_js_declared, typed_from_js};
use crate::error::{Error, Result};
use crate::sql::{compose, Piece};
use crate::value::params::{self, Params};
use wasm_bindgen::JsValue;

/// How deep templates may nest inside each other.
const MAX_FRAGMENT_DEPTH: usize = 64;

fn marker(v: &JsValue) -> Option<String> {
    if !v.is_object() {
        return None;
    }
    js_read::get_key(v, &js_sys::Symbol::for_("ydb-wasm.sql").into()).ok().and_then(|m| m.as_string())
}

/// The query text and parameters of a query argument: a template (with `extra` parameters beside its
/// own), or text with `params`.
pub fn text_and_params(query: &JsValue, params: &JsValue) -> Result<(String, Params)> {
    if marker(query).as_deref() != Some("query") {
        let text = query.as_string().ok_or_else(|| Error::argument("query must be a string or an sql`…` template"))?;
        // The text is read for its DECLAREs only when there are parameters to type by them.
        let declared = match params.is_undefined() || params.is_null() {
            true => Default::default(),
            false => crate::sql::declared_types(&text),
        };
        let params = params_from_js_declared(params, &declared)?;
        return Ok((text, params));
    }
    template_and_params(query, params)
}

/// `text_and_params` of an sql`…` template. Out of line: V8 compiles a wasm function at its first call,
/// and a query given as text then compiles none of this.
#[inline(never)]
fn template_and_params(query: &JsValue, params: &JsValue) -> Result<(String, Params)> {
    let mut pieces = Vec::new();
    flatten(query, &mut pieces, 0)?;
    let mut composed = compose(pieces)?;
    for param in params_from_js(params)? {
        if params::has(&composed.params, &param.key) {
            return Err(Error::argument(format!("parameter {} is also a value of the sql`…` template", param.key)));
        }
        composed.params.push(param);
    }
    Ok((composed.text, composed.params))
}

/// Whether a query argument is an sql`…` template.
pub fn is_template(query: &JsValue) -> bool {
    marker(query).as_deref() == Some("query")
}

fn flatten(template: &JsValue, pieces: &mut Vec<Piece>, depth: usize) -> Result<()> {
    if depth > MAX_FRAGMENT_DEPTH {
        return Err(Error::argument(format!("sql`…` templates nest deeper than {MAX_FRAGMENT_DEPTH} levels")));
    }
    let threw = |e: js_read::Thrown| e.at("an sql`…` template");
    let strings = js_read::get(template, "strings").map_err(threw)?;
    let values = js_read::get(template, "values").map_err(threw)?;
    let count = js_read::length(&strings).map_err(threw)?;
    for i in 0..count {
        let text = js_read::element(&strings, i).map_err(threw)?;
        pieces.push(Piece::Text(
            text.as_string().ok_or_else(|| Error::argument("an sql`…` template's text is not a string"))?,
        ));
        if i + 1 == count {
            break;
        }
        let value = js_read::element(&values, i).map_err(threw)?;
        let text_of = |key: &str| -> Result<String> {
            js_read::get(&value, key)
                .map_err(threw)?
                .as_string()
                .ok_or_else(|| Error::argument(format!("sql fragment {key} must be a string")))
        };
        match marker(&value).as_deref() {
            Some("query") => flatten(&value, pieces, depth + 1)?,
            Some("identifier") => pieces.push(Piece::Identifier(text_of("name")?)),
            Some("unsafe") => pieces.push(Piece::Raw(text_of("text")?)),
            _ => pieces.push(Piece::Value(typed_from_js(&value, &format!("${{{i}}} of the sql`…` template"))?)),
        }
    }
    Ok(())
}
