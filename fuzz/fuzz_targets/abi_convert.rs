//! The syscall layer's struct and flag converters between the x86-64 and the asm-generic
//! (AArch64) ABIs on arbitrary bytes: `struct stat` in either layout converts to the other
//! and back without losing what both can hold (or fails with EOVERFLOW where the kernel
//! would), packed and unpacked `epoll_event`s round-trip, and open flags re-encode reversibly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlate::syscall::convert::*;

fuzz_target!(|data: &[u8]| {
    let mut buf = [0u8; 160];
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);

    // struct stat: x86-64 -> canonical -> generic -> canonical.
    let x86: X86Stat = from_bytes(&buf);
    let canon = Stat::from(x86);
    match canon.to_layout(StatLayout::Generic) {
        Ok(bytes) => {
            assert_eq!(bytes.len(), 128);
            let back = Stat::from(from_bytes::<GenericStat>(&bytes));
            assert_eq!(back, canon, "generic stat lost information it can hold");
        }
        Err(e) => {
            assert_eq!(e, 75, "EOVERFLOW");
            assert!(canon.nlink > u32::MAX as u64 || i32::try_from(canon.blksize).is_err());
        }
    }
    // generic -> canonical -> x86-64 -> canonical: x86-64's fields are all wider.
    let generic: GenericStat = from_bytes(&buf);
    let canon = Stat::from(generic);
    let bytes = canon.to_layout(StatLayout::X86_64).expect("x86-64 stat holds every generic one");
    assert_eq!(bytes.len(), 144);
    assert_eq!(Stat::from(from_bytes::<X86Stat>(&bytes)), canon);

    // epoll_event: packed (x86-64) and natural (generic) layouts.
    for packed in [true, false] {
        let size = epoll_event_size(packed);
        let (events, udata) = epoll_event_read(packed, &buf[..size]);
        let again = epoll_event_bytes(packed, events, udata);
        assert_eq!(again.len(), size);
        assert_eq!(epoll_event_read(packed, &again), (events, udata));
    }

    // open flags: each ABI's four moving bits map one to one.
    let flags = u64::from_le_bytes(buf[..8].try_into().unwrap()) & 0xffff_ffff;
    for (a, b) in
        [(OpenFlagBits::X86_64, OpenFlagBits::AARCH64), (OpenFlagBits::AARCH64, OpenFlagBits::X86_64)]
    {
        let there = a.convert(&b, flags);
        assert_eq!(b.convert(&a, there), flags, "open flags {flags:#o} do not round-trip");
    }
});
