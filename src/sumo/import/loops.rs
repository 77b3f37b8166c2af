//! Detectors of an imported link: the network's E1 induction loops on its lanes, or, where it
//! has none and the import asks for them, the standard pair greenwave's own corridors use on
//! every approach lane (a stop-bar loop for presence and an advance loop for arrivals). A loop's
//! kind is its `greenwave.kind` parameter where a greenwave export gave one, else its place: a
//! stop-bar loop at the stop line, an advance loop upstream.

use greenwave_controllers::corridor::{DetectorKind, DetectorSpec};

use super::net::{Edge, Loop};

/// A loop closer than this to the stop line is a stop-bar loop; farther, an advance loop.
const STOP_BAR_WITHIN_M: f64 = 3.0;

/// The standard stop-bar loop's length.
const STOP_BAR_LENGTH_M: f64 = 5.0;
/// The standard advance loop: its length, and its distance from the stop line on a link long
/// enough (half the link on a shorter one).
const ADVANCE_LENGTH_M: f64 = 2.0;
const ADVANCE_DISTANCE_M: f64 = 40.0;

/// Where an import's detectors come from.
pub struct Loops<'a> {
    /// The E1 loops of `--additional`.
    pub e1: &'a [Loop],
    /// Whether approach lanes without an E1 loop get the standard pair.
    pub standard: bool,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// The E1 loops on `e`'s car lanes (`gw_lane` maps a SUMO lane index to greenwave's), when `e`
/// leads to an intersection; the others are dropped, said so.
pub fn e1(
    e: &Edge,
    gw_lane: &dyn Fn(usize) -> Option<usize>,
    to_intersection: bool,
    loops: &[Loop],
    dropped: &mut Vec<String>,
) -> Vec<DetectorSpec> {
    let mut detectors = Vec::new();
    for lp in loops.iter().filter(|lp| {
        lp.lane
            .rsplit_once('_')
            .is_some_and(|(edge, _)| edge == e.id)
    }) {
        let sumo_lane: Option<usize> = lp.lane.rsplit_once('_').and_then(|(_, k)| k.parse().ok());
        let (Some(lane), Some(len)) = (
            sumo_lane.and_then(gw_lane),
            sumo_lane.and_then(|k| e.lanes.get(k)).map(|l| l.length),
        ) else {
            dropped.push(format!(
                "loop `{}` (line {}): on lane `{}`, not a car lane",
                lp.id, lp.line, lp.lane
            ));
            continue;
        };
        if !to_intersection {
            dropped.push(format!(
                "loop `{}` (line {}): on `{}`, which leads to no intersection",
                lp.id, lp.line, e.id
            ));
            continue;
        }
        let start = if lp.pos < 0.0 { len + lp.pos } else { lp.pos };
        let distance_m = round2((len - start - lp.length).max(0.0));
        let kind = match lp.kind.as_deref() {
            Some("stop_bar") => DetectorKind::StopBar,
            Some("advance") => DetectorKind::Advance,
            Some("advance_count") => DetectorKind::AdvanceCount,
            _ if distance_m < STOP_BAR_WITHIN_M => DetectorKind::StopBar,
            _ => DetectorKind::Advance,
        };
        detectors.push(DetectorSpec {
            id: lp.id.clone(),
            channel: lp.channel.unwrap_or(0),
            lane: lane as u8,
            distance_m,
            length_m: if lp.length > 0.0 {
                round2(lp.length)
            } else {
                ADVANCE_LENGTH_M
            },
            kind,
        });
    }
    detectors
}

/// The standard pair on each of `lanes` lanes of SUMO edge `edge`, `length_m` long (at least
/// greenwave's shortest link, 10 m), named `EDGE_LANE-stop` and `EDGE_LANE-adv` after the lane
/// (greenwave's numbering, 0 at the left).
pub fn standard(edge: &str, lanes: usize, length_m: f64) -> Vec<DetectorSpec> {
    let advance_m = round2(ADVANCE_DISTANCE_M.min(length_m / 2.0));
    (0..lanes)
        .flat_map(|lane| {
            [
                DetectorSpec {
                    id: format!("{edge}_{lane}-stop"),
                    channel: 0,
                    lane: lane as u8,
                    distance_m: 0.0,
                    length_m: STOP_BAR_LENGTH_M.min(advance_m),
                    kind: DetectorKind::StopBar,
                },
                DetectorSpec {
                    id: format!("{edge}_{lane}-adv"),
                    channel: 0,
                    lane: lane as u8,
                    distance_m: advance_m,
                    length_m: ADVANCE_LENGTH_M,
                    kind: DetectorKind::Advance,
                },
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_pair_fits_the_shortest_link() {
        let long = standard("e", 2, 300.0);
        assert_eq!(long.len(), 4);
        assert_eq!(
            (long[1].distance_m, long[1].kind),
            (40.0, DetectorKind::Advance)
        );
        assert_eq!((long[2].lane, long[2].kind), (1, DetectorKind::StopBar));
        let short = standard("e", 1, 10.0);
        // Stop bar 0 to 5 m, advance 5 to 7 m: both on the 10 m link, neither overlapping.
        assert_eq!((short[0].distance_m, short[0].length_m), (0.0, 5.0));
        assert_eq!((short[1].distance_m, short[1].length_m), (5.0, 2.0));
    }
}
