//! Pedestrian delay per pedestrian phase, as ATSPM measures it: from a pedestrian call (45) to
//! the start of the next walk (21) of that phase. Calls with no walk after them in the log are
//! counted as unserved.

use super::timeline::Timeline;

/// One pedestrian phase's delay.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PedMeasures {
    /// The pedestrian phase.
    pub phase: u16,
    /// Calls served by a walk.
    pub calls: u32,
    /// Calls with no walk after them in the log.
    pub unserved: u32,
    /// Mean delay from call to walk, s.
    pub mean_delay_s: Option<f64>,
    /// Longest delay, s.
    pub max_delay_s: Option<f64>,
    /// Walks.
    pub walks: u32,
}

/// The pedestrian phases' delays over `timeline`.
pub fn measure(timeline: &Timeline) -> Vec<PedMeasures> {
    let mut phases: Vec<u16> = timeline
        .ped_calls
        .keys()
        .chain(timeline.walks.keys())
        .copied()
        .collect();
    phases.sort_unstable();
    phases.dedup();
    phases
        .into_iter()
        .map(|phase| {
            let walks = timeline.walks.get(&phase).map(Vec::as_slice).unwrap_or(&[]);
            let calls = timeline
                .ped_calls
                .get(&phase)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let delays: Vec<f64> = calls
                .iter()
                .filter_map(|&t| walks.get(walks.partition_point(|&w| w < t)).map(|w| w - t))
                .collect();
            PedMeasures {
                phase,
                calls: delays.len() as u32,
                unserved: (calls.len() - delays.len()) as u32,
                mean_delay_s: (!delays.is_empty())
                    .then(|| delays.iter().sum::<f64>() / delays.len() as f64),
                max_delay_s: delays.iter().copied().reduce(f64::max),
                walks: walks.len() as u32,
            }
        })
        .collect()
}
