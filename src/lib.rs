//! xlate: a dynamic binary translator for Linux user programs, x86-64 <-> AArch64.
//!
//! ```text
//!  ELF file ──> loader ──> guest memory + initial stack
//!                              │
//!        guest PC ──> runtime (dispatcher) ──> cache::BlockMap hit? ──yes──> run host code
//!                              │ no                                            │
//!                              v                                               │ block exit
//!              frontend::{x86_64,aarch64}  (guest bytes -> ir::Block)          │ (ir::protocol)
//!                              v                                               v
//!              ir::opt (dead flags, state forwarding)         syscall (guest ABI -> host)
//!                              v
//!              backend::{x86_64,aarch64}   (ir::Block -> host code in cache::CodeCache)
//! ```
//!
//! Modules are listed in layer order, bottom first: each may import only from the layers
//! below it. `frontend`, `backend` and `syscall` are one layer of peers that import nothing of
//! each other. docs/ARCHITECTURE.md explains each layer and holds the table of layers that
//! tests/layers.rs checks every `use` against.

// Each group is one layer (rustfmt keeps the groups in this order).
pub mod host;

pub mod ir;

pub mod memory;

pub mod cache;

pub mod backend;
pub mod frontend;
pub mod syscall;

pub mod guest;

pub mod loader;

pub mod runtime;
