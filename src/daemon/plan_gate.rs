//! The checks a `plan/set` message passes before a site takes the plan, without I/O: size,
//! JSON shape, site, signature (when the site has trusted keys), replay, the plan itself against
//! the intersection, and its version against the plan in force and against the newest version of
//! its id this site ever accepted (so a pending newer version is never overtaken by an older
//! one, and nothing accepted is taken twice). Any failure is a rejection with
//! the plan's id and version (as far as the message says them) and the reason.

use std::collections::BTreeMap;
use std::time::SystemTime;

use greenwave_controllers::plan::{MAX_PATTERN, PlanSpec, TimingPlan};
use greenwave_controllers::site::Site;

use crate::mqtt::payload::{PlanSet, ScheduleSpec};
use crate::mqtt::signing::{self, Verified};

/// The largest `plan/set` payload taken, bytes.
pub const MAX_PLAN_BYTES: usize = 64 * 1024;

/// Why a plan was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The plan's id, empty when the message does not say.
    pub plan_id: String,
    /// Its version, 0 when the message does not say.
    pub version: u32,
    /// What is wrong.
    pub reason: String,
}

/// What a plan is checked against.
pub struct PlanGate<'a> {
    /// The site taking it.
    pub site: &'a Site,
    /// The plan in force.
    pub active: &'a TimingPlan,
    /// The schedule in force (id, version), if any.
    pub active_schedule: Option<(&'a str, u32)>,
    /// Keys whose signature a plan must carry (none: unsigned plans are taken).
    pub trusted_keys: &'a [signing::TrustedKey],
    /// Ids of keys no longer trusted.
    pub revoked: &'a [String],
    /// The issue time of the newest signed plan or schedule accepted: an order signed no later
    /// is a replay or a rollback, whatever its id.
    pub newest_issued: Option<SystemTime>,
    /// The newest version accepted of each plan and schedule id: that version or an older one
    /// again is a replay or a rollback.
    pub newest: &'a BTreeMap<String, u32>,
}

/// A checked time-of-day schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// As received.
    pub spec: ScheduleSpec,
    /// Minute of the (local) day each entry starts, with its checked plan, in time order.
    pub entries: Vec<(u32, TimingPlan, PlanSpec)>,
}

impl Schedule {
    /// The entry in force at `wall` (the last one of the day runs on past midnight).
    pub fn current(&self, wall: SystemTime) -> &(u32, TimingPlan, PlanSpec) {
        let secs = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()) as i64;
        let local = secs + i64::from(self.spec.utc_offset_min) * 60;
        let minute = (local.rem_euclid(86_400) / 60) as u32;
        self.entries
            .iter()
            .rev()
            .find(|(from, _, _)| *from <= minute)
            .or_else(|| self.entries.last())
            .expect("a checked schedule has entries")
    }
}

/// What a `plan/set` carried, checked.
#[derive(Clone, Debug)]
pub enum Taken {
    /// One plan.
    Plan(TimingPlan, PlanSpec),
    /// A schedule of plans.
    Schedule(Schedule),
}

impl Taken {
    /// Id and version, for the acknowledgement.
    pub fn id(&self) -> (String, u32) {
        match self {
            Taken::Plan(_, spec) => (spec.plan_id.clone(), spec.version),
            Taken::Schedule(s) => (s.spec.schedule_id.clone(), s.spec.version),
        }
    }
}

impl PlanGate<'_> {
    /// Checks a `plan/set` payload at `now`.
    pub fn check(&self, bytes: &[u8], now: SystemTime) -> Result<Taken, Rejection> {
        self.check_signed(bytes, now).map(|(taken, _)| taken)
    }

    /// Checks a `plan/set` payload at `now`; says who signed it, and when, if the site takes
    /// only signed orders.
    pub fn check_signed(
        &self,
        bytes: &[u8],
        now: SystemTime,
    ) -> Result<(Taken, Option<Verified>), Rejection> {
        let reject = |plan_id: &str, version: u32, reason: String| Rejection {
            plan_id: plan_id.to_owned(),
            version,
            reason,
        };
        if bytes.len() > MAX_PLAN_BYTES {
            let why = format!("payload of {} bytes exceeds {MAX_PLAN_BYTES}", bytes.len());
            return Err(reject("", 0, why));
        }
        let set: PlanSet = match serde_json::from_slice(bytes) {
            Ok(set) => set,
            Err(e) => {
                let (id, version) = named_in(bytes);
                return Err(reject(&id, version, format!("malformed plan/set: {e}")));
            }
        };
        let (id, version) = match (&set.plan, &set.schedule) {
            (Some(p), None) => (p.plan_id.clone(), p.version),
            (None, Some(s)) => (s.schedule_id.clone(), s.version),
            _ => {
                let why = "a plan/set carries either `plan` or `schedule`".to_owned();
                return Err(reject("", 0, why));
            }
        };
        let id = id.as_str();
        if set.site != self.site.id {
            let why = format!(
                "the plan is for site `{}`, this is {}",
                set.site, self.site.id
            );
            return Err(reject(id, version, why));
        }
        let mut signed = None;
        if !self.trusted_keys.is_empty() {
            let (keys, revoked, site) = (self.trusted_keys, self.revoked, &self.site.id);
            let signature = set.signature.as_ref();
            let checked = match (&set.plan, &set.schedule) {
                (Some(p), _) => signing::verify(keys, revoked, site, p, signature, now),
                (_, Some(s)) => signing::verify(keys, revoked, site, s, signature, now),
                _ => Err(signing::SignatureError::Unsigned),
            };
            let verified = checked.map_err(|e| reject(id, version, e.to_string()))?;
            if let Some(newest) = self.newest_issued
                && verified.issued <= newest
            {
                let why = format!(
                    "issued at {}, not after the newest order accepted ({}): a replay or a rollback",
                    humantime::format_rfc3339_millis(verified.issued),
                    humantime::format_rfc3339_millis(newest)
                );
                return Err(reject(id, version, why));
            }
            signed = Some(verified);
        }
        match self.newest.get(id) {
            Some(&newest) if newest == version => {
                let why = format!("{id} v{version} was accepted already (a replay)");
                return Err(reject(id, version, why));
            }
            Some(&newest) if newest > version => {
                let why =
                    format!("version {version} is older than v{newest} of {id}, accepted already");
                return Err(reject(id, version, why));
            }
            _ => {}
        }
        let plan_of = |spec: &PlanSpec| {
            TimingPlan::from_spec(spec, &self.site.intersection)
                .map_err(|p| p.to_string().replace('\n', "; "))
        };
        if let Some(spec) = set.plan {
            let plan = plan_of(&spec).map_err(|why| reject(id, version, why))?;
            if plan.plan_id == self.active.plan_id && plan.version <= self.active.version {
                let why = format!(
                    "version {} is not newer than the active version {}",
                    plan.version, self.active.version
                );
                return Err(reject(id, version, why));
            }
            return Ok((Taken::Plan(plan, spec), signed));
        }
        let Some(spec) = set.schedule else {
            return Err(reject(id, version, "no plan".into()));
        };
        if let Some((active_id, active_version)) = self.active_schedule
            && active_id == spec.schedule_id
            && version <= active_version
        {
            let why = format!(
                "version {version} is not newer than the active schedule's version {active_version}"
            );
            return Err(reject(id, version, why));
        }
        let minutes = schedule_times(&spec).map_err(|why| reject(id, version, why))?;
        let mut entries = Vec::new();
        for (i, (entry, minute)) in spec.entries.iter().zip(minutes).enumerate() {
            let mut plan = plan_of(&entry.plan).map_err(|why| {
                reject(id, version, format!("entries[{i}] ({}): {why}", entry.from))
            })?;
            // A plan without a pattern number is numbered by its place in the schedule.
            let position = u8::try_from(i + 1).unwrap_or(MAX_PATTERN).min(MAX_PATTERN);
            plan.pattern.get_or_insert(position);
            entries.push((minute, plan, entry.plan.clone()));
        }
        entries.sort_by_key(|e| e.0);
        Ok((Taken::Schedule(Schedule { spec, entries }), signed))
    }
}

/// The plan or schedule a broken `plan/set` still names, if it does: its id and version.
fn named_in(bytes: &[u8]) -> (String, u32) {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let id = value["plan"]["plan_id"]
        .as_str()
        .or(value["schedule"]["schedule_id"].as_str())
        .unwrap_or_default();
    let version = value["plan"]["version"]
        .as_u64()
        .or(value["schedule"]["version"].as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or_default();
    (id.to_owned(), version)
}

/// The checks of a schedule that need no intersection: entries there, the UTC offset in range,
/// every entry's start a time of day, no two at the same time. Returns each entry's start,
/// minutes into the day.
pub fn schedule_times(spec: &ScheduleSpec) -> Result<Vec<u32>, String> {
    if spec.entries.is_empty() {
        return Err("the schedule has no entries".into());
    }
    if !(-14 * 60..=14 * 60).contains(&spec.utc_offset_min) {
        return Err(format!(
            "utc_offset_min {} is out of range (-840 to 840)",
            spec.utc_offset_min
        ));
    }
    let minutes = spec
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            parse_hh_mm(&entry.from).ok_or_else(|| {
                format!(
                    "entries[{i}].from: `{}` is not a time of day (HH:MM)",
                    entry.from
                )
            })
        })
        .collect::<Result<Vec<u32>, String>>()?;
    let mut sorted = minutes.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "two entries start at {:02}:{:02}",
            w[0] / 60,
            w[0] % 60
        ));
    }
    Ok(minutes)
}

/// Minutes into the day of `HH:MM`.
fn parse_hh_mm(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;
    use std::sync::Arc;

    fn j1() -> (Arc<Site>, TimingPlan, String) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corridor =
            greenwave_controllers::load::corridor(&root.join("config/corridors/arterial-4.toml"))
                .expect("loads");
        let node = corridor
            .intersections()
            .find(|(_, n)| n.id == "J1")
            .map(|(i, _)| i)
            .expect("J1");
        let site = Arc::new(Site::new(&corridor, node).expect("a site"));
        let path = root.join("config/plans/arterial-webster/J1.toml");
        let plan = greenwave_controllers::load::plan_for(&path, &site.intersection).expect("plan");
        let mut spec: PlanSpec =
            toml::from_str(&std::fs::read_to_string(&path).expect("reads")).expect("parses");
        spec.intersection = None;
        spec.version = 2;
        let good = serde_json::to_string(&PlanSet {
            site: "J1".into(),
            ts: "2026-11-25T18:00:00Z".into(),
            plan: Some(spec),
            schedule: None,
            signature: None,
        })
        .expect("serialises");
        (site, plan, good)
    }

    #[test]
    fn a_good_plan_passes_and_its_replay_does_not() {
        let (site, active, good) = j1();
        let gate = PlanGate {
            site: &site,
            active: &active,
            active_schedule: None,
            trusted_keys: &[],
            newest: &BTreeMap::new(),
            revoked: &[],
            newest_issued: None,
        };
        let Ok(Taken::Plan(plan, _)) = gate.check(good.as_bytes(), SystemTime::now()) else {
            panic!("taken");
        };
        assert_eq!(plan.version, 2);
        let newest = BTreeMap::from([("webster-J1".to_owned(), 2)]);
        let gate = PlanGate {
            newest: &newest,
            ..gate
        };
        let r = gate.check(good.as_bytes(), SystemTime::now()).unwrap_err();
        assert!(r.reason.contains("replay"), "{r:?}");
        // A newer version accepted (still pending): the older one is refused too.
        let newer = BTreeMap::from([("webster-J1".to_owned(), 5)]);
        let gate = PlanGate {
            newest: &newer,
            ..gate
        };
        let r = gate.check(good.as_bytes(), SystemTime::now()).unwrap_err();
        assert!(r.reason.contains("older than v5"), "{r:?}");
        let big = vec![b' '; MAX_PLAN_BYTES + 1];
        assert!(
            gate.check(&big, SystemTime::now())
                .unwrap_err()
                .reason
                .contains("exceeds")
        );
    }

    #[test]
    fn a_schedule_is_checked_entry_by_entry_and_runs_by_time_of_day() {
        let (site, active, good) = j1();
        let set: PlanSet = serde_json::from_str(&good).expect("parses");
        let plan = set.plan.expect("a plan");
        let mut night = plan.clone();
        night.plan_id = "night".into();
        let schedule = |entries: Vec<(&str, PlanSpec)>| {
            serde_json::to_vec(&PlanSet {
                site: "J1".into(),
                ts: "2026-11-25T18:00:00Z".into(),
                plan: None,
                schedule: Some(ScheduleSpec {
                    schedule_id: "weekday".into(),
                    version: 1,
                    utc_offset_min: 60,
                    entries: entries
                        .into_iter()
                        .map(|(from, plan)| crate::mqtt::payload::ScheduleEntry {
                            from: from.into(),
                            plan,
                        })
                        .collect(),
                }),
                signature: None,
            })
            .expect("serialises")
        };
        let gate = PlanGate {
            site: &site,
            active: &active,
            active_schedule: None,
            trusted_keys: &[],
            newest: &BTreeMap::new(),
            revoked: &[],
            newest_issued: None,
        };
        let bytes = schedule(vec![("22:00", night.clone()), ("06:30", plan.clone())]);
        let Ok(Taken::Schedule(s)) = gate.check(&bytes, SystemTime::now()) else {
            panic!("taken");
        };
        // 2026-11-25 05:00 UTC is 06:00 local: still the night plan; 06:00 UTC is the day's.
        let at = |h: u64| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_996_800 + h * 3600)
        };
        assert_eq!(s.current(at(5)).2.plan_id, "night");
        assert_eq!(s.current(at(6)).2.plan_id, plan.plan_id);
        assert_eq!(s.current(at(21)).2.plan_id, "night");
        // Plans without a pattern number are numbered by their place in the schedule; a
        // plan's own number stands.
        assert_eq!(s.current(at(5)).1.pattern, Some(1));
        assert_eq!(s.current(at(6)).1.pattern, Some(2));
        let mut numbered = night.clone();
        numbered.pattern = Some(9);
        let bytes_numbered = schedule(vec![("22:00", numbered), ("06:30", plan.clone())]);
        let Ok(Taken::Schedule(n)) = gate.check(&bytes_numbered, SystemTime::now()) else {
            panic!("taken");
        };
        assert_eq!(n.current(at(5)).1.pattern, Some(9));
        assert_eq!(n.current(at(6)).1.pattern, Some(2));

        let mut bad = plan.clone();
        bad.cycle_s += 9.0;
        let r = gate
            .check(
                &schedule(vec![("06:30", plan.clone()), ("25:00", night.clone())]),
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(r.reason.contains("entries[1].from"), "{r:?}");
        let r = gate
            .check(
                &schedule(vec![("06:30", plan.clone()), ("22:00", bad)]),
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(r.reason.starts_with("entries[1] (22:00)"), "{r:?}");
        let gate = PlanGate {
            active_schedule: Some(("weekday", 1)),
            ..gate
        };
        let r = gate.check(&bytes, SystemTime::now()).unwrap_err();
        assert!(r.reason.contains("not newer"), "{r:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Any bytes: rejected with a reason, never a panic.
        #[test]
        fn arbitrary_bytes_are_rejected_with_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let (site, active, _) = j1();
            let gate = PlanGate { site: &site, active: &active, active_schedule: None, trusted_keys: &[], newest: &BTreeMap::new(), revoked: &[], newest_issued: None };
            let r = gate.check(&bytes, SystemTime::now()).unwrap_err();
            prop_assert!(!r.reason.is_empty());
        }

        /// The good message with one byte changed, or cut short: taken only if it still says a
        /// valid plan for J1, otherwise rejected with a reason; never a panic.
        #[test]
        fn damaged_messages_are_taken_only_when_still_valid(at in 0usize..4096, byte in any::<u8>(), cut in any::<bool>()) {
            let (site, active, good) = j1();
            let mut bytes = good.into_bytes();
            let at = at % bytes.len();
            if cut { bytes.truncate(at) } else { bytes[at] = byte }
            let gate = PlanGate { site: &site, active: &active, active_schedule: None, trusted_keys: &[], newest: &BTreeMap::new(), revoked: &[], newest_issued: None };
            match gate.check(&bytes, SystemTime::now()) {
                Ok(Taken::Plan(plan, _)) => prop_assert!(plan.version > active.version || plan.plan_id != active.plan_id),
                Ok(Taken::Schedule(_)) => prop_assert!(false, "no schedule in the message"),
                Err(r) => prop_assert!(!r.reason.is_empty()),
            }
        }

        /// Numbers anywhere in the plan: a plan that passes is one the intersection can run.
        #[test]
        fn plans_with_random_numbers_pass_only_when_valid(
            cycle in -10.0f64..400.0,
            greens in proptest::collection::vec(-5.0f64..120.0, 4),
            offset in -10.0f64..200.0,
        ) {
            let (site, active, good) = j1();
            let mut set: PlanSet = serde_json::from_str(&good).expect("parses");
            let spec = set.plan.as_mut().expect("a plan");
            spec.cycle_s = cycle;
            spec.offset_s = offset;
            for (stage, g) in spec.stages.iter_mut().zip(&greens) {
                stage.green_s = *g;
            }
            let bytes = serde_json::to_vec(&set).expect("serialises");
            let gate = PlanGate { site: &site, active: &active, active_schedule: None, trusted_keys: &[], newest: &BTreeMap::new(), revoked: &[], newest_issued: None };
            if let Ok(Taken::Plan(plan, _)) = gate.check(&bytes, SystemTime::now()) {
                let total: f64 = plan.stages.iter().map(|s| s.green.as_secs_f64()).sum::<f64>()
                    + plan.interstages.iter().map(|d| d.as_secs_f64()).sum::<f64>();
                prop_assert!((total - plan.cycle.as_secs_f64()).abs() < 1e-6);
                for s in &plan.stages {
                    prop_assert!(s.green >= s.min_green && s.green <= s.max_green);
                }
            }
        }
    }
}
