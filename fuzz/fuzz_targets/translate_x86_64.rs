//! The x86-64 frontend on arbitrary bytes, then the host backend: translating never panics,
//! the block passes the IR verifier before and after the optimiser, and the host backend
//! compiles it (the code is emitted, never run).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlate::frontend::x86_64::X86Frontend;

mod common;

fuzz_target!(|data: &[u8]| {
    common::translate_and_compile(&mut X86Frontend::new(), data);
});
