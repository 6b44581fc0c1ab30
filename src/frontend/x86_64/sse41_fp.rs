//! SSE4.1 floating point: roundps/pd/ss/sd and dpps/dppd, through one helper,
//! [`sse41_fp_helper`], on the x86 rules of the shared engine ([`crate::ir::fp`]): no IR op
//! rounds to an integral value or chains a dot product yet.
//!
//! - round: the immediate's rounding control (imm[1:0]) unless imm[2] selects MXCSR.RC;
//!   imm[3] suppresses the precision exception. A signalling NaN gives its quiet NaN and IE,
//!   a quiet NaN itself; DAZ reads denormals as zero and DE is never raised (SDM ROUNDPS).
//! - dpps/dppd: the products of the lanes imm[7:4] selects (the others +0.0), summed in
//!   pairs as the SDM's pseudo-code does ((0 + 1) + (2 + 3) for dpps), each step rounded in
//!   MXCSR's mode with its flags; the sum goes to the lanes imm[3:0] selects, +0.0 to the rest.
//!
//! An unmasked exception leaves with SIGFPE (#XM) before the register is written.

use super::sse_arith::trap_if_unmasked;
use super::sse_int::dst_xmm;
use super::{Ctx, Handler, Unsupported};
use crate::frontend::x86_64::X86State;
use crate::ir::fp::{self, Env, Fp, Round};
use crate::ir::{FpOp, Helper, Width};
use iced_x86::{Instruction, Mnemonic};

/// What the helper computes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Kind {
    Roundps,
    Roundpd,
    Roundss,
    Roundsd,
    Dpps,
    Dppd,
}

const KINDS: [Kind; 6] = [Kind::Roundps, Kind::Roundpd, Kind::Roundss, Kind::Roundsd, Kind::Dpps, Kind::Dppd];

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Roundps => |c, i| op(c, i, Kind::Roundps),
        Mnemonic::Roundpd => |c, i| op(c, i, Kind::Roundpd),
        Mnemonic::Roundss => |c, i| op(c, i, Kind::Roundss),
        Mnemonic::Roundsd => |c, i| op(c, i, Kind::Roundsd),
        Mnemonic::Dpps => |c, i| op(c, i, Kind::Dpps),
        Mnemonic::Dppd => |c, i| op(c, i, Kind::Dppd),
        _ => return None,
    })
}

const SSE41_FP_HELPER: Helper = Helper { name: "sse41_fp", func: sse41_fp_helper, touches_memory: false };

fn op(ctx: &mut Ctx, insn: &Instruction, kind: Kind) -> Result<(), Unsupported> {
    let d = dst_xmm(insn)?;
    let (lo, hi) = match kind {
        Kind::Roundss => (ctx.sse_read_low(insn, 1, Width::W32)?, ctx.constant(0)),
        Kind::Roundsd => (ctx.sse_read_low(insn, 1, Width::W64)?, ctx.constant(0)),
        _ => {
            let v = ctx.sse_read128(insn, 1, false)?;
            (v.lo, v.hi)
        }
    };
    let dst = ctx.constant(d as u64);
    let sel = ctx.constant(kind as u64 | (insn.immediate(2) & 0xff) << 8);
    let status = ctx.call(SSE41_FP_HELPER, &[dst, lo, hi, sel]);
    trap_if_unmasked(ctx, status);
    Ok(())
}

/// `x` rounded to an integral value (see the module docs).
fn round<F: Fp>(x: F, imm: u8, env: &mut Env) -> F {
    if x.is_nan() {
        if x.is_snan() {
            env.flags |= fp::IE;
        }
        return F::from_u64(x.to_u64() | F::quiet_bit());
    }
    let x = if env.daz && x.is_denormal() { F::from_u64(x.to_u64() & F::sign_bit()) } else { x };
    let mode = if imm & 4 != 0 {
        env.round
    } else {
        [Round::Nearest, Round::Down, Round::Up, Round::Zero][imm as usize & 3]
    };
    let r = x.round_int(mode);
    if imm & 8 == 0 && r.to_u64() != x.to_u64() {
        env.flags |= fp::PE;
    }
    r
}

/// The lanes of a 128-bit value as `F`.
fn lanes<F: Fp>(v: u128) -> Vec<F> {
    let bits = F::BITS;
    (0..128 / bits).map(|i| F::from_u64((v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits)))).collect()
}

fn join<F: Fp>(lanes: &[F]) -> u128 {
    let bits = F::BITS;
    lanes.iter().enumerate().fold(0u128, |acc, (i, x)| acc | (x.to_u64() as u128) << (i as u32 * bits))
}

/// The dot product of the lanes of `a` and `b` (see the module docs).
fn dot<F: Fp>(a: &[F], b: &[F], imm: u8, env: &mut Env) -> Vec<F> {
    let n = a.len();
    let products: Vec<F> = (0..n)
        .map(|i| if imm >> (4 + i) & 1 != 0 { fp::arith(FpOp::Mul, a[i], b[i], env) } else { F::ZERO })
        .collect();
    let sum = if n == 4 {
        let x = fp::arith(FpOp::Add, products[0], products[1], env);
        let y = fp::arith(FpOp::Add, products[2], products[3], env);
        fp::arith(FpOp::Add, x, y, env)
    } else {
        fp::arith(FpOp::Add, products[0], products[1], env)
    };
    (0..n).map(|i| if imm >> i & 1 != 0 { sum } else { F::ZERO }).collect()
}

fn compute<F: Fp>(kind: Kind, a: u128, b: u128, imm: u8, env: &mut Env) -> u128 {
    let (a, b) = (lanes::<F>(a), lanes::<F>(b));
    let r = match kind {
        Kind::Roundps | Kind::Roundpd => b.iter().map(|&x| round(x, imm, env)).collect(),
        Kind::Roundss | Kind::Roundsd => {
            let mut r = a.clone();
            r[0] = round(b[0], imm, env);
            r
        }
        Kind::Dpps | Kind::Dppd => dot(&a, &b, imm, env),
    };
    join(&r)
}

/// `xmm[dst] = kind(xmm[dst], (lo, hi), imm)` for `sel = kind | imm << 8`; raises the
/// MXCSR flags. Returns 1 (and leaves the register alone) if a raised exception is unmasked.
pub extern "C" fn sse41_fp_helper(state: *mut u8, dst: u64, lo: u64, hi: u64, sel: u64) -> u64 {
    // SAFETY: translated code passes its live X86State; `dst` is a vector slot number.
    let st = unsafe { &mut *(state as *mut X86State) };
    let Some(&kind) = KINDS.get((sel & 0xff) as usize) else { return 0 };
    let imm = (sel >> 8) as u8;
    let mut env = Env::new(st.mxcsr);
    let d = *st.vector_slot(dst);
    let a = d[0] as u128 | (d[1] as u128) << 64;
    let b = lo as u128 | (hi as u128) << 64;
    let r = match kind {
        Kind::Roundps | Kind::Roundss | Kind::Dpps => compute::<f32>(kind, a, b, imm, &mut env),
        _ => compute::<f64>(kind, a, b, imm, &mut env),
    };
    st.mxcsr |= env.flags;
    if env.unmasked(st.mxcsr) {
        return 1;
    }
    *st.vector_slot(dst) = [r as u64, (r >> 64) as u64];
    0
}
