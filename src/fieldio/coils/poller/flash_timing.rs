//! Flash halves on time behind slow modules, on paused time: in-memory modules that take their
//! time over every read, a poll always under way or waiting, and the flashing lamps' coils
//! must still change every half period, to the millisecond.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant as TokioInstant;

use super::module::ModuleLink;
use super::*;
use crate::fieldio::coils::autowire::Wiring;
use crate::fieldio::coils::profile::Profile;
use crate::fieldio::coils::wiring::{Lamp, WiringSpec};
use crate::fieldio::link::{LinkCounters, LinkError};
use crate::fieldio::poller::{Command, Field, request};

/// A coil write as a module applied it.
#[derive(Clone, Debug)]
struct Applied {
    at: TokioInstant,
    module: usize,
    address: u16,
    values: Vec<bool>,
}

/// What the in-memory modules saw: every coil write, and how many reads.
#[derive(Default)]
struct Seen {
    writes: Vec<Applied>,
    reads: usize,
}

/// A module that answers every read after `read_delay` and every write after `write_delay`,
/// each request one after the other, as one Modbus connection does.
struct SlowModule {
    module: usize,
    read_delay: Duration,
    write_delay: Duration,
    seen: Arc<Mutex<Seen>>,
}

impl SlowModule {
    async fn read<T: Clone>(&mut self, count: u16, value: T) -> Result<Vec<T>, LinkError> {
        tokio::time::sleep(self.read_delay).await;
        self.seen.lock().unwrap().reads += 1;
        Ok(vec![value; usize::from(count)])
    }
}

impl ModuleLink for SlowModule {
    fn connected(&self) -> bool {
        true
    }

    fn take_counters(&mut self) -> LinkCounters {
        LinkCounters::default()
    }

    async fn read_discrete(&mut self, _: u16, count: u16) -> Result<Vec<bool>, LinkError> {
        self.read(count, false).await
    }

    async fn read_input(&mut self, _: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        self.read(count, 0).await
    }

    async fn read_holding(&mut self, _: u16, count: u16) -> Result<Vec<u16>, LinkError> {
        self.read(count, 0).await
    }

    async fn write_register(&mut self, _: u16, _: u16) -> Result<(), LinkError> {
        tokio::time::sleep(self.write_delay).await;
        Ok(())
    }

    async fn write_coils(&mut self, address: u16, values: &[bool]) -> Result<(), LinkError> {
        tokio::time::sleep(self.write_delay).await;
        self.seen.lock().unwrap().writes.push(Applied {
            at: TokioInstant::now(),
            module: self.module,
            address,
            values: values.to_vec(),
        });
        Ok(())
    }
}

/// J1 of the arterial wired to `generic-16do-16di` modules (two: 24 lamps, 30 presence
/// inputs), each reading for `read_delay`.
fn slow_cabinet(read_delay: Duration) -> (Coils<SlowModule>, Arc<Mutex<Seen>>) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corridor =
        greenwave_controllers::load::corridor(&root.join("config/corridors/arterial-4.toml"))
            .unwrap();
    let site = greenwave_controllers::site::Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .unwrap();
    let path = root.join("config/profiles/generic-16do-16di.toml");
    let profile = Profile::load(&path).unwrap();
    let w = Wiring::generate(&site, &path, &profile, "127.0.0.1:502", false).unwrap();
    let spec = WiringSpec {
        modules: &w.modules,
        lamps: &w.lamps,
        feedback: &w.feedback,
        detectors: &w.detectors,
    };
    let cabinet = CoilCabinet::resolve(&path, &site, &spec).unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let links = (0..cabinet.modules.len())
        .map(|module| SlowModule {
            module,
            read_delay,
            write_delay: Duration::from_millis(1),
            seen: seen.clone(),
        })
        .collect();
    (Coils::new(cabinet, &settings(), links), seen)
}

fn settings() -> CoilSettings {
    CoilSettings {
        poll_period: Duration::from_millis(100),
        keepalive_period: Duration::from_secs(1),
        link: LinkSettings {
            target: Target::Tcp("127.0.0.1:502".into()),
            unit: 1,
            timeout: Duration::from_millis(200),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        },
    }
}

/// When coil `coil` of module `module` changed, from the writes that covered it.
fn changes(writes: &[Applied], module: usize, coil: u16) -> Vec<(TokioInstant, bool)> {
    let mut out: Vec<(TokioInstant, bool)> = Vec::new();
    for w in writes.iter().filter(|w| w.module == module) {
        let Some(&value) = coil
            .checked_sub(w.address)
            .and_then(|i| w.values.get(usize::from(i)))
        else {
            continue;
        };
        if out.last().is_none_or(|&(_, v)| v != value) {
            out.push((w.at, value));
        }
    }
    out
}

/// The coil task running on slow modules, answered by a stand-in for the control loop that
/// sends its command again in answer to every reading (as the loop does, or the modules would
/// get no more traffic).
struct Running {
    commands: Arc<watch::Sender<Command>>,
    field: watch::Receiver<Field>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    control: tokio::task::JoinHandle<()>,
    seen: Arc<Mutex<Seen>>,
    cabinet: Arc<CoilCabinet>,
}

fn start(read_delay: Duration, first: Command) -> Running {
    let (coils, seen) = slow_cabinet(read_delay);
    let cabinet = coils.cabinet.clone();
    let (field_tx, field) = watch::channel(Field::default());
    let (commands, commands_rx) = watch::channel(first);
    let commands = Arc::new(commands);
    let (stop, shutdown) = watch::channel(false);
    let io = PollerIo {
        field: field_tx,
        commands: commands_rx,
        shutdown,
        stats: Arc::new(Mutex::new(FieldStats::default())),
    };
    let task = tokio::spawn(async move { drive(coils, &settings(), io).await });
    let mut readings = field.clone();
    let answer = commands.clone();
    let control = tokio::spawn(async move {
        while readings.changed().await.is_ok() {
            answer.send_modify(|c| c.answers = Some(now()));
        }
    });
    Running {
        commands,
        field,
        stop,
        task,
        control,
        seen,
        cabinet,
    }
}

impl Running {
    /// Stops the task; every coil write up to now, and the polls made.
    async fn stop(self) -> (Vec<Applied>, u64, usize) {
        // Judged up to here: the switch-off at shutdown is no flash half.
        let end = TokioInstant::now();
        self.stop.send_replace(true);
        self.task.await.unwrap();
        self.control.abort();
        let seen = self.seen.lock().unwrap();
        let writes = seen
            .writes
            .iter()
            .filter(|w| w.at <= end)
            .cloned()
            .collect();
        (writes, self.field.borrow().polls, seen.reads)
    }
}

#[tokio::test(start_paused = true)]
async fn flash_halves_are_written_on_time_while_slow_reads_are_in_flight_or_queued() {
    // Each read takes 150 ms and a poll is due every 100 ms: a read is always in flight or
    // waiting its turn.
    let flash = Command {
        request: request::FLASH,
        aspects: Vec::new(),
        answers: Some(now()),
    };
    let run = start(Duration::from_millis(150), flash);
    let amber = run.cabinet.lamps[0][Lamp::Amber as usize]
        .clone()
        .expect("group 0 has an amber");
    tokio::time::sleep(Duration::from_secs(20)).await;
    let (writes, polls, reads) = run.stop().await;

    // Two reads a poll, one per module, kept off the flash edges: about 2.7 polls a second.
    assert!(
        polls >= 45 && reads >= 2 * polls as usize,
        "the modules were polled all along: {polls} polls, {reads} reads"
    );
    // Group 0's amber flashes from the command to the end: each half as long as the flasher's
    // (up to 2 ms for the timer's millisecond and the 1 ms write), never waiting for a read.
    let amber = changes(&writes, amber.module, amber.coil);
    let halves: Vec<Duration> = amber.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(halves.len() >= 35, "{} flash halves", halves.len());
    for (k, half) in halves.iter().enumerate() {
        let late = half.abs_diff(lamps::FLASH_HALF_PERIOD);
        assert!(
            late <= Duration::from_millis(2),
            "flash half {k} lasted {half:?}, not {:?}: {halves:?}",
            lamps::FLASH_HALF_PERIOD
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_poll_goes_on_however_closely_the_groups_flash_cycles_interleave() {
    // From all red, one group after the other starts flashing amber 60 ms after the last: a
    // flash edge every 60 ms or so, none far enough off for a 150 ms read to fit before it.
    let take_over = Command {
        request: request::EXTERNAL,
        aspects: vec![Aspect::Red.code(); 8],
        answers: Some(now()),
    };
    let run = start(Duration::from_millis(150), take_over);
    let cabinet = run.cabinet.clone();
    assert_eq!(cabinet.lamps.len(), 8);
    tokio::time::sleep(Duration::from_secs(1)).await;
    for g in 0..8 {
        run.commands
            .send_modify(|c| c.aspects[g] = Aspect::FlashingAmber.code());
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let (since, before) = (TokioInstant::now(), run.field.borrow().polls);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (writes, polls, _) = run.stop().await;

    // Each read waits for one flash edge at most, then goes.
    let polls = polls - before;
    assert!(polls >= 20, "{polls} polls in 10 s of interleaved flashing");
    // Meanwhile every group flashes on: 18 halves in 10 s, give or take the one cut short or
    // drawn out by a read.
    for (g, lamps) in cabinet.lamps.iter().enumerate() {
        let amber = lamps[Lamp::Amber as usize].clone().expect("an amber");
        let changes = changes(&writes, amber.module, amber.coil);
        let halves = changes.iter().filter(|c| c.0 >= since).count();
        assert!(halves >= 17, "group {g}: {halves} flash halves in 10 s");
    }
}
