//! palisade's signature engine.
#![forbid(unsafe_code)]

pub mod keywords;
pub mod packet;
pub mod payload;

pub use packet::{FlowView, IcmpView, PacketView, TcpView};
