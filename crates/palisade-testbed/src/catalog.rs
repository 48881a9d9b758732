//! The device catalog: vendors, models, firmware, OUIs and cloud endpoints.
//!
//! Every OUI below was checked against the IEEE MA-L registry as shipped in
//! Debian's `ieee-data` package (version 20220827.1,
//! `/usr/share/ieee-data/oui.csv`); the registered organisation is given
//! beside each. Shelly devices are built on Espressif modules and carry
//! Espressif OUIs, as real ones do. The cloud and update host names are
//! resolved by the simulated gateway to documentation addresses
//! (203.0.113.0/24, 192.0.2.0/24, 198.51.100.0/24), never to real ones.

/// What a device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Gateway,
    Camera,
    Nvr,
    Sensor,
    Plug,
    Hub,
    Thermostat,
    Bridge,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Gateway => "gateway",
            Kind::Camera => "camera",
            Kind::Nvr => "nvr",
            Kind::Sensor => "sensor",
            Kind::Plug => "plug",
            Kind::Hub => "hub",
            Kind::Thermostat => "thermostat",
            Kind::Bridge => "bridge",
        }
    }
}

/// The device's network stack, which shapes TCP options, windows, DF and
/// ephemeral port allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stack {
    /// Embedded Linux: MSS 1460, window scaling, SACK, DF set, randomised
    /// ephemeral ports in 32768..=60999.
    Linux,
    /// lwIP (ESP-IDF and similar RTOS firmware): MSS 1436, no options but
    /// MSS, 5744-byte window, no DF, sequential ports from 49152.
    Lwip,
}

/// The TLS client library, which shapes the ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsClient {
    /// OpenSSL 3 style: TLS 1.3 with 1.2 fallback, x25519 key share.
    OpenSsl,
    /// mbedTLS style: TLS 1.2 only, ECDHE suites first.
    MbedTls,
}

/// One model in the catalog.
#[derive(Debug)]
pub(crate) struct Product {
    pub vendor: &'static str,
    pub product: &'static str,
    pub kind: Kind,
    /// IEEE OUIs registered to the vendor (or its module maker).
    pub ouis: &'static [[u8; 3]],
    pub firmwares: &'static [&'static str],
    pub stack: Stack,
    pub tls: TlsClient,
    /// Vendor cloud host name contacted over HTTPS, if any.
    pub cloud: Option<&'static str>,
    /// ALPN protocols offered to the cloud.
    pub alpn: &'static [&'static str],
    /// Host serving `/firmware/check` over plain HTTP.
    pub update_host: &'static str,
    /// User-Agent of the device's HTTP client.
    pub user_agent: &'static str,
    /// Publishes telemetry to the fleet MQTT broker.
    pub mqtt: bool,
    /// RTSP path of the sub stream (cameras).
    pub rtsp_path: &'static str,
}

// OUIs, as registered (ieee-data 20220827.1).
const HIKVISION: &[[u8; 3]] = &[
    [0x44, 0x47, 0xcc], // 4447CC Hangzhou Hikvision Digital Technology Co.,Ltd.
    [0xc0, 0x56, 0xe3], // C056E3 Hangzhou Hikvision Digital Technology Co.,Ltd.
    [0xbc, 0xad, 0x28], // BCAD28 Hangzhou Hikvision Digital Technology Co.,Ltd.
];
const DAHUA: &[[u8; 3]] = &[
    [0x08, 0xed, 0xed], // 08EDED Zhejiang Dahua Technology Co., Ltd.
    [0x3c, 0xef, 0x8c], // 3CEF8C Zhejiang Dahua Technology Co., Ltd.
    [0x90, 0x02, 0xa9], // 9002A9 Zhejiang Dahua Technology Co., Ltd.
];
const AXIS: &[[u8; 3]] = &[
    [0xac, 0xcc, 0x8e], // ACCC8E Axis Communications AB
    [0xb8, 0xa4, 0x4f], // B8A44F Axis Communications AB
    [0x00, 0x40, 0x8c], // 00408C AXIS COMMUNICATIONS AB
];
const REOLINK: &[[u8; 3]] = &[[0xec, 0x71, 0xdb]]; // EC71DB Reolink Innovation Limited
const EZVIZ: &[[u8; 3]] = &[
    [0x64, 0xf2, 0xfb], // 64F2FB Hangzhou Ezviz Software Co.,Ltd.
    [0xec, 0x97, 0xe0], // EC97E0 Hangzhou Ezviz Software Co.,Ltd.
    [0x78, 0xa6, 0xa0], // 78A6A0 Hangzhou Ezviz Software Co.,Ltd.
];
const ESPRESSIF: &[[u8; 3]] = &[
    [0x24, 0x6f, 0x28], // 246F28 Espressif Inc.
    [0x24, 0x0a, 0xc4], // 240AC4 Espressif Inc.
    [0xa4, 0xcf, 0x12], // A4CF12 Espressif Inc.
    [0xec, 0xfa, 0xbc], // ECFABC Espressif Inc.
    [0x80, 0x7d, 0x3a], // 807D3A Espressif Inc.
];
const TUYA: &[[u8; 3]] = &[
    [0x10, 0xd5, 0x61], // 10D561 Tuya Smart Inc.
    [0xd8, 0x1f, 0x12], // D81F12 Tuya Smart Inc.
    [0x7c, 0xf6, 0x66], // 7CF666 Tuya Smart Inc.
    [0x1c, 0x90, 0xff], // 1C90FF Tuya Smart Inc.
];
const TP_LINK: &[[u8; 3]] = &[
    [0x60, 0x3a, 0x7c], // 603A7C TP-LINK TECHNOLOGIES CO.,LTD.
    [0xd0, 0x37, 0x45], // D03745 TP-LINK TECHNOLOGIES CO.,LTD.
    [0xb0, 0xbe, 0x76], // B0BE76 TP-LINK TECHNOLOGIES CO.,LTD.
];
const RASPBERRY_PI: &[[u8; 3]] = &[
    [0xdc, 0xa6, 0x32], // DCA632 Raspberry Pi Trading Ltd
    [0xe4, 0x5f, 0x01], // E45F01 Raspberry Pi Trading Ltd
    [0xb8, 0x27, 0xeb], // B827EB Raspberry Pi Foundation
];
const ECOBEE: &[[u8; 3]] = &[[0x44, 0x61, 0x32]]; // 446132 ecobee inc
const SIGNIFY: &[[u8; 3]] = &[
    [0x00, 0x17, 0x88], // 001788 Philips Lighting BV
    [0xc4, 0x29, 0x96], // C42996 Signify B.V.
];
const UBIQUITI: &[[u8; 3]] = &[
    [0x74, 0x83, 0xc2], // 7483C2 Ubiquiti Networks Inc.
    [0xe0, 0x63, 0xda], // E063DA Ubiquiti Networks Inc.
    [0x80, 0x2a, 0xa8], // 802AA8 Ubiquiti Networks Inc.
];

/// The gateway: routes the fleet, answers DNS and NTP.
pub(crate) static GATEWAY: Product = Product {
    vendor: "Ubiquiti",
    product: "UniFi Dream Machine",
    kind: Kind::Gateway,
    ouis: UBIQUITI,
    firmwares: &["4.0.6", "4.0.21"],
    stack: Stack::Linux,
    tls: TlsClient::OpenSsl,
    cloud: None,
    alpn: &[],
    update_host: "fw-update.ubnt.com",
    user_agent: "",
    mqtt: false,
    rtsp_path: "",
};

pub(crate) static CAMERAS: &[Product] = &[
    Product {
        vendor: "Hikvision",
        product: "DS-2CD2043G2-I",
        kind: Kind::Camera,
        ouis: HIKVISION,
        firmwares: &[
            "V5.7.3 build 220112",
            "V5.7.15 build 230203",
            "V5.5.800 build 210628",
        ],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("dev.hik-connect.com"),
        alpn: &["http/1.1"],
        update_host: "upgrade.hikvision.com",
        user_agent: "Hikvision-Webs/5.7",
        mqtt: false,
        rtsp_path: "/Streaming/Channels/102",
    },
    Product {
        vendor: "Dahua",
        product: "IPC-HDW2431T-AS-S2",
        kind: Kind::Camera,
        ouis: DAHUA,
        firmwares: &["V2.800.0000000.35.R", "V2.820.0000000.18.R"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("p2p.easy4ipcloud.com"),
        alpn: &["http/1.1"],
        update_host: "upgrade.dahuasecurity.com",
        user_agent: "Dahua-Upgrade/2.0",
        mqtt: false,
        rtsp_path: "/cam/realmonitor?channel=1&subtype=1",
    },
    Product {
        vendor: "Axis",
        product: "M3106-L Mk II",
        kind: Kind::Camera,
        ouis: AXIS,
        firmwares: &["10.12.199", "11.5.64"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("dispatcher.axis.com"),
        alpn: &["h2", "http/1.1"],
        update_host: "update.axis.com",
        user_agent: "AxisOS/10.12 curl/7.86.0",
        mqtt: false,
        rtsp_path: "/axis-media/media.amp?videocodec=h264&resolution=640x360",
    },
    Product {
        vendor: "Reolink",
        product: "RLC-510A",
        kind: Kind::Camera,
        ouis: REOLINK,
        firmwares: &["v3.1.0.956_22041503", "v3.1.0.1387_22100633"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("p2p.reolink.com"),
        alpn: &["http/1.1"],
        update_host: "update.reolink.com",
        user_agent: "Reolink/3.1",
        mqtt: false,
        rtsp_path: "/h264Preview_01_sub",
    },
    Product {
        vendor: "EZVIZ",
        product: "C6N",
        kind: Kind::Camera,
        ouis: EZVIZ,
        firmwares: &["V5.3.8 build 230516", "V5.3.2 build 220302"],
        stack: Stack::Linux,
        tls: TlsClient::MbedTls,
        cloud: Some("device.ezvizlife.com"),
        alpn: &[],
        update_host: "upgrade.ezvizlife.com",
        user_agent: "EZVIZ/5.3",
        mqtt: false,
        rtsp_path: "/h264/ch1/sub/av_stream",
    },
];

pub(crate) static NVRS: &[Product] = &[
    Product {
        vendor: "Hikvision",
        product: "DS-7616NI-K2",
        kind: Kind::Nvr,
        ouis: HIKVISION,
        firmwares: &["V4.30.216 build 220421", "V4.62.210 build 230630"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("dev.hik-connect.com"),
        alpn: &["http/1.1"],
        update_host: "upgrade.hikvision.com",
        user_agent: "Hikvision-NVR/4.30",
        mqtt: false,
        rtsp_path: "",
    },
    Product {
        vendor: "Dahua",
        product: "NVR4216-4KS2/L",
        kind: Kind::Nvr,
        ouis: DAHUA,
        firmwares: &["V4.001.0000000.2.R", "V4.002.0000001.1.R"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("p2p.easy4ipcloud.com"),
        alpn: &["http/1.1"],
        update_host: "upgrade.dahuasecurity.com",
        user_agent: "Dahua-NVR/4.0",
        mqtt: false,
        rtsp_path: "",
    },
];

pub(crate) static SENSORS: &[Product] = &[
    Product {
        vendor: "Espressif",
        product: "ESP32-C3 environment sensor (ESPHome)",
        kind: Kind::Sensor,
        ouis: ESPRESSIF,
        firmwares: &["ESPHome 2025.11.2", "ESPHome 2025.10.5"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: None,
        alpn: &[],
        update_host: "ota.esphome.io",
        user_agent: "ESP32 HTTP Client/1.0",
        mqtt: true,
        rtsp_path: "",
    },
    Product {
        vendor: "Tuya",
        product: "TH08 temperature & humidity sensor",
        kind: Kind::Sensor,
        ouis: TUYA,
        firmwares: &["1.2.4", "1.3.0"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: Some("a1.tuyaeu.com"),
        alpn: &[],
        update_host: "fw.tuyaeu.com",
        user_agent: "Tuya-IoT/3.5",
        mqtt: true,
        rtsp_path: "",
    },
    Product {
        vendor: "Shelly",
        product: "H&T Gen3",
        kind: Kind::Sensor,
        ouis: ESPRESSIF,
        firmwares: &["1.4.4-g6d2a586", "1.5.1-g01dcd9f"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: Some("shelly-103-eu.shelly.cloud"),
        alpn: &["http/1.1"],
        update_host: "updates.shelly.cloud",
        user_agent: "ShellyHTG3/1.4",
        mqtt: true,
        rtsp_path: "",
    },
];

pub(crate) static PLUGS: &[Product] = &[
    Product {
        vendor: "Tuya",
        product: "Smart Plug 16A (WP3)",
        kind: Kind::Plug,
        ouis: TUYA,
        firmwares: &["1.1.8", "1.2.2"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: Some("a1.tuyaeu.com"),
        alpn: &[],
        update_host: "fw.tuyaeu.com",
        user_agent: "Tuya-IoT/3.5",
        mqtt: true,
        rtsp_path: "",
    },
    Product {
        vendor: "TP-Link",
        product: "Kasa KP115",
        kind: Kind::Plug,
        ouis: TP_LINK,
        firmwares: &["1.0.20 Build 221125", "1.0.18 Build 210910"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: Some("n-devs.tplinkcloud.com"),
        alpn: &[],
        update_host: "download.tplinkcloud.com",
        user_agent: "Kasa/1.0",
        mqtt: false,
        rtsp_path: "",
    },
    Product {
        vendor: "Shelly",
        product: "Plus Plug S",
        kind: Kind::Plug,
        ouis: ESPRESSIF,
        firmwares: &["1.4.4-g6d2a586", "1.3.3-gbdfd9b3"],
        stack: Stack::Lwip,
        tls: TlsClient::MbedTls,
        cloud: Some("shelly-103-eu.shelly.cloud"),
        alpn: &["http/1.1"],
        update_host: "updates.shelly.cloud",
        user_agent: "ShellyPlusPlugS/1.4",
        mqtt: true,
        rtsp_path: "",
    },
];

pub(crate) static OTHERS: &[Product] = &[
    Product {
        vendor: "Raspberry Pi",
        product: "Raspberry Pi 4 Model B (Home Assistant)",
        kind: Kind::Hub,
        ouis: RASPBERRY_PI,
        firmwares: &["HAOS 16.3", "HAOS 15.2"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("version.home-assistant.io"),
        alpn: &["h2", "http/1.1"],
        update_host: "os-artifacts.home-assistant.io",
        user_agent: "HomeAssistant/2025.12 aiohttp/3.11",
        mqtt: true,
        rtsp_path: "",
    },
    Product {
        vendor: "ecobee",
        product: "Smart Thermostat Premium",
        kind: Kind::Thermostat,
        ouis: ECOBEE,
        firmwares: &["4.8.7.136", "4.8.8.29"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("api.ecobee.com"),
        alpn: &["http/1.1"],
        update_host: "firmware.ecobee.com",
        user_agent: "ecobee/4.8",
        mqtt: false,
        rtsp_path: "",
    },
    Product {
        vendor: "Signify",
        product: "Philips Hue Bridge v2",
        kind: Kind::Bridge,
        ouis: SIGNIFY,
        firmwares: &["1.66.1966060010", "1.65.1965034010"],
        stack: Stack::Linux,
        tls: TlsClient::OpenSsl,
        cloud: Some("ws.meethue.com"),
        alpn: &["http/1.1"],
        update_host: "firmware.meethue.com",
        user_agent: "hue-bridge/1.66",
        mqtt: false,
        rtsp_path: "",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> impl Iterator<Item = &'static Product> {
        std::iter::once(&GATEWAY)
            .chain(CAMERAS)
            .chain(NVRS)
            .chain(SENSORS)
            .chain(PLUGS)
            .chain(OTHERS)
    }

    #[test]
    fn every_product_is_complete() {
        for p in all() {
            assert!(
                !p.ouis.is_empty() && !p.firmwares.is_empty(),
                "{}",
                p.product
            );
            for oui in p.ouis {
                // Universally administered, unicast.
                assert_eq!(oui[0] & 0x03, 0, "{} {:02x?}", p.product, oui);
            }
            assert_eq!(
                p.kind == Kind::Camera,
                !p.rtsp_path.is_empty(),
                "{}",
                p.product
            );
            assert!(p.update_host.contains('.'));
        }
    }

    /// Where Debian's `ieee-data` is installed, every OUI must be registered
    /// to an organisation whose name matches the catalog's vendor.
    #[test]
    fn ouis_match_the_ieee_registry_when_installed() {
        let Ok(text) = std::fs::read_to_string("/usr/share/ieee-data/oui.csv") else {
            eprintln!("ieee-data not installed; registry cross-check skipped");
            return;
        };
        let expect = |vendor: &str| -> &'static [&'static str] {
            match vendor {
                "Hikvision" => &["hikvision"],
                "Dahua" => &["dahua"],
                "Axis" => &["axis communications"],
                "Reolink" => &["reolink"],
                "EZVIZ" => &["ezviz"],
                "Espressif" | "Shelly" => &["espressif"],
                "Tuya" => &["tuya"],
                "TP-Link" => &["tp-link"],
                "Raspberry Pi" => &["raspberry pi"],
                "ecobee" => &["ecobee"],
                "Signify" => &["signify", "philips lighting"],
                "Ubiquiti" => &["ubiquiti"],
                other => panic!("no registry name for {other}"),
            }
        };
        for p in all() {
            for oui in p.ouis {
                let key = format!("MA-L,{:02X}{:02X}{:02X},", oui[0], oui[1], oui[2]);
                let line = text
                    .lines()
                    .find(|l| l.starts_with(&key))
                    .unwrap_or_else(|| panic!("{key} not in registry"))
                    .to_ascii_lowercase();
                assert!(
                    expect(p.vendor).iter().any(|n| line.contains(n)),
                    "{key} registered as {line}, catalog says {}",
                    p.vendor
                );
            }
        }
    }
}
