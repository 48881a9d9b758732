//! ThroughTek's "Charlie" scrambler (`TransCodePartial` /
//! `ReverseTransCodePartial` in the TUTK SDK), which obfuscates IOTC
//! datagrams on the wire.
//!
//! Facts carried over from public reverse engineering (no code copied):
//! the key is the first 16 bytes of the SDK string
//! `"Charlie is the designer of P2P!!"`; the buffer is taken in independent
//! 16-byte blocks; each block is four little-endian u32 words, rotated right
//! by 1, 5, 9 and 13 bits, XORed with the key, byte-permuted by the fixed
//! table [`PERM`], and rotated right again by 3, 7, 11 and 15 bits; the
//! trailing `len % 16` bytes are only XORed with the key (sources:
//! go2rtc `pkg/tutk/crypto.go`; the CuboAI IOTC write-up `cuboai_pure.py`,
//! which also publishes `TransCodePartial(16 zero bytes)` =
//! `6e2e8d8c40d040ca2d6d280c40e4cad8`, our test vector; the Enabot
//! write-up, where a zero tail shows as the plain text `Charlie is`).
//! go2rtc additionally permutes 2-, 4- and 8-byte tails; the CuboAI
//! write-up found that IOTC frames only decode without that, which is what
//! this module does. The parser only needs the header and the UID (the
//! first 36 bytes), which lie in whole blocks for every message of 48 bytes
//! or more, so the choice only matters for shorter datagrams.
//!
//! Blocks are independent, so decoding a prefix of whole blocks gives the
//! prefix of the full decoding: [`decode_prefix`] bounds the work per
//! datagram.

/// The scrambler key (the first 16 bytes of TUTK's key string).
pub const KEY: &[u8; 16] = b"Charlie is the d";

/// The byte permutation of a block: output byte `i` is input byte
/// `PERM[i]`. It is its own inverse.
pub const PERM: [usize; 16] = [11, 9, 8, 15, 13, 10, 12, 14, 2, 1, 5, 0, 6, 4, 7, 3];

fn words(b: &[u8; 16]) -> [u32; 4] {
    let mut w = [0u32; 4];
    for (i, c) in b.chunks_exact(4).enumerate() {
        if let (Some(slot), Ok(a)) = (w.get_mut(i), <[u8; 4]>::try_from(c)) {
            *slot = u32::from_le_bytes(a);
        }
    }
    w
}

fn bytes(w: [u32; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    for (c, x) in b.chunks_exact_mut(4).zip(w) {
        c.copy_from_slice(&x.to_le_bytes());
    }
    b
}

fn permute(b: &[u8; 16]) -> [u8; 16] {
    let mut o = [0u8; 16];
    for (slot, &p) in o.iter_mut().zip(PERM.iter()) {
        *slot = b.get(p).copied().unwrap_or(0);
    }
    o
}

fn xor_key(b: &mut [u8; 16]) {
    for (x, k) in b.iter_mut().zip(KEY.iter()) {
        *x ^= k;
    }
}

/// Scrambles one block (what a device or app does before sending).
pub fn encode_block(plain: &[u8; 16]) -> [u8; 16] {
    let w = words(plain);
    let mut b = bytes([
        w[0].rotate_right(1),
        w[1].rotate_right(5),
        w[2].rotate_right(9),
        w[3].rotate_right(13),
    ]);
    xor_key(&mut b);
    let w = words(&permute(&b));
    bytes([
        w[0].rotate_right(3),
        w[1].rotate_right(7),
        w[2].rotate_right(11),
        w[3].rotate_right(15),
    ])
}

/// Descrambles one block (the inverse of [`encode_block`]).
pub fn decode_block(wire: &[u8; 16]) -> [u8; 16] {
    let w = words(wire);
    let mut b = permute(&bytes([
        w[0].rotate_left(3),
        w[1].rotate_left(7),
        w[2].rotate_left(11),
        w[3].rotate_left(15),
    ]));
    xor_key(&mut b);
    let w = words(&b);
    bytes([
        w[0].rotate_left(1),
        w[1].rotate_left(5),
        w[2].rotate_left(9),
        w[3].rotate_left(13),
    ])
}

fn transform(data: &[u8], block: fn(&[u8; 16]) -> [u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut blocks = data.chunks_exact(16);
    for c in &mut blocks {
        if let Ok(a) = <&[u8; 16]>::try_from(c) {
            out.extend_from_slice(&block(a));
        }
    }
    out.extend(
        blocks
            .remainder()
            .iter()
            .zip(KEY.iter())
            .map(|(b, k)| b ^ k),
    );
    out
}

/// Scrambles a whole datagram (the testbed's side).
pub fn encode(plain: &[u8]) -> Vec<u8> {
    transform(plain, encode_block)
}

/// Descrambles a whole datagram.
pub fn decode(wire: &[u8]) -> Vec<u8> {
    transform(wire, decode_block)
}

/// Descrambles at most the first `max_blocks` whole blocks of `wire` (all
/// of it, tail included, when it is no longer than that): what the parser
/// reads, bounded whatever the datagram's size.
pub fn decode_prefix(wire: &[u8], max_blocks: usize) -> Vec<u8> {
    let cap = max_blocks.saturating_mul(16);
    if wire.len() <= cap {
        decode(wire)
    } else {
        decode(wire.get(..cap).unwrap_or(wire))
    }
}
