//! What each finding and alert class means, and how the people who build
//! the device fix it: the report prints this beside the detector's own
//! remediation line, for readers who did not write the detector.

/// The explanation of one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClassText {
    /// The class (`palisade_class` or a finding's class).
    pub class: &'static str,
    /// A short title.
    pub title: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// What the device's developers (and, meanwhile, its operators) do.
    pub fix: &'static str,
}

/// Every class palisade knows, findings first.
pub const CLASSES: &[ClassText] = &[
    ClassText {
        class: "default-credentials",
        title: "Default credentials accepted",
        why: "The device accepts a user name and password from a public default-credential list \
              (Mirai's and its successors' dictionaries are built from such lists). Anyone who \
              reaches the service owns the device.",
        fix: "Ship without a shared default: generate a per-device password at manufacture \
              (printed on the label) or force a change at first login before any other service \
              starts; refuse the known defaults in the password-change code; disable Telnet and \
              other debug logins in production firmware. Operators: change the password now and \
              block the service at the network edge.",
    },
    ClassText {
        class: "cleartext-credentials",
        title: "Credentials sent in clear text",
        why: "A login crossed the network unencrypted (Telnet, FTP, HTTP Basic, RTSP, MQTT \
              without TLS, SNMPv1/v2c): anyone on the path can read and replay it.",
        fix: "Offer only encrypted management: SSH instead of Telnet, SFTP instead of FTP, HTTPS \
              with a per-device certificate, MQTT over TLS (8883), RTSPS, SNMPv3 authPriv; remove \
              the clear-text listeners from the firmware rather than just disabling them in the \
              default configuration. Rotate the exposed password.",
    },
    ClassText {
        class: "weak-tls",
        title: "Weak TLS",
        why: "The device's TLS is outdated or misconfigured (SSL 3 / TLS 1.0-1.1, weak ciphers, \
              expired or self-signed certificates): encryption that can be broken or \
              impersonated.",
        fix: "Build against a maintained TLS library, enable TLS 1.2+ only with AEAD cipher \
              suites, provision a per-device certificate with a renewal path (and check \
              certificates on the client side: pin the vendor CA). Ship updates for the TLS \
              library like any other security fix.",
    },
    ClassText {
        class: "vulnerable-firmware",
        title: "Firmware with a known vulnerability",
        why: "The firmware version seen on the device has a published CVE. Those in CISA's Known \
              Exploited Vulnerabilities catalogue are being used in attacks now and count double \
              in the risk score.",
        fix: "Publish the fixed version and make updating automatic and signed (verify the image \
              signature on the device, prevent rollback to the vulnerable version). Operators: \
              update to at least the fixed version shown; until then isolate the device from the \
              internet.",
    },
    ClassText {
        class: "exposed-service",
        title: "Management service exposed",
        why: "A management or debug service of the device was reached from outside the fleet's \
              networks.",
        fix: "Bind management services to the local interface or a management VLAN by default, \
              do not open ports with UPnP, and reach the device through the vendor cloud or a \
              VPN instead. Operators: close the port forward / firewall rule.",
    },
    ClassText {
        class: "profile-violation",
        title: "Traffic outside the device's profile",
        why: "The device talked to a destination or on a port its profile (RFC 8520 MUD file or \
              learned profile) does not allow: a sign of compromise or of an undocumented \
              feature.",
        fix: "Publish a MUD file listing every destination the firmware needs; remove or \
              document undocumented connections. Operators: check the device for compromise.",
    },
    ClassText {
        class: "shared-credential",
        title: "One credential on many devices",
        why: "Several devices accept the same credential: one leak opens all of them.",
        fix: "Give each device its own secret (per-device password or certificate at \
              manufacture); operators rotate the shared one per device.",
    },
    ClassText {
        class: "scan",
        title: "Scan",
        why: "A host probed many ports or addresses: reconnaissance before an attack, or an \
              infected device looking for victims.",
        fix: "Close every service the device does not need and filter the rest at the edge; an \
              outgoing scan from a fleet device means it is compromised: isolate and reflash it.",
    },
    ClassText {
        class: "brute-force",
        title: "Password guessing",
        why: "Many failed logins against one service: someone is guessing passwords.",
        fix: "Rate-limit and lock out logins in the firmware, use keys or certificates instead of \
              passwords, do not expose the login to the internet.",
    },
    ClassText {
        class: "ddos",
        title: "Flood",
        why: "A flood of packets into or out of a device: a denial of service against it, or the \
              device taking part in one (a bot).",
        fix: "For floods out of a device: it is compromised, isolate and reflash it. Firmware: \
              rate-limit outgoing traffic and keep the device's stack robust to floods.",
    },
    ClassText {
        class: "exploit",
        title: "Exploit attempt",
        why: "Traffic matching an exploit of a known bug in a device's software.",
        fix: "Update the firmware to a version that fixes the bug; check the device for \
              compromise if the exploit may have succeeded.",
    },
    ClassText {
        class: "exposure",
        title: "Exposed service in use",
        why: "A device's management service was used from the internet.",
        fix: "Restrict management to local networks or a VPN; firmware should not listen on \
              public interfaces by default.",
    },
    ClassText {
        class: "malware",
        title: "Malware behaviour",
        why: "Traffic typical of IoT malware (known fingerprints, command channels).",
        fix: "Isolate the device, reflash the firmware, change its credentials; find how it was \
              infected (look for default-credential and exposure findings on it).",
    },
    ClassText {
        class: "",
        title: "Rule alerts",
        why: "Alerts of signature rules (built-in or loaded with --rules) that carry no palisade \
              class; the signature names what matched.",
        fix: "Read the signature and its reference; rules name the traffic, not always a device \
              weakness.",
    },
];

/// The explanation of `class`, when palisade knows it.
pub fn describe(class: &str) -> Option<&'static ClassText> {
    CLASSES.iter().find(|c| c.class == class)
}

/// How a class is shown (`rule` for rule alerts without one).
pub fn label(class: &str) -> &str {
    if class.is_empty() {
        "rule"
    } else {
        class
    }
}
