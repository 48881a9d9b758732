//! Packet time.
//!
//! palisade runs offline analysis on packet time, never wall-clock time, so a
//! timestamp is just the capture's own clock: nanoseconds since the Unix epoch.
//! Nanoseconds because pcap-ns and pcapng may carry them; EVE prints microseconds
//! as Suricata does.

use std::fmt;

/// A point in packet time: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

const NANOS_PER_SEC: u64 = 1_000_000_000;

impl Timestamp {
    /// The epoch itself; also used for "no time seen yet".
    pub const ZERO: Timestamp = Timestamp(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// From whole seconds plus a sub-second part in nanoseconds. Saturates
    /// instead of overflowing on absurd values from a hostile capture.
    pub const fn from_secs_nanos(secs: u64, nanos: u64) -> Self {
        Timestamp(secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos))
    }

    /// From whole seconds plus microseconds (classic pcap).
    pub const fn from_secs_micros(secs: u64, micros: u64) -> Self {
        Self::from_secs_nanos(secs, micros.saturating_mul(1000))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch.
    pub const fn secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// Microseconds within the second.
    pub const fn subsec_micros(self) -> u32 {
        ((self.0 % NANOS_PER_SEC) / 1000) as u32
    }

    /// This time plus a number of seconds (saturating).
    pub const fn add_secs(self, secs: u64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(NANOS_PER_SEC)))
    }

    /// Seconds elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn secs_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0) / NANOS_PER_SEC
    }

    /// Nanoseconds elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub const fn nanos_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Appends the EVE form, `2026-01-02T03:04:05.123456+0000` (UTC, as
    /// Suricata writes it when its timezone is UTC), to `out`.
    pub fn write_eve(self, out: &mut Vec<u8>) {
        let secs = self.secs();
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (rem / 3600, (rem / 60) % 60, rem % 60);
        let mut buf = itoa::Buffer::new();
        let y = buf.format(year);
        for _ in y.len()..4 {
            out.push(b'0');
        }
        out.extend_from_slice(y.as_bytes());
        out.push(b'-');
        push2(out, month as u64);
        out.push(b'-');
        push2(out, day as u64);
        out.push(b'T');
        push2(out, h);
        out.push(b':');
        push2(out, m);
        out.push(b':');
        push2(out, s);
        out.push(b'.');
        let us = self.subsec_micros();
        let mut div = 100_000;
        while div > 0 {
            out.push(b'0' + ((us / div) % 10) as u8);
            div /= 10;
        }
        out.extend_from_slice(b"+0000");
    }
}

fn push2(out: &mut Vec<u8>, v: u64) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day)
/// in the proleptic Gregorian calendar. Exact for the whole u64-seconds range
/// we can be handed.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(32);
        self.write_eve(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eve_format_matches_suricata() {
        // 2026-01-02T03:04:05.123456Z
        let t = Timestamp::from_secs_micros(1_767_323_045, 123_456);
        assert_eq!(t.to_string(), "2026-01-02T03:04:05.123456+0000");
        assert_eq!(
            Timestamp::ZERO.to_string(),
            "1970-01-01T00:00:00.000000+0000"
        );
        // leap day
        let t = Timestamp::from_secs_micros(951_782_400, 1);
        assert_eq!(t.to_string(), "2000-02-29T00:00:00.000001+0000");
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_secs_nanos(u64::MAX, u64::MAX);
        assert_eq!(t.as_nanos(), u64::MAX);
        assert_eq!(Timestamp::ZERO.secs_since(t), 0);
        assert_eq!(t.add_secs(10), t);
    }
}
