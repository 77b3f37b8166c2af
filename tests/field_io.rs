//! The field I/O against a real Modbus TCP server (tokio-modbus's, on a loopback port the OS
//! picks): commands in one request, counts (wrapping) into the estimator, timeouts that do not
//! desynchronise, a server killed and restarted, and bad register values.
#![cfg(feature = "sim")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use greenwave::daemon::control::{ControlLoop, Event, LoopSettings, Mode};
use greenwave::fieldio::link::{Link, LinkError, LinkSettings, Target};
use greenwave::fieldio::poller::{self, Command, Field, FieldStats, PollerIo, PollerSettings};
use greenwave::fieldio::reading::Reading;
use greenwave::fieldio::regmap::RegisterMap;
use greenwave_controllers::control::Neighbours;
use greenwave_controllers::corridor::DetectorKind;
use greenwave_controllers::{Duration as CoreDuration, Instant};
use greenwave_sim::build_controller;

use support::{Scripted, eventually, j1_config};

const CHANNELS: u16 = 30;
const GROUPS: u16 = 8;

fn link(cab: &Scripted, timeout: Duration) -> Link {
    Link::new(LinkSettings {
        target: Target::Tcp(cab.address.to_string()),
        unit: 1,
        timeout,
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
    })
}

/// The control loop of `config`'s site running its plan as fixed time, from time zero.
fn fixed_loop(config: &greenwave::daemon::config::DaemonConfig) -> ControlLoop {
    let controller = build_controller(
        "fixed",
        &config.site,
        Some(&config.plan),
        &config.controller_params,
    )
    .expect("builds");
    ControlLoop::new(
        config.site.clone(),
        controller,
        config.plan.clone(),
        LoopSettings::default(),
        Instant::ZERO,
    )
}

struct Poller {
    field: watch::Receiver<Field>,
    commands: watch::Sender<Command>,
    stop: watch::Sender<bool>,
    stats: Arc<Mutex<FieldStats>>,
    task: tokio::task::JoinHandle<()>,
}

fn start_poller(cab: &Scripted) -> Poller {
    let (field_tx, field) = watch::channel(Field::default());
    let (commands, commands_rx) = watch::channel(Command::default());
    let (stop, stop_rx) = watch::channel(false);
    let stats = Arc::new(Mutex::new(FieldStats::default()));
    let task = tokio::spawn(poller::run(
        link(cab, Duration::from_millis(200)),
        PollerSettings {
            map: RegisterMap::default(),
            channels: CHANNELS,
            groups: GROUPS,
            poll_period: Duration::from_millis(20),
            watchdog_period: Duration::from_millis(100),
        },
        PollerIo {
            field: field_tx,
            commands: commands_rx,
            shutdown: stop_rx,
            stats: stats.clone(),
        },
    ));
    Poller {
        field,
        commands,
        stop,
        stats,
        task,
    }
}

impl Poller {
    fn latest(&self) -> Option<Reading> {
        self.field.borrow().reading.as_ref().map(|(r, _)| r.clone())
    }

    /// Waits for a reading taken after `polls` polls.
    async fn reading_after(&mut self, polls: u64) -> Reading {
        loop {
            {
                let f = self.field.borrow_and_update();
                if f.up
                    && f.polls > polls
                    && let Some((r, _)) = &f.reading
                {
                    return r.clone();
                }
            }
            tokio::time::timeout(Duration::from_secs(20), self.field.changed())
                .await
                .expect("a reading within 20 s")
                .expect("the poller runs");
        }
    }

    fn polls(&self) -> u64 {
        self.field.borrow().polls
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reach_the_cabinet_in_one_request_and_the_watchdog_ticks() {
    let cab = Scripted::start(CHANNELS, GROUPS).await;
    let mut p = start_poller(&cab);
    // Nothing is written before the control loop answers a reading of this connection.
    p.reading_after(0).await;
    assert_eq!(cab.bank.lock().command_writes, 0);
    let aspects = vec![1, 3, 1, 1, 1, 3, 1, 1];
    p.commands.send_replace(Command {
        request: poller::request::EXTERNAL,
        aspects: aspects.clone(),
        answers: Some(std::time::Instant::now()),
    });
    eventually("the command is applied", || {
        let bank = cab.bank.lock();
        bank.commanded == aspects && bank.control_request == 1
    })
    .await;
    let first = cab.bank.lock().watchdog;
    eventually("the watchdog changes", || cab.bank.lock().watchdog != first).await;
    let bank = cab.bank.lock().clone();
    assert!(bank.command_writes >= 1);
    assert_eq!(
        bank.partial_command_writes, 0,
        "all groups in one write-multiple-registers request, every time"
    );

    // Stopping hands the cabinet back to local control.
    p.stop.send_replace(true);
    p.task.await.expect("the poller stops cleanly");
    assert_eq!(cab.bank.lock().control_request, poller::request::LOCAL);
}

/// Runs the J1 control loop on readings polled over Modbus from a cabinet whose advance-loop
/// count starts at `start` and then rises by 12 vehicles; returns the queue estimated on that
/// lane and the loop's detector events.
async fn queue_after_counts(start: u16) -> (f64, Vec<Event>) {
    let cab = Scripted::start(CHANNELS, GROUPS).await;
    let config = j1_config(cab.address, &[]);
    let site = config.site.clone();
    let approach = &site.approaches[0];
    let advance = approach
        .detectors
        .iter()
        .find(|d| d.kind == DetectorKind::Advance)
        .expect("an advance loop");
    let channel = usize::from(advance.channel);
    let lane = usize::from(advance.lane);
    let mut control = fixed_loop(&config);
    let mut p = start_poller(&cab);
    let neighbours = Neighbours::default();
    let mut now = Instant::ZERO;
    let mut events = Vec::new();
    for step in 0..=12u16 {
        {
            let mut bank = cab.bank.lock();
            bank.header[0] = step; // the heartbeat moves
            bank.detectors[channel * 4] = start.wrapping_add(step);
        }
        let polls = p.polls();
        let reading = p.reading_after(polls).await;
        assert_eq!(reading.detectors[channel].count, start.wrapping_add(step));
        control.tick(now, now, &reading, &neighbours);
        events.extend(control.drain_events());
        now += CoreDuration::from_millis(500);
    }
    let queue = control.estimator().estimate().approaches[0].lanes[lane].queue_veh;
    p.stop.send_replace(true);
    (queue, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_reach_the_estimator_across_a_counter_wrap() {
    let (plain, plain_events) = queue_after_counts(100).await;
    let (wrapped, wrapped_events) = queue_after_counts(65_530).await;
    assert!(
        plain > 5.0,
        "12 vehicles past the advance loop queue up ({plain})"
    );
    assert_eq!(
        wrapped, plain,
        "65530 -> 6 counts as 12 vehicles, like 100 -> 112"
    );
    let detector_faults = |e: &[Event]| {
        e.iter()
            .filter(|e| matches!(e, Event::Detector { .. }))
            .count()
    };
    assert_eq!(detector_faults(&plain_events), 0);
    assert_eq!(detector_faults(&wrapped_events), 0, "{wrapped_events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_request_does_not_desynchronise_later_ones() {
    let cab = Scripted::start(CHANNELS, GROUPS).await;
    {
        let mut bank = cab.bank.lock();
        bank.header[0] = 4321;
        bank.detectors[0] = 777;
    }
    let mut link = link(&cab, Duration::from_millis(100));
    assert_eq!(link.read_input(0, 1).await.expect("answers"), vec![4321]);

    // The next answer comes late: the request times out and the connection is dropped.
    cab.bank.delay_next_answer(Duration::from_millis(400));
    let err = link.read_input(0, 1).await.expect_err("times out");
    assert!(matches!(err, LinkError::Timeout { .. }), "{err}");
    assert!(!link.connected());

    // The late reply (4321) must not be taken as the answer to the next request.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answer = loop {
        match link.read_input(100, 1).await {
            Ok(words) => break words,
            Err(LinkError::Backoff(wait)) => tokio::time::sleep(wait).await,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(answer, vec![777]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(link.read_input(0, 1).await.expect("answers"), vec![4321]);
    assert_eq!(link.read_input(100, 1).await.expect("answers"), vec![777]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_restarted_server_is_reconnected_and_told_the_command_again() {
    let mut cab = Scripted::start(CHANNELS, GROUPS).await;
    let mut p = start_poller(&cab);
    p.reading_after(0).await;
    let aspects = vec![3, 1, 1, 1, 3, 1, 1, 1];
    let command = |aspects: &Vec<u16>| Command {
        request: poller::request::EXTERNAL,
        aspects: aspects.clone(),
        answers: Some(std::time::Instant::now()),
    };
    p.commands.send_replace(command(&aspects));
    eventually("the command is applied", || {
        cab.bank.lock().commanded == aspects
    })
    .await;

    cab.kill().await;
    eventually("the link is seen down", || !p.field.borrow().up).await;
    // The cabinet restarts with its registers reset.
    *cab.bank.lock() = greenwave::cabinet::registers::Bank::new(CHANNELS, GROUPS);
    cab.restart().await;
    let polls = p.polls();
    p.reading_after(polls).await;
    // The command made before the restart is stale: nothing is written until the control
    // loop answers a reading of the new connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        cab.bank.lock().command_writes,
        0,
        "no stale command written"
    );
    assert_eq!(cab.bank.lock().control_request, poller::request::LOCAL);
    let next = vec![1, 3, 1, 1, 1, 3, 1, 1];
    p.commands.send_replace(command(&next));
    eventually("the new command is written", || {
        let bank = cab.bank.lock();
        bank.commanded == next && bank.control_request == 1
    })
    .await;
    assert!(p.stats.lock().expect("stats").connects >= 2);
    assert!(p.latest().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_register_values_are_faults_not_panics() {
    let cab = Scripted::start(CHANNELS, GROUPS).await;
    let config = j1_config(cab.address, &[]);
    let mut control = fixed_loop(&config);
    let mut p = start_poller(&cab);
    let neighbours = Neighbours::default();

    // A count that goes backwards (no wrap) and a fault code out of range: detector faults.
    cab.bank.lock().detectors[0] = 500;
    let polls = p.polls();
    let reading = p.reading_after(polls).await;
    control.tick(Instant::ZERO, Instant::ZERO, &reading, &neighbours);
    {
        let mut bank = cab.bank.lock();
        bank.header[0] = 1;
        bank.detectors[0] = 480;
        bank.detectors[4 + 3] = 9;
    }
    let polls = p.polls();
    let reading = p.reading_after(polls).await;
    control.tick(
        Instant::from_millis(500),
        Instant::from_millis(500),
        &reading,
        &neighbours,
    );
    let events: Vec<Event> = control.drain_events().collect();
    let detector = |c: usize| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Detector { channel, why } if *channel == c => Some(why.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no fault on channel {c}: {events:?}"))
    };
    assert!(detector(0).contains("from 500 to 480"), "{}", detector(0));
    assert!(detector(1).contains("fault code 9"), "{}", detector(1));
    assert_ne!(
        control.mode(),
        Mode::Safe,
        "a detector fault is not a field fault"
    );

    // An aspect code out of range: the safe state.
    {
        let mut bank = cab.bank.lock();
        bank.header[0] = 2;
        bank.shown[3] = 42;
    }
    let polls = p.polls();
    let reading = p.reading_after(polls).await;
    let (request, _) = control.tick(
        Instant::from_millis(1_000),
        Instant::from_millis(1_000),
        &reading,
        &neighbours,
    );
    assert_eq!(request, poller::request::FLASH_NOW);
    assert_eq!(control.mode(), Mode::Safe);
    let events: Vec<Event> = control.drain_events().collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Fault(why) if why.contains("aspect code 42"))),
        "{events:?}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_speaks_rtu_over_a_serial_line() {
    use greenwave::cabinet::registers::{Bank, SharedBank};
    use greenwave::fieldio::link::Parity;
    use tokio_serial::SerialPort;

    // A pseudo-terminal pair stands in for the RS-485 line: the cabinet's RTU server on the
    // master side, the daemon's link opening the slave side by its device name.
    let (master, slave) = tokio_serial::SerialStream::pair().expect("a pty pair");
    let device = slave.name().expect("the pty has a device name");
    // The link opens the device itself. The slave side stays open (unread) meanwhile: some
    // kernels remove a pty's device node as soon as its last slave descriptor closes.
    let _slave = slave;
    let bank = SharedBank::new(Bank::new(CHANNELS, GROUPS));
    bank.lock().detectors[4] = 4242;
    let server = tokio_modbus::server::rtu::Server::new(master);
    let served = tokio::spawn(server.serve_forever(bank.clone()));

    let mut link = Link::new(LinkSettings {
        target: Target::Rtu {
            device,
            baud: 19_200,
            parity: Parity::Even,
        },
        unit: 1,
        timeout: Duration::from_millis(500),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
    });
    // A pty may fail the very first exchange (EIO while its line settles); the link drops the
    // port after an error and opens it again on the next call, as it does in the cabinet.
    let mut answer = link.read_input(104, 1).await;
    for _ in 0..4 {
        if answer.is_ok() {
            break;
        }
        answer = link.read_input(104, 1).await;
    }
    assert_eq!(answer.expect("answers"), vec![4242]);
    link.write_registers(200, &[3, 1, 1, 1, 3, 1, 1, 1])
        .await
        .expect("written");
    assert_eq!(bank.lock().commanded, vec![3, 1, 1, 1, 3, 1, 1, 1]);
    let err = link.write_register(1, 9).await.expect_err("refused");
    assert!(matches!(err, LinkError::Exception { .. }), "{err}");
    served.abort();
}
