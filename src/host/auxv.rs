//! What the kernel told this process in its auxiliary vector about how it was started.

/// AT_FLAGS bit set by binfmt_misc when the entry that started this process has the `P`
/// (preserve-argv[0]) flag: argv is then `[interpreter, full path of the program, the
/// program's own argv[0], its other arguments...]` (linux/include/uapi/linux/binfmts.h,
/// `AT_FLAGS_PRESERVE_ARGV0`, Linux 5.12 and later).
const AT_FLAGS_PRESERVE_ARGV0: u64 = 1;

/// Whether binfmt_misc started this process through an entry with the `P` flag.
pub fn started_by_binfmt_preserving_argv0() -> bool {
    // SAFETY: getauxval only reads the auxiliary vector the kernel placed at process start;
    // it has no preconditions (an absent entry gives 0).
    let flags = unsafe { libc::getauxval(libc::AT_FLAGS) };
    flags & AT_FLAGS_PRESERVE_ARGV0 != 0
}
