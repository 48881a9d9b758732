//! AF_PACKET capture through a TPACKET_V3 memory-mapped receive ring.
//!
//! The kernel writes packets into blocks of a ring shared with this
//! process; a block is handed to user space whole (its status becomes
//! `TP_STATUS_USER`) when it is full or when the retire timeout expires,
//! and given back (`TP_STATUS_KERNEL`) once all its packets have been read.
//! Packets are handed out as slices of the mapping: no copy, no system call
//! per packet, one `poll(2)` per empty ring.
//!
//! This is the crate's only module with `unsafe`: the system calls (socket
//! options, `mmap`, `poll`, `setns`) and the views of the mapping. Each
//! block has a `// SAFETY:` comment. The walk over a block's packets is safe
//! code in [`crate::ring`] that checks every kernel offset before slicing.
//!
//! VLAN tags: the kernel takes 802.1Q/802.1ad tags off received frames and
//! reports them beside the packet (`tp_vlan_tci`, `tp_vlan_tpid`). They are
//! put back into the frame (in the room `PACKET_RESERVE` leaves before it),
//! as libpcap does, so a trunk or mirror port looks as it is on the wire
//! and flows of different VLANs stay apart.
//!
//! Sharing one interface between workers: give every socket the same
//! [`AfPacketConfig::fanout_group`]; the kernel then deals packets out by a
//! symmetric flow hash (`PACKET_FANOUT_HASH`, both directions of a flow go
//! to the same socket), defragmenting IP first (`PACKET_FANOUT_FLAG_DEFRAG`)
//! so that the fragments of a datagram stay together.

use std::ffi::CString;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use palisade_event::Timestamp;

use crate::bpf::{BpfInsn, MAX_INSNS};
use crate::error::{Error, Result};
use crate::ring::{restore_vlan, BlockWalk, BD_STATUS, VLAN_TAG_LEN};
use crate::{LivePacket, LiveSource, LiveStats};

/// Longest interface name (`IFNAMSIZ` - 1).
pub const MAX_IFNAME_LEN: usize = 15;
/// Largest ring accepted (all blocks together), to bound locked memory.
pub const MAX_RING_BYTES: u64 = 1 << 30;

/// Ring geometry and socket options of an [`AfPacket`] source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfPacketConfig {
    /// Bytes per block; a multiple of the page size. Default 4 MiB.
    pub block_size: u32,
    /// Blocks in the ring. Default 16 (64 MiB with the default block).
    pub block_count: u32,
    /// Frame size the kernel checks the geometry with (TPACKET_V3 packs
    /// packets of any size into blocks; this only has to divide the block
    /// and hold a header). Default 2048.
    pub frame_size: u32,
    /// Milliseconds after which the kernel hands a partly filled block to
    /// user space (latency bound at low rates). Default 60.
    pub retire_timeout_ms: u32,
    /// Put the interface in promiscuous mode while the socket is open
    /// (`PACKET_MR_PROMISC`; the kernel counts users, so closing undoes
    /// it). Default true.
    pub promiscuous: bool,
    /// An already compiled classic BPF filter (see [`crate::bpf`]);
    /// attached before the socket is bound, so no unfiltered packet enters
    /// the ring. Default none.
    pub filter: Option<Vec<BpfInsn>>,
    /// Join this `PACKET_FANOUT` group (hash by flow, with defragmentation).
    /// All sockets of one group must be on the same interface. Default none.
    pub fanout_group: Option<u16>,
}

impl Default for AfPacketConfig {
    fn default() -> Self {
        AfPacketConfig {
            block_size: 4 << 20,
            block_count: 16,
            frame_size: 2048,
            retire_timeout_ms: 60,
            promiscuous: true,
            filter: None,
            fanout_group: None,
        }
    }
}

impl AfPacketConfig {
    /// Checks what the kernel would refuse with a bare `EINVAL`.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        let page = page_size();
        if self.block_size == 0 || !(self.block_size as usize).is_multiple_of(page) {
            return bad(format!(
                "block size {} is not a positive multiple of the page size {page}",
                self.block_size
            ));
        }
        if self.block_count == 0 {
            return bad("block count must be at least 1".into());
        }
        let total = u64::from(self.block_size) * u64::from(self.block_count);
        if total > MAX_RING_BYTES {
            return bad(format!(
                "ring of {total} bytes exceeds the {MAX_RING_BYTES}-byte limit"
            ));
        }
        let min_frame = libc::TPACKET3_HDRLEN as u32;
        if self.frame_size < min_frame
            || !self
                .frame_size
                .is_multiple_of(libc::TPACKET_ALIGNMENT as u32)
            || self.frame_size > self.block_size
        {
            return bad(format!(
                "frame size {} must be a multiple of {} between {min_frame} and the block size",
                self.frame_size,
                libc::TPACKET_ALIGNMENT
            ));
        }
        if self.retire_timeout_ms == 0 {
            return bad("retire timeout must be at least 1 ms".into());
        }
        if let Some(f) = &self.filter {
            if f.is_empty() || f.len() > MAX_INSNS {
                return bad(format!(
                    "BPF filter of {} instructions (1..={MAX_INSNS})",
                    f.len()
                ));
            }
        }
        Ok(())
    }
}

/// Checks an interface name before it reaches the kernel.
pub fn check_ifname(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > MAX_IFNAME_LEN {
        return Err(format!("interface names are 1 to {MAX_IFNAME_LEN} bytes"));
    }
    if name == "." || name == ".." {
        return Err("not an interface name".into());
    }
    if name.bytes().any(|b| {
        b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace() || b.is_ascii_control()
    }) {
        return Err("interface names contain no '/', ':', whitespace or control bytes".into());
    }
    Ok(())
}

/// The LINKTYPE of frames read on an interface of hardware type `arphrd`.
pub fn linktype_of_arphrd(arphrd: u16) -> Option<u32> {
    match arphrd {
        // loopback frames carry an Ethernet header (zero addresses)
        libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK => Some(1),
        // tun devices, WireGuard, ...: the frame is the IP packet
        libc::ARPHRD_NONE => Some(101),
        _ => None,
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; it reads a constant of the system.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

fn last_os_error(op: &'static str, what: &str) -> Error {
    Error::os(op, what, std::io::Error::last_os_error())
}

/// `setsockopt(fd, level, name, value, sizeof value)`.
fn setsockopt<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    op: &'static str,
    what: &str,
) -> Result<()> {
    // SAFETY: `value` is a valid, initialised T for the duration of the call
    // and the length passed is exactly its size; the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(last_os_error(op, what));
    }
    Ok(())
}

/// The ring mapping; unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, mapped once and
        // unmapped only here; no slice of it outlives the source (packets
        // borrow the source mutably).
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// A live capture on one interface: an AF_PACKET socket with a TPACKET_V3
/// receive ring.
///
/// When the interface goes down, `next` returns one error (`ENETDOWN`);
/// the source stays usable and captures again once the interface is back
/// up (the kernel re-attaches the socket). An interface that is deleted
/// does not come back: reopen by name.
pub struct AfPacket {
    // field order matters: the mapping is unmapped before the socket closes
    ring: Mapping,
    fd: OwnedFd,
    ifname: String,
    ifindex: u32,
    linktype: u32,
    block_size: usize,
    block_count: usize,
    /// The block being read or waited for.
    cur: usize,
    /// The walk over `cur` once user space owns it.
    walk: Option<BlockWalk>,
    stats: LiveStats,
}

// SAFETY: the raw pointer is to a mapping this value owns exclusively (no
// other handle to it exists in the process), and the kernel's side of the
// ring is synchronised through the atomic status words; moving the owner to
// another thread moves all access with it.
unsafe impl Send for AfPacket {}

impl std::fmt::Debug for AfPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfPacket")
            .field("ifname", &self.ifname)
            .field("ifindex", &self.ifindex)
            .field("linktype", &self.linktype)
            .field("fd", &self.fd.as_raw_fd())
            .field("block_size", &self.block_size)
            .field("block_count", &self.block_count)
            .finish()
    }
}

impl AfPacket {
    /// Opens a capture on `ifname` in the calling thread's network
    /// namespace. Needs CAP_NET_RAW.
    pub fn open(ifname: &str, cfg: &AfPacketConfig) -> Result<AfPacket> {
        check_ifname(ifname).map_err(|reason| Error::Spec {
            input: ifname.to_string(),
            reason,
        })?;
        cfg.validate()?;
        let cname = CString::new(ifname).map_err(|_| Error::NoSuchInterface(ifname.into()))?;
        // SAFETY: `cname` is a valid NUL-terminated string for the call.
        let ifindex = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if ifindex == 0 {
            return Err(Error::NoSuchInterface(ifname.to_string()));
        }
        // Protocol 0: the socket receives nothing until bound, so the filter
        // and the ring are in place before the first packet.
        // SAFETY: plain system call with constant arguments.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(last_os_error("socket(AF_PACKET)", ifname));
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let s = fd.as_raw_fd();

        if let Some(filter) = &cfg.filter {
            let mut insns: Vec<libc::sock_filter> = filter
                .iter()
                .map(|i| libc::sock_filter {
                    code: i.code,
                    jt: i.jt,
                    jf: i.jf,
                    k: i.k,
                })
                .collect();
            let prog = libc::sock_fprog {
                len: insns.len() as libc::c_ushort, // <= MAX_INSNS, checked
                filter: insns.as_mut_ptr(),
            };
            setsockopt(
                s,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                &prog,
                "setsockopt(SO_ATTACH_FILTER)",
                ifname,
            )?;
            drop(insns); // the kernel copied the program
        }

        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(
            s,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &version,
            "setsockopt(PACKET_VERSION)",
            ifname,
        )?;
        // room before each frame to put back the VLAN tag the kernel strips
        let reserve = VLAN_TAG_LEN as libc::c_uint;
        setsockopt(
            s,
            libc::SOL_PACKET,
            libc::PACKET_RESERVE,
            &reserve,
            "setsockopt(PACKET_RESERVE)",
            ifname,
        )?;
        let req = libc::tpacket_req3 {
            tp_block_size: cfg.block_size,
            tp_block_nr: cfg.block_count,
            tp_frame_size: cfg.frame_size,
            tp_frame_nr: (cfg.block_size / cfg.frame_size) * cfg.block_count,
            tp_retire_blk_tov: cfg.retire_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(
            s,
            libc::SOL_PACKET,
            libc::PACKET_RX_RING,
            &req,
            "setsockopt(PACKET_RX_RING)",
            ifname,
        )?;
        let block_size = cfg.block_size as usize;
        let block_count = cfg.block_count as usize;
        let len = block_size * block_count; // <= MAX_RING_BYTES, checked
                                            // SAFETY: a fresh shared mapping of the socket's ring, of exactly the
                                            // size the ring was created with; the result is checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                s,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(last_os_error("mmap(rx ring)", ifname));
        }
        let ring = Mapping {
            ptr: ptr.cast(),
            len,
        };

        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { MaybeUninit::zeroed().assume_init() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sll.sll_ifindex = ifindex as libc::c_int;
        // SAFETY: `sll` is a valid sockaddr_ll and the length is its size.
        let rc = unsafe {
            libc::bind(
                s,
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(last_os_error("bind", ifname));
        }

        // The bound address tells the interface's hardware type.
        // SAFETY: as above, all-zero is a valid sockaddr_ll.
        let mut bound: libc::sockaddr_ll = unsafe { MaybeUninit::zeroed().assume_init() };
        let mut blen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `bound` has room for `blen` bytes; the kernel writes at
        // most that many and updates `blen`.
        let rc = unsafe {
            libc::getsockname(s, (&mut bound as *mut libc::sockaddr_ll).cast(), &mut blen)
        };
        if rc != 0 {
            return Err(last_os_error("getsockname", ifname));
        }
        let linktype =
            linktype_of_arphrd(bound.sll_hatype).ok_or_else(|| Error::UnsupportedLinkType {
                name: ifname.to_string(),
                arphrd: bound.sll_hatype,
            })?;

        if cfg.promiscuous {
            let mreq = libc::packet_mreq {
                mr_ifindex: ifindex as libc::c_int,
                mr_type: libc::PACKET_MR_PROMISC as libc::c_ushort,
                mr_alen: 0,
                mr_address: [0; 8],
            };
            setsockopt(
                s,
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                &mreq,
                "setsockopt(PACKET_ADD_MEMBERSHIP promisc)",
                ifname,
            )?;
        }
        if let Some(group) = cfg.fanout_group {
            let arg: libc::c_int = (u32::from(group)
                | ((libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_DEFRAG) << 16))
                as libc::c_int;
            setsockopt(
                s,
                libc::SOL_PACKET,
                libc::PACKET_FANOUT,
                &arg,
                "setsockopt(PACKET_FANOUT)",
                ifname,
            )?;
        }
        Ok(AfPacket {
            ring,
            fd,
            ifname: ifname.to_string(),
            ifindex,
            linktype,
            block_size,
            block_count,
            cur: 0,
            walk: None,
            stats: LiveStats::default(),
        })
    }

    /// The interface name.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The LINKTYPE of the packets (1 Ethernet, 101 raw IP).
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// The block status word of block `i` (< block_count).
    fn status(&self, i: usize) -> &AtomicU32 {
        debug_assert!(i < self.block_count);
        // SAFETY: block `i` lies inside the mapping (i < block_count, the
        // mapping is block_size * block_count bytes); blocks start on page
        // boundaries so the word at +8 is 4-byte aligned; the mapping lives
        // as long as `self`. The kernel writes this word concurrently, hence
        // an atomic view rather than a plain reference.
        unsafe { AtomicU32::from_ptr(self.ring.ptr.add(i * self.block_size + BD_STATUS).cast()) }
    }

    /// Block `i` as bytes. Only called while user space owns it.
    fn block(&self, i: usize) -> &[u8] {
        debug_assert!(i < self.block_count);
        // SAFETY: inside the mapping (see `status`). The block's status was
        // read as TP_STATUS_USER with Acquire ordering, so the kernel has
        // finished writing it and will not touch it until we store
        // TP_STATUS_KERNEL, which happens only in `release` after every
        // slice of it is gone (packets borrow `self` mutably).
        unsafe {
            std::slice::from_raw_parts(self.ring.ptr.add(i * self.block_size), self.block_size)
        }
    }

    /// Block `i` as writable bytes (to put VLAN tags back in place). Only
    /// called while user space owns it.
    fn block_mut(&mut self, i: usize) -> &mut [u8] {
        debug_assert!(i < self.block_count);
        // SAFETY: as in `block`; in addition `&mut self` guarantees that no
        // other slice of the mapping exists while this one does, and the
        // kernel does not access a block user space owns.
        unsafe {
            std::slice::from_raw_parts_mut(self.ring.ptr.add(i * self.block_size), self.block_size)
        }
    }

    /// Gives block `cur` back to the kernel and moves to the next.
    fn release(&mut self) {
        self.walk = None;
        self.status(self.cur)
            .store(libc::TP_STATUS_KERNEL, Ordering::Release);
        self.cur = (self.cur + 1) % self.block_count;
    }

    /// Waits up to `timeout` for the socket to become readable.
    fn poll(&self, timeout: Duration) -> Result<()> {
        let ms = timeout
            .as_micros()
            .div_ceil(1000)
            .clamp(1, i32::MAX as u128) as libc::c_int;
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN | libc::POLLRDNORM,
            revents: 0,
        };
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(());
            }
            return Err(Error::os("poll", &self.ifname, e));
        }
        if pfd.revents & libc::POLLNVAL != 0 {
            return Err(Error::os(
                "poll",
                &self.ifname,
                std::io::Error::from_raw_os_error(libc::EBADF),
            ));
        }
        if pfd.revents & libc::POLLERR != 0 {
            // reading SO_ERROR clears it, so the next poll blocks again
            let mut err: libc::c_int = 0;
            let mut len = size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: `err` has room for `len` bytes; the kernel writes at
            // most that many and updates `len`.
            let rc = unsafe {
                libc::getsockopt(
                    self.fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_ERROR,
                    (&mut err as *mut libc::c_int).cast(),
                    &mut len,
                )
            };
            if rc != 0 {
                return Err(last_os_error("getsockopt(SO_ERROR)", &self.ifname));
            }
            if err != 0 {
                return Err(Error::os(
                    "capture",
                    &self.ifname,
                    std::io::Error::from_raw_os_error(err),
                ));
            }
        }
        Ok(())
    }

    /// Reads the kernel's counters (which reset on every read) into the
    /// running totals.
    fn read_kernel_stats(&mut self) -> Result<()> {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut len = size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `st` has room for `len` bytes; the kernel writes at most
        // that many and updates `len`.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(last_os_error("getsockopt(PACKET_STATISTICS)", &self.ifname));
        }
        self.stats.kernel_packets += u64::from(st.tp_packets);
        self.stats.kernel_drops += u64::from(st.tp_drops);
        self.stats.kernel_freeze_q += u64::from(st.tp_freeze_q_cnt);
        Ok(())
    }
}

impl LiveSource for AfPacket {
    fn next(&mut self, timeout: Duration) -> Result<Option<LivePacket<'_>>> {
        let deadline = Instant::now() + timeout;
        let mut rec = loop {
            if let Some(mut walk) = self.walk.take() {
                match walk.next(self.block(self.cur)) {
                    Some(Ok(rec)) => {
                        self.walk = Some(walk);
                        break rec;
                    }
                    Some(Err(_)) => {
                        // the rest of the block cannot be located: skip it
                        self.stats.invalid += 1;
                        self.release();
                    }
                    None => self.release(),
                }
                continue;
            }
            if self.status(self.cur).load(Ordering::Acquire) & libc::TP_STATUS_USER != 0 {
                match BlockWalk::new(self.block(self.cur)) {
                    Ok(walk) => self.walk = Some(walk),
                    Err(_) => {
                        self.stats.invalid += 1;
                        self.release();
                    }
                }
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.poll(deadline - now)?;
        };
        if rec.vlan.is_some() {
            let cur = self.cur;
            restore_vlan(self.block_mut(cur), &mut rec);
        }
        self.stats.packets += 1;
        self.stats.bytes += rec.frame.len() as u64;
        // in bounds: the walk checked the range against the block
        let data = self.block(self.cur).get(rec.frame).unwrap_or_default();
        Ok(Some(LivePacket {
            ts: Timestamp::from_secs_nanos(u64::from(rec.sec), u64::from(rec.nsec)),
            linktype: self.linktype,
            data,
            wire_len: rec.wire_len,
            mirror: None,
        }))
    }

    fn stats(&mut self) -> Result<LiveStats> {
        self.read_kernel_stats()?;
        Ok(self.stats)
    }
}

/// Runs `f` on a new thread that has entered the network namespace at
/// `netns` (e.g. `/var/run/netns/NAME`), and returns its result. Sockets
/// created inside `f` (an [`AfPacket`] on an interface of that namespace, a
/// UDP socket) stay in that namespace when used from any thread afterwards;
/// the calling thread's own namespace is never changed. Needs CAP_SYS_ADMIN.
pub fn run_in_netns<T, F>(netns: &Path, f: F) -> Result<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let what = netns.display().to_string();
    let file = std::fs::File::open(netns).map_err(|e| Error::os("open netns", &what, e))?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: `file` is an open namespace file for the duration of
                // the call; setns only changes this (short-lived) thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                if rc != 0 {
                    return Err(last_os_error("setns", &what));
                }
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
