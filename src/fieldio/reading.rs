//! One poll of a cabinet's input registers: which blocks to read for a register map, and the
//! values decoded from them (raw, as the cabinet reported them; judging them is the control
//! loop's job).

use super::reference::status;
use super::regmap::RegisterMap;

/// Most registers one read may ask for (Modbus limit).
const MAX_READ: u32 = 125;

/// One channel's four registers, raw.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RawDetector {
    /// Cumulative count (wraps).
    pub count: u16,
    /// Cumulative occupied time, cs (wraps).
    pub on_time_cs: u16,
    /// Presence (1 present).
    pub presence: u16,
    /// Fault code.
    pub fault: u16,
}

/// The decoded input registers of one poll.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Reading {
    /// The I/O module's heartbeat.
    pub heartbeat: u16,
    /// Detector channels the cabinet says it has.
    pub channels: u16,
    /// Signal groups the cabinet says it has.
    pub groups: u16,
    /// Status bits.
    pub status: u16,
    /// The cabinet clock, ds.
    pub clock_ds: u32,
    /// Each configured channel.
    pub detectors: Vec<RawDetector>,
    /// Each configured group's shown aspect code.
    pub shown: Vec<u16>,
}

impl Reading {
    /// Bit 0: local fallback active.
    pub fn local(&self) -> bool {
        self.status & status::LOCAL != 0
    }

    /// Bit 1: flashing.
    pub fn flashing(&self) -> bool {
        self.status & status::FLASHING != 0
    }

    /// Bit 2: hardware conflict monitor tripped.
    pub fn conflict(&self) -> bool {
        self.status & status::CONFLICT != 0
    }
}

/// The blocks of input registers to read for `channels` detectors and `groups` signal groups,
/// contiguous addresses merged, each at most 125 registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadPlan {
    map: RegisterMap,
    channels: u16,
    groups: u16,
    /// (first address, count)
    pub blocks: Vec<(u16, u16)>,
}

impl ReadPlan {
    /// The plan for a map and a cabinet size.
    pub fn new(map: RegisterMap, channels: u16, groups: u16) -> ReadPlan {
        let mut addresses: Vec<u32> = vec![
            map.io_heartbeat.into(),
            map.detector_channels.into(),
            map.signal_groups.into(),
            map.cabinet_status.into(),
            map.clock_ds.into(),
            u32::from(map.clock_ds) + 1,
        ];
        for c in 0..channels {
            let base = map.detector(c);
            addresses.extend(base..base + 4);
        }
        addresses.extend((0..u32::from(groups)).map(|g| u32::from(map.shown_aspect_base) + g));
        addresses.retain(|&a| a <= u32::from(u16::MAX));
        addresses.sort_unstable();
        addresses.dedup();
        let mut blocks: Vec<(u16, u16)> = Vec::new();
        for a in addresses {
            match blocks.last_mut() {
                Some((start, count))
                    if u32::from(*start) + u32::from(*count) == a
                        && u32::from(*count) < MAX_READ =>
                {
                    *count += 1
                }
                _ => blocks.push((a as u16, 1)),
            }
        }
        ReadPlan {
            map,
            channels,
            groups,
            blocks,
        }
    }

    /// Decodes the words read for `blocks` (in order).
    pub fn decode(&self, words: &[Vec<u16>]) -> Reading {
        let get = |address: u32| -> u16 {
            self.blocks
                .iter()
                .zip(words)
                .find_map(|(&(start, count), w)| {
                    let offset = address.checked_sub(u32::from(start))?;
                    (offset < u32::from(count)).then(|| w.get(offset as usize).copied())?
                })
                .unwrap_or_default()
        };
        let m = &self.map;
        Reading {
            heartbeat: get(m.io_heartbeat.into()),
            channels: get(m.detector_channels.into()),
            groups: get(m.signal_groups.into()),
            status: get(m.cabinet_status.into()),
            clock_ds: m
                .word_order
                .join(get(m.clock_ds.into()), get(u32::from(m.clock_ds) + 1)),
            detectors: (0..self.channels)
                .map(|c| {
                    let base = m.detector(c);
                    RawDetector {
                        count: get(base),
                        on_time_cs: get(base + 1),
                        presence: get(base + 2),
                        fault: get(base + 3),
                    }
                })
                .collect(),
            shown: (0..u32::from(self.groups))
                .map(|g| get(u32::from(m.shown_aspect_base) + g))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldio::regmap::WordOrder;

    #[test]
    fn the_reference_map_reads_in_three_blocks() {
        let plan = ReadPlan::new(RegisterMap::default(), 20, 8);
        assert_eq!(plan.blocks, vec![(0, 6), (100, 80), (300, 8)]);
    }

    #[test]
    fn long_runs_are_split_at_125() {
        let plan = ReadPlan::new(RegisterMap::default(), 40, 32);
        assert_eq!(plan.blocks, vec![(0, 6), (100, 125), (225, 35), (300, 32)]);
    }

    #[test]
    fn decodes_every_field_in_either_word_order() {
        let mut map = RegisterMap::default();
        let plan = ReadPlan::new(map, 2, 2);
        let words = vec![
            vec![7, 2, 2, 0b101, 0x0001, 0x0002],
            vec![10, 20, 1, 0, 65_535, 3, 0, 5],
            vec![3, 1],
        ];
        let r = plan.decode(&words);
        assert_eq!((r.heartbeat, r.channels, r.groups), (7, 2, 2));
        assert!(r.local() && !r.flashing() && r.conflict());
        assert_eq!(r.clock_ds, 0x0001_0002);
        assert_eq!(r.detectors[1].count, 65_535);
        assert_eq!(r.detectors[1].fault, 5);
        assert_eq!(r.shown, vec![3, 1]);
        map.word_order = WordOrder::LowFirst;
        let r = ReadPlan::new(map, 2, 2).decode(&words);
        assert_eq!(r.clock_ds, 0x0002_0001);
    }
}
