//! Inspection buffers: the packet/stream payload and the app-layer sticky
//! buffers a transaction exposes.
//!
//! A rule selects a sticky buffer with its keyword (`http.uri; content:...`)
//! or, in old rules, moves the last content with a modifier
//! (`content:...; http_uri;`). The protocols fill buffers through
//! [`crate::tx::Transaction`]; this table is the contract between the two:
//! the name, the protocol that provides it, and which direction it is in.

/// Direction a buffer belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BufDir {
    /// Client to server (requests).
    ToServer,
    /// Server to client (responses).
    ToClient,
    /// Either (e.g. file.data, present in both directions).
    Both,
}

/// One sticky buffer.
#[derive(Copy, Clone, Debug)]
pub struct BufferSpec {
    /// Suricata's name (`http.uri`).
    pub name: &'static str,
    /// Older names that select the same buffer as a sticky keyword (`dns_query`).
    pub aliases: &'static [&'static str],
    /// Legacy content modifier that moves the last content here (`http_uri`).
    pub modifier: Option<&'static str>,
    /// App-layer protocol that provides it (`http`); rules on `tcp` using it are
    /// bound to that protocol. Empty for buffers several protocols fill.
    pub app_proto: &'static str,
    /// Direction.
    pub dir: BufDir,
    /// One-line description for `palisade rules keywords`.
    pub doc: &'static str,
}

/// Id of an inspection buffer: 0 is the packet/stream payload, `n` is `BUFFERS[n-1]`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferId(pub u16);

impl BufferId {
    /// The packet or reassembled stream payload.
    pub const PAYLOAD: BufferId = BufferId(0);

    /// The buffer's spec (None for the payload).
    pub fn spec(self) -> Option<&'static BufferSpec> {
        BUFFERS.get(usize::from(self.0).checked_sub(1)?)
    }

    /// Name, `payload` for buffer 0.
    pub fn name(self) -> &'static str {
        self.spec().map_or("payload", |s| s.name)
    }
}

macro_rules! buf {
    ($name:literal, $proto:literal, $dir:ident, $doc:literal) => {
        BufferSpec {
            name: $name,
            aliases: &[],
            modifier: None,
            app_proto: $proto,
            dir: BufDir::$dir,
            doc: $doc,
        }
    };
    ($name:literal, $proto:literal, $dir:ident, $doc:literal, aliases = $al:expr) => {
        BufferSpec {
            name: $name,
            aliases: $al,
            modifier: None,
            app_proto: $proto,
            dir: BufDir::$dir,
            doc: $doc,
        }
    };
    ($name:literal, $proto:literal, $dir:ident, $doc:literal, modifier = $m:literal) => {
        BufferSpec {
            name: $name,
            aliases: &[],
            modifier: Some($m),
            app_proto: $proto,
            dir: BufDir::$dir,
            doc: $doc,
        }
    };
    ($name:literal, $proto:literal, $dir:ident, $doc:literal, aliases = $al:expr, modifier = $m:literal) => {
        BufferSpec {
            name: $name,
            aliases: $al,
            modifier: Some($m),
            app_proto: $proto,
            dir: BufDir::$dir,
            doc: $doc,
        }
    };
}

/// Every sticky buffer palisade knows, in a fixed order (ids are positions).
pub const BUFFERS: &[BufferSpec] = &[
    buf!(
        "http.uri",
        "http",
        ToServer,
        "normalized request URI",
        modifier = "http_uri"
    ),
    buf!(
        "http.uri.raw",
        "http",
        ToServer,
        "raw request URI",
        modifier = "http_raw_uri"
    ),
    buf!(
        "http.method",
        "http",
        ToServer,
        "request method",
        modifier = "http_method"
    ),
    buf!(
        "http.protocol",
        "http",
        Both,
        "HTTP version string of request or response"
    ),
    buf!("http.request_line", "http", ToServer, "whole request line"),
    buf!(
        "http.host",
        "http",
        ToServer,
        "normalized (lowercased) Host header",
        modifier = "http_host"
    ),
    buf!(
        "http.host.raw",
        "http",
        ToServer,
        "raw Host header",
        modifier = "http_raw_host"
    ),
    buf!(
        "http.user_agent",
        "http",
        ToServer,
        "User-Agent header",
        modifier = "http_user_agent"
    ),
    buf!(
        "http.header",
        "http",
        Both,
        "normalized headers (name: value\\r\\n, no cookie)",
        modifier = "http_header"
    ),
    buf!(
        "http.header.raw",
        "http",
        Both,
        "raw header block",
        modifier = "http_raw_header"
    ),
    buf!(
        "http.header_names",
        "http",
        Both,
        "header names, each followed by \\r\\n, block framed by \\r\\n"
    ),
    buf!(
        "http.cookie",
        "http",
        Both,
        "Cookie / Set-Cookie value",
        modifier = "http_cookie"
    ),
    buf!(
        "http.request_body",
        "http",
        ToServer,
        "request body (dechunked, decompressed)",
        aliases = &[],
        modifier = "http_client_body"
    ),
    buf!(
        "http.stat_code",
        "http",
        ToClient,
        "response status code",
        modifier = "http_stat_code"
    ),
    buf!(
        "http.stat_msg",
        "http",
        ToClient,
        "response reason phrase",
        modifier = "http_stat_msg"
    ),
    buf!("http.response_line", "http", ToClient, "whole status line"),
    buf!(
        "http.response_body",
        "http",
        ToClient,
        "response body (dechunked, decompressed)",
        modifier = "http_server_body"
    ),
    buf!("http.server", "http", ToClient, "Server header"),
    buf!("http.location", "http", ToClient, "Location header"),
    buf!("http.content_type", "http", Both, "Content-Type header"),
    buf!("http.content_len", "http", Both, "Content-Length header"),
    buf!("http.accept", "http", ToServer, "Accept header"),
    buf!(
        "http.accept_enc",
        "http",
        ToServer,
        "Accept-Encoding header"
    ),
    buf!(
        "http.accept_lang",
        "http",
        ToServer,
        "Accept-Language header"
    ),
    buf!("http.referer", "http", ToServer, "Referer header"),
    buf!("http.connection", "http", Both, "Connection header"),
    buf!(
        "http.start",
        "http",
        Both,
        "request/response line plus headers"
    ),
    buf!(
        "http.header.authorization",
        "http",
        ToServer,
        "Authorization header (palisade extension)"
    ),
    buf!(
        "file.data",
        "",
        Both,
        "file contents (HTTP, SMTP, SMB, FTP-data bodies): bound to no single protocol",
        aliases = &["file_data"]
    ),
    buf!(
        "dns.query",
        "dns",
        ToServer,
        "query name of each question",
        aliases = &["dns_query"]
    ),
    buf!("dns.queries.rrname", "dns", Both, "rrname of each question"),
    buf!("dns.answer.name", "dns", ToClient, "rrname of each answer"),
    buf!(
        "tls.sni",
        "tls",
        ToServer,
        "server name indication",
        aliases = &["tls_sni"]
    ),
    buf!(
        "tls.cert_subject",
        "tls",
        ToClient,
        "server certificate subject",
        aliases = &["tls_cert_subject"]
    ),
    buf!(
        "tls.cert_issuer",
        "tls",
        ToClient,
        "server certificate issuer",
        aliases = &["tls_cert_issuer"]
    ),
    buf!(
        "tls.cert_serial",
        "tls",
        ToClient,
        "server certificate serial",
        aliases = &["tls_cert_serial"]
    ),
    buf!(
        "tls.cert_fingerprint",
        "tls",
        ToClient,
        "server certificate SHA1 fingerprint",
        aliases = &["tls_cert_fingerprint"]
    ),
    buf!(
        "tls.certs",
        "tls",
        ToClient,
        "each certificate of the chain (DER)"
    ),
    buf!(
        "ja3.hash",
        "tls",
        ToServer,
        "JA3 client fingerprint hash",
        aliases = &["ja3_hash"]
    ),
    buf!(
        "ja3.string",
        "tls",
        ToServer,
        "JA3 client fingerprint string",
        aliases = &["ja3_string"]
    ),
    buf!("ja3s.hash", "tls", ToClient, "JA3S server fingerprint hash"),
    buf!(
        "ja3s.string",
        "tls",
        ToClient,
        "JA3S server fingerprint string"
    ),
    buf!("ja4.hash", "tls", ToServer, "JA4 client fingerprint"),
    buf!(
        "ssh.proto",
        "ssh",
        Both,
        "SSH protocol version",
        aliases = &["ssh_proto"]
    ),
    buf!(
        "ssh.software",
        "ssh",
        Both,
        "SSH software version",
        aliases = &["ssh_software"]
    ),
    buf!("ssh.hassh", "ssh", ToServer, "HASSH client hash"),
    buf!("ssh.hassh.server", "ssh", ToClient, "HASSH server hash"),
    buf!("ftp.command", "ftp", ToServer, "FTP command"),
    buf!("ftp.command_data", "ftp", ToServer, "FTP command argument"),
    buf!("smtp.helo", "smtp", ToServer, "SMTP HELO/EHLO argument"),
    buf!("smtp.mail_from", "smtp", ToServer, "SMTP MAIL FROM"),
    buf!("smtp.rcpt_to", "smtp", ToServer, "SMTP RCPT TO"),
    buf!(
        "mqtt.connect.clientid",
        "mqtt",
        ToServer,
        "MQTT CONNECT client id"
    ),
    buf!(
        "mqtt.connect.username",
        "mqtt",
        ToServer,
        "MQTT CONNECT user name"
    ),
    buf!(
        "mqtt.connect.password",
        "mqtt",
        ToServer,
        "MQTT CONNECT password"
    ),
    buf!(
        "mqtt.connect.protocol_string",
        "mqtt",
        ToServer,
        "MQTT CONNECT protocol name"
    ),
    buf!(
        "mqtt.connect.willtopic",
        "mqtt",
        ToServer,
        "MQTT CONNECT will topic"
    ),
    buf!(
        "mqtt.connect.willmessage",
        "mqtt",
        ToServer,
        "MQTT CONNECT will message"
    ),
    buf!("mqtt.publish.topic", "mqtt", Both, "MQTT PUBLISH topic"),
    buf!("mqtt.publish.message", "mqtt", Both, "MQTT PUBLISH payload"),
    buf!(
        "mqtt.subscribe.topic",
        "mqtt",
        ToServer,
        "each MQTT SUBSCRIBE topic"
    ),
    buf!(
        "mqtt.unsubscribe.topic",
        "mqtt",
        ToServer,
        "each MQTT UNSUBSCRIBE topic"
    ),
    buf!("snmp.community", "snmp", Both, "SNMP community string"),
    buf!("snmp.usm", "snmp", Both, "SNMPv3 USM user name"),
    buf!("sip.method", "sip", ToServer, "SIP request method"),
    buf!("sip.uri", "sip", ToServer, "SIP request URI"),
    buf!("sip.user_agent", "sip", ToServer, "SIP User-Agent"),
    buf!(
        "telnet.data",
        "telnet",
        Both,
        "Telnet data with option negotiation removed (palisade extension)"
    ),
    buf!(
        "rtsp.uri",
        "rtsp",
        ToServer,
        "RTSP request URI (palisade extension)"
    ),
    buf!(
        "rtsp.method",
        "rtsp",
        ToServer,
        "RTSP request method (palisade extension)"
    ),
    buf!(
        "dhcp.hostname",
        "dhcp",
        ToServer,
        "DHCP option 12 host name (palisade extension)"
    ),
    buf!(
        "dhcp.vendor_class",
        "dhcp",
        ToServer,
        "DHCP option 60 vendor class (palisade extension)"
    ),
    buf!(
        "tftp.file",
        "tftp",
        ToServer,
        "TFTP file name (palisade extension)"
    ),
    buf!(
        "kalay.uid",
        "kalay",
        Both,
        "ThroughTek Kalay device UID of an IOTC message (palisade extension)"
    ),
    buf!(
        "coap.uri_path",
        "coap",
        ToServer,
        "CoAP request Uri-Path options joined with / (palisade extension)"
    ),
    buf!(
        "coap.method",
        "coap",
        ToServer,
        "CoAP request method name, GET/POST/PUT/DELETE/... (palisade extension)"
    ),
];

/// Finds a buffer by its sticky keyword name or alias.
pub fn by_sticky_name(name: &str) -> Option<BufferId> {
    BUFFERS
        .iter()
        .position(|b| b.name == name || b.aliases.contains(&name))
        .map(|i| BufferId(i as u16 + 1))
}

/// Finds a buffer by its legacy content modifier (`http_uri`).
pub fn by_modifier(name: &str) -> Option<BufferId> {
    BUFFERS
        .iter()
        .position(|b| b.modifier == Some(name))
        .map(|i| BufferId(i as u16 + 1))
}

/// Number of ids (payload included).
pub fn count() -> usize {
    BUFFERS.len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_uniqueness() {
        let id = by_sticky_name("http.uri").unwrap();
        assert_eq!(id.name(), "http.uri");
        assert_eq!(by_modifier("http_uri"), Some(id));
        assert_eq!(by_sticky_name("dns_query"), by_sticky_name("dns.query"));
        assert_eq!(BufferId::PAYLOAD.name(), "payload");
        let mut names: Vec<&str> = BUFFERS
            .iter()
            .flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate buffer names");
    }
}
