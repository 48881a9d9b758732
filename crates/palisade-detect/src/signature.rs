//! A compiled signature and the compiler from a parsed rule.
//!
//! Compilation walks the options in order, as Suricata does: meta keywords
//! fill the signature's identity, a sticky-buffer keyword switches the list
//! that following payload keywords go to, payload keywords go to the
//! payload builder, header and flow keywords to their own lists. An
//! unknown or unsupported keyword fails the rule with a reason naming it.

use crate::buffers::{self, BufferId};
use crate::header::{self, HeaderMatch};
use crate::keywords::flow::FlowMatch;
use crate::keywords::flowbits::{FlowbitsOp, Interner};
use crate::keywords::flowint::FlowintOp;
use crate::keywords::xbits::XbitsOp;
use crate::payload::{BufferKey, PayloadBuilder, PayloadProgram};
use palisade_rules::{
    parse_metadata, parse_threshold_value, unquote, Action, Classifications, Direction, IpSet,
    PortSet, Rule, Span, ThresholdSpec, Vars,
};

/// Maximum length of a `msg` kept (longer is truncated, as Suricata's limit).
pub const MAX_MSG_LEN: usize = 1024;

/// Which packets a signature's protocol selects.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ProtoSpec {
    /// Bit per L4 class: [`PROTO_TCP`], [`PROTO_UDP`], [`PROTO_ICMP`], [`PROTO_OTHER`].
    pub classes: u8,
    /// Required app-layer protocol (`http`, ...), if any.
    pub app_proto: Option<&'static str>,
    /// `tcp-pkt`: packets only.
    pub packet_only: bool,
    /// `tcp-stream`: stream only.
    pub stream_only: bool,
    /// `icmpv4` / `icmpv6` restriction (ip proto number) or 0.
    pub ip_proto: u8,
}

/// L4 class bits.
pub const PROTO_TCP: u8 = 1;
/// UDP.
pub const PROTO_UDP: u8 = 2;
/// ICMP and ICMPv6.
pub const PROTO_ICMP: u8 = 4;
/// Anything else (GRE, ESP, SCTP, ...).
pub const PROTO_OTHER: u8 = 8;
/// All classes.
pub const PROTO_ANY: u8 = 15;

/// App-layer protocols palisade knows by name, with the transports they run on.
pub const APP_PROTOS: &[(&str, u8)] = &[
    ("http", PROTO_TCP),
    ("http1", PROTO_TCP),
    ("http2", PROTO_TCP),
    ("dns", PROTO_TCP | PROTO_UDP),
    ("tls", PROTO_TCP),
    ("ssh", PROTO_TCP),
    ("ftp", PROTO_TCP),
    ("ftp-data", PROTO_TCP),
    ("smtp", PROTO_TCP),
    ("imap", PROTO_TCP),
    ("pop3", PROTO_TCP),
    ("smb", PROTO_TCP | PROTO_UDP),
    ("dcerpc", PROTO_TCP | PROTO_UDP),
    ("mqtt", PROTO_TCP),
    ("dhcp", PROTO_UDP),
    ("snmp", PROTO_UDP | PROTO_TCP),
    ("sip", PROTO_UDP | PROTO_TCP),
    ("ntp", PROTO_UDP),
    ("tftp", PROTO_UDP),
    ("telnet", PROTO_TCP),
    ("rtsp", PROTO_TCP),
    ("ssdp", PROTO_UDP),
    ("modbus", PROTO_TCP),
    ("dnp3", PROTO_TCP),
    ("enip", PROTO_TCP | PROTO_UDP),
    ("krb5", PROTO_TCP | PROTO_UDP),
    ("nfs", PROTO_TCP | PROTO_UDP),
    ("rdp", PROTO_TCP),
    ("rfb", PROTO_TCP),
    ("ikev2", PROTO_UDP),
    ("coap", PROTO_UDP),
    ("kalay", PROTO_UDP),
];

fn app_proto(name: &str) -> Option<(&'static str, u8)> {
    APP_PROTOS.iter().find(|(n, _)| *n == name).copied()
}

/// How a signature is inspected.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SigKind {
    /// Only addresses/ports (and flowbits actions, thresholds): checked on the
    /// first packet of each direction of a flow, as Suricata's IP-only rules.
    IpOnly,
    /// Header keywords and/or payload matched per packet.
    Packet,
    /// TCP payload matched on the reassembled stream where there is one and
    /// on packets that are not part of a reassembled stream.
    Stream,
    /// App-layer buffers matched per transaction.
    App,
}

/// A compiled signature.
pub struct Signature {
    /// Position in the rule set (also the prefilter's id).
    pub index: u32,
    /// Generator id (1 unless `gid:`).
    pub gid: u32,
    /// Signature id.
    pub sid: u32,
    /// Revision.
    pub rev: u32,
    /// `msg`, unescaped.
    pub msg: String,
    /// Action.
    pub action: Action,
    /// `classtype` short name.
    pub classtype: Option<String>,
    /// Category (the classification's description).
    pub category: Option<String>,
    /// Severity: `priority:` or the classification's priority, default 3.
    pub priority: u8,
    /// `metadata` pairs.
    pub metadata: Vec<(String, String)>,
    /// `reference` values (`type,id`).
    pub references: Vec<String>,
    /// `target:src_ip|dest_ip`.
    pub target: Option<Target>,
    /// Protocol selection.
    pub proto: ProtoSpec,
    /// Source addresses.
    pub src: IpSet,
    /// Destination addresses.
    pub dst: IpSet,
    /// Source ports.
    pub sp: PortSet,
    /// Destination ports.
    pub dp: PortSet,
    /// `<>`
    pub bidirectional: bool,
    /// Header keywords.
    pub header: Vec<HeaderMatch>,
    /// `flow:`
    pub flow: Option<FlowMatch>,
    /// `flowbits:` in rule order.
    pub flowbits: Vec<FlowbitsOp>,
    /// `flowint:` in rule order.
    pub flowints: Vec<FlowintOp>,
    /// `xbits:` in rule order.
    pub xbits: Vec<XbitsOp>,
    /// Payload and buffer keywords.
    pub payload: PayloadProgram,
    /// Buffers used (payload list first if used).
    pub buffers: Vec<BufferId>,
    /// `threshold:` or `detection_filter:`.
    pub threshold: Option<ThresholdSpec>,
    /// `detection_filter:` (kept apart from threshold: a rule may have both).
    pub detection_filter: Option<ThresholdSpec>,
    /// `noalert` or `flowbits:noalert`.
    pub noalert: bool,
    /// `app-layer-protocol:` (name, negated).
    pub app_layer_protocol: Option<(String, bool)>,
    /// `app-layer-event:` names.
    pub app_layer_events: Vec<String>,
    /// Transaction integer keywords (`mqtt.type`, `tls.version`, ...).
    pub tx_ints: Vec<crate::keywords::TxInt>,
    /// The chosen fast pattern: (buffer, bytes).
    pub fast_pattern: Option<(BufferId, Vec<u8>)>,
    /// Inspection kind.
    pub kind: SigKind,
}

/// `target:` keyword.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The source is the target.
    Source,
    /// The destination is the target.
    Destination,
}

/// Why a rule failed to compile, with where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct CompileError {
    /// Short reason class for grouping (`unsupported keyword asn1`, `undefined variable`, ...).
    pub group: String,
    /// Full reason.
    pub reason: String,
    /// Where.
    pub span: Span,
}

impl CompileError {
    fn at(span: Span, group: impl Into<String>, reason: impl Into<String>) -> Self {
        CompileError {
            group: group.into(),
            reason: reason.into(),
            span,
        }
    }
}

/// What compilation needs besides the rule.
pub struct CompileEnv<'a> {
    /// Variables.
    pub vars: &'a Vars,
    /// Classifications.
    pub classifications: &'a Classifications,
    /// Flowbit / flowint / xbit names → ids.
    pub names: &'a mut Interner,
}

/// Keywords accepted and documented as having no effect in palisade.
const IGNORED: &[(&str, &str)] = &[
    ("tag", "session/host tagging of following packets; accepted, no effect (tagged packets are not logged)"),
    ("prefilter", "use this keyword as prefilter; accepted, palisade chooses its own prefilter"),
    ("rawbytes", "inspect raw bytes; palisade's payload is always raw"),
    ("priority", "handled as meta"),
];

/// Keywords known from Suricata that palisade refuses (with a reason).
const UNSUPPORTED: &[(&str, &str)] = &[
    ("asn1", "asn1 decoding is not supported"),
    ("ftpbounce", "ftpbounce is not supported"),
    ("lua", "lua scripts are not supported"),
    ("luajit", "lua scripts are not supported"),
    ("replace", "replace needs inline mode"),
    ("filestore", "file extraction is not supported"),
    ("filemagic", "file magic is not supported"),
    ("datarep", "datasets are not supported"),
    ("dataset", "datasets are not supported"),
    ("iprep", "IP reputation is not supported"),
    ("geoip", "geoip is not supported"),
];

/// Compiles one rule.
/// `ip_proto:N` pins the protocol: the rule joins only that protocol's
/// class group, so it is not evaluated for every packet of the others (ET
/// Open's `alert ip ... (ip_proto:41; ...)` was a full evaluation for every
/// TCP and UDP packet leaving the home network). A rule left with no class
/// (`tcp` and `ip_proto:17`) could never match, and joins no group.
fn narrow_classes_by_ip_proto(sig: &mut Signature) {
    use crate::keywords::ip_proto::IpProtoOp;
    for h in &sig.header {
        if let HeaderMatch::IpProto(p) = h {
            if matches!(p.op, IpProtoOp::Eq) {
                sig.proto.classes &= crate::detect::l4_class(p.proto);
            }
        }
    }
}

pub fn compile<'a>(
    rule: &'a Rule,
    index: u32,
    env: &mut CompileEnv<'_>,
) -> Result<Signature, CompileError> {
    let proto_span = rule.protocol.span;
    let pname = rule.protocol.value.to_ascii_lowercase();
    let mut proto = ProtoSpec {
        classes: 0,
        app_proto: None,
        packet_only: false,
        stream_only: false,
        ip_proto: 0,
    };
    match pname.as_str() {
        "ip" | "pkthdr" => proto.classes = PROTO_ANY,
        "tcp" => proto.classes = PROTO_TCP,
        "tcp-pkt" => {
            proto.classes = PROTO_TCP;
            proto.packet_only = true
        }
        "tcp-stream" => {
            proto.classes = PROTO_TCP;
            proto.stream_only = true
        }
        "udp" => proto.classes = PROTO_UDP,
        "icmp" => proto.classes = PROTO_ICMP,
        "icmpv4" => {
            proto.classes = PROTO_ICMP;
            proto.ip_proto = 1
        }
        "icmpv6" => {
            proto.classes = PROTO_ICMP;
            proto.ip_proto = 58
        }
        "sctp" => {
            proto.classes = PROTO_OTHER;
            proto.ip_proto = 132
        }
        other => match app_proto(other) {
            Some((name, classes)) => {
                proto.classes = classes;
                proto.app_proto = Some(name);
            }
            None => {
                return Err(CompileError::at(
                    proto_span,
                    "unknown protocol",
                    format!("unknown protocol `{other}`"),
                ))
            }
        },
    }
    let var_err = |span: Span, e: palisade_rules::VarError| {
        let group = match e {
            palisade_rules::VarError::Undefined(_) => "undefined variable",
            _ => "bad address or port",
        };
        CompileError::at(span, group, e.to_string())
    };
    let src = rule
        .source
        .value
        .resolve(env.vars)
        .map_err(|e| var_err(rule.source.span, e))?;
    let dst = rule
        .destination
        .value
        .resolve(env.vars)
        .map_err(|e| var_err(rule.destination.span, e))?;
    let sp = rule
        .source_ports
        .value
        .resolve(env.vars)
        .map_err(|e| var_err(rule.source_ports.span, e))?;
    let dp = rule
        .destination_ports
        .value
        .resolve(env.vars)
        .map_err(|e| var_err(rule.destination_ports.span, e))?;

    let mut sig = Signature {
        index,
        gid: 1,
        sid: 0,
        rev: 0,
        msg: String::new(),
        action: rule.action.value,
        classtype: None,
        category: None,
        priority: 3,
        metadata: Vec::new(),
        references: Vec::new(),
        target: None,
        proto,
        src,
        dst,
        sp,
        dp,
        bidirectional: rule.direction.value == Direction::Both,
        header: Vec::new(),
        flow: None,
        flowbits: Vec::new(),
        flowints: Vec::new(),
        xbits: Vec::new(),
        payload: PayloadProgram::default(),
        buffers: Vec::new(),
        threshold: None,
        detection_filter: None,
        noalert: false,
        app_layer_protocol: None,
        app_layer_events: Vec::new(),
        tx_ints: Vec::new(),
        fast_pattern: None,
        kind: SigKind::Packet,
    };
    let mut have_sid = false;
    let mut priority: Option<u8> = None;
    let mut builder = PayloadBuilder::new();
    let mut used_buffers: Vec<BufferId> = Vec::new();

    for opt in &rule.options {
        let name = opt.name.to_ascii_lowercase();
        let value = opt.value.as_deref();
        let span = opt.span();
        fn need_value<'v>(
            v: Option<&'v str>,
            name: &str,
            span: Span,
        ) -> Result<&'v str, CompileError> {
            v.ok_or_else(|| {
                CompileError::at(span, "missing value", format!("`{name}` needs a value"))
            })
        }
        let need = |v: Option<&'a str>| need_value(v, &name, span);
        let bad = |reason: String| {
            CompileError::at(span, format!("bad {name}"), format!("{name}: {reason}"))
        };
        // Payload errors already name their keyword.
        let bad_payload = |e: crate::payload::PayloadError| {
            CompileError::at(span, format!("bad {name}"), e.to_string())
        };
        match name.as_str() {
            "msg" => {
                let mut m = unquote(need(value)?);
                if m.len() > MAX_MSG_LEN {
                    let mut cut = MAX_MSG_LEN;
                    while !m.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    m.truncate(cut);
                }
                sig.msg = m;
            }
            "sid" => {
                sig.sid = need(value)?
                    .parse()
                    .map_err(|_| bad("not a number".into()))?;
                if sig.sid == 0 {
                    return Err(bad("sid 0 is not allowed".into()));
                }
                have_sid = true;
            }
            "rev" => {
                sig.rev = need(value)?
                    .parse()
                    .map_err(|_| bad("not a number".into()))?
            }
            "gid" => {
                sig.gid = need(value)?
                    .parse()
                    .map_err(|_| bad("not a number".into()))?
            }
            "classtype" => {
                let c = need(value)?.trim();
                let class = env.classifications.get(c).ok_or_else(|| {
                    CompileError::at(
                        span,
                        "unknown classtype",
                        format!("unknown classtype `{c}`"),
                    )
                })?;
                sig.classtype = Some(class.name.clone());
                sig.category = Some(class.description.clone());
                if priority.is_none() {
                    sig.priority = class.priority;
                }
            }
            "priority" => {
                let p: u8 = need(value)?
                    .parse()
                    .map_err(|_| bad("not a number 1-255".into()))?;
                if p == 0 {
                    return Err(bad("priority must be at least 1".into()));
                }
                priority = Some(p);
                sig.priority = p;
            }
            "reference" => sig.references.push(need(value)?.to_string()),
            "metadata" => sig.metadata.extend(parse_metadata(need(value)?)),
            "target" => {
                sig.target = Some(match need(value)? {
                    "src_ip" => Target::Source,
                    "dest_ip" => Target::Destination,
                    v => return Err(bad(format!("expected src_ip or dest_ip, got `{v}`"))),
                })
            }
            "noalert" => sig.noalert = true,
            "pkt_data" => builder.switch_to(BufferKey(0)),
            "threshold" => {
                if sig.threshold.is_some() {
                    return Err(bad("only one threshold per rule".into()));
                }
                sig.threshold = Some(parse_threshold_value(need(value)?, false).map_err(bad)?)
            }
            "detection_filter" => {
                sig.detection_filter = Some(parse_threshold_value(need(value)?, true).map_err(bad)?)
            }
            "flow" => {
                if sig.flow.is_some() {
                    return Err(bad("only one flow keyword per rule".into()));
                }
                sig.flow = Some(FlowMatch::parse(need(value)?).map_err(bad)?)
            }
            "flowbits" => {
                let op = FlowbitsOp::parse(need(value)?, env.names).map_err(bad)?;
                if op.is_noalert() {
                    sig.noalert = true;
                }
                sig.flowbits.push(op);
            }
            "flowint" => sig
                .flowints
                .push(FlowintOp::parse(need(value)?, env.names).map_err(bad)?),
            "xbits" => sig
                .xbits
                .push(XbitsOp::parse(need(value)?, env.names).map_err(bad)?),
            "app-layer-protocol" => {
                let v = need(value)?.trim();
                let (neg, n) = match v.strip_prefix('!') {
                    Some(n) => (true, n.trim()),
                    None => (false, v),
                };
                if app_proto(n).is_none() && !matches!(n, "unknown" | "failed") {
                    return Err(bad(format!("unknown protocol `{n}`")));
                }
                sig.app_layer_protocol = Some((n.to_string(), neg));
            }
            "app-layer-event" => {
                let v = need(value)?.trim();
                if let Some((p, _)) = v.split_once('.') {
                    if let Some((ap, classes)) = app_proto(p) {
                        bind_app_proto(&mut sig.proto, ap, classes, span)?;
                    }
                }
                sig.app_layer_events.push(v.to_string());
            }
            "urilen" => {
                // urilen is the length of http.uri (",raw" selects the raw URI).
                let v = need(value)?;
                let (cmp, raw) = match v.rsplit_once(',') {
                    Some((c, "raw")) => (c.trim(), true),
                    Some((c, "norm")) => (c.trim(), false),
                    _ => (v, false),
                };
                let id = buffers::by_sticky_name(if raw { "http.uri.raw" } else { "http.uri" })
                    .unwrap_or(BufferId::PAYLOAD);
                let back = builder.current();
                builder.switch_to(BufferKey(id.0));
                builder.add("bsize", Some(cmp)).map_err(bad_payload)?;
                builder.switch_to(back);
                note_buffer(&mut used_buffers, id);
                bind_app_proto(&mut sig.proto, "http", PROTO_TCP, span)?;
            }
            n if IGNORED.iter().any(|(k, _)| *k == n) && n != "priority" => {}
            n if UNSUPPORTED.iter().any(|(k, _)| *k == n) => {
                let why = UNSUPPORTED
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map_or("", |(_, w)| w);
                return Err(CompileError::at(
                    span,
                    format!("unsupported keyword {n}"),
                    why.to_string(),
                ));
            }
            n => {
                if let Some(id) = buffers::by_sticky_name(n) {
                    if value.is_some() {
                        return Err(bad("sticky buffer keywords take no value".into()));
                    }
                    if let Some(spec) = id.spec() {
                        let classes = app_proto(spec.app_proto).map_or(PROTO_TCP, |(_, c)| c);
                        bind_app_proto(&mut sig.proto, spec.app_proto, classes, span)?;
                    }
                    builder.switch_to(BufferKey(id.0));
                    note_buffer(&mut used_buffers, id);
                } else if let Some(id) = buffers::by_modifier(n) {
                    if value.is_some() {
                        return Err(bad("content modifiers take no value".into()));
                    }
                    if let Some(spec) = id.spec() {
                        let classes = app_proto(spec.app_proto).map_or(PROTO_TCP, |(_, c)| c);
                        bind_app_proto(&mut sig.proto, spec.app_proto, classes, span)?;
                    }
                    builder
                        .move_last_content_to(BufferKey(id.0))
                        .map_err(bad_payload)?;
                    note_buffer(&mut used_buffers, id);
                } else if let Some(ti) = crate::keywords::TxInt::parse(n, value) {
                    let ti = ti.map_err(bad)?;
                    if let Some(spec) = ti.field.spec() {
                        let classes = app_proto(spec.app_proto).map_or(PROTO_TCP, |(_, c)| c);
                        bind_app_proto(&mut sig.proto, spec.app_proto, classes, span)?;
                    }
                    sig.tx_ints.push(ti);
                } else if let Some(h) = header::parse(n, value) {
                    sig.header.push(h.map_err(bad)?);
                } else {
                    match builder.add(n, value) {
                        Ok(true) => {
                            if let Some(flag_buffer) = builder.pending_buffer() {
                                let id = buffers::by_sticky_name(flag_buffer).ok_or_else(|| {
                                    bad(format!("pcre buffer `{flag_buffer}` unknown"))
                                })?;
                                if let Some(spec) = id.spec() {
                                    let classes =
                                        app_proto(spec.app_proto).map_or(PROTO_TCP, |(_, c)| c);
                                    bind_app_proto(&mut sig.proto, spec.app_proto, classes, span)?;
                                }
                                builder.move_last_to(BufferKey(id.0)).map_err(bad_payload)?;
                                note_buffer(&mut used_buffers, id);
                            } else if builder.current() == BufferKey(0) {
                                note_buffer(&mut used_buffers, BufferId::PAYLOAD);
                            }
                        }
                        Ok(false) => {
                            return Err(CompileError::at(
                                opt.name_span,
                                format!("unknown keyword {n}"),
                                format!("unknown keyword `{n}`"),
                            ))
                        }
                        Err(e) => return Err(bad_payload(e)),
                    }
                }
            }
        }
    }
    if !have_sid {
        return Err(CompileError::at(
            rule.span,
            "missing sid",
            "rule has no sid",
        ));
    }
    sig.payload = builder
        .finish()
        .map_err(|e| CompileError::at(rule.span, "bad payload", e.to_string()))?;
    // Only lists that actually hold keywords count as used.
    used_buffers.retain(|b| sig.payload.list(BufferKey(b.0)).is_some());
    used_buffers.sort_unstable();
    sig.buffers = used_buffers;
    sig.fast_pattern = choose_fast_pattern(&sig);
    sig.kind = classify(&sig);
    narrow_classes_by_ip_proto(&mut sig);
    check_consistency(&sig, rule)?;
    Ok(sig)
}

fn note_buffer(list: &mut Vec<BufferId>, id: BufferId) {
    if !list.contains(&id) {
        list.push(id);
    }
}

/// A rule on `tcp` that uses an http buffer becomes an http rule; a rule on
/// `dns` using an http buffer is an error, as in Suricata.
fn bind_app_proto(
    proto: &mut ProtoSpec,
    ap: &'static str,
    classes: u8,
    span: Span,
) -> Result<(), CompileError> {
    if ap.is_empty() {
        return Ok(());
    }
    match proto.app_proto {
        Some(existing) if existing == ap || (existing.starts_with("http") && ap == "http") => {
            Ok(())
        }
        Some(existing) => Err(CompileError::at(
            span,
            "buffer of another protocol",
            format!("keyword for `{ap}` in a `{existing}` rule"),
        )),
        None => {
            if proto.classes & classes == 0 {
                return Err(CompileError::at(
                    span,
                    "buffer of another protocol",
                    format!("`{ap}` keyword cannot match this rule's transport"),
                ));
            }
            proto.classes &= classes;
            proto.app_proto = Some(ap);
            Ok(())
        }
    }
}

/// Suricata's choice: an explicit `fast_pattern`, else the longest positive
/// content (ties: the first), across all lists.
fn choose_fast_pattern(sig: &Signature) -> Option<(BufferId, Vec<u8>)> {
    let mut best: Option<(BufferId, &crate::payload::Content)> = None;
    for &b in &sig.buffers {
        for c in sig.payload.contents(BufferKey(b.0)) {
            if c.fast_pattern != crate::payload::FastPattern::None {
                if c.negated {
                    return None;
                }
                return Some((b, c.fast_pattern_bytes().to_vec()));
            }
            if c.negated {
                continue;
            }
            let better = best.is_none_or(|(_, cur)| c.pattern.len() > cur.pattern.len());
            if better {
                best = Some((b, c));
            }
        }
    }
    best.map(|(b, c)| (b, c.fast_pattern_bytes().to_vec()))
}

fn classify(sig: &Signature) -> SigKind {
    let app_buffers = sig.buffers.iter().any(|b| *b != BufferId::PAYLOAD);
    if app_buffers || !sig.app_layer_events.is_empty() || !sig.tx_ints.is_empty() {
        return SigKind::App;
    }
    let payload = sig.buffers.contains(&BufferId::PAYLOAD);
    let packet_keywords = !sig.header.is_empty();
    if payload {
        let flow_no_stream = sig.flow.as_ref().is_some_and(|f| f.no_stream());
        if sig.proto.classes == PROTO_TCP
            && !sig.proto.packet_only
            && !flow_no_stream
            && !packet_keywords
        {
            return SigKind::Stream;
        }
        return SigKind::Packet;
    }
    if packet_keywords || sig.flow.is_some() || !sig.flowints.is_empty() || !sig.xbits.is_empty() {
        return SigKind::Packet;
    }
    if sig.flowbits.iter().any(|f| f.is_condition())
        || sig.proto.app_proto.is_some()
        || sig.app_layer_protocol.is_some()
    {
        return SigKind::Packet;
    }
    if sig.sp.is_any() && sig.dp.is_any() {
        SigKind::IpOnly
    } else {
        SigKind::Packet
    }
}

fn check_consistency(sig: &Signature, rule: &Rule) -> Result<(), CompileError> {
    if sig.proto.stream_only
        && sig
            .header
            .iter()
            .any(|h| matches!(h, HeaderMatch::Dsize(_)))
    {
        return Err(CompileError::at(
            rule.protocol.span,
            "dsize on stream",
            "dsize cannot be used on a tcp-stream rule",
        ));
    }
    Ok(())
}

/// Options the compiler handles itself (for `palisade rules keywords`).
pub fn meta_keywords() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("msg", "alert message"),
        ("sid", "signature id (required)"),
        ("rev", "revision"),
        ("gid", "generator id (default 1)"),
        ("classtype", "classification (classification.config): category and default severity"),
        ("priority", "severity 1 (high) .. 255, overrides the classtype's"),
        ("reference", "external reference, type,id"),
        ("metadata", "key value pairs, copied to alert.metadata"),
        ("target", "src_ip or dest_ip: which side is the target"),
        ("noalert", "match without alerting (for flowbits setters)"),
        ("threshold", "type limit|threshold|both, track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds T"),
        ("detection_filter", "alert on matches after the first count within seconds"),
        ("app-layer-protocol", "flow's app-layer protocol is (or with ! is not) this one"),
        ("app-layer-event", "transaction raised this app-layer event (proto.event)"),
        ("urilen", "length of http.uri (or ,raw of http.uri.raw)"),
        ("flow", "established, not_established, stateless, to_server, to_client, only_stream, no_stream"),
        ("flowbits", "set, unset, toggle, isset, isnotset, noalert; a|b and a&b groups"),
        ("flowint", "per-flow integer variables: set, add, compare"),
        ("xbits", "bits tracked per ip_src, ip_dst or ip_pair with expiry"),
    ];
    v.extend(IGNORED.iter().filter(|(k, _)| *k != "priority").copied());
    v
}

/// Keywords refused with their reason.
pub fn unsupported_keywords() -> &'static [(&'static str, &'static str)] {
    UNSUPPORTED
}
