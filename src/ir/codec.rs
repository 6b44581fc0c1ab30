//! A compact byte encoding of a [`Block`], for the persistent translation cache
//! (`runtime::persist`): [`encode`] and [`decode`], exact inverses of each other.
//!
//! Integers are LEB128 (unsigned), small enums the index of the value in the type's `ALL`
//! list. A block that calls a [`Helper`] has no encoding ([`encode`] gives `false`): a
//! helper is a host function pointer, which means nothing in another process. [`decode`]
//! never panics on bytes that are not an encoding: it gives `None`, and a block it does give
//! has passed [`super::verify`].

use super::{
    BinOp, Block, CmpOp, CvtRound, DeadOnEntry, Exit, FmaNeg, FpCmpOp, FpOp, FpPrec, FpResult, FpRule,
    GuestAddr, LaneOp, MemOrder, NumFormat, Op, RmwOp, StateOffset, Temp, TrapKind, UnOp, VBitOp, Width,
};

const WIDTHS: [Width; 4] = [Width::W8, Width::W16, Width::W32, Width::W64];
const ORDERS: [MemOrder; 4] = [MemOrder::Plain, MemOrder::Acquire, MemOrder::Release, MemOrder::SeqCst];
const PRECS: [FpPrec; 3] = [FpPrec::F32, FpPrec::F64, FpPrec::F16];
const RULES: [FpRule; 2] = [FpRule::X86Sse, FpRule::A64];
const RESULTS: [FpResult; 2] = [FpResult::Value, FpResult::Flags];
const ROUNDS: [CvtRound; 2] = [CvtRound::Ctrl, CvtRound::Zero];

/// Appends the encoding of `block` to `out`; false (and `out` as it was) if the block calls
/// a helper.
pub fn encode(block: &Block, out: &mut Vec<u8>) -> bool {
    if block.ops.iter().any(|op| matches!(op, Op::CallHelper { .. })) {
        return false;
    }
    let mut w = Writer(out);
    w.u(block.start.0);
    w.u(u64::from(block.guest_len));
    w.u(u64::from(block.guest_insns));
    w.u(u64::from(block.temps));
    w.u(block.ops.len() as u64);
    for op in &block.ops {
        w.op(op);
    }
    w.exit(&block.exit);
    w.u(block.dead_on_entry.len() as u64);
    for d in &block.dead_on_entry {
        w.u(d.target.0);
        w.u(d.bytes.len() as u64);
        for b in &d.bytes {
            w.u(u64::from(b.0));
        }
    }
    true
}

/// The block that `bytes` encode (all of them), if they are an encoding of a valid block.
pub fn decode(bytes: &[u8]) -> Option<Block> {
    let mut r = Reader { bytes, at: 0 };
    let start = GuestAddr(r.u()?);
    let guest_len = r.u32()?;
    let guest_insns = r.u32()?;
    let temps = r.u32()?;
    let n = r.len()?;
    let mut ops = Vec::with_capacity(n);
    for _ in 0..n {
        ops.push(r.op()?);
    }
    let exit = r.exit()?;
    let n = r.len()?;
    let mut dead_on_entry = Vec::with_capacity(n);
    for _ in 0..n {
        let target = GuestAddr(r.u()?);
        let m = r.len()?;
        let mut offsets = Vec::with_capacity(m);
        for _ in 0..m {
            offsets.push(StateOffset(r.u32()?));
        }
        dead_on_entry.push(DeadOnEntry { target, bytes: offsets });
    }
    if r.at != bytes.len() {
        return None;
    }
    let block = Block { start, guest_len, guest_insns, ops, exit, temps, dead_on_entry };
    super::verify(&block).ok()?;
    Some(block)
}

fn index<T: PartialEq>(all: &[T], v: &T) -> u64 {
    all.iter().position(|x| x == v).expect("every value is in its type's ALL list") as u64
}

/// Appends `v` as an unsigned LEB128 number (7 bits a byte, low first; the top bit says
/// another byte follows): the number format of this encoding and of the cache files
/// around it (`runtime::persist`).
pub fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads an unsigned LEB128 number at `*at` and moves past it; `None` for a number cut off
/// by the end of `bytes` or wider than 64 bits.
pub fn get_uleb(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u(&mut self, v: u64) {
        put_uleb(self.0, v);
    }
    fn t(&mut self, t: Temp) {
        self.u(u64::from(t.0));
    }
    fn of<T: PartialEq>(&mut self, all: &[T], v: &T) {
        self.u(index(all, v));
    }
    fn exit(&mut self, exit: &Exit) {
        match exit {
            Exit::Jump(to) => {
                self.u(0);
                self.u(to.0);
            }
            Exit::Branch { cond, taken, not_taken } => {
                self.u(1);
                self.t(*cond);
                self.u(taken.0);
                self.u(not_taken.0);
            }
            Exit::Indirect(t) => {
                self.u(2);
                self.t(*t);
            }
            Exit::Return(t) => {
                self.u(3);
                self.t(*t);
            }
            Exit::Syscall { next } => {
                self.u(4);
                self.u(next.0);
            }
            Exit::Invalidate { next } => {
                self.u(5);
                self.u(next.0);
            }
            Exit::Trap { kind, pc, message } => {
                self.u(6);
                self.u(kind.index());
                self.u(pc.0);
                match message {
                    None => self.u(0),
                    Some(m) => {
                        self.u(m.len() as u64 + 1);
                        self.0.extend_from_slice(m.as_bytes());
                    }
                }
            }
        }
    }
    fn op(&mut self, op: &Op) {
        match op {
            Op::GuestInsn { pc, len } => {
                self.u(0);
                self.u(pc.0);
                self.u(u64::from(*len));
            }
            Op::Const { dst, value } => {
                self.u(1);
                self.t(*dst);
                self.u(*value);
            }
            Op::LoadState { dst, offset, width } => {
                self.u(2);
                self.t(*dst);
                self.u(u64::from(offset.0));
                self.of(&WIDTHS, width);
            }
            Op::StoreState { offset, src, width } => {
                self.u(3);
                self.u(u64::from(offset.0));
                self.t(*src);
                self.of(&WIDTHS, width);
            }
            Op::Load { dst, addr, width, order } => {
                self.u(4);
                self.t(*dst);
                self.t(*addr);
                self.of(&WIDTHS, width);
                self.of(&ORDERS, order);
            }
            Op::Store { addr, src, width, order } => {
                self.u(5);
                self.t(*addr);
                self.t(*src);
                self.of(&WIDTHS, width);
                self.of(&ORDERS, order);
            }
            Op::Bin { op, dst, a, b, width } => {
                self.u(6);
                self.of(&BinOp::ALL, op);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
                self.of(&WIDTHS, width);
            }
            Op::Un { op, dst, a, width } => {
                self.u(7);
                self.of(&UnOp::ALL, op);
                self.t(*dst);
                self.t(*a);
                self.of(&WIDTHS, width);
            }
            Op::Ext { dst, a, from, signed } => {
                self.u(8);
                self.t(*dst);
                self.t(*a);
                self.of(&WIDTHS, from);
                self.u(u64::from(*signed));
            }
            Op::Cmp { op, dst, a, b, width } => {
                self.u(9);
                self.of(&CmpOp::ALL, op);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
                self.of(&WIDTHS, width);
            }
            Op::Select { dst, cond, if_true, if_false } => {
                self.u(10);
                self.t(*dst);
                self.t(*cond);
                self.t(*if_true);
                self.t(*if_false);
            }
            Op::AtomicRmw { op, dst, addr, src, width } => {
                self.u(11);
                self.of(&RmwOp::ALL, op);
                self.t(*dst);
                self.t(*addr);
                self.t(*src);
                self.of(&WIDTHS, width);
            }
            Op::CompareExchange { dst, addr, expected, new, width } => {
                self.u(12);
                self.t(*dst);
                self.t(*addr);
                self.t(*expected);
                self.t(*new);
                self.of(&WIDTHS, width);
            }
            Op::Fence => self.u(13),
            Op::MxcsrRun { mxcsr, len } => {
                self.u(31);
                self.t(*mxcsr);
                self.u(u64::from(*len));
            }
            Op::ProbeWrite { addr, len } => {
                self.u(30);
                self.t(*addr);
                self.u(*len as u64);
            }
            Op::Fp { op, prec, rule, result, dst, a, b, ctrl } => {
                self.u(14);
                self.of(&FpOp::ALL, op);
                self.fp_kind(*prec, *rule, *result);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
                self.t(*ctrl);
            }
            Op::FpFma { prec, rule, result, neg, dst, a, b, c, ctrl } => {
                self.u(15);
                self.fp_kind(*prec, *rule, *result);
                self.of(&FmaNeg::ALL, neg);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
                self.t(*c);
                self.t(*ctrl);
            }
            Op::FpCmp { op, prec, rule, result, dst, a, b, ctrl } => {
                self.u(16);
                self.of(&FpCmpOp::ALL, op);
                self.fp_kind(*prec, *rule, *result);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
                self.t(*ctrl);
            }
            Op::FpCvt { from, to, round, rule, result, dst, a, ctrl } => {
                self.u(17);
                self.of(&NumFormat::ALL, from);
                self.of(&NumFormat::ALL, to);
                self.of(&ROUNDS, round);
                self.of(&RULES, rule);
                self.of(&RESULTS, result);
                self.t(*dst);
                self.t(*a);
                self.t(*ctrl);
            }
            Op::Lanes { op, lane, dst, a, b } => {
                self.u(18);
                self.of(&LaneOp::ALL, op);
                self.of(&WIDTHS, lane);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
            }
            Op::CallHelper { .. } => unreachable!("encode refuses blocks that call helpers"),
            Op::ExitIf { cond, exit } => {
                self.u(19);
                self.t(*cond);
                self.exit(exit);
            }
            Op::StateAtFault { offset, src, width } => {
                self.u(20);
                self.u(u64::from(offset.0));
                self.t(*src);
                self.of(&WIDTHS, width);
            }
            Op::VLoadState { dst, offset } => {
                self.u(21);
                self.t(*dst);
                self.u(u64::from(offset.0));
            }
            Op::VStoreState { offset, src } => {
                self.u(22);
                self.u(u64::from(offset.0));
                self.t(*src);
            }
            Op::VLoad { dst, addr, order } => {
                self.u(23);
                self.t(*dst);
                self.t(*addr);
                self.of(&ORDERS, order);
            }
            Op::VStore { addr, src, order } => {
                self.u(24);
                self.t(*addr);
                self.t(*src);
                self.of(&ORDERS, order);
            }
            Op::VPack { dst, lo, hi } => {
                self.u(25);
                self.t(*dst);
                self.t(*lo);
                self.t(*hi);
            }
            Op::VHalf { dst, src, high } => {
                self.u(26);
                self.t(*dst);
                self.t(*src);
                self.u(u64::from(*high));
            }
            Op::VBit { op, dst, a, b } => {
                self.u(27);
                self.of(&VBitOp::ALL, op);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
            }
            Op::VLanes { op, lane, dst, a, b } => {
                self.u(28);
                self.of(&LaneOp::ALL, op);
                self.of(&WIDTHS, lane);
                self.t(*dst);
                self.t(*a);
                self.t(*b);
            }
            Op::VShift { op, lane, dst, a, count } => {
                self.u(29);
                self.of(&LaneOp::ALL, op);
                self.of(&WIDTHS, lane);
                self.t(*dst);
                self.t(*a);
                self.u(u64::from(*count));
            }
        }
    }
    fn fp_kind(&mut self, prec: FpPrec, rule: FpRule, result: FpResult) {
        self.of(&PRECS, &prec);
        self.of(&RULES, &rule);
        self.of(&RESULTS, &result);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u(&mut self) -> Option<u64> {
        get_uleb(self.bytes, &mut self.at)
    }
    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u()?).ok()
    }
    /// A count of items still to read: at most one per byte left (so a corrupt count
    /// allocates nothing large).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
    fn t(&mut self) -> Option<Temp> {
        Some(Temp(self.u32()?))
    }
    fn a(&mut self) -> Option<GuestAddr> {
        Some(GuestAddr(self.u()?))
    }
    fn of<T: Copy>(&mut self, all: &[T]) -> Option<T> {
        all.get(usize::try_from(self.u()?).ok()?).copied()
    }
    fn w(&mut self) -> Option<Width> {
        self.of(&WIDTHS)
    }
    fn exit(&mut self) -> Option<Exit> {
        Some(match self.u()? {
            0 => Exit::Jump(self.a()?),
            1 => Exit::Branch { cond: self.t()?, taken: self.a()?, not_taken: self.a()? },
            2 => Exit::Indirect(self.t()?),
            3 => Exit::Return(self.t()?),
            4 => Exit::Syscall { next: self.a()? },
            5 => Exit::Invalidate { next: self.a()? },
            6 => {
                let kind = TrapKind::from_index(self.u()?)?;
                let pc = self.a()?;
                let message = match self.len()? {
                    0 => None,
                    n => {
                        let text = self.bytes.get(self.at..self.at + n - 1)?;
                        self.at += n - 1;
                        Some(String::from_utf8(text.to_vec()).ok()?)
                    }
                };
                Exit::Trap { kind, pc, message }
            }
            _ => return None,
        })
    }
    fn op(&mut self) -> Option<Op> {
        Some(match self.u()? {
            0 => Op::GuestInsn { pc: self.a()?, len: u8::try_from(self.u()?).ok()? },
            1 => Op::Const { dst: self.t()?, value: self.u()? },
            2 => Op::LoadState { dst: self.t()?, offset: StateOffset(self.u32()?), width: self.w()? },
            3 => Op::StoreState { offset: StateOffset(self.u32()?), src: self.t()?, width: self.w()? },
            4 => Op::Load { dst: self.t()?, addr: self.t()?, width: self.w()?, order: self.of(&ORDERS)? },
            5 => Op::Store { addr: self.t()?, src: self.t()?, width: self.w()?, order: self.of(&ORDERS)? },
            6 => Op::Bin {
                op: self.of(&BinOp::ALL)?,
                dst: self.t()?,
                a: self.t()?,
                b: self.t()?,
                width: self.w()?,
            },
            7 => Op::Un { op: self.of(&UnOp::ALL)?, dst: self.t()?, a: self.t()?, width: self.w()? },
            8 => Op::Ext { dst: self.t()?, a: self.t()?, from: self.w()?, signed: self.bool()? },
            9 => Op::Cmp {
                op: self.of(&CmpOp::ALL)?,
                dst: self.t()?,
                a: self.t()?,
                b: self.t()?,
                width: self.w()?,
            },
            10 => Op::Select { dst: self.t()?, cond: self.t()?, if_true: self.t()?, if_false: self.t()? },
            11 => Op::AtomicRmw {
                op: self.of(&RmwOp::ALL)?,
                dst: self.t()?,
                addr: self.t()?,
                src: self.t()?,
                width: self.w()?,
            },
            12 => Op::CompareExchange {
                dst: self.t()?,
                addr: self.t()?,
                expected: self.t()?,
                new: self.t()?,
                width: self.w()?,
            },
            13 => Op::Fence,
            14 => {
                let op = self.of(&FpOp::ALL)?;
                let (prec, rule, result) = self.fp_kind()?;
                Op::Fp { op, prec, rule, result, dst: self.t()?, a: self.t()?, b: self.t()?, ctrl: self.t()? }
            }
            15 => {
                let (prec, rule, result) = self.fp_kind()?;
                let neg = self.of(&FmaNeg::ALL)?;
                Op::FpFma {
                    prec,
                    rule,
                    result,
                    neg,
                    dst: self.t()?,
                    a: self.t()?,
                    b: self.t()?,
                    c: self.t()?,
                    ctrl: self.t()?,
                }
            }
            16 => {
                let op = self.of(&FpCmpOp::ALL)?;
                let (prec, rule, result) = self.fp_kind()?;
                Op::FpCmp {
                    op,
                    prec,
                    rule,
                    result,
                    dst: self.t()?,
                    a: self.t()?,
                    b: self.t()?,
                    ctrl: self.t()?,
                }
            }
            17 => Op::FpCvt {
                from: self.of(&NumFormat::ALL)?,
                to: self.of(&NumFormat::ALL)?,
                round: self.of(&ROUNDS)?,
                rule: self.of(&RULES)?,
                result: self.of(&RESULTS)?,
                dst: self.t()?,
                a: self.t()?,
                ctrl: self.t()?,
            },
            18 => Op::Lanes {
                op: self.of(&LaneOp::ALL)?,
                lane: self.w()?,
                dst: self.t()?,
                a: self.t()?,
                b: self.t()?,
            },
            19 => {
                let cond = self.t()?;
                let exit = self.exit()?;
                if matches!(exit, Exit::Branch { .. }) {
                    return None;
                }
                Op::ExitIf { cond, exit }
            }
            20 => Op::StateAtFault { offset: StateOffset(self.u32()?), src: self.t()?, width: self.w()? },
            21 => Op::VLoadState { dst: self.t()?, offset: StateOffset(self.u32()?) },
            22 => Op::VStoreState { offset: StateOffset(self.u32()?), src: self.t()? },
            23 => Op::VLoad { dst: self.t()?, addr: self.t()?, order: self.of(&ORDERS)? },
            24 => Op::VStore { addr: self.t()?, src: self.t()?, order: self.of(&ORDERS)? },
            25 => Op::VPack { dst: self.t()?, lo: self.t()?, hi: self.t()? },
            26 => Op::VHalf { dst: self.t()?, src: self.t()?, high: self.bool()? },
            27 => Op::VBit { op: self.of(&VBitOp::ALL)?, dst: self.t()?, a: self.t()?, b: self.t()? },
            28 => Op::VLanes {
                op: self.of(&LaneOp::ALL)?,
                lane: self.w()?,
                dst: self.t()?,
                a: self.t()?,
                b: self.t()?,
            },
            29 => Op::VShift {
                op: self.of(&LaneOp::ALL)?,
                lane: self.w()?,
                dst: self.t()?,
                a: self.t()?,
                count: u8::try_from(self.u()?).ok()?,
            },
            30 => Op::ProbeWrite { addr: self.t()?, len: u8::try_from(self.u()?).ok()? },
            31 => Op::MxcsrRun { mxcsr: self.t()?, len: self.u32()? },
            _ => return None,
        })
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn fp_kind(&mut self) -> Option<(FpPrec, FpRule, FpResult)> {
        Some((self.of(&PRECS)?, self.of(&RULES)?, self.of(&RESULTS)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::testgen::{random_block, random_dead_on_entry, vector_block, Layout, Rng, MIX_HELPER};

    /// A block survives the round trip, and no strict prefix of its encoding (a truncated
    /// file) decodes.
    fn round_trip(block: &Block) {
        let mut bytes = vec![0xaa];
        assert!(encode(block, &mut bytes));
        assert_eq!(decode(&bytes[1..]).as_ref(), Some(block));
        for cut in 1..bytes.len() {
            assert_eq!(decode(&bytes[1..cut]), None, "prefix of {cut} bytes decoded");
        }
    }

    #[test]
    fn random_blocks_round_trip_before_and_after_opt() {
        let layout = Layout { helpers: Vec::new(), ..Layout::default() };
        for seed in 0..400 {
            let mut rng = Rng::new(seed);
            let mut block = random_block(&mut rng, &layout);
            random_dead_on_entry(&mut rng, &mut block);
            round_trip(&block);
            crate::ir::opt::optimize(&mut block);
            round_trip(&block);
        }
    }

    /// Blocks of 128-bit vector ops (`ir::vector`) too.
    #[test]
    fn vector_blocks_round_trip_before_and_after_opt() {
        let layout = Layout { helpers: Vec::new(), ..Layout::default() };
        for seed in 0..200 {
            let mut block = vector_block(&mut Rng::new(seed), &layout);
            if block.ops.iter().any(|op| matches!(op, Op::CallHelper { .. })) {
                continue;
            }
            round_trip(&block);
            crate::ir::opt::optimize(&mut block);
            round_trip(&block);
        }
    }

    #[test]
    fn blocks_that_call_helpers_have_no_encoding() {
        let mut b = crate::ir::Builder::new();
        let x = b.constant(5);
        b.call(MIX_HELPER, &[x]);
        let block = b.finish(GuestAddr(0x1000), 4, 1, Exit::Jump(GuestAddr(0x1004)));
        let mut bytes = vec![7];
        assert!(!encode(&block, &mut bytes));
        assert_eq!(bytes, [7]);
    }

    #[test]
    fn bytes_that_are_no_encoding_give_none() {
        let mut bytes = Vec::new();
        let layout = Layout { helpers: Vec::new(), ..Layout::default() };
        assert!(encode(&random_block(&mut Rng::new(1), &layout), &mut bytes));
        // An unknown op tag, a trailing byte, and an empty input.
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(decode(&extra), None);
        assert_eq!(decode(&[]), None);
        let mut rng = Rng::new(9);
        for _ in 0..2000 {
            let mut bad = bytes.clone();
            let i = rng.below(bad.len() as u64) as usize;
            bad[i] ^= 1 << rng.below(8);
            // Never a panic; a flipped bit may still give a valid block (another constant).
            let _ = decode(&bad);
        }
    }
}
