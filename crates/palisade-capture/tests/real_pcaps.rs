//! Every real capture under `shared/data/pcaps` reads completely and agrees
//! with tshark.

use palisade_capture::{linktype, CaptureReader, InputSet};
use std::path::{Path, PathBuf};

/// `shared/data/pcaps` beside the repository; None (test skipped) where it
/// is absent, except under CI (CI=true), where its absence is a failure.
fn pcaps_dir() -> Option<PathBuf> {
    let d = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/pcaps"
    ));
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "real captures expected at {} (shared/data/pcaps beside the repository)",
        d.display()
    );
    eprintln!("skipping: {} not present", d.display());
    None
}

/// (path, packets, sum of captured lengths, first and last timestamp in
/// nanoseconds, link type). The numbers come from
/// `tshark -r FILE -T fields -E separator=, -e frame.number -e frame.cap_len -e frame.time_epoch`
/// (packets: `... -e frame.number | wc -l`), tshark 4.x, run on these files.
/// Several `.pcap` files are really pcapng and the `.pcapng` one is classic
/// pcap: detection is by magic, not by name.
const EXPECTED: &[(&str, u64, u64, u64, u64, u32)] = &[
    (
        "ndpi/coap_mqtt.pcap",
        1082,
        102603,
        1333957710293035000,
        1455907286608960000,
        linktype::ETHERNET,
    ),
    (
        "ndpi/mqtt.pcap",
        9,
        1481,
        1643014009283854000,
        1643014349216221000,
        linktype::ETHERNET,
    ),
    (
        "ndpi/rtsp.pcap",
        568,
        100872,
        1627567277506127000,
        1627567528308580000,
        linktype::LINUX_SLL,
    ),
    (
        "ndpi/ssdp-m-search.pcap",
        19,
        1197,
        1532054645808785000,
        1532054735808753000,
        linktype::ETHERNET,
    ),
    (
        "ndpi/telnet.pcap",
        92,
        7748,
        943755158387203000,
        943755197958477000,
        linktype::ETHERNET,
    ),
    (
        "ndpi/tftp.pcap",
        109,
        31453,
        946730124846355000,
        1692571562013335000,
        linktype::ETHERNET,
    ),
    (
        "ndpi/upnp.pcap",
        14,
        9912,
        1541515314826314000,
        1541515321472909000,
        linktype::ETHERNET,
    ),
    (
        "stopddos/amp.UDP.snmp.src161.pcapng",
        4373,
        1055847,
        1621090240035681000,
        1621090240059178000,
        linktype::ETHERNET,
    ),
    (
        "stopddos/pkt.TCP.synflood.spoofed.pcap",
        37841,
        2270460,
        1619605821099510000,
        1619605844783363000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/mqtt-connect-rules/mqtt5_pub_jpeg.pcap",
        14,
        37075,
        1585173935383730000,
        1585173935384057000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/mqtt-events-invalid-qos/input.pcap",
        12,
        1127,
        1585066890253974000,
        1585066890254723000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/mqtt31-sub-userpass/input.pcap",
        14,
        1301,
        1585066869954452000,
        1585066871954993000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/mqtt311-pub-userpass/input.pcap",
        12,
        1125,
        1585066888214312000,
        1585066888214647000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/mqtt5-pub-userpass/input.pcap",
        12,
        1134,
        1585066839337585000,
        1585066839338511000,
        linktype::ETHERNET,
    ),
    (
        "suricata-verify/sip-ssdp-pm/ssdp.pcap",
        1,
        453,
        1393526683164211000,
        1393526683164211000,
        linktype::ETHERNET,
    ),
];

/// Files in the folder that are not captures (READMEs, licenses, rules,
/// YAML, nDPI's `.out` results).
const NON_CAPTURES: usize = 24;

type Pkt = (u64, u16, u32, Vec<u8>);

fn read_file(p: &Path) -> Vec<Pkt> {
    let mut r = CaptureReader::open(p).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(pk)) => out.push((pk.ts.as_nanos(), pk.input, pk.linktype, pk.data.to_vec())),
            Ok(None) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(r.packets(), out.len() as u64);
    assert_eq!(r.bytes_consumed(), std::fs::metadata(p).unwrap().len());
    out
}

#[test]
fn every_real_capture_matches_tshark() {
    let Some(dir) = pcaps_dir() else { return };
    for &(rel, count, caplen, first, last, lt) in EXPECTED {
        let pkts = read_file(&dir.join(rel));
        assert_eq!(pkts.len() as u64, count, "{rel}: packets");
        let sum: u64 = pkts.iter().map(|p| p.3.len() as u64).sum();
        assert_eq!(sum, caplen, "{rel}: captured bytes");
        assert_eq!(pkts[0].0, first, "{rel}: first timestamp");
        assert_eq!(pkts.last().unwrap().0, last, "{rel}: last timestamp");
        assert!(pkts.iter().all(|p| p.2 == lt), "{rel}: link type");
    }
}

/// The whole folder through an `InputSet`: the merge must equal a reference
/// merge of the files read one by one (smallest head timestamp first, ties to
/// the lower input index), with every input kept open and with inputs parked.
#[test]
fn whole_folder_merges_like_the_reference() {
    let Some(dir) = pcaps_dir() else { return };
    let (set, errs) = InputSet::open(std::slice::from_ref(&dir));
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(set.inputs().len(), EXPECTED.len());
    assert_eq!(set.skipped().len(), NON_CAPTURES);
    let files: Vec<Vec<Pkt>> = set
        .inputs()
        .iter()
        .map(|n| read_file(Path::new(n)))
        .collect();
    let mut heads = vec![0usize; files.len()];
    let mut reference = Vec::new();
    loop {
        let best = (0..files.len())
            .filter(|&i| heads[i] < files[i].len())
            .min_by_key(|&i| (files[i][heads[i]].0, i));
        let Some(i) = best else { break };
        let (ts, _, lt, data) = &files[i][heads[i]];
        reference.push((*ts, i as u16, *lt, data.clone()));
        heads[i] += 1;
    }
    let total: u64 = EXPECTED.iter().map(|e| e.1).sum();
    assert_eq!(reference.len() as u64, total);

    for max_open in [64, 3] {
        let (mut set, errs) = InputSet::open_with_max_open(std::slice::from_ref(&dir), max_open);
        assert!(errs.is_empty());
        let mut n = 0;
        while let Some(p) = set.next_packet() {
            let want = &reference[n];
            assert_eq!(
                (p.ts.as_nanos(), p.input, p.linktype),
                (want.0, want.1, want.2),
                "packet {n}"
            );
            assert_eq!(p.data, &want.3[..], "packet {n}");
            n += 1;
        }
        assert_eq!(n, reference.len());
        assert!(set.take_errors().is_empty());
        assert_eq!(Some(set.bytes_consumed()), set.total_bytes());
    }
}
