//! Panic-free byte readers shared by the views.
//!
//! Views keep their fixed header as a `&[u8; N]`, so the length is proven by
//! the type; these readers still go through `get`, so even a wrong constant
//! offset yields 0 instead of a panic. With constant offsets into a
//! fixed-size array the compiler removes the checks entirely.

/// `Field` as smoltcp spells it: a byte range inside a header.
pub(crate) type Field = core::ops::Range<usize>;

/// Big-endian u16 at `at`, or 0 when out of range.
#[inline(always)]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at.wrapping_add(2)) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

/// Big-endian u32 at `at`, or 0 when out of range.
#[inline(always)]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.wrapping_add(4)) {
        Some(&[w, x, y, z]) => u32::from_be_bytes([w, x, y, z]),
        _ => 0,
    }
}

/// Byte at `at`, or 0 when out of range.
#[inline(always)]
pub(crate) fn byte(b: &[u8], at: usize) -> u8 {
    match b.get(at) {
        Some(&v) => v,
        None => 0,
    }
}

/// `M` bytes starting at `at` as an array (zeros when out of range).
#[inline(always)]
pub(crate) fn array<const M: usize>(b: &[u8], at: usize) -> [u8; M] {
    // one load of M bytes (zero-filling first and copying over it costs a
    // store-forwarding stall on the hot path)
    match b.get(at..at.wrapping_add(M)).map(<[u8; M]>::try_from) {
        Some(Ok(a)) => a,
        _ => [0; M],
    }
}

/// `b[from..to]` clamped to the slice: never panics, empty when inverted.
#[inline(always)]
pub(crate) fn clamp(b: &[u8], from: usize, to: usize) -> &[u8] {
    let to = to.min(b.len());
    b.get(from..to).unwrap_or(&[])
}

/// `b[from..]`, empty when `from` is past the end.
#[inline(always)]
pub(crate) fn tail(b: &[u8], from: usize) -> &[u8] {
    b.get(from..).unwrap_or(&[])
}

/// Declares a wire enum that keeps unknown values (smoltcp's
/// `enum_with_unknown!`), with `From` both ways.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($ty:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value palisade does not name (kept as seen on the wire).
            Unknown($ty),
        }

        impl From<$ty> for $name {
            #[inline]
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $ty {
            #[inline]
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_never_panic() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(be16(&b, 0), 0x0102);
        assert_eq!(be16(&b, 3), 0x0405);
        assert_eq!(be16(&b, 4), 0);
        assert_eq!(be16(&b, usize::MAX), 0);
        assert_eq!(be32(&b, 1), 0x0203_0405);
        assert_eq!(be32(&b, 2), 0);
        assert_eq!(be32(&b, usize::MAX - 1), 0);
        assert_eq!(byte(&b, 4), 5);
        assert_eq!(byte(&b, 5), 0);
        assert_eq!(array::<2>(&b, 3), [4, 5]);
        assert_eq!(array::<2>(&b, 4), [0, 0]);
        assert_eq!(array::<2>(&b, usize::MAX), [0, 0]);
        assert_eq!(clamp(&b, 1, 3), &[2, 3]);
        assert_eq!(clamp(&b, 1, 99), &[2, 3, 4, 5]);
        assert_eq!(clamp(&b, 4, 2), &[] as &[u8]);
        assert_eq!(clamp(&b, 9, 12), &[] as &[u8]);
        assert_eq!(tail(&b, 5), &[] as &[u8]);
        assert_eq!(tail(&b, 6), &[] as &[u8]);
        assert_eq!(tail(&b, 3), &[4, 5]);
    }

    wire_enum! {
        /// test enum
        pub enum Demo(u8) {
            /// a
            A = 1,
            /// b
            B = 2,
        }
    }

    #[test]
    fn wire_enum_keeps_unknown() {
        assert_eq!(Demo::from(1), Demo::A);
        assert_eq!(Demo::from(9), Demo::Unknown(9));
        assert_eq!(u8::from(Demo::Unknown(9)), 9);
        assert_eq!(u8::from(Demo::B), 2);
    }
}
