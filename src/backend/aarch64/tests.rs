//! The AArch64 backend against the IR interpreter (run under qemu-aarch64-static on x86-64
//! machines). The shared conformance suite lives in `crate::backend::conformance`.

#[test]
fn conformance() {
    crate::backend::conformance::run_all::<super::Aarch64Backend>();
}

#[test]
fn lane_ops_match_the_interpreter() {
    crate::backend::conformance::lane_ops_match_the_interpreter::<super::Aarch64Backend>();
}

/// Every floating-point compare and conversion on special operands under random MXCSR values.
#[test]
fn fp_compares_and_conversions_match_the_interpreter() {
    crate::backend::conformance::fp_compares_and_conversions_match_the_interpreter::<super::Aarch64Backend>();
}

/// Every fused multiply-add form on special and cancelling operands under random MXCSR and
/// FPCR values.
#[test]
fn fma_ops_match_the_interpreter() {
    crate::backend::conformance_fma::fma_ops_match_the_interpreter::<super::Aarch64Backend>();
}

#[test]
fn vector_ops_match_the_interpreter() {
    crate::backend::conformance_vector::vector_ops_match_the_interpreter::<super::Aarch64Backend>();
}

#[test]
fn page_crossing_stores_match_the_interpreter() {
    crate::backend::conformance_probe::page_crossing_stores_match_the_interpreter::<super::Aarch64Backend>();
}
