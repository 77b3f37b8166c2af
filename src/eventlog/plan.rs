//! A timing plan taking effect, as the event log records it: its coordination pattern (131,
//! Coord Pattern Change; the parameter is the pattern number), and, under a controller that
//! keeps the plan's cycle (fixed time, coordinated), its cycle (132, Cycle Length Change, with
//! 156 beyond 255 s) and offset (133, Offset Length Change), whole seconds. After the Indiana
//! Traffic Signal Hi Resolution Data Logger Enumerations (2012; TPF-5(377), 2019).

use greenwave_controllers::control::keeps_the_plan_cycle;
use greenwave_controllers::plan::TimingPlan;

use super::code::{
    ADDITIONAL_CYCLE_LENGTH_CHANGE, COORD_PATTERN_CHANGE, CYCLE_LENGTH_CHANGE, OFFSET_LENGTH_CHANGE,
};
use super::recorder::Event;

/// A plan taking effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanChange {
    /// Its coordination pattern number.
    pub pattern: u8,
    /// Its cycle and offset, where the controller keeps the cycle; `None` where it does not
    /// (actuated, max-pressure, adaptive control).
    pub cycle: Option<PlanCycle>,
}

/// A plan's cycle and offset, whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCycle {
    /// Cycle length, s.
    pub cycle_s: u32,
    /// Offset, s.
    pub offset_s: u32,
}

impl PlanChange {
    /// `plan` taking effect under the controller named `controller`.
    pub fn new(plan: &TimingPlan, controller: &str) -> PlanChange {
        let secs = |d: greenwave_controllers::Duration| d.as_secs_f64().round() as u32;
        PlanChange {
            pattern: plan.pattern_number(),
            cycle: keeps_the_plan_cycle(controller).then(|| PlanCycle {
                cycle_s: secs(plan.cycle),
                offset_s: secs(plan.offset),
            }),
        }
    }

    /// Its events, appended to `out`.
    pub fn events(&self, out: &mut Vec<Event>) {
        out.push(Event::new(COORD_PATTERN_CHANGE, u16::from(self.pattern)));
        let Some(PlanCycle { cycle_s, offset_s }) = self.cycle else {
            return;
        };
        let byte = |v: u32| v.min(255) as u16;
        out.push(Event::new(CYCLE_LENGTH_CHANGE, byte(cycle_s)));
        if cycle_s > 255 {
            out.push(Event::new(
                ADDITIONAL_CYCLE_LENGTH_CHANGE,
                byte(cycle_s - 255),
            ));
        }
        out.push(Event::new(OFFSET_LENGTH_CHANGE, byte(offset_s)));
    }
}
