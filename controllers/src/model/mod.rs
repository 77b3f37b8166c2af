//! The intersection model: signal groups, conflicts with intergreens, stages, aspect sequences.

pub mod aspect;
pub mod group;
pub mod intersection;
mod nema;
pub mod pedestrian;
pub mod preemption;
pub mod priority;
pub mod spec;
pub mod state;

pub use aspect::{Aspect, AspectSequence, GroupKind, Region, SequenceTimings, Step};
pub use group::{
    Approach, GroupIndex, Movement, PerTurn, SignalGroup, Turn, VEHICLE_TURNS, approaches_of,
    left_through_right,
};
pub use intersection::{GroupSet, Intersection, MAX_GROUPS, Stage, StageIndex};
pub use pedestrian::PedestrianTiming;
pub use preemption::PreemptionRules;
pub use priority::PriorityRules;
pub use spec::{
    ChangeInterval, GroupSpec, IntersectionSpec, MainStreet, NemaPedestrians, NemaSpec,
    PedestrianRulesSpec, StageSpec, TimingsSpec,
};
pub use state::SignalState;
