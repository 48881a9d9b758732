//! SNMP messages (RFC 1157 v1, RFC 1901/3416 v2c, RFC 3412/3414 v3) as
//! borrowed views of one datagram.

use super::ber::{self, BerError, Class, Reader, Tlv};

/// `snmpTrapOID.0` (1.3.6.1.6.3.1.1.4.1.0), encoded: the varbind of an
/// SNMPv2 trap or inform whose value names the notification.
pub const SNMP_TRAP_OID_0: &[u8] = &[0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/// Why a datagram is not an SNMP message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// BER could not be read.
    Ber(BerError),
    /// A version other than 0 (v1), 1 (v2c) or 3 (v3).
    Version(i64),
}

impl From<BerError> for Error {
    fn from(e: BerError) -> Error {
        Error::Ber(e)
    }
}

/// The SNMPv3 header fields palisade keeps.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct V3<'a> {
    /// msgID: pairs a request with its response or report.
    pub msg_id: i64,
    /// msgFlags (bit 0 auth, bit 1 priv, bit 2 reportable).
    pub flags: u8,
    /// msgSecurityModel (3 = USM).
    pub security_model: i64,
    /// USM msgUserName, when the security model is USM.
    pub usm_user: Option<&'a [u8]>,
}

/// A v1 Trap-PDU's own fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TrapV1<'a> {
    /// enterprise OID (encoded).
    pub enterprise: &'a [u8],
    /// agent-addr: an IPv4 address when it has 4 bytes.
    pub agent_addr: Option<[u8; 4]>,
    /// generic-trap (0 coldStart ... 6 enterpriseSpecific).
    pub generic: i64,
    /// specific-trap.
    pub specific: i64,
}

/// A PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// PDU type: the context tag (0 GetRequest ... 8 Report).
    pub pdu_type: u32,
    /// request-id (None for a v1 trap).
    pub request_id: Option<i64>,
    /// error-status (non-repeaters in a GetBulkRequest).
    pub error_status: i64,
    /// error-index (max-repetitions in a GetBulkRequest).
    pub error_index: i64,
    /// v1 trap fields.
    pub trap: Option<TrapV1<'a>>,
    /// The variable-bindings list, still encoded: see [`Pdu::varbinds`].
    varbinds: Reader<'a>,
}

impl<'a> Pdu<'a> {
    /// The variable bindings in order; an item is an error where the
    /// list stops being well-formed (and nothing follows it).
    pub fn varbinds(&self) -> VarBinds<'a> {
        VarBinds {
            r: self.varbinds,
            failed: false,
        }
    }
}

/// One variable binding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VarBind<'a> {
    /// OID (encoded, checked well-formed).
    pub oid: &'a [u8],
    /// The value's element.
    pub value: Tlv<'a>,
}

/// Iterator of [`Pdu::varbinds`].
#[derive(Clone, Debug)]
pub struct VarBinds<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for VarBinds<'a> {
    type Item = Result<VarBind<'a>, BerError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let r = varbind(&mut self.r);
        self.failed = r.is_err();
        Some(r)
    }
}

fn varbind<'a>(list: &mut Reader<'a>) -> Result<VarBind<'a>, BerError> {
    let mut vb = list.sequence()?;
    let oid = vb.expect(ber::OID)?.value;
    if !ber::oid_valid(oid) {
        return Err(BerError::UnexpectedTag);
    }
    let value = vb.any()?;
    Ok(VarBind { oid, value })
}

/// A message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// msgVersion as sent: 0 (v1), 1 (v2c) or 3.
    pub version: i64,
    /// Community (v1/v2c).
    pub community: Option<&'a [u8]>,
    /// v3 header.
    pub v3: Option<V3<'a>>,
    /// The PDU when it is in clear and well-formed up to its varbind list.
    pub pdu: Option<Pdu<'a>>,
    /// v3 scoped PDU encrypted (msgFlags priv).
    pub encrypted: bool,
    /// Something after the community (v1/v2c) or the header (v3) could
    /// not be read.
    pub malformed: bool,
}

/// Reads one message. Fails when not even the version and the community
/// (or the v3 header) can be read; later faults set `malformed`.
pub fn message(data: &[u8]) -> Result<Message<'_>, Error> {
    let mut top = Reader::new(data);
    let mut msg = top.sequence()?;
    let version = msg.integer()?;
    let mut m = Message {
        version,
        community: None,
        v3: None,
        pdu: None,
        encrypted: false,
        malformed: false,
    };
    match version {
        0 | 1 => {
            m.community = Some(msg.octets()?);
            match pdu(&mut msg) {
                Ok(p) => m.pdu = Some(p),
                Err(_) => m.malformed = true,
            }
        }
        3 => v3(&mut msg, &mut m)?,
        v => return Err(Error::Version(v)),
    }
    Ok(m)
}

fn v3<'a>(msg: &mut Reader<'a>, m: &mut Message<'a>) -> Result<(), Error> {
    let mut global = msg.sequence()?;
    let msg_id = global.integer()?;
    let _max_size = global.integer()?;
    let flags = global.octets()?.first().copied().unwrap_or(0);
    let security_model = global.integer()?;
    let params = msg.octets()?;
    let mut h = V3 {
        msg_id,
        flags,
        security_model,
        usm_user: None,
    };
    if security_model == 3 {
        // UsmSecurityParameters, BER inside the OCTET STRING.
        match usm_user(msg, params) {
            Ok(u) => h.usm_user = Some(u),
            Err(_) => m.malformed = true,
        }
    }
    m.v3 = Some(h);
    if flags & 0x02 != 0 {
        m.encrypted = true;
        if msg.octets().is_err() {
            m.malformed = true;
        }
        return Ok(());
    }
    let scoped = msg.sequence().and_then(|mut s| {
        let _context_engine_id = s.octets()?;
        let _context_name = s.octets()?;
        pdu(&mut s)
    });
    match scoped {
        Ok(p) => m.pdu = Some(p),
        Err(_) => m.malformed = true,
    }
    Ok(())
}

fn usm_user<'a>(msg: &Reader<'a>, params: &'a [u8]) -> Result<&'a [u8], BerError> {
    // The parameters are a nested encoding: read them one level below the
    // message so the depth limit still holds.
    let (t, _) = ber::read_tlv(params)?;
    if t.ident != ber::SEQUENCE {
        return Err(BerError::UnexpectedTag);
    }
    let mut usm = msg.enter(&t)?;
    let _engine_id = usm.octets()?;
    let _boots = usm.integer()?;
    let _time = usm.integer()?;
    usm.octets()
}

fn pdu<'a>(r: &mut Reader<'a>) -> Result<Pdu<'a>, BerError> {
    let t = r.any()?;
    if t.class != Class::Context || t.tag > 8 {
        return Err(BerError::UnexpectedTag);
    }
    let mut p = r.enter(&t)?;
    if t.tag == 4 {
        let enterprise = p.expect(ber::OID)?.value;
        // agent-addr: [APPLICATION 0] IMPLICIT OCTET STRING (SIZE (4)).
        let addr = p.expect(0x40)?.value;
        let generic = p.integer()?;
        let specific = p.integer()?;
        // time-stamp: [APPLICATION 3] TimeTicks.
        let _ticks = p.expect(0x43)?;
        let varbinds = p.sequence()?;
        return Ok(Pdu {
            pdu_type: 4,
            request_id: None,
            error_status: 0,
            error_index: 0,
            trap: Some(TrapV1 {
                enterprise,
                agent_addr: <[u8; 4]>::try_from(addr).ok(),
                generic,
                specific,
            }),
            varbinds,
        });
    }
    let request_id = p.integer()?;
    let error_status = p.integer()?;
    let error_index = p.integer()?;
    let varbinds = p.sequence()?;
    Ok(Pdu {
        pdu_type: t.tag,
        request_id: Some(request_id),
        error_status,
        error_index,
        trap: None,
        varbinds,
    })
}

/// Suricata's `pdu_type` names.
pub fn pdu_type_name(t: u32) -> Option<&'static str> {
    Some(match t {
        0 => "get_request",
        1 => "get_next_request",
        2 => "response",
        3 => "set_request",
        4 => "trap_v1",
        5 => "get_bulk_request",
        6 => "inform_request",
        7 => "trap_v2",
        8 => "report",
        _ => return None,
    })
}

/// error-status names as Suricata writes them (snmp-parser's `Debug`).
pub fn error_name(e: i64) -> Option<&'static str> {
    Some(match e {
        0 => "NoError",
        1 => "TooBig",
        2 => "NoSuchName",
        3 => "BadValue",
        4 => "ReadOnly",
        5 => "GenErr",
        6 => "NoAccess",
        7 => "WrongType",
        8 => "WrongLength",
        9 => "WrongEncoding",
        10 => "WrongValue",
        11 => "NoCreation",
        12 => "InconsistentValue",
        13 => "ResourceUnavailable",
        14 => "CommitFailed",
        15 => "UndoFailed",
        16 => "AuthorizationError",
        17 => "NotWritable",
        18 => "InconsistentName",
        _ => return None,
    })
}

/// generic-trap names as Suricata writes them (snmp-parser's `Debug`).
pub fn trap_type_name(g: i64) -> Option<&'static str> {
    Some(match g {
        0 => "coldStart",
        1 => "warmStart",
        2 => "linkDown",
        3 => "linkUp",
        4 => "authenticationFailure",
        5 => "egpNeighborLoss",
        6 => "enterpriseSpecific",
        _ => return None,
    })
}

/// Name of a varbind value's type, by its identifier byte (RFC 2578
/// application types and RFC 3416 exceptions).
pub fn value_type_name(ident: u8) -> &'static str {
    match ident {
        0x02 => "integer",
        0x04 => "octet_string",
        0x05 => "null",
        0x06 => "oid",
        0x40 => "ip_address",
        0x41 => "counter32",
        0x42 => "gauge32",
        0x43 => "timeticks",
        0x44 => "opaque",
        0x46 => "counter64",
        0x47 => "uinteger32",
        0x80 => "no_such_object",
        0x81 => "no_such_instance",
        0x82 => "end_of_mib_view",
        _ => "unknown",
    }
}

/// Whether `data` looks like an SNMP message. Off the SNMP ports the
/// whole envelope up to a PDU's varbind list (or a v3 header) must read;
/// on them the outer SEQUENCE and a known version suffice, so a
/// malformed PDU still reaches the parser and raises its event.
pub fn looks_like(data: &[u8], on_port: bool) -> bool {
    if on_port {
        let mut top = Reader::new(data);
        return top
            .sequence()
            .and_then(|mut m| m.integer())
            .is_ok_and(|v| matches!(v, 0 | 1 | 3));
    }
    match message(data) {
        Ok(m) => !m.malformed && (m.pdu.is_some() || m.encrypted),
        Err(_) => false,
    }
}
