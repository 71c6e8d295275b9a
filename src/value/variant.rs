//! Choosing a Variant's alternative from what a caller names: a struct member's name, an index, or both.
//!
//! Exists so that the parameter encoder in `bindings` only reads `name` and `index` off a JS object; which
//! alternative they mean, and every way they can fail to mean one, is decided (and tested) here.

use crate::error::Quoted;
use crate::value::YdbType;

/// The alternative of a variant over `inner` (a struct or a tuple) named by `name` (a member of a
/// struct) and/or `index` (either kind), as its index and type. When both are given they must agree. The
/// error says why nothing was chosen.
pub fn alternative<'t>(
    inner: &'t YdbType,
    name: Option<&str>,
    index: Option<f64>,
) -> Result<(u32, &'t YdbType), String> {
    let alternatives: Vec<(Option<&str>, &YdbType)> = match inner {
        YdbType::Struct(fields) => fields.iter().map(|(n, t)| (Some(n.as_str()), t)).collect(),
        YdbType::Tuple(items) => items.iter().map(|t| (None, t)).collect(),
        _ => Vec::new(),
    };
    let by_name = match name {
        Some(n) => Some(
            alternatives
                .iter()
                .position(|(m, _)| *m == Some(n))
                .ok_or_else(|| format!("no alternative named {}", Quoted(n)))?,
        ),
        None => None,
    };
    // (The index is not printed: formatting an f64 would link Rust's float formatting, ~15 KB of wasm.)
    let by_index = match index {
        Some(i) if i.fract() == 0.0 && i >= 0.0 && (i as usize) < alternatives.len() => Some(i as usize),
        Some(_) => return Err(format!("index must be a whole number below {}", alternatives.len())),
        None => None,
    };
    let chosen = match (by_name, by_index) {
        (Some(a), Some(b)) if a != b => return Err("name and index choose different alternatives".into()),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err("expected { name, value } or { index, value }".into()),
    };
    let (_, t) = alternatives.get(chosen).ok_or("no such alternative")?;
    Ok((chosen as u32, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Primitive as P;

    fn over_struct() -> YdbType {
        YdbType::Struct(vec![
            ("ok".into(), YdbType::Primitive(P::Int32)),
            ("error".into(), YdbType::Primitive(P::Utf8)),
        ])
    }

    #[test]
    fn a_name_or_an_index_chooses_and_both_must_agree() {
        let s = over_struct();
        let utf8 = YdbType::Primitive(P::Utf8);
        assert_eq!(alternative(&s, Some("error"), None), Ok((1, &utf8)));
        assert_eq!(alternative(&s, None, Some(1.0)), Ok((1, &utf8)));
        assert_eq!(alternative(&s, Some("error"), Some(1.0)), Ok((1, &utf8)));
        assert!(alternative(&s, Some("ok"), Some(1.0)).unwrap_err().contains("different alternatives"));
        let t = YdbType::Tuple(vec![YdbType::Primitive(P::Date32), utf8.clone()]);
        assert_eq!(alternative(&t, None, Some(0.0)), Ok((0, &YdbType::Primitive(P::Date32))));
    }

    #[test]
    fn nothing_chosen_is_an_error_saying_why() {
        let s = over_struct();
        assert_eq!(alternative(&s, Some("nope"), None), Err("no alternative named \"nope\"".into()));
        for bad in [2.0, -1.0, 0.5, f64::NAN, f64::INFINITY] {
            assert_eq!(alternative(&s, None, Some(bad)), Err("index must be a whole number below 2".into()));
        }
        assert!(alternative(&s, None, None).unwrap_err().contains("{ name, value }"));
        // A tuple's alternatives have no names.
        let t = YdbType::Tuple(vec![YdbType::Primitive(P::Int32)]);
        assert!(alternative(&t, Some("ok"), None).is_err());
    }
}
