//! A seeded chaos soak, on loopback with ports from the OS: the arterial peak's four virtual
//! cabinets, a mosquitto broker and four daemon processes (`greenwave run`), with faults
//! injected in a seeded order: kill -9 and restart of a daemon, SIGSTOP for 1 to 6 s, broker
//! restarts, Modbus server restarts, plan and mode orders in between, and garbage payloads.
//!
//! It asserts that no cabinet's conflict monitor ever trips (a skipped clearance into a flash
//! trips it too); that every site is back under control (external control, or flashing when
//! flash was ordered) within a bound after each fault; that every plan and mode a site
//! acknowledged is in force after the faults and after a last kill -9 of every daemon; and that
//! every daemon exits 0 on SIGTERM. The short version runs in CI; the long one is
//! `GREENWAVE_SOAK_FAULTS=250 cargo test --test chaos_soak -- --nocapture` (and
//! `GREENWAVE_SOAK_SEED` for another seed than 7).
//! Both print the figures (faults injected, recovery median and max, orders lost).
#![cfg(feature = "sim")]

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use greenwave::cabinet::VirtualCabinets;
use greenwave::cabinet::registers::address;
use greenwave::mqtt::payload::{OperatorMode, PlanAck, PlanResult, PlanSet, Status};
use greenwave_controllers::plan::PlanSpec;

use support::{Messages, Mosquitto, free_address, root};

/// Simulated seconds per real second.
const SPEED: f64 = 10.0;
/// A site must be back under control this long (real time) after a fault ends.
const RECOVERY_BOUND: Duration = Duration::from_secs(30);

/// splitmix64: the soak's seeded choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn secs(&mut self, from: f64, to: f64) -> Duration {
        Duration::from_secs_f64(from + (to - from) * (self.next() % 1000) as f64 / 1000.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Kill,
    Stop,
    BrokerRestart,
    ModbusRestart,
    Plan,
    Mode,
    Garbage,
}

impl Fault {
    const ALL: [Fault; 7] = [
        Fault::Kill,
        Fault::Stop,
        Fault::BrokerRestart,
        Fault::ModbusRestart,
        Fault::Plan,
        Fault::Mode,
        Fault::Garbage,
    ];
}

struct Daemon {
    site: String,
    cabinet: SocketAddr,
    child: Option<Child>,
    /// The operator mode last acknowledged (shown in the site's status).
    mode: OperatorMode,
    next_version: u32,
}

struct Soak {
    broker: SocketAddr,
    mosquitto: Option<Mosquitto>,
    cabinets: VirtualCabinets,
    daemons: Vec<Daemon>,
    seen: Messages,
    state: PathBuf,
    logs: PathBuf,
}

impl Soak {
    fn spawn(&mut self, i: usize) {
        let d = &mut self.daemons[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{}.log", d.site)))
            .expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_greenwave"))
            .args(["run", "--config"])
            .arg(root().join(format!("config/cabinets/{}.toml", d.site)))
            .env("GREENWAVE__CABINET__ADDRESS", d.cabinet.to_string())
            .env("GREENWAVE__CONTROL__CLOCK", "cabinet")
            .env("GREENWAVE__CONTROL__TICK_HZ", (10.0 * SPEED).to_string())
            .env("GREENWAVE__CABINET__WATCHDOG_S", (1.0 / SPEED).to_string())
            .env("GREENWAVE__CABINET__BACKOFF_MIN_MS", "10")
            .env("GREENWAVE__MQTT__BROKER", format!("mqtt://{}", self.broker))
            .env("GREENWAVE__STATE_DIR", &self.state)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the daemon starts");
        d.child = Some(child);
    }

    fn signal(&self, i: usize, signal: &str) {
        let pid = self.daemons[i].child.as_ref().expect("running").id();
        let ok = Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success(), "kill -{signal} {pid}");
    }

    fn cabinet_status(&self, i: usize) -> u16 {
        self.cabinets.sites[i].bank.lock().header[usize::from(address::CABINET_STATUS)]
    }

    /// The statuses of site `i` that arrived after message number `after`.
    fn statuses_since(&self, i: usize, after: usize) -> Vec<Status> {
        let topic = format!("greenwave/v1/{}/status", self.daemons[i].site);
        let seen = self.seen.lock().expect("lock");
        seen.iter()
            .skip(after)
            .filter(|(t, _)| *t == topic)
            .filter_map(|(_, p)| serde_json::from_slice(p).ok())
            .collect()
    }

    fn messages(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    /// Whether site `i` is under control as ordered, judged from the cabinet and from its
    /// latest status; with `fresh_after`, a status must also have come after that message
    /// number (a daemon republishes its status on every reconnect).
    fn in_control(&self, i: usize, fresh_after: Option<usize>) -> bool {
        let bits = self.cabinet_status(i);
        if fresh_after.is_some_and(|after| self.statuses_since(i, after).is_empty()) {
            return false;
        }
        let Some(latest) = self.statuses_since(i, 0).pop() else {
            return false;
        };
        latest.online
            && match self.daemons[i].mode {
                OperatorMode::Flash => bits & 0b010 != 0,
                OperatorMode::Local => bits & 0b001 != 0,
                OperatorMode::Adaptive | OperatorMode::Plan => {
                    bits & 0b011 == 0 && latest.mode == "driving"
                }
            }
    }

    /// Waits until site `i` is under control again; returns how long that took.
    async fn recovery(&self, i: usize, fresh_after: Option<usize>, what: &str) -> Duration {
        let from = Instant::now();
        while !self.in_control(i, fresh_after) {
            assert!(
                from.elapsed() < RECOVERY_BOUND,
                "{} not back under control {RECOVERY_BOUND:?} after {what} (cabinet status {:#b}); \
                 see {}",
                self.daemons[i].site,
                self.cabinet_status(i),
                self.logs.display()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        from.elapsed()
    }

    fn conflict_bits(&self) -> Vec<String> {
        (0..self.daemons.len())
            .filter(|&i| self.cabinet_status(i) & 0b100 != 0)
            .map(|i| self.daemons[i].site.clone())
            .collect()
    }

    fn acks(&self) -> Vec<PlanAck> {
        let seen = self.seen.lock().expect("lock");
        seen.iter()
            .filter(|(t, _)| t.ends_with("/plan/ack"))
            .filter_map(|(_, p)| serde_json::from_slice(p).ok())
            .collect()
    }

    /// The newest plan version each site acknowledged as accepted.
    fn accepted(&self) -> BTreeMap<String, u32> {
        let mut newest = BTreeMap::new();
        for ack in self.acks() {
            if ack.result == PlanResult::Accepted {
                let v = newest.entry(ack.site).or_insert(0);
                *v = (*v).max(ack.version);
            }
        }
        newest
    }
}

/// A process's resident memory, kB (Linux).
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory of every daemon process seen: (first sample, last, max) by pid, with when
/// it was first sampled.
#[derive(Default)]
struct Memory(BTreeMap<u32, (Instant, u64, u64, u64)>);

impl Memory {
    fn sample(&mut self, daemons: &[Daemon]) {
        for child in daemons.iter().filter_map(|d| d.child.as_ref()) {
            if let Some(kb) = rss_kb(child.id()) {
                let e = self
                    .0
                    .entry(child.id())
                    .or_insert((Instant::now(), kb, kb, kb));
                e.2 = kb;
                e.3 = e.3.max(kb);
            }
        }
    }

    /// The longest-lived process: how long it was watched, its first, last and largest sample.
    fn longest(&self) -> Option<(Duration, u64, u64, u64)> {
        self.0
            .values()
            .map(|(t, first, last, max)| (t.elapsed(), *first, *last, *max))
            .max_by_key(|(d, ..)| *d)
    }
}

fn plan_set(site: &str, version: u32) -> Vec<u8> {
    let path = root().join(format!("config/plans/arterial-webster/{site}.toml"));
    let text = std::fs::read_to_string(path).expect("plan reads");
    let mut plan: PlanSpec = toml::from_str(&text).expect("plan parses");
    plan.intersection = None;
    plan.version = version;
    serde_json::to_vec(&PlanSet {
        site: site.into(),
        ts: "2026-12-05T18:00:00.000Z".into(),
        plan: Some(plan),
        schedule: None,
        signature: None,
    })
    .expect("serialises")
}

fn mode_set(site: &str, mode: OperatorMode) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "site": site, "ts": "2026-12-05T18:00:00Z", "mode": mode
    }))
    .expect("serialises")
}

/// The faults of a soak of `n` events: every kind at least once, the rest drawn by the seed.
fn schedule(rng: &mut Rng, n: usize) -> Vec<Fault> {
    let kinds = Fault::ALL;
    let mut faults: Vec<Fault> = kinds.to_vec();
    while faults.len() < n {
        faults.push(kinds[rng.below(kinds.len() as u64) as usize]);
    }
    for i in (1..faults.len()).rev() {
        faults.swap(i, rng.below(i as u64 + 1) as usize);
    }
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_soak_loses_no_order_and_never_trips_a_monitor() {
    let faults: usize = std::env::var("GREENWAVE_SOAK_FAULTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("GREENWAVE_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let mut rng = Rng(seed);
    let broker = free_address();
    let mosquitto = Mosquitto::start(broker);
    let (_watcher, seen) = support::subscribe(
        rumqttc::MqttOptions::new("soak-watcher", "127.0.0.1", broker.port()),
        "greenwave/v1/#",
    )
    .await;
    // Long enough for the whole soak at SPEED.
    let cabinets = support::arterial_cabinets(SPEED, 100_000.0).await;
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("soak-{}", broker.port()));
    let _ = std::fs::remove_dir_all(&base);
    let (state, logs) = (base.join("state"), base.join("logs"));
    std::fs::create_dir_all(&logs).expect("a log folder");
    let daemons = cabinets
        .sites
        .iter()
        .map(|s| Daemon {
            site: s.id.clone(),
            cabinet: s.address,
            child: None,
            mode: OperatorMode::Adaptive,
            next_version: 2,
        })
        .collect();
    let mut soak = Soak {
        broker,
        mosquitto: Some(mosquitto),
        cabinets,
        daemons,
        seen,
        state,
        logs,
    };
    let sites = soak.daemons.len();
    for i in 0..sites {
        soak.spawn(i);
    }
    for i in 0..sites {
        soak.recovery(i, Some(0), "start").await;
    }

    let publisher = Arc::new(AtomicU16::new(0));
    let mut memory = Memory::default();
    // Once the daemons run in steady state: the first sample of the memory watch.
    tokio::time::sleep(Duration::from_secs(2)).await;
    memory.sample(&soak.daemons);
    // Recovery times by what they recovered from.
    let mut recoveries: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut injected: BTreeMap<String, usize> = BTreeMap::new();
    for fault in schedule(&mut rng, faults) {
        let i = rng.below(sites as u64) as usize;
        let site = soak.daemons[i].site.clone();
        *injected.entry(format!("{fault:?}")).or_default() += 1;
        let mark = soak.messages();
        let client = format!("soak-ops-{}", publisher.fetch_add(1, Ordering::Relaxed));
        match fault {
            Fault::Kill => {
                let mut child = soak.daemons[i].child.take().expect("running");
                child.kill().expect("kill -9");
                child.wait().expect("reaped");
                tokio::time::sleep(rng.secs(0.0, 2.0)).await;
                let mark = soak.messages();
                soak.spawn(i);
                recoveries
                    .entry("kill -9")
                    .or_default()
                    .push(soak.recovery(i, Some(mark), "kill -9").await);
            }
            Fault::Stop => {
                soak.signal(i, "STOP");
                tokio::time::sleep(rng.secs(1.0, 6.0)).await;
                soak.signal(i, "CONT");
                recoveries
                    .entry("SIGSTOP")
                    .or_default()
                    .push(soak.recovery(i, None, "SIGSTOP").await);
            }
            Fault::BrokerRestart => {
                drop(soak.mosquitto.take());
                tokio::time::sleep(rng.secs(0.5, 2.0)).await;
                let mark = soak.messages();
                soak.mosquitto = Some(Mosquitto::start(broker));
                for j in 0..sites {
                    recoveries
                        .entry("a broker restart")
                        .or_default()
                        .push(soak.recovery(j, Some(mark), "a broker restart").await);
                }
            }
            Fault::ModbusRestart => {
                let down = rng.secs(0.2, 2.0);
                soak.cabinets
                    .restart_server(i, down)
                    .await
                    .expect("restarts");
                recoveries
                    .entry("a Modbus server restart")
                    .or_default()
                    .push(soak.recovery(i, None, "a Modbus server restart").await);
            }
            Fault::Plan => {
                let version = soak.daemons[i].next_version;
                soak.daemons[i].next_version += 1;
                let topic = format!("greenwave/v1/{site}/plan/set");
                support::mqtt_publish(broker, &client, &topic, plan_set(&site, version)).await;
                let from = Instant::now();
                while from.elapsed() < Duration::from_secs(10)
                    && !soak
                        .acks()
                        .iter()
                        .any(|a| a.site == site && a.version == version)
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            Fault::Mode => {
                // Flash, then back: a site is never left flashing by two flash orders in a row.
                let mode = match soak.daemons[i].mode {
                    OperatorMode::Flash => OperatorMode::Adaptive,
                    _ if rng.below(2) == 0 => OperatorMode::Flash,
                    _ => OperatorMode::Plan,
                };
                let topic = format!("greenwave/v1/{site}/mode/set");
                support::mqtt_publish(broker, &client, &topic, mode_set(&site, mode)).await;
                let from = Instant::now();
                while !soak
                    .statuses_since(i, mark)
                    .iter()
                    .any(|s| s.operator_mode == mode)
                {
                    assert!(
                        from.elapsed() < RECOVERY_BOUND,
                        "{site} did not take mode {mode:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                soak.daemons[i].mode = mode;
                recoveries
                    .entry("a mode order")
                    .or_default()
                    .push(soak.recovery(i, None, "a mode order").await);
            }
            Fault::Garbage => {
                let kind = ["plan/set", "mode/set", "outflow"][rng.below(3) as usize];
                let len = rng.below(2048) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let topic = format!("greenwave/v1/{site}/{kind}");
                support::mqtt_publish(broker, &client, &topic, bytes).await;
            }
        }
        assert_eq!(
            soak.conflict_bits(),
            Vec::<String>::new(),
            "after {fault:?} at {site}: {:?}",
            soak.cabinets.trips()
        );
    }

    // Every order acknowledged is in force; then again after a kill -9 of every daemon.
    let plans = soak.accepted();
    let mut lost = 0;
    for round in ["after the faults", "after a kill -9 of every daemon"] {
        if round.starts_with("after a kill") {
            for i in 0..sites {
                let mut child = soak.daemons[i].child.take().expect("running");
                child.kill().expect("kill -9");
                child.wait().expect("reaped");
            }
            let mark = soak.messages();
            for i in 0..sites {
                soak.spawn(i);
            }
            for i in 0..sites {
                let took = soak
                    .recovery(i, Some(mark), "a kill -9 of every daemon")
                    .await;
                recoveries.entry("kill -9").or_default().push(took);
            }
        }
        for i in 0..sites {
            let site = soak.daemons[i].site.clone();
            let want_plan = plans.get(&site).copied();
            let want_mode = soak.daemons[i].mode;
            let from = Instant::now();
            let in_force = |s: &Status| {
                s.online
                    && s.operator_mode == want_mode
                    && want_plan.is_none_or(|v| s.plan_version == Some(v))
            };
            while !soak.statuses_since(i, 0).last().is_some_and(in_force) {
                if from.elapsed() > Duration::from_secs(60) {
                    lost += 1;
                    let statuses = soak.statuses_since(i, 0);
                    let acks: Vec<_> = soak.acks().into_iter().filter(|a| a.site == site).collect();
                    eprintln!(
                        "{site} {round}: plan v{want_plan:?} / mode {want_mode:?} not in force; \
                         last statuses {:?}; last acks {:?}",
                        &statuses[statuses.len().saturating_sub(3)..],
                        &acks[acks.len().saturating_sub(4)..]
                    );
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    let (watched, first_kb, last_kb, max_kb) = memory.longest().expect("memory sampled");
    // SIGTERM: every daemon hands back and exits 0.
    for i in 0..sites {
        soak.signal(i, "TERM");
    }
    for d in &mut soak.daemons {
        let status = d.child.take().expect("running").wait().expect("exits");
        assert!(status.success(), "{} exited with {status}", d.site);
    }
    let Soak { cabinets, logs, .. } = soak;
    let outcome = cabinets.finish().expect("finishes");

    let recovered: Vec<String> = recoveries
        .iter_mut()
        .map(|(what, times)| {
            times.sort();
            format!(
                "{what}: {} times, median {:.2} s, max {:.2} s",
                times.len(),
                times[times.len() / 2].as_secs_f64(),
                times[times.len() - 1].as_secs_f64()
            )
        })
        .collect();
    eprintln!(
        "chaos soak (seed {seed}): faults injected {injected:?}; back under control after {}; \
         acknowledged orders lost: {lost}; monitor trips: {}; the longest-lived daemon over \
         {:.0} s ({:.0} simulated): resident memory {first_kb} kB at first, {last_kb} kB at \
         the end, {max_kb} kB at most",
        recovered.join("; "),
        outcome.interlock_trips.len(),
        watched.as_secs_f64(),
        watched.as_secs_f64() * SPEED,
    );
    assert!(
        outcome.interlock_trips.is_empty(),
        "monitor trips: {:?} (logs in {})",
        outcome.interlock_trips,
        logs.display()
    );
    assert_eq!(
        lost,
        0,
        "acknowledged orders lost (logs in {})",
        logs.display()
    );
    assert!(
        plans.values().any(|&v| v >= 2),
        "some plan was accepted: {plans:?}"
    );
}
