//! Bounded text: values from traffic are cut before they are kept.

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(super::prefix("abc", 5), "abc");
        assert_eq!(super::prefix("abc", 2), "ab");
        assert_eq!(super::prefix("aé", 2), "a");
        assert_eq!(super::prefix("é", 0), "");
    }
}
