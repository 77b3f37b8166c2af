//! The event codes greenwave writes, as numbered by the Indiana Traffic Signal Hi Resolution Data
//! Logger Enumerations (Sturdevant et al., 2012; revised by the pooled fund study TPF-5(377),
//! 2019). Each constant names the enumeration's event; the parameter it carries is said beside
//! it and in `docs/atspm.md`.

/// Phase On: the phase becomes active (written with Phase Begin Green). Parameter: phase.
pub const PHASE_ON: u16 = 0;
/// Phase Begin Green (solid or flashing; not repeated while flashing). Parameter: phase.
pub const PHASE_BEGIN_GREEN: u16 = 1;
/// Phase Gap Out. Parameter: phase.
pub const PHASE_GAP_OUT: u16 = 4;
/// Phase Max Out. Parameter: phase.
pub const PHASE_MAX_OUT: u16 = 5;
/// Phase Force Off. Parameter: phase.
pub const PHASE_FORCE_OFF: u16 = 6;
/// Phase Green Termination. Parameter: phase.
pub const PHASE_GREEN_TERMINATION: u16 = 7;
/// Phase Begin Yellow Change. Parameter: phase.
pub const PHASE_BEGIN_YELLOW: u16 = 8;
/// Phase End Yellow Change. Parameter: phase.
pub const PHASE_END_YELLOW: u16 = 9;
/// Phase Begin Red Clearance. Parameter: phase.
pub const PHASE_BEGIN_RED_CLEARANCE: u16 = 10;
/// Phase End Red Clearance. Parameter: phase.
pub const PHASE_END_RED_CLEARANCE: u16 = 11;
/// Phase Inactive. Parameter: phase.
pub const PHASE_INACTIVE: u16 = 12;
/// Pedestrian Begin Walk. Parameter: pedestrian phase.
pub const PED_BEGIN_WALK: u16 = 21;
/// Pedestrian Begin Change Interval (clearance). Parameter: pedestrian phase.
pub const PED_BEGIN_CLEARANCE: u16 = 22;
/// Pedestrian Begin Solid Don't Walk. Parameter: pedestrian phase.
pub const PED_BEGIN_DONT_WALK: u16 = 23;
/// Phase Call Registered (vehicle demand). Parameter: phase.
pub const PHASE_CALL_REGISTERED: u16 = 43;
/// Phase Call Dropped (served, or withdrawn). Parameter: phase.
pub const PHASE_CALL_DROPPED: u16 = 44;
/// Pedestrian Call Registered. Parameter: pedestrian phase.
pub const PED_CALL_REGISTERED: u16 = 45;
/// Detector Off. Parameter: detector channel.
pub const DETECTOR_OFF: u16 = 81;
/// Detector On. Parameter: detector channel.
pub const DETECTOR_ON: u16 = 82;
/// Detector Restored. Parameter: detector channel.
pub const DETECTOR_RESTORED: u16 = 83;
/// Detector Fault - Other. Parameter: detector channel.
pub const DETECTOR_FAULT_OTHER: u16 = 84;
/// Detector Fault - Open Loop. Parameter: detector channel.
pub const DETECTOR_FAULT_OPEN: u16 = 86;
/// Detector Fault - Shorted Loop. Parameter: detector channel.
pub const DETECTOR_FAULT_SHORTED: u16 = 87;
/// Detector Fault - Excessive Change. Parameter: detector channel.
pub const DETECTOR_FAULT_EXCESSIVE_CHANGE: u16 = 88;
/// Pedestrian Detector Off. Parameter: pedestrian detector channel.
pub const PED_DETECTOR_OFF: u16 = 89;
/// Pedestrian Detector On. Parameter: pedestrian detector channel.
pub const PED_DETECTOR_ON: u16 = 90;
/// Pedestrian Detector Failed. Parameter: pedestrian detector channel.
pub const PED_DETECTOR_FAILED: u16 = 91;
/// Pedestrian Detector Restored. Parameter: pedestrian detector channel.
pub const PED_DETECTOR_RESTORED: u16 = 92;

/// Preempt (Call) Input On: a preemption call began. Parameter: preempt number (the
/// approach: 1 northbound, 2 eastbound, 3 southbound, 4 westbound).
pub const PREEMPT_CALL_ON: u16 = 102;
/// Preempt (Call) Input Off: the call cleared. Parameter: preempt number.
pub const PREEMPT_CALL_OFF: u16 = 104;
/// Preempt Entry Started: the transition to the dwell stage began. Parameter: preempt number.
pub const PREEMPT_ENTRY_STARTED: u16 = 105;
/// Preemption Begin Dwell Service: the dwell stage shows green. Parameter: preempt number.
pub const PREEMPT_BEGIN_DWELL: u16 = 107;
/// Preemption Max Presence Exceeded: a stuck call was dropped. Parameter: preempt number.
pub const PREEMPT_MAX_PRESENCE: u16 = 110;
/// Preemption Begin Exit Interval: control returns to the controller. Parameter: preempt
/// number.
pub const PREEMPT_BEGIN_EXIT: u16 = 111;
/// TSP Check In: a bus asked for priority. Parameter: TSP number (the bus's phase).
pub const TSP_CHECK_IN: u16 = 112;
/// TSP Adjustment to Early Green. Parameter: TSP number.
pub const TSP_EARLY_GREEN: u16 = 113;
/// TSP Adjustment to Extend Green. Parameter: TSP number.
pub const TSP_EXTEND_GREEN: u16 = 114;
/// TSP Check Out: the request ended. Parameter: TSP number.
pub const TSP_CHECK_OUT: u16 = 115;

/// Coord Pattern Change: a plan takes effect. Parameter: its pattern number (0 to 255).
pub const COORD_PATTERN_CHANGE: u16 = 131;
/// Cycle Length Change: a fixed-time plan takes effect. Parameter: its cycle, s (255 at most;
/// the rest in 156).
pub const CYCLE_LENGTH_CHANGE: u16 = 132;
/// Offset Length Change: a fixed-time plan takes effect. Parameter: its offset, s (255 at most).
pub const OFFSET_LENGTH_CHANGE: u16 = 133;
/// Additional Cycle Length Change: with 132 (then 255) for a cycle over 255 s. Parameter: the
/// cycle's seconds above 255 (255 at most).
pub const ADDITIONAL_CYCLE_LENGTH_CHANGE: u16 = 156;

/// Every code greenwave may write, in code order.
pub const WRITTEN: [u16; 42] = [
    PHASE_ON,
    PHASE_BEGIN_GREEN,
    PHASE_GAP_OUT,
    PHASE_MAX_OUT,
    PHASE_FORCE_OFF,
    PHASE_GREEN_TERMINATION,
    PHASE_BEGIN_YELLOW,
    PHASE_END_YELLOW,
    PHASE_BEGIN_RED_CLEARANCE,
    PHASE_END_RED_CLEARANCE,
    PHASE_INACTIVE,
    PED_BEGIN_WALK,
    PED_BEGIN_CLEARANCE,
    PED_BEGIN_DONT_WALK,
    PHASE_CALL_REGISTERED,
    PHASE_CALL_DROPPED,
    PED_CALL_REGISTERED,
    DETECTOR_OFF,
    DETECTOR_ON,
    DETECTOR_RESTORED,
    DETECTOR_FAULT_OTHER,
    DETECTOR_FAULT_OPEN,
    DETECTOR_FAULT_SHORTED,
    DETECTOR_FAULT_EXCESSIVE_CHANGE,
    PED_DETECTOR_OFF,
    PED_DETECTOR_ON,
    PED_DETECTOR_FAILED,
    PED_DETECTOR_RESTORED,
    PREEMPT_CALL_ON,
    PREEMPT_CALL_OFF,
    PREEMPT_ENTRY_STARTED,
    PREEMPT_BEGIN_DWELL,
    PREEMPT_MAX_PRESENCE,
    PREEMPT_BEGIN_EXIT,
    TSP_CHECK_IN,
    TSP_EARLY_GREEN,
    TSP_EXTEND_GREEN,
    TSP_CHECK_OUT,
    COORD_PATTERN_CHANGE,
    CYCLE_LENGTH_CHANGE,
    OFFSET_LENGTH_CHANGE,
    ADDITIONAL_CYCLE_LENGTH_CHANGE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_codes_are_sorted_and_distinct() {
        assert!(WRITTEN.windows(2).all(|w| w[0] < w[1]));
    }
}
