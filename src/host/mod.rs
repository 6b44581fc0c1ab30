//! Host primitives: the few things xlate asks of the machine it runs on that are neither
//! guest nor translation logic, each a thin, `unsafe`-bounded wrapper with its contract
//! written down. The bottom layer: it imports nothing else of xlate.
//!
//! * [`atomic`]: the 128-bit compare-and-swap (inline assembly per host ISA);
//! * [`icache`]: making freshly written code visible to instruction fetch;
//! * [`syscall`]: issuing a raw system call, and fork(2) of xlate itself;
//! * [`auxv`]: how the kernel started this process (binfmt_misc's preserve-argv[0] flag);
//! * [`rusage`]: the CPU time this process has used;
//! * [`random`]: random bytes from the kernel (for the guest's rdrand/rdseed).

pub mod atomic;
pub mod auxv;
pub mod icache;
pub mod random;
pub mod rusage;
pub mod syscall;
