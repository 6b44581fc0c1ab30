//! SysV IPC control calls whose struct differs between the ABIs: semctl's `struct
//! semid64_ds` is 104 bytes on x86-64 (a padding word after each of `sem_otime` and
//! `sem_ctime`, arch/x86/include/uapi/asm/sembuf.h) and 88 in asm-generic; msqid64_ds,
//! shmid64_ds and the info structs agree (`abi::pointers::ipc_ctl_output`).

use super::memory::{read_bytes, write_bytes};
use super::{err, forward, host, Action, Ctx, Sysno};

const IPC_SET: u64 = 1;
const IPC_STAT: u64 = 2;
const GETALL: u64 = 13;
const SETALL: u64 = 17;
const SEM_STAT: u64 = 18;
const SEM_STAT_ANY: u64 = 20;

/// The size of `struct semid64_ds` in an ABI (`padded`: x86-64's).
fn semid_size(padded: bool) -> usize {
    if padded {
        104
    } else {
        88
    }
}

/// Byte offsets of sem_otime, sem_ctime, sem_nsems in an ABI's `struct semid64_ds` (after
/// the 48-byte ipc64_perm, the same in both).
fn semid_fields(padded: bool) -> [usize; 3] {
    if padded {
        [48, 64, 80]
    } else {
        [48, 56, 64]
    }
}

/// `struct semid64_ds` from one ABI's layout to the other's (the permission block and the
/// three fields; the unused words are zero).
fn semid_convert(from_padded: bool, b: &[u8], to_padded: bool) -> Vec<u8> {
    let mut out = vec![0u8; semid_size(to_padded)];
    out[..48].copy_from_slice(&b[..48]);
    for (f, t) in semid_fields(from_padded).into_iter().zip(semid_fields(to_padded)) {
        out[t..t + 8].copy_from_slice(&b[f..f + 8]);
    }
    out
}

/// semctl(semid, semnum, cmd, arg): IPC_STAT, SEM_STAT, SEM_STAT_ANY and IPC_SET through a
/// host-layout buffer when the guest's `struct semid64_ds` is not the host's; everything else
/// (and every command when the layouts agree) forwarded. The buffer is checked (EFAULT) and,
/// for a command that writes it, made writable for the kernel first, at the guest's own size.
pub(crate) fn semctl(cx: &mut Ctx, a: [u64; 6]) -> Action {
    let cmd = a[2] & !0x100;
    let guest = cx.abi.semid_ds_padded;
    let host_layout = host::HOST.semid_ds_padded;
    let writes = matches!(cmd, IPC_STAT | SEM_STAT | SEM_STAT_ANY);
    if matches!(cmd, GETALL | SETALL) && a[3] != 0 {
        return semctl_all(cx, a, cmd == GETALL);
    }
    if !(writes || cmd == IPC_SET) || a[3] == 0 {
        return Action::Ret(forward(cx, Sysno::semctl, a));
    }
    let size = semid_size(guest) as u64;
    if !cx.mem.is_accessible(a[3], size, writes) {
        return err(libc::EFAULT);
    }
    if guest == host_layout {
        if writes {
            cx.mem.prepare_kernel_write(a[3], size);
        }
        return Action::Ret(forward(cx, Sysno::semctl, a));
    }
    let mut buf = if cmd == IPC_SET {
        match read_bytes(&*cx.mem, a[3], size as usize) {
            Ok(b) => semid_convert(guest, &b, host_layout),
            Err(e) => return err(e),
        }
    } else {
        vec![0u8; semid_size(host_layout)]
    };
    let r = host::call(Sysno::semctl, [a[0], a[1], a[2], buf.as_mut_ptr() as u64, 0, 0]);
    if r >= 0 && writes {
        if let Err(e) = write_bytes(&*cx.mem, a[3], &semid_convert(host_layout, &buf, guest)) {
            return err(e);
        }
    }
    Action::Ret(r)
}

/// semctl GETALL (`write`) and SETALL: an array of one `unsigned short` per semaphore, as
/// many as the set has, which the call does not say: IPC_STAT of the set tells, then the
/// array is checked (EFAULT) and, for GETALL, made writable for the kernel. Where IPC_STAT
/// fails, its error is the answer (it differs from Linux only for a caller that may alter
/// the set but not read it, SETALL's EACCES).
fn semctl_all(cx: &mut Ctx, a: [u64; 6], write: bool) -> Action {
    let host_layout = host::HOST.semid_ds_padded;
    let mut buf = vec![0u8; semid_size(host_layout)];
    let r = host::call(Sysno::semctl, [a[0], 0, IPC_STAT, buf.as_mut_ptr() as u64, 0, 0]);
    if r < 0 {
        return Action::Ret(r);
    }
    let at = semid_fields(host_layout)[2];
    let nsems = u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
    let len = nsems.saturating_mul(2);
    if !cx.mem.is_accessible(a[3], len, write) {
        return err(libc::EFAULT);
    }
    if write {
        cx.mem.prepare_kernel_write(a[3], len);
    }
    Action::Ret(forward(cx, Sysno::semctl, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semid_ds_converts_both_ways() {
        let mut generic = vec![0u8; 88];
        for (i, b) in generic.iter_mut().enumerate().take(72) {
            *b = i as u8 + 1;
        }
        let x86 = semid_convert(false, &generic, true);
        assert_eq!(x86.len(), 104);
        assert_eq!(x86[..48], generic[..48]);
        assert_eq!(x86[48..56], generic[48..56], "sem_otime");
        assert_eq!(x86[56..64], [0; 8]);
        assert_eq!(x86[64..72], generic[56..64], "sem_ctime");
        assert_eq!(x86[80..88], generic[64..72], "sem_nsems");
        assert_eq!(semid_convert(true, &x86, false)[..72], generic[..72]);
    }
}
