//! Syntax tree of the YQL subset.
//!
//! Exists to decouple parsing from execution: the parser builds these nodes, the executor binds them
//! to table schemas and types. New statements (UPDATE, DELETE, ALTER, ...) are added here first.

use super::types::Type;
use super::values::Value;

/// A statement of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Declare {
        name: String,
        ty: Type,
        line: u32,
        col: u32,
    },
    CreateTable {
        name: String,
        columns: Vec<ColumnDef>,
        primary_key: Vec<String>,
        indexes: Vec<IndexDef>,
        if_not_exists: bool,
    },
    /// `ALTER TABLE t ADD COLUMN c T, DROP COLUMN d, ADD INDEX i GLOBAL ON (c), DROP INDEX j`.
    AlterTable {
        name: String,
        add: Vec<ColumnDef>,
        drop: Vec<String>,
        add_indexes: Vec<IndexDef>,
        drop_indexes: Vec<String>,
    },
    DropTable {
        name: String,
        if_exists: bool,
    },
    /// `… RETURNING items` (on these three): a result set of the rows written (as they are after the
    /// write) or deleted (as they were), projected by `items`.
    Write {
        mode: WriteMode,
        table: String,
        columns: Option<Vec<String>>,
        source: WriteSource,
        returning: Option<Vec<SelectItem>>,
    },
    Update {
        table: String,
        set: Vec<(String, Expr)>,
        where_: Option<Expr>,
        returning: Option<Vec<SelectItem>>,
    },
    Delete {
        table: String,
        where_: Option<Expr>,
        returning: Option<Vec<SelectItem>>,
    },
    Select(Box<Select>),
    /// `$name = expr;` (a SELECT in parentheses is a subquery expression).
    Assign {
        name: String,
        expr: Expr,
    },
    Pragma {
        name: String,
        args: Vec<Expr>,
    },
    Commit,
}

impl Stmt {
    pub fn is_write(&self) -> bool {
        matches!(self, Stmt::Write { .. } | Stmt::Update { .. } | Stmt::Delete { .. })
    }
    pub fn is_ddl(&self) -> bool {
        matches!(self, Stmt::CreateTable { .. } | Stmt::DropTable { .. } | Stmt::AlterTable { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: Type,
    pub not_null: bool,
}

/// How a secondary index is maintained (YDB's `GLOBAL [SYNC]`, `GLOBAL ASYNC`, `GLOBAL UNIQUE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Global,
    GlobalAsync,
    GlobalUnique,
}

impl IndexKind {
    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Global => "global",
            IndexKind::GlobalAsync => "global_async",
            IndexKind::GlobalUnique => "global_unique",
        }
    }
    pub fn from_name(name: &str) -> Option<IndexKind> {
        match name {
            "global" => Some(IndexKind::Global),
            "global_async" => Some(IndexKind::GlobalAsync),
            "global_unique" => Some(IndexKind::GlobalUnique),
            _ => None,
        }
    }
}

/// A secondary index: kept in the catalog and described, never used to plan reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    pub columns: Vec<String>,
    /// `COVER (...)` columns.
    pub data_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Upsert,
    Replace,
    Insert,
    /// `UPDATE t ON …`: rows whose key exists get the given columns; others are skipped.
    UpdateOn,
    /// `DELETE FROM t ON …`: rows with the given keys are deleted.
    DeleteOn,
}

impl WriteMode {
    pub fn name(self) -> &'static str {
        match self {
            WriteMode::Upsert => "Upsert",
            WriteMode::Replace => "Replace",
            WriteMode::Insert => "Insert",
            WriteMode::UpdateOn => "Update",
            WriteMode::DeleteOn => "Delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteSource {
    Values(Vec<Vec<Expr>>),
    Select(Box<Select>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    pub from: Option<From>,
    pub where_: Option<Expr>,
    /// Grouping keys, each with its `AS alias` (YQL's way to name a computed key).
    pub group_by: Vec<(Expr, Option<String>)>,
    pub having: Option<Expr>,
    pub order_by: Vec<(Expr, bool)>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// `UNION ALL` continuation.
    pub union_all: Option<Box<Select>>,
}

impl Select {
    /// `SELECT items [FROM from] [WHERE where_]` with no grouping, order, limit or union: the queries the
    /// engine writes for itself (RETURNING's projection, `SELECT * FROM (…)`, ReadRows' lookups).
    pub fn plain(items: Vec<SelectItem>, from: Option<From>, where_: Option<Expr>) -> Select {
        Select {
            distinct: false,
            items,
            from,
            where_,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            union_all: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Star,
    QualifiedStar(String),
    Expr { expr: Expr, alias: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum FromSource {
    Table(String),
    AsTable(Expr),
    Subquery(Box<Select>),
    /// A `$name` bound to a subquery.
    Named(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FromItem {
    pub source: FromSource,
    pub alias: Option<String>,
}

/// A window function call.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub name: String,
    pub args: Vec<Expr>,
    /// `COUNT(*)`.
    pub star: bool,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<(Expr, bool)>,
    /// `ROWS BETWEEN start AND end` as offsets from the current row (negative: preceding; `None`:
    /// unbounded). Without one: the partition's start to the current row with ORDER BY, else all of it.
    pub frame: Option<(Option<i64>, Option<i64>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
    LeftSemi,
    LeftOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub struct From {
    pub first: FromItem,
    pub joins: Vec<(JoinKind, FromItem, Option<JoinCond>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinCond {
    On(Expr),
    Using(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
    Coalesce,
    BitAnd,
    BitOr,
    BitXor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Plus,
    Not,
    BitNot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Type, Value),
    Param(String),
    Column {
        qual: Option<String>,
        name: String,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
        negated: bool,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Cast {
        expr: Box<Expr>,
        ty: Type,
    },
    Call {
        name: String,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
    },
    /// `(SELECT ...)` used as a value.
    Subquery(Box<Select>),
    /// `(a, b)`; `AsList(...)`, `AsTuple(...)` are calls.
    Tuple(Vec<Expr>),
    /// `AsStruct(expr AS name, ...)` and `<|name: expr, ...|>`.
    Struct(Vec<(String, Expr)>),
    /// `f(args) OVER (PARTITION BY … ORDER BY … [ROWS BETWEEN … AND …])`: a window function (`ROW_NUMBER`,
    /// `RANK`, `DENSE_RANK`, `LAG`, `LEAD`, `FIRST_VALUE`, `LAST_VALUE` or an aggregate), only in a
    /// SELECT's items and ORDER BY.
    Window(Box<WindowCall>),
    /// `($x, $y) -> (body)` or `($x) -> { RETURN body }`: only as the argument of a list function
    /// (`ListMap`, `ListFilter`) or bound to a name that one takes.
    Lambda {
        params: Vec<String>,
        body: Box<Expr>,
    },
}
