//! (in progress) muldiv family.

use super::Handler;
use iced_x86::Mnemonic;

pub fn lookup(_m: Mnemonic) -> Option<Handler> {
    None
}
