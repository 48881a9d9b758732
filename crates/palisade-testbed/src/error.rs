//! The crate's error type.

use std::io;

/// Everything that can go wrong while configuring or running a generation.
#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// The scenario name is not in [`crate::scenarios`].
    #[error("unknown scenario {name:?} (known: {known})")]
    UnknownScenario {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A duration string could not be parsed.
    #[error("invalid duration {input:?}: {reason}")]
    InvalidDuration {
        /// The text as given.
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Writing the capture failed.
    #[error("writing the capture: {0}")]
    Io(#[from] io::Error),
}

/// What kind of failure a [`TestbedError`] is, for callers that branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// See [`TestbedError::UnknownScenario`].
    UnknownScenario,
    /// See [`TestbedError::InvalidDuration`].
    InvalidDuration,
    /// See [`TestbedError::InvalidConfig`].
    InvalidConfig,
    /// See [`TestbedError::Io`].
    Io,
}

impl TestbedError {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TestbedError::UnknownScenario { .. } => ErrorKind::UnknownScenario,
            TestbedError::InvalidDuration { .. } => ErrorKind::InvalidDuration,
            TestbedError::InvalidConfig(_) => ErrorKind::InvalidConfig,
            TestbedError::Io(_) => ErrorKind::Io,
        }
    }
}
