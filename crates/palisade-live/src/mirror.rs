//! UDP listeners for mirrored traffic: VXLAN (cloud traffic mirroring,
//! Soracom Junction, switches) and TZSP (MikroTik and others).
//!
//! A listener receives one datagram at a time into a reusable 64 KiB buffer
//! (larger than any UDP payload, so nothing is truncated), strips the
//! encapsulation with `palisade-wire`'s views ([`VxlanPacket`],
//! [`TzspPacket`]) and hands out the inner frame with its link type and a
//! [`MirrorOrigin`] (kind, sender, VXLAN VNI) for the records. The outer
//! IP/UDP headers are gone (the kernel consumed them), so the pipeline sees
//! the mirrored traffic as if it had been captured on a port; it should key
//! flows on the origin as well (two mirror sessions may carry the same
//! 5-tuple), e.g. with `TunnelKind::{Vxlan,Tzsp}.tunnel_id(session_id)`.
//!
//! The kernel's count of datagrams dropped for want of buffer space is
//! read into [`LiveStats::kernel_drops`] by `stats()` (from procfs).
//! Anyone who can reach the port can feed the sensor traffic it will take
//! for mirrored: bind the mirror network's address, not `0.0.0.0`, where
//! that matters, and filter senders in the firewall.
//!
//! A datagram that is not valid encapsulation is counted in
//! [`LiveStats::invalid`] and one that carries no frame (TZSP keepalive) in
//! [`LiveStats::ignored`]; neither ends the wait, so a peer spraying
//! garbage at the port cannot make `next` fail.
#![forbid(unsafe_code)]

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use palisade_event::Timestamp;
use palisade_wire::tzsp::{TzspEncapsulation, TzspPacket};
use palisade_wire::vxlan::VxlanPacket;

use crate::error::{Error, Result};
use crate::{LivePacket, LiveSource, LiveStats};

/// Receive buffer: the largest UDP payload fits.
pub const DATAGRAM_BUFFER: usize = 65_536;

/// How mirrored frames are encapsulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MirrorKind {
    /// VXLAN (RFC 7348), UDP 4789: 8-byte header, inner Ethernet.
    Vxlan,
    /// TZSP, UDP 37008: header and tags, inner Ethernet or 802.11.
    Tzsp,
    /// GRE (IP protocol 47, no port): ERSPAN or transparent Ethernet
    /// bridging. Received by [`crate::gre::GreListener`], not by a UDP
    /// [`MirrorListener`].
    Gre,
}

impl MirrorKind {
    /// The URL scheme (`vxlan`, `tzsp`, `gre`).
    pub fn scheme(self) -> &'static str {
        match self {
            MirrorKind::Vxlan => "vxlan",
            MirrorKind::Tzsp => "tzsp",
            MirrorKind::Gre => "gre",
        }
    }

    /// The well-known port (0 for GRE, which has none).
    pub fn default_port(self) -> u16 {
        match self {
            MirrorKind::Vxlan => palisade_wire::vxlan::PORT,
            MirrorKind::Tzsp => palisade_wire::tzsp::PORT,
            MirrorKind::Gre => 0,
        }
    }
}

/// Where a mirrored packet came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MirrorOrigin {
    /// Encapsulation.
    pub kind: MirrorKind,
    /// The mirroring device (UDP source address and port; for GRE the
    /// outer source address, port 0).
    pub sender: SocketAddr,
    /// VXLAN network identifier; 0 for TZSP and GRE (whose key or ERSPAN
    /// session the decoder reads from the datagram).
    pub session_id: u32,
}

/// What a mirror datagram holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decap<'a> {
    /// A frame of link type `linktype`.
    Frame {
        /// LINKTYPE of `frame` (1 Ethernet, 105 802.11, 119 Prism, 163 AVS).
        linktype: u32,
        /// VNI (VXLAN) or 0.
        session_id: u32,
        /// The mirrored frame.
        frame: &'a [u8],
    },
    /// Valid, but no frame (TZSP keepalive, port opener, ...).
    NoFrame,
    /// Not valid encapsulation.
    Invalid(&'static str),
}

/// Strips the encapsulation of one mirror datagram (the UDP payload).
/// A GRE datagram (IPv4 header first, as the raw socket delivers it) is
/// handed out whole as raw IPv4: the decoder unwraps GRE and ERSPAN.
pub fn decapsulate(kind: MirrorKind, datagram: &[u8]) -> Decap<'_> {
    match kind {
        MirrorKind::Gre => match crate::gre::classify(datagram) {
            crate::gre::GreDatagram::Mirror { .. } => Decap::Frame {
                linktype: crate::gre::LINKTYPE_IPV4,
                session_id: 0,
                frame: datagram,
            },
            crate::gre::GreDatagram::Ignored => Decap::NoFrame,
            crate::gre::GreDatagram::Invalid(why) => Decap::Invalid(why),
        },
        MirrorKind::Vxlan => match VxlanPacket::new_checked(datagram) {
            Ok(v) if v.vni_valid() => Decap::Frame {
                linktype: 1,
                session_id: v.vni(),
                frame: v.payload(),
            },
            Ok(_) => Decap::Invalid("VXLAN header without the I flag"),
            Err(_) => Decap::Invalid("shorter than a VXLAN header"),
        },
        MirrorKind::Tzsp => {
            let t = match TzspPacket::new_checked(datagram) {
                Ok(t) if t.version() == palisade_wire::tzsp::VERSION => t,
                Ok(_) => return Decap::Invalid("TZSP version is not 1"),
                Err(_) => return Decap::Invalid("truncated or malformed TZSP header"),
            };
            if !t.packet_type().carries_frame() {
                return Decap::NoFrame;
            }
            let linktype = match t.encapsulation() {
                TzspEncapsulation::Ethernet => 1,
                TzspEncapsulation::Ieee80211 => 105,
                TzspEncapsulation::Prism => 119,
                TzspEncapsulation::WlanAvs => 163,
                TzspEncapsulation::Unknown(_) => {
                    return Decap::Invalid("unknown TZSP encapsulation")
                }
            };
            Decap::Frame {
                linktype,
                session_id: 0,
                frame: t.payload(),
            }
        }
    }
}

/// A UDP listener for one mirror encapsulation.
pub struct MirrorListener {
    sock: UdpSocket,
    kind: MirrorKind,
    local: SocketAddr,
    buf: Box<[u8]>,
    /// Receives with SO_RCVTIMEO set once per wait, not per packet.
    rx: crate::recv::TimedRecv,
    stats: LiveStats,
}

impl std::fmt::Debug for MirrorListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorListener")
            .field("kind", &self.kind)
            .field("local", &self.local)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl MirrorListener {
    /// Binds `addr` (port 0 picks a free port: see [`Self::local_addr`]).
    /// GRE is not UDP: open a [`crate::gre::GreListener`] for it.
    pub fn bind(kind: MirrorKind, addr: SocketAddr) -> Result<MirrorListener> {
        let what = format!("{}://{addr}", kind.scheme());
        if kind == MirrorKind::Gre {
            return Err(Error::Spec {
                input: what,
                reason: "GRE mirrors arrive on a raw socket: open a GreListener".into(),
            });
        }
        let sock = UdpSocket::bind(addr).map_err(|e| Error::os("bind", &what, e))?;
        let local = sock
            .local_addr()
            .map_err(|e| Error::os("getsockname", &what, e))?;
        Ok(MirrorListener {
            sock,
            kind,
            local,
            buf: vec![0; DATAGRAM_BUFFER].into_boxed_slice(),
            rx: crate::recv::TimedRecv::default(),
            stats: LiveStats::default(),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The encapsulation this listener expects.
    pub fn kind(&self) -> MirrorKind {
        self.kind
    }
}

impl LiveSource for MirrorListener {
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>> {
        let deadline = Instant::now() + timeout;
        let (n, sender) = loop {
            if Instant::now() >= deadline && timeout > Duration::ZERO {
                return Ok(None);
            }
            let (n, sender) = match self.rx.recv_from(&self.sock, &mut self.buf, timeout) {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(None),
                // an ICMP error for an earlier send; nothing to do with receiving
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(Error::os("recvfrom", &self.local.to_string(), e)),
            };
            match decapsulate(self.kind, self.buf.get(..n).unwrap_or_default()) {
                Decap::Frame { .. } => break (n, sender),
                Decap::NoFrame => self.stats.ignored += 1,
                Decap::Invalid(_) => self.stats.invalid += 1,
            }
            if timeout.is_zero() {
                return Ok(None);
            }
        };
        let Decap::Frame {
            linktype,
            session_id,
            frame,
        } = decapsulate(self.kind, self.buf.get(..n).unwrap_or_default())
        else {
            return Ok(None); // decided above; the bytes have not changed
        };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| Timestamp::from_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)))
            .unwrap_or(Timestamp::ZERO);
        self.stats.packets += 1;
        self.stats.bytes += frame.len() as u64;
        Ok(Some(LivePacket {
            ts,
            linktype,
            data: frame,
            wire_len: u32::try_from(frame.len()).unwrap_or(u32::MAX),
            mirror: Some(MirrorOrigin {
                kind: self.kind,
                sender,
                session_id,
            }),
        }))
    }

    fn stats(&mut self) -> Result<LiveStats> {
        if let Some(drops) =
            socket_drops(&self.sock, &["/proc/self/net/udp", "/proc/self/net/udp6"])
        {
            self.stats.kernel_drops = drops;
        }
        Ok(self.stats)
    }
}

/// The kernel's drop counter of a datagram socket (datagrams that found its
/// receive buffer full), from the `drops` column of a procfs table
/// (`/proc/self/net/udp`, `udp6`, `raw`), found by the socket's inode.
/// `None` when procfs is not there or shows another network namespace than
/// the socket's (a socket opened inside `run_in_netns`).
pub(crate) fn socket_drops(sock: &impl std::os::fd::AsRawFd, tables: &[&str]) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(format!("/proc/self/fd/{}", sock.as_raw_fd()))
        .ok()?
        .ino();
    for &table in tables {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.get(9).and_then(|i| i.parse::<u64>().ok()) == Some(ino) {
                return f.get(12)?.parse().ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decapsulates_vxlan_and_tzsp() {
        let frame = [0xaa; 20];
        let mut v = vec![0x08, 0, 0, 0, 0x00, 0x01, 0x2c, 0x00];
        v.extend_from_slice(&frame);
        assert_eq!(
            decapsulate(MirrorKind::Vxlan, &v),
            Decap::Frame {
                linktype: 1,
                session_id: 300,
                frame: &frame
            }
        );
        v[0] = 0;
        assert!(matches!(
            decapsulate(MirrorKind::Vxlan, &v),
            Decap::Invalid(_)
        ));
        assert!(matches!(
            decapsulate(MirrorKind::Vxlan, &v[..7]),
            Decap::Invalid(_)
        ));

        let mut t = vec![1, 0, 0, 1, 0x0a, 0x01, 0xc4, 0x01];
        t.extend_from_slice(&frame);
        assert_eq!(
            decapsulate(MirrorKind::Tzsp, &t),
            Decap::Frame {
                linktype: 1,
                session_id: 0,
                frame: &frame
            }
        );
        t[3] = 18;
        assert!(matches!(
            decapsulate(MirrorKind::Tzsp, &t),
            Decap::Frame { linktype: 105, .. }
        ));
        t[3] = 77;
        assert!(matches!(
            decapsulate(MirrorKind::Tzsp, &t),
            Decap::Invalid(_)
        ));
        assert_eq!(
            decapsulate(MirrorKind::Tzsp, &[1, 4, 0, 1, 1]),
            Decap::NoFrame
        );
        assert!(matches!(
            decapsulate(MirrorKind::Tzsp, &[2, 0, 0, 1, 1]),
            Decap::Invalid(_)
        ));
        assert!(matches!(
            decapsulate(MirrorKind::Tzsp, &[1, 0, 0]),
            Decap::Invalid(_)
        ));
    }
}
