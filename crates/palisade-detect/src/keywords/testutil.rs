//! Packet views for the keyword unit tests.

use crate::packet::{FlowView, IcmpView, PacketView, TcpView};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
pub(crate) const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
pub(crate) const C: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
pub(crate) const V6A: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
pub(crate) const V6B: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));

/// An IPv4 packet A -> B with the given protocol and no payload.
pub(crate) fn ipv4_packet(proto: u8) -> PacketView<'static> {
    PacketView::new(A, B, proto, 1024, 80, &[])
}

/// An IPv6 packet V6A -> V6B.
pub(crate) fn ipv6_packet(proto: u8) -> PacketView<'static> {
    PacketView::new(V6A, V6B, proto, 1024, 80, &[])
}

/// An IPv4 TCP packet with the given flags.
pub(crate) fn tcp_packet(flags: u8) -> PacketView<'static> {
    let mut p = ipv4_packet(6);
    p.tcp = Some(TcpView {
        flags,
        ..TcpView::default()
    });
    p
}

/// An IPv4 ICMP packet.
pub(crate) fn icmp_packet(
    itype: u8,
    icode: u8,
    id: Option<u16>,
    seq: Option<u16>,
) -> PacketView<'static> {
    let mut p = ipv4_packet(1);
    p.icmp = Some(IcmpView {
        itype,
        icode,
        id,
        seq,
    });
    p
}

/// A flow view.
pub(crate) fn flow(to_server: bool, established: bool) -> FlowView {
    FlowView {
        to_server,
        established,
        has_stream: true,
        toserver_bytes: 0,
        toclient_bytes: 0,
    }
}
