//! crc32 (SSE4.2; the string compares are `sse42_string`, pcmpgtq is in `sse41_int`): accumulate CRC-32C (Castagnoli,
//! polynomial 0x1EDC6F41, bit-reflected as the SDM's BIT_REFLECT steps describe, no initial or
//! final inversion) over an 8/16/32/64-bit source into the low 32 bits of the destination.
//! The 64-bit destination form zeroes bits 63:32. No flags. The accumulation is the helper
//! both frontends share ([`crate::frontend::crc32`]).

use super::{Ctx, Handler, Unsupported};
use crate::frontend::crc32::CRC32C;
use crate::ir::Width;
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Crc32 => crc32,
        _ => return None,
    })
}

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
