//! Helpers shared by the unit tests: the example intersections of `config/` and terse states.

use std::path::Path;
use std::sync::Arc;

use crate::load::parse_toml;
use crate::model::{Aspect, Intersection, IntersectionSpec, SignalState};
use crate::time::Instant;

pub(crate) const EU_TWO_STAGE: &str = include_str!("../../config/intersections/eu-two-stage.toml");
pub(crate) const NEMA_4LEG: &str = include_str!("../../config/intersections/nema-4leg.toml");
pub(crate) const NEMA_PEDS: &str = include_str!("../../config/intersections/nema-4leg-peds.toml");
pub(crate) const POST_SOVIET: &str = include_str!("../../config/intersections/post-soviet.toml");

pub(crate) fn spec(text: &str) -> IntersectionSpec {
    parse_toml(Path::new("test.toml"), text).expect("example parses")
}

pub(crate) fn intersection(text: &str) -> Arc<Intersection> {
    Arc::new(Intersection::from_spec(&spec(text)).expect("example is valid"))
}

pub(crate) fn secs(s: f64) -> Instant {
    Instant::from_secs_f64(s)
}

/// Every group red except the `(id, aspect)` pairs given.
pub(crate) fn state(ix: &Intersection, shown: &[(&str, Aspect)]) -> SignalState {
    let mut st = SignalState::uniform(ix.groups().len(), Aspect::Red);
    for &(id, aspect) in shown {
        st.set(ix.group_by_id(id).expect("known group"), aspect);
    }
    st
}

/// The aspect of group `id`.
pub(crate) fn aspect(ix: &Intersection, st: &SignalState, id: &str) -> Aspect {
    st.get(ix.group_by_id(id).expect("known group"))
}
