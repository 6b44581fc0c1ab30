//! The CRC-32 accumulation both guests have as an instruction, in one place: x86 SSE4.2
//! `crc32` (CRC-32C only) and A64 CRC32B/H/W/X (CRC-32, the ISO-HDLC/zlib polynomial
//! 0x04C11DB7) and CRC32CB/H/W/X (CRC-32C, Castagnoli, 0x1EDC6F41). All are bit-reflected
//! as the SDM's BIT_REFLECT steps and the ARM ARM's BitReverse describe, with no initial or
//! final inversion, over the low 1, 2, 4 or 8 bytes of the data, lowest byte first, into a
//! 32-bit accumulator.
//!
//! A byte-at-a-time table walk in a helper: as IR it would be eight shift-and-xor steps per
//! source bit.

use crate::ir::Helper;

/// The helper `(crc, data, bytes) -> crc` for CRC-32C.
pub const CRC32C: Helper = Helper { name: "crc32c", func: crc32c_helper, touches_memory: false };
/// The helper `(crc, data, bytes) -> crc` for CRC-32 (ISO-HDLC).
pub const CRC32: Helper = Helper { name: "crc32", func: crc32_helper, touches_memory: false };

/// The reflected CRC-32C polynomial.
const POLY_C: u32 = 0x82f6_3b78;
/// The reflected CRC-32 polynomial.
const POLY: u32 = 0xedb8_8320;

/// The CRC of each byte value (one table step per byte) for the reflected polynomial `poly`.
const fn table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { c >> 1 ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const TABLE_C: [u32; 256] = table(POLY_C);
const TABLE: [u32; 256] = table(POLY);

fn accumulate(table: &[u32; 256], mut crc: u32, data: u64, bytes: u32) -> u32 {
    for k in 0..bytes {
        let byte = (data >> (8 * k)) as u8;
        crc = crc >> 8 ^ table[(crc as u8 ^ byte) as usize];
    }
    crc
}

/// `crc` accumulated with CRC-32C over the low `bytes` bytes of `data`, lowest byte first.
pub fn crc32c(crc: u32, data: u64, bytes: u32) -> u32 {
    accumulate(&TABLE_C, crc, data, bytes)
}

/// `crc` accumulated with CRC-32 over the low `bytes` bytes of `data`, lowest byte first.
pub fn crc32(crc: u32, data: u64, bytes: u32) -> u32 {
    accumulate(&TABLE, crc, data, bytes)
}

extern "C" fn crc32c_helper(_: *mut u8, crc: u64, data: u64, bytes: u64, _: u64) -> u64 {
    crc32c(crc as u32, data, bytes as u32) as u64
}

extern "C" fn crc32_helper(_: *mut u8, crc: u64, data: u64, bytes: u64, _: u64) -> u64 {
    crc32(crc as u32, data, bytes as u32) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The CRC catalogue's checks: "123456789" with initial and final inversion.
        let c = b"123456789".iter().fold(!0u32, |c, &b| crc32c(c, b as u64, 1));
        assert_eq!(!c, 0xe306_9283);
        let c = b"123456789".iter().fold(!0u32, |c, &b| crc32(c, b as u64, 1));
        assert_eq!(!c, 0xcbf4_3926);
        // A wide step is the same as its bytes in order.
        let v = 0x0123_4567_89ab_cdefu64;
        for f in [crc32c, crc32] {
            let bytewise = v.to_le_bytes().iter().fold(0x5555_aaaa, |c, &b| f(c, b as u64, 1));
            assert_eq!(f(0x5555_aaaa, v, 8), bytewise);
        }
    }
}
