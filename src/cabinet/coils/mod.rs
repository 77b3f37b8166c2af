//! A virtual cabinet built of commodity I/O modules: the simulated junction wired to modules
//! of one device profile ([`crate::fieldio::coils::autowire`]), served over Modbus TCP
//! ([`bank`]). The lamps the coils light are read back into aspects for the simulated heads,
//! through the cabinet's conflict monitor (the simulator's, after
//! `docs/spec/cabinet-modbus.md`), which also trips on a head lit in no aspect (red and green
//! together). The heads' aspects light the lamp sensing inputs; the loops' presence (and their
//! cards' faults) light the detector inputs, and counters count where the profile has them.
//!
//! Outputs all off (a module's watchdog expired, or nothing written yet) or every head in the
//! flash picture (vehicle amber flashing, pedestrian heads dark) is the cabinet's flash.

pub mod bank;
mod rewire;

pub use rewire::rewired_config;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use anyhow::Result;

use greenwave_controllers::detector::DetectorSample;
use greenwave_controllers::model::{Aspect, GroupKind, Region, SignalState};
use greenwave_controllers::site::Site;
use greenwave_sim::cabinet::{CabinetCommand, ControlRequest};

use crate::fieldio::coils::autowire::Wiring;
use crate::fieldio::coils::lamps::{self, FLASH_HALF_PERIOD};
use crate::fieldio::coils::profile::{Profile, RegisterTable};
use crate::fieldio::coils::wiring::{CoilCabinet, Lamp, WiringSpec};
use crate::fieldio::regmap::WordOrder;

use bank::{ModuleBank, SharedModules};

/// One junction's modules and how they are wired.
#[derive(Clone, Debug)]
pub struct CoilSite {
    /// The wiring, resolved.
    pub cabinet: Arc<CoilCabinet>,
    /// The wiring sections, for the daemon's config.
    pub wiring: Wiring,
    /// The modules' tables.
    pub modules: SharedModules,
    decoded: Vec<Aspect>,
    /// Each head's lamps, and since when (simulated ms) they have been so.
    held: Vec<([bool; 3], u64)>,
    region: Region,
    steps: u16,
    /// Heads lit in no aspect: the monitor's trip, latched.
    pub lamp_faults: Vec<String>,
    /// Lamps burnt out: their sensing says dark whatever the head shows (group, lamp).
    dead: Arc<std::sync::Mutex<Vec<(usize, Lamp)>>>,
}

impl CoilSite {
    /// Wires `site` to modules of the profile at `profile_path`, served at `address`.
    pub fn new(
        site: &Site,
        profile_path: &Path,
        address: &str,
        sense_lamps: bool,
    ) -> Result<CoilSite> {
        let profile = Profile::load(profile_path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", profile_path.display()))?;
        let absolute = std::path::absolute(profile_path)?;
        let wiring = Wiring::generate(site, &absolute, &profile, address, sense_lamps)
            .map_err(anyhow::Error::msg)?;
        let spec = WiringSpec {
            modules: &wiring.modules,
            lamps: &wiring.lamps,
            feedback: &wiring.feedback,
            detectors: &wiring.detectors,
        };
        let cabinet = CoilCabinet::resolve(&absolute, site, &spec)
            .map_err(|p| anyhow::anyhow!("{}: {}", site.id, p.join("; ")))?;
        let banks = cabinet
            .modules
            .iter()
            .map(|m| ModuleBank::new(&m.profile, m.unit))
            .collect();
        Ok(CoilSite {
            decoded: vec![Aspect::Dark; cabinet.lamps.len()],
            held: vec![([false; 3], 0); cabinet.lamps.len()],
            region: site.intersection.region(),
            cabinet,
            wiring,
            modules: SharedModules::new(banks),
            steps: 0,
            lamp_faults: Vec::new(),
            dead: Arc::default(),
        })
    }

    /// What the lamps amount to at simulated time `ms`, as the simulated cabinet takes it.
    pub fn command(&mut self, ms: u64) -> CabinetCommand {
        self.steps = self.steps.wrapping_add(1);
        let lit: Vec<[bool; 3]> = {
            let mut banks = self.modules.lock();
            let now = StdInstant::now();
            for b in banks.iter_mut() {
                b.check_watchdog(now);
            }
            self.cabinet
                .lamps
                .iter()
                .map(|lamps| {
                    lamps
                        .clone()
                        .map(|o| o.is_some_and(|o| banks[o.module].output(o.coil, now)))
                })
                .collect()
        };
        let n = lit.len();
        let flash = SignalState::uniform(n, Aspect::FlashingAmber);
        let command = |request, aspects| CabinetCommand {
            watchdog: self.steps,
            request,
            aspects,
        };
        let dark = [false; 3];
        let flash_picture = lit.iter().zip(&self.cabinet.kinds).all(|(l, k)| {
            *l == dark || (*k == GroupKind::Vehicle && *l == lamps::lit(*k, Aspect::Amber, true))
        });
        if !self.lamp_faults.is_empty() || flash_picture {
            self.decoded = flash.aspects().to_vec();
            return command(ControlRequest::FlashNow, flash);
        }
        for (g, l) in lit.iter().enumerate() {
            let kind = self.cabinet.kinds[g];
            let before = self.decoded[g];
            if self.held[g].0 != *l {
                self.held[g] = (*l, ms);
            }
            let held_ms = ms - self.held[g].1;
            let aspect = match lamps::shown(kind, before, *l) {
                // A green that goes dark after green is flashing.
                Some(Aspect::Dark) if matches!(before, Aspect::Green | Aspect::FlashingGreen) => {
                    Some(Aspect::FlashingGreen)
                }
                a => us_walk_ends(self.region, kind, before, *l, held_ms).or(a),
            };
            match aspect {
                Some(a) => self.decoded[g] = a,
                None => {
                    let on: Vec<&str> = Lamp::ALL
                        .iter()
                        .filter(|x| l[**x as usize])
                        .map(|x| x.name())
                        .collect();
                    self.lamp_faults.push(format!(
                        "group {}: {} lit together",
                        g,
                        on.join(" and ")
                    ));
                    return command(ControlRequest::FlashNow, flash);
                }
            }
        }
        command(
            ControlRequest::External,
            SignalState::from_aspects(self.decoded.clone()),
        )
    }

    /// Burns out `lamp` of group `group`: its sensing reads dark from now on.
    pub fn burn_out(&self, group: usize, lamp: Lamp) {
        self.dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((group, lamp));
    }

    /// The simulation's heads and loops into the inputs, at simulated time `ms`.
    pub fn publish(&self, shown: &SignalState, samples: &[DetectorSample], ms: u64) {
        let flash_on = (ms / FLASH_HALF_PERIOD.as_millis() as u64) % 2 == 0;
        let dead = self.dead.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut banks = self.modules.lock();
        for (g, sensing) in self.cabinet.feedback.iter().enumerate() {
            let (Some(sensing), Some(&aspect)) = (sensing, shown.aspects().get(g)) else {
                continue;
            };
            let mut on = lamps::lit(self.cabinet.kinds[g], aspect, flash_on);
            for &(_, lamp) in dead.iter().filter(|(group, _)| *group == g) {
                on[lamp as usize] = false;
            }
            for (input, v) in sensing.iter().zip(on) {
                if let Some(i) = input {
                    banks[i.module].set_input(i.input, v);
                }
            }
        }
        for (wired, s) in self.cabinet.detectors.iter().zip(samples) {
            let Some(d) = wired else { continue };
            banks[d.presence.module].set_input(d.presence.input, s.presence);
            if let Some(f) = &d.fault {
                banks[f.module].set_input(f.input, s.fault.is_fault());
            }
            if let Some(c) = d.presence.counter {
                let bank = &mut banks[d.presence.module];
                let table = match c.table {
                    RegisterTable::Input => &mut bank.input_registers,
                    RegisterTable::Holding => &mut bank.holding,
                };
                let low_at = match (c.registers, c.word_order) {
                    (2, WordOrder::HighFirst) => c.address + 1,
                    _ => c.address,
                };
                table.insert(low_at, s.count);
            }
        }
    }
}

/// A US pedestrian head after walk: its don't walk lit or dark in turn is the flashing don't
/// walk (MUTCD 4I.02), which begins with either half; a don't walk held longer than a flash
/// half (plus slack) is steady. `None` where this does not decide.
fn us_walk_ends(
    region: Region,
    kind: GroupKind,
    before: Aspect,
    lit: [bool; 3],
    held_ms: u64,
) -> Option<Aspect> {
    let flash_half_ms = FLASH_HALF_PERIOD.as_millis() as u64 + 150;
    let dont_walk = [true, false, false];
    if region != Region::Us || kind != GroupKind::Pedestrian {
        return None;
    }
    match before {
        Aspect::Green | Aspect::FlashingDontWalk if lit == [false; 3] => {
            Some(Aspect::FlashingDontWalk)
        }
        Aspect::Green => (lit == dont_walk).then_some(Aspect::FlashingDontWalk),
        Aspect::FlashingDontWalk if lit == dont_walk => Some(if held_ms > flash_half_ms {
            Aspect::Red
        } else {
            Aspect::FlashingDontWalk
        }),
        _ => None,
    }
}
