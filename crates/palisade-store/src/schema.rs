//! The schema, as an ordered list of migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has had.
//! Opening applies the missing ones in one transaction each, so a store
//! written by an older palisade is brought up to date and one written by a
//! newer palisade is refused (its schema is unknown to us) instead of being
//! written wrongly. A migration is never edited once released: a change is
//! a new entry at the end.
//!
//! Times are EVE timestamps (`2026-01-05T08:00:00.000000+0000`): they sort
//! as text in packet-time order and read the same in the store and in
//! eve.json. Addresses are text (`10.0.0.5`, `fe80::1`).

/// The migrations, oldest first. Index + 1 is the `user_version` after it.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, devices and what is known of them, alerts, incidents,
    // findings.
    r#"
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    sensor           TEXT NOT NULL,
    kind             TEXT NOT NULL,          -- scan | sensor | audit
    started_at       TEXT NOT NULL,          -- wall clock, RFC 3339
    ended_at         TEXT,
    inputs           TEXT NOT NULL,          -- JSON array of inputs
    palisade_version TEXT NOT NULL,
    first_packet     TEXT,                   -- packet time (EVE format)
    last_packet      TEXT,
    packets          INTEGER NOT NULL DEFAULT 0,
    alerts           INTEGER NOT NULL DEFAULT 0,
    findings         INTEGER NOT NULL DEFAULT 0
);

-- A device: per MAC inside HOME_NET, per IP where no layer 2 is seen.
-- `key` is `mac:aa:bb:cc:dd:ee:ff` or `ip:10.0.0.5`.
CREATE TABLE devices (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    mac         TEXT,
    vendor      TEXT,
    product     TEXT,
    device_type TEXT,
    firmware    TEXT,
    hostname    TEXT,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    pkts        INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE device_addresses (
    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    ip         TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (device_id, ip)
) WITHOUT ROWID;
CREATE INDEX device_addresses_ip ON device_addresses(ip);

CREATE TABLE fingerprints (
    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,                -- dhcp.params, http.server, ja3, ...
    value      TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    seen       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (device_id, kind, value)
) WITHOUT ROWID;

CREATE TABLE services (
    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    proto      TEXT NOT NULL,                -- TCP | UDP
    port       INTEGER NOT NULL,
    app_proto  TEXT,
    banner     TEXT,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (device_id, proto, port)
) WITHOUT ROWID;

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    ts         TEXT NOT NULL,
    gid        INTEGER NOT NULL,
    sid        INTEGER NOT NULL,
    rev        INTEGER NOT NULL,
    signature  TEXT NOT NULL,
    category   TEXT NOT NULL,
    severity   INTEGER NOT NULL,
    class      TEXT,                         -- palisade_class, when any
    detector   TEXT,                         -- palisade_detector
    incident   INTEGER REFERENCES incidents(id),
    phase      TEXT,                         -- event | start | update | end
    src_ip     TEXT NOT NULL,
    src_port   INTEGER,
    dest_ip    TEXT NOT NULL,
    dest_port  INTEGER,
    proto      INTEGER NOT NULL,
    app_proto  TEXT,
    flow_id    INTEGER,
    metadata   TEXT NOT NULL                 -- JSON object: key -> [values]
);
CREATE INDEX alerts_ts ON alerts(ts);
CREATE INDEX alerts_class ON alerts(class, ts);
CREATE INDEX alerts_dest ON alerts(dest_ip);

-- An incident: the alerts of one detector incident (start, updates, end)
-- of one run, summarised.
CREATE TABLE incidents (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    palisade_incident INTEGER NOT NULL,      -- the id in alert metadata
    class      TEXT,
    detector   TEXT,
    sid        INTEGER NOT NULL,
    signature  TEXT NOT NULL,
    severity   INTEGER NOT NULL,
    src_ip     TEXT NOT NULL,
    dest_ip    TEXT NOT NULL,
    first_ts   TEXT NOT NULL,
    last_ts    TEXT NOT NULL,
    state      TEXT NOT NULL,                -- open | ended
    alerts     INTEGER NOT NULL,
    evidence   TEXT NOT NULL,                -- JSON: the latest alert's metadata
    UNIQUE (run_id, palisade_incident)
);

-- A posture finding; the same (class, device, key) seen again, in this run
-- or a later one, updates the row instead of adding one.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    class       TEXT NOT NULL,
    device_ip   TEXT NOT NULL,
    key         TEXT NOT NULL,               -- what makes it distinct on the device
    severity    INTEGER NOT NULL,            -- the highest seen
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    seen        INTEGER NOT NULL DEFAULT 1,
    first_run   INTEGER NOT NULL REFERENCES runs(id),
    last_run    INTEGER NOT NULL REFERENCES runs(id),
    flow_id     INTEGER,
    evidence    TEXT NOT NULL,               -- JSON, the latest
    remediation TEXT NOT NULL,
    UNIQUE (class, device_ip, key)
);
CREATE INDEX findings_device ON findings(device_ip);
"#,
    // 2: traffic per device and hour, for the report's charts.
    //
    // One row per (device, hour, run): a run adds into its own rows, and a
    // reader takes, for each (device, hour), the largest row over runs
    // (`query`'s traffic reads). So a re-scan of the same capture into the
    // same store does not double the hour (the two runs saw the same
    // traffic), while the device's other hours, seen by other runs, still
    // add up. The price: two runs that each saw a different part of the
    // same hour of one device (a capture rotated at 10:30 and its halves
    // scanned separately) count the larger part only; scan rotated files
    // in one run (`palisade scan dir/`) to have them summed.
    r#"
CREATE TABLE device_traffic (
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    hour      TEXT NOT NULL,                 -- EVE time truncated to the hour
    run_id    INTEGER NOT NULL REFERENCES runs(id),
    pkts      INTEGER NOT NULL DEFAULT 0,
    bytes     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, hour, run_id)
) WITHOUT ROWID;
CREATE INDEX device_traffic_hour ON device_traffic(hour);
"#,
];
