//! [`Builder`]: how frontends write IR, one small method per op.

use super::*;

/// Ops a frontend emits per guest instruction, about (before the passes; for
/// [`Builder::reserve_for_insns`]).
pub const OPS_PER_INSN_HINT: usize = 24;
/// The most ops [`Builder::reserve_for_insns`] makes room for at once.
pub const MAX_OPS_HINT: usize = 256;

/// Accumulates the ops of one block. Every method that produces a value returns its [`Temp`].
#[derive(Default)]
pub struct Builder {
    ops: Vec<Op>,
    temps: u32,
    /// The order of ordinary loads and stores ([`Builder::load`], [`Builder::store`]).
    model: MemoryModel,
    /// The guest address of the instruction being translated (the last [`Builder::guest_insn`]).
    insn_pc: u64,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose ordinary loads and stores follow `model`.
    pub fn with_memory_model(model: MemoryModel) -> Self {
        Builder { model, ..Self::default() }
    }

    /// Makes room for the ops of `insns` guest instructions at once (about
    /// [`OPS_PER_INSN_HINT`] each, at most [`MAX_OPS_HINT`]), so that the op list of a block is
    /// not regrown op by op: growing it was a tenth of translation time. The list comes from
    /// the thread's pool (`ir::scratch`), where the block's drop gives it back.
    pub fn reserve_for_insns(&mut self, insns: u32) {
        let room = (insns as usize).saturating_mul(OPS_PER_INSN_HINT).min(MAX_OPS_HINT);
        if self.ops.capacity() == 0 {
            self.ops = super::scratch::ops(room);
        } else {
            self.ops.reserve(room);
        }
    }

    /// Number of ops emitted so far.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Drops every op from index `len` on (used to undo a partly translated instruction).
    /// Temporaries are not reused.
    pub fn truncate(&mut self, len: usize) {
        self.ops.truncate(len);
    }

    /// A fresh temporary, not yet written.
    pub fn new_temp(&mut self) -> Temp {
        let t = Temp(self.temps);
        self.temps += 1;
        t
    }

    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// Finishes the block.
    pub fn finish(self, start: GuestAddr, guest_len: u32, guest_insns: u32, exit: Exit) -> Block {
        Block {
            start,
            guest_len,
            guest_insns,
            ops: self.ops,
            exit,
            temps: self.temps,
            dead_on_entry: Vec::new(),
        }
    }

    pub fn guest_insn(&mut self, pc: GuestAddr, len: u8) {
        self.insn_pc = pc.0;
        self.push(Op::GuestInsn { pc, len });
    }

    pub fn constant(&mut self, value: u64) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Const { dst, value });
        dst
    }

    pub fn load_state(&mut self, offset: StateOffset, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::LoadState { dst, offset, width });
        dst
    }

    pub fn store_state(&mut self, offset: StateOffset, src: Temp, width: Width) {
        self.push(Op::StoreState { offset, src, width });
    }

    /// An ordinary load: ordered as the builder's memory model says.
    pub fn load(&mut self, addr: Temp, width: Width) -> Temp {
        self.load_ordered(addr, width, self.model.load_order())
    }

    /// An ordinary store: ordered as the builder's memory model says.
    pub fn store(&mut self, addr: Temp, src: Temp, width: Width) {
        self.store_ordered(addr, src, width, self.model.store_order())
    }

    /// A load with an order of its own (A64 LDAR, LDAPR).
    pub fn load_ordered(&mut self, addr: Temp, width: Width, order: MemOrder) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Load { dst, addr, width, order });
        dst
    }

    /// A store with an order of its own (A64 STLR).
    pub fn store_ordered(&mut self, addr: Temp, src: Temp, width: Width, order: MemOrder) {
        self.push(Op::Store { addr, src, width, order });
    }

    pub fn bin(&mut self, op: BinOp, a: Temp, b: Temp, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Bin { op, dst, a, b, width });
        dst
    }

    /// `a op imm`, materialising the immediate as a constant.
    pub fn bin_imm(&mut self, op: BinOp, a: Temp, imm: u64, width: Width) -> Temp {
        let b = self.constant(imm);
        self.bin(op, a, b, width)
    }

    pub fn un(&mut self, op: UnOp, a: Temp, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Un { op, dst, a, width });
        dst
    }

    pub fn ext(&mut self, a: Temp, from: Width, signed: bool) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Ext { dst, a, from, signed });
        dst
    }

    pub fn cmp(&mut self, op: CmpOp, a: Temp, b: Temp, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Cmp { op, dst, a, b, width });
        dst
    }

    pub fn cmp_imm(&mut self, op: CmpOp, a: Temp, imm: u64, width: Width) -> Temp {
        let b = self.constant(imm);
        self.cmp(op, a, b, width)
    }

    pub fn select(&mut self, cond: Temp, if_true: Temp, if_false: Temp) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Select { dst, cond, if_true, if_false });
        dst
    }

    /// Bit `bit` of `a` as 0 or 1.
    pub fn bit(&mut self, a: Temp, bit: u32) -> Temp {
        let shifted = self.bin_imm(BinOp::Lshr, a, bit as u64, Width::W64);
        self.bin_imm(BinOp::And, shifted, 1, Width::W64)
    }

    pub fn atomic_rmw(&mut self, op: RmwOp, addr: Temp, src: Temp, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::AtomicRmw { op, dst, addr, src, width });
        dst
    }

    pub fn compare_exchange(&mut self, addr: Temp, expected: Temp, new: Temp, width: Width) -> Temp {
        let dst = self.new_temp();
        self.push(Op::CompareExchange { dst, addr, expected, new, width });
        dst
    }

    pub fn fence(&mut self) {
        self.push(Op::Fence);
    }

    /// Calls a helper that returns a value. Before a helper that touches guest memory, stores
    /// the calling guest instruction's address in the header's `next_pc` (see [`Helper`]):
    /// the word is the block's exit protocol's, written again by every exit, so nothing else
    /// reads it in between.
    pub fn call(&mut self, helper: Helper, args: &[Temp]) -> Temp {
        assert!(args.len() <= 4, "helper {} takes at most four arguments", helper.name);
        self.note_helper_site(helper);
        let dst = self.new_temp();
        self.push(Op::CallHelper { dst: Some(dst), helper, args: args.to_vec() });
        dst
    }

    /// `op(a, b)` in floating point (see [`Op::Fp`]): its value or its exception flags.
    #[allow(clippy::too_many_arguments)]
    pub fn fp(
        &mut self,
        op: FpOp,
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    ) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Fp { op, prec, rule, result, dst, a, b, ctrl });
        dst
    }

    /// `(±a * b) ± c` rounded once (see [`Op::FpFma`]): its value or its exception flags.
    #[allow(clippy::too_many_arguments)]
    pub fn fp_fma(
        &mut self,
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        neg: FmaNeg,
        a: Temp,
        b: Temp,
        c: Temp,
        ctrl: Temp,
    ) -> Temp {
        let dst = self.new_temp();
        self.push(Op::FpFma { prec, rule, result, neg, dst, a, b, c, ctrl });
        dst
    }

    /// `a op b` compared in floating point (see [`Op::FpCmp`]): its value or its exception flags.
    #[allow(clippy::too_many_arguments)]
    pub fn fp_cmp(
        &mut self,
        op: FpCmpOp,
        prec: FpPrec,
        rule: FpRule,
        result: FpResult,
        a: Temp,
        b: Temp,
        ctrl: Temp,
    ) -> Temp {
        let dst = self.new_temp();
        self.push(Op::FpCmp { op, prec, rule, result, dst, a, b, ctrl });
        dst
    }

    /// `a` converted between number formats (see [`Op::FpCvt`]): its value or its exception
    /// flags.
    #[allow(clippy::too_many_arguments)]
    pub fn fp_cvt(
        &mut self,
        from: NumFormat,
        to: NumFormat,
        round: CvtRound,
        rule: FpRule,
        result: FpResult,
        a: Temp,
        ctrl: Temp,
    ) -> Temp {
        let dst = self.new_temp();
        self.push(Op::FpCvt { from, to, round, rule, result, dst, a, ctrl });
        dst
    }

    /// A 128-bit state field as a vector temporary (see [`Op::VLoadState`]).
    pub fn vload_state(&mut self, offset: StateOffset) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VLoadState { dst, offset });
        dst
    }

    /// `state[offset .. offset + 16] = src` (see [`Op::VStoreState`]).
    pub fn vstore_state(&mut self, offset: StateOffset, src: Temp) {
        self.push(Op::VStoreState { offset, src });
    }

    /// 16 bytes of guest memory, in the block's memory model's load order.
    pub fn vload(&mut self, addr: Temp) -> Temp {
        let dst = self.new_temp();
        let order = self.model.load_order();
        self.push(Op::VLoad { dst, addr, order });
        dst
    }

    /// Faults as a store of `len` bytes at `addr` would, writing nothing (see
    /// [`Op::ProbeWrite`]): before a guest store made of several IR stores.
    pub fn probe_write(&mut self, addr: Temp, len: u8) {
        self.push(Op::ProbeWrite { addr, len });
    }

    /// 16 bytes to guest memory, in the block's memory model's store order.
    pub fn vstore(&mut self, addr: Temp, src: Temp) {
        let order = self.model.store_order();
        self.push(Op::VStore { addr, src, order });
    }

    /// The vector `hi:lo` (see [`Op::VPack`]).
    pub fn vpack(&mut self, lo: Temp, hi: Temp) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VPack { dst, lo, hi });
        dst
    }

    /// One 64-bit half of a vector (see [`Op::VHalf`]).
    pub fn vhalf(&mut self, src: Temp, high: bool) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VHalf { dst, src, high });
        dst
    }

    /// `a op b` over 128 bits (see [`Op::VBit`]).
    pub fn vbit(&mut self, op: VBitOp, a: Temp, b: Temp) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VBit { op, dst, a, b });
        dst
    }

    /// `a op b` lane by lane over 128 bits (see [`Op::VLanes`]).
    pub fn vlanes(&mut self, op: LaneOp, lane: Width, a: Temp, b: Temp) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VLanes { op, lane, dst, a, b });
        dst
    }

    /// Every lane of a vector shifted by `count` (see [`Op::VShift`]).
    pub fn vshift(&mut self, op: LaneOp, lane: Width, a: Temp, count: u8) -> Temp {
        let dst = self.new_temp();
        self.push(Op::VShift { op, lane, dst, a, count });
        dst
    }

    /// `a op b` lane by lane (see [`Op::Lanes`]).
    pub fn lanes(&mut self, op: LaneOp, lane: Width, a: Temp, b: Temp) -> Temp {
        let dst = self.new_temp();
        self.push(Op::Lanes { op, lane, dst, a, b });
        dst
    }

    /// Calls a helper for its effect on guest state (and memory) only; as [`Builder::call`].
    pub fn call_void(&mut self, helper: Helper, args: &[Temp]) {
        assert!(args.len() <= 4, "helper {} takes at most four arguments", helper.name);
        self.note_helper_site(helper);
        self.push(Op::CallHelper { dst: None, helper, args: args.to_vec() });
    }

    /// See [`Builder::call`].
    fn note_helper_site(&mut self, helper: Helper) {
        if helper.touches_memory {
            let pc = self.constant(self.insn_pc);
            self.store_state(StateOffset(protocol::header::NEXT_PC), pc, Width::W64);
        }
    }

    pub fn exit_if(&mut self, cond: Temp, exit: Exit) {
        debug_assert!(!matches!(exit, Exit::Branch { .. }));
        self.push(Op::ExitIf { cond, exit });
    }
}
