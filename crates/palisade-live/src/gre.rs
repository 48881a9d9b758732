//! A raw-socket listener for GRE-mirrored traffic: ERSPAN type I/II/III
//! (switch and router port mirrors), GRE with transparent Ethernet bridging
//! (0x6558, Linux `gretap`, some cloud mirrors) and plain GRE tunnels.
//!
//! GRE is IP protocol 47, not a UDP port, so the listener is a
//! `SOCK_RAW`/`IPPROTO_GRE` socket (CAP_NET_RAW): the kernel hands it a copy
//! of every GRE datagram addressed to the host (or to the bound address),
//! reassembled. Unlike the UDP mirrors the listener does not strip the
//! encapsulation itself: it hands out the whole datagram as a raw IP packet
//! and the pipeline's decoder walks IP → GRE → ERSPAN → the mirrored frame,
//! so the inner traffic becomes frames of its own, keyed on the tunnel kind
//! and id (GRE key, ERSPAN session id) like any tunnelled packet; the outer
//! header (the mirroring device's address) stays visible as the outer frame.
//!
//! Over IPv4 (`AF_INET`) the kernel delivers the datagram with its IPv4
//! header, handed out as LINKTYPE_IPV4 (228). Over IPv6 (`AF_INET6`, a
//! listener bound to an IPv6 address, `gre://[::]` for any) it delivers the
//! GRE header onwards only, so the listener puts an IPv6 header in front:
//! source the sender's address, destination the bound address (`::` when
//! bound to any: the kernel's ancillary data would tell, at the price of
//! parsing control messages), hop limit 64; handed out as LINKTYPE_IPV6
//! (229).
//!
//! The receive buffer is one reusable block of 64 KiB plus room for that
//! header (the largest datagram fits); the socket asks the kernel for a
//! [`RECV_BUFFER`] queue, which the kernel caps at `net.core.rmem_max`.
//! Datagrams the queue had no room for are counted by the kernel and read
//! into [`LiveStats::kernel_drops`] (the `drops` column of `/proc/net/raw`
//! or `raw6`).
//!
//! Only version-0 GRE carrying a frame the decoder unwraps (Ethernet, ERSPAN
//! II/III, IPv4, IPv6) is handed out; other valid GRE (PPTP's version 1,
//! keepalives of unknown payload types) is counted in
//! [`LiveStats::ignored`], and anything that is not a GRE datagram in
//! [`LiveStats::invalid`]. Neither ends the wait. Anyone who can send IP
//! to the host can feed the sensor GRE it will take for mirrored: bind the
//! mirror network's address where that matters, and filter in the firewall.
#![forbid(unsafe_code)]

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use palisade_event::Timestamp;
use palisade_wire::ethernet::EtherType;
use palisade_wire::gre::GrePacket;
use palisade_wire::ipv4::Ipv4Packet;
use socket2::{Domain, Protocol, Socket, Type};

use crate::error::{Error, Result};
use crate::mirror::{MirrorKind, MirrorOrigin};
use crate::{LivePacket, LiveSource, LiveStats};

/// IP protocol number of GRE.
pub const IPPROTO_GRE: i32 = 47;
/// LINKTYPE of the packets handed out by an IPv4 listener (LINKTYPE_IPV4).
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE of the packets handed out by an IPv6 listener (LINKTYPE_IPV6).
pub const LINKTYPE_IPV6: u32 = 229;
/// Length of the IPv6 header an IPv6 listener puts in front.
pub const IPV6_HEADER_LEN: usize = 40;
/// Receive buffer: the largest datagram (and a rebuilt IPv6 header) fits.
pub const DATAGRAM_BUFFER: usize = 65_536 + IPV6_HEADER_LEN;
/// Socket receive queue asked for (`SO_RCVBUF`; the kernel caps it at
/// `net.core.rmem_max`). Mirrors come in bursts; the default queue
/// (about 200 KiB) holds little more than a hundred full-size datagrams.
pub const RECV_BUFFER: usize = 8 << 20;

/// What a datagram from the GRE socket holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreDatagram {
    /// A GRE datagram carrying a frame the decoder unwraps; the sender is
    /// the outer source address.
    Mirror {
        /// The mirroring device (outer source address).
        sender: IpAddr,
        /// GRE protocol type (0x6558, 0x88be, 0x22eb, 0x0800, 0x86dd).
        protocol: u16,
    },
    /// Valid GRE without a frame for palisade (version 1, other protocol
    /// types).
    Ignored,
    /// Not a GRE datagram.
    Invalid(&'static str),
}

/// Judges one datagram as an IPv4 raw socket delivers it (IPv4 header
/// first).
pub fn classify(datagram: &[u8]) -> GreDatagram {
    let Ok(ip) = Ipv4Packet::new_checked(datagram) else {
        return GreDatagram::Invalid("shorter than an IPv4 header");
    };
    if ip.check().is_err() {
        return GreDatagram::Invalid("malformed IPv4 header");
    }
    if ip.protocol() != IPPROTO_GRE as u8 {
        return GreDatagram::Invalid("not GRE (IP protocol is not 47)");
    }
    if ip.frag_offset() != 0 || ip.more_frags() {
        // the kernel reassembles before raw delivery; a fragment here is odd
        return GreDatagram::Invalid("IPv4 fragment");
    }
    classify_gre(ip.payload(), IpAddr::V4(Ipv4Addr::from(ip.src_addr())))
}

/// Judges a GRE header and what follows (as an IPv6 raw socket delivers
/// it), sent by `sender`.
pub fn classify_gre(gre: &[u8], sender: IpAddr) -> GreDatagram {
    let Ok(g) = GrePacket::new_checked(gre) else {
        return GreDatagram::Invalid("truncated or malformed GRE header");
    };
    if g.version() != 0 {
        return GreDatagram::Ignored;
    }
    match g.protocol_type() {
        EtherType::TransparentEthernet
        | EtherType::ErspanII
        | EtherType::ErspanIII
        | EtherType::Ipv4
        | EtherType::Ipv6 => GreDatagram::Mirror {
            sender,
            protocol: g.protocol_type_raw(),
        },
        _ => GreDatagram::Ignored,
    }
}

/// Maps a failed system call to the crate's error; a missing privilege
/// says which one is needed.
fn sys_err(op: &'static str, what: &str, e: std::io::Error) -> Error {
    if e.kind() == ErrorKind::PermissionDenied {
        Error::Privilege {
            op,
            what: what.to_string(),
        }
    } else {
        Error::os(op, what, e)
    }
}

/// A raw IPPROTO_GRE socket handing out mirrored datagrams.
pub struct GreListener {
    // A raw socket, used through std's datagram calls (recvfrom and
    // SO_RCVTIMEO work alike on any datagram socket), so that receiving
    // needs no unsafe code.
    sock: UdpSocket,
    local: IpAddr,
    name: String,
    buf: Box<[u8]>,
    /// Receives with SO_RCVTIMEO set once per wait, not per packet.
    rx: crate::recv::TimedRecv,
    stats: LiveStats,
}

impl std::fmt::Debug for GreListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GreListener")
            .field("local", &self.local)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl GreListener {
    /// Opens the raw socket; `local` restricts it to GRE addressed to that
    /// address (`0.0.0.0` / `::`: any, of that family). Needs CAP_NET_RAW
    /// (or root).
    pub fn bind(local: IpAddr) -> Result<GreListener> {
        let name = match local {
            IpAddr::V4(a) => format!("gre://{a}"),
            IpAddr::V6(a) => format!("gre://[{a}]"),
        };
        let (domain, op) = match local {
            IpAddr::V4(_) => (Domain::IPV4, "socket(AF_INET, SOCK_RAW, IPPROTO_GRE)"),
            IpAddr::V6(_) => (Domain::IPV6, "socket(AF_INET6, SOCK_RAW, IPPROTO_GRE)"),
        };
        let sock = Socket::new(
            domain,
            Type::RAW.cloexec(),
            Some(Protocol::from(IPPROTO_GRE)),
        )
        .map_err(|e| sys_err(op, &name, e))?;
        if !local.is_unspecified() {
            sock.bind(&SocketAddr::new(local, 0).into())
                .map_err(|e| sys_err("bind", &name, e))?;
        }
        // best effort: the kernel caps the size, and a small queue only
        // means more counted drops
        let _ = sock.set_recv_buffer_size(RECV_BUFFER);
        Ok(GreListener {
            sock: UdpSocket::from(OwnedFd::from(sock)),
            local,
            name,
            buf: vec![0; DATAGRAM_BUFFER].into_boxed_slice(),
            rx: crate::recv::TimedRecv::default(),
            stats: LiveStats::default(),
        })
    }

    /// The address GRE is received on (unspecified: any).
    pub fn local_addr(&self) -> IpAddr {
        self.local
    }
}

/// Writes an IPv6 header for `payload_len` bytes of GRE from `src` to `dst`
/// into `hdr`.
fn ipv6_header(hdr: &mut [u8; IPV6_HEADER_LEN], payload_len: u16, src: [u8; 16], dst: [u8; 16]) {
    hdr[..4].copy_from_slice(&[0x60, 0, 0, 0]);
    hdr[4..6].copy_from_slice(&payload_len.to_be_bytes());
    hdr[6] = IPPROTO_GRE as u8;
    hdr[7] = 64;
    hdr[8..24].copy_from_slice(&src);
    hdr[24..40].copy_from_slice(&dst);
}

impl LiveSource for GreListener {
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>> {
        let deadline = Instant::now() + timeout;
        let (n, sender) = loop {
            if Instant::now() >= deadline && timeout > Duration::ZERO {
                return Ok(None);
            }
            // IPv6: room for the header put in front
            let off = if self.local.is_ipv4() {
                0
            } else {
                IPV6_HEADER_LEN
            };
            let Some(room) = self.buf.get_mut(off..) else {
                return Ok(None); // the buffer is larger than the header
            };
            let (n, from) = match self.rx.recv_from(&self.sock, room, timeout) {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(None),
                Err(e) => return Err(Error::os("recvfrom", &self.name, e)),
            };
            let got = self.buf.get(off..off + n).unwrap_or_default();
            let verdict = match self.local {
                IpAddr::V4(_) => classify(got),
                IpAddr::V6(_) => classify_gre(got, from.ip()),
            };
            match verdict {
                GreDatagram::Mirror { sender, .. } => break (off + n, sender),
                GreDatagram::Ignored => self.stats.ignored += 1,
                GreDatagram::Invalid(_) => self.stats.invalid += 1,
            }
            if timeout.is_zero() {
                return Ok(None);
            }
        };
        let linktype = match self.local {
            IpAddr::V6(dst) => {
                let src = match sender {
                    IpAddr::V6(a) => a,
                    IpAddr::V4(a) => a.to_ipv6_mapped(), // not from an AF_INET6 socket
                };
                let len = u16::try_from(n.saturating_sub(IPV6_HEADER_LEN)).unwrap_or(u16::MAX);
                if let Some(hdr) = self.buf.first_chunk_mut::<IPV6_HEADER_LEN>() {
                    ipv6_header(hdr, len, src.octets(), dst.octets());
                }
                LINKTYPE_IPV6
            }
            IpAddr::V4(_) => LINKTYPE_IPV4,
        };
        let data = self.buf.get(..n).unwrap_or_default();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| Timestamp::from_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)))
            .unwrap_or(Timestamp::ZERO);
        self.stats.packets += 1;
        self.stats.bytes += n as u64;
        Ok(Some(LivePacket {
            ts,
            linktype,
            data,
            wire_len: u32::try_from(n).unwrap_or(u32::MAX),
            mirror: Some(MirrorOrigin {
                kind: MirrorKind::Gre,
                sender: SocketAddr::new(sender, 0),
                // the decoder reads the GRE key / ERSPAN session itself
                session_id: 0,
            }),
        }))
    }

    fn stats(&mut self) -> Result<LiveStats> {
        let table = if self.local.is_ipv4() {
            "/proc/self/net/raw"
        } else {
            "/proc/self/net/raw6"
        };
        if let Some(drops) = crate::mirror::socket_drops(&self.sock, &[table]) {
            self.stats.kernel_drops = drops;
        }
        Ok(self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        ip.extend_from_slice(payload);
        ip
    }

    #[test]
    fn classifies_gre_datagrams() {
        let teb = ipv4(47, &[0, 0, 0x65, 0x58, 0xaa, 0xbb]);
        assert_eq!(
            classify(&teb),
            GreDatagram::Mirror {
                sender: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                protocol: 0x6558
            }
        );
        // ERSPAN II: S bit and sequence number
        let er2 = ipv4(47, &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 1]);
        assert!(matches!(
            classify(&er2),
            GreDatagram::Mirror {
                protocol: 0x88be,
                ..
            }
        ));
        assert!(matches!(
            classify(&ipv4(47, &[0, 0, 0x22, 0xeb])),
            GreDatagram::Mirror { .. }
        ));
        // PPTP (version 1) and an unknown protocol type: valid, no frame
        assert_eq!(
            classify(&ipv4(
                47,
                &[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            )),
            GreDatagram::Ignored
        );
        assert_eq!(
            classify(&ipv4(47, &[0, 0, 0x12, 0x34])),
            GreDatagram::Ignored
        );
        // not GRE / broken
        for bad in [
            vec![],
            vec![0x45; 19],
            ipv4(17, &[0; 8]),
            ipv4(47, &[0, 0]),
            ipv4(47, &[0x20, 0, 0x65, 0x58]), // K bit, key missing
        ] {
            assert!(matches!(classify(&bad), GreDatagram::Invalid(_)), "{bad:?}");
        }
        let mut short = ipv4(47, &[0, 0, 0x65, 0x58]);
        short[2..4].copy_from_slice(&100u16.to_be_bytes()); // longer than the buffer
        assert!(matches!(classify(&short), GreDatagram::Invalid(_)));
        let mut frag = teb.clone();
        frag[6] = 0x20; // MF
        assert!(matches!(classify(&frag), GreDatagram::Invalid(_)));
    }

    #[test]
    fn permission_errors_name_the_capability() {
        let e = sys_err(
            "socket",
            "gre://0.0.0.0",
            std::io::Error::from_raw_os_error(libc::EPERM),
        );
        let msg = e.to_string();
        assert!(msg.contains("CAP_NET_RAW or root"), "{msg}");
        assert!(msg.contains("gre://0.0.0.0"), "{msg}");
        let e = sys_err(
            "bind",
            "gre://10.0.0.1",
            std::io::Error::from_raw_os_error(libc::EADDRNOTAVAIL),
        );
        assert!(matches!(e, Error::Os { op: "bind", .. }), "{e}");
    }
}
