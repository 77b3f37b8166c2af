//! Preemption and transit priority in the Indiana log: what the preemptor and the transit
//! priority report, as the enumeration's events 102 to 115. A preemption's parameter is its
//! approach (1 northbound, 2 eastbound, 3 southbound, 4 westbound, 5 to 8 the diagonals from
//! north-east bound clockwise, 9 an approach named otherwise: one preempt input per approach); a
//! priority's is its TSP number, the phase that serves the bus.

use greenwave_controllers::model::Approach;
use greenwave_controllers::preempt::PreemptEvent;
use greenwave_controllers::priority::PriorityEvent;

use super::code::*;
use super::recorder::Event;

/// The preempt number of an approach: 1 to 4 for the four compass points, 5 to 8 for the
/// diagonals (north-east, south-east, south-west, north-west bound), 9 for an approach with a
/// name of its own.
fn preempt_number(approach: Approach) -> u16 {
    let four = Approach::FOUR.iter().position(|&a| a == approach);
    let diagonal = [Approach::NEB, Approach::SEB, Approach::SWB, Approach::NWB]
        .iter()
        .position(|&a| a == approach);
    match (four, diagonal) {
        (Some(i), _) => i as u16 + 1,
        (_, Some(i)) => i as u16 + 5,
        _ => 9,
    }
}

/// The events of one preemption report.
pub fn preemption(event: &PreemptEvent) -> Vec<Event> {
    let (codes, approach): (&[u16], _) = match *event {
        PreemptEvent::Began { approach, .. } => {
            (&[PREEMPT_CALL_ON, PREEMPT_ENTRY_STARTED], approach)
        }
        PreemptEvent::Served { approach, .. } => (&[PREEMPT_BEGIN_DWELL], approach),
        PreemptEvent::Ended { approach } => (&[PREEMPT_CALL_OFF, PREEMPT_BEGIN_EXIT], approach),
        PreemptEvent::Stuck { approach } => (&[PREEMPT_MAX_PRESENCE], approach),
    };
    let param = preempt_number(approach);
    codes.iter().map(|&code| Event { code, param }).collect()
}

/// The event of one transit priority report, if the enumeration has one (a refused request
/// has none: it goes to `events` only).
pub fn priority(event: &PriorityEvent) -> Option<Event> {
    let (code, number) = match *event {
        PriorityEvent::CheckIn { number, .. } => (TSP_CHECK_IN, number),
        PriorityEvent::EarlyGreen { number, .. } => (TSP_EARLY_GREEN, number),
        PriorityEvent::ExtendGreen { number, .. } => (TSP_EXTEND_GREEN, number),
        PriorityEvent::CheckOut { number, .. } => (TSP_CHECK_OUT, number),
        PriorityEvent::Refused { .. } => return None,
    };
    Some(Event {
        code,
        param: u16::from(number),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preemption_and_priority_reports_map_to_the_enumeration() {
        let began = PreemptEvent::Began {
            approach: Approach::WB,
            stage: greenwave_controllers::model::StageIndex(2),
        };
        let codes: Vec<(u16, u16)> = preemption(&began)
            .iter()
            .map(|e| (e.code, e.param))
            .collect();
        assert_eq!(codes, vec![(102, 4), (105, 4)]);
        let ended = preemption(&PreemptEvent::Ended {
            approach: Approach::NB,
        });
        assert_eq!(
            ended.iter().map(|e| (e.code, e.param)).collect::<Vec<_>>(),
            vec![(104, 1), (111, 1)]
        );
        let early = PriorityEvent::EarlyGreen {
            approach: Approach::EB,
            number: 2,
        };
        assert_eq!(
            priority(&early),
            Some(Event {
                code: 113,
                param: 2
            })
        );
        let refused = PriorityEvent::Refused {
            vehicle: "bus".into(),
            reason: "late".into(),
        };
        assert_eq!(priority(&refused), None);
    }
}
