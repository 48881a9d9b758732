//! MAC vendor lookup: the IEEE OUI (MA-L) table compiled from
//! `data/oui/oui.tsv` (see its README for source and license).

use std::sync::OnceLock;

/// The table: (24-bit OUI, organisation), sorted by OUI.
pub struct OuiTable {
    entries: Vec<(u32, &'static str)>,
}

static BUILTIN: OnceLock<OuiTable> = OnceLock::new();
const TSV: &str = include_str!("../../../data/oui/oui.tsv");

impl OuiTable {
    /// Parses `OUI<TAB>Organization` lines (hex OUI of 6 digits); other
    /// lines are skipped.
    pub fn parse(text: &'static str) -> OuiTable {
        let mut entries: Vec<(u32, &'static str)> = text
            .lines()
            .filter_map(|l| {
                let (hex, org) = l.split_once('\t')?;
                if hex.len() != 6 {
                    return None;
                }
                Some((u32::from_str_radix(hex, 16).ok()?, org.trim()))
            })
            .collect();
        entries.sort_unstable_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        OuiTable { entries }
    }

    /// The compiled-in table (parsed on first use, about 30 ms).
    pub fn builtin() -> &'static OuiTable {
        BUILTIN.get_or_init(|| OuiTable::parse(TSV))
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The organisation of `mac`'s OUI. Locally administered addresses
    /// (bit 1 of the first byte: randomised by phones, set by VMs and
    /// containers) have no vendor.
    pub fn vendor(&self, mac: [u8; 6]) -> Option<&'static str> {
        if mac[0] & 0x02 != 0 {
            return None;
        }
        let oui = u32::from_be_bytes([0, mac[0], mac[1], mac[2]]);
        self.entries
            .binary_search_by_key(&oui, |e| e.0)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_iot_vendors() {
        let t = OuiTable::builtin();
        assert!(t.len() > 30_000, "{}", t.len());
        assert_eq!(
            t.vendor([0x04, 0x03, 0x12, 1, 2, 3]),
            Some("Hangzhou Hikvision Digital Technology Co.,Ltd.")
        );
        assert_eq!(
            t.vendor([0x08, 0x3a, 0x8d, 0, 0, 0]),
            Some("Espressif Inc.")
        );
        // locally administered: no vendor
        assert_eq!(t.vendor([0x06, 0x03, 0x12, 1, 2, 3]), None);
    }

    #[test]
    fn parse_skips_bad_lines() {
        let t = OuiTable::parse("ZZZZZZ\tx\n00000A\tA\nshort\n00000B\tB\n00000A\tdup\n");
        assert_eq!(t.len(), 2);
        assert_eq!(t.vendor([0, 0, 0x0b, 0, 0, 0]), Some("B"));
        assert_eq!(t.vendor([0, 0, 0x0c, 0, 0, 0]), None);
    }
}
