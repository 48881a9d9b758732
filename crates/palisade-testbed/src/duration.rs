//! Human durations for the command line: `30m`, `90s`, `2h`, `1h30m`, `45`.

use crate::TestbedError;

/// Parses a duration into whole seconds.
///
/// Accepted forms: a bare number of seconds (`45`), or one or more
/// number-unit pairs with units `d`, `h`, `m`, `s` in decreasing order, each at
/// most once (`2h`, `1h30m`, `1d12h`, `90s`). Surrounding whitespace is
/// ignored. Zero, empty input, unknown units, repeated or out-of-order units
/// and overflow are errors.
pub fn parse_duration(s: &str) -> Result<u64, TestbedError> {
    let input = s;
    let s = s.trim();
    let err = |reason: &'static str| TestbedError::InvalidDuration {
        input: input.to_string(),
        reason,
    };
    if s.is_empty() {
        return Err(err("empty"));
    }
    let bytes = s.as_bytes();
    let mut total: u64 = 0;
    let mut i = 0;
    // Rank of the last unit seen: units must strictly decrease (d > h > m > s).
    let mut last_rank = u8::MAX;
    while i < bytes.len() {
        let start = i;
        let mut n: u64 = 0;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((bytes[i] - b'0') as u64))
                .ok_or_else(|| err("too large"))?;
            i += 1;
        }
        if i == start {
            return Err(err("expected a number"));
        }
        let (mult, rank) = if i == bytes.len() {
            if start != 0 {
                return Err(err("a unit (d, h, m, s) is needed after the last number"));
            }
            (1, 0)
        } else {
            let unit = bytes[i];
            i += 1;
            match unit.to_ascii_lowercase() {
                b'd' => (86_400, 4),
                b'h' => (3_600, 3),
                b'm' => (60, 2),
                b's' => (1, 1),
                _ => return Err(err("unknown unit (use d, h, m or s)")),
            }
        };
        if rank >= last_rank {
            return Err(err("units must appear once each, largest first"));
        }
        last_rank = rank;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| err("too large"))?;
    }
    if total == 0 {
        return Err(err("must be positive"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases = [
            ("30m", 1800),
            ("90s", 90),
            ("2h", 7200),
            ("1h30m", 5400),
            ("45", 45),
            (" 10m ", 600),
            ("1d", 86_400),
            ("1d2h3m4s", 86_400 + 7200 + 180 + 4),
            ("2H", 7200),
            ("0h5m", 300),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "",
            "  ",
            "m",
            "10x",
            "1h1h",
            "30m1h",
            "0",
            "0s",
            "-5",
            "1.5h",
            "h30",
            "10m5",
            "99999999999999999999",
            "300000000000000000d",
        ] {
            let e = parse_duration(s).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidDuration, "{s}");
            assert!(e.to_string().contains("invalid duration"), "{e}");
        }
    }
}
