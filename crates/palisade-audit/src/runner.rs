//! Runs the plan against the targets: one task per (target, service), a
//! global limit on tasks running at once (each holds at most one
//! connection), a per-target pace shared by that target's services, a cap
//! on attempts per service, and a stop on lockout signs or repeated
//! errors. Attempts on one service run one after another, and stop at the
//! first accepted credential.

use crate::client::{self, web::Kind, ClientConfig};
use crate::report::{AuditReport, Found, ServiceResult, Status};
use crate::{Candidate, Candidates, Outcome, Plan, Service};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// How the audit runs.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// (target, service) pairs audited at once.
    pub concurrency: usize,
    /// Attempts per second per target (port checks and probes take a
    /// slot too).
    pub rate: f64,
    /// Credentials tried per service per target.
    pub max_attempts: usize,
    /// Lockout signs that stop a service.
    pub lockout_after: u32,
    /// Errors in a row that stop a service.
    pub errors_after: u32,
    /// Clients' settings (timeouts, paths).
    pub client: ClientConfig,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            concurrency: 16,
            rate: 5.0,
            max_attempts: 10,
            lockout_after: 2,
            errors_after: 3,
            client: ClientConfig::default(),
        }
    }
}

/// Progress reports (the binary draws a bar or logs).
pub trait Progress: Send + Sync {
    /// The number of (target, service) jobs.
    fn start(&self, _jobs: u64) {}
    /// One attempt is about to be made.
    fn attempt(&self, _target: IpAddr, _service: Service) {}
    /// A job ended.
    fn done(&self, _r: &ServiceResult) {}
}

/// No progress reports.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The pace of one target.
struct Pace {
    next: Mutex<tokio::time::Instant>,
    gap: Duration,
    /// The target is unreachable (a connect said so): its other services
    /// are skipped, so a sweep over a sparse range does not wait out every
    /// port of every absent address.
    down: std::sync::atomic::AtomicBool,
}

impl Pace {
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.gap;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

struct Job {
    target: IpAddr,
    service: Service,
    port: u16,
    cands: Arc<[Candidate]>,
    pace: Arc<Pace>,
    cfg: Arc<RunConfig>,
    progress: Arc<dyn Progress>,
}

/// Runs the audit (blocking: makes its own runtime).
pub fn run_blocking(
    targets: &[IpAddr],
    plan: &Plan,
    cands: &Candidates,
    cfg: &RunConfig,
    progress: Arc<dyn Progress>,
) -> std::io::Result<AuditReport> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(rt.block_on(run(targets, plan, cands, cfg, progress)))
}

/// Runs the audit.
pub async fn run(
    targets: &[IpAddr],
    plan: &Plan,
    cands: &Candidates,
    cfg: &RunConfig,
    progress: Arc<dyn Progress>,
) -> AuditReport {
    let started = Instant::now();
    let cfg = Arc::new(cfg.clone());
    let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let gap = Duration::from_secs_f64(1.0 / cfg.rate.clamp(0.01, 10_000.0));
    let lists: HashMap<Service, Arc<[Candidate]>> = plan
        .services
        .iter()
        .map(|&(s, _)| (s, Arc::from(cands.for_service(s, cfg.max_attempts))))
        .collect();
    let mut handles = Vec::new();
    progress.start((targets.len() * plan.services.len()) as u64);
    for &target in targets {
        let pace = Arc::new(Pace {
            next: Mutex::new(tokio::time::Instant::now()),
            gap,
            down: Default::default(),
        });
        for &(service, port) in &plan.services {
            let job = Job {
                target,
                service,
                port,
                cands: lists
                    .get(&service)
                    .cloned()
                    .unwrap_or_else(|| Arc::from([])),
                pace: pace.clone(),
                cfg: cfg.clone(),
                progress: progress.clone(),
            };
            // spawn only with a permit: tasks in memory stay at the
            // concurrency limit, however many targets
            let Ok(permit) = sem.clone().acquire_owned().await else {
                break;
            };
            handles.push(tokio::spawn(async move {
                let t = Instant::now();
                let mut r = run_job(&job).await;
                r.secs = t.elapsed().as_secs_f64();
                drop(permit);
                job.progress.done(&r);
                r
            }));
        }
    }
    let mut results = Vec::new();
    for h in handles {
        if let Ok(r) = h.await {
            results.push(r);
        }
    }
    let attempts = results.iter().map(|r| u64::from(r.attempts)).sum();
    AuditReport {
        results,
        refused: Vec::new(),
        targets: targets.len(),
        attempts,
        elapsed_secs: started.elapsed().as_secs_f64(),
    }
}

async fn run_job(job: &Job) -> ServiceResult {
    let addr = SocketAddr::new(job.target, job.port);
    let c = &job.cfg.client;
    let mut r = ServiceResult {
        target: job.target,
        service: job.service,
        port: job.port,
        status: Status::NotFound,
        attempts: 0,
        found: None,
        note: None,
        secs: 0.0,
    };
    let end = |mut r: ServiceResult, status: Status, note: Option<String>| {
        r.status = status;
        r.note = note;
        tracing::info!(target = %r.target, service = %r.service, port = r.port, status = ?r.status, attempts = r.attempts, "audit: service done");
        r
    };
    let down = || job.pace.down.load(std::sync::atomic::Ordering::Relaxed);
    if down() {
        return end(r, Status::Closed, Some(client::UNREACHABLE.into()));
    }
    if job.service == Service::Snmp {
        return snmp_job(job, r).await;
    }
    // Is anything listening? (no credential sent)
    job.pace.wait().await;
    if down() {
        return end(r, Status::Closed, Some(client::UNREACHABLE.into()));
    }
    match client::connect(addr, c).await {
        Ok(s) => drop(s),
        Err(Outcome::Closed) => return end(r, Status::Closed, None),
        Err(o) => {
            let note = note_of(&o);
            if note == client::UNREACHABLE {
                job.pace
                    .down
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            return end(r, Status::Closed, Some(note));
        }
    }
    let challenge = match job.service {
        Service::Http | Service::Rtsp => {
            let kind = if job.service == Service::Http {
                Kind::Http
            } else {
                Kind::Rtsp
            };
            job.pace.wait().await;
            match client::web::probe(kind, addr, c).await {
                Ok(ch) => Some((kind, ch)),
                Err(Outcome::NotApplicable(n)) => return end(r, Status::NotApplicable, Some(n)),
                Err(o) => return end(r, Status::Error, Some(note_of(&o))),
            }
        }
        Service::Mqtt => {
            job.pace.wait().await;
            job.progress.attempt(job.target, job.service);
            r.attempts += 1;
            match client::mqtt::probe_anonymous(addr, c).await {
                Outcome::Accepted => {
                    return end(r, Status::Anonymous, Some("anonymous: true".into()))
                }
                Outcome::NotApplicable(n) => return end(r, Status::NotApplicable, Some(n)),
                _ => None,
            }
        }
        _ => None,
    };
    let (mut lockouts, mut errors) = (0u32, 0u32);
    for cand in job.cands.iter() {
        job.pace.wait().await;
        job.progress.attempt(job.target, job.service);
        r.attempts += 1;
        let (u, p) = (cand.username.as_str(), cand.secret.as_str());
        let o = match (job.service, &challenge) {
            (Service::Telnet, _) => client::telnet::attempt(addr, u, p, c).await,
            (Service::Ssh, _) => client::ssh::attempt(addr, u, p, c).await,
            (Service::Ftp, _) => client::ftp::attempt(addr, u, p, c).await,
            (Service::Mqtt, _) => client::mqtt::attempt(addr, u, p, c).await,
            (Service::Http | Service::Rtsp, Some((kind, ch))) => {
                client::web::attempt(*kind, addr, ch, u, p, c).await
            }
            _ => Outcome::NotApplicable("no client".into()),
        };
        tracing::debug!(target = %job.target, service = %job.service, entry_id = cand.entry_id, outcome = ?o, "audit: attempt");
        match o {
            Outcome::Accepted => {
                r.found = Some(Found {
                    entry_id: cand.entry_id,
                    username: cand.username.clone(),
                    vendor_of_entry: cand.vendor.clone(),
                });
                return end(r, Status::Found, None);
            }
            Outcome::Rejected => errors = 0,
            Outcome::Lockout(why) => {
                lockouts += 1;
                if lockouts >= job.cfg.lockout_after {
                    return end(r, Status::Lockout, Some(why));
                }
            }
            Outcome::Closed => {
                return end(r, Status::Closed, Some("closed during the audit".into()))
            }
            Outcome::NotApplicable(n) => return end(r, Status::NotApplicable, Some(n)),
            Outcome::Error(e) => {
                errors += 1;
                if errors >= job.cfg.errors_after {
                    return end(r, Status::Error, Some(e));
                }
            }
        }
    }
    end(r, Status::NotFound, None)
}

async fn snmp_job(job: &Job, mut r: ServiceResult) -> ServiceResult {
    let addr = SocketAddr::new(job.target, job.port);
    let list: Vec<&str> = job.cands.iter().map(|c| c.secret.as_str()).collect();
    job.pace.wait().await;
    let (sweep, sent) = client::snmp::sweep(addr, &list, job.pace.gap, &job.cfg.client).await;
    for _ in 0..sent {
        job.progress.attempt(job.target, job.service);
    }
    r.attempts = u32::try_from(sent).unwrap_or(u32::MAX);
    // the sweep paced itself; move this target's pace past it
    {
        let mut next = job.pace.next.lock().await;
        *next = (*next).max(tokio::time::Instant::now());
    }
    let first = (0..list.len()).find(|&i| client::snmp::outcome_of(&sweep, i) == Outcome::Accepted);
    let (status, note) = match (&sweep, first) {
        (_, Some(i)) => {
            if let Some(c) = job.cands.get(i) {
                r.found = Some(Found {
                    entry_id: c.entry_id,
                    username: String::new(),
                    vendor_of_entry: c.vendor.clone(),
                });
            }
            (Status::Found, None)
        }
        (client::snmp::Sweep::Closed, _) => (Status::Closed, None),
        (client::snmp::Sweep::Error(e), _) => (Status::Error, Some(e.clone())),
        // the host is gone (a TCP connect said so while the sweep ran)
        _ if job.pace.down.load(std::sync::atomic::Ordering::Relaxed) => {
            (Status::Closed, Some(client::UNREACHABLE.into()))
        }
        _ => (Status::NotFound, Some("no answer to any community".into())),
    };
    r.status = status;
    r.note = note;
    tracing::info!(target = %r.target, service = "snmp", status = ?r.status, attempts = r.attempts, "audit: service done");
    r
}

fn note_of(o: &Outcome) -> String {
    match o {
        Outcome::Error(e) | Outcome::Lockout(e) | Outcome::NotApplicable(e) => e.clone(),
        other => format!("{other:?}"),
    }
}
