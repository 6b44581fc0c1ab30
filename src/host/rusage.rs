//! CPU time of this process (getrusage), for the `--report`'s run summary.

use std::time::Duration;

/// User and system CPU time this process has used so far (all its threads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    pub user: Duration,
    pub system: Duration,
}

/// The CPU time of this process (`getrusage(RUSAGE_SELF)`); zero if the call fails, which
/// with these arguments it does not.
pub fn cpu_time() -> CpuTime {
    // SAFETY: getrusage only writes the `rusage` struct we pass, which is a valid, zeroed
    // local of exactly the type it expects.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return CpuTime::default();
        }
        usage
    };
    let duration = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    CpuTime { user: duration(usage.ru_utime), system: duration(usage.ru_stime) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_time();
        let spent = |t: CpuTime| t.user + t.system;
        // Burn CPU until a 1 ms (or coarser, up to 10 ms) clock moves: a few hundred million
        // multiply-adds at most, far more than enough.
        let mut x = 0u64;
        for _ in 0..3000 {
            if spent(cpu_time()) > spent(before) {
                return;
            }
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        panic!("CPU time did not move after all that work ({x})");
    }
}
