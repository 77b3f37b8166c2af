//! The checks a `plan/set` message passes before a site takes the plan, without I/O: size,
//! JSON shape, site, signature (when the site has trusted keys), replay, the plan itself against
//! the intersection, and its version against the plan in force. Any failure is a rejection with
//! the plan's id and version (as far as the message says them) and the reason.

use std::time::SystemTime;

use greenwave_controllers::plan::{PlanSpec, TimingPlan};
use greenwave_controllers::site::Site;

use crate::mqtt::payload::PlanSet;
use crate::mqtt::signing;

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
    /// Keys whose signature a plan must carry (none: unsigned plans are taken).
    pub trusted_keys: &'a [Vec<u8>],
    /// The plan accepted last (id, version): taking it again would be a replay.
    pub last_accepted: Option<&'a (String, u32)>,
}

impl PlanGate<'_> {
    /// Checks a `plan/set` payload at `now`.
    pub fn check(
        &self,
        bytes: &[u8],
        now: SystemTime,
    ) -> Result<(TimingPlan, PlanSpec), Rejection> {
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
                // Name the plan if the broken message still says which it is.
                let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
                let id = value["plan"]["plan_id"].as_str().unwrap_or_default();
                let version = value["plan"]["version"]
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or_default();
                return Err(reject(id, version, format!("malformed plan/set: {e}")));
            }
        };
        let (id, version) = (set.plan.plan_id.as_str(), set.plan.version);
        if set.site != self.site.id {
            let why = format!(
                "the plan is for site `{}`, this is {}",
                set.site, self.site.id
            );
            return Err(reject(id, version, why));
        }
        if !self.trusted_keys.is_empty()
            && let Err(e) = signing::verify(
                self.trusted_keys,
                &self.site.id,
                &set.plan,
                set.signature.as_ref(),
                now,
            )
        {
            return Err(reject(id, version, e.to_string()));
        }
        if self.last_accepted == Some(&(id.to_owned(), version)) {
            let why = format!("plan {id} v{version} was accepted already (a replay)");
            return Err(reject(id, version, why));
        }
        let plan = TimingPlan::from_spec(&set.plan, &self.site.intersection)
            .map_err(|p| reject(id, version, p.to_string().replace('\n', "; ")))?;
        if plan.plan_id == self.active.plan_id && plan.version <= self.active.version {
            let why = format!(
                "version {} is not newer than the active version {}",
                plan.version, self.active.version
            );
            return Err(reject(id, version, why));
        }
        Ok((plan, set.plan))
    }
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
            plan: spec,
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
            trusted_keys: &[],
            last_accepted: None,
        };
        let (plan, _) = gate
            .check(good.as_bytes(), SystemTime::now())
            .expect("taken");
        assert_eq!(plan.version, 2);
        let last = ("webster-J1".to_owned(), 2);
        let gate = PlanGate {
            last_accepted: Some(&last),
            ..gate
        };
        let r = gate.check(good.as_bytes(), SystemTime::now()).unwrap_err();
        assert!(r.reason.contains("replay"), "{r:?}");
        let big = vec![b' '; MAX_PLAN_BYTES + 1];
        assert!(
            gate.check(&big, SystemTime::now())
                .unwrap_err()
                .reason
                .contains("exceeds")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Any bytes: rejected with a reason, never a panic.
        #[test]
        fn arbitrary_bytes_are_rejected_with_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let (site, active, _) = j1();
            let gate = PlanGate { site: &site, active: &active, trusted_keys: &[], last_accepted: None };
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
            let gate = PlanGate { site: &site, active: &active, trusted_keys: &[], last_accepted: None };
            match gate.check(&bytes, SystemTime::now()) {
                Ok((plan, _)) => prop_assert!(plan.version > active.version || plan.plan_id != active.plan_id),
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
            set.plan.cycle_s = cycle;
            set.plan.offset_s = offset;
            for (stage, g) in set.plan.stages.iter_mut().zip(&greens) {
                stage.green_s = *g;
            }
            let bytes = serde_json::to_vec(&set).expect("serialises");
            let gate = PlanGate { site: &site, active: &active, trusted_keys: &[], last_accepted: None };
            if let Ok((plan, _)) = gate.check(&bytes, SystemTime::now()) {
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
