//! One module per protocol: its wire encoding and the conversation that
//! speaks it.
//!
//! TCP protocols ([`mqtt`], [`tls`], [`http`], [`rtsp`]) are applications
//! driven by the shared TCP engine in [`crate::tcp`]: they only say who sends
//! which bytes when. UDP, ICMP and ARP exchanges ([`dns`], [`ntp`], [`icmp`],
//! [`arp`]) are small actors that build their own packets.

pub(crate) mod arp;
pub(crate) mod dns;
pub(crate) mod http;
pub(crate) mod icmp;
pub(crate) mod kalay;
pub(crate) mod mqtt;
pub(crate) mod ntp;
pub(crate) mod rtsp;
pub(crate) mod tls;
pub(crate) mod x509;

/// Broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

/// Unix seconds to UTC calendar time (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil(secs: u64) -> Civil {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if month <= 2 { y + 1 } else { y },
        month,
        day,
        hour: (rem / 3600) as u32,
        min: (rem / 60 % 60) as u32,
        sec: (rem % 60) as u32,
        weekday: ((days + 4).rem_euclid(7)) as u32,
    }
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8], out: &mut Vec<u8>) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63]);
        out.push(T[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63]
        } else {
            b'='
        });
    }
}

/// Nanoseconds since the Unix epoch to the 64-bit NTP timestamp format.
pub(crate) fn ntp_time(ns: u64) -> u64 {
    const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
    let secs = ns / 1_000_000_000 + NTP_UNIX_OFFSET;
    let frac = ((ns % 1_000_000_000) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        // 2026-01-05T08:00:00Z is a Monday.
        let c = civil(1_767_600_000);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.min, c.sec),
            (2026, 1, 5, 8, 0, 0)
        );
        assert_eq!(c.weekday, 1);
        let c = civil(951_782_400); // 2000-02-29, a Tuesday
        assert_eq!((c.year, c.month, c.day, c.weekday), (2000, 2, 29, 2));
        assert_eq!(civil(0).weekday, 4); // Thursday
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = Vec::new();
            base64(i.as_bytes(), &mut out);
            assert_eq!(out, o.as_bytes());
        }
    }

    #[test]
    fn ntp_epoch() {
        assert_eq!(ntp_time(0) >> 32, 2_208_988_800);
        assert_eq!(ntp_time(500_000_000) & 0xffff_ffff, 1 << 31);
    }
}
