//! x86-64 guest frontend (iced-x86 decoder -> IR).

pub mod state;
pub use state::X86State;
