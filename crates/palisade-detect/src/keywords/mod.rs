//! Non-payload keywords (being written).
