//! The stopped guest as the gdbstub crate sees it (its `Target`): registers through the
//! guest's gdb register file, memory through the guest mapping table, breakpoints as a set of
//! addresses kept here (guest memory is never written for them), and how gdb resumes.

use crate::guest::LinuxGuest;
use crate::memory::GuestMemory;
use gdbstub::common::Signal;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadResume, SingleThreadResumeOps, SingleThreadSingleStep,
    SingleThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{Breakpoints, BreakpointsOps, SwBreakpoint, SwBreakpointOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use std::collections::BTreeSet;

/// How the guest runs once gdb lets it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Resume {
    /// Until a breakpoint or the end.
    Continue,
    /// One instruction.
    Step,
}

/// The debugged guest while it is stopped: the state and guest memory are moved in for the
/// stop (the gdbstub state machine outlives any borrow of them) and moved back before the
/// guest runs again.
pub struct Session<G: LinuxGuest> {
    pub state: G::State,
    pub memory: GuestMemory,
    pub breakpoints: BTreeSet<u64>,
    /// Set by gdb's continue or step; taken when the guest runs again.
    pub resume: Option<Resume>,
    /// gdb wrote guest memory during this stop (translations of it must go).
    pub wrote_memory: bool,
}

impl<G: LinuxGuest> Session<G> {
    pub fn new() -> Self {
        Session {
            state: G::State::default(),
            memory: GuestMemory::new(),
            breakpoints: BTreeSet::new(),
            resume: None,
            wrote_memory: false,
        }
    }
}

impl<G: LinuxGuest> Target for Session<G> {
    type Arch = G::GdbArch;
    type Error = String;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }
}

impl<G: LinuxGuest> SingleThreadBase for Session<G> {
    fn read_registers(&mut self, regs: &mut crate::guest::GdbRegisters<G>) -> TargetResult<(), Self> {
        *regs = G::gdb_registers(&self.state);
        Ok(())
    }

    fn write_registers(&mut self, regs: &crate::guest::GdbRegisters<G>) -> TargetResult<(), Self> {
        G::set_gdb_registers(&mut self.state, regs);
        Ok(())
    }

    /// Reads as much of the range as is guest memory the guest may read, from its start; an
    /// error if not even the first byte is.
    fn read_addrs(&mut self, start: u64, data: &mut [u8]) -> TargetResult<usize, Self> {
        if self.memory.read_bytes(start, data).is_ok() {
            return Ok(data.len());
        }
        let mut done = 0;
        while done < data.len() {
            let addr = start.checked_add(done as u64).ok_or(TargetError::Errno(libc::EFAULT as u8))?;
            if self.memory.read_bytes(addr, &mut data[done..done + 1]).is_err() {
                break;
            }
            done += 1;
        }
        if done == 0 {
            return Err(TargetError::Errno(libc::EFAULT as u8));
        }
        Ok(done)
    }

    /// Writes where the guest itself may write (not its code, for example); an error
    /// otherwise, with nothing written.
    fn write_addrs(&mut self, start: u64, data: &[u8]) -> TargetResult<(), Self> {
        self.memory.write_bytes(start, data).map_err(|errno| TargetError::Errno(errno as u8))?;
        self.wrote_memory = true;
        Ok(())
    }

    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl<G: LinuxGuest> SingleThreadResume for Session<G> {
    /// Continues; a signal gdb passes is not delivered (the stub only stops on breakpoints
    /// and steps, never on a guest signal).
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.resume = Some(Resume::Continue);
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl<G: LinuxGuest> SingleThreadSingleStep for Session<G> {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), Self::Error> {
        self.resume = Some(Resume::Step);
        Ok(())
    }
}

impl<G: LinuxGuest> Breakpoints for Session<G> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
}

impl<G: LinuxGuest> SwBreakpoint for Session<G> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.breakpoints.insert(addr);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.breakpoints.remove(&addr))
    }
}
