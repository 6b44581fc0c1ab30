//! xlate: a dynamic binary translator for Linux user programs, x86-64 <-> AArch64.
//!
//! ```text
//!  ELF file ──> loader ──> guest memory + initial stack
//!                              │
//!        guest PC ──> runtime (dispatcher) ──> cache::BlockMap hit? ──yes──> run host code
//!                              │ no                                            │
//!                              v                                               │ block exit
//!              frontend::{x86_64,aarch64}  (guest bytes -> ir::Block)          │
//!                              v                                               v
//!              ir::opt (dead flags, state forwarding)         syscall (guest ABI -> host)
//!                              v
//!              backend::{x86_64,aarch64}   (ir::Block -> host code in cache::CodeCache)
//! ```
//!
//! Modules are listed in pipeline order; docs/ARCHITECTURE.md explains each one.

pub mod backend;
pub mod cache;
pub mod frontend;
pub mod ir;
pub mod loader;
pub mod runtime;
pub mod syscall;
