//! SSE/SSE2 conversions between integers, floats and doubles: cvtsi2ss/cvtsi2sd (32- and
//! 64-bit sources), cvt(t)ss2si/cvt(t)sd2si (32- and 64-bit results), cvtss2sd/cvtsd2ss, and the
//! packed cvtdq2ps/cvtdq2pd/cvt(t)ps2dq/cvt(t)pd2dq/cvtps2pd/cvtpd2ps, and their MMX forms
//! cvtpi2ps/cvtpi2pd/cvt(t)ps2pi/cvt(t)pd2pi.
//!
//! One helper, [`sse_cvt_helper`], does them all with the conversion as a parameter and writes
//! the destination (xmm or general register) itself, using [`crate::ir::fp`]: MXCSR
//! rounding (truncation for the cvtt* forms), "integer indefinite" (only the sign bit set) for
//! NaN and out-of-range sources, NaN payloads kept and quieted, exception flags. It returns
//! non-zero when a raised exception is unmasked (then the instruction traps with SIGFPE and
//! the destination is unchanged).

use super::mmx;
use super::sse_arith::trap_if_unmasked;
use super::sse_move::xmm_operand;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::fp::{self, Env, Round};
use crate::ir::{Helper, Width};
use iced_x86::{Instruction, Mnemonic, OpKind};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Cvt {
    /// Integer (of the source operand's width) to the low float / double.
    Si2ss,
    Si2sd,
    /// Low float / double to a general register, rounding per MXCSR or truncating.
    Ss2si,
    Tss2si,
    Sd2si,
    Tsd2si,
    Ss2sd,
    Sd2ss,
    Dq2ps,
    Dq2pd,
    Ps2dq,
    Tps2dq,
    Pd2dq,
    Tpd2dq,
    Ps2pd,
    Pd2ps,
    /// The MMX forms: two 32-bit integers in an MMX register (or m64) to floats / doubles,
    /// and two floats / doubles to two 32-bit integers in an MMX register.
    Pi2ps,
    Pi2pd,
    Ps2pi,
    Tps2pi,
    Pd2pi,
    Tpd2pi,
}

const ALL: [Cvt; 22] = [
    Cvt::Si2ss,
    Cvt::Si2sd,
    Cvt::Ss2si,
    Cvt::Tss2si,
    Cvt::Sd2si,
    Cvt::Tsd2si,
    Cvt::Ss2sd,
    Cvt::Sd2ss,
    Cvt::Dq2ps,
    Cvt::Dq2pd,
    Cvt::Ps2dq,
    Cvt::Tps2dq,
    Cvt::Pd2dq,
    Cvt::Tpd2dq,
    Cvt::Ps2pd,
    Cvt::Pd2ps,
    Cvt::Pi2ps,
    Cvt::Pi2pd,
    Cvt::Ps2pi,
    Cvt::Tps2pi,
    Cvt::Pd2pi,
    Cvt::Tpd2pi,
];

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    macro_rules! h {
        ($c:expr) => {
            |ctx, i| convert(ctx, i, $c)
        };
    }
    Some(match m {
        Mnemonic::Cvtsi2ss => h!(Cvt::Si2ss),
        Mnemonic::Cvtsi2sd => h!(Cvt::Si2sd),
        Mnemonic::Cvtss2si => h!(Cvt::Ss2si),
        Mnemonic::Cvttss2si => h!(Cvt::Tss2si),
        Mnemonic::Cvtsd2si => h!(Cvt::Sd2si),
        Mnemonic::Cvttsd2si => h!(Cvt::Tsd2si),
        Mnemonic::Cvtss2sd => h!(Cvt::Ss2sd),
        Mnemonic::Cvtsd2ss => h!(Cvt::Sd2ss),
        Mnemonic::Cvtdq2ps => h!(Cvt::Dq2ps),
        Mnemonic::Cvtdq2pd => h!(Cvt::Dq2pd),
        Mnemonic::Cvtps2dq => h!(Cvt::Ps2dq),
        Mnemonic::Cvttps2dq => h!(Cvt::Tps2dq),
        Mnemonic::Cvtpd2dq => h!(Cvt::Pd2dq),
        Mnemonic::Cvttpd2dq => h!(Cvt::Tpd2dq),
        Mnemonic::Cvtps2pd => h!(Cvt::Ps2pd),
        Mnemonic::Cvtpd2ps => h!(Cvt::Pd2ps),
        Mnemonic::Cvtpi2ps => h!(Cvt::Pi2ps),
        Mnemonic::Cvtpi2pd => h!(Cvt::Pi2pd),
        Mnemonic::Cvtps2pi => h!(Cvt::Ps2pi),
        Mnemonic::Cvttps2pi => h!(Cvt::Tps2pi),
        Mnemonic::Cvtpd2pi => h!(Cvt::Pd2pi),
        Mnemonic::Cvttpd2pi => h!(Cvt::Tpd2pi),
        _ => return None,
    })
}

/// Flag bit in the selector: the integer side is 64-bit (cvtsi2s* source or *2si result).
const WIDE: u64 = 1 << 8;

fn convert(ctx: &mut Ctx, insn: &Instruction, cvt: Cvt) -> Result<(), Unsupported> {
    use Cvt::*;
    let mut sel = cvt as u64;
    let (dst, lo, hi) = match cvt {
        Si2ss | Si2sd => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let src = ctx.operand(insn, 1)?;
            if src.width() == Width::W64 {
                sel |= WIDE;
            }
            let v = ctx.read(src);
            (d, v, ctx.constant(0))
        }
        Ss2si | Tss2si | Sd2si | Tsd2si => {
            let (index, width, _) = super::operand::gpr(insn.op_register(0)).ok_or(Unsupported)?;
            if width == Width::W64 {
                sel |= WIDE;
            }
            let w = if matches!(cvt, Ss2si | Tss2si) { Width::W32 } else { Width::W64 };
            let v = ctx.sse_read_low(insn, 1, w)?;
            (index, v, ctx.constant(0))
        }
        Ss2sd | Dq2pd | Ps2pd => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let w = if cvt == Ss2sd { Width::W32 } else { Width::W64 };
            let v = ctx.sse_read_low(insn, 1, w)?;
            (d, v, ctx.constant(0))
        }
        Sd2ss => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let v = ctx.sse_read_low(insn, 1, Width::W64)?;
            (d, v, ctx.constant(0))
        }
        Dq2ps | Ps2dq | Tps2dq | Pd2dq | Tpd2dq | Pd2ps => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            if insn.op_kind(1) != OpKind::Register && insn.op_kind(1) != OpKind::Memory {
                return Err(Unsupported);
            }
            let v = ctx.sse_read128(insn, 1, false)?;
            (d, v.lo, v.hi)
        }
        // An MMX register source makes the x87-to-MMX transition; an m64 source does not.
        Pi2ps | Pi2pd => {
            let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
            let v = match mmx::mm_operand(insn, 1) {
                Some(s) => {
                    mmx::enter(ctx);
                    mmx::get(ctx, s)
                }
                None => ctx.sse_read_low(insn, 1, Width::W64)?,
            };
            (d, v, ctx.constant(0))
        }
        Ps2pi | Tps2pi | Pd2pi | Tpd2pi => {
            let d = mmx::mm_operand(insn, 0).ok_or(Unsupported)?;
            let (lo, hi) = if matches!(cvt, Ps2pi | Tps2pi) {
                (ctx.sse_read_low(insn, 1, Width::W64)?, ctx.constant(0))
            } else {
                let v = ctx.sse_read128(insn, 1, false)?;
                (v.lo, v.hi)
            };
            mmx::enter(ctx);
            (d, lo, hi)
        }
    };
    let dst = ctx.constant(dst as u64);
    let sel = ctx.constant(sel);
    let status = ctx.call(SSE_CVT_HELPER, &[dst, lo, hi, sel]);
    trap_if_unmasked(ctx, status);
    Ok(())
}

const SSE_CVT_HELPER: Helper = Helper { name: "sse_cvt", func: sse_cvt_helper, touches_memory: false };

fn f32s(v: [u64; 2]) -> [f32; 4] {
    [v[0] as u32, (v[0] >> 32) as u32, v[1] as u32, (v[1] >> 32) as u32].map(f32::from_bits)
}

fn pack32(l: [u32; 4]) -> [u64; 2] {
    [l[0] as u64 | (l[1] as u64) << 32, l[2] as u64 | (l[3] as u64) << 32]
}

/// Performs conversion `sel & 0xff` (a [`Cvt`]) of `(lo, hi)` into xmm or GPR `dst`.
pub extern "C" fn sse_cvt_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    use Cvt::*;
    // SAFETY: translated code passes its live X86State; `dst` < 16 comes from the decoder.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&cvt) = ALL.get((sel & 0xff) as usize) else { return 0 };
    let wide = sel & WIDE != 0;
    let d = dst as usize & 15;
    let mut env = Env::new(st.mxcsr);
    let round = env.round;
    let int_bits = if wide { 64 } else { 32 };
    let src_int = if wide { lo as i64 } else { lo as u32 as i32 as i64 };
    let old = st.xmm[d];
    // The new xmm value, or a GPR value.
    enum Out {
        Xmm([u64; 2]),
        Gpr(u64),
        Mm(u64),
    }
    let out = match cvt {
        Si2ss => Out::Xmm([
            old[0] & !0xffff_ffff | fp::from_int::<f32>(src_int, &mut env).to_bits() as u64,
            old[1],
        ]),
        Si2sd => Out::Xmm([fp::from_int::<f64>(src_int, &mut env).to_bits(), old[1]]),
        Ss2si | Tss2si => {
            let r = if cvt == Tss2si { Round::Zero } else { round };
            Out::Gpr(fp::to_int(f32::from_bits(lo as u32), int_bits, r, &mut env))
        }
        Sd2si | Tsd2si => {
            let r = if cvt == Tsd2si { Round::Zero } else { round };
            Out::Gpr(fp::to_int(f64::from_bits(lo), int_bits, r, &mut env))
        }
        Ss2sd => Out::Xmm([fp::widen(f32::from_bits(lo as u32), &mut env).to_bits(), old[1]]),
        Sd2ss => Out::Xmm([
            old[0] & !0xffff_ffff | fp::narrow(f64::from_bits(lo), &mut env).to_bits() as u64,
            old[1],
        ]),
        Dq2ps => {
            let ints = [lo as u32, (lo >> 32) as u32, hi as u32, (hi >> 32) as u32];
            Out::Xmm(pack32(ints.map(|i| fp::from_int::<f32>(i as i32 as i64, &mut env).to_bits())))
        }
        Dq2pd => Out::Xmm(
            [lo as u32, (lo >> 32) as u32].map(|i| fp::from_int::<f64>(i as i32 as i64, &mut env).to_bits()),
        ),
        Ps2dq | Tps2dq => {
            let r = if cvt == Tps2dq { Round::Zero } else { round };
            Out::Xmm(pack32(f32s([lo, hi]).map(|x| fp::to_int(x, 32, r, &mut env) as u32)))
        }
        Pd2dq | Tpd2dq => {
            let r = if cvt == Tpd2dq { Round::Zero } else { round };
            let a = fp::to_int(f64::from_bits(lo), 32, r, &mut env);
            let b = fp::to_int(f64::from_bits(hi), 32, r, &mut env);
            Out::Xmm([a | b << 32, 0])
        }
        Ps2pd => {
            Out::Xmm([lo as u32, (lo >> 32) as u32].map(|x| fp::widen(f32::from_bits(x), &mut env).to_bits()))
        }
        Pd2ps => {
            let a = fp::narrow(f64::from_bits(lo), &mut env).to_bits() as u64;
            let b = fp::narrow(f64::from_bits(hi), &mut env).to_bits() as u64;
            Out::Xmm([a | b << 32, 0])
        }
        Pi2ps => {
            let f = [lo as u32, (lo >> 32) as u32]
                .map(|i| fp::from_int::<f32>(i as i32 as i64, &mut env).to_bits());
            Out::Xmm([f[0] as u64 | (f[1] as u64) << 32, old[1]])
        }
        Pi2pd => Out::Xmm(
            [lo as u32, (lo >> 32) as u32].map(|i| fp::from_int::<f64>(i as i32 as i64, &mut env).to_bits()),
        ),
        Ps2pi | Tps2pi => {
            let r = if cvt == Tps2pi { Round::Zero } else { round };
            let [a, b, _, _] = f32s([lo, 0]).map(|x| fp::to_int(x, 32, r, &mut env) & 0xffff_ffff);
            Out::Mm(a | b << 32)
        }
        Pd2pi | Tpd2pi => {
            let r = if cvt == Tpd2pi { Round::Zero } else { round };
            let a = fp::to_int(f64::from_bits(lo), 32, r, &mut env) & 0xffff_ffff;
            let b = fp::to_int(f64::from_bits(hi), 32, r, &mut env) & 0xffff_ffff;
            Out::Mm(a | b << 32)
        }
    };
    st.mxcsr |= env.flags;
    if env.unmasked(st.mxcsr) {
        return 1;
    }
    match out {
        Out::Xmm(v) => st.xmm[d] = v,
        Out::Gpr(v) => st.gpr[d] = v,
        // An MMX register: the low 64 bits of x87 register `d`, its exponent bits ones.
        Out::Mm(v) => st.fpr[d & 7] = [v, 0xffff],
    }
    0
}
