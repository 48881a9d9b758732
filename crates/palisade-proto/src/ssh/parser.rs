//! The banner line.

/// A parsed `SSH-proto-software comments` line (borrowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banner<'a> {
    /// `2.0`, `1.99`.
    pub proto: &'a [u8],
    /// `OpenSSH_8.4p1`.
    pub software: &'a [u8],
    /// Text after the first space, if any.
    pub comments: Option<&'a [u8]>,
}

/// Parses a banner line (without CR LF); None if it is not `SSH-x-y`.
pub fn banner(line: &[u8]) -> Option<Banner<'_>> {
    let rest = line.strip_prefix(b"SSH-")?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    let proto = &rest[..dash];
    let after = &rest[dash + 1..];
    let (software, comments) = match after.iter().position(|&b| b == b' ') {
        Some(sp) => (&after[..sp], Some(&after[sp + 1..])),
        None => (after, None),
    };
    if proto.is_empty() {
        return None;
    }
    Some(Banner {
        proto,
        software,
        comments,
    })
}
