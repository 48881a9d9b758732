//! Integer fields of transactions that rule keywords compare
//! (`mqtt.type:CONNACK`, `mqtt.qos:1`, `mqtt.flags:retain,!dup`,
//! `tls.version:1.2`, `tls.cert_expired`).
//!
//! Like [`crate::buffers`], this table is the contract between the
//! protocols (which report values through
//! [`crate::tx::Transaction::integer`]) and the signature engine (which
//! parses the keyword's argument according to [`IntKind`]).

use crate::buffers::BufDir;

/// How a keyword's argument is read and compared.
#[derive(Copy, Clone, Debug)]
pub enum IntKind {
    /// An unsigned integer with Suricata's comparison syntax (`5`, `>3`,
    /// `1-4`, `!2`).
    Uint,
    /// One named value (case-insensitive) or a number: equality.
    Enum(&'static [(&'static str, u64)]),
    /// Comma-separated flag names, each optionally negated with `!`: every
    /// listed flag must be set (or clear when negated).
    Flags(&'static [(&'static str, u64)]),
    /// `true`/`false`/`yes`/`no`, or no argument for true.
    Bool,
}

/// One integer field.
#[derive(Copy, Clone, Debug)]
pub struct IntFieldSpec {
    /// Keyword name.
    pub name: &'static str,
    /// Other keyword names for the same field.
    pub aliases: &'static [&'static str],
    /// Protocol providing it.
    pub app_proto: &'static str,
    /// Direction of the messages carrying it.
    pub dir: BufDir,
    /// Argument syntax.
    pub kind: IntKind,
    /// One line for `palisade rules keywords`.
    pub doc: &'static str,
}

/// Index into [`INT_FIELDS`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntFieldId(pub u16);

impl IntFieldId {
    /// The field's spec.
    pub fn spec(self) -> Option<&'static IntFieldSpec> {
        INT_FIELDS.get(usize::from(self.0))
    }
}

/// MQTT control packet types by name, Suricata's spelling.
pub const MQTT_TYPES: &[(&str, u64)] = &[
    ("UNASSIGNED", 0),
    ("CONNECT", 1),
    ("CONNACK", 2),
    ("PUBLISH", 3),
    ("PUBACK", 4),
    ("PUBREC", 5),
    ("PUBREL", 6),
    ("PUBCOMP", 7),
    ("SUBSCRIBE", 8),
    ("SUBACK", 9),
    ("UNSUBSCRIBE", 10),
    ("UNSUBACK", 11),
    ("PINGREQ", 12),
    ("PINGRESP", 13),
    ("DISCONNECT", 14),
    ("AUTH", 15),
];

/// Fixed-header flags of an MQTT message (`mqtt.flags`): bit 3 dup, bit 0
/// retain.
pub const MQTT_FLAGS: &[(&str, u64)] = &[("dup", 0x08), ("retain", 0x01)];

/// CONNECT flags byte (`mqtt.connect.flags`).
pub const MQTT_CONNECT_FLAGS: &[(&str, u64)] = &[
    ("username", 0x80),
    ("password", 0x40),
    ("will_retain", 0x20),
    ("will", 0x04),
    ("clean_session", 0x02),
];

/// TLS record/handshake versions as `tls.version` names them.
pub const TLS_VERSIONS: &[(&str, u64)] = &[
    ("ssl2", 0x0200),
    ("ssl3", 0x0300),
    ("1.0", 0x0301),
    ("1.1", 0x0302),
    ("1.2", 0x0303),
    ("1.3", 0x0304),
];

const fn field(
    name: &'static str,
    aliases: &'static [&'static str],
    app_proto: &'static str,
    dir: BufDir,
    kind: IntKind,
    doc: &'static str,
) -> IntFieldSpec {
    IntFieldSpec {
        name,
        aliases,
        app_proto,
        dir,
        kind,
        doc,
    }
}

/// Every integer field, in a fixed order (ids are positions).
pub const INT_FIELDS: &[IntFieldSpec] = &[
    field(
        "mqtt.protocol_version",
        &[],
        "mqtt",
        BufDir::Both,
        IntKind::Uint,
        "MQTT protocol level of the connection (3, 4, 5)",
    ),
    field(
        "mqtt.type",
        &[],
        "mqtt",
        BufDir::Both,
        IntKind::Enum(MQTT_TYPES),
        "type of a message of the transaction (CONNECT, PUBLISH, ...)",
    ),
    field(
        "mqtt.flags",
        &[],
        "mqtt",
        BufDir::Both,
        IntKind::Flags(MQTT_FLAGS),
        "fixed-header flags of a message: dup, retain",
    ),
    field(
        "mqtt.qos",
        &[],
        "mqtt",
        BufDir::Both,
        IntKind::Uint,
        "QoS of a PUBLISH (0, 1, 2)",
    ),
    field(
        "mqtt.reason_code",
        &["mqtt.connack.return_code"],
        "mqtt",
        BufDir::ToClient,
        IntKind::Uint,
        "reason/return code of CONNACK, PUBACK, ..., DISCONNECT, AUTH",
    ),
    field(
        "mqtt.connack.session_present",
        &[],
        "mqtt",
        BufDir::ToClient,
        IntKind::Bool,
        "CONNACK session-present flag",
    ),
    field(
        "mqtt.connect.flags",
        &[],
        "mqtt",
        BufDir::ToServer,
        IntKind::Flags(MQTT_CONNECT_FLAGS),
        "CONNECT flags: username, password, will, will_retain, clean_session",
    ),
    field(
        "tls.version",
        &[],
        "tls",
        BufDir::Both,
        IntKind::Enum(TLS_VERSIONS),
        "negotiated TLS version (1.0, 1.1, 1.2, 1.3, ssl3) or a number",
    ),
    field(
        "tls.cert_expired",
        &[],
        "tls",
        BufDir::ToClient,
        IntKind::Bool,
        "server certificate's notAfter is before the packet time",
    ),
];

/// Finds a field by keyword name or alias.
pub fn by_name(name: &str) -> Option<IntFieldId> {
    INT_FIELDS
        .iter()
        .position(|f| f.name == name || f.aliases.contains(&name))
        .map(|i| IntFieldId(i as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_are_unique() {
        assert_eq!(
            by_name("mqtt.connack.return_code"),
            by_name("mqtt.reason_code")
        );
        assert_eq!(
            by_name("tls.version")
                .and_then(|i| i.spec())
                .map(|s| s.app_proto),
            Some("tls")
        );
        let mut names: Vec<&str> = INT_FIELDS
            .iter()
            .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(n, names.len());
        for f in INT_FIELDS {
            assert!(
                crate::buffers::by_sticky_name(f.name).is_none(),
                "{} is also a buffer",
                f.name
            );
        }
    }
}
