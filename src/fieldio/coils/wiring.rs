//! The cabinet's wiring: which module terminal drives each lamp of each signal group, which
//! input senses it, and which input each detector channel's card relay closes. Resolved from
//! the cabinet config's `[[modules]]`, `[lamps]`, `[feedback]` and `[detectors]` against the
//! modules' device profiles and the intersection, with every problem named by its key and
//! terminal: a terminal used twice, a group without all the lamps its aspects need (EN 12368
//! heads: red, amber, green; pedestrian heads red and green), an input used as an output, a
//! module driving lamps without its watchdog.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use greenwave_controllers::model::GroupKind;
use greenwave_controllers::site::Site;

use super::profile::{Counter, Profile, Terminal};

mod spec;
pub use spec::{DetectorSpec, LampsSpec, ModuleSpec};

/// A lamp of a signal head.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lamp {
    /// Red, or a pedestrian head's don't walk.
    Red = 0,
    /// Amber.
    Amber = 1,
    /// Green, or a pedestrian head's walk: the go lamp.
    Green = 2,
}

impl Lamp {
    /// Every lamp.
    pub const ALL: [Lamp; 3] = [Lamp::Red, Lamp::Amber, Lamp::Green];

    /// Its config key.
    pub fn name(self) -> &'static str {
        ["red", "amber", "green"][self as usize]
    }

    /// The lamps a group of `kind` must have.
    pub fn needed(kind: GroupKind) -> &'static [Lamp] {
        match kind {
            GroupKind::Vehicle => &Lamp::ALL,
            GroupKind::Pedestrian => &[Lamp::Red, Lamp::Green],
        }
    }
}

/// A module, resolved.
#[derive(Clone, Debug)]
pub struct Module {
    /// Its name.
    pub name: String,
    /// Its profile's file stem.
    pub profile_id: String,
    /// Its profile.
    pub profile: Profile,
    /// `host:port`.
    pub address: String,
    /// Unit id.
    pub unit: u8,
    /// Watchdog timeout, ms (set on every module with a watchdog that drives lamps).
    pub watchdog_ms: Option<u32>,
}

/// An output terminal in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Index into [`CoilCabinet::modules`].
    pub module: usize,
    /// Its coil.
    pub coil: u16,
    /// `module.TERMINAL`.
    pub name: String,
}

/// An input terminal in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Index into [`CoilCabinet::modules`].
    pub module: usize,
    /// Its discrete input.
    pub input: u16,
    /// Its hardware counter, if the module has one on it.
    pub counter: Option<Counter>,
    /// `module.TERMINAL`.
    pub name: String,
}

/// One channel's inputs, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectorInputs {
    /// Presence.
    pub presence: Input,
    /// The card's fault relay.
    pub fault: Option<Input>,
}

/// A cabinet of commodity I/O modules, wired.
#[derive(Clone, Debug)]
pub struct CoilCabinet {
    /// The modules.
    pub modules: Vec<Module>,
    /// Each group's kind.
    pub kinds: Vec<GroupKind>,
    /// Each group's lamps, indexed by [`Lamp`].
    pub lamps: Vec<[Option<Output>; 3]>,
    /// Each group's lamp sensing, if wired.
    pub feedback: Vec<Option<[Option<Input>; 3]>>,
    /// Each detector channel's inputs.
    pub detectors: Vec<Option<DetectorInputs>>,
}

/// The wiring sections of a cabinet config.
pub struct WiringSpec<'a> {
    /// `[[modules]]`.
    pub modules: &'a [ModuleSpec],
    /// `[lamps]`.
    pub lamps: &'a BTreeMap<String, LampsSpec>,
    /// `[feedback]`.
    pub feedback: &'a BTreeMap<String, LampsSpec>,
    /// `[detectors]`, by channel number.
    pub detectors: &'a BTreeMap<String, DetectorSpec>,
}

/// Terminals already used, by reference, with the key that used them.
type Used = BTreeMap<(usize, String), String>;

impl CoilCabinet {
    /// Resolves the wiring of `site` in the config at `path`; every problem, each naming its
    /// key and terminal.
    pub fn resolve(
        path: &Path,
        site: &Site,
        spec: &WiringSpec,
    ) -> Result<Arc<CoilCabinet>, Vec<String>> {
        let mut problems = Vec::new();
        let modules = modules(path, spec.modules, &mut problems);
        let mut used = Used::new();
        let r = Resolver { modules: &modules };
        let ix = &site.intersection;
        let mut lamps = vec![[None, None, None]; ix.groups().len()];
        let mut feedback = vec![None; ix.groups().len()];
        for (table, key) in [(spec.lamps, "lamps"), (spec.feedback, "feedback")] {
            for id in table.keys() {
                if ix.group_by_id(id).is_none() {
                    problems.push(format!(
                        "{key}.{id}: the intersection has no signal group `{id}`"
                    ));
                }
            }
        }
        for (g, group) in ix.groups().iter().enumerate() {
            let id = &group.id;
            let needed = Lamp::needed(group.kind);
            let Some(wired) = spec.lamps.get(id) else {
                problems.push(format!(
                    "lamps.{id}: missing; group {id} needs {}",
                    names(needed)
                ));
                continue;
            };
            for lamp in Lamp::ALL {
                let key = format!("lamps.{id}.{}", lamp.name());
                match (lamp_of(wired, lamp), needed.contains(&lamp)) {
                    (Some(t), _) => {
                        lamps[g][lamp as usize] = r.output(&key, t, &mut used, &mut problems)
                    }
                    (None, true) => problems.push(format!(
                        "{key}: missing; a {} group needs {}",
                        kind_name(group.kind),
                        names(needed)
                    )),
                    (None, false) => {}
                }
            }
            if let Some(sensed) = spec.feedback.get(id) {
                let mut inputs = [None, None, None];
                for lamp in Lamp::ALL {
                    let key = format!("feedback.{id}.{}", lamp.name());
                    match (lamp_of(sensed, lamp), lamp_of(wired, lamp)) {
                        (Some(t), Some(_)) => {
                            inputs[lamp as usize] = r.input(&key, t, &mut used, &mut problems)
                        }
                        (Some(_), None) => {
                            problems.push(format!("{key}: senses a lamp the group does not have"))
                        }
                        (None, Some(_)) => problems.push(format!(
                            "{key}: missing; lamp sensing covers every lamp of the group or none"
                        )),
                        (None, None) => {}
                    }
                }
                feedback[g] = Some(inputs);
            }
        }
        let detectors = detectors(site, spec.detectors, &r, &mut used, &mut problems);
        for (i, m) in modules.iter().enumerate() {
            let drives = lamps.iter().flatten().flatten().any(|o| o.module == i);
            if drives && m.profile.watchdog.is_some() && m.watchdog_ms.is_none() {
                problems.push(format!(
                    "modules[{i}].watchdog_ms: missing; module `{}` drives lamps, and its \
                     watchdog is what puts them out when this daemon dies (e.g. 1000)",
                    m.name
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Arc::new(CoilCabinet {
            kinds: ix.groups().iter().map(|g| g.kind).collect(),
            modules,
            lamps,
            feedback,
            detectors,
        }))
    }

    /// Groups whose lamps are on more than one module: their changes are not atomic.
    pub fn split_groups(&self, site: &Site) -> Vec<String> {
        let groups = site.intersection.groups();
        self.lamps
            .iter()
            .zip(groups)
            .filter(|(lamps, _)| {
                let mut modules = lamps.iter().flatten().map(|o| o.module);
                let first = modules.next();
                modules.any(|m| Some(m) != first)
            })
            .map(|(_, g)| g.id.clone())
            .collect()
    }
}

fn names(lamps: &[Lamp]) -> String {
    lamps
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Vehicle => "vehicle",
        GroupKind::Pedestrian => "pedestrian",
    }
}

fn lamp_of(spec: &LampsSpec, lamp: Lamp) -> Option<&String> {
    match lamp {
        Lamp::Red => spec.red.as_ref(),
        Lamp::Amber => spec.amber.as_ref(),
        Lamp::Green => spec.green.as_ref(),
    }
}

/// The modules with their profiles loaded.
fn modules(path: &Path, specs: &[ModuleSpec], problems: &mut Vec<String>) -> Vec<Module> {
    let mut out: Vec<Module> = Vec::new();
    for (i, m) in specs.iter().enumerate() {
        let key = format!("modules[{i}]");
        let before = problems.len();
        if m.name.is_empty() || m.name.contains(['.', ' ']) {
            problems.push(format!(
                "{key}.name: `{}` is not a module name (no dots or spaces)",
                m.name
            ));
        }
        if out.iter().any(|o| o.name == m.name) {
            problems.push(format!("{key}.name: module `{}` is named twice", m.name));
        }
        if !(1..=247).contains(&m.unit_id) {
            problems.push(format!(
                "{key}.unit_id: {} is out of range (1 to 247)",
                m.unit_id
            ));
        }
        if !matches!(m.address.rsplit_once(':').map(|(_, p)| p.parse::<u16>()), Some(Ok(p)) if p > 0)
        {
            problems.push(format!(
                "{key}.address: `{}` is not host:port (port 1 to 65535)",
                m.address
            ));
        }
        if let Some(ms) = m.watchdog_ms
            && !(100..=60_000).contains(&ms)
        {
            let why = if ms == 0 {
                "0 switches the watchdog off, which is refused"
            } else {
                "out of range"
            };
            problems.push(format!("{key}.watchdog_ms: {ms}: {why} (100 to 60000)"));
        }
        let file = greenwave_controllers::load::beside(path, &m.profile);
        let profile = Profile::load(&file).map_err(|e| {
            for line in e.lines() {
                problems.push(format!("{key}.profile: {}: {line}", file.display()));
            }
        });
        let Ok(profile) = profile else { continue };
        if let (Some(ms), Some(w)) = (m.watchdog_ms, &profile.watchdog)
            && (ms % w.unit_ms != 0 || ms / w.unit_ms > u32::from(u16::MAX))
        {
            problems.push(format!(
                "{key}.watchdog_ms: {ms} is not a whole number of the module's {} ms units below 65536 of them",
                w.unit_ms
            ));
        }
        if problems.len() > before {
            continue;
        }
        out.push(Module {
            name: m.name.clone(),
            profile_id: file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            profile,
            address: m.address.clone(),
            unit: m.unit_id as u8,
            watchdog_ms: m.watchdog_ms,
        });
    }
    out
}

/// The detector channels of the site, each wired to an input.
fn detectors(
    site: &Site,
    specs: &BTreeMap<String, DetectorSpec>,
    r: &Resolver,
    used: &mut Used,
    problems: &mut Vec<String>,
) -> Vec<Option<DetectorInputs>> {
    let channels = site.channels();
    let needed: std::collections::BTreeSet<usize> = site
        .approaches
        .iter()
        .flat_map(|a| a.detectors.iter().map(|d| usize::from(d.channel)))
        .collect();
    let mut out = vec![None; channels];
    for (key, spec) in specs {
        let channel = key.parse::<usize>().ok().filter(|c| needed.contains(c));
        let Some(c) = channel else {
            problems.push(format!(
                "detectors.{key}: not a detector channel of this site (it has {})",
                needed
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        };
        let presence = r.input(
            &format!("detectors.{key}.presence"),
            &spec.presence,
            used,
            problems,
        );
        let fault = spec
            .fault
            .as_ref()
            .and_then(|t| r.input(&format!("detectors.{key}.fault"), t, used, problems));
        out[c] = presence.map(|presence| DetectorInputs { presence, fault });
    }
    for c in &needed {
        if !specs.keys().any(|k| k.parse::<usize>().ok() == Some(*c)) {
            problems.push(format!(
                "detectors.{c}: missing; channel {c} has a loop in the corridor model (its card's presence relay goes to an input)"
            ));
        }
    }
    out
}

/// Looks up terminal references.
struct Resolver<'a> {
    modules: &'a [Module],
}

impl Resolver<'_> {
    /// The module index and terminal of `module.TERMINAL`, recorded as used by `key`.
    fn terminal(
        &self,
        key: &str,
        reference: &str,
        used: &mut Used,
    ) -> Result<(usize, Terminal), String> {
        let Some((module, name)) = reference.split_once('.') else {
            return Err(format!(
                "{key}: `{reference}` is not a terminal (module.TERMINAL, e.g. io.DO3)"
            ));
        };
        let Some(m) = self.modules.iter().position(|m| m.name == module) else {
            let known: Vec<&str> = self.modules.iter().map(|m| m.name.as_str()).collect();
            return Err(format!(
                "{key}: `{reference}`: no module `{module}` (modules: {})",
                known.join(", ")
            ));
        };
        let Some(terminal) = self.modules[m].profile.terminals.get(name) else {
            return Err(format!(
                "{key}: `{reference}`: module `{module}` ({}) has no terminal {name}",
                self.modules[m].profile.name
            ));
        };
        if let Some(other) = used.insert((m, name.to_owned()), key.to_owned()) {
            return Err(format!(
                "{key}: terminal {reference} is used twice (also by {other})"
            ));
        }
        Ok((m, *terminal))
    }

    fn output(
        &self,
        key: &str,
        reference: &str,
        used: &mut Used,
        problems: &mut Vec<String>,
    ) -> Option<Output> {
        match self.terminal(key, reference, used) {
            Ok((module, Terminal::Output(coil))) => Some(Output {
                module,
                coil,
                name: reference.to_owned(),
            }),
            Ok(_) => {
                problems.push(format!(
                    "{key}: {reference} is an input; a lamp is driven by an output"
                ));
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        }
    }

    fn input(
        &self,
        key: &str,
        reference: &str,
        used: &mut Used,
        problems: &mut Vec<String>,
    ) -> Option<Input> {
        match self.terminal(key, reference, used) {
            Ok((module, Terminal::Input(input, counter))) => Some(Input {
                module,
                input,
                counter,
                name: reference.to_owned(),
            }),
            Ok(_) => {
                problems.push(format!(
                    "{key}: {reference} is an output; this needs an input"
                ));
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
