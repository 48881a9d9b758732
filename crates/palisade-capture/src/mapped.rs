//! Memory-mapped capture files: the one place this crate uses `unsafe`.
//!
//! A plain capture file that is a regular file is mapped whole and parsed in
//! place, so reading it costs no `read()` copy, and the mapping can be shared
//! with other threads ([`SharedBytes`]) so they can see packet bytes without
//! a copy either. See the crate documentation for why, and for the hazard.

use memmap2::Mmap;
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Deref;
use std::sync::Arc;

/// A capture file's bytes shared between threads (a memory map). Clone is an
/// `Arc` clone.
///
/// The mapping lives as long as any clone does, even after the reader that
/// made it (or its [`crate::InputSet`]) is gone, so a thread handed a clone
/// and an offset can read a packet's bytes later without a copy. While a
/// clone is held, no other mapping can occupy its addresses, so
/// [`crate::Packet::offset_in`] cannot mistake a packet of another mapping
/// for one of this.
#[derive(Clone)]
pub struct SharedBytes(Arc<Mmap>);

impl SharedBytes {
    /// True when `a` and `b` are clones of the same mapping.
    #[inline]
    pub fn ptr_eq(a: &SharedBytes, b: &SharedBytes) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for SharedBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SharedBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBytes")
            .field("addr", &self.0.as_ptr())
            .field("len", &self.0.len())
            .finish()
    }
}

/// Maps `file` (opened read-only by the caller; a regular file, not empty)
/// whole and read-only, and advises the kernel that it will be read
/// sequentially (a hint: its failure is ignored).
#[allow(unsafe_code)]
pub(crate) fn map_file(file: &File) -> io::Result<SharedBytes> {
    // SAFETY: `Mmap::map` is unsafe because the bytes behind the returned
    // slice belong to the file, not to this process: Rust assumes a `&[u8]`
    // never changes, but another process may write the file in place (the
    // bytes then change under us; every access here is bounds-checked
    // against the mapping's length, which is fixed, so the worst outcome is
    // wrong packet contents), and if another process *truncates* the file
    // while it is mapped, touching a page past the new end raises SIGBUS and
    // kills palisade. That hazard cannot be closed from inside the process;
    // it is narrowed and documented instead: palisade maps only regular files,
    // opened read-only by its callers, never writes through the mapping, and
    // the crate docs (and `OpenOptions::mmap`) tell users that a file being
    // truncated under the reader must be read with `mmap: false`. Rotation by
    // rename or unlink, the way capture tools and logrotate roll files, is
    // safe: the mapping keeps the old inode's pages. Appending is safe too:
    // the mapping's length is fixed at the size the file had when it was
    // mapped.
    let map = unsafe { Mmap::map(file) }?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(SharedBytes(Arc::new(map)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_a_file_and_shares_it() {
        let path = std::env::temp_dir().join(format!("palisade-mapped-{}", std::process::id()));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(b"hello mapping")
            .unwrap();
        let a = map_file(&File::open(&path).unwrap()).unwrap();
        let b = a.clone();
        let c = map_file(&File::open(&path).unwrap()).unwrap();
        assert_eq!(&a[..], b"hello mapping");
        assert_eq!(a.as_ref(), &c[..]);
        assert!(SharedBytes::ptr_eq(&a, &b));
        assert!(!SharedBytes::ptr_eq(&a, &c));
        assert_eq!(a.as_ptr(), b.as_ptr());
        let dbg = format!("{a:?}");
        assert!(
            dbg.starts_with("SharedBytes {") && dbg.contains("len: 13"),
            "{dbg}"
        );
        // the mapping outlives the file's name
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&b[..5], b"hello");
    }

    #[test]
    fn shared_bytes_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SharedBytes>();
    }
}
