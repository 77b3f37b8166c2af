//! When the adaptive controller decides anew. A decision predicts the queues of every candidate
//! schedule over two minutes, far more work than a tick can afford at a 10 Hz cabinet tick in
//! a district of hundreds of signals; and between two ticks where no loop counted anything new
//! and the signals did not move, the prediction would only repeat itself a tenth of a second
//! later. So the last decision stands (the stage it asked for stays requested) until one of:
//!
//! - a loop or push button counted something new, or its fault changed (a vehicle's presence
//!   comes with its count; its leaving the loop is seen at the next deadline); advance count
//!   loops, which no decision reads, are not watched;
//! - the sequencer moved on (a green began, a change started or ended);
//! - the decision's own deadline passed: one second after it (`POLL`), or sooner when it held
//!   a green for less than that (the end of the minimum green, of the hold for a queue found, of
//!   the room left before the maximum green or cycle), or sooner when the wait bound would end
//!   the green (a push between two decisions would otherwise wait up to a second past it).
//!
//! (A decision to extend a green by several seconds could stand longer while nothing is
//! counted, but on the arterial peak that lengthened the mean delay by about 2 %: the wait
//! clocks and the upstream forecasts move on between counts.)
//!
//! That deadline is also the controller's `poll_at`.

use crate::detector::{DetectorSample, FaultCode};
use crate::model::StageIndex;
use crate::sequencer::Phase;
use crate::time::{Duration, Instant};

/// The longest a decision stands without anything new, as the controller's `poll_at` has said.
pub(super) const POLL: Duration = Duration::from_secs(1);

/// What a decision saw, and what it decided.
#[derive(Clone, Debug, Default)]
pub(super) struct Cadence {
    last: Option<Taken>,
    /// By channel: true for the channels not watched (none when empty).
    unwatched: Vec<bool>,
    /// Decisions taken anew, and ticks that reused the last one.
    pub taken: u64,
    pub reused: u64,
}

#[derive(Clone, Debug)]
struct Taken {
    due: Instant,
    phase: Phase,
    /// Count and fault of every channel.
    seen: Vec<(u16, FaultCode)>,
    decision: Option<StageIndex>,
}

impl Cadence {
    /// A cadence that does not watch the channels `unwatched` (by channel: true to ignore).
    pub fn ignoring(unwatched: Vec<bool>) -> Cadence {
        Cadence {
            unwatched,
            ..Cadence::default()
        }
    }

    /// What the decision sees of channel `ch`: its count and fault, or nothing.
    fn reading(&self, ch: usize, s: &DetectorSample) -> (u16, FaultCode) {
        if self.unwatched.get(ch).copied().unwrap_or(false) {
            (0, FaultCode::Ok)
        } else {
            (s.count, s.fault)
        }
    }

    /// The last decision, when it still stands at `now` with these detector samples and this
    /// sequencer phase.
    pub fn standing(
        &mut self,
        now: Instant,
        detectors: &[DetectorSample],
        phase: Phase,
    ) -> Option<Option<StageIndex>> {
        let last = self.last.as_ref()?;
        let unchanged = now < last.due
            && last.phase == phase
            && last.seen.len() == detectors.len()
            && last
                .seen
                .iter()
                .zip(detectors)
                .enumerate()
                .all(|(ch, (a, s))| *a == self.reading(ch, s));
        if unchanged {
            self.reused += 1;
            Some(last.decision)
        } else {
            None
        }
    }

    /// Records a decision taken at `now` that stands until `due` at the latest.
    pub fn took(
        &mut self,
        due: Instant,
        detectors: &[DetectorSample],
        phase: Phase,
        decision: Option<StageIndex>,
    ) {
        self.taken += 1;
        let mut seen = self.last.take().map(|t| t.seen).unwrap_or_default();
        seen.clear();
        seen.extend(
            detectors
                .iter()
                .enumerate()
                .map(|(ch, s)| self.reading(ch, s)),
        );
        self.last = Some(Taken {
            due,
            phase,
            seen,
            decision,
        });
    }

    /// When the last decision stops standing of itself.
    pub fn due(&self) -> Option<Instant> {
        self.last.as_ref().map(|t| t.due)
    }
}

/// The deadline of a decision at `now` that holds the green `hold_s` more (0: it ends it now,
/// and the sequencer's move brings the next decision), or sooner at `bound`, when the wait
/// bound would end the green.
pub(super) fn deadline(now: Instant, hold_s: f64, bound: Option<Instant>) -> Instant {
    let due = if hold_s > 0.0 && hold_s < POLL.as_secs_f64() {
        now + Duration::from_secs_f64(hold_s)
    } else {
        now + POLL
    };
    bound.filter(|&b| b > now).map_or(due, |b| due.min(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Instant {
        Instant::from_secs_f64(s)
    }

    fn samples(count: u16, presence: bool) -> Vec<DetectorSample> {
        vec![
            DetectorSample {
                count,
                presence,
                ..DetectorSample::default()
            };
            4
        ]
    }

    fn dwell(stage: usize, since: f64) -> Phase {
        Phase::Dwell {
            stage: StageIndex(stage as u8),
            since: at(since),
        }
    }

    #[test]
    fn a_decision_stands_until_something_is_counted() {
        let mut c = Cadence::default();
        assert_eq!(
            c.standing(at(10.0), &samples(3, false), dwell(1, 0.0)),
            None
        );
        c.took(
            at(11.0),
            &samples(3, false),
            dwell(1, 0.0),
            Some(StageIndex(1)),
        );
        // The on-time and presence of a vehicle leaving a loop change nothing.
        let same = c.standing(at(10.5), &samples(3, true), dwell(1, 0.0));
        assert_eq!(same, Some(Some(StageIndex(1))));
        assert_eq!(
            c.standing(at(10.6), &samples(4, false), dwell(1, 0.0)),
            None
        );
        let mut faulty = samples(3, false);
        faulty[2].fault = FaultCode::OpenLoop;
        assert_eq!(c.standing(at(10.6), &faulty, dwell(1, 0.0)), None);
        assert_eq!((c.taken, c.reused), (1, 1));
    }

    #[test]
    fn an_unwatched_channel_counting_changes_nothing() {
        // Channel 3 is an advance count loop: no decision reads it.
        let mut c = Cadence::ignoring(vec![false, false, false, true]);
        c.took(
            at(11.0),
            &samples(3, false),
            dwell(1, 0.0),
            Some(StageIndex(1)),
        );
        let mut counted = samples(3, false);
        counted[3].count = 9;
        counted[3].fault = FaultCode::OpenLoop;
        let same = c.standing(at(10.5), &counted, dwell(1, 0.0));
        assert_eq!(same, Some(Some(StageIndex(1))));
        counted[2].count = 4;
        assert_eq!(c.standing(at(10.6), &counted, dwell(1, 0.0)), None);
    }

    #[test]
    fn a_decision_stands_until_the_sequencer_moves_or_its_deadline() {
        let mut c = Cadence::default();
        c.took(at(11.0), &samples(3, false), dwell(1, 0.0), None);
        assert_eq!(
            c.standing(at(10.9), &samples(3, false), dwell(1, 0.0)),
            Some(None)
        );
        assert_eq!(
            c.standing(at(10.9), &samples(3, false), dwell(2, 10.9)),
            None
        );
        assert_eq!(
            c.standing(at(11.0), &samples(3, false), dwell(1, 0.0)),
            None
        );
        assert_eq!(c.due(), Some(at(11.0)));
    }

    #[test]
    fn the_deadline_follows_the_hold() {
        let now = at(100.0);
        assert_eq!(
            deadline(now, 0.0, None),
            at(101.0),
            "ending: the next second"
        );
        assert_eq!(
            deadline(now, 0.3, None),
            at(100.3),
            "the end of a short hold"
        );
        assert_eq!(deadline(now, 10.0, None), at(101.0), "an extension");
        assert_eq!(deadline(now, 120.0, None), at(101.0), "resting in green");
        let bound = Some(at(100.4));
        assert_eq!(
            deadline(now, 10.0, bound),
            at(100.4),
            "the wait bound first"
        );
        assert_eq!(deadline(now, 0.3, bound), at(100.3), "the hold first");
        let past = Some(at(99.0));
        assert_eq!(deadline(now, 10.0, past), at(101.0), "a bound already past");
    }
}
