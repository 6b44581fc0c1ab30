//! The initial process stack, laid out as Linux's `execve` builds it (fs/exec.c copies the
//! strings, fs/binfmt_elf.c `create_elf_tables` writes the rest). From the top down:
//!
//! ```text
//!   stack top ->  8 zero bytes (end marker)
//!                 execfn string (AT_EXECFN points here)
//!                 envp strings  (envp[0] lowest)
//!                 argv strings  (argv[0] lowest)
//!                 -- aligned down to 16 --
//!                 platform string (AT_PLATFORM points here)
//!                 16 random bytes (AT_RANDOM points here)
//!                 padding so that sp is 16-byte aligned
//!   sp ->         argc, argv[0..argc], NULL, envp[0..envc], NULL, auxv pairs..., AT_NULL 0
//! ```
//!
//! Linux also subtracts a random amount below 8 KiB before aligning (stack randomization);
//! xlate does not, like a kernel with randomization off. There is no vDSO, so no
//! AT_SYSINFO_EHDR; the rseq entries of kernel 6.3+ are left out (libc then does not use
//! rseq).
//!
//! [`build`] is pure: it computes the bytes and the final stack pointer for a given top
//! address; the loader copies them into the guest stack mapping.

/// Auxiliary vector keys (include/uapi/linux/auxvec.h).
pub mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const PLATFORM: u64 = 15;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const HWCAP2: u64 = 26;
    pub const EXECFN: u64 = 31;
    pub const MINSIGSTKSZ: u64 = 51;
}

/// An auxv value: a number, or the address of one of the blocks `build` places on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuxValue {
    Value(u64),
    /// Address of the execfn string.
    ExecFn,
    /// Address of the platform string.
    Platform,
    /// Address of the 16 random bytes.
    Random,
}

/// Everything that goes on the initial stack.
pub struct StackContents<'a> {
    pub argv: &'a [&'a [u8]],
    pub envp: &'a [&'a [u8]],
    pub execfn: &'a [u8],
    /// AT_PLATFORM string (without NUL), if the architecture has one.
    pub platform: Option<&'a [u8]>,
    pub random: [u8; 16],
    /// auxv entries in order, without the final AT_NULL.
    pub auxv: &'a [(u64, AuxValue)],
}

/// The built stack: `bytes` go at `[sp, top)`.
pub struct BuiltStack {
    pub sp: u64,
    pub bytes: Vec<u8>,
    /// The auxv as written (resolved addresses), including the final AT_NULL pair.
    pub auxv: Vec<(u64, u64)>,
}

type Blocks = Vec<(u64, Vec<u8>)>;

/// Places the NUL-terminated `s` just below `*p`; returns its address.
fn push_str(p: &mut u64, s: &[u8], blocks: &mut Blocks) -> Option<u64> {
    *p = p.checked_sub(s.len() as u64 + 1)?;
    let mut v = s.to_vec();
    v.push(0);
    blocks.push((*p, v));
    Some(*p)
}

/// Places the NUL-terminated strings of `list` contiguously just below `*p`, the first one
/// lowest (as Linux copies them); returns their addresses.
fn string_list(p: &mut u64, list: &[&[u8]], blocks: &mut Blocks) -> Option<Vec<u64>> {
    let total: u64 = list.iter().map(|s| s.len() as u64 + 1).sum();
    *p = p.checked_sub(total)?;
    let mut at = *p;
    let mut addrs = Vec::with_capacity(list.len());
    for s in list {
        let mut v = s.to_vec();
        v.push(0);
        addrs.push(at);
        blocks.push((at, v));
        at += s.len() as u64 + 1;
    }
    Some(addrs)
}

/// Lays out the stack below `top` (16-byte aligned). Returns `None` if the addresses would
/// wrap (only for absurd `top` values).
pub fn build(top: u64, c: &StackContents) -> Option<BuiltStack> {
    // Work downwards from `top`, writing into a buffer indexed by `addr - low`. The total
    // size is known only at the end, so place blocks in a list first.
    let mut blocks = Blocks::new();
    let mut p = top.checked_sub(8)?; // end marker: zeros
    let execfn_addr = push_str(&mut p, c.execfn, &mut blocks)?;
    let env_addrs = string_list(&mut p, c.envp, &mut blocks)?;
    let arg_addrs = string_list(&mut p, c.argv, &mut blocks)?;
    p &= !15;
    let platform_addr = match c.platform {
        Some(s) => Some(push_str(&mut p, s, &mut blocks)?),
        None => None,
    };
    p = p.checked_sub(16)?;
    let random_addr = p;
    blocks.push((p, c.random.to_vec()));

    let mut auxv: Vec<(u64, u64)> = c
        .auxv
        .iter()
        .map(|&(key, v)| {
            let value = match v {
                AuxValue::Value(x) => x,
                AuxValue::ExecFn => execfn_addr,
                AuxValue::Platform => platform_addr.unwrap_or(0),
                AuxValue::Random => random_addr,
            };
            (key, value)
        })
        .collect();
    auxv.push((at::NULL, 0));
    let words = 1 + (c.argv.len() + 1) + (c.envp.len() + 1) + 2 * auxv.len();
    let sp = p.checked_sub(8 * words as u64)? & !15;

    let mut table: Vec<u64> = Vec::with_capacity(words);
    table.push(c.argv.len() as u64);
    table.extend(&arg_addrs);
    table.push(0);
    table.extend(&env_addrs);
    table.push(0);
    for &(k, v) in &auxv {
        table.extend([k, v]);
    }
    let mut bytes = vec![0u8; (top - sp) as usize];
    for (i, w) in table.iter().enumerate() {
        let at = i * 8;
        bytes[at..at + 8].copy_from_slice(&w.to_le_bytes());
    }
    for (addr, data) in blocks {
        let at = (addr - sp) as usize;
        bytes[at..at + data.len()].copy_from_slice(&data);
    }
    Some(BuiltStack { sp, bytes, auxv })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(b: &BuiltStack, addr: u64) -> u64 {
        let at = (addr - b.sp) as usize;
        u64::from_le_bytes(b.bytes[at..at + 8].try_into().unwrap())
    }
    fn cstr(b: &BuiltStack, addr: u64) -> Vec<u8> {
        let at = (addr - b.sp) as usize;
        b.bytes[at..].split(|&c| c == 0).next().unwrap().to_vec()
    }

    #[test]
    fn layout_matches_linux() {
        let top = 0x7fff_0000_0000;
        for (argv, envp, platform) in [
            (vec![&b"./prog"[..], b"a", b"bc"], vec![&b"X=1"[..], b"HOME=/root"], Some(&b"x86_64"[..])),
            (vec![&b"p"[..]], vec![], Some(&b"aarch64"[..])),
            (vec![&b"p2"[..], b""], vec![&b"A="[..]], None),
        ] {
            let auxv = [
                (at::PAGESZ, AuxValue::Value(4096)),
                (at::RANDOM, AuxValue::Random),
                (at::EXECFN, AuxValue::ExecFn),
                (at::PLATFORM, AuxValue::Platform),
            ];
            let c = StackContents {
                argv: &argv,
                envp: &envp,
                execfn: b"./prog",
                platform,
                random: [7; 16],
                auxv: &auxv,
            };
            let b = build(top, &c).unwrap();
            assert_eq!(b.sp % 16, 0);
            assert_eq!(b.bytes.len() as u64, top - b.sp);
            assert_eq!(word(&b, b.sp), argv.len() as u64);
            let mut a = b.sp + 8;
            let mut prev_end = None;
            for s in &argv {
                let p = word(&b, a);
                assert_eq!(&cstr(&b, p), s);
                if let Some(e) = prev_end {
                    assert_eq!(p, e, "argv strings are contiguous");
                }
                prev_end = Some(p + s.len() as u64 + 1);
                a += 8;
            }
            assert_eq!(word(&b, a), 0);
            a += 8;
            for s in &envp {
                assert_eq!(&cstr(&b, word(&b, a)), s);
                a += 8;
            }
            assert_eq!(word(&b, a), 0);
            a += 8;
            let got: Vec<(u64, u64)> =
                (0..5).map(|i| (word(&b, a + 16 * i), word(&b, a + 16 * i + 8))).collect();
            assert_eq!(got, b.auxv);
            assert_eq!(got[0], (at::PAGESZ, 4096));
            let random = got[1].1;
            assert_eq!(&b.bytes[(random - b.sp) as usize..][..16], &[7; 16]);
            assert!(random >= a + 5 * 16, "random bytes above the auxv");
            assert_eq!(cstr(&b, got[2].1), b"./prog");
            assert_eq!(got[2].1, top - 8 - 7, "execfn right below the end marker");
            match platform {
                Some(p) => assert_eq!(&cstr(&b, got[3].1), p),
                None => assert_eq!(got[3].1, 0),
            }
            assert_eq!(got[4], (at::NULL, 0));
            assert_eq!(word(&b, top - 8), 0);
        }
    }
}
