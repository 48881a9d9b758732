//! BOOTP/DHCP message layout (RFC 2131 §2, options RFC 2132).
//!
//! ```text
//! 0 op | 1 htype | 2 hlen | 3 hops | 4..8 xid | 8 secs | 10 flags
//! 12 ciaddr | 16 yiaddr | 20 siaddr | 24 giaddr | 28..44 chaddr
//! 44..108 sname | 108..236 file | 236..240 magic cookie | 240.. options
//! ```

/// Offset of the magic cookie.
pub const COOKIE_AT: usize = 236;
/// Offset of the first option.
pub const OPTIONS_AT: usize = 240;
/// RFC 1497 magic cookie that starts the options.
pub const COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];

/// Option codes used.
pub mod opt {
    /// Padding.
    pub const PAD: u8 = 0;
    /// Subnet mask.
    pub const SUBNET_MASK: u8 = 1;
    /// Routers.
    pub const ROUTERS: u8 = 3;
    /// DNS servers.
    pub const DNS_SERVERS: u8 = 6;
    /// Host name.
    pub const HOSTNAME: u8 = 12;
    /// Requested IP address.
    pub const REQUESTED_IP: u8 = 50;
    /// Lease time.
    pub const LEASE_TIME: u8 = 51;
    /// DHCP message type.
    pub const MESSAGE_TYPE: u8 = 53;
    /// Server identifier.
    pub const SERVER_ID: u8 = 54;
    /// Parameter request list.
    pub const PARAMS: u8 = 55;
    /// Renewal (T1) time.
    pub const RENEWAL_TIME: u8 = 58;
    /// Rebinding (T2) time.
    pub const REBINDING_TIME: u8 = 59;
    /// Vendor class identifier.
    pub const VENDOR_CLASS: u8 = 60;
    /// Client identifier.
    pub const CLIENT_ID: u8 = 61;
    /// End of options.
    pub const END: u8 = 255;
}

fn ip(b: &[u8], at: usize) -> [u8; 4] {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default()
}

/// The fixed BOOTP header (borrowed).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bootp<'a> {
    /// 1 request, 2 reply.
    pub op: u8,
    /// Hardware type (1 Ethernet).
    pub htype: u8,
    /// Hardware address length.
    pub hlen: u8,
    /// Transaction id.
    pub xid: u32,
    /// Client IP (ciaddr).
    pub ciaddr: [u8; 4],
    /// "Your" IP, the address assigned (yiaddr).
    pub yiaddr: [u8; 4],
    /// Next server (siaddr).
    pub siaddr: [u8; 4],
    /// Relay agent (giaddr).
    pub giaddr: [u8; 4],
    /// Client hardware address, `hlen` bytes (at most 16).
    pub chaddr: &'a [u8],
    /// The options after the magic cookie (empty for plain BOOTP).
    pub options: &'a [u8],
    /// The magic cookie is present.
    pub has_cookie: bool,
}

/// The header of `b`, None when shorter than the fixed part.
pub fn bootp(b: &[u8]) -> Option<Bootp<'_>> {
    let fixed = b.get(..COOKIE_AT)?;
    let hlen = *fixed.get(2)?;
    let chaddr = fixed.get(28..28 + usize::from(hlen).min(16))?;
    let has_cookie = b.get(COOKIE_AT..OPTIONS_AT) == Some(&COOKIE[..]);
    Some(Bootp {
        op: *fixed.first()?,
        htype: *fixed.get(1)?,
        hlen,
        xid: u32::from_be_bytes(fixed.get(4..8)?.try_into().ok()?),
        ciaddr: ip(fixed, 12),
        yiaddr: ip(fixed, 16),
        siaddr: ip(fixed, 20),
        giaddr: ip(fixed, 24),
        chaddr,
        options: if has_cookie {
            b.get(OPTIONS_AT..).unwrap_or_default()
        } else {
            &[]
        },
        has_cookie,
    })
}

/// Walks the options TLVs: calls `f(code, data)` for each until END.
/// Returns false when an option runs past the end of the message
/// (truncated). The walk is bounded by the data: each step consumes at
/// least one byte.
pub fn options<'a>(mut b: &'a [u8], mut f: impl FnMut(u8, &'a [u8])) -> bool {
    while let Some((&code, rest)) = b.split_first() {
        match code {
            opt::PAD => b = rest,
            opt::END => return true,
            _ => {
                let Some((&len, rest)) = rest.split_first() else {
                    return false;
                };
                let Some((data, rest)) = rest.split_at_checked(usize::from(len)) else {
                    return false;
                };
                f(code, data);
                b = rest;
            }
        }
    }
    // No END: allowed when the options fill the message exactly.
    true
}
