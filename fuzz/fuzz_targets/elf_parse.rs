//! The ELF loader on arbitrary files: `loader::parse` never panics, and `loader::load` of the
//! same bytes either fails with a one-line message free of control characters or maps the
//! program and builds its stack inside the guest mappings it made (which are then unmapped:
//! guest mappings are claimed with MAP_FIXED_NOREPLACE, so a hostile address cannot replace
//! the fuzzer's own memory).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::ffi::OsString;
use std::io::Write;
use xlate::loader;
use xlate::memory::GuestMemory;

fuzz_target!(|data: &[u8]| {
    let parsed = loader::parse(data);
    if let Ok(image) = &parsed {
        for s in &image.segments {
            assert!(s.memsz > 0, "parse keeps only segments with a size");
        }
    }

    // load() reads a path: give it the bytes through a private temporary file.
    let path = std::env::temp_dir().join(format!("xlate-fuzz-elf-{}", std::process::id()));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).expect("temporary file");
    let mut memory = GuestMemory::new();
    memory.set_unmap_on_drop(true);
    let args = [OsString::from("fuzz")];
    let env = [OsString::from("A=1")];
    match loader::load(&path, &args, &env, &mut memory, |_| (0, 0)) {
        Ok(program) => {
            assert!(parsed.is_ok(), "load accepted what parse refused");
            assert_eq!(program.stack_pointer % 16, 0, "the initial stack is 16-byte aligned");
            assert!(memory.is_guest(program.stack_pointer, program.stack_pointer + 8));
            assert!(program.stack.contains(&program.stack_pointer));
        }
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "one line: {line:?}");
            assert!(!line.chars().any(|c| c.is_control()), "escaped: {line:?}");
        }
    }
});
