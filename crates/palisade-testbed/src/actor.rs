//! Actors: everything the scheduler runs. A conversation emits exactly one
//! packet per step; a timer emits none and starts conversations.
//!
//! Dispatch is a `match` over a closed enum (no `dyn`): adding a protocol or
//! an attack means adding a variant here and a module beside the others.

use crate::activity::{self, Activity, Timer};
use crate::prng::Rng;
use crate::proto::arp::ArpConv;
use crate::proto::dns::DnsConv;
use crate::proto::http::FirmwareCheck;
use crate::proto::icmp::PingConv;
use crate::proto::mqtt::MqttSession;
use crate::proto::ntp::NtpConv;
use crate::proto::rtsp::RtspSession;
use crate::proto::tls::{LegacyTlsAdmin, TlsSession};
use crate::scenario::attack::{Reply, SynScan};
use crate::scenario::exploit::{AxedaCommand, HikvisionPut, KalayReg};
use crate::scenario::flood::{PacketFlood, Reflection, SynFlood};
use crate::scenario::mirai::MiraiScan;
use crate::scenario::profile::{IrcBot, Upload};
use crate::scenario::telnet::TelnetLogin;
use crate::scheduler::Ctx;
use crate::tcp::{App, AppCtx, AppStep, Open, TcpConn};
use crate::world::{DevId, HostId, SvcId, World};

/// Something with a next time in the scheduler.
#[derive(Debug)]
pub(crate) enum Actor {
    Timer(Timer),
    Tcp(Box<TcpConv>),
    Dns(DnsConv),
    Ntp(NtpConv),
    Ping(PingConv),
    Arp(ArpConv),
    Scan(Box<SynScan>),
    Reply(Reply),
    Mirai(Box<MiraiScan>),
    Flood(Box<SynFlood>),
    Amp(Box<Reflection>),
    PacketFlood(Box<PacketFlood>),
    Kalay(Box<KalayReg>),
}

impl Actor {
    /// Runs the actor at `cx.now`; returns its next time or `None` when it
    /// is finished.
    pub(crate) fn step(&mut self, cx: &mut Ctx<'_>) -> Option<u64> {
        match self {
            Actor::Timer(t) => activity::fire(t, cx),
            Actor::Tcp(c) => {
                let next = c.conn.step(&mut c.app, cx);
                if next.is_none() {
                    c.ended(cx);
                }
                next
            }
            Actor::Dns(d) => d.step(cx),
            Actor::Ntp(n) => n.step(cx),
            Actor::Ping(p) => p.step(cx),
            Actor::Arp(a) => a.step(cx),
            Actor::Scan(a) => a.step(cx),
            Actor::Reply(a) => a.step(cx),
            Actor::Mirai(a) => a.step(cx),
            Actor::Flood(a) => a.step(cx),
            Actor::Amp(a) => a.step(cx),
            Actor::PacketFlood(a) => a.step(cx),
            Actor::Kalay(a) => a.step(cx),
        }
    }

    /// The index of the attack this actor's packets belong to, if any.
    pub(crate) fn attack(&self) -> Option<u32> {
        match self {
            Actor::Scan(a) => Some(a.attack),
            Actor::Reply(a) => Some(a.attack),
            Actor::Mirai(a) => Some(a.attack),
            Actor::Flood(a) => Some(a.attack),
            Actor::Amp(a) => Some(a.attack),
            Actor::PacketFlood(a) => Some(a.attack),
            Actor::Tcp(c) => c.attack,
            Actor::Kalay(a) => a.attack(),
            _ => None,
        }
    }

    /// Gives back the buffer a finished TCP conversation used.
    pub(crate) fn into_buffer(self) -> Option<Vec<u8>> {
        match self {
            Actor::Tcp(c) => Some(c.conn.buf),
            _ => None,
        }
    }
}

/// The application protocols spoken over TCP.
#[derive(Debug)]
pub(crate) enum TcpApp {
    Mqtt(MqttSession),
    Tls(TlsSession),
    Http(FirmwareCheck),
    Rtsp(RtspSession),
    Telnet(TelnetLogin),
    LegacyTls(LegacyTlsAdmin),
    Hikvision(HikvisionPut),
    Axeda(AxedaCommand),
    Irc(IrcBot),
    Upload(Upload),
}

impl App for TcpApp {
    #[inline]
    fn next(&mut self, cx: &mut AppCtx<'_>, buf: &mut Vec<u8>) -> AppStep {
        match self {
            TcpApp::Mqtt(a) => a.next(cx, buf),
            TcpApp::Tls(a) => a.next(cx, buf),
            TcpApp::Http(a) => a.next(cx, buf),
            TcpApp::Rtsp(a) => a.next(cx, buf),
            TcpApp::Telnet(a) => a.next(cx, buf),
            TcpApp::LegacyTls(a) => a.next(cx, buf),
            TcpApp::Hikvision(a) => a.next(cx, buf),
            TcpApp::Axeda(a) => a.next(cx, buf),
            TcpApp::Irc(a) => a.next(cx, buf),
            TcpApp::Upload(a) => a.next(cx, buf),
        }
    }
}

/// A TCP connection and the application on it.
#[derive(Debug)]
pub(crate) struct TcpConv {
    conn: TcpConn,
    app: TcpApp,
    /// Device that opened it (the target, for an attacker's connection).
    dev: DevId,
    /// The attack it belongs to.
    attack: Option<u32>,
}

impl TcpConv {
    /// What happens after the connection closed: long-lived sessions come
    /// back.
    fn ended(&mut self, cx: &mut Ctx<'_>) {
        let now = cx.now;
        match &self.app {
            TcpApp::Mqtt(_) => {
                let at = now + cx.rng.range(1_000_000_000, 30_000_000_000);
                cx.spawn(
                    at,
                    Actor::Timer(Timer {
                        dev: self.dev,
                        what: Activity::Mqtt,
                    }),
                );
            }
            TcpApp::Rtsp(_) => {
                let cam = self.cam();
                let at = now + cx.rng.range(1_000_000_000, 10_000_000_000);
                cx.spawn(
                    at,
                    Actor::Timer(Timer {
                        dev: self.dev,
                        what: Activity::Rtsp { cam },
                    }),
                );
            }
            TcpApp::Tls(_)
            | TcpApp::Http(_)
            | TcpApp::Telnet(_)
            | TcpApp::LegacyTls(_)
            | TcpApp::Hikvision(_)
            | TcpApp::Axeda(_)
            | TcpApp::Irc(_)
            | TcpApp::Upload(_) => {}
        }
    }

    fn cam(&self) -> DevId {
        match &self.app {
            TcpApp::Rtsp(r) => r.cam(),
            _ => 0,
        }
    }
}

/// A TCP conversation a device starts once it knows the server's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Launch {
    /// HTTPS session with the device's cloud.
    Https { dev: DevId, svc: SvcId },
    /// HTTP firmware check.
    Firmware { dev: DevId, svc: SvcId },
    /// MQTT session with the broker.
    Mqtt { dev: DevId, svc: SvcId },
}

impl Launch {
    fn target(self) -> (DevId, SvcId) {
        match self {
            Launch::Https { dev, svc }
            | Launch::Firmware { dev, svc }
            | Launch::Mqtt { dev, svc } => (dev, svc),
        }
    }
}

/// Starts `l` at `at`, resolving the server's name first unless the device
/// still has a cached answer.
pub(crate) fn open(cx: &mut Ctx<'_>, at: u64, l: Launch) {
    let (dev, svc) = l.target();
    if cx.world.devices[dev as usize].cached(svc, at) {
        launch(cx, at, l);
    } else if let Some(d) = DnsConv::new(cx, dev, svc, Some(l)) {
        cx.spawn(at, Actor::Dns(d));
    }
}

/// Starts the TCP conversation of `l` at `at` (the address is known).
pub(crate) fn launch(cx: &mut Ctx<'_>, at: u64, l: Launch) {
    let (dev, svc) = l.target();
    let client = cx.world.devices[dev as usize].host;
    let Some(cport) = cx.world.hosts[client as usize].ports.next() else {
        return; // ephemeral ports exhausted: the device stays quiet
    };
    let s = &cx.world.services[svc as usize];
    let (server, sport) = (s.host, s.port);
    let rtt = cx.rng.jitter(cx.world.hosts[server as usize].rtt, 10);
    let app = match l {
        Launch::Https { .. } => TcpApp::Tls(TlsSession::new(dev, svc, cx.rng)),
        Launch::Firmware { .. } => TcpApp::Http(FirmwareCheck::new(dev, svc)),
        Launch::Mqtt { .. } => TcpApp::Mqtt(MqttSession::new(dev, at, cx.rng)),
    };
    let buf = cx.buffer();
    let conn = TcpConn::new(
        cx.world,
        cx.rng,
        Open {
            client,
            cport,
            server,
            sport,
            rtt,
        },
        buf,
    );
    cx.spawn(
        at,
        Actor::Tcp(Box::new(TcpConv {
            conn,
            app,
            dev,
            attack: None,
        })),
    );
}

/// Starts an NVR's RTSP session with one of its cameras at `at`.
pub(crate) fn rtsp(cx: &mut Ctx<'_>, at: u64, nvr: DevId, cam: DevId) {
    let client = cx.world.devices[nvr as usize].host;
    let server = cx.world.devices[cam as usize].host;
    let Some(cport) = cx.world.hosts[client as usize].ports.next() else {
        return;
    };
    let rtt = cx.rng.range(200_000, 1_200_000);
    let app = TcpApp::Rtsp(RtspSession::new(nvr, cam, at, cx.rng));
    let buf = cx.buffer();
    let conn = TcpConn::new(
        cx.world,
        cx.rng,
        Open {
            client,
            cport,
            server,
            sport: 554,
            rtt,
        },
        buf,
    );
    cx.spawn(
        at,
        Actor::Tcp(Box::new(TcpConv {
            conn,
            app,
            dev: nvr,
            attack: None,
        })),
    );
}

/// Opens a TCP conversation from `client` to `server`:`sport` carrying
/// `app`, its packets tagged with `attack`; `rtt` draws the round-trip
/// time once a client port is taken. None once the client's ports ran out.
#[allow(clippy::too_many_arguments)]
fn conversation(
    world: &mut World,
    rng: &mut Rng,
    (client, server, sport): (HostId, HostId, u16),
    rtt: impl FnOnce(&World, &mut Rng) -> u64,
    app: TcpApp,
    dev: DevId,
    attack: Option<u32>,
    buf: usize,
) -> Option<Actor> {
    let cport = world.hosts[client as usize].ports.next()?;
    let rtt = rtt(world, rng);
    let open = Open {
        client,
        cport,
        server,
        sport,
        rtt,
    };
    let conn = TcpConn::new(world, rng, open, Vec::with_capacity(buf));
    Some(Actor::Tcp(Box::new(TcpConv {
        conn,
        app,
        dev,
        attack,
    })))
}

/// The round-trip time to `host`, jittered by 10 %.
fn rtt_of(host: HostId) -> impl FnOnce(&World, &mut Rng) -> u64 {
    move |w, rng| rng.jitter(w.hosts[host as usize].rtt, 10)
}

/// An HTTPS connection from fleet host `client` to `dev`'s port 443,
/// where the device speaks only TLS 1.0 (see [`LegacyTlsAdmin`]); `None`
/// once the client's ports ran out.
pub(crate) fn legacy_https(
    world: &mut World,
    rng: &mut Rng,
    client: HostId,
    dev: DevId,
    app: LegacyTlsAdmin,
) -> Option<Actor> {
    let server = world.devices[dev as usize].host;
    let rtt = |_: &World, rng: &mut Rng| rng.range(200_000, 2_000_000);
    let app = TcpApp::LegacyTls(app);
    conversation(
        world,
        rng,
        (client, server, 443),
        rtt,
        app,
        dev,
        None,
        16_384,
    )
}

/// A TCP connection from `client` to device `dev`'s `port` carrying
/// `app` (attack conversations); None when the client has no port left.
pub(crate) fn tcp_to(
    world: &mut World,
    rng: &mut Rng,
    client: HostId,
    dev: DevId,
    port: u16,
    app: TcpApp,
    attack: Option<u32>,
) -> Option<Actor> {
    let server = world.devices[dev as usize].host;
    conversation(
        world,
        rng,
        (client, server, port),
        rtt_of(client),
        app,
        dev,
        attack,
        1024,
    )
}

/// A Telnet connection from the internet host `attacker` to `dev`'s port
/// 23, tagged with `attack`; `None` once the attacker's ports ran out.
pub(crate) fn telnet(
    world: &mut World,
    rng: &mut Rng,
    attacker: HostId,
    dev: DevId,
    app: TelnetLogin,
    attack: Option<u32>,
) -> Option<Actor> {
    let server = world.devices[dev as usize].host;
    let app = TcpApp::Telnet(app);
    conversation(
        world,
        rng,
        (attacker, server, 23),
        rtt_of(attacker),
        app,
        dev,
        attack,
        512,
    )
}

/// A bot's IRC connection from `dev` to the internet host `server`'s port
/// 6667, tagged with `attack`; `None` once the device's ports ran out.
pub(crate) fn irc(
    world: &mut World,
    rng: &mut Rng,
    dev: DevId,
    server: HostId,
    app: IrcBot,
    attack: u32,
) -> Option<Actor> {
    let client = world.devices[dev as usize].host;
    let ends = (client, server, crate::scenario::profile::IRC_PORT);
    let app = TcpApp::Irc(app);
    conversation(
        world,
        rng,
        ends,
        rtt_of(server),
        app,
        dev,
        Some(attack),
        512,
    )
}

/// A bulk upload from `dev` to the internet host `server`'s `port`, tagged
/// with `attack`; `None` once the device's ports ran out.
pub(crate) fn upload(
    world: &mut World,
    rng: &mut Rng,
    dev: DevId,
    server: HostId,
    port: u16,
    app: Upload,
    attack: u32,
) -> Option<Actor> {
    let client = world.devices[dev as usize].host;
    let app = TcpApp::Upload(app);
    let ends = (client, server, port);
    conversation(
        world,
        rng,
        ends,
        rtt_of(server),
        app,
        dev,
        Some(attack),
        CHUNK_BUF,
    )
}

const CHUNK_BUF: usize = crate::scenario::profile::CHUNK + 64;
