//! A raw-socket listener for GRE-mirrored traffic: ERSPAN type I/II/III
//! (switch and router port mirrors), GRE with transparent Ethernet bridging
//! (0x6558, Linux `gretap`, some cloud mirrors) and plain GRE tunnels.
//!
//! GRE is IP protocol 47, not a UDP port, so the listener is an
//! `AF_INET`/`SOCK_RAW`/`IPPROTO_GRE` socket (CAP_NET_RAW): the kernel hands
//! it a copy of every GRE datagram addressed to the host (or to the bound
//! address), reassembled, with its IPv4 header. Unlike the UDP mirrors the
//! listener does not strip the encapsulation itself: it hands out the whole
//! IPv4 datagram as a raw-IPv4 packet (LINKTYPE_IPV4, 228), and the
//! pipeline's decoder walks IPv4 → GRE → ERSPAN → the mirrored frame, so
//! the inner traffic becomes frames of its own, keyed on the tunnel kind and
//! id (GRE key, ERSPAN session id) like any tunnelled packet; the outer
//! header (the mirroring device's address) stays visible as the outer frame.
//!
//! The receive buffer is one reusable 64 KiB block (the largest IPv4
//! datagram fits); the socket asks the kernel for a [`RECV_BUFFER`] queue,
//! which the kernel caps at `net.core.rmem_max`. Datagrams the queue had
//! no room for are counted by the kernel and read into
//! [`LiveStats::kernel_drops`] (the `drops` column of `/proc/net/raw`).
//!
//! Only version-0 GRE carrying a frame the decoder unwraps (Ethernet, ERSPAN
//! II/III, IPv4, IPv6) is handed out; other valid GRE (PPTP's version 1,
//! keepalives of unknown payload types) is counted in
//! [`LiveStats::ignored`], and anything that is not an IPv4/GRE datagram
//! in [`LiveStats::invalid`]. Neither ends the wait. Anyone who can send IP
//! to the host can feed the sensor GRE it will take for mirrored: bind the
//! mirror network's address where that matters, and filter in the firewall.
//!
//! IPv6 GRE mirrors are not received (an `AF_INET6` raw socket does not
//! hand out the IPv6 header, which would have to be rebuilt from ancillary
//! data); mirror over IPv4, or capture with `--interface` where the IPv6
//! GRE arrives.
#![forbid(unsafe_code)]

use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
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
/// LINKTYPE of the packets handed out: raw IPv4 (LINKTYPE_IPV4).
pub const LINKTYPE_IPV4: u32 = 228;
/// Receive buffer: the largest IPv4 datagram fits.
pub const DATAGRAM_BUFFER: usize = 65_536;
/// Socket receive queue asked for (`SO_RCVBUF`; the kernel caps it at
/// `net.core.rmem_max`). Mirrors come in bursts; the default queue
/// (about 200 KiB) holds little more than a hundred full-size datagrams.
pub const RECV_BUFFER: usize = 8 << 20;

/// What a datagram from the GRE socket holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreDatagram {
    /// An IPv4/GRE datagram carrying a frame the decoder unwraps; the
    /// sender is the outer source address.
    Mirror {
        /// The mirroring device (outer IPv4 source).
        sender: Ipv4Addr,
        /// GRE protocol type (0x6558, 0x88be, 0x22eb, 0x0800, 0x86dd).
        protocol: u16,
    },
    /// Valid GRE without a frame for palisade (version 1, other protocol
    /// types).
    Ignored,
    /// Not an IPv4/GRE datagram.
    Invalid(&'static str),
}

/// Judges one datagram as the raw socket delivers it (IPv4 header first).
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
    let Ok(g) = GrePacket::new_checked(ip.payload()) else {
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
            sender: Ipv4Addr::from(ip.src_addr()),
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
    sock: Socket,
    local: Ipv4Addr,
    name: String,
    buf: Box<[u8]>,
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
    /// address (`0.0.0.0`: any). Needs CAP_NET_RAW (or root).
    pub fn bind(local: Ipv4Addr) -> Result<GreListener> {
        let name = format!("gre://{local}");
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW.cloexec(),
            Some(Protocol::from(IPPROTO_GRE)),
        )
        .map_err(|e| sys_err("socket(AF_INET, SOCK_RAW, IPPROTO_GRE)", &name, e))?;
        if !local.is_unspecified() {
            sock.bind(&SocketAddr::V4(SocketAddrV4::new(local, 0)).into())
                .map_err(|e| sys_err("bind", &name, e))?;
        }
        // best effort: the kernel caps the size, and a small queue only
        // means more counted drops
        let _ = sock.set_recv_buffer_size(RECV_BUFFER);
        Ok(GreListener {
            sock,
            local,
            name,
            buf: vec![0; DATAGRAM_BUFFER].into_boxed_slice(),
            stats: LiveStats::default(),
        })
    }

    /// The address GRE is received on (`0.0.0.0`: any).
    pub fn local_addr(&self) -> Ipv4Addr {
        self.local
    }
}

impl LiveSource for GreListener {
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>> {
        let deadline = Instant::now() + timeout;
        let (n, sender) = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() && timeout > Duration::ZERO {
                return Ok(None);
            }
            // a zero read timeout means "block forever" to the socket
            let wait = left.max(Duration::from_millis(1));
            self.sock
                .set_read_timeout(Some(wait))
                .map_err(|e| Error::os("setsockopt(SO_RCVTIMEO)", &self.name, e))?;
            let n = match (&self.sock).read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(None)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::os("recv", &self.name, e)),
            };
            match classify(self.buf.get(..n).unwrap_or_default()) {
                GreDatagram::Mirror { sender, .. } => break (n, sender),
                GreDatagram::Ignored => self.stats.ignored += 1,
                GreDatagram::Invalid(_) => self.stats.invalid += 1,
            }
            if timeout.is_zero() {
                return Ok(None);
            }
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
            linktype: LINKTYPE_IPV4,
            data,
            wire_len: u32::try_from(n).unwrap_or(u32::MAX),
            mirror: Some(MirrorOrigin {
                kind: MirrorKind::Gre,
                sender: SocketAddr::V4(SocketAddrV4::new(sender, 0)),
                // the decoder reads the GRE key / ERSPAN session itself
                session_id: 0,
            }),
        }))
    }

    fn stats(&mut self) -> Result<LiveStats> {
        if let Some(drops) = crate::mirror::socket_drops(&self.sock, &["/proc/self/net/raw"]) {
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
                sender: Ipv4Addr::new(10, 0, 0, 1),
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
