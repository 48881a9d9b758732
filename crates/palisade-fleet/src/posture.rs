//! Posture findings that follow from what a device is: vulnerable
//! firmware.
//!
//! At the end of a run every device is classified ([`crate::classify`])
//! and its vendor, product, type and firmware are matched against the
//! advisory database ([`crate::advisory`]). Each advisory that applies is
//! one `vulnerable-firmware` finding on the device's latest address, with
//! the CVE, CVSS, the known-exploited flag and date, the fixed version,
//! what the classification rested on (which rule read which fingerprint)
//! and the advisory's remediation.
//!
//! Severity: 1 when the vulnerability is known exploited or scores CVSS
//! 9.0 or more and the firmware version was compared; 2 otherwise, and
//! for every advisory matched without a version (the KEV lists the model,
//! not the versions: the developer must confirm the firmware); 3 when the
//! CVSS is below 4.

use crate::advisory::Match;
use crate::classify::{Classification, Field};
use crate::inventory::{Device, DeviceKey, Inventory};
use palisade_event::FindingRecord;

/// Finding class.
pub const CLASS_VULNERABLE_FIRMWARE: &str = "vulnerable-firmware";

/// The device's latest address (the finding's `device`).
fn latest_address(d: &Device) -> Option<std::net::IpAddr> {
    d.addresses
        .iter()
        .max_by_key(|(_, _, last)| *last)
        .map(|(ip, _, _)| *ip)
        .or(match d.key {
            DeviceKey::Ip(ip) => Some(ip),
            DeviceKey::Mac(_) => None,
        })
}

fn severity(m: &Match<'_>) -> u8 {
    let a = m.advisory;
    let cvss = a.cvss.unwrap_or(0.0);
    if a.cvss.is_some() && cvss < 4.0 {
        3
    } else if m.version_checked && (a.known_exploited || cvss >= 9.0) {
        1
    } else {
        2
    }
}

/// The findings of one classified device.
pub fn firmware_findings(d: &Device, c: &Classification, inv: &Inventory) -> Vec<FindingRecord> {
    let Some(device) = latest_address(d) else {
        return Vec::new();
    };
    let identity = crate::advisory::DeviceIdentity {
        vendor: c.get(Field::Vendor),
        product: c.get(Field::Product),
        device_type: c.get(Field::DeviceType),
        firmware: c.get(Field::Firmware),
    };
    inv.advisories()
        .matches(&identity)
        .into_iter()
        .map(|m| {
            let a = m.advisory;
            let evidence = serde_json::json!({
                "cve": a.id,
                "title": a.title,
                "cvss": a.cvss,
                "cvss_vector": a.cvss_vector,
                "cwe": a.cwe,
                "known_exploited": a.known_exploited,
                "kev_date_added": a.kev_date_added,
                "vendor": identity.vendor,
                "product": identity.product,
                "device_type": identity.device_type,
                "firmware": identity.firmware,
                "affected_range": m.range,
                "version_checked": m.version_checked,
                "fixed_version": a.fixed_version,
                "summary": a.summary,
                "advisory_url": a.references.first(),
                "advisory_source": a.source,
                "device_key": d.key.to_string(),
                "classified_by": c.evidence(),
            });
            FindingRecord {
                timestamp: d.last_seen,
                flow_id: None,
                tuple: None,
                class: CLASS_VULNERABLE_FIRMWARE,
                severity: severity(&m),
                device,
                evidence,
                remediation: a.remediation.clone().into(),
            }
        })
        .collect()
}

/// Every device's firmware findings, in device order.
pub fn all_firmware_findings(inv: &Inventory) -> Vec<FindingRecord> {
    inv.devices()
        .into_iter()
        .flat_map(|d| firmware_findings(d, &inv.classify(d), inv))
        .collect()
}
