//! crc32 (SSE4.2; the string compares are `sse42_string`, pcmpgtq is in `sse41_int`): accumulate CRC-32C (Castagnoli,
//! polynomial 0x1EDC6F41, bit-reflected as the SDM's BIT_REFLECT steps describe, no initial or
//! final inversion) over an 8/16/32/64-bit source into the low 32 bits of the destination.
//! The 64-bit destination form zeroes bits 63:32. No flags.
//!
//! A byte-at-a-time table walk in a helper: as IR it would be eight shift-and-xor steps per
//! source bit.

use super::{Ctx, Handler, Unsupported};
use crate::ir::{Helper, Width};
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Crc32 => crc32,
        _ => return None,
    })
}

const CRC32C: Helper = Helper { name: "x86_crc32c", func: crc32c_helper, touches_memory: false };

fn crc32(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    let src = ctx.operand(insn, 1)?;
    // The helper reads the low 32 bits of the accumulator.
    let crc = ctx.read(dst);
    let data = ctx.read(src);
    let bytes = ctx.constant(src.width().bytes() as u64);
    let r = ctx.call(CRC32C, &[crc, data, bytes]);
    // A 32-bit result: written as 64 bits so that the 64-bit form's upper half is zero too.
    let r = ctx.ext(r, Width::W32, false);
    ctx.write(dst, r)
}

/// The reflected CRC-32C polynomial.
const POLY: u32 = 0x82f6_3b78;

/// The CRC of each byte value (one table step per byte).
const TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { c >> 1 ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// `crc` accumulated over the low `bytes` bytes of `data`, lowest byte first.
pub fn crc32c(mut crc: u32, data: u64, bytes: u32) -> u32 {
    for k in 0..bytes {
        let byte = (data >> (8 * k)) as u8;
        crc = crc >> 8 ^ TABLE[(crc as u8 ^ byte) as usize];
    }
    crc
}

extern "C" fn crc32c_helper(_: *mut u8, crc: u64, data: u64, bytes: u64, _: u64) -> u64 {
    crc32c(crc as u32, data, bytes as u32) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The CRC-32C catalogue's check: "123456789" with initial and final inversion.
        let crc = b"123456789".iter().fold(!0u32, |c, &b| crc32c(c, b as u64, 1));
        assert_eq!(!crc, 0xe306_9283);
        // A wide step is the same as its bytes in order.
        let v = 0x0123_4567_89ab_cdefu64;
        let bytewise = v.to_le_bytes().iter().fold(0x5555_aaaa, |c, &b| crc32c(c, b as u64, 1));
        assert_eq!(crc32c(0x5555_aaaa, v, 8), bytewise);
    }
}
