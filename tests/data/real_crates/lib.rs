// Nothing: this crate only pins the crates tests/real_crates.rs tests.
