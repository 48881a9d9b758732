//! The error model: one opaque error naming the file, the byte offset and
//! what was wrong.

use std::fmt;

/// What went wrong while opening or reading a capture.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The operating system (or the gzip decoder) reported an error.
    #[error("read error: {0}")]
    Io(std::io::Error),
    /// The first bytes are no pcap, pcapng or gzip magic.
    #[error("not a capture file (no pcap, pcapng or gzip magic)")]
    NotACapture,
    /// The file ends inside a header or a record.
    #[error("file ends inside a record (truncated)")]
    Truncated,
    /// A header or record is malformed: a bad length, a bad block, an unknown
    /// interface id, a length beyond the reader's bounds, ...
    #[error("corrupt capture: {0}")]
    Corrupt(String),
}

/// An error reading a capture, naming the file and the byte offset.
///
/// Displays as `"{file}: at byte {offset}: {what}"`. The offset is the start of
/// the header, record or block that could not be read (for a `.gz` input, the
/// offset in the decompressed stream). Every packet before that offset was
/// delivered.
#[derive(Debug)]
pub struct CaptureError {
    file: String,
    offset: u64,
    kind: ErrorKind,
}

impl CaptureError {
    /// Builds an error for `file` at byte `offset`.
    pub fn new(file: impl Into<String>, offset: u64, kind: ErrorKind) -> Self {
        CaptureError {
            file: file.into(),
            offset,
            kind,
        }
    }

    /// The name of the input (its path as given, or `<stdin>`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The byte offset of the header, record or block that failed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What was wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: at byte {}: {}", self.file, self.offset, self.kind)
    }
}

impl std::error::Error for CaptureError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_offset_and_what() {
        let e = CaptureError::new("a.pcap", 40, ErrorKind::Truncated);
        assert_eq!(
            e.to_string(),
            "a.pcap: at byte 40: file ends inside a record (truncated)"
        );
        assert_eq!(e.file(), "a.pcap");
        assert_eq!(e.offset(), 40);
        assert!(matches!(e.kind(), ErrorKind::Truncated));
        let c = CaptureError::new("b", 0, ErrorKind::Corrupt("bad block".into()));
        assert_eq!(c.to_string(), "b: at byte 0: corrupt capture: bad block");
    }
}
