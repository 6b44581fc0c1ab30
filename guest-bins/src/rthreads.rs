//! Rust threads: scoped threads over a Mutex, an mpsc channel with several producers, an
//! AtomicU64 and a Barrier, thread-locals, and thread names. Prints only what does not depend
//! on scheduling.
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex, RwLock};
use std::thread;

thread_local! {
    static LOCAL: Cell<u64> = const { Cell::new(5) };
}

fn main() {
    let total = Mutex::new(0u64);
    let atomic = AtomicU64::new(0);
    thread::scope(|s| {
        for t in 0..4u64 {
            let (total, atomic) = (&total, &atomic);
            s.spawn(move || {
                for i in 0..50_000u64 {
                    *total.lock().unwrap() += i % 7 + t;
                    atomic.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    println!("mutex total {}, atomic {}", total.into_inner().unwrap(), atomic.load(Ordering::SeqCst));

    let (tx, rx) = mpsc::channel();
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let tx = tx.clone();
            thread::Builder::new()
                .name(format!("producer-{p}"))
                .spawn(move || {
                    for i in 0..1000u64 {
                        tx.send((p, i)).unwrap();
                    }
                    thread::current().name().unwrap().to_string()
                })
                .unwrap()
        })
        .collect();
    drop(tx);
    let mut sums = [0u64; 3];
    for (p, i) in rx {
        sums[p as usize] += i;
    }
    let names: Vec<String> = producers.into_iter().map(|h| h.join().unwrap()).collect();
    println!("channel sums {sums:?} from {names:?}");

    let barrier = Arc::new(Barrier::new(5));
    let shared = Arc::new(RwLock::new(Vec::new()));
    let handles: Vec<_> = (0..5u64)
        .map(|t| {
            let (barrier, shared) = (Arc::clone(&barrier), Arc::clone(&shared));
            thread::spawn(move || {
                LOCAL.with(|l| l.set(l.get() * 10 + t));
                shared.write().unwrap().push(t);
                let leader = barrier.wait().is_leader();
                let seen = shared.read().unwrap().len();
                (LOCAL.with(Cell::get), seen, leader)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let leaders = results.iter().filter(|r| r.2).count();
    let locals: Vec<u64> = results.iter().map(|r| r.0).collect();
    let seen: Vec<usize> = results.iter().map(|r| r.1).collect();
    println!("barrier: {leaders} leader, all saw {seen:?}, thread-locals {locals:?}, main's {}", LOCAL.with(Cell::get));
}
