//! A wiring made up for a site from one device profile: every group's lamps on the profile's
//! outputs in order, then every detector channel's presence and, if asked, every lamp's sensing
//! on its inputs, as many modules as that takes (unit ids 1, 2, ...; one address, as behind a
//! gateway). What the virtual cabinet serves and `greenwave demo --profile` wires the daemons
//! to; a starting point for a real cabinet's `[lamps]` and `[detectors]`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use greenwave_controllers::site::Site;

use super::profile::{Profile, Terminal};
use super::wiring::{DetectorSpec, Lamp, LampsSpec, ModuleSpec};

/// The wiring sections of a cabinet config.
#[derive(Clone, Debug, Serialize)]
pub struct Wiring {
    /// `[[modules]]`.
    pub modules: Vec<ModuleSpec>,
    /// `[lamps]`.
    pub lamps: BTreeMap<String, LampsSpec>,
    /// `[feedback]`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub feedback: BTreeMap<String, LampsSpec>,
    /// `[detectors]`.
    pub detectors: BTreeMap<String, DetectorSpec>,
}

/// Terminals handed out in address order, module after module.
struct Terminals {
    names: Vec<String>,
    next: usize,
    module: usize,
}

impl Terminals {
    fn new(profile: &Profile, outputs: bool) -> Terminals {
        let mut named: Vec<(u16, &String)> = profile
            .terminals
            .iter()
            .filter_map(|(name, t)| match (t, outputs) {
                (Terminal::Output(a), true) | (Terminal::Input(a, _), false) => Some((*a, name)),
                _ => None,
            })
            .collect();
        named.sort();
        Terminals {
            names: named.into_iter().map(|(_, n)| n.clone()).collect(),
            next: 0,
            module: 0,
        }
    }

    /// Moves on to the next module unless `n` terminals are left on this one (a group's lamps
    /// on one module, so that its changes are one request).
    fn keep_together(&mut self, n: usize) {
        if self.next > 0 && self.names.len() - self.next < n && n <= self.names.len() {
            self.next = self.names.len();
        }
    }

    /// The next terminal as `mN.NAME`.
    fn take(&mut self) -> String {
        if self.next == self.names.len() {
            self.next = 0;
            self.module += 1;
        }
        self.next += 1;
        format!("m{}.{}", self.module + 1, self.names[self.next - 1])
    }

    fn modules(&self) -> usize {
        if self.next == 0 {
            self.module
        } else {
            self.module + 1
        }
    }
}

impl Wiring {
    /// Wires `site` to modules of `profile` (the file at `profile_path`) at `address`.
    pub fn generate(
        site: &Site,
        profile_path: &Path,
        profile: &Profile,
        address: &str,
        sense_lamps: bool,
    ) -> Result<Wiring, String> {
        let mut outputs = Terminals::new(profile, true);
        let mut inputs = Terminals::new(profile, false);
        if outputs.names.is_empty()
            || (inputs.names.is_empty() && (sense_lamps || site.channels() > 0))
        {
            return Err(format!(
                "profile {}: a generated wiring needs a module with both outputs and inputs",
                profile_path.display()
            ));
        }
        let mut lamps = BTreeMap::new();
        let mut feedback = BTreeMap::new();
        let mut detectors = BTreeMap::new();
        let groups = site.intersection.groups();
        for g in groups {
            let mut spec = LampsSpec::default();
            outputs.keep_together(Lamp::needed(g.kind).len());
            for &lamp in Lamp::needed(g.kind) {
                set(&mut spec, lamp, outputs.take());
            }
            lamps.insert(g.id.clone(), spec);
        }
        let mut channels: Vec<u8> = site
            .approaches
            .iter()
            .flat_map(|a| a.detectors.iter().map(|d| d.channel))
            .collect();
        channels.sort_unstable();
        for c in channels {
            detectors.insert(
                c.to_string(),
                DetectorSpec {
                    presence: inputs.take(),
                    fault: None,
                },
            );
        }
        if sense_lamps {
            for g in groups {
                let mut spec = LampsSpec::default();
                for &lamp in Lamp::needed(g.kind) {
                    set(&mut spec, lamp, inputs.take());
                }
                feedback.insert(g.id.clone(), spec);
            }
        }
        let n = outputs.modules().max(inputs.modules());
        let modules = (1..=n)
            .map(|k| ModuleSpec {
                name: format!("m{k}"),
                profile: profile_path.display().to_string(),
                address: address.to_owned(),
                unit_id: k as u16,
                watchdog_ms: profile
                    .watchdog
                    .as_ref()
                    .map(|w| 2500u32.div_ceil(w.unit_ms) * w.unit_ms),
            })
            .collect();
        Ok(Wiring {
            modules,
            lamps,
            feedback,
            detectors,
        })
    }

    /// As TOML sections, to add to a cabinet config.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

fn set(spec: &mut LampsSpec, lamp: Lamp, terminal: String) {
    match lamp {
        Lamp::Red => spec.red = Some(terminal),
        Lamp::Amber => spec.amber = Some(terminal),
        Lamp::Green => spec.green = Some(terminal),
    }
}
