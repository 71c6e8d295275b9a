//! Transaction modes, shared by the table and query services (each has its own message for them).

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
