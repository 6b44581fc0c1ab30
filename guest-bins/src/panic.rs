//! Rust panics: caught by catch_unwind with Drop running during unwinding (default), not
//! caught at all ("uncaught": the panic message on stderr, exit status 101), and raised in a
//! spawned thread and seen by join ("thread").
use std::cell::Cell;
use std::panic;

thread_local! {
    static DROPS: Cell<u32> = const { Cell::new(0) };
}

struct Noisy(&'static str, u32);

impl Drop for Noisy {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
        if self.1 % 8 == 0 {
            println!("  drop {} {}", self.0, self.1);
        }
    }
}

#[inline(never)]
fn dive(depth: u32, limit: u32) -> u32 {
    let _guard = Noisy("dive", depth);
    if depth == limit {
        panic!("bottom reached at depth {depth}");
    }
    dive(depth + 1, limit) + std::hint::black_box(1)
}

fn caught() {
    let r = panic::catch_unwind(|| dive(0, 40));
    let msg = r.unwrap_err();
    let text = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    println!("caught: {text}; drops so far {}", DROPS.with(Cell::get));

    let r = panic::catch_unwind(|| {
        let _a = Noisy("static-str", 0);
        panic!("a static message")
    });
    println!("caught &str: {:?}", r.unwrap_err().downcast_ref::<&str>());

    let r = panic::catch_unwind(|| panic::panic_any(1234u32));
    println!("caught payload: {:?}", r.unwrap_err().downcast_ref::<u32>());

    // Arithmetic and indexing panics come from the standard library.
    let v: Vec<u32> = (0..3).collect();
    let idx = std::hint::black_box(7usize);
    let r = panic::catch_unwind(|| v[idx]);
    println!("index out of bounds caught: {}", r.is_err());
    let zero = std::hint::black_box(0u32);
    let r = panic::catch_unwind(|| 10 / zero);
    println!("divide by zero caught: {}", r.is_err());
    let r = panic::catch_unwind(|| "x".parse::<i32>().unwrap());
    println!("unwrap on Err caught: {}", r.is_err());

    // A panic while unwinding from a nested catch_unwind.
    let r = panic::catch_unwind(|| {
        let inner = panic::catch_unwind(|| dive(0, 3));
        println!("inner caught: {}", inner.is_err());
        panic::resume_unwind(inner.unwrap_err());
    });
    println!("resumed and caught again: {}", r.is_err());
    println!("total drops {}", DROPS.with(Cell::get));
}

fn main() {
    // Each panic's message and location also go to stdout, so that the test compares them
    // (the default hook's stderr text carries the thread id, which changes from run to run);
    // then the default hook runs as usual.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(not a string)".into());
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        println!("panic hook: '{msg}' at {at}");
        default_hook(info);
    }));
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "uncaught" => {
            println!("panicking with no catch_unwind");
            let _guard = Noisy("main", 0);
            let n = std::hint::black_box(3);
            panic!("uncaught panic number {n}");
        }
        "thread" => {
            let h = std::thread::spawn(|| {
                let _guard = Noisy("thread", 0);
                panic!("panic in a spawned thread");
            });
            let r = h.join();
            println!("join: panicked {}", r.is_err());
            let r = std::thread::spawn(|| 6 * 7).join();
            println!("join: value {:?}", r.ok());
        }
        _ => caught(),
    }
}
