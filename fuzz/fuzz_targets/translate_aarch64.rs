//! The A64 frontend on arbitrary instruction words, then the host backend: translating never
//! panics, the block passes the IR verifier before and after the optimiser, and the host
//! backend compiles it (the code is emitted, never run).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlate::frontend::aarch64::A64Frontend;

mod common;

fuzz_target!(|data: &[u8]| {
    common::translate_and_compile(&mut A64Frontend::new(), data);
});
