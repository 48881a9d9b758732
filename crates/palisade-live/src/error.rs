//! The crate's one error type.

use std::io;

/// Why a live source could not be described, opened or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `--interface` or `--mirror` argument that does not parse.
    #[error("invalid source {input:?}: {reason}")]
    Spec {
        /// The argument as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `if_nametoindex` does not know the interface (in the calling
    /// thread's network namespace).
    #[error("interface {0:?}: no such interface")]
    NoSuchInterface(String),
    /// The interface's hardware type has no link type palisade decodes.
    #[error(
        "interface {name:?}: hardware type ARPHRD {arphrd} is not supported \
         (supported: Ethernet, loopback, raw IP)"
    )]
    UnsupportedLinkType {
        /// Interface name.
        name: String,
        /// `sll_hatype` of the bound socket.
        arphrd: u16,
    },
    /// Ring geometry or filter the kernel would refuse (checked first so
    /// the message says which value is wrong, not just `EINVAL`).
    #[error("invalid AF_PACKET configuration: {0}")]
    Config(String),
    /// A system call was refused for want of privilege (EPERM/EACCES):
    /// raw and packet sockets need CAP_NET_RAW.
    #[error("{op} ({what}): permission denied: needs CAP_NET_RAW or root")]
    Privilege {
        /// The call (`socket(AF_INET, SOCK_RAW, IPPROTO_GRE)`, ...).
        op: &'static str,
        /// The source concerned.
        what: String,
    },
    /// A system call failed.
    #[error("{op} ({what}): {source}")]
    Os {
        /// The call (`socket`, `setsockopt(PACKET_RX_RING)`, `mmap`, ...).
        op: &'static str,
        /// The interface or address concerned.
        what: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn os(op: &'static str, what: &str, source: io::Error) -> Error {
        Error::Os {
            op,
            what: what.to_string(),
            source,
        }
    }
}
