//! Transaction modes, shared by the table and query services (each has its own message for them).

use crate::error::{Error, Quoted, Result};
use crate::proto::ydb::{query, table};

/// The isolation mode of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TxMode {
    #[default]
    SerializableReadWrite,
    OnlineReadOnly {
        allow_inconsistent_reads: bool,
    },
    StaleReadOnly,
    SnapshotReadOnly,
}

impl TxMode {
    /// The mode of a name as JS gives it (`new OnlineReadOnly().mode`); `allow_inconsistent_reads` is read
    /// by the online mode only. No name is an error that names the modes.
    pub fn from_name(name: Option<&str>, allow_inconsistent_reads: bool) -> Result<TxMode> {
        let name = name.ok_or_else(|| {
            Error::argument(
                "a transaction mode must be SerializableReadWrite, OnlineReadOnly, StaleReadOnly or SnapshotReadOnly",
            )
        })?;
        Ok(match name {
            "serializableReadWrite" => TxMode::SerializableReadWrite,
            "onlineReadOnly" => TxMode::OnlineReadOnly { allow_inconsistent_reads },
            "staleReadOnly" => TxMode::StaleReadOnly,
            "snapshotReadOnly" => TxMode::SnapshotReadOnly,
            other => return Err(Error::argument(format!("unknown transaction mode {}", Quoted(other)))),
        })
    }

    pub fn to_query(self) -> query::TransactionSettings {
        use query::transaction_settings::TxMode as M;
        let mode = match self {
            TxMode::SerializableReadWrite => M::SerializableReadWrite(query::SerializableModeSettings {}),
            TxMode::OnlineReadOnly { allow_inconsistent_reads } => {
                M::OnlineReadOnly(query::OnlineModeSettings { allow_inconsistent_reads })
            }
            TxMode::StaleReadOnly => M::StaleReadOnly(query::StaleModeSettings {}),
            TxMode::SnapshotReadOnly => M::SnapshotReadOnly(query::SnapshotModeSettings {}),
        };
        query::TransactionSettings { tx_mode: Some(mode) }
    }

    pub fn to_table(self) -> table::TransactionSettings {
        use table::transaction_settings::TxMode as M;
        let mode = match self {
            TxMode::SerializableReadWrite => M::SerializableReadWrite(table::SerializableModeSettings {}),
            TxMode::OnlineReadOnly { allow_inconsistent_reads } => {
                M::OnlineReadOnly(table::OnlineModeSettings { allow_inconsistent_reads })
            }
            TxMode::StaleReadOnly => M::StaleReadOnly(table::StaleModeSettings {}),
            TxMode::SnapshotReadOnly => M::SnapshotReadOnly(table::SnapshotModeSettings {}),
        };
        table::TransactionSettings { tx_mode: Some(mode) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_known_by_their_js_names_and_others_are_refused() {
        assert_eq!(TxMode::from_name(Some("staleReadOnly"), true).ok(), Some(TxMode::StaleReadOnly));
        let online = TxMode::from_name(Some("onlineReadOnly"), true).ok();
        assert_eq!(online, Some(TxMode::OnlineReadOnly { allow_inconsistent_reads: true }));
        let refused = |name| TxMode::from_name(name, false).err().map(|e| e.kind());
        assert_eq!(refused(Some("serializable")), Some(crate::ErrorKind::Argument));
        assert_eq!(refused(None), Some(crate::ErrorKind::Argument));
    }
}
