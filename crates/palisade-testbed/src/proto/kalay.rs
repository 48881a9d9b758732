//! ThroughTek Kalay (TUTK IOTC) datagrams as devices send them: the IOTC
//! header, a body, and ThroughTek's "Charlie" scrambler over the whole
//! datagram. Only the encoding side lives here (palisade-proto's `kalay`
//! parser descrambles; its tests check both directions against the
//! published zero-block vector). Facts from public reverse engineering:
//! go2rtc `pkg/tutk`, the CuboAI IOTC write-up.

const KEY: &[u8; 16] = b"Charlie is the d";
const PERM: [usize; 16] = [11, 9, 8, 15, 13, 10, 12, 14, 2, 1, 5, 0, 6, 4, 7, 3];

fn rotate_words(b: &mut [u8; 16], base: u32) {
    for (i, c) in b.chunks_exact_mut(4).enumerate() {
        let w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        c.copy_from_slice(&w.rotate_right(base + 4 * i as u32).to_le_bytes());
    }
}

/// TUTK `TransCodePartial`: per 16-byte block, words rotated right by
/// 1/5/9/13, XOR with the key, the byte permutation, words rotated right
/// by 3/7/11/15; the tail XORed with the key.
pub(crate) fn scramble(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plain.len());
    let mut blocks = plain.chunks_exact(16);
    for c in &mut blocks {
        let mut b = [0u8; 16];
        b.copy_from_slice(c);
        rotate_words(&mut b, 1);
        for (x, k) in b.iter_mut().zip(KEY) {
            *x ^= k;
        }
        let mut p = [0u8; 16];
        for (i, &s) in PERM.iter().enumerate() {
            p[i] = b[s];
        }
        rotate_words(&mut p, 3);
        out.extend_from_slice(&p);
    }
    out.extend(blocks.remainder().iter().zip(KEY).map(|(b, k)| b ^ k));
    out
}

/// IOTC protocol version byte the testbed's devices use.
pub(crate) const VERSION: u8 = 0x19;
/// Device login (registration) message type the testbed uses; palisade
/// recognises a registration by its direction code, not this value.
pub(crate) const MSG_LOGIN: u16 = 0x0210;
/// The server's answer.
pub(crate) const MSG_LOGIN_ACK: u16 = 0x0211;
/// Direction codes: device → server, server → device.
pub(crate) const DEVICE_TO_SERVER: u8 = 0x14;
pub(crate) const SERVER_TO_DEVICE: u8 = 0x41;

/// Appends one scrambled IOTC datagram to `b`.
pub(crate) fn write(b: &mut Vec<u8>, msg_type: u16, direction: u8, body: &[u8]) {
    let mut m = vec![0u8; 16];
    m[0] = 4;
    m[1] = 2;
    m[2] = VERSION;
    m[4..6].copy_from_slice(&(body.len() as u16).to_le_bytes());
    m[8..10].copy_from_slice(&msg_type.to_le_bytes());
    m[10] = direction;
    m.extend_from_slice(body);
    b.extend_from_slice(&scramble(&m));
}

/// A device's registration: its UID, then its LAN address and port and
/// 20 bytes of SDK version and flags.
pub(crate) fn login(b: &mut Vec<u8>, uid: &[u8; 20], lan: [u8; 4], port: u16) {
    let mut body = uid.to_vec();
    body.extend_from_slice(&lan);
    body.extend_from_slice(&port.to_be_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&[6, 0, 3, 3]); // SDK 3.3.0.6, as go2rtc sends
    body.extend_from_slice(&[0u8; 16]);
    write(b, MSG_LOGIN, DEVICE_TO_SERVER, &body);
}

/// The server's acknowledgement (no UID).
pub(crate) fn login_ack(b: &mut Vec<u8>, token: u32) {
    let mut body = token.to_le_bytes().to_vec();
    body.extend_from_slice(&[0u8; 12]);
    write(b, MSG_LOGIN_ACK, SERVER_TO_DEVICE, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_zero_block_and_tail() {
        // TransCodePartial(16 zero bytes), CuboAI IOTC write-up
        assert_eq!(
            scramble(&[0; 16]),
            [
                0x6e, 0x2e, 0x8d, 0x8c, 0x40, 0xd0, 0x40, 0xca, 0x2d, 0x6d, 0x28, 0x0c, 0x40, 0xe4,
                0xca, 0xd8
            ]
        );
        assert_eq!(&scramble(&[0; 26])[16..], b"Charlie is");
        let mut b = Vec::new();
        login(&mut b, b"ABCD1234EFGH5678JKLM", [10, 0, 0, 5], 32761);
        assert_eq!(b.len(), 16 + 48);
        assert_ne!(&b[..2], &[4, 2]);
    }
}
