//! Buffers the translator reuses from block to block on each thread, instead of allocating
//! and freeing them per block and per pass: a block's op list, and the per-temporary and
//! per-op tables the passes fill. Most are larger than the allocator's small-size caches, so
//! each fresh one cost a trip through malloc and free (a quarter of translation time).
//!
//! [`filled`] lends a vector of `n` copies of a value that goes back to the thread's pool
//! when dropped; [`ops`] gives an empty op list with room, which [`Block`]'s drop and the
//! passes that rebuild a block's ops hand back with [`recycle_ops`]. [`collected`] lends one
//! filled from an iterator. A backend gives its own element types a pool with [`pooled!`].

use super::regalloc::Loc;
use super::{Block, CmpOp, GuestAddr, Op, StateOffset, Temp, Width};
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// Vectors kept per element type and thread.
const POOL_DEPTH: usize = 8;
/// A vector whose capacity is larger than this many elements is freed, not kept.
const MAX_KEPT: usize = 1 << 14;

/// The vectors kept for one element type on one thread.
pub type Pool<T> = RefCell<Vec<Vec<T>>>;

/// An element type with a pool of its own on each thread.
pub trait Pooled: Sized + 'static {
    fn pool() -> &'static LocalKey<Pool<Self>>;
}

/// Gives each listed element type a pool of its own on each thread (`NAME: Type`).
macro_rules! pooled {
    ($($name:ident: $t:ty),* $(,)?) => {
        thread_local! {
            $(static $name: $crate::ir::scratch::Pool<$t> =
                const { ::std::cell::RefCell::new(Vec::new()) };)*
        }
        $(impl $crate::ir::scratch::Pooled for $t {
            fn pool() -> &'static ::std::thread::LocalKey<$crate::ir::scratch::Pool<Self>> {
                &$name
            }
        })*
    };
}
pub(crate) use pooled;

pooled!(
    OPTION_U8: Option<u8>,
    OPTION_U64: Option<u64>,
    OPTION_USIZE: Option<usize>,
    BOOL: bool,
    U8: u8,
    U16: u16,
    U32: u32,
    USIZE: usize,
    TEMP: Temp,
    LOC: Loc,
    STATE_OFFSET: StateOffset,
    GUEST_ADDR: GuestAddr,
    OPS: Op,
    KNOWN_STATE: (u32, Width, Temp),
    KNOWN_VECTOR: (u32, Temp),
    COMPARE: Option<(CmpOp, Temp, Temp, Width)>,
    DIFFERENCE: Option<(Temp, Temp, Width)>,
);

fn take<T: Pooled>() -> Vec<T> {
    T::pool()
        .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn give<T: Pooled>(mut v: Vec<T>) {
    if v.capacity() == 0 || v.capacity() > MAX_KEPT {
        return;
    }
    v.clear();
    let _ = T::pool().try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.len() < POOL_DEPTH {
                p.push(v);
            }
        }
    });
}

/// A vector lent from the thread's pool; it goes back when dropped.
pub struct Lent<T: Pooled>(Vec<T>);

impl<T: Pooled> Deref for Lent<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Pooled> DerefMut for Lent<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T: Pooled> Drop for Lent<T> {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.0));
    }
}

impl<T: Pooled + Clone> Clone for Lent<T> {
    fn clone(&self) -> Lent<T> {
        collected(self.iter().cloned())
    }
}

impl<T: Pooled + std::fmt::Debug> std::fmt::Debug for Lent<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The items of `items`, like `collect::<Vec<_>>()`, in a vector from the thread's pool.
pub fn collected<T: Pooled>(items: impl IntoIterator<Item = T>) -> Lent<T> {
    let mut v = take::<T>();
    v.extend(items);
    Lent(v)
}

/// `n` copies of `value`, like `vec![value; n]`, in a vector from the thread's pool.
pub fn filled<T: Pooled + Clone>(n: usize, value: T) -> Lent<T> {
    let mut v = take::<T>();
    v.resize(n, value);
    Lent(v)
}

/// An empty op list with room for at least `capacity` ops, from the thread's pool.
pub fn ops(capacity: usize) -> Vec<Op> {
    let mut v = take::<Op>();
    v.reserve(capacity);
    v
}

/// Gives an op list (its ops are dropped) back to the thread's pool.
pub fn recycle_ops(ops: Vec<Op>) {
    give(ops);
}

impl Drop for Block {
    fn drop(&mut self) {
        recycle_ops(std::mem::take(&mut self.ops));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_vector_is_filled_whatever_it_held_before() {
        {
            let mut a = filled(5, 7u32);
            a[4] = 9;
            assert_eq!(*a, vec![7, 7, 7, 7, 9]);
        }
        let b = filled(3, 1u32);
        assert_eq!(*b, vec![1, 1, 1]);
        let c = filled(6, 2u32);
        assert_eq!(*c, vec![2; 6]);
    }

    #[test]
    fn op_lists_come_back_empty_with_room() {
        let mut v = ops(10);
        v.push(Op::Fence);
        recycle_ops(v);
        let w = ops(4);
        assert!(w.is_empty() && w.capacity() >= 4);
    }
}
