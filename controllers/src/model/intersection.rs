//! The validated intersection: groups, the conflict matrix with intergreens, and stages.
//!
//! Built only through [`Intersection::from_spec`], which checks everything EN 12675 asks of a
//! signal plan's structure: every conflicting pair has an intergreen in both directions, no
//! intergreen is shorter than the clearing group's amber, and no stage holds two conflicting
//! groups. Everything downstream (sequencer, interlock, plans, controllers) may rely on it.

use std::collections::{BTreeMap, BTreeSet};

use super::aspect::{Aspect, AspectSequence, GroupKind, Region, SequenceTimings, Step};
use super::group::{Approach, GroupIndex, Movement, SignalGroup, Turn};
use super::preemption::{self, PreemptionRules};
use super::priority::{self, PriorityRules};
use super::spec::{GroupSpec, IntersectionSpec};
use super::{nema, pedestrian};
use crate::error::{Collector, Problems};
use crate::time::Duration;

/// The most signal groups one intersection may have (the cabinet register map's limit).
pub const MAX_GROUPS: usize = 32;

/// Index of a stage within its intersection.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct StageIndex(pub u8);

impl StageIndex {
    /// As a `usize`, for indexing.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// A set of signal groups, as a bit mask (at most [`MAX_GROUPS`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct GroupSet(u32);

impl GroupSet {
    /// The empty set.
    pub const EMPTY: GroupSet = GroupSet(0);

    /// Whether `g` is in the set.
    pub const fn contains(self, g: GroupIndex) -> bool {
        self.0 & (1 << g.0) != 0
    }

    /// The set with `g` added.
    #[must_use]
    pub const fn with(self, g: GroupIndex) -> GroupSet {
        GroupSet(self.0 | (1 << g.0))
    }

    /// Members, in index order.
    pub fn iter(self) -> impl Iterator<Item = GroupIndex> {
        (0..MAX_GROUPS as u8)
            .filter(move |i| self.0 & (1 << i) != 0)
            .map(GroupIndex)
    }

    /// Members of `self` not in `other`.
    #[must_use]
    pub const fn minus(self, other: GroupSet) -> GroupSet {
        GroupSet(self.0 & !other.0)
    }
}

/// A stage: groups that may be green together.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Stage {
    /// The stage's id in the file.
    pub id: String,
    /// Its groups.
    pub groups: GroupSet,
}

/// A validated intersection.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Intersection {
    name: Option<String>,
    region: Region,
    timings: SequenceTimings,
    startup_all_red: Duration,
    groups: Vec<SignalGroup>,
    preemption: PreemptionRules,
    priority: PriorityRules,
    /// `intergreens[clearing * n + entering]`, `None` where the pair does not conflict.
    intergreens: Vec<Option<Duration>>,
    stages: Vec<Stage>,
    /// Compiled from the NEMA eight-phase preset (four legs on the compass points).
    nema: bool,
    /// Where its intergreens come from.
    intergreens_from: IntergreensFrom,
}

/// Where an intersection's intergreens come from.
#[derive(Clone, Debug, PartialEq)]
enum IntergreensFrom {
    /// Its file.
    File,
    /// Those its file does not give are still to come from a corridor's geometry: the file,
    /// kept until then.
    Pending(Box<IntersectionSpec>),
    /// Those its file does not give came from its corridor node's geometry.
    Geometry,
}

// The file's numbers were checked finite when the intersection was built.
impl Eq for IntergreensFrom {}

impl Intersection {
    /// Validates a parsed file; every problem found is returned, each naming its field.
    pub fn from_spec(spec: &IntersectionSpec) -> Result<Intersection, Problems> {
        match &spec.nema {
            Some(preset) => {
                let mut out = Collector::default();
                for (field, present) in [
                    ("groups", !spec.groups.is_empty()),
                    ("intergreens_s", !spec.intergreens_s.is_empty()),
                    ("stages", !spec.stages.is_empty()),
                    ("derive_intergreens", spec.derive_intergreens),
                ] {
                    if present {
                        out.push(field, "cannot be given beside a `[nema]` preset");
                    }
                }
                if spec.region != Region::Us {
                    out.push(
                        "region",
                        format!("a `[nema]` preset runs region `us`, not `{}`", spec.region),
                    );
                }
                match nema::compile(preset, &spec.timings) {
                    Ok(explicit) if out.is_clean() => Self::from_explicit(&IntersectionSpec {
                        name: spec.name.clone(),
                        pedestrians: spec.pedestrians.clone(),
                        preemption: spec.preemption.clone(),
                        priority: spec.priority.clone(),
                        ..explicit
                    })
                    .map(|ix| Intersection { nema: true, ..ix }),
                    Ok(_) => Err(out.into_problems()),
                    Err(problems) => {
                        out.absorb(problems);
                        Err(out.into_problems())
                    }
                }
            }
            None => Self::from_explicit(spec),
        }
    }

    fn from_explicit(spec: &IntersectionSpec) -> Result<Intersection, Problems> {
        let mut out = Collector::default();
        let timings = sequence_timings(spec, &mut out);

        if spec.groups.is_empty() {
            out.push("groups", "an intersection needs at least one signal group");
        }
        if spec.groups.len() > MAX_GROUPS {
            out.push(
                "groups",
                format!(
                    "{} groups, at most {MAX_GROUPS} are supported",
                    spec.groups.len()
                ),
            );
        }
        let mut index = BTreeMap::new();
        let mut groups = Vec::with_capacity(spec.groups.len());
        for (i, g) in spec.groups.iter().enumerate().take(MAX_GROUPS) {
            let field = format!("groups[{i}]");
            if g.id.trim().is_empty() {
                out.push(format!("{field}.id"), "a group id may not be empty");
            } else if index.insert(g.id.as_str(), GroupIndex(i as u8)).is_some() {
                out.push(
                    format!("{field}.id"),
                    format!("group `{}` is defined twice", g.id),
                );
            }
            let min = out.seconds(format!("{field}.min_green_s"), g.min_green_s, 1.0, 120.0);
            let max = out.seconds(format!("{field}.max_green_s"), g.max_green_s, 1.0, 300.0);
            if let (Some(min), Some(max)) = (min, max)
                && max < min
            {
                out.push(
                    format!("{field}.max_green_s"),
                    format!("maximum green {max} s is below the minimum green {min} s"),
                );
            }
            for (m, movement) in g.movements.iter().enumerate() {
                let crossing = movement.turn == Turn::Crossing;
                if crossing != (g.kind == GroupKind::Pedestrian) {
                    out.push(
                        format!("{field}.movements[{m}].turn"),
                        format!(
                            "a {} group cannot serve `{}`",
                            kind_name(g.kind),
                            movement.turn
                        ),
                    );
                }
            }
            groups.push(signal_group(spec, g, &field, &timings, &mut out));
        }

        u_turns_with_the_left(&mut groups);
        let n = groups.len();
        let intergreens = intergreens_of(spec, &index, &groups, &mut out);
        if spec.derive_intergreens && !matches!(spec.region, Region::Eu | Region::PostSoviet) {
            out.push(
                "derive_intergreens",
                format!(
                    "intergreens come from the geometry (EN 12675) in regions `eu` and \
                     `post_soviet`; region `{}` gives its change and clearance intervals",
                    spec.region
                ),
            );
        }

        let stages = compile_stages(spec, &index, &intergreens, n, &mut out);
        for (g, group) in groups.iter().enumerate() {
            let served = stages
                .iter()
                .any(|s: &Stage| s.groups.contains(GroupIndex(g as u8)));
            if !served && !spec.stages.is_empty() {
                out.push(
                    format!("groups[{g}]"),
                    format!(
                        "group `{}` is in no stage, so it would never be served",
                        group.id
                    ),
                );
            }
        }

        let max_intergreen = intergreens.iter().flatten().copied().max();
        let startup_all_red = match spec.timings.startup_all_red_s {
            Some(s) => out
                .seconds("timings.startup_all_red_s", s, 0.0, 60.0)
                .map(Duration::from_secs_f64)
                .unwrap_or_default(),
            None => max_intergreen.unwrap_or(timings.amber),
        };

        let preemption = preemption::rules(&spec.preemption, &groups, &stages, &mut out);
        let priority = priority::rules(&spec.priority, &mut out);
        out.finish(|| Intersection {
            name: spec.name.clone(),
            region: spec.region,
            timings,
            startup_all_red,
            preemption,
            priority,
            groups,
            intergreens,
            stages,
            nema: false,
            intergreens_from: if spec.derive_intergreens {
                IntergreensFrom::Pending(Box::new(spec.clone()))
            } else {
                IntergreensFrom::File
            },
        })
    }

    /// Whether its intergreens are still to be derived from a corridor's geometry
    /// (`derive_intergreens`): until then the pairs not given do not conflict.
    pub fn derives_intergreens(&self) -> bool {
        matches!(self.intergreens_from, IntergreensFrom::Pending(_))
    }

    /// The intersection with the intergreens `derived` (clearing, entering, seconds) from the
    /// geometry for every pair its file does not give and no stage runs together, each at least
    /// the clearing group's amber and pedestrian clearance. Itself when nothing is pending.
    pub fn with_derived_intergreens(
        &self,
        derived: impl IntoIterator<Item = (GroupIndex, GroupIndex, f64)>,
    ) -> Result<Intersection, Problems> {
        let IntergreensFrom::Pending(spec) = &self.intergreens_from else {
            return Ok(self.clone());
        };
        let mut spec = (**spec).clone();
        spec.derive_intergreens = false;
        for (c, e, secs) in derived {
            let together = self
                .stages
                .iter()
                .any(|s| s.groups.contains(c) && s.groups.contains(e));
            let (from, to) = (&self.groups[c.get()], &self.groups[e.get()]);
            let row = spec.intergreens_s.entry(from.id.clone()).or_default();
            if together || row.contains_key(&to.id) {
                continue;
            }
            let least = from
                .sequence
                .clearance()
                .max(pedestrian_clearance(from).unwrap_or_default());
            row.insert(to.id.clone(), secs.max(least.as_secs_f64()));
        }
        spec.intergreens_s.retain(|_, row| !row.is_empty());
        Intersection::from_spec(&spec).map(|ix| Intersection {
            intergreens_from: IntergreensFrom::Geometry,
            ..ix
        })
    }

    /// Whether the intergreens its file does not give came from its corridor node's geometry.
    pub fn intergreens_derived(&self) -> bool {
        self.intergreens_from == IntergreensFrom::Geometry
    }

    /// Whether it was compiled from the NEMA eight-phase preset, which fits four legs on the
    /// compass points (`nb`, `eb`, `sb`, `wb`), or three of them.
    pub fn is_nema_preset(&self) -> bool {
        self.nema
    }

    /// How emergency preemption runs here.
    pub fn preemption(&self) -> &PreemptionRules {
        &self.preemption
    }

    /// How transit signal priority runs here.
    pub fn priority(&self) -> &PriorityRules {
        &self.priority
    }

    /// The name given in the file.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The aspect sequence practice.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Durations of the transitional aspects.
    pub fn timings(&self) -> &SequenceTimings {
        &self.timings
    }

    /// All red shown at start-up and after a reset.
    pub fn startup_all_red(&self) -> Duration {
        self.startup_all_red
    }

    /// The signal groups, by index.
    pub fn groups(&self) -> &[SignalGroup] {
        &self.groups
    }

    /// One group.
    pub fn group(&self, g: GroupIndex) -> &SignalGroup {
        &self.groups[g.get()]
    }

    /// The index of the group with this id.
    pub fn group_by_id(&self, id: &str) -> Option<GroupIndex> {
        self.groups
            .iter()
            .position(|g| g.id == id)
            .map(|i| GroupIndex(i as u8))
    }

    /// Every group index.
    pub fn group_indices(&self) -> impl Iterator<Item = GroupIndex> + use<> {
        (0..self.groups.len() as u8).map(GroupIndex)
    }

    /// The intergreen from the end of `clearing`'s green to the start of `entering`'s, or `None`
    /// when they do not conflict.
    pub fn intergreen(&self, clearing: GroupIndex, entering: GroupIndex) -> Option<Duration> {
        self.intergreens[clearing.get() * self.groups.len() + entering.get()]
    }

    /// Whether two groups conflict.
    pub fn conflicts(&self, a: GroupIndex, b: GroupIndex) -> bool {
        self.intergreen(a, b).is_some()
    }

    /// The stages, by index.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// One stage.
    pub fn stage(&self, s: StageIndex) -> &Stage {
        &self.stages[s.get()]
    }

    /// The green bounds of a stage from its groups: the largest of their minimum greens and
    /// the smallest of their maximum greens.
    pub fn stage_green_bounds(&self, s: StageIndex) -> (Duration, Duration) {
        let groups = self.stage(s).groups;
        let min = groups
            .iter()
            .map(|g| self.group(g).min_green)
            .max()
            .unwrap_or_default();
        let max = groups
            .iter()
            .map(|g| self.group(g).max_green)
            .min()
            .unwrap_or_default();
        (min, max)
    }

    /// The index of the stage with this id.
    pub fn stage_by_id(&self, id: &str) -> Option<StageIndex> {
        self.stages
            .iter()
            .position(|s| s.id == id)
            .map(|i| StageIndex(i as u8))
    }
}

/// Group `g` (at `field`) with its aspect sequence and, for a pedestrian group, its walk and
/// clearance (a US walk ends in a flashing don't walk as long as the clearance).
fn signal_group(
    spec: &IntersectionSpec,
    g: &GroupSpec,
    field: &str,
    timings: &SequenceTimings,
    out: &mut Collector,
) -> SignalGroup {
    let pedestrian = (g.kind == GroupKind::Pedestrian)
        .then(|| pedestrian::timing(spec.region, &spec.pedestrians, g, field, out));
    let mut sequence = AspectSequence::for_group(spec.region, g.kind, timings);
    let mut min_green_s = g.min_green_s;
    if let Some(p) = &pedestrian {
        min_green_s = pedestrian::walk_s(spec.region, g);
        if p.timed_walk {
            sequence.after_green = vec![Step {
                aspect: Aspect::FlashingDontWalk,
                duration: p.clearance,
            }];
        }
    } else if let Some(field_name) = pedestrian_only_field(g) {
        out.push(
            format!("{field}.{field_name}"),
            format!("`{field_name}` applies to pedestrian groups only"),
        );
    }
    SignalGroup {
        id: g.id.clone(),
        kind: g.kind,
        movements: g.movements.clone(),
        min_green: Duration::from_secs_f64(min_green_s),
        max_green: Duration::from_secs_f64(g.max_green_s.max(min_green_s)),
        sequence,
        pedestrian,
    }
}

/// U-turns no group serves run with their approach's left-most left turn (sharp, plain or
/// slight), from the lanes that allow them (MUTCD 2B.18 and RiLSA practice: a U-turn is made
/// from the left-turn lane on its signal unless signed otherwise).
fn u_turns_with_the_left(groups: &mut [SignalGroup]) {
    let serving = |groups: &[SignalGroup], approach: Approach, turn: Turn| {
        groups.iter().position(|g| {
            g.movements
                .iter()
                .any(|m| m.approach == approach && m.turn == turn)
        })
    };
    let approaches: BTreeSet<Approach> = groups
        .iter()
        .flat_map(|g| &g.movements)
        .map(|m| m.approach)
        .collect();
    for approach in approaches {
        if serving(groups, approach, Turn::UTurn).is_some() {
            continue;
        }
        let left = [Turn::SharpLeft, Turn::Left, Turn::SlightLeft]
            .into_iter()
            .find_map(|t| serving(groups, approach, t));
        if let Some(g) = left {
            groups[g].movements.push(Movement {
                approach,
                turn: Turn::UTurn,
                lanes: vec![],
            });
        }
    }
}

/// A pedestrian-only field given for a vehicle group, if any.
fn pedestrian_only_field(g: &GroupSpec) -> Option<&'static str> {
    [
        ("walk_s", g.walk_s.is_some()),
        ("crossing_m", g.crossing_m.is_some()),
        ("clearance_s", g.clearance_s.is_some()),
        ("recall", g.recall),
        ("rest_in_walk", g.rest_in_walk),
    ]
    .into_iter()
    .find_map(|(name, given)| given.then_some(name))
}

fn kind_name(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Vehicle => "vehicle",
        GroupKind::Pedestrian => "pedestrian",
    }
}

fn sequence_timings(spec: &IntersectionSpec, out: &mut Collector) -> SequenceTimings {
    let t = &spec.timings;
    let default_red_amber = match spec.region {
        Region::Us => 0.0,
        Region::Eu => 1.0,
        Region::PostSoviet => 2.0,
    };
    let mut secs = |field: &str, given: Option<f64>, default: f64, min: f64, max: f64| {
        let value = given.unwrap_or(default);
        Duration::from_secs_f64(
            out.seconds(format!("timings.{field}"), value, min, max)
                .unwrap_or(default),
        )
    };
    let timings = SequenceTimings {
        amber: secs("amber_s", t.amber_s, 3.0, 1.0, 10.0),
        red_amber: secs("red_amber_s", t.red_amber_s, default_red_amber, 0.0, 5.0),
        flashing_green: secs("flashing_green_s", t.flashing_green_s, 3.0, 0.0, 10.0),
    };
    if spec.region != Region::Us && timings.red_amber == Duration::ZERO {
        out.push(
            "timings.red_amber_s",
            format!(
                "region `{}` shows red+amber before green: it needs more than 0 s",
                spec.region
            ),
        );
    }
    if spec.region == Region::PostSoviet && timings.flashing_green == Duration::ZERO {
        out.push(
            "timings.flashing_green_s",
            "region `post_soviet` shows flashing green before amber: it needs more than 0 s",
        );
    }
    timings
}

fn compile_stages(
    spec: &IntersectionSpec,
    index: &BTreeMap<&str, GroupIndex>,
    intergreens: &[Option<Duration>],
    n: usize,
    out: &mut Collector,
) -> Vec<Stage> {
    if spec.stages.is_empty() {
        out.push("stages", "an intersection needs at least one stage");
    }
    let mut ids = BTreeSet::new();
    let mut stages = Vec::with_capacity(spec.stages.len());
    for (s, stage) in spec.stages.iter().enumerate() {
        let field = format!("stages[{s}]");
        if stage.id.trim().is_empty() {
            out.push(format!("{field}.id"), "a stage id may not be empty");
        } else if !ids.insert(stage.id.as_str()) {
            out.push(
                format!("{field}.id"),
                format!("stage `{}` is defined twice", stage.id),
            );
        }
        if stage.groups.is_empty() {
            out.push(
                format!("{field}.groups"),
                format!("stage `{}` has no groups", stage.id),
            );
        }
        let mut set = GroupSet::EMPTY;
        let mut members: Vec<(GroupIndex, &str)> = Vec::new();
        for id in &stage.groups {
            match index.get(id.as_str()) {
                None => out.push(
                    format!("{field}.groups"),
                    format!("stage `{}` names unknown group `{id}`", stage.id),
                ),
                Some(&g) if set.contains(g) => out.push(
                    format!("{field}.groups"),
                    format!("stage `{}` names group `{id}` twice", stage.id),
                ),
                Some(&g) => {
                    for &(other, other_id) in &members {
                        if intergreens[other.get() * n + g.get()].is_some() {
                            out.push(
                                format!("{field}.groups"),
                                format!(
                                    "stage `{}` contains conflicting groups `{other_id}` and `{id}`",
                                    stage.id
                                ),
                            );
                        }
                    }
                    members.push((g, id));
                    set = set.with(g);
                }
            }
        }
        stages.push(Stage {
            id: stage.id.clone(),
            groups: set,
        });
    }
    if stages.len() > usize::from(u8::MAX) {
        out.push(
            "stages",
            format!("{} stages, at most 255 are supported", stages.len()),
        );
    }
    stages
}

/// The least intergreen after `clearing`'s green for its walkers to clear, where it is a timed
/// or measured pedestrian group. A flashing green after the walk (post-Soviet) is part of the
/// clearance.
fn pedestrian_clearance(clearing: &SignalGroup) -> Option<Duration> {
    clearing
        .pedestrian
        .filter(|p| p.timed_walk || p.crossing_cm.is_some())
        .map(|p| p.least_intergreen() - clearing.sequence.go_after_green())
}

/// The intergreen matrix (clearing x entering, `None` where two groups do not conflict): every
/// pair named, no shorter than the clearing group's amber, and given in both directions.
fn intergreens_of(
    spec: &IntersectionSpec,
    index: &BTreeMap<&str, GroupIndex>,
    groups: &[SignalGroup],
    out: &mut Collector,
) -> Vec<Option<Duration>> {
    let n = groups.len();
    let mut intergreens = vec![None; n * n];
    for (from, row) in &spec.intergreens_s {
        let Some(&fi) = index.get(from.as_str()) else {
            out.push(
                format!("intergreens_s.{from}"),
                format!("unknown group `{from}`"),
            );
            continue;
        };
        for (to, &secs) in row {
            let field = format!("intergreens_s.{from}.{to}");
            let Some(&ti) = index.get(to.as_str()) else {
                out.push(field, format!("unknown group `{to}`"));
                continue;
            };
            if fi == ti {
                out.push(field, format!("group `{from}` cannot conflict with itself"));
                continue;
            }
            let Some(secs) = out.seconds(field.clone(), secs, 0.0, 60.0) else {
                continue;
            };
            let ig = Duration::from_secs_f64(secs);
            let clearing = &groups[fi.get()];
            if let Some((p, least)) = clearing.pedestrian.zip(pedestrian_clearance(clearing)) {
                if ig < least {
                    out.push(
                        field,
                        format!(
                            "intergreen `{from} -> {to}` of {ig} is shorter than the pedestrian \
                             clearance of `{from}` ({least}: crossing time{})",
                            if p.buffer > Duration::ZERO {
                                " and buffer"
                            } else {
                                ""
                            }
                        ),
                    );
                    continue;
                }
            }
            let clearance = clearing.sequence.clearance();
            if ig < clearance {
                out.push(
                    field,
                    format!(
                        "intergreen `{from} -> {to}` of {ig} is shorter than the amber of `{from}` ({clearance})"
                    ),
                );
                continue;
            }
            intergreens[fi.get() * n + ti.get()] = Some(ig);
        }
    }
    // A conflict is symmetric: both directions need an intergreen. A timed pedestrian group's
    // intergreen towards a group that conflicts with it, when not given, is its clearance and
    // buffer.
    for a in 0..n {
        for b in 0..n {
            if intergreens[a * n + b].is_some()
                && intergreens[b * n + a].is_none()
                && let Some(p) = groups[b].pedestrian.filter(|p| p.timed_walk)
            {
                intergreens[b * n + a] = Some(p.least_intergreen());
            }
        }
    }
    // With intergreens to come from the geometry, a missing direction may come from there.
    for a in (0..n).filter(|_| !spec.derive_intergreens) {
        for b in 0..n {
            if intergreens[a * n + b].is_some() && intergreens[b * n + a].is_none() {
                let (from, to) = (&groups[b].id, &groups[a].id);
                let given = spec
                    .intergreens_s
                    .get(from.as_str())
                    .is_some_and(|row| row.contains_key(to.as_str()));
                if !given {
                    out.push(
                        format!("intergreens_s.{from}"),
                        format!("no intergreen given for `{from} -> {to}`"),
                    );
                }
            }
        }
    }
    intergreens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Aspect;
    use crate::test_support::*;

    #[test]
    fn nema_preset_compiles_to_eight_phases_and_eight_stages() {
        let ix = intersection(NEMA_4LEG);
        assert_eq!(ix.region(), Region::Us);
        let ids: Vec<&str> = ix.groups().iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7", "8"]);
        let stages: Vec<&str> = ix.stages().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            stages,
            ["1+5", "1+6", "2+5", "2+6", "3+7", "3+8", "4+7", "4+8"]
        );
        let g = |id| ix.group_by_id(id).unwrap();
        assert_eq!(ix.intergreen(g("2"), g("4")), Some(Duration::from_secs(6)));
        assert_eq!(ix.intergreen(g("2"), g("6")), None);
        assert_eq!(ix.group(g("1")).max_green, Duration::from_secs(25));
        assert_eq!(ix.group(g("2")).min_green, Duration::from_secs(7));
        let after: Vec<Aspect> = ix
            .group(g("2"))
            .sequence
            .after_green
            .iter()
            .map(|s| s.aspect)
            .collect();
        assert_eq!(after, [Aspect::Amber]);
        assert_eq!(ix.startup_all_red(), Duration::from_secs(6));
    }

    #[test]
    fn every_problem_in_a_file_is_reported_with_its_field() {
        let mut s = spec(EU_TWO_STAGE);
        s.groups[0].min_green_s = -1.0;
        s.intergreens_s
            .get_mut("K1")
            .unwrap()
            .insert("K9".into(), 4.0);
        s.stages[1].groups.push("K1".into());
        let err = Intersection::from_spec(&s).unwrap_err();
        let mut fields: Vec<&str> = err.iter().map(|p| p.field.as_str()).collect();
        fields.dedup();
        assert_eq!(
            fields,
            [
                "groups[0].min_green_s",
                "intergreens_s.K1.K9",
                "stages[1].groups"
            ],
            "{err}"
        );
        assert!(err.mentions("-1 s is out of range"), "{err}");
        assert!(err.mentions("unknown group `K9`"), "{err}");
        assert!(
            err.mentions("stage `B` contains conflicting groups `K2` and `K1`"),
            "{err}"
        );
    }

    #[test]
    fn priority_rules_out_of_range_are_refused_by_field() {
        use crate::model::spec::PrioritySpec;
        let mut s = spec(EU_TWO_STAGE);
        s.priority.max_wait_s = Some(10.0);
        s.priority.max_extension_s = Some(90.0);
        s.priority.bus_occupancy = Some(-3.0);
        let err = Intersection::from_spec(&s).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "priority.max_extension_s",
                "priority.max_wait_s",
                "priority.bus_occupancy"
            ],
            "{err}"
        );
        assert!(err.mentions("10 s is out of range"), "{err}");
        assert!(
            err.mentions("-3 people is out of range (0 to 300)"),
            "{err}"
        );
        s.priority = PrioritySpec {
            max_wait_s: Some(90.0),
            ..PrioritySpec::default()
        };
        let ix = Intersection::from_spec(&s).unwrap();
        assert_eq!(ix.priority().max_wait, Duration::from_secs(90));
    }

    #[test]
    fn a_group_in_no_stage_is_refused() {
        let mut s = spec(EU_TWO_STAGE);
        s.stages[1].groups.retain(|g| g != "P4");
        let err = Intersection::from_spec(&s).unwrap_err();
        assert!(err.mentions("group `P4` is in no stage"), "{err}");
    }
}
