//! DHCP (RFC 2131/2132) over UDP ports 67 and 68.
//!
//! On an IoT network DHCP is where devices introduce themselves: the
//! client MAC, the host name (option 12) and the vendor class (option 60)
//! identify the device model, and the parameter request list
//! fingerprints its DHCP client. Replies show which server hands out
//! addresses, routers and DNS servers: a rogue server shows up here.
//!
//! **Messages.** Every datagram is a transaction of its own, complete at
//! once (Suricata's model too). The fixed BOOTP part gives the op, xid,
//! ciaddr/yiaddr/siaddr/giaddr and chaddr; the options after the magic
//! cookie are walked as bounded TLVs: message type (53), host name (12),
//! vendor class (60), parameter request list (55), requested IP (50),
//! server identifier (54), lease/renewal/rebinding times (51, 58, 59),
//! subnet mask (1), routers (3), DNS servers (6), client identifier (61).
//! The first occurrence of an option counts; option overload (52, options
//! in `sname`/`file`) is not followed.
//!
//! **Events.** Suricata's `dhcp.truncated_options` (an option runs past
//! the message) and `dhcp.malformed_options` (a known option of the wrong
//! size); palisade's flow event `dhcp.malformed_message` for a datagram
//! shorter than the BOOTP header.
//!
//! **Buffers.** `dhcp.hostname`, `dhcp.vendor_class`.
//!
//! **EVE.** Suricata's extended `dhcp` record: `type` (request/reply),
//! `id`, `client_mac`, `assigned_ip`, `client_ip`, `relay_ip` and
//! `next_server_ip` (replies), `dhcp_type`, `client_id`, `hostname`,
//! `vendor_class_identifier`, `params`, `lease_time`, `renewal_time`,
//! `rebinding_time`, `requested_ip`, `subnet_mask`, `routers`,
//! `dns_servers`; palisade adds `server_id`.

mod parser;
mod state;

pub use state::{decode, DhcpParser, DhcpTx};

use crate::registry::{Probe, ProbeInput, ProtoSpec, Transport};

/// Registry entry.
pub static SPEC: ProtoSpec = ProtoSpec {
    name: "dhcp",
    transport: Transport::Udp,
    ports: &[67, 68],
    probe,
    new_parser: || Box::new(DhcpParser::default()),
};

/// BOOTP op 1 or 2, Ethernet addresses (htype 1, hlen 6) and the DHCP
/// magic cookie: 6 fixed bytes at fixed places, strong enough off-port.
fn probe(p: &ProbeInput<'_>) -> Probe {
    match parser::bootp(p.data) {
        Some(h) if matches!(h.op, 1 | 2) && h.htype == 1 && h.hlen == 6 && h.has_cookie => {
            Probe::Match
        }
        _ => Probe::NoMatch,
    }
}

#[cfg(test)]
mod tests;
