//! State and memory ops: `LoadState`, `StoreState`, `Load`, `Store`, the atomics, and helper
//! calls.
//!
//! Guest memory is host memory at the same address, and ordinary A64 loads and stores allow
//! unaligned addresses (as x86 does), so guest accesses are single host instructions. Atomics
//! are load-exclusive/store-exclusive loops (they need no LSE, so they run on every ARMv8.0
//! host) followed by `dmb ish`, which makes each one a full barrier like an x86 `lock`
//! instruction. Exclusives need aligned addresses, x86 atomics do not: an unaligned address
//! takes a slow path, a call to the helpers in [`super::unaligned`].
//!
//! Memory orders (docs/ARCHITECTURE.md, "Memory ordering"): an `Acquire` load is `ldr` then
//! `dmb ishld`, a `Release` store `dmb ishst` then `str`, which together give x86's TSO at
//! any alignment; `SeqCst` loads and stores (A64 LDAR, STLR, which the guest must align) are
//! `ldar` and `stlr`.

use super::abi::*;
use super::fold::{self, Address};
use super::{unaligned, Emitter};
use crate::ir::{MemOrder, RmwOp, Temp, Width};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// Load-exclusive-acquire of `width` bytes.
macro_rules! ldaxr {
    ($e:expr, $width:expr, $rt:expr, $rn:expr) => {
        match $width {
            Width::W8 => dynasm!($e.a ; .arch aarch64 ; ldaxrb W($rt), [X($rn)]),
            Width::W16 => dynasm!($e.a ; .arch aarch64 ; ldaxrh W($rt), [X($rn)]),
            Width::W32 => dynasm!($e.a ; .arch aarch64 ; ldaxr W($rt), [X($rn)]),
            Width::W64 => dynasm!($e.a ; .arch aarch64 ; ldaxr X($rt), [X($rn)]),
        }
    };
}

/// Store-exclusive-release of `width` bytes; `status` = 0 on success.
macro_rules! stlxr {
    ($e:expr, $width:expr, $status:expr, $rt:expr, $rn:expr) => {
        match $width {
            Width::W8 => dynasm!($e.a ; .arch aarch64 ; stlxrb W($status), W($rt), [X($rn)]),
            Width::W16 => dynasm!($e.a ; .arch aarch64 ; stlxrh W($status), W($rt), [X($rn)]),
            Width::W32 => dynasm!($e.a ; .arch aarch64 ; stlxr W($status), W($rt), [X($rn)]),
            Width::W64 => dynasm!($e.a ; .arch aarch64 ; stlxr W($status), X($rt), [X($rn)]),
        }
    };
}

impl Emitter {
    /// A base register and offset that address `state + offset` with a scaled immediate.
    fn state_addr(&mut self, offset: u32, width: Width) -> (u8, u32) {
        let size = width.bytes();
        if offset.is_multiple_of(size) && offset / size < 4096 {
            (STATE, offset)
        } else {
            dynasm!(self.a ; .arch aarch64 ; add XSP(FAR), XSP(STATE), #offset);
            (FAR, 0)
        }
    }

    /// `reg = zero_extend(mem[base + off])`.
    fn load_at(&mut self, reg: u8, base: u8, off: u32, width: Width) {
        match width {
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; ldrb W(reg), [X(base), #off]),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; ldrh W(reg), [X(base), #off]),
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; ldr W(reg), [X(base), #off]),
            Width::W64 => dynasm!(self.a ; .arch aarch64 ; ldr X(reg), [X(base), #off]),
        }
    }

    /// `mem[base + off] = low width bits of reg`.
    fn store_at(&mut self, reg: u8, base: u8, off: u32, width: Width) {
        match width {
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; strb W(reg), [X(base), #off]),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; strh W(reg), [X(base), #off]),
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; str W(reg), [X(base), #off]),
            Width::W64 => dynasm!(self.a ; .arch aarch64 ; str X(reg), [X(base), #off]),
        }
    }

    pub(super) fn load_state(&mut self, dst: Temp, offset: u32, width: Width) {
        if self.load_state_reg(dst, offset, width) {
            return;
        }
        let d = self.dst(dst, S0);
        let (base, off) = self.state_addr(offset, width);
        self.load_at(d, base, off, width);
        self.finish(dst, d);
    }

    /// A register holding `t` for a store: the zero register for a constant 0.
    fn store_src(&mut self, t: Temp, scratch: u8) -> u8 {
        match self.imm(t) {
            Some(0) => ZR,
            _ => self.src(t, scratch),
        }
    }

    pub(super) fn store_state(&mut self, offset: u32, src: Temp, width: Width) {
        if self.store_state_reg(offset, src, width) {
            return;
        }
        let s = self.store_src(src, S1);
        let (base, off) = self.state_addr(offset, width);
        self.store_at(s, base, off, width);
        self.after_state_store(offset, width);
    }

    /// `reg = zero_extend(mem[address])` (`load`) or `mem[address] = low width bits of reg`.
    fn access(&mut self, load: bool, reg: u8, address: Address, width: Width) {
        match address {
            Address::Offset(base, off) if load => self.load_at(reg, base, off, width),
            Address::Offset(base, off) => self.store_at(reg, base, off, width),
            Address::Indexed(base, index, shift) => {
                self.a.push_u32(fold::register_offset(load, width, reg, base, index, shift))
            }
        }
    }

    pub(super) fn load(&mut self, dst: Temp, addr: Temp, width: Width, order: MemOrder) {
        let d = self.dst(dst, S0);
        if order != MemOrder::SeqCst {
            let address = self.address(addr, S1, S2);
            self.access(true, d, address, width);
            if order != MemOrder::Plain {
                // (The verifier refuses a Release load; were one to get here, acquire is
                // safe.) Any alignment (x86 code loads unaligned words often): a plain load,
                // then a barrier that keeps every later load and store after it.
                dynasm!(self.a ; .arch aarch64 ; dmb ishld);
            }
            self.finish(dst, d);
            return;
        }
        // SeqCst: LDAR, which has no offset.
        let a = self.data_address(addr, S1);
        match width {
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; ldarb W(d), [X(a)]),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; ldarh W(d), [X(a)]),
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; ldar W(d), [X(a)]),
            Width::W64 => dynasm!(self.a ; .arch aarch64 ; ldar X(d), [X(a)]),
        }
        self.finish(dst, d);
    }

    pub(super) fn store(&mut self, addr: Temp, src: Temp, width: Width, order: MemOrder) {
        if order != MemOrder::SeqCst {
            let address = self.address(addr, S1, S3);
            let s = self.store_src(src, S2);
            if order != MemOrder::Plain {
                // (The verifier refuses an Acquire store; were one to get here, release is
                // safe.) Earlier stores stay before it; earlier loads are kept in place by the
                // barrier after each of them (`Acquire`). Any alignment.
                dynasm!(self.a ; .arch aarch64 ; dmb ishst);
            }
            self.access(false, s, address, width);
            return;
        }
        // SeqCst: STLR, which has no offset.
        let a = self.data_address(addr, S1);
        let s = self.store_src(src, S2);
        match width {
            Width::W8 => dynasm!(self.a ; .arch aarch64 ; stlrb W(s), [X(a)]),
            Width::W16 => dynasm!(self.a ; .arch aarch64 ; stlrh W(s), [X(a)]),
            Width::W32 => dynasm!(self.a ; .arch aarch64 ; stlr W(s), [X(a)]),
            Width::W64 => dynasm!(self.a ; .arch aarch64 ; stlr X(s), [X(a)]),
        }
    }

    /// `Op::ProbeWrite`.
    pub(super) fn probe_write(&mut self, addr: Temp, len: u8) {
        let a = self.data_address(addr, S1);
        self.probe_write_at(a, len);
    }

    /// When `a .. a + len` crosses a 4 KiB boundary, an exclusive rewrite of the byte at `a`
    /// (the atomic OR of zero of `Op::ProbeWrite`: it loses no other thread's store), then of
    /// the next page's first byte; on the fast path an `and`, a compare and a branch. Uses
    /// S0, S2 and S3; `a` is left as it was.
    pub(super) fn probe_write_at(&mut self, a: u8, len: u8) {
        let (limit, last) = (0x1000 - len as u32, len as u32 - 1);
        let page: u64 = !0xfff;
        dynasm!(self.a ; .arch aarch64
            ; and XSP(S0), X(a), #0xfff
            ; cmp XSP(S0), #limit
            ; b.ls >done
            ; first:
            ; ldxrb W(S2), [X(a)]
            ; stxrb W(S3), W(S2), [X(a)]
            ; cbnz W(S3), <first
            ; add XSP(S0), XSP(a), #last
            ; and XSP(S0), X(S0), #page
            ; second:
            ; ldxrb W(S2), [X(S0)]
            ; stxrb W(S3), W(S2), [X(S0)]
            ; cbnz W(S3), <second
            ; done:
        );
    }

    pub(super) fn atomic_rmw(&mut self, op: RmwOp, dst: Temp, addr: Temp, src: Temp, width: Width) {
        let d = self.dst(dst, S0);
        let a = self.data_address(addr, S1);
        // The operand, extended for the comparisons of min/max.
        let v = match op {
            RmwOp::SMax | RmwOp::SMin => self.src_sext(src, width, S2),
            _ => self.src_zext(src, width, S2),
        };
        self.branch_if_unaligned(a, width);
        dynasm!(self.a ; .arch aarch64 ; retry:);
        ldaxr!(self, width, d, a);
        match op {
            RmwOp::Xchg => dynasm!(self.a ; .arch aarch64 ; mov X(S3), X(v)),
            RmwOp::Add => dynasm!(self.a ; .arch aarch64 ; add X(S3), X(d), X(v)),
            RmwOp::And => dynasm!(self.a ; .arch aarch64 ; and X(S3), X(d), X(v)),
            RmwOp::Or => dynasm!(self.a ; .arch aarch64 ; orr X(S3), X(d), X(v)),
            RmwOp::Xor => dynasm!(self.a ; .arch aarch64 ; eor X(S3), X(d), X(v)),
            RmwOp::AndNot => dynasm!(self.a ; .arch aarch64 ; bic X(S3), X(d), X(v)),
            RmwOp::UMax | RmwOp::UMin => {
                // Both are zero-extended: a 64-bit unsigned compare is right for every width.
                dynasm!(self.a ; .arch aarch64 ; cmp X(d), X(v));
                if op == RmwOp::UMax {
                    dynasm!(self.a ; .arch aarch64 ; csel X(S3), X(d), X(v), hs);
                } else {
                    dynasm!(self.a ; .arch aarch64 ; csel X(S3), X(d), X(v), ls);
                }
            }
            RmwOp::SMax | RmwOp::SMin => {
                // Compare the sign-extended old value with the sign-extended operand.
                match width {
                    Width::W8 => dynasm!(self.a ; .arch aarch64 ; sxtb X(S4), W(d)),
                    Width::W16 => dynasm!(self.a ; .arch aarch64 ; sxth X(S4), W(d)),
                    Width::W32 => dynasm!(self.a ; .arch aarch64 ; sxtw X(S4), W(d)),
                    Width::W64 => dynasm!(self.a ; .arch aarch64 ; mov X(S4), X(d)),
                }
                dynasm!(self.a ; .arch aarch64 ; cmp X(S4), X(v));
                if op == RmwOp::SMax {
                    dynasm!(self.a ; .arch aarch64 ; csel X(S3), X(d), X(v), ge);
                } else {
                    dynasm!(self.a ; .arch aarch64 ; csel X(S3), X(d), X(v), le);
                }
            }
        }
        stlxr!(self, width, S4, S3, a);
        dynasm!(self.a ; .arch aarch64 ; cbnz W(S4), <retry);
        if width != Width::W8 {
            let kind = unaligned::rmw_kind(op, width);
            dynasm!(self.a ; .arch aarch64 ; b >done ; unaligned:);
            self.call_unaligned(unaligned::rmw as *const () as usize, &[a, v], kind, d);
            dynasm!(self.a ; .arch aarch64 ; done:);
        }
        dynasm!(self.a ; .arch aarch64 ; dmb ish);
        self.finish(dst, d);
    }

    pub(super) fn compare_exchange(
        &mut self,
        dst: Temp,
        addr: Temp,
        expected: Temp,
        new: Temp,
        width: Width,
    ) {
        let d = self.dst(dst, S0);
        let a = self.data_address(addr, S1);
        let e = self.src_zext(expected, width, S2);
        let n = self.src(new, S3);
        self.branch_if_unaligned(a, width);
        dynasm!(self.a ; .arch aarch64 ; retry:);
        ldaxr!(self, width, d, a);
        dynasm!(self.a ; .arch aarch64 ; cmp X(d), X(e) ; b.ne >fail);
        stlxr!(self, width, S4, n, a);
        dynasm!(self.a ; .arch aarch64
            ; cbnz W(S4), <retry
            ; b >done
            ; fail:
            ; clrex
            ; b >done);
        if width != Width::W8 {
            dynasm!(self.a ; .arch aarch64 ; unaligned:);
            self.call_unaligned(
                unaligned::compare_exchange as *const () as usize,
                &[a, e, n],
                width.bytes() as u64,
                d,
            );
        }
        dynasm!(self.a ; .arch aarch64 ; done: ; dmb ish);
        self.finish(dst, d);
    }

    /// Branches to the local label `unaligned` if `addr` is not aligned to `width` (exclusives
    /// fault on such addresses; x86 atomics allow them). Bytes are always aligned.
    fn branch_if_unaligned(&mut self, addr: u8, width: Width) {
        if width != Width::W8 {
            let low_bits = width.bytes() as u64 - 1;
            dynasm!(self.a ; .arch aarch64 ; tst X(addr), #low_bits ; b.ne >unaligned);
        }
    }

    /// Calls the Rust function at `func` with `regs` then `last` as its arguments (x0, x1, ...)
    /// and puts its result in `d`. The sources are in x9-x13 or x19-x27, never argument
    /// registers, so loading the arguments in order cannot overwrite one of them.
    fn call_unaligned(&mut self, func: usize, regs: &[u8], last: u64, d: u8) {
        // All of them: the function accesses guest memory, and a fault in it leaves through
        // the helper fault exit with the state as stored here.
        self.save_state_regs(true);
        for (i, &r) in regs.iter().enumerate() {
            dynasm!(self.a ; .arch aarch64 ; mov X(i as u8), X(r));
        }
        self.mov_imm(regs.len() as u8, last);
        self.mov_imm(FAR, func as u64);
        dynasm!(self.a ; .arch aarch64 ; blr X(FAR) ; mov X(d), x0);
        self.restore_state_regs(true);
    }

    /// Calls `func(state, args...)` with the AAPCS64: x0 = state, x1-x4 = arguments.
    pub(super) fn call_helper(&mut self, dst: Option<Temp>, func: usize, args: &[Temp]) {
        // The helper may read and write the state: its register fields go there first.
        self.save_state_regs(true);
        // Temporaries live in callee-saved registers or spill slots, so loading the argument
        // registers cannot overwrite another argument's source.
        for i in 0..4 {
            let reg = i as u8 + 1;
            match args.get(i) {
                Some(&t) => {
                    let r = self.src(t, reg);
                    if r != reg {
                        dynasm!(self.a ; .arch aarch64 ; mov X(reg), X(r));
                    }
                }
                None => dynasm!(self.a ; .arch aarch64 ; mov X(reg), xzr),
            }
        }
        dynasm!(self.a ; .arch aarch64 ; mov x0, X(STATE));
        self.mov_imm(FAR, func as u64);
        dynasm!(self.a ; .arch aarch64 ; blr X(FAR));
        if let Some(t) = dst {
            let d = self.dst(t, 0);
            if d != 0 {
                dynasm!(self.a ; .arch aarch64 ; mov X(d), x0);
            }
            self.finish(t, d);
        }
        self.restore_state_regs(true);
    }
}
