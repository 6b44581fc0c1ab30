//! The syscall layer: guest syscalls in guest numbering and layouts -> host kernel.
