//! What the translation targets share: one frontend pass over the input at a fixed guest
//! address, the IR verifier as the oracle, and one compile with the host backend into a code
//! cache kept for the whole fuzzing run.

use std::cell::RefCell;
use xlate::backend::{Backend, CompileError, HostBackend};
use xlate::cache::CodeCache;
use xlate::frontend::{Frontend, SliceCode};
use xlate::ir::{self, GuestAddr};

/// Where the input bytes sit in the (pretend) guest address space.
const BASE: u64 = 0x40_0000;

thread_local! {
    static HOST: RefCell<Option<(CodeCache, HostBackend)>> = const { RefCell::new(None) };
}

pub fn translate_and_compile(frontend: &mut dyn Frontend, data: &[u8]) {
    let code = SliceCode { base: GuestAddr(BASE), bytes: data };
    let mut block = frontend.translate(&code, GuestAddr(BASE));
    if let Err(e) = ir::verify(&block) {
        panic!("frontend produced invalid IR: {e}\n{block}");
    }
    assert!(block.guest_len as usize <= data.len().max(16), "block longer than its bytes");
    ir::opt::optimize(&mut block);
    if let Err(e) = ir::verify(&block) {
        panic!("optimiser produced invalid IR: {e}\n{block}");
    }
    HOST.with(|host| {
        let mut host = host.borrow_mut();
        let (cache, backend) = host.get_or_insert_with(|| {
            let mut cache = CodeCache::new(64 << 20).expect("code cache");
            let backend = HostBackend::new(&mut cache).expect("backend");
            (cache, backend)
        });
        match backend.compile(&block, cache) {
            Ok(_) => {}
            Err(CompileError::CacheFull) => {
                cache.flush();
                backend.reset(cache).expect("backend reset");
                backend.compile(&block, cache).expect("a block fits an empty cache");
            }
        }
    });
}
