//! The A64 decode table: one row per ARM ARM instruction title, with its encoding written as a
//! 32-character bit pattern (most significant bit first). `0` and `1` are fixed bits; any
//! other character is a field bit (the letters name the field, like the manual's boxes:
//! `d` Rd, `n` Rn, `m` Rm, `t` Rt, `z` sf, `i` immediates, ...); `_` and spaces are ignored.
//!
//! Patterns are compiled once into `(mask, value)` pairs and bucketed by bits 28:25 (the
//! manual's top-level `op0`), so a lookup tests only the rows of one bucket, in table order.
//! Rows may overlap only where [`ALLOWED_OVERLAPS`] says so, with the more specific row first;
//! a test checks this for every pair.

use super::{Ctx, Flow};
use std::sync::OnceLock;

/// Handler of one row: translates the instruction `word` at `ctx.pc`.
pub type Handler = fn(&mut Ctx, u32) -> Flow;

/// One row of the decode table.
pub struct Row {
    /// Short name, e.g. `ADD_imm` (used in messages and tests).
    pub name: &'static str,
    /// The ARM ARM title, e.g. "ADD (immediate)".
    pub title: &'static str,
    pub pattern: &'static str,
    pub handler: Handler,
}

/// Shorthand for table rows in the family files.
macro_rules! row {
    ($name:ident, $title:expr, $pattern:expr, $handler:expr) => {
        $crate::frontend::aarch64::decode::Row {
            name: stringify!($name),
            title: $title,
            pattern: $pattern,
            handler: $handler,
        }
    };
}
pub(crate) use row;

/// Every row, in lookup order within a bucket.
pub fn all_rows() -> impl Iterator<Item = &'static Row> {
    super::dp_imm::ROWS
        .iter()
        .chain(super::dp_reg::ROWS)
        .chain(super::branch::ROWS)
        .chain(super::system::ROWS)
        .chain(super::atomic::ROWS)
        .chain(super::loadstore::ROWS)
        .chain(super::ldst_simd::ROWS)
        .chain(super::fp::ROWS)
        .chain(super::simd::ROWS)
}

/// Pairs of rows (by name) that may both match one word. The first named row must come
/// earlier in the table: it is the more specific one.
pub const ALLOWED_OVERLAPS: &[(&str, &str)] = &[
    // Shift by immediate with immh = 0000 is the modified-immediate group.
    ("SIMD_modimm", "SIMD_shift"),
];

/// `(mask, value)` of a pattern. Panics on a malformed pattern (a bug in the table, caught by
/// the tests and at first use, never by guest input).
pub const fn compile(pattern: &str) -> (u32, u32) {
    let bytes = pattern.as_bytes();
    let mut mask = 0u32;
    let mut value = 0u32;
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if c == b'_' || c == b' ' {
            continue;
        }
        mask <<= 1;
        value <<= 1;
        if c == b'0' {
            mask |= 1;
        } else if c == b'1' {
            mask |= 1;
            value |= 1;
        }
        n += 1;
    }
    assert!(n == 32, "A64 pattern must have 32 bits");
    (mask, value)
}

/// The compiled table.
pub struct Table {
    rows: Vec<(u32, u32, &'static Row)>,
    /// Row indices per value of bits 28:25.
    buckets: [Vec<u16>; 16],
}

impl Table {
    fn build() -> Table {
        let rows: Vec<(u32, u32, &'static Row)> = all_rows()
            .map(|r| {
                let (m, v) = compile(r.pattern);
                (m, v, r)
            })
            .collect();
        let mut buckets: [Vec<u16>; 16] = Default::default();
        for (bucket, list) in buckets.iter_mut().enumerate() {
            let bv = (bucket as u32) << 25;
            let bm = 0xfu32 << 25;
            for (i, (m, v, _)) in rows.iter().enumerate() {
                // The row can match a word of this bucket if its fixed bits in 28:25 agree.
                if (v ^ bv) & m & bm == 0 {
                    list.push(i as u16);
                }
            }
        }
        Table { rows, buckets }
    }

    /// The first row matching `word`, if any.
    pub fn lookup(&self, word: u32) -> Option<&'static Row> {
        let bucket = &self.buckets[((word >> 25) & 0xf) as usize];
        bucket.iter().map(|&i| &self.rows[i as usize]).find(|(m, v, _)| word & m == *v).map(|r| r.2)
    }

    pub fn rows(&self) -> impl Iterator<Item = (u32, u32, &'static Row)> + '_ {
        self.rows.iter().copied()
    }
}

/// The table, built on first use.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for r in all_rows() {
            let _ = compile(r.pattern);
            assert!(names.insert(r.name), "duplicate row name {}", r.name);
        }
    }

    #[test]
    fn rows_overlap_only_where_listed_and_ordered() {
        let rows: Vec<_> = table().rows().collect();
        let mut bad = Vec::new();
        for (i, (m1, v1, r1)) in rows.iter().enumerate() {
            for (m2, v2, r2) in &rows[i + 1..] {
                if (v1 ^ v2) & m1 & m2 == 0 && !ALLOWED_OVERLAPS.contains(&(r1.name, r2.name)) {
                    bad.push(format!("{} / {}", r1.name, r2.name));
                }
            }
        }
        for (first, second) in ALLOWED_OVERLAPS {
            let pos = |n: &str| rows.iter().position(|r| r.2.name == n);
            let (a, b) = (pos(first), pos(second));
            assert!(a.is_some() && b.is_some(), "{first} / {second}: no such row");
            assert!(a < b, "{first} must come before {second}");
        }
        assert!(bad.is_empty(), "unlisted overlaps: {bad:?}");
    }
}
