//! Test support: translate bytes and run them through the IR interpreter.
