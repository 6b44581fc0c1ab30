//! Random numbers from the host kernel (getrandom(2)), for the guest's hardware random number
//! instructions (x86 rdrand/rdseed).

/// Eight random bytes from the kernel's generator. Retries when interrupted; blocks only
/// while the kernel's pool is not yet initialised (early boot), as getrandom(2) does.
pub fn random_u64() -> u64 {
    let mut v = 0u64;
    loop {
        // SAFETY: getrandom writes at most 8 bytes into the local `v`.
        let n = unsafe { libc::getrandom(&mut v as *mut u64 as *mut libc::c_void, 8, 0) };
        if n == 8 {
            return v;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn successive_values_differ() {
        // 2^-64 chance of a false failure per pair; three in a row is not a coincidence.
        let v: Vec<u64> = (0..4).map(|_| super::random_u64()).collect();
        assert!(v.windows(2).any(|w| w[0] != w[1]), "{v:x?}");
    }
}
