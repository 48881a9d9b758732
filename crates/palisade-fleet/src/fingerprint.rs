//! Fingerprints and host names from application records (the EVE objects
//! palisade's parsers log), attributed to the device at the right end:
//! what a client says (User-Agent, JA3/JA4, MQTT client id, SSH client
//! version) to the client (`src_ip`), what a server says (banners, server
//! versions, certificate subject) to the server (`dest_ip`).

use crate::inventory::Inventory;
use palisade_event::Timestamp;
use serde_json::Value;
use std::net::IpAddr;

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.is_empty())
}

fn fp(inv: &mut Inventory, ts: Timestamp, ip: &IpAddr, kind: &'static str, v: Option<&str>) {
    if let Some(v) = v {
        inv.fingerprint(ip, kind, v, ts);
    }
}

/// Takes what identifies devices from one EVE app record (as JSON: the
/// form of eve.json lines).
pub fn observe_record(inv: &mut Inventory, rec: &Value, ts: Timestamp) {
    let ip = |k: &str| {
        rec.get(k)
            .and_then(Value::as_str)
            .and_then(|x| x.parse::<IpAddr>().ok())
    };
    let (Some(client), Some(server)) = (ip("src_ip"), ip("dest_ip")) else {
        return;
    };
    let port = rec.get("dest_port").and_then(Value::as_u64).unwrap_or(0) as u16;
    let tcp = rec.get("proto").and_then(Value::as_str) == Some("TCP");
    let l4 = if tcp { 6 } else { 17 };
    let Some(et) = rec.get("event_type").and_then(Value::as_str) else {
        return;
    };
    let Some(body) = rec.get(et) else {
        return;
    };
    observe(inv, et, (client, server, port, l4), body, ts);
}

/// Takes what identifies devices from one app record as the pipeline
/// carries it.
pub fn observe_app(inv: &mut Inventory, rec: &palisade_event::AppRecord) {
    let t = &rec.tuple;
    let endpoints = (t.src_ip, t.dest_ip, t.dest_port.unwrap_or(0), t.proto);
    observe(inv, rec.event_type, endpoints, &rec.body, rec.timestamp);
}

/// Host names from DNS and mDNS answers: an A/AAAA answer whose address
/// is a fleet device names that device (a local resolver's `cam-3.lan`,
/// an mDNS announcement's `shelly-plug.local`), and so does a PTR answer
/// for a fleet address (`20.1.168.192.in-addr.arpa`).
fn dns_names(inv: &mut Inventory, body: &Value) {
    let Some(answers) = body.get("answers").and_then(Value::as_array) else {
        return;
    };
    for a in answers {
        let (Some(name), Some(rrtype), Some(rdata)) =
            (s(a, &["rrname"]), s(a, &["rrtype"]), s(a, &["rdata"]))
        else {
            continue;
        };
        let (host, addr) = match rrtype {
            "A" | "AAAA" => (name, rdata.parse::<IpAddr>().ok()),
            "PTR" => (rdata, reverse_v4(name)),
            _ => continue,
        };
        if let Some(addr) = addr.filter(|a| inv.is_home(a)) {
            inv.hostname(&addr, host);
        }
    }
}

/// `20.1.168.192.in-addr.arpa` → 192.168.1.20.
fn reverse_v4(name: &str) -> Option<IpAddr> {
    let rest = name.trim_end_matches('.').strip_suffix(".in-addr.arpa")?;
    let mut octets = [0u8; 4];
    let mut n = 0;
    for (i, part) in rest.split('.').enumerate() {
        let slot = octets.get_mut(3usize.checked_sub(i)?)?;
        *slot = part.parse().ok()?;
        n += 1;
    }
    (n == 4).then(|| IpAddr::from(octets))
}

/// What one record of type `et` between (client, server, server port, IP
/// protocol) says about the devices at its ends.
fn observe(
    inv: &mut Inventory,
    et: &str,
    (client, server, port, l4): (IpAddr, IpAddr, u16, u8),
    body: &Value,
    ts: Timestamp,
) {
    match et {
        "http" => {
            fp(
                inv,
                ts,
                &client,
                "http.user_agent",
                s(body, &["http_user_agent"]),
            );
            fp(inv, ts, &server, "http.server", s(body, &["server"]));
            // The realm of a login challenge names the product on many
            // devices ("Hikvision", "DCS-930L", "NETGEAR DGN2200").
            fp(
                inv,
                ts,
                &server,
                "http.realm",
                s(body, &["www_authenticate", "realm"]),
            );
            // A URL is kept only when a classifier rule reads it (a
            // firmware-update check naming model and version): URLs are
            // many and mostly say nothing of the client.
            if let Some(url) = s(body, &["url"]) {
                if inv.classifier().matches("http.url", url) {
                    inv.fingerprint(&client, "http.url", url, ts);
                }
            }
        }
        "dns" => dns_names(inv, body),
        "tls" => {
            fp(inv, ts, &client, "tls.ja3", s(body, &["ja3", "hash"]));
            fp(inv, ts, &client, "tls.ja4", s(body, &["ja4"]));
            fp(inv, ts, &server, "tls.ja3s", s(body, &["ja3s", "hash"]));
            fp(inv, ts, &server, "tls.subject", s(body, &["subject"]));
        }
        "ssh" => {
            fp(
                inv,
                ts,
                &client,
                "ssh.client",
                s(body, &["client", "software_version"]),
            );
            fp(
                inv,
                ts,
                &server,
                "ssh.server",
                s(body, &["server", "software_version"]),
            );
        }
        "rtsp" => {
            fp(
                inv,
                ts,
                &client,
                "rtsp.user_agent",
                s(body, &["user_agent"]),
            );
            fp(inv, ts, &server, "rtsp.server", s(body, &["server"]));
        }
        "mqtt" => fp(
            inv,
            ts,
            &client,
            "mqtt.client_id",
            s(body, &["connect", "client_id"]),
        ),
        "telnet" => fp(
            inv,
            ts,
            &server,
            "telnet.prompt",
            s(body, &["login_prompt"]),
        ),
        "ftp" => fp(inv, ts, &server, "ftp.banner", s(body, &["banner"])),
        "ssdp" => {
            fp(inv, ts, &client, "ssdp.server", s(body, &["server"]));
            fp(inv, ts, &client, "ssdp.location", s(body, &["location"]));
        }
        "dhcp" => {
            // The client's own address is in the record (`client_ip`,
            // `assigned_ip`) when it has one; DHCP travels from 0.0.0.0.
            let dev = ["assigned_ip", "client_ip"]
                .iter()
                .filter_map(|k| s(body, &[k]))
                .filter_map(|x| x.parse::<IpAddr>().ok())
                .find(|a| !a.is_unspecified())
                .unwrap_or(client);
            if let Some(h) = s(body, &["hostname"]) {
                inv.hostname(&dev, h);
            }
            fp(
                inv,
                ts,
                &dev,
                "dhcp.vendor_class",
                s(body, &["vendor_class_identifier"]),
            );
            if let Some(p) = body.get("params").and_then(Value::as_array) {
                let list: Vec<String> = p.iter().map(|x| x.to_string().replace('"', "")).collect();
                fp(inv, ts, &dev, "dhcp.params", Some(&list.join(",")));
            }
        }
        _ => {}
    }
    // The server's service gets its protocol's name.
    let banner = match et {
        "ssh" => s(body, &["server", "software_version"]),
        "ftp" => s(body, &["banner"]),
        "rtsp" | "http" => s(body, &["server"]),
        _ => None,
    };
    inv.service_app(&server, l4, port, et, banner);
}
