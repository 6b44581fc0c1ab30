//! One-ulp tolerance for results the architecture defines only to within one unit in the last
//! place (the x87 transcendentals: SDM vol. 1, 8.3.10 "Transcendental Instruction Accuracy").
//! A case lists the scratch offsets of its 80-bit results in `Case::ulp_slots`; where the
//! translated result differs from the expected one by exactly one ulp (same sign, both
//! finite), it is taken as the expected value and C1 (which reports the rounding direction)
//! is not compared, in the status word the case stored to ax; nor is C1 where the results are
//! equal and only C1 differs (the hardware's approximation was on the other side of the
//! result). Everything else is compared
//! exactly. The counts say how many results matched bit-exactly and how many within one ulp.

use crate::case::{Case, Outcome};

/// x87 C1 in the status word (stored to ax by the cases).
const C1: u64 = 1 << 9;

/// Results compared: (bit-exact, within one ulp).
#[derive(Default, Clone, Copy)]
pub struct Counts {
    pub exact: usize,
    pub one_ulp: usize,
    /// Cases whose results were equal but C1 differed.
    pub c1_only: usize,
}

/// An 80-bit value's position among finite values of its sign (denormals, then normals), or
/// None for infinities, NaNs and unnormals.
fn ordinal(b: &[u8]) -> Option<(bool, u128)> {
    let mant = u64::from_le_bytes(b[..8].try_into().ok()?);
    let se = u16::from_le_bytes(b[8..10].try_into().ok()?);
    let exp = (se & 0x7fff) as u128;
    match exp {
        0x7fff => None,
        0 => Some((se >> 15 != 0, mant as u128)),
        _ if mant >> 63 == 0 => None,
        _ => Some((se >> 15 != 0, exp << 63 | (mant & !(1 << 63)) as u128)),
    }
}

fn image(init: &[u8], changes: &[(u32, u8)]) -> Vec<u8> {
    let mut m = init.to_vec();
    for &(o, v) in changes {
        m[o as usize] = v;
    }
    m
}

/// `got` with every listed result that is one ulp from the expected one replaced by it (and
/// then C1 of ax taken from the expected outcome); counts the results compared.
pub fn tolerate(case: &Case, init: &[u8], expected: &Outcome, got: Outcome, counts: &mut Counts) -> Outcome {
    let (Outcome::Done { state: es, mem: em }, Outcome::Done { state: mut gs, mem: gm }) =
        (expected, got.clone())
    else {
        return got;
    };
    if case.ulp_slots.is_empty() {
        return got;
    }
    let (ei, mut gi) = (image(init, em), image(init, &gm));
    let mut replaced = false;
    for &slot in &case.ulp_slots {
        let r = slot as usize..slot as usize + 10;
        if ei[r.clone()] == gi[r.clone()] {
            counts.exact += 1;
            continue;
        }
        if let (Some((es_, e)), Some((gs_, g))) = (ordinal(&ei[r.clone()]), ordinal(&gi[r.clone()])) {
            if es_ == gs_ && e.abs_diff(g) == 1 {
                gi[r.clone()].copy_from_slice(&ei[r]);
                counts.one_ulp += 1;
                replaced = true;
            }
        }
    }
    if !replaced {
        // Equal results, C1 on the other side: the hardware's approximation lay on the other
        // side of the representable result than the exact value.
        if gs.gpr[0] ^ es.gpr[0] == C1 && ei == gi {
            counts.c1_only += 1;
            gs.gpr[0] = es.gpr[0];
            return Outcome::Done { state: gs, mem: gm };
        }
        return got;
    }
    gs.gpr[0] = (gs.gpr[0] & !C1) | (es.gpr[0] & C1);
    // The expected list as it is when the images agree (a recording lists whole runs).
    let mem = if gi == ei {
        em.clone()
    } else {
        gi.iter()
            .zip(init)
            .enumerate()
            .filter(|(_, (g, i))| g != i)
            .map(|(o, (g, _))| (o as u32, *g))
            .collect()
    };
    Outcome::Done { state: gs, mem }
}

/// `got` with the ax bits of [`Case::vendor_ax_bits`] taken from `expected`: for checking a
/// recording made on one vendor's processor against a native run on the other's.
pub fn with_vendor_ax_bits(case: &Case, expected: &Outcome, got: Outcome) -> Outcome {
    match (expected, got) {
        (Outcome::Done { state: es, .. }, Outcome::Done { state: mut gs, mem })
            if case.vendor_ax_bits != 0 =>
        {
            let bits = case.vendor_ax_bits;
            gs.gpr[0] = (gs.gpr[0] & !bits) | (es.gpr[0] & bits);
            Outcome::Done { state: gs, mem }
        }
        (_, got) => got,
    }
}
