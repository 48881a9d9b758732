//! One datagram within a wait, for the mirror listeners (UDP and GRE).

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Receives with a read timeout that is set on the socket only when the
/// wait asked for changes.
///
/// Why: the sources are polled with the same idle wait on every call, and
/// setting SO_RCVTIMEO before each receive was a system call per packet.
/// The price: a call that skips datagrams it does not want (not mirror
/// traffic) may wait up to twice its timeout before it gives up.
#[derive(Debug, Default)]
pub(crate) struct TimedRecv {
    set: Option<Duration>,
}

impl TimedRecv {
    /// One datagram into `buf`, `Ok(None)` when `wait` passed without one.
    /// Interrupted receives are retried; other errors are returned.
    pub(crate) fn recv_from(
        &mut self,
        sock: &UdpSocket,
        buf: &mut [u8],
        wait: Duration,
    ) -> io::Result<Option<(usize, SocketAddr)>> {
        // a zero read timeout means "block forever" to the socket
        let wait = wait.max(Duration::from_millis(1));
        if self.set != Some(wait) {
            sock.set_read_timeout(Some(wait))?;
            self.set = Some(wait);
        }
        loop {
            match sock.recv_from(buf) {
                Ok(r) => return Ok(Some(r)),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(None)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn receives_what_is_there_and_times_out_when_nothing_is() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut r = TimedRecv::default();
        let mut buf = [0u8; 64];
        let started = Instant::now();
        assert!(r
            .recv_from(&rx, &mut buf, Duration::from_millis(20))
            .unwrap()
            .is_none());
        assert!(started.elapsed() >= Duration::from_millis(15));
        tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
        let (n, from) = r
            .recv_from(&rx, &mut buf, Duration::from_millis(20))
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from, tx.local_addr().unwrap());
        // the timeout stays set for the same wait, and changes with it
        assert_eq!(r.set, Some(Duration::from_millis(20)));
        assert!(r
            .recv_from(&rx, &mut buf, Duration::ZERO)
            .unwrap()
            .is_none());
        assert_eq!(r.set, Some(Duration::from_millis(1)));
        // (the kernel rounds the timeout up to its clock tick)
        let set = rx.read_timeout().unwrap();
        assert!(
            set.is_some_and(|d| d < Duration::from_millis(20)),
            "{set:?}"
        );
    }
}
