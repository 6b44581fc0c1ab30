//! The cryptographic extension's AES and SHA instructions (ARM ARM C4.1.96 "Cryptographic
//! AES", "Cryptographic three-register SHA", "Cryptographic two-register SHA"): AESE, AESD,
//! AESMC, AESIMC, SHA1C/P/M/H/SU0/SU1, SHA256H/H2/SU0/SU1. [`decode`] makes the form (rows
//! `CryptoAes`, `CryptoTwoRegSha`, `CryptoThreeRegSha`) at translation time; the AdvSIMD helper
//! ([`super::simd_form::run`]) runs it with [`run`] on the vector registers.

use super::simd_form::{fields, SimdForm, SimdRow};
use super::simd_helpers::{get, set};
use super::{bit, bits, A64State};

/// Multiplication by x in GF(2^8) modulo the AES polynomial.
const fn xtime(b: u8) -> u8 {
    (b << 1) ^ if b & 0x80 != 0 { 0x1b } else { 0 }
}

/// The AES S-box and its inverse, built from the definition at compile time: the
/// multiplicative inverse in GF(2^8) (from the powers of the generator x + 1, 0 for 0), then
/// the affine map.
const SBOXES: ([u8; 256], [u8; 256]) = {
    let (mut exp, mut log) = ([0u8; 255], [0u8; 256]);
    let (mut p, mut i) = (1u8, 0);
    while i < 255 {
        exp[i] = p;
        log[p as usize] = i as u8;
        p ^= xtime(p);
        i += 1;
    }
    let (mut s, mut inv) = ([0u8; 256], [0u8; 256]);
    let mut x = 0;
    while x < 256 {
        let b = if x == 0 { 0 } else { exp[(255 - log[x] as usize) % 255] };
        let v = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        s[x] = v;
        inv[v as usize] = x as u8;
        x += 1;
    }
    (s, inv)
};

fn to_bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

/// AESE / AESD: AddRoundKey, (Inv)ShiftRows, (Inv)SubBytes. Byte `r + 4c` is row r, column c.
fn aes_round(state: u128, key: u128, decrypt: bool) -> u128 {
    let b = to_bytes(state ^ key);
    let (s, inv) = &SBOXES;
    let mut out = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            let src = if decrypt { (c + 4 - r) % 4 } else { (c + r) % 4 };
            let x = b[r + 4 * src];
            out[r + 4 * c] = if decrypt { inv[x as usize] } else { s[x as usize] };
        }
    }
    u128::from_le_bytes(out)
}

/// AESMC / AESIMC: (Inv)MixColumns, each column times the circulant matrix of 02 03 01 01
/// (inverse: 0e 0b 0d 09), the products by x, x^2, x^3 in GF(2^8) made with `xtime`.
fn mix_columns(v: u128, inverse: bool) -> u128 {
    let b = to_bytes(v);
    let mut out = [0u8; 16];
    for c in 0..4 {
        let col = [b[4 * c], b[4 * c + 1], b[4 * c + 2], b[4 * c + 3]];
        for r in 0..4 {
            let [a0, a1, a2, a3] = [col[r], col[(r + 1) % 4], col[(r + 2) % 4], col[(r + 3) % 4]];
            out[r + 4 * c] = if inverse {
                // 0e a0 ^ 0b a1 ^ 0d a2 ^ 09 a3.
                let x8 = |a: u8| xtime(xtime(xtime(a)));
                let x4 = |a: u8| xtime(xtime(a));
                (x8(a0) ^ x4(a0) ^ xtime(a0))
                    ^ (x8(a1) ^ xtime(a1) ^ a1)
                    ^ (x8(a2) ^ x4(a2) ^ a2)
                    ^ (x8(a3) ^ a3)
            } else {
                xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3
            };
        }
    }
    u128::from_le_bytes(out)
}

fn lane(v: u128, i: u32) -> u32 {
    (v >> (32 * i)) as u32
}

fn with_lane(v: u128, i: u32, x: u32) -> u128 {
    (v & !((u32::MAX as u128) << (32 * i))) | (x as u128) << (32 * i)
}

/// SHA1C / SHA1P / SHA1M: four rounds with the choose, parity or majority function.
fn sha1_rounds(mut x: u128, mut y: u32, w: u128, f: fn(u32, u32, u32) -> u32) -> u128 {
    for e in 0..4 {
        let t = f(lane(x, 1), lane(x, 2), lane(x, 3));
        y = y.wrapping_add(lane(x, 0).rotate_left(5)).wrapping_add(t).wrapping_add(lane(w, e));
        x = with_lane(x, 1, lane(x, 1).rotate_left(30));
        // <Y, X> = ROL(Y:X, 32)
        let top = lane(x, 3);
        x = (x << 32) | y as u128;
        y = top;
    }
    x
}

/// SHA256H (`part1`) / SHA256H2: four rounds; returns the new X or Y.
fn sha256_hash(mut x: u128, mut y: u128, w: u128, part1: bool) -> u128 {
    for e in 0..4 {
        let (y0, y1, y2) = (lane(y, 0), lane(y, 1), lane(y, 2));
        let chs = ((y1 ^ y2) & y0) ^ y2;
        let (x0, x1, x2) = (lane(x, 0), lane(x, 1), lane(x, 2));
        let maj = (x0 & x1) | ((x0 | x1) & x2);
        let sigma1 = y0.rotate_right(6) ^ y0.rotate_right(11) ^ y0.rotate_right(25);
        let t = lane(y, 3).wrapping_add(sigma1).wrapping_add(chs).wrapping_add(lane(w, e));
        x = with_lane(x, 3, t.wrapping_add(lane(x, 3)));
        let sigma0 = x0.rotate_right(2) ^ x0.rotate_right(13) ^ x0.rotate_right(22);
        y = with_lane(y, 3, t.wrapping_add(sigma0).wrapping_add(maj));
        // <Y, X> = ROL(Y:X, 32)
        let (xt, yt) = (lane(x, 3), lane(y, 3));
        x = (x << 32) | yt as u128;
        y = (y << 32) | xt as u128;
    }
    if part1 {
        x
    } else {
        y
    }
}

fn choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}

fn parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}

fn majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}

/// Decodes `w` at translation time if it is one of the instructions of the rows "Cryptographic
/// AES", "Cryptographic two-register SHA" or "Cryptographic three-register SHA" this module
/// implements (size 00, the allocated opcodes); `None` for any other word.
pub fn decode(w: u32) -> Option<SimdForm> {
    use SimdRow::*;
    if bits(w, 22, 2) != 0 {
        return None;
    }
    let two_reg = bits(w, 17, 5) == 0b10100 && bits(w, 10, 2) == 0b10;
    let (row, opc, ok): (_, _, fn(u32) -> bool) = match bits(w, 24, 8) {
        0b0100_1110 if two_reg => (CryptoAes, bits(w, 12, 5), |o| (0b00100..=0b00111).contains(&o)),
        0b0101_1110 if two_reg => (CryptoTwoRegSha, bits(w, 12, 5), |o| o <= 0b00010),
        0b0101_1110 if !bit(w, 21) && !bit(w, 15) && bits(w, 10, 2) == 0 => {
            (CryptoThreeRegSha, bits(w, 12, 3), |o| o <= 0b110)
        }
        _ => return None,
    };
    ok(opc).then(|| fields(w, row, opc, 0))
}

/// Executes a form [`decode`] made (false, changing nothing, for a row of another module).
pub fn run(st: &mut A64State, f: SimdForm) -> bool {
    use SimdRow::*;
    let SimdForm { row, opc, rd, rn, rm, .. } = f;
    let (d, n) = (get(st, rd), get(st, rn));
    let r = match (row, opc) {
        (CryptoAes, 0b00100) => aes_round(d, n, false),
        (CryptoAes, 0b00101) => aes_round(d, n, true),
        (CryptoAes, 0b00110) => mix_columns(n, false),
        (CryptoAes, _) => mix_columns(n, true),
        // SHA1H, SHA1SU1, SHA256SU0.
        (CryptoTwoRegSha, 0b00000) => lane(n, 0).rotate_left(30) as u128,
        (CryptoTwoRegSha, 0b00001) => {
            let t = d ^ (n >> 32);
            let r = (0..4).fold(0u128, |acc, i| with_lane(acc, i, lane(t, i).rotate_left(1)));
            with_lane(r, 3, lane(r, 3) ^ lane(t, 0).rotate_left(2))
        }
        (CryptoTwoRegSha, _) => {
            let t = (d >> 32) | (lane(n, 0) as u128) << 96;
            (0..4).fold(0u128, |acc, i| {
                let e = lane(t, i);
                let e = e.rotate_right(7) ^ e.rotate_right(18) ^ (e >> 3);
                with_lane(acc, i, e.wrapping_add(lane(d, i)))
            })
        }
        (CryptoThreeRegSha, _) => sha_three_reg(opc, d, n, get(st, rm)),
        _ => return false,
    };
    set(st, rd, r);
    true
}

/// SHA1C, SHA1P, SHA1M, SHA1SU0, SHA256H, SHA256H2, SHA256SU1 (by opcode) of `Vd`, `Vn`, `Vm`.
fn sha_three_reg(opc: u32, d: u128, n: u128, m: u128) -> u128 {
    match opc {
        0b000 => sha1_rounds(d, lane(n, 0), m, choose),
        0b001 => sha1_rounds(d, lane(n, 0), m, parity),
        0b010 => sha1_rounds(d, lane(n, 0), m, majority),
        0b011 => ((n << 64) | (d >> 64)) ^ d ^ m,
        0b100 => sha256_hash(d, n, m, true),
        0b101 => sha256_hash(n, d, m, false),
        _ => {
            let t0 = (n >> 32) | (lane(m, 0) as u128) << 96;
            let sigma1 = |e: u32| e.rotate_right(17) ^ e.rotate_right(19) ^ (e >> 10);
            let mut r = 0u128;
            for e in 0..4 {
                let src = if e < 2 { lane(m, 2 + e) } else { lane(r, e - 2) };
                let v = sigma1(src).wrapping_add(lane(d, e)).wrapping_add(lane(t0, e));
                r = with_lane(r, e, v);
            }
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbox_matches_the_standard_corners() {
        // FIPS-197 figure 7: S(00) = 63, S(53) = ed, S(ff) = 16.
        let (s, inv) = &SBOXES;
        assert_eq!((s[0x00], s[0x53], s[0xff]), (0x63, 0xed, 0x16));
        assert!((0..256).all(|x| inv[s[x] as usize] as usize == x));
    }

    #[test]
    fn mix_columns_known_column_and_inverse() {
        // The column db 13 53 45 mixes to 8e 4d a1 bc (FIPS-197's matrix applied by hand).
        let col = |v: [u8; 4]| u128::from_le_bytes([v, v, v, v].concat().try_into().unwrap());
        assert_eq!(mix_columns(col([0xdb, 0x13, 0x53, 0x45]), false), col([0x8e, 0x4d, 0xa1, 0xbc]));
        let mut x = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        for _ in 0..1000 {
            assert_eq!(mix_columns(mix_columns(x, false), true), x);
            x = x.rotate_left(13).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
}
