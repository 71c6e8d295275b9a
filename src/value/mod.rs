//! YDB types and the exact scalar conversions — no JS here, so all of it is tested natively.
//!
//! The JS side of values (`bindings::values`) builds on these: it decides *which* JS value a YDB
//! value becomes, this module guarantees the numbers are right.

pub mod columns;
pub mod params;
pub mod rows;
pub mod scalars;
pub mod types;
pub mod variant;

pub use types::{Primitive, YdbType};
