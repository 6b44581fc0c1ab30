//! (being written)

use super::decode::Row;

pub const ROWS: &[Row] = &[];
