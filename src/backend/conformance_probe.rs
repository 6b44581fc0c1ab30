//! The conformance suite's part for stores that cross a page: `Op::ProbeWrite` of every
//! length class and `Op::VStore` at every start from 40 bytes before a 4 KiB boundary to 8
//! after it, in writable memory, with values live across them. Compiled, the probe's slow
//! path (taken whenever the range crosses) must write nothing and keep every register; the
//! stores write what the interpreter writes. (That a probe faults before a store writes
//! anything is guest-bins `storefault`'s part, against the native oracle.)

use super::conformance::{compile_flushing, new_backend, MAPPED_WORDS};
use super::Backend;
use crate::cache::CodeCache;
use crate::ir::protocol::header;
use crate::ir::{interp, Builder, Exit, GuestAddr, StateOffset, Width};

pub fn page_crossing_stores_match_the_interpreter<B: Backend>() {
    let mut cache = CodeCache::new(CodeCache::DEFAULT_SIZE).expect("code cache");
    let mut backend = new_backend::<B>(&mut cache);
    // Three pages' worth: a 4 KiB boundary with 4 KiB of the buffer on either side.
    let mut mem = vec![0u8; 3 * 4096];
    let base = mem.as_mut_ptr() as u64;
    let boundary = (base + 2 * 4096 - 1) & !0xfff;
    let init: Vec<u8> = (0..mem.len()).map(|i| (i * 7 + 3) as u8).collect();
    let field = |i: u32| StateOffset(header::SIZE + 8 * i);
    for len in [2u8, 8, 16, 32, 64] {
        for before in -8i64..=40 {
            let addr = boundary.wrapping_add_signed(-before);
            let mut b = Builder::new();
            let a = b.constant(addr);
            // Live across the probe: a loaded value, a state value and the address.
            let old = b.load(a, Width::W64);
            let x = b.load_state(field(1), Width::W64);
            b.probe_write(a, len);
            b.store_state(field(2), old, Width::W64);
            if len == 16 {
                let v = b.vload_state(field(4));
                b.vstore(a, v);
            } else {
                b.store(a, x, Width::W64);
            }
            let sum = b.bin(crate::ir::BinOp::Add, x, a, Width::W64);
            b.store_state(field(3), sum, Width::W64);
            let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Syscall { next: GuestAddr(0x1004) });

            let mut state = [0u64; MAPPED_WORDS];
            for (i, w) in state.iter_mut().enumerate().skip(header::SIZE as usize / 8) {
                *w = 0x0123_4567_89ab_cdef_u64.rotate_left(i as u32 * 5);
            }
            mem.copy_from_slice(&init);
            let mut want = state;
            // SAFETY: the block touches its state buffer and `mem` only.
            unsafe { interp::run_block(&block, want.as_mut_ptr() as *mut u8) };
            let want_mem = mem.clone();

            mem.copy_from_slice(&init);
            let mut got = state;
            let compiled = compile_flushing(&mut backend, &mut cache, &block);
            // SAFETY: as above; the block was just compiled into `cache`.
            unsafe { backend.enter(&cache, got.as_mut_ptr() as *mut u8, compiled.entry) };
            assert_eq!(got, want, "state differs:\n{block}");
            assert!(mem == want_mem, "memory differs:\n{block}");
        }
    }
}
