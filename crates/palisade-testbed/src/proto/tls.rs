//! HTTPS to vendor clouds: a TLS 1.3 or 1.2 handshake, a few encrypted
//! request/response records, an encrypted close_notify and a FIN.
//!
//! The ClientHello follows the device's TLS library: OpenSSL-style (TLS 1.3
//! with 1.2 fallback, x25519 key share, GREASE-free, the OpenSSL 3 cipher
//! order) or mbedTLS-style (TLS 1.2 only, ECDHE suites first). Both carry SNI
//! and, where the device uses it, ALPN. A TLS 1.3 server answers with
//! ServerHello + ChangeCipherSpec + an encrypted flight; a TLS 1.2 server
//! with ServerHello, a DER Certificate (see [`super::x509`]),
//! ServerKeyExchange and ServerHelloDone. Everything encrypted is random
//! bytes of the size a real AEAD record would have.

use crate::catalog::TlsClient;
use crate::prng::{RandomPool, Rng};
use crate::tcp::{App, AppCtx, AppStep, Side};
use crate::world::{DevId, SvcId};

pub(crate) const HANDSHAKE: u8 = 22;
pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
pub(crate) const ALERT: u8 = 21;
pub(crate) const APPLICATION_DATA: u8 = 23;

pub(crate) const EXT_SERVER_NAME: u16 = 0;
pub(crate) const EXT_ALPN: u16 = 16;
pub(crate) const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Largest plaintext per record.
const MAX_FRAGMENT: usize = 16_384;

const OPENSSL_SUITES: &[u16] = &[
    0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e,
    0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033,
    0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
];
const MBEDTLS_SUITES: &[u16] = &[
    0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014, 0xc013,
    0x009f, 0x009e, 0x006b, 0x0067, 0x0039, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
    0x00ff,
];
const OPENSSL_GROUPS: &[u16] = &[0x001d, 0x0017, 0x001e, 0x0019, 0x0018];
const MBEDTLS_GROUPS: &[u16] = &[0x0017, 0x0018, 0x0019, 0x001d];
const OPENSSL_SIGALGS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0203, 0x0301, 0x0201, 0x0302, 0x0202, 0x0402, 0x0502, 0x0602,
];
const MBEDTLS_SIGALGS: &[u16] = &[0x0603, 0x0503, 0x0403, 0x0601, 0x0501, 0x0401];

/// Appends a big-endian length of `width` bytes before what `f` writes.
fn with_len(b: &mut Vec<u8>, width: usize, f: impl FnOnce(&mut Vec<u8>)) {
    let at = b.len();
    b.resize(at + width, 0);
    f(b);
    let n = b.len() - at - width;
    let bytes = (n as u32).to_be_bytes();
    b[at..at + width].copy_from_slice(&bytes[4 - width..]);
}

fn u16s(b: &mut Vec<u8>, v: &[u16]) {
    for x in v {
        b.extend_from_slice(&x.to_be_bytes());
    }
}

fn ext(b: &mut Vec<u8>, ty: u16, f: impl FnOnce(&mut Vec<u8>)) {
    b.extend_from_slice(&ty.to_be_bytes());
    with_len(b, 2, f);
}

fn record(b: &mut Vec<u8>, ty: u8, version: u16, f: impl FnOnce(&mut Vec<u8>)) {
    b.push(ty);
    b.extend_from_slice(&version.to_be_bytes());
    with_len(b, 2, f);
}

fn handshake(b: &mut Vec<u8>, ty: u8, f: impl FnOnce(&mut Vec<u8>)) {
    b.push(ty);
    with_len(b, 3, f);
}

fn random_into(b: &mut Vec<u8>, rng: &mut Rng, n: usize) {
    let at = b.len();
    b.resize(at + n, 0);
    rng.fill(&mut b[at..]);
}

/// A ClientHello record for `sni`.
pub(crate) fn client_hello(
    b: &mut Vec<u8>,
    rng: &mut Rng,
    lib: TlsClient,
    sni: &str,
    alpn: &[&str],
    session_id: &[u8],
) {
    let openssl = lib == TlsClient::OpenSsl;
    record(b, HANDSHAKE, 0x0301, |b| {
        handshake(b, 1, |b| {
            b.extend_from_slice(&[3, 3]);
            random_into(b, rng, 32);
            with_len(b, 1, |b| b.extend_from_slice(session_id));
            with_len(b, 2, |b| {
                u16s(
                    b,
                    if openssl {
                        OPENSSL_SUITES
                    } else {
                        MBEDTLS_SUITES
                    },
                )
            });
            b.extend_from_slice(&[1, 0]);
            with_len(b, 2, |b| {
                ext(b, EXT_SERVER_NAME, |b| {
                    with_len(b, 2, |b| {
                        b.push(0);
                        with_len(b, 2, |b| b.extend_from_slice(sni.as_bytes()));
                    })
                });
                let point_formats: &[u8] = if openssl { &[0, 1, 2] } else { &[0] };
                ext(b, 11, |b| {
                    with_len(b, 1, |b| b.extend_from_slice(point_formats))
                });
                ext(b, 10, |b| {
                    with_len(b, 2, |b| {
                        u16s(
                            b,
                            if openssl {
                                OPENSSL_GROUPS
                            } else {
                                MBEDTLS_GROUPS
                            },
                        )
                    })
                });
                if openssl {
                    ext(b, 35, |_| {});
                }
                if !alpn.is_empty() {
                    ext(b, EXT_ALPN, |b| {
                        with_len(b, 2, |b| {
                            for p in alpn {
                                with_len(b, 1, |b| b.extend_from_slice(p.as_bytes()));
                            }
                        })
                    });
                }
                ext(b, 22, |_| {});
                ext(b, 23, |_| {});
                ext(b, 13, |b| {
                    with_len(b, 2, |b| {
                        u16s(
                            b,
                            if openssl {
                                OPENSSL_SIGALGS
                            } else {
                                MBEDTLS_SIGALGS
                            },
                        )
                    })
                });
                if openssl {
                    ext(b, EXT_SUPPORTED_VERSIONS, |b| {
                        with_len(b, 1, |b| u16s(b, &[0x0304, 0x0303]))
                    });
                    ext(b, 45, |b| with_len(b, 1, |b| b.push(1)));
                    ext(b, 51, |b| {
                        with_len(b, 2, |b| {
                            b.extend_from_slice(&0x001du16.to_be_bytes());
                            with_len(b, 2, |b| random_into(b, rng, 32));
                        })
                    });
                } else {
                    ext(b, 35, |_| {});
                }
            });
        })
    });
}

/// ServerHello (+ CCS + encrypted flight) of a TLS 1.3 server.
fn server_flight_13(b: &mut Vec<u8>, rng: &mut Rng, pool: &RandomPool, session_id: &[u8]) {
    record(b, HANDSHAKE, 0x0303, |b| {
        handshake(b, 2, |b| {
            b.extend_from_slice(&[3, 3]);
            random_into(b, rng, 32);
            with_len(b, 1, |b| b.extend_from_slice(session_id));
            b.extend_from_slice(&[0x13, if rng.chance(500) { 0x01 } else { 0x02 }, 0]);
            with_len(b, 2, |b| {
                ext(b, EXT_SUPPORTED_VERSIONS, |b| u16s(b, &[0x0304]));
                ext(b, 51, |b| {
                    b.extend_from_slice(&0x001du16.to_be_bytes());
                    with_len(b, 2, |b| random_into(b, rng, 32));
                });
            });
        })
    });
    b.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
    // EncryptedExtensions, Certificate (chain), CertificateVerify, Finished.
    let n = rng.range(2200, 4600) as usize;
    app_records(b, rng, pool, n, true);
}

/// ServerHello, Certificate, ServerKeyExchange, ServerHelloDone.
fn server_flight_12(b: &mut Vec<u8>, rng: &mut Rng, cert: &[u8], alpn: Option<&str>) {
    record(b, HANDSHAKE, 0x0303, |b| {
        handshake(b, 2, |b| {
            b.extend_from_slice(&[3, 3]);
            random_into(b, rng, 32);
            with_len(b, 1, |b| random_into(b, rng, 32));
            b.extend_from_slice(&[0xc0, 0x2b, 0]); // ECDHE-ECDSA-AES128-GCM-SHA256
            with_len(b, 2, |b| {
                ext(b, 0xff01, |b| b.push(0));
                ext(b, 11, |b| with_len(b, 1, |b| b.push(0)));
                ext(b, 23, |_| {});
                if let Some(p) = alpn {
                    ext(b, EXT_ALPN, |b| {
                        with_len(b, 2, |b| {
                            with_len(b, 1, |b| b.extend_from_slice(p.as_bytes()))
                        })
                    });
                }
            });
        })
    });
    record(b, HANDSHAKE, 0x0303, |b| {
        handshake(b, 11, |b| {
            with_len(b, 3, |b| with_len(b, 3, |b| b.extend_from_slice(cert)))
        })
    });
    record(b, HANDSHAKE, 0x0303, |b| {
        handshake(b, 12, |b| {
            b.extend_from_slice(&[3, 0x00, 0x1d, 32]);
            random_into(b, rng, 32);
            b.extend_from_slice(&[0x04, 0x03]);
            with_len(b, 2, |b| {
                // ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s }, 32 bytes each.
                b.extend_from_slice(&[0x30, 0x44]);
                for _ in 0..2 {
                    b.extend_from_slice(&[0x02, 0x20]);
                    let at = b.len();
                    random_into(b, rng, 32);
                    b[at] = (b[at] & 0x7f) | 0x01;
                }
            });
        })
    });
    record(b, HANDSHAKE, 0x0303, |b| handshake(b, 14, |_| {}));
}

/// `n` bytes of application data as AEAD records (TLS 1.3: inner content
/// type byte and 16-byte tag; TLS 1.2 GCM: 8-byte explicit nonce and tag).
fn app_records(b: &mut Vec<u8>, rng: &mut Rng, pool: &RandomPool, mut n: usize, v13: bool) {
    while n > 0 {
        let take = n.min(MAX_FRAGMENT);
        let overhead = if v13 { 17 } else { 24 };
        record(b, APPLICATION_DATA, 0x0303, |b| {
            pool.push(rng, b, take + overhead)
        });
        n -= take;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    ClientHello,
    ServerFlight,
    ClientFinish,
    ServerFinish,
    Request,
    Response,
    CloseNotify,
    Close,
}

/// One HTTPS session with a vendor cloud.
#[derive(Debug)]
pub(crate) struct TlsSession {
    dev: DevId,
    svc: SvcId,
    state: State,
    v13: bool,
    session_id: [u8; 32],
    exchanges: u8,
    server_closes: bool,
    rst: bool,
    ticket_sent: bool,
}

impl TlsSession {
    pub(crate) fn new(dev: DevId, svc: SvcId, cx_rng: &mut Rng) -> Self {
        let mut session_id = [0u8; 32];
        cx_rng.fill(&mut session_id);
        TlsSession {
            dev,
            svc,
            state: State::ClientHello,
            v13: false,
            session_id,
            exchanges: 1 + cx_rng.below(3) as u8,
            server_closes: cx_rng.chance(200),
            rst: cx_rng.chance(30),
            ticket_sent: false,
        }
    }

    /// Client think time: an ESP32 doing ECDHE in software is slow.
    fn crypto_delay(&self, cx: &mut AppCtx<'_>) -> u64 {
        match cx.world.devices[self.dev as usize].product.tls {
            TlsClient::MbedTls => cx.rng.range(150_000_000, 700_000_000),
            TlsClient::OpenSsl => cx.rng.range(500_000, 5_000_000),
        }
    }
}

impl App for TlsSession {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        let d = &cx.world.devices[self.dev as usize];
        let svc = &cx.world.services[self.svc as usize];
        let lib = d.product.tls;
        let sid: &[u8] = if lib == TlsClient::OpenSsl {
            &self.session_id
        } else {
            &[]
        };
        match self.state {
            State::ClientHello => {
                self.v13 = lib == TlsClient::OpenSsl && svc.tls13;
                client_hello(buf, cx.rng, lib, svc.name, d.product.alpn, sid);
                self.state = State::ServerFlight;
                AppStep::Send {
                    from: Side::Client,
                    delay: cx.rng.range(100_000, 3_000_000),
                }
            }
            State::ServerFlight => {
                if self.v13 {
                    server_flight_13(buf, cx.rng, &cx.world.pool, sid);
                } else {
                    server_flight_12(buf, cx.rng, &svc.cert, d.product.alpn.first().copied());
                }
                self.state = State::ClientFinish;
                AppStep::Send {
                    from: Side::Server,
                    delay: cx.rng.range(1_000_000, 15_000_000),
                }
            }
            State::ClientFinish => {
                let delay = self.crypto_delay(cx);
                if self.v13 {
                    buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
                    app_records(buf, cx.rng, &cx.world.pool, 36, true); // Finished
                    let req = cx.rng.range(250, 900) as usize;
                    app_records(buf, cx.rng, &cx.world.pool, req, true);
                    self.state = State::Response;
                } else {
                    record(buf, HANDSHAKE, 0x0303, |b| {
                        handshake(b, 16, |b| with_len(b, 1, |b| random_into(b, cx.rng, 32)))
                    });
                    buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
                    record(buf, HANDSHAKE, 0x0303, |b| {
                        cx.world.pool.push(cx.rng, b, 40)
                    });
                    self.state = State::ServerFinish;
                }
                AppStep::Send {
                    from: Side::Client,
                    delay,
                }
            }
            State::ServerFinish => {
                buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1]);
                record(buf, HANDSHAKE, 0x0303, |b| {
                    cx.world.pool.push(cx.rng, b, 40)
                });
                self.state = State::Request;
                AppStep::Send {
                    from: Side::Server,
                    delay: cx.rng.range(500_000, 5_000_000),
                }
            }
            State::Request => {
                let req = cx.rng.range(200, 1200) as usize;
                app_records(buf, cx.rng, &cx.world.pool, req, self.v13);
                self.state = State::Response;
                AppStep::Send {
                    from: Side::Client,
                    delay: cx.rng.range(200_000, 20_000_000),
                }
            }
            State::Response => {
                if self.v13 && !self.ticket_sent {
                    // Two NewSessionTickets ride in front of the first response.
                    app_records(buf, cx.rng, &cx.world.pool, 233, true);
                    app_records(buf, cx.rng, &cx.world.pool, 233, true);
                    self.ticket_sent = true;
                }
                let n = if cx.rng.chance(100) {
                    cx.rng.range(20_000, 60_000)
                } else {
                    cx.rng.range(150, 6000)
                };
                app_records(buf, cx.rng, &cx.world.pool, n as usize, self.v13);
                self.exchanges = self.exchanges.saturating_sub(1);
                self.state = if self.exchanges == 0 {
                    State::CloseNotify
                } else {
                    State::Request
                };
                AppStep::Send {
                    from: Side::Server,
                    delay: cx.rng.range(5_000_000, 120_000_000),
                }
            }
            State::CloseNotify => {
                self.state = State::Close;
                let from = if self.server_closes {
                    Side::Server
                } else {
                    Side::Client
                };
                if self.rst {
                    return AppStep::Close {
                        from,
                        delay: cx.rng.range(1_000_000, 2_000_000_000),
                        rst: true,
                    };
                }
                if self.v13 {
                    record(buf, APPLICATION_DATA, 0x0303, |b| {
                        cx.world.pool.push(cx.rng, b, 19)
                    });
                } else {
                    record(buf, ALERT, 0x0303, |b| cx.world.pool.push(cx.rng, b, 26));
                }
                AppStep::Send {
                    from,
                    delay: cx.rng.range(1_000_000, 3_000_000_000),
                }
            }
            State::Close => AppStep::Close {
                from: if self.server_closes {
                    Side::Server
                } else {
                    Side::Client
                },
                delay: cx.rng.range(50_000, 2_000_000),
                rst: false,
            },
        }
    }
}

/// Finds an extension's body in a ClientHello record.
#[cfg(test)]
pub(crate) fn find_extension(record: &[u8], ty: u16) -> Option<&[u8]> {
    let hs = &record[5..];
    let mut p = 4 + 2 + 32;
    p += 1 + hs[p] as usize;
    p += 2 + u16::from_be_bytes([hs[p], hs[p + 1]]) as usize;
    p += 1 + hs[p] as usize;
    let end = p + 2 + u16::from_be_bytes([hs[p], hs[p + 1]]) as usize;
    p += 2;
    while p + 4 <= end {
        let t = u16::from_be_bytes([hs[p], hs[p + 1]]);
        let l = u16::from_be_bytes([hs[p + 2], hs[p + 3]]) as usize;
        if t == ty {
            return Some(&hs[p + 4..p + 4 + l]);
        }
        p += 4 + l;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_lengths(rec: &[u8]) {
        let rl = u16::from_be_bytes([rec[3], rec[4]]) as usize;
        assert_eq!(rec.len(), 5 + rl);
        let hl = u32::from_be_bytes([0, rec[6], rec[7], rec[8]]) as usize;
        assert_eq!(hl + 4, rl);
    }

    #[test]
    fn openssl_client_hello() {
        let mut b = Vec::new();
        let mut rng = Rng::new(1);
        client_hello(
            &mut b,
            &mut rng,
            TlsClient::OpenSsl,
            "api.ecobee.com",
            &["h2", "http/1.1"],
            &[7; 32],
        );
        assert_eq!(&b[..3], &[HANDSHAKE, 3, 1]);
        assert_eq!(b[5], 1);
        check_lengths(&b);
        let sni = find_extension(&b, EXT_SERVER_NAME).unwrap();
        assert_eq!(&sni[5..], b"api.ecobee.com");
        let alpn = find_extension(&b, EXT_ALPN).unwrap();
        assert_eq!(alpn, b"\x00\x0c\x02h2\x08http/1.1");
        let sv = find_extension(&b, EXT_SUPPORTED_VERSIONS).unwrap();
        assert_eq!(sv, &[4, 3, 4, 3, 3]);
        assert!(find_extension(&b, 51).is_some());
    }

    #[test]
    fn mbedtls_client_hello_is_tls12_only() {
        let mut b = Vec::new();
        client_hello(
            &mut b,
            &mut Rng::new(2),
            TlsClient::MbedTls,
            "a1.tuyaeu.com",
            &[],
            &[],
        );
        check_lengths(&b);
        assert_eq!(b[5 + 4 + 2 + 32], 0, "empty session id");
        assert!(find_extension(&b, EXT_SUPPORTED_VERSIONS).is_none());
        assert!(find_extension(&b, EXT_ALPN).is_none());
        assert_eq!(
            &find_extension(&b, EXT_SERVER_NAME).unwrap()[5..],
            b"a1.tuyaeu.com"
        );
    }

    #[test]
    fn server_flights_are_record_aligned() {
        let mut rng = Rng::new(3);
        let pool = RandomPool::new(&mut rng);
        let cert = crate::proto::x509::certificate(&mut rng, "x.example", 0, 1);
        for v13 in [true, false] {
            let mut b = Vec::new();
            if v13 {
                server_flight_13(&mut b, &mut rng, &pool, &[1; 32]);
            } else {
                server_flight_12(&mut b, &mut rng, &cert, Some("http/1.1"));
            }
            let mut p = 0;
            let mut types = Vec::new();
            while p < b.len() {
                let l = u16::from_be_bytes([b[p + 3], b[p + 4]]) as usize;
                types.push((b[p], if b[p] == HANDSHAKE { b[p + 5] } else { 0 }));
                p += 5 + l;
            }
            assert_eq!(p, b.len());
            if v13 {
                assert_eq!(types[..2], [(HANDSHAKE, 2), (CHANGE_CIPHER_SPEC, 0)]);
                assert!(types[2..].iter().all(|t| t.0 == APPLICATION_DATA));
            } else {
                assert_eq!(
                    types,
                    [
                        (HANDSHAKE, 2),
                        (HANDSHAKE, 11),
                        (HANDSHAKE, 12),
                        (HANDSHAKE, 14)
                    ]
                );
            }
        }
    }

    #[test]
    fn large_payloads_split_into_max_size_records() {
        let mut rng = Rng::new(4);
        let pool = RandomPool::new(&mut rng);
        let mut b = Vec::new();
        app_records(&mut b, &mut rng, &pool, 40_000, false);
        // 16384 + 16384 + 7232, each with 24 bytes of GCM overhead.
        assert_eq!(b.len(), 3 * 5 + 40_000 + 3 * 24);
        assert_eq!(u16::from_be_bytes([b[3], b[4]]), 16_384 + 24);
    }
}

/// ServerHello (TLS 1.0, TLS_RSA_WITH_AES_128_CBC_SHA), Certificate and
/// ServerHelloDone of an old embedded web server that never learnt TLS 1.2.
fn server_flight_10(b: &mut Vec<u8>, rng: &mut Rng, cert: &[u8]) {
    record(b, HANDSHAKE, 0x0301, |b| {
        handshake(b, 2, |b| {
            b.extend_from_slice(&[3, 1]);
            random_into(b, rng, 32);
            with_len(b, 1, |b| random_into(b, rng, 32));
            b.extend_from_slice(&[0x00, 0x2f, 0]);
            with_len(b, 2, |b| ext(b, 0xff01, |b| b.push(0)));
        })
    });
    record(b, HANDSHAKE, 0x0301, |b| {
        handshake(b, 11, |b| {
            with_len(b, 3, |b| with_len(b, 3, |b| b.extend_from_slice(cert)))
        })
    });
    record(b, HANDSHAKE, 0x0301, |b| handshake(b, 14, |_| {}));
}

/// CBC records of about `n` bytes of application data (TLS 1.0: no
/// explicit IV, HMAC-SHA1 and padding to 16 bytes).
fn cbc_records(b: &mut Vec<u8>, rng: &mut Rng, pool: &RandomPool, mut n: usize) {
    while n > 0 {
        let take = n.min(MAX_FRAGMENT);
        let len = (take + 20).div_ceil(16) * 16;
        record(b, APPLICATION_DATA, 0x0301, |b| pool.push(rng, b, len));
        n -= take;
    }
}

/// An admin's browser (or the NVR) opening a device's web interface over
/// HTTPS, where the device only speaks TLS 1.0 and presents `cert`: full
/// RSA handshake, one request, one page, close.
#[derive(Debug)]
pub(crate) struct LegacyTlsAdmin {
    host: String,
    cert: std::sync::Arc<Vec<u8>>,
    step: u8,
}

impl LegacyTlsAdmin {
    pub(crate) fn new(host: String, cert: std::sync::Arc<Vec<u8>>) -> Self {
        LegacyTlsAdmin {
            host,
            cert,
            step: 0,
        }
    }
}

impl App for LegacyTlsAdmin {
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        self.step += 1;
        let (from, delay) = match self.step {
            1 => {
                client_hello(
                    buf,
                    cx.rng,
                    TlsClient::OpenSsl,
                    &self.host,
                    &["http/1.1"],
                    &[],
                );
                (Side::Client, cx.rng.range(100_000, 2_000_000))
            }
            2 => {
                server_flight_10(buf, cx.rng, &self.cert);
                (Side::Server, cx.rng.range(2_000_000, 30_000_000))
            }
            3 => {
                // ClientKeyExchange (RSA-encrypted premaster), CCS, Finished.
                record(buf, HANDSHAKE, 0x0301, |b| {
                    handshake(b, 16, |b| with_len(b, 2, |b| random_into(b, cx.rng, 256)))
                });
                buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 1, 0, 1, 1]);
                record(buf, HANDSHAKE, 0x0301, |b| {
                    cx.world.pool.push(cx.rng, b, 48)
                });
                (Side::Client, cx.rng.range(500_000, 5_000_000))
            }
            4 => {
                buf.extend_from_slice(&[CHANGE_CIPHER_SPEC, 3, 1, 0, 1, 1]);
                record(buf, HANDSHAKE, 0x0301, |b| {
                    cx.world.pool.push(cx.rng, b, 48)
                });
                (Side::Server, cx.rng.range(20_000_000, 200_000_000))
            }
            5 => {
                let n = cx.rng.range(300, 900) as usize;
                cbc_records(buf, cx.rng, &cx.world.pool, n);
                (Side::Client, cx.rng.range(200_000, 5_000_000))
            }
            6 => {
                let n = cx.rng.range(2_000, 12_000) as usize;
                cbc_records(buf, cx.rng, &cx.world.pool, n);
                (Side::Server, cx.rng.range(5_000_000, 80_000_000))
            }
            _ => {
                return AppStep::Close {
                    from: Side::Client,
                    delay: cx.rng.range(100_000_000, 2_000_000_000),
                    rst: false,
                }
            }
        };
        AppStep::Send { from, delay }
    }
}
