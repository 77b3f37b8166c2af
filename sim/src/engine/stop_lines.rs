//! The stop-line crossings of a run: every vehicle that crossed a stop line, with its delay
//! and wait. The run logs them per approach in a compact form (a 20x20 grid's hour holds about
//! 490 000 of them); they are kept so and spelled out one by one only when read, so a run
//! whose caller does not read them does not pay for them.

use greenwave_controllers::model::Turn;

/// A crossing as an approach logs it: (turn index, delay on the approach, wait, time, delay
/// since it last ran at its desired speed).
pub(crate) type Logged = (u8, f32, f32, f32, f32);

/// One vehicle crossing a stop line.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StopLineCrossing {
    /// The intersection.
    pub intersection: String,
    /// The approach.
    pub direction: String,
    /// `left`, `through` or `right`.
    pub turn: &'static str,
    /// When, s.
    pub t_s: f64,
    /// Its delay on the approach, s.
    pub delay_s: f64,
    /// Its wait from its first halt on the approach, s.
    pub wait_s: f64,
    /// Its delay since it last ran at its desired speed on the approach (at least 95 % of it):
    /// the delay of this junction's queue and signal, without the time lost on the approach
    /// before it ran freely (accelerating away from the junction upstream, say), s. Its
    /// undelayed arrival at the stop line, `t_s - junction_delay_s`, is the arrival that
    /// arrivals on green count.
    pub junction_delay_s: f64,
}

/// Every stop-line crossing of a run, approach by approach, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StopLineCrossings {
    /// Per approach: its intersection, its direction and its crossings.
    approaches: Vec<(String, String, Vec<Logged>)>,
}

impl StopLineCrossings {
    pub(crate) fn new(approaches: Vec<(String, String, Vec<Logged>)>) -> Self {
        StopLineCrossings { approaches }
    }

    /// How many crossings there were.
    pub fn len(&self) -> usize {
        self.approaches.iter().map(|(_, _, c)| c.len()).sum()
    }

    /// True when no vehicle crossed a stop line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each crossing, approach by approach, in time order.
    pub fn iter(&self) -> impl Iterator<Item = StopLineCrossing> + '_ {
        self.approaches
            .iter()
            .flat_map(|(site, direction, crossings)| {
                crossings.iter().map(
                    move |&(turn, delay, wait, t, since_free)| StopLineCrossing {
                        intersection: site.clone(),
                        direction: direction.clone(),
                        turn: Turn::VEHICLE
                            .get(usize::from(turn))
                            .map_or("through", |t| t.key()),
                        t_s: f64::from(t),
                        delay_s: f64::from(delay),
                        wait_s: f64::from(wait),
                        junction_delay_s: f64::from(since_free),
                    },
                )
            })
    }
}
