//! x86-64 host backend (dynasmrt x64).

pub struct X86_64Backend;
