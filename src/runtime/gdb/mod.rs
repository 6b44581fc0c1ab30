//! `-g PORT`: a gdb remote stub for the guest (the gdbstub crate speaks the protocol).
//!
//! xlate waits for gdb on TCP 127.0.0.1:PORT before the guest's first instruction. From then
//! on the dispatcher runs the guest one instruction per block, with chaining and the jump
//! table off ([`super::dispatcher::Dispatcher::set_debugged`]), and asks
//! [`GdbStub::before_insn`] before each one: the stub stops there for a breakpoint (a set of
//! addresses kept here; guest memory is never patched) or after a single step, and then
//! serves gdb's requests until gdb resumes. Everything still runs as translated code; nothing
//! of the guest runs natively. The guest's end is reported to gdb (exit status or signal).
//!
//! One thread only: a child the guest forks runs on undebugged (it holds the connection, but
//! never stops).

mod target;

use super::dispatcher::{DebugAction, Outcome};
use crate::guest::LinuxGuest;
use crate::memory::GuestMemory;
use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, SingleThreadStopReason};
use std::net::{TcpListener, TcpStream};
use target::{Resume, Session};

/// The protocol's state between stops.
type Machine<G> = GdbStubStateMachine<'static, Session<G>, TcpStream>;

/// A gdb connection to the guest of type `G`.
pub struct GdbStub<G: LinuxGuest> {
    /// `None` only while a stop is being served, or once gdb is gone.
    machine: Option<Machine<G>>,
    session: Session<G>,
    /// Stop before the next instruction whatever it is (the first one).
    stop_first: bool,
    resume: Resume,
    /// gdb went away (detach, or a broken connection): the guest runs on.
    detached: bool,
    /// The process gdb debugs; a child the guest forks is not it.
    pid: u32,
}

impl<G: LinuxGuest> GdbStub<G> {
    /// Listens on 127.0.0.1:`port` (0: a free port) and waits for gdb to connect. Says on
    /// stderr where it waits.
    pub fn wait_for_gdb(port: u16) -> Result<Self, String> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("-g {port}: cannot listen on 127.0.0.1:{port}: {e}"))?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        eprintln!("xlate: waiting for gdb on 127.0.0.1:{port}");
        let (stream, _) = listener.accept().map_err(|e| format!("-g {port}: no gdb connection: {e}"))?;
        // Packets are small and each waits for its answer.
        let _ = stream.set_nodelay(true);
        let mut session = Session::new();
        let machine = gdbstub::stub::GdbStub::new(stream)
            .run_state_machine(&mut session)
            .map_err(|e| format!("-g {port}: cannot start the gdb protocol: {e}"))?;
        Ok(GdbStub {
            machine: Some(machine),
            session,
            stop_first: true,
            resume: Resume::Continue,
            detached: false,
            pid: std::process::id(),
        })
    }

    /// Before the guest instruction at the state's PC: stops there if gdb asked to (a
    /// breakpoint, a finished step, the first instruction) and serves gdb until it resumes.
    /// The instruction it stopped at then runs without a second look (so that continuing
    /// from a breakpoint leaves it).
    pub fn before_insn(&mut self, state: &mut G::State, memory: &mut GuestMemory) -> DebugAction {
        if self.detached {
            return DebugAction::Run;
        }
        let reason = if self.stop_first {
            // gdb asks why the guest stopped itself ('?') when it connects.
            self.stop_first = false;
            None
        } else if self.resume == Resume::Step {
            Some(SingleThreadStopReason::DoneStep)
        } else if self.session.breakpoints.contains(&G::pc(state).0) {
            Some(SingleThreadStopReason::SwBreak(()))
        } else {
            return DebugAction::Run;
        };
        if std::process::id() != self.pid {
            self.detached = true;
            return DebugAction::Run;
        }
        std::mem::swap(&mut self.session.state, state);
        std::mem::swap(&mut self.session.memory, memory);
        let action = match self.serve(reason) {
            Ok(action) => action,
            Err(e) => {
                eprintln!("xlate: gdb connection lost ({e}); the guest runs on");
                self.detached = true;
                DebugAction::Run
            }
        };
        std::mem::swap(&mut self.session.state, state);
        std::mem::swap(&mut self.session.memory, memory);
        if std::mem::take(&mut self.session.wrote_memory) && action == DebugAction::Run {
            return DebugAction::RunChangedCode;
        }
        action
    }

    /// Reports the stop to gdb (if there is one to report), then answers gdb until it resumes
    /// the guest, detaches or kills it.
    fn serve(&mut self, reason: Option<SingleThreadStopReason<u64>>) -> Result<DebugAction, String> {
        let mut machine = self.machine.take().ok_or("no gdb protocol state")?;
        if let Some(reason) = reason {
            machine = match machine {
                GdbStubStateMachine::Running(running) => {
                    running.report_stop(&mut self.session, reason).map_err(|e| e.to_string())?
                }
                other => other,
            };
        }
        loop {
            machine = match machine {
                GdbStubStateMachine::Idle(mut idle) => {
                    let byte = idle.borrow_conn().read().map_err(|e| e.to_string())?;
                    idle.incoming_data(&mut self.session, byte).map_err(|e| e.to_string())?
                }
                GdbStubStateMachine::Running(running) => {
                    self.machine = Some(GdbStubStateMachine::Running(running));
                    self.resume = self.session.resume.take().unwrap_or(Resume::Continue);
                    return Ok(DebugAction::Run);
                }
                GdbStubStateMachine::CtrlCInterrupt(interrupt) => {
                    // Only seen while stopped: the guest is stopped already.
                    let stop = Some(SingleThreadStopReason::Signal(Signal::SIGINT));
                    interrupt.interrupt_handled(&mut self.session, stop).map_err(|e| e.to_string())?
                }
                GdbStubStateMachine::Disconnected(gone) => {
                    self.detached = true;
                    return Ok(match gone.get_reason() {
                        DisconnectReason::Kill => DebugAction::End(Outcome::Signal(libc::SIGKILL)),
                        _ => DebugAction::Run,
                    });
                }
            };
        }
    }

    /// The guest ended: tells gdb how (W or X packet).
    pub fn guest_ended(&mut self, outcome: Outcome) {
        if self.detached || std::process::id() != self.pid {
            return;
        }
        let Some(GdbStubStateMachine::Running(running)) = self.machine.take() else {
            return;
        };
        let reason = match outcome {
            Outcome::Exit(status) => SingleThreadStopReason::Exited(status as u8),
            Outcome::Signal(sig) => SingleThreadStopReason::Terminated(Signal(sig as u8)),
            // Only the debugged thread ended; the process goes on with the others.
            Outcome::ThreadExit(_) => return,
        };
        if let Err(e) = running.report_stop(&mut self.session, reason) {
            eprintln!("xlate: cannot tell gdb that the guest ended: {e}");
        }
    }
}
