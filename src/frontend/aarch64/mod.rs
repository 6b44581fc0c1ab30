//! AArch64 (A64) guest frontend.
