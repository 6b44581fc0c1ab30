//! AArch64 host backend (dynasmrt aarch64).

pub struct Aarch64Backend;
