//! A module that answers a read of its discrete inputs with fewer bits than asked: the coil
//! cabinet's field I/O must take it as that module's error (the safe state: every lamp
//! flashing, the link reported down with the module named), and never panic. tokio-modbus 0.17
//! asserts on such a reply in debug builds (`client/mod.rs`, `read_discrete_inputs`); the link
//! judges the raw reply instead (`src/fieldio/link/reply.rs`).
//!
//! The module here is a few lines of Modbus TCP written for the test (bound to port 0): it
//! echoes every write as the protocol says, records the coils written, and answers function 02
//! with one byte fewer than the bits asked for need.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use greenwave::fieldio::coils::autowire::Wiring;
use greenwave::fieldio::coils::poller::{self, CoilSettings};
use greenwave::fieldio::coils::profile::Profile;
use greenwave::fieldio::coils::wiring::{CoilCabinet, WiringSpec};
use greenwave::fieldio::link::{LinkSettings, Target};
use greenwave::fieldio::poller::{Command, Field, FieldStats, PollerIo};

use support::{eventually, root};

/// Coil writes as the module took them: (unit, first coil, values).
type Written = Arc<Mutex<Vec<(u8, u16, Vec<bool>)>>>;

/// Serves every unit id on `listener`: writes echoed, reads of discrete inputs short.
async fn serve(listener: TcpListener, written: Written) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(connection(stream, written.clone()));
    }
}

async fn connection(mut stream: TcpStream, written: Written) -> std::io::Result<()> {
    loop {
        // MBAP header: transaction (2), protocol 0 (2), length (2), unit (1); then the PDU.
        let mut header = [0u8; 7];
        stream.read_exact(&mut header).await?;
        let length = usize::from(u16::from_be_bytes([header[4], header[5]]));
        let mut pdu = vec![0u8; length.saturating_sub(1)];
        stream.read_exact(&mut pdu).await?;
        let word = |i: usize| u16::from_be_bytes([pdu[i], pdu[i + 1]]);
        let reply: Vec<u8> = match pdu[0] {
            // Read discrete inputs: ceil(n / 8) bytes are due; one fewer comes back.
            0x02 => {
                let bytes = usize::from(word(3)).div_ceil(8) - 1;
                let mut r = vec![0x02, bytes as u8];
                r.resize(2 + bytes, 0);
                r
            }
            // Write multiple coils: take them, echo address and quantity.
            0x0F => {
                let (address, count) = (word(1), word(3));
                let values = (0..usize::from(count))
                    .map(|k| pdu[6 + k / 8] >> (k % 8) & 1 == 1)
                    .collect();
                written.lock().unwrap().push((header[6], address, values));
                pdu[..5].to_vec()
            }
            // Write single register, write multiple registers: echo.
            0x06 | 0x10 => pdu[..5].to_vec(),
            other => vec![other | 0x80, 0x01],
        };
        let mut frame = header[..4].to_vec();
        frame.extend_from_slice(&(reply.len() as u16 + 1).to_be_bytes());
        frame.push(header[6]);
        frame.extend_from_slice(&reply);
        stream.write_all(&frame).await?;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_with_too_few_bits_flashes_the_lamps_and_names_the_module() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("an address").to_string();
    let written = Written::default();
    let server = tokio::spawn(serve(listener, written.clone()));

    // J1 wired to modules of the generic 16 DO / 16 DI profile, all behind that address.
    let corridor =
        greenwave_controllers::load::corridor(&root().join("config/corridors/arterial-4.toml"))
            .expect("corridor");
    let site = greenwave_controllers::site::Site::all(&corridor)
        .into_iter()
        .find(|s| s.id == "J1")
        .expect("J1");
    let path = root().join("config/profiles/generic-16do-16di.toml");
    let profile = Profile::load(&path).expect("profile");
    let wiring = Wiring::generate(&site, &path, &profile, &address, false).expect("wires");
    let spec = WiringSpec {
        modules: &wiring.modules,
        lamps: &wiring.lamps,
        feedback: &wiring.feedback,
        detectors: &wiring.detectors,
    };
    let cabinet = CoilCabinet::resolve(&path, &site, &spec).expect("resolves");
    // The module the detector inputs are on is the one whose replies are short.
    let inputs_module = &cabinet.modules[cabinet.detectors[0]
        .as_ref()
        .expect("wired")
        .presence
        .module];
    let inputs_name = inputs_module.name.clone();
    let lamp_coils: Vec<(u8, u16, usize)> = cabinet
        .lamps
        .iter()
        .enumerate()
        .flat_map(|(g, lamps)| {
            let cabinet = &cabinet;
            lamps.iter().enumerate().filter_map(move |(l, o)| {
                o.as_ref()
                    .map(|o| (cabinet.modules[o.module].unit, o.coil, g * 3 + l))
            })
        })
        .collect();

    let (field_tx, mut field_rx) = watch::channel(Field::default());
    let (_commands, commands_rx) = watch::channel(Command::default());
    let (stop, shutdown) = watch::channel(false);
    let io = PollerIo {
        field: field_tx,
        commands: commands_rx,
        shutdown,
        stats: Arc::new(Mutex::new(FieldStats::default())),
    };
    let settings = CoilSettings {
        poll_period: Duration::from_millis(100),
        keepalive_period: Duration::from_secs(1),
        link: LinkSettings {
            target: Target::Tcp(address.clone()),
            unit: 1,
            timeout: Duration::from_millis(500),
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_millis(100),
        },
    };
    let groups = cabinet.lamps.len();
    let task = tokio::spawn(poller::run(cabinet, settings, io));

    eventually("the link reported down, naming the module", || {
        field_rx.borrow_and_update().error.is_some()
    })
    .await;
    let field = field_rx.borrow().clone();
    assert!(!field.up);
    assert!(field.reading.is_none(), "no reading was taken from it");
    let error = field.error.expect("an error");
    assert!(
        error.starts_with(&format!("module {inputs_name}: reading discrete inputs")),
        "{error}"
    );
    assert!(error.contains("bytes of bits"), "{error}");

    // The lamps flash: vehicle heads amber on and off, nothing else lit, ever.
    let mut lamps = vec![false; groups * 3];
    let mut ambers = std::collections::BTreeSet::new();
    eventually("amber lit and dark in turn", || {
        for (unit, address, values) in written.lock().unwrap().drain(..) {
            for (k, v) in values.into_iter().enumerate() {
                let coil = address + k as u16;
                if let Some(&(_, _, i)) = lamp_coils.iter().find(|c| (c.0, c.1) == (unit, coil)) {
                    lamps[i] = v;
                }
            }
            let lit: Vec<usize> = (0..lamps.len()).filter(|&i| lamps[i]).collect();
            assert!(
                lit.iter().all(|i| i % 3 == 1),
                "only ambers are lit in the safe state: lamps {lit:?}"
            );
            ambers.insert(!lit.is_empty());
        }
        ambers.len() == 2
    })
    .await;
    assert!(!task.is_finished(), "the field I/O task is still running");
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .expect("did not panic");
    server.abort();
}
