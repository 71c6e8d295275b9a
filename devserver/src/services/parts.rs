//! Result sets cut into parts, for the answers that stream: the query service's ExecuteQuery parts and
//! the table service's ReadTable parts.
//!
//! Owned here, below both services, so that neither service imports the other.

use prost::Message;

use crate::proto::ydb;

/// Cuts one result set into parts of at most `limit` bytes of rows (at least one row per part, and one
/// part even when the set is empty so the client learns its columns).
pub fn split_result_set(set: ydb::ResultSet, limit: usize) -> Vec<ydb::ResultSet> {
    let ydb::ResultSet { columns, rows, truncated, .. } = set;
    let mut parts = Vec::new();
    let mut current: Vec<ydb::Value> = Vec::new();
    let mut size = 0usize;
    for row in rows {
        let len = row.encoded_len();
        if !current.is_empty() && size + len > limit {
            parts.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(row);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, rows)| ydb::ResultSet {
            columns: columns.clone(),
            rows,
            truncated: truncated && i == last,
            ..Default::default()
        })
        .collect()
}

/// Cuts a part further so that it holds at most `max_rows` rows (0: no row limit).
pub fn split_rows(part: ydb::ResultSet, max_rows: usize) -> Vec<ydb::ResultSet> {
    if max_rows == 0 || part.rows.len() <= max_rows {
        return vec![part];
    }
    part.rows
        .chunks(max_rows)
        .map(|rows| ydb::ResultSet { columns: part.columns.clone(), rows: rows.to_vec(), ..Default::default() })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn row(n: usize) -> ydb::Value {
        ydb::Value {
            items: vec![ydb::Value { value: Some(ydb::value::Value::TextValue("x".repeat(n))), ..Default::default() }],
            ..Default::default()
        }
    }

    #[test]
    fn big_result_sets_are_cut_into_parts_that_keep_every_row_in_order() {
        let rows: Vec<ydb::Value> = (0..1000).map(|_| row(100)).collect();
        let set = ydb::ResultSet {
            columns: vec![ydb::Column { name: "a".into(), r#type: None }],
            rows,
            ..Default::default()
        };
        let parts = split_result_set(set, 10_000);
        assert!(parts.len() > 5);
        assert_eq!(parts.iter().map(|p| p.rows.len()).sum::<usize>(), 1000);
        assert!(parts.iter().all(|p| p.columns.len() == 1 && p.encoded_len() < 12_000));
    }

    #[test]
    fn an_empty_result_set_is_still_one_part() {
        let parts = split_result_set(ydb::ResultSet::default(), 10);
        assert_eq!(parts.len(), 1);
    }
}
