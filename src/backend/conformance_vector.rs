//! The backend conformance suite's part for 128-bit vector temporaries (`ir::vector`):
//! random blocks of vector ops among scalar ones, run compiled and interpreted.

use super::conformance::blocks_match_the_interpreter;
use super::Backend;
use crate::ir::testgen::vector_block;

/// Random blocks of every vector op (state and memory accesses at any alignment and in every
/// order they allow, packing and halves, every bitwise, lane-wise and shift form with counts
/// within, at and past the lane width) among scalar ops and, in some blocks, helper calls
/// (which keep vectors out of host registers) or more live vectors than host registers: the
/// compiled state, memory and exit equal the interpreter's.
pub fn vector_ops_match_the_interpreter<B: Backend>() {
    blocks_match_the_interpreter::<B>(vector_block, 128, 3000, true);
}
