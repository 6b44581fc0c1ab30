//! SSE reciprocal estimates: rcpps/rcpss (`≈ 1/x`) and rsqrtps/rsqrtss (`≈ 1/sqrt(x)`), and
//! through the VEX lowering vrcpps/vrcpss/vrsqrtps/vrsqrtss.
//!
//! The SDM defines only a bound (relative error at most 1.5 * 2^-12) and the special cases;
//! Intel's and AMD's tables give different bits, so no processor is the oracle. xlate computes
//! one exact function, the same on every host, in IR:
//! - rcp(x) = `trunc12(RZ(1 / x))` and rsqrt(x) = `trunc12(RZ(1 / RZ(sqrt(x))))`, single
//!   precision, each step rounded toward zero with denormal operands read as zero and tiny
//!   results flushed to zero (MXCSR 0xff80 | RZ, whatever the guest's MXCSR says), then the
//!   fraction truncated to its top 12 bits (`trunc12`; NaN results keep their bits). The
//!   relative error is below 2^-12 (rcp) and 2^-12 + 2^-22 (rsqrt): within the bound;
//! - so the special cases are the SDM's: ±0 and ±denormal give ±inf, ±inf gives ±0, a NaN
//!   gives that NaN made quiet, rcp of |x| > 2^126 gives ±0 (its result is tiny), rsqrt of a negative number or
//!   -inf the default NaN (-0 and negative denormals: -inf);
//! - no exception is raised and MXCSR is not written.
//!
//! The scalar forms keep the destination's bits 127:32; the packed ones need aligned memory.

use super::sse_arith::{source, Shape};
use super::sse_move::xmm_operand;
use super::state::off;
use super::{Ctx, Handler, Unsupported};
use crate::ir::{BinOp, CmpOp, FpOp, FpPrec, FpResult, FpRule, StateOffset, Temp, Width};
use iced_x86::{Instruction, Mnemonic};

/// The MXCSR the estimates are computed under: every exception masked, DAZ, FTZ, round
/// toward zero.
const ESTIMATE_MXCSR: u64 = 0x1f80 | 1 << 6 | 1 << 15 | 3 << 13;

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Rcpps => |c, i| estimate(c, i, false, Shape::Ps),
        Mnemonic::Rcpss => |c, i| estimate(c, i, false, Shape::Ss),
        Mnemonic::Rsqrtps => |c, i| estimate(c, i, true, Shape::Ps),
        Mnemonic::Rsqrtss => |c, i| estimate(c, i, true, Shape::Ss),
        _ => return None,
    })
}

/// The estimate of one single-precision lane (`x` in the low 32 bits).
fn lane(ctx: &mut Ctx, x: Temp, rsqrt: bool) -> Temp {
    let ctrl = ctx.constant(ESTIMATE_MXCSR);
    let one = ctx.constant(1f32.to_bits() as u64);
    let rule = FpRule::X86Sse;
    let d = if rsqrt { ctx.fp(FpOp::Sqrt, FpPrec::F32, rule, FpResult::Value, x, x, ctrl) } else { x };
    let r = ctx.fp(FpOp::Div, FpPrec::F32, rule, FpResult::Value, one, d, ctrl);
    // trunc12, but for NaNs (magnitude above the infinity's bits).
    let truncated = ctx.bin_imm(BinOp::And, r, 0xffff_f800, Width::W32);
    let magnitude = ctx.bin_imm(BinOp::And, r, 0x7fff_ffff, Width::W32);
    let nan = ctx.cmp_imm(CmpOp::Ugt, magnitude, 0x7f80_0000, Width::W32);
    ctx.select(nan, r, truncated)
}

fn estimate(ctx: &mut Ctx, insn: &Instruction, rsqrt: bool, shape: Shape) -> Result<(), Unsupported> {
    let d = xmm_operand(insn, 0).ok_or(Unsupported)?;
    let (lo, hi) = source(ctx, insn, 1, shape)?;
    let lanes = if shape == Shape::Ss { 1 } else { 4 };
    for k in 0..lanes {
        let half = if k < 2 { lo } else { hi };
        let x = if k % 2 == 1 { ctx.bin_imm(BinOp::Lshr, half, 32, Width::W64) } else { half };
        let r = lane(ctx, x, rsqrt);
        ctx.store_state(StateOffset(off::xmm(d).0 + 4 * k), r, Width::W32);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil;
    use super::super::X86State;

    /// Runs `rcpps xmm0, xmm1` (or rsqrtps) on four lanes under `mxcsr`.
    fn run(rsqrt: bool, lanes: [u32; 4], mxcsr: u32) -> ([u32; 4], u32) {
        let code: &[u8] = if rsqrt { &[0x0f, 0x52, 0xc1] } else { &[0x0f, 0x53, 0xc1] };
        let mut st = X86State { mxcsr, ..Default::default() };
        st.xmm[1] = [lanes[0] as u64 | (lanes[1] as u64) << 32, lanes[2] as u64 | (lanes[3] as u64) << 32];
        testutil::run(code, &mut st);
        let x = st.xmm[0];
        ([x[0] as u32, (x[0] >> 32) as u32, x[1] as u32, (x[1] >> 32) as u32], st.mxcsr)
    }

    fn one(rsqrt: bool, x: u32) -> u32 {
        run(rsqrt, [x, 0, 0, 0], 0x1f80).0[0]
    }

    #[test]
    fn estimates_are_within_the_sdm_bound() {
        // Every exponent of normal inputs, with varied fractions.
        let mut worst = [0f64; 2];
        for e in 1u32..254 {
            for f in [0u32, 1, 0x12_3456, 0x40_0000, 0x55_5555, 0x7f_ffff, 0x3a_bcde] {
                let x = e << 23 | f;
                let v = f32::from_bits(x) as f64;
                for (i, rsqrt) in [false, true].into_iter().enumerate() {
                    let exact = if rsqrt { 1.0 / v.sqrt() } else { 1.0 / v };
                    if !rsqrt && exact < f32::MIN_POSITIVE as f64 {
                        assert_eq!(one(false, x), 0, "rcp {v:e} flushes to 0");
                        continue;
                    }
                    let r = f32::from_bits(one(rsqrt, x)) as f64;
                    let err = ((r - exact) / exact).abs();
                    worst[i] = worst[i].max(err);
                    assert!(err <= 1.5 * 2f64.powi(-12), "{rsqrt} {v:e}: {r:e} vs {exact:e}");
                }
            }
        }
        // Both stay below 2^-12 (the truncation), so the bound holds with room.
        assert!(worst[0] < 2f64.powi(-12) && worst[1] < 2f64.powi(-12) + 2f64.powi(-22), "{worst:?}");
        // Negative inputs: the same magnitude, negated (rcp).
        assert_eq!(one(false, 0xc000_0000), one(false, 0x4000_0000) | 0x8000_0000);
    }

    #[test]
    fn special_cases_are_the_sdm_ones_and_raise_nothing() {
        const INF: u32 = 0x7f80_0000;
        const DEFAULT_NAN: u32 = 0xffc0_0000;
        let rcp = [(0, INF), (0x8000_0000, 0xff80_0000), (INF, 0), (0xff80_0000, 0x8000_0000)];
        let rcp_more =
            [(1, INF), (0x8000_0001, 0xff80_0000), (0x7fa0_0001, 0x7fe0_0001), (0xffc0_0123, 0xffc0_0123)];
        for (x, want) in rcp.into_iter().chain(rcp_more) {
            assert_eq!(one(false, x), want, "rcp {x:#x}");
        }
        let rsqrt = [
            (0, INF),
            (0x8000_0000, 0xff80_0000),
            (1, INF),
            (0x8000_0001, 0xff80_0000),
            (INF, 0),
            (0xff80_0000, DEFAULT_NAN),
            (0xbf80_0000, DEFAULT_NAN),
            (0x7fa0_0001, 0x7fe0_0001),
            (0x3e80_0000, 0x4000_0000),
        ];
        for (x, want) in rsqrt {
            assert_eq!(one(true, x), want, "rsqrt {x:#x}");
        }
        // Exact cases: powers of 4.
        assert_eq!(one(false, 0x4080_0000), 0x3e80_0000);
        // No flag, whatever the masks and rounding mode say.
        for mxcsr in [0x1f80, 0x0000, 0x7f80] {
            let (_, after) = run(true, [0x8000_0001, 0xff80_0000, 0x7fa0_0001, 3], mxcsr);
            assert_eq!(after, mxcsr);
            let (v, after) = run(false, [0x4040_0000, 0, 0x7fa0_0001, 0x7f7f_ffff], mxcsr);
            assert_eq!(after, mxcsr);
            assert_eq!(v, run(false, [0x4040_0000, 0, 0x7fa0_0001, 0x7f7f_ffff], 0x1f80).0);
        }
    }

    fn encode(i: iced_x86::Instruction) -> Vec<u8> {
        let mut e = iced_x86::Encoder::new(64);
        e.encode(&i, testutil::BASE).expect("encodes");
        e.take_buffer()
    }

    #[test]
    fn vex_forms_are_the_legacy_estimate_per_lane() {
        use iced_x86::{Code, Instruction, Register};
        let lanes = [0x4040_0000u32, 0x3e80_0000, 0x7f7f_ffff, 0x0000_0001];
        let legacy = run(false, lanes, 0x1f80).0;
        let words = |l: [u32; 4]| [l[0] as u64 | (l[1] as u64) << 32, l[2] as u64 | (l[3] as u64) << 32];
        // vrcpps ymm0, ymm1: both halves.
        let mut st = X86State::default();
        st.xmm[1] = words(lanes);
        st.ymm_hi[1] = words(lanes);
        let i = Instruction::with2(Code::VEX_Vrcpps_ymm_ymmm256, Register::YMM0, Register::YMM1).unwrap();
        testutil::run(&encode(i), &mut st);
        assert_eq!((st.xmm[0], st.ymm_hi[0]), (words(legacy), words(legacy)));
        // vrsqrtss xmm0, xmm2, xmm1: lanes 1-3 from xmm2, the upper ymm half zeroed.
        let mut st = X86State::default();
        st.xmm[1] = [0x3e80_0000, 0];
        st.xmm[2] = [0x7777_7777_0000_0000, 0x9999];
        st.ymm_hi[0] = [1, 2];
        let i = Instruction::with3(
            Code::VEX_Vrsqrtss_xmm_xmm_xmmm32,
            Register::XMM0,
            Register::XMM2,
            Register::XMM1,
        )
        .unwrap();
        testutil::run(&encode(i), &mut st);
        assert_eq!((st.xmm[0], st.ymm_hi[0]), ([0x7777_7777_4000_0000, 0x9999], [0, 0]));
    }

    #[test]
    fn scalar_forms_keep_the_upper_lanes() {
        // rcpss xmm0, xmm1: lanes 1-3 of xmm0 stay.
        let mut st = X86State::default();
        st.xmm[0] = [0x1111_2222_0000_0000, 0x3333_4444_5555_6666];
        st.xmm[1] = [0x4000_0000, 0];
        testutil::run(&[0xf3, 0x0f, 0x53, 0xc1], &mut st);
        assert_eq!(st.xmm[0], [0x1111_2222_3f00_0000, 0x3333_4444_5555_6666]);
    }
}
