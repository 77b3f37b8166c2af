//! The `[cabinet]` section: how the cabinet is reached (Modbus TCP or RTU), with every value in
//! its range, and whether a serial line is fast enough for the tick.

use std::time::Duration;

use greenwave_controllers::site::Site;

use super::{CabinetSpec, Found, Transport, range};
use crate::fieldio::coils::wiring::ModuleSpec;
use crate::fieldio::link::{LinkSettings, Parity, Target};
use crate::fieldio::regmap::RegisterMap;

/// Serial rates a cabinet may use.
const BAUDS: [u32; 8] = [1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200];

/// The link settings, or `None` with every problem recorded. With `[[modules]]` each module has
/// its own address and unit id; the target is the first module's, for display.
pub(super) fn link(
    cab: &CabinetSpec,
    modules: &[ModuleSpec],
    found: &mut Found,
) -> Option<LinkSettings> {
    let target = match modules.first() {
        None => found.take(target(cab)),
        Some(first) => {
            for (key, set) in [
                ("address", cab.address.is_some()),
                ("device", cab.device.is_some()),
                ("transport", cab.transport != Transport::Tcp),
            ] {
                if set {
                    found.push(format!(
                        "cabinet.{key}: with [[modules]], each module has its own address \
                         (Modbus TCP)"
                    ));
                }
            }
            Some(Target::Tcp(first.address.clone()))
        }
    };
    if !(1..=247).contains(&cab.unit_id) {
        found.push(format!(
            "cabinet.unit_id: {} is out of range (1 to 247)",
            cab.unit_id
        ));
    }
    let ms = |v: u64| v as f64;
    found.take(range(
        "cabinet.timeout_ms",
        ms(cab.timeout_ms),
        10.0,
        10_000.0,
    ));
    found.take(range("cabinet.watchdog_s", cab.watchdog_s, 0.01, 10.0));
    let min = ms(cab.backoff_min_ms);
    found.take(range("cabinet.backoff_min_ms", min, 10.0, 60_000.0));
    found.take(range(
        "cabinet.backoff_max_ms",
        ms(cab.backoff_max_ms),
        min,
        600_000.0,
    ));
    Some(LinkSettings {
        target: target?,
        unit: u8::try_from(cab.unit_id).ok()?,
        timeout: Duration::from_millis(cab.timeout_ms),
        backoff_min: Duration::from_millis(cab.backoff_min_ms),
        backoff_max: Duration::from_millis(cab.backoff_max_ms),
    })
}

fn target(cab: &CabinetSpec) -> Result<Target, String> {
    match cab.transport {
        Transport::Tcp => {
            let address = cab
                .address
                .clone()
                .ok_or("cabinet.address: missing (host:port of the cabinet's Modbus TCP server)")?;
            let port = address.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
            if !matches!(port, Some(Ok(p)) if p > 0) {
                return Err(format!(
                    "cabinet.address: `{address}` is not host:port (port 1 to 65535)"
                ));
            }
            Ok(Target::Tcp(address))
        }
        Transport::Rtu => {
            let device = cab
                .device
                .clone()
                .ok_or("cabinet.device: missing (the serial device, e.g. /dev/ttyUSB0)")?;
            let baud = cab.baud.unwrap_or(19_200);
            if !BAUDS.contains(&baud) {
                return Err(format!(
                    "cabinet.baud: {baud} is not a serial rate ({})",
                    BAUDS.map(|b| b.to_string()).join(", ")
                ));
            }
            let parity = match cab.parity.as_deref().unwrap_or("even") {
                "none" => Parity::None,
                "even" => Parity::Even,
                "odd" => Parity::Odd,
                other => {
                    return Err(format!(
                        "cabinet.parity: `{other}` is not one of none, even, odd"
                    ));
                }
            };
            Ok(Target::Rtu {
                device,
                baud,
                parity,
            })
        }
    }
}

/// On a serial line: one poll and one command must fit in the tick, and in the timeout.
pub(super) fn rtu_fits(
    registers: &RegisterMap,
    site: &Site,
    link: &LinkSettings,
    tick_hz: f64,
) -> Result<(), String> {
    let Target::Rtu { baud, .. } = &link.target else {
        return Ok(());
    };
    let cycle = rtu_poll_time(registers, site, *baud);
    let tick = 1.0 / tick_hz;
    if cycle.as_secs_f64() > tick * 0.8 {
        return Err(format!(
            "cabinet.baud: at {baud} baud one poll and command take about {} ms, too long for a \
             {:.0} ms tick; lower control.tick_hz or raise the baud rate",
            cycle.as_millis(),
            tick * 1000.0
        ));
    }
    if link.timeout < cycle {
        return Err(format!(
            "cabinet.timeout_ms: {} ms is shorter than one poll at {baud} baud ({} ms)",
            link.timeout.as_millis(),
            cycle.as_millis()
        ));
    }
    Ok(())
}

/// How long one poll (every read block) and one command (all groups) take on a serial line at
/// `baud`: 11 bits a character (8E1 or 8N2 framing), 3.5 characters of silence around frames.
fn rtu_poll_time(map: &RegisterMap, site: &Site, baud: u32) -> Duration {
    let groups = site.intersection.groups().len() as u32;
    let plan = crate::fieldio::reading::ReadPlan::new(*map, site.channels() as u16, groups as u16);
    let gap = 7.0;
    let reads: f64 = plan
        .blocks
        .iter()
        .map(|&(_, n)| 8.0 + 5.0 + 2.0 * f64::from(n) + gap)
        .sum();
    let write = 9.0 + 2.0 * f64::from(groups) + 8.0 + gap;
    Duration::from_secs_f64((reads + write) * 11.0 / f64::from(baud))
}
