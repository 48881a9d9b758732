//! Payload inspection (being written).
