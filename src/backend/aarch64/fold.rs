//! Ops emitted inside their only reader, where one A64 instruction does both: a shift that
//! feeds an add, sub, and, orr or eor (the shifted-register operand), an address
//! `base + constant` or `base + (index << scale)` of a load or store (the immediate-offset and
//! register-offset forms), and the population count whose bit 0 is all that is read (x86's
//! parity flag: an eor fold instead of NEON `cnt`).
//!
//! [`plan`] picks them before register allocation: a folded temporary gets no location, and
//! what its op reads lives on to where the reader is emitted ([`extend_lifetimes`]).

use super::abi::*;
use super::{imm, Emitter};
use crate::ir::scratch::{self, pooled, Lent};
use crate::ir::{BinOp, Block, MemOrder, Op, Temp, UnOp, Width};
use dynasmrt::{dynasm, DynasmApi};

/// Where a load or store goes.
pub(super) enum Address {
    /// `[base, #offset]`.
    Offset(u8, u32),
    /// `[base, index, lsl #shift]`.
    Indexed(u8, u8, u32),
}

pooled!(FOLDED: Option<Folded>);

/// How the op defining a temporary is emitted inside its only reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Folded {
    /// `popcnt.width x`, read only by an `and` with 1: the reader computes the parity.
    Parity { x: Temp, width: Width },
    /// `y <op> amount` (a shift or rotation by a constant, 64-bit or 32-bit as the reader),
    /// read as the shifted-register operand of an add, sub, and, orr or eor.
    Shifted { y: Temp, op: BinOp, amount: u32, w64: bool },
    /// `not y` (64-bit or 32-bit as the reader), read by an and, orr or eor: `bic`, `orn`,
    /// `eon`.
    Inverted { y: Temp, w64: bool },
    /// `add.w64 base, off`, the address of a load or store: `[base, #off]`.
    Offset { base: Temp, off: u32 },
    /// `add.w64 base, index << shift` (or `base + index`), the address of a load or store:
    /// `[base, index, lsl #shift]` (the `shl` is folded too, as a [`Folded::Shifted`] that
    /// nothing else reads).
    Indexed { base: Temp, index: Temp, shift: u32 },
}

/// For each temporary, how its op is folded into its reader (`None`: emitted on its own).
/// `uses` counts every reader; `imms` are the constants without a location; `only` the
/// fault-only temporaries.
pub(super) fn plan(block: &Block, uses: &[u32], imms: &[Option<u64>], only: &[bool]) -> Lent<Option<Folded>> {
    let n = block.temps as usize;
    // Tables lent from the thread's pools (this runs once per block translated): the op
    // defining each temporary, by index.
    let mut defs = scratch::filled(n, usize::MAX);
    for (i, op) in block.ops.iter().enumerate() {
        if let Some(d) = op.dst() {
            defs[d.0 as usize] = i;
        }
    }
    let def = |t: usize| block.ops.get(defs[t]);
    let mut folded = scratch::filled(n, None);
    // A temporary read once, by the op being looked at, computed by a `Bin` or `Un`.
    let single = |t: Temp| uses[t.0 as usize] == 1 && !only[t.0 as usize] && imms[t.0 as usize].is_none();
    let imm = |t: Temp| imms[t.0 as usize];
    for op in &block.ops {
        if op.dst().is_some_and(|d| only[d.0 as usize]) {
            continue;
        }
        match *op {
            Op::Load { addr, width, order, .. } | Op::Store { addr, width, order, .. }
                if order != MemOrder::SeqCst && single(addr) =>
            {
                let Some(&Op::Bin { op: BinOp::Add, a, b, width: Width::W64, .. }) = def(addr.0 as usize)
                else {
                    continue;
                };
                let size = u64::from(width.bytes());
                let scale = width.bytes().trailing_zeros();
                match (imm(a), imm(b)) {
                    (None, Some(off)) | (Some(off), None) => {
                        let base = if imm(a).is_none() { a } else { b };
                        if off % size == 0 && off / size < 4096 {
                            folded[addr.0 as usize] = Some(Folded::Offset { base, off: off as u32 });
                        }
                    }
                    (None, None) => {
                        // `base + (index << scale)`, the shift on either side, or `base + index`.
                        let scaled = |t: Temp| match def(t.0 as usize) {
                            Some(&Op::Bin { op: BinOp::Shl, a: index, b: k, width: Width::W64, .. })
                                if single(t) && imm(k).is_some_and(|k| k % 64 == u64::from(scale)) =>
                            {
                                Some(index)
                            }
                            _ => None,
                        };
                        let (base, index, shift, inner) = match (scaled(b), scaled(a)) {
                            (Some(index), _) => (a, index, scale, Some(b)),
                            (None, Some(index)) => (b, index, scale, Some(a)),
                            (None, None) => (a, b, 0, None),
                        };
                        folded[addr.0 as usize] = Some(Folded::Indexed { base, index, shift });
                        if let Some(t) = inner {
                            let amount = shift;
                            folded[t.0 as usize] =
                                Some(Folded::Shifted { y: index, op: BinOp::Shl, amount, w64: true });
                        }
                    }
                    _ => {}
                }
            }
            Op::Bin { op: BinOp::And, a, b, width, .. }
                if imm(b).or(imm(a)).is_some_and(|v| low_mask(v & width.mask())) =>
            {
                let t = if imm(b).is_some() { a } else { b };
                let one = imm(b).or(imm(a)).is_some_and(|v| v & width.mask() == 1);
                if !single(t) {
                    continue;
                }
                match def(t.0 as usize) {
                    // `and (popcnt x), 1`: the parity of x.
                    Some(&Op::Un { op: UnOp::Popcnt, a: x, width, .. }) if one && imm(x).is_none() => {
                        folded[t.0 as usize] = Some(Folded::Parity { x, width });
                    }
                    // `and (lshr y, c), 2^k - 1`: a bit field of y (`ubfx`).
                    Some(&Op::Bin { op: BinOp::Lshr, a: y, b: k, width: w, .. })
                        if matches!(w, Width::W32 | Width::W64) && imm(y).is_none() =>
                    {
                        let amount = imm(k).map_or(0, |k| (k % u64::from(w.bits())) as u32);
                        if amount != 0 {
                            folded[t.0 as usize] =
                                Some(Folded::Shifted { y, op: BinOp::Lshr, amount, w64: w == Width::W64 });
                        }
                    }
                    _ => {}
                }
            }
            Op::Bin { op, a, b, width, .. }
                if matches!(op, BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor)
                    && matches!(width, Width::W32 | Width::W64)
                    && imm(a).is_none()
                    && imm(b).is_none() =>
            {
                let logical = !matches!(op, BinOp::Add | BinOp::Sub);
                let shifted = |t: Temp| match def(t.0 as usize) {
                    Some(&Op::Bin { op: sop, a: y, b: k, width: w, .. })
                        if w == width
                            && single(t)
                            && imm(y).is_none()
                            && (matches!(sop, BinOp::Shl | BinOp::Lshr | BinOp::Ashr)
                                || (sop == BinOp::Rotr && logical)) =>
                    {
                        imm(k)
                            .map(|k| (k % u64::from(width.bits())) as u32)
                            .filter(|&k| k != 0)
                            .map(|amount| Folded::Shifted { y, op: sop, amount, w64: width == Width::W64 })
                    }
                    _ => None,
                };
                let inverted = |t: Temp| match def(t.0 as usize) {
                    Some(&Op::Un { op: UnOp::Not, a: y, width: w, .. })
                        if logical && w == width && single(t) && imm(y).is_none() =>
                    {
                        Some(Folded::Inverted { y, w64: width == Width::W64 })
                    }
                    _ => None,
                };
                // The second operand, or the first where the op commutes.
                if let Some(f) = inverted(b) {
                    folded[b.0 as usize] = Some(f);
                } else if let Some(f) = inverted(a) {
                    folded[a.0 as usize] = Some(f);
                } else if let Some(f) = shifted(b) {
                    folded[b.0 as usize] = Some(f);
                } else if op != BinOp::Sub {
                    if let Some(f) = shifted(a) {
                        folded[a.0 as usize] = Some(f);
                    }
                }
            }
            _ => {}
        }
    }
    folded
}

/// Keeps what a folded op reads live up to the op it is emitted in (its reader's, or for an
/// op folded into a folded op, that one's reader's).
pub(super) fn extend_lifetimes(block: &Block, folded: &[Option<Folded>], last_use: &mut [Option<usize>]) {
    // Where each folded temporary's op is emitted, latest definitions first (a reader is
    // defined after what it reads).
    let mut emitted_at = scratch::filled(block.temps as usize, None);
    for op in block.ops.iter().rev() {
        let Some(d) = op.dst() else { continue };
        if folded[d.0 as usize].is_none() {
            continue;
        }
        let Some(reader) = last_use[d.0 as usize] else { continue };
        let at = block
            .ops
            .get(reader)
            .and_then(|r| r.dst())
            .and_then(|r| emitted_at[r.0 as usize])
            .unwrap_or(reader);
        emitted_at[d.0 as usize] = Some(at);
        op.for_each_src(|s| {
            let u = &mut last_use[s.0 as usize];
            *u = Some(u.map_or(at, |u| u.max(at)));
        });
    }
}

/// Whether `v` is `2^k - 1` for some k >= 1.
fn low_mask(v: u64) -> bool {
    v != 0 && v & v.wrapping_add(1) == 0
}

/// `op` as the `shift` field of a shifted-register operand.
fn shift_field(op: BinOp) -> u32 {
    match op {
        BinOp::Shl => 0,
        BinOp::Lshr => 1,
        BinOp::Ashr => 2,
        _ => 3,
    }
}

/// The word of `op rd, rn, ~rm` (BIC, ORN, EON: AND, ORR, EOR with the operand inverted).
pub(super) fn inverted_register(op: BinOp, w64: bool, rd: u8, rn: u8, rm: u8) -> u32 {
    shifted_register(op, w64, rd, rn, rm, BinOp::Shl, 0) | 1 << 21
}

/// The word of `op rd, rn, rm, <shift> #amount` (ADD, SUB, AND, ORR, EOR, shifted register).
pub(super) fn shifted_register(
    op: BinOp,
    w64: bool,
    rd: u8,
    rn: u8,
    rm: u8,
    shift: BinOp,
    amount: u32,
) -> u32 {
    let base: u32 = match op {
        BinOp::Add => 0x0b00_0000,
        BinOp::Sub => 0x4b00_0000,
        BinOp::And => 0x0a00_0000,
        BinOp::Or => 0x2a00_0000,
        _ => 0x4a00_0000,
    };
    base | u32::from(w64) << 31
        | shift_field(shift) << 22
        | u32::from(rm) << 16
        | amount << 10
        | u32::from(rn) << 5
        | u32::from(rd)
}

/// The word of `ldr`/`str` (by width) `rt, [rn, rm, lsl #shift]` (register offset; `shift`
/// is 0 or the access size's log2).
pub(super) fn register_offset(load: bool, width: Width, rt: u8, rn: u8, rm: u8, shift: u32) -> u32 {
    let size = width.bytes().trailing_zeros();
    let scaled = u32::from(shift != 0);
    size << 30
        | 0x3820_6800
        | u32::from(load) << 22
        | u32::from(rm) << 16
        | scaled << 12
        | u32::from(rn) << 5
        | u32::from(rt)
}

impl Emitter {
    /// The folded op of `t`, if any.
    pub(super) fn folded(&self, t: Temp) -> Option<Folded> {
        self.folded[t.0 as usize]
    }

    /// Computes the folded op `f` into `scratch` on its own (using no other register but
    /// x17), for a reader that does not take it as an operand of its own instruction.
    pub(super) fn emit_folded(&mut self, f: Folded, scratch: u8) {
        match f {
            Folded::Parity { x, width } => {
                let r = self.src_zext(x, width, scratch);
                self.popcount(scratch, r);
            }
            Folded::Shifted { y, op, amount, w64 } => {
                let r = self.src(y, scratch);
                self.a.push_u32(shifted_register(BinOp::Or, w64, scratch, ZR, r, op, amount));
            }
            Folded::Inverted { y, w64 } => {
                let r = self.src(y, scratch);
                self.a.push_u32(inverted_register(BinOp::Or, w64, scratch, ZR, r));
            }
            Folded::Offset { base, off } => {
                let r = self.src(base, scratch);
                match imm::arith(u64::from(off)) {
                    Some((imm12, shifted)) => self.add_imm(true, false, scratch, r, imm12, shifted),
                    None => {
                        self.mov_imm(17, u64::from(off));
                        dynasm!(self.a ; .arch aarch64 ; add X(scratch), X(r), x17);
                    }
                }
            }
            Folded::Indexed { base, index, shift } => {
                let rb = self.src(base, scratch);
                let ri = self.src(index, 17);
                self.a.push_u32(shifted_register(BinOp::Add, true, scratch, rb, ri, BinOp::Shl, shift));
            }
        }
    }

    /// The address `addr` of a load or store: `[base, #off]` or `[base, index, lsl #shift]`
    /// when its add is folded, else `[addr, #0]`; `s1` and `s2` are scratch registers.
    pub(super) fn address(&mut self, addr: Temp, s1: u8, s2: u8) -> Address {
        if self.canonical.is_some() {
            // The whole address is checked, so it is computed first.
            return Address::Offset(self.data_address(addr, s1), 0);
        }
        match self.folded(addr) {
            Some(Folded::Offset { base, off }) => Address::Offset(self.src(base, s1), off),
            Some(Folded::Indexed { base, index, shift }) => {
                let rb = self.src(base, s1);
                let ri = self.src(index, s2);
                Address::Indexed(rb, ri, shift)
            }
            _ => Address::Offset(self.src(addr, s1), 0),
        }
    }

    /// A register holding the guest data address `addr` (`scratch` or `addr`'s own), made to
    /// fault if it is not canonical when the guest asks for that
    /// (`Backend::set_canonical_addresses`). `x = addr ^ (addr asr 63)` is below 2^(bits-1)
    /// exactly when `addr` is canonical; `-(x >> (bits-1)) << 4` is then 0, else it has bits
    /// 63 to 69-bits set (63..21 for 48 bits) and bits 3..0 clear, which ORed into the address
    /// put it above the host's user address space (bits 55..48, which the host's
    /// top-byte-ignore still translates, non-zero) with its alignment kept (an atomic's
    /// alignment test must not send it to the unaligned helper), where every access faults
    /// and the fault path classifies it from the guest state (`Guest::kernel_fault_signal`).
    /// Canonical addresses, of either half, are unchanged (`memory::faulting_bits` is the
    /// same computation).
    pub(super) fn data_address(&mut self, addr: Temp, scratch: u8) -> u8 {
        let Some(bits) = self.canonical else {
            return self.src(addr, scratch);
        };
        let r = match self.folded(addr) {
            Some(f) => {
                self.emit_folded(f, scratch);
                scratch
            }
            None => self.src(addr, scratch),
        };
        self.a.push_u32(shifted_register(BinOp::Xor, true, 17, r, r, BinOp::Ashr, 63));
        self.a.push_u32(shifted_register(BinOp::Sub, true, 17, ZR, 17, BinOp::Lshr, bits - 1));
        self.a.push_u32(shifted_register(BinOp::Or, true, scratch, r, 17, BinOp::Shl, 4));
        scratch
    }

    /// A reader of folded operands: `and (popcnt x), 1` as the parity of x, and an add, sub,
    /// and, orr or eor of a shifted operand in one instruction. Returns whether it emitted
    /// the op.
    pub(super) fn bin_folded(&mut self, op: BinOp, dst: Temp, a: Temp, b: Temp, width: Width) -> bool {
        let d = self.dst(dst, S0);
        if op == BinOp::And {
            let parity = match (self.folded(a), self.folded(b)) {
                (Some(Folded::Parity { x, width }), _) if self.imm(b).is_some() => Some((x, width)),
                (_, Some(Folded::Parity { x, width })) if self.imm(a).is_some() => Some((x, width)),
                _ => None,
            };
            if let Some((x, pw)) = parity {
                // Fold the bits onto bit 0 with eors of shifted copies.
                let r = self.src(x, S1);
                let bits = pw.bits();
                self.a.push_u32(shifted_register(BinOp::Xor, bits == 64, S3, r, r, BinOp::Lshr, bits / 2));
                let mut half = bits / 4;
                while half >= 1 {
                    self.a.push_u32(shifted_register(BinOp::Xor, false, S3, S3, S3, BinOp::Lshr, half));
                    half /= 2;
                }
                dynasm!(self.a ; .arch aarch64 ; and WSP(d), W(S3), #1);
                self.finish(dst, d);
                return true;
            }
        }
        if !matches!(op, BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor) {
            return false;
        }
        let inverted = match (self.folded(a), self.folded(b)) {
            (_, Some(Folded::Inverted { y, w64 })) => Some((a, y, w64)),
            (Some(Folded::Inverted { y, w64 }), _) => Some((b, y, w64)),
            _ => None,
        };
        if let Some((other, y, w64)) = inverted {
            let rn = self.src(other, S1);
            let rm = self.src(y, S2);
            self.a.push_u32(inverted_register(op, w64, d, rn, rm));
            self.finish(dst, d);
            return true;
        }
        let (other, y, sop, amount, w64) = match (self.folded(a), self.folded(b)) {
            (_, Some(Folded::Shifted { y, op: sop, amount, w64 })) => (a, y, sop, amount, w64),
            (Some(Folded::Shifted { y, op: sop, amount, w64 }), _) if op != BinOp::Sub => {
                (b, y, sop, amount, w64)
            }
            _ => return false,
        };
        match self.imm(other) {
            Some(mask) if op == BinOp::And && sop == BinOp::Lshr && low_mask(mask & width.mask()) => {
                // A bit field: `ubfx d, y, #amount, #bits`, the bits the mask, the width and
                // the shift leave.
                let size = if w64 { 64 } else { 32 };
                let field = (mask & width.mask()).count_ones().min(size - amount).min(width.bits());
                let r = self.src(y, S2);
                if w64 {
                    dynasm!(self.a ; .arch aarch64 ; ubfx X(d), X(r), amount, field);
                } else {
                    dynasm!(self.a ; .arch aarch64 ; ubfx W(d), W(r), amount, field);
                }
            }
            _ => {
                let rn = self.src(other, S1);
                let rm = self.src(y, S2);
                self.a.push_u32(shifted_register(op, w64, d, rn, rm, sop, amount));
            }
        }
        self.finish(dst, d);
        true
    }
}
