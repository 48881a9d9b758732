//! The one error type of the views.

use core::fmt;

/// Why a view could not be built over some bytes.
///
/// Kept to two cases on purpose: the decoder maps them to the protocol's own
/// anomaly ([`crate::DecodeEvent`]), which carries the detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Fewer bytes than the header (or a declared length) needs.
    Truncated,
    /// The bytes are long enough but a field makes the header unreadable
    /// (a length below the minimum, a list without its terminator, ...).
    Malformed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated header",
            Error::Malformed => "malformed header",
        })
    }
}

impl std::error::Error for Error {}

/// Result of building a view.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays() {
        assert_eq!(Error::Truncated.to_string(), "truncated header");
        assert_eq!(Error::Malformed.to_string(), "malformed header");
    }
}
