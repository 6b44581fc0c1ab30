//! rdrand and rdseed (16, 32, 64-bit register destinations): a random value from the host
//! kernel's generator ([`crate::host::random`], getrandom(2)), which always succeeds: CF = 1,
//! OF SF ZF AF PF = 0. Both instructions take the same source: the kernel's generator is
//! seeded from its entropy pool, which is what software asking rdseed wants for seeding its
//! own generator. cpuid reports RDRAND (leaf 1 ECX) and RDSEED (leaf 7 EBX).

use super::flags::Flags;
use super::operand::Operand;
use super::{Ctx, Handler, Unsupported};
use crate::ir::Helper;
use iced_x86::{Instruction, Mnemonic};

pub fn lookup(m: Mnemonic) -> Option<Handler> {
    Some(match m {
        Mnemonic::Rdrand | Mnemonic::Rdseed => random,
        _ => return None,
    })
}

const RANDOM: Helper = Helper { name: "x86_rdrand", func: random_helper, touches_memory: false };

fn random(ctx: &mut Ctx, insn: &Instruction) -> Result<(), Unsupported> {
    let dst = ctx.operand(insn, 0)?;
    if !matches!(dst, Operand::Gpr { .. }) {
        return Err(Unsupported);
    }
    let v = ctx.call(RANDOM, &[]);
    ctx.write(dst, v)?;
    let zero = ctx.constant(0);
    let one = ctx.constant(1);
    let flags = Flags {
        cf: Some(one),
        of: Some(zero),
        sf: Some(zero),
        zf: Some(zero),
        af: Some(zero),
        pf: Some(zero),
    };
    ctx.set_flags(&flags);
    Ok(())
}

extern "C" fn random_helper(_: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    crate::host::random::random_u64()
}

#[cfg(test)]
mod tests {
    use super::super::state::reg;
    use super::super::testutil::run;
    use super::super::X86State;

    /// Random values in the destination at its width (a 16-bit one keeps the upper bits, a
    /// 32-bit one clears them), CF = 1 and the other status flags 0, every time.
    #[test]
    fn rdrand_and_rdseed_give_values_and_set_only_cf() {
        // rdrand ax; rdrand ecx; rdrand rdx; rdseed rbx; rdseed r8d
        let code = [
            0x66, 0x0f, 0xc7, 0xf0, 0x0f, 0xc7, 0xf1, 0x48, 0x0f, 0xc7, 0xf2, 0x48, 0x0f, 0xc7, 0xfb, 0x41,
            0x0f, 0xc7, 0xf8,
        ];
        let mut seen = Vec::new();
        for _ in 0..3 {
            let mut st = X86State { zf: 1, sf: 1, of: 1, pf: 1, af: 1, ..X86State::default() };
            st.gpr = [0xdead_beef_cafe_f00d; 16];
            run(&code, &mut st);
            assert_eq!(st.gpr[reg::RAX] >> 16, 0xdead_beef_cafe, "16-bit destination merges");
            assert_eq!(st.gpr[reg::RCX] >> 32, 0, "32-bit destination is zero-extended");
            assert_eq!(st.gpr[reg::R8] >> 32, 0);
            assert_eq!((st.cf, st.zf, st.sf, st.of, st.pf, st.af), (1, 0, 0, 0, 0, 0));
            seen.push((st.gpr[reg::RDX], st.gpr[reg::RBX]));
        }
        assert!(seen.windows(2).any(|w| w[0] != w[1]), "{seen:x?}");
    }
}
