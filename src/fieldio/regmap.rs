//! The cabinet register map: where every value lives, configurable, defaulting to the reference
//! map (`docs/spec/cabinet-modbus.md`, v1).
//!
//! Addresses are zero-based protocol addresses. A Modicon reference number ("30101" for input
//! register 100, "40001" or "400001" for holding register 0) is accepted too, converted, and
//! reported back as a warning, since a map copied from a vendor's manual often uses them. A
//! reference into the wrong table is an error naming the key.

use serde::Deserialize;

/// Which Modbus table an address lives in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Table {
    /// Input registers (function 04), reference numbers 3xxxx.
    Input,
    /// Holding registers (functions 03, 06, 16), reference numbers 4xxxx.
    Holding,
}

/// An address as written in a config file: a number or a string.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize)]
#[serde(untagged)]
pub enum AddressSpec {
    /// A number.
    Number(u64),
    /// A string, e.g. "40001".
    Text(String),
}

/// Order of the two registers of a 32-bit value.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    /// High word at the lower address (the reference map).
    #[default]
    HighFirst,
    /// Low word at the lower address.
    LowFirst,
}

impl WordOrder {
    /// The 32-bit value of two consecutive registers.
    pub fn join(self, first: u16, second: u16) -> u32 {
        let (high, low) = match self {
            WordOrder::HighFirst => (first, second),
            WordOrder::LowFirst => (second, first),
        };
        u32::from(high) << 16 | u32::from(low)
    }
}

/// The `[registers]` section of a cabinet config; every key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterMapSpec {
    /// Input: the I/O heartbeat.
    pub io_heartbeat: Option<AddressSpec>,
    /// Input: the number of detector channels.
    pub detector_channels: Option<AddressSpec>,
    /// Input: the number of signal groups.
    pub signal_groups: Option<AddressSpec>,
    /// Input: the status bits.
    pub cabinet_status: Option<AddressSpec>,
    /// Input: the cabinet clock (two registers).
    pub clock_ds: Option<AddressSpec>,
    /// The first detector channel's `count`; `on_time_cs`, `presence` and `fault` follow.
    pub detector_base: Option<AddressSpec>,
    /// Registers from one channel to the next (at least 4).
    pub detector_stride: Option<u16>,
    /// Input: group 0's shown aspect.
    pub shown_aspect_base: Option<AddressSpec>,
    /// Holding: the watchdog.
    pub watchdog: Option<AddressSpec>,
    /// Holding: the control request.
    pub control_request: Option<AddressSpec>,
    /// Holding: group 0's commanded aspect.
    pub commanded_aspect_base: Option<AddressSpec>,
    /// Word order of 32-bit values (`high_first` or `low_first`).
    pub word_order: Option<WordOrder>,
}

/// A resolved register map.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RegisterMap {
    /// Input: I/O module heartbeat.
    pub io_heartbeat: u16,
    /// Input: number of detector channels.
    pub detector_channels: u16,
    /// Input: number of signal groups.
    pub signal_groups: u16,
    /// Input: status bits.
    pub cabinet_status: u16,
    /// Input: cabinet clock, deciseconds, two registers.
    pub clock_ds: u16,
    /// Input: channel 0's count; then on-time, presence, fault.
    pub detector_base: u16,
    /// Input: registers per channel.
    pub detector_stride: u16,
    /// Input: group 0's shown aspect.
    pub shown_aspect_base: u16,
    /// Holding: the watchdog.
    pub watchdog: u16,
    /// Holding: the control request.
    pub control_request: u16,
    /// Holding: group 0's commanded aspect.
    pub commanded_aspect_base: u16,
    /// Word order of 32-bit values.
    pub word_order: WordOrder,
}

impl Default for RegisterMap {
    /// The reference map.
    fn default() -> Self {
        use super::reference::address;
        RegisterMap {
            io_heartbeat: address::IO_HEARTBEAT,
            detector_channels: address::DETECTOR_CHANNELS,
            signal_groups: address::SIGNAL_GROUPS,
            cabinet_status: address::CABINET_STATUS,
            clock_ds: address::CLOCK_DS,
            detector_base: address::DETECTORS,
            detector_stride: address::DETECTOR_STRIDE,
            shown_aspect_base: address::SHOWN_ASPECT,
            watchdog: address::WATCHDOG,
            control_request: address::CONTROL_REQUEST,
            commanded_aspect_base: address::COMMANDED_ASPECT,
            word_order: WordOrder::HighFirst,
        }
    }
}

/// A register map key that cannot be used.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("registers.{key}: {why}")]
pub struct MapError {
    /// The key under `[registers]`.
    pub key: &'static str,
    /// What is wrong.
    pub why: String,
}

impl RegisterMap {
    /// Resolves `spec` over the reference map. Returns the map and a warning for every
    /// reference number converted.
    pub fn from_spec(spec: &RegisterMapSpec) -> Result<(RegisterMap, Vec<String>), MapError> {
        let mut map = RegisterMap::default();
        let mut warnings = Vec::new();
        let mut set = |key: &'static str, field: &mut u16, spec: &Option<AddressSpec>, table| {
            if let Some(spec) = spec {
                let (address, warning) = resolve(key, spec, table)?;
                *field = address;
                warnings.extend(warning);
            }
            Ok::<(), MapError>(())
        };
        use Table::{Holding, Input};
        set(
            "io_heartbeat",
            &mut map.io_heartbeat,
            &spec.io_heartbeat,
            Input,
        )?;
        set(
            "detector_channels",
            &mut map.detector_channels,
            &spec.detector_channels,
            Input,
        )?;
        set(
            "signal_groups",
            &mut map.signal_groups,
            &spec.signal_groups,
            Input,
        )?;
        set(
            "cabinet_status",
            &mut map.cabinet_status,
            &spec.cabinet_status,
            Input,
        )?;
        set("clock_ds", &mut map.clock_ds, &spec.clock_ds, Input)?;
        set(
            "detector_base",
            &mut map.detector_base,
            &spec.detector_base,
            Input,
        )?;
        set(
            "shown_aspect_base",
            &mut map.shown_aspect_base,
            &spec.shown_aspect_base,
            Input,
        )?;
        set("watchdog", &mut map.watchdog, &spec.watchdog, Holding)?;
        set(
            "control_request",
            &mut map.control_request,
            &spec.control_request,
            Holding,
        )?;
        set(
            "commanded_aspect_base",
            &mut map.commanded_aspect_base,
            &spec.commanded_aspect_base,
            Holding,
        )?;
        if let Some(stride) = spec.detector_stride {
            if stride < 4 {
                return Err(MapError {
                    key: "detector_stride",
                    why: format!("{stride} is too small: a channel has 4 registers (at least 4)"),
                });
            }
            map.detector_stride = stride;
        }
        map.word_order = spec.word_order.unwrap_or_default();
        Ok((map, warnings))
    }

    /// Checks that, for a cabinet of `channels` detector channels and `groups` signal groups,
    /// every value fits below 65536 and no two share a register.
    pub fn check(&self, channels: u16, groups: u16) -> Result<(), MapError> {
        let detectors = match channels {
            0 => 0,
            n => u32::from(self.detector_stride) * u32::from(n - 1) + 4,
        };
        let input: [(&'static str, u32, u32); 7] = [
            ("io_heartbeat", self.io_heartbeat.into(), 1),
            ("detector_channels", self.detector_channels.into(), 1),
            ("signal_groups", self.signal_groups.into(), 1),
            ("cabinet_status", self.cabinet_status.into(), 1),
            ("clock_ds", self.clock_ds.into(), 2),
            ("detector_base", self.detector_base.into(), detectors),
            (
                "shown_aspect_base",
                self.shown_aspect_base.into(),
                groups.into(),
            ),
        ];
        let holding: [(&'static str, u32, u32); 3] = [
            ("watchdog", self.watchdog.into(), 1),
            ("control_request", self.control_request.into(), 1),
            (
                "commanded_aspect_base",
                self.commanded_aspect_base.into(),
                groups.into(),
            ),
        ];
        for (table, blocks) in [("input", &input[..]), ("holding", &holding[..])] {
            for (i, &(key, start, len)) in blocks.iter().enumerate() {
                if start + len > 1 << 16 {
                    return Err(MapError {
                        key,
                        why: format!(
                            "{len} registers from {start} run past the last address, 65535"
                        ),
                    });
                }
                for &(other, o_start, o_len) in &blocks[..i] {
                    if len > 0 && o_len > 0 && start < o_start + o_len && o_start < start + len {
                        return Err(MapError {
                            key,
                            why: format!(
                                "{table} registers {start}..{} overlap `{other}` ({o_start}..{})",
                                start + len - 1,
                                o_start + o_len - 1
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The input address of channel `channel`'s count (`+1` on-time, `+2` presence, `+3` fault).
    pub fn detector(&self, channel: u16) -> u32 {
        u32::from(self.detector_base) + u32::from(channel) * u32::from(self.detector_stride)
    }
}

/// The zero-based address of `spec` in `table`, and a warning if it was a reference number.
fn resolve(
    key: &'static str,
    spec: &AddressSpec,
    table: Table,
) -> Result<(u16, Option<String>), MapError> {
    let err = |why: String| MapError { key, why };
    let (text, number) = match spec {
        AddressSpec::Number(n) => (n.to_string(), *n),
        AddressSpec::Text(t) => {
            let t = t.trim();
            let n = t.parse::<u64>().map_err(|_| {
                err(format!(
                    "`{t}` is not an address (a number, or a reference like \"40001\")"
                ))
            })?;
            (t.to_owned(), n)
        }
    };
    let (prefix, name, article) = match table {
        Table::Input => (3, "input register", "an"),
        Table::Holding => (4, "holding register", "a"),
    };
    // Reference numbers: five digits (30001..39999) or six (300001..365536).
    let reference = match text.len() {
        5 if text.as_bytes()[0] != b'0' => Some((number / 10_000, number % 10_000)),
        6 if text.as_bytes()[0] != b'0' => Some((number / 100_000, number % 100_000)),
        _ => None,
    };
    match reference {
        Some((p, offset)) if p == prefix && (1..=65_536).contains(&offset) => {
            let address = (offset - 1) as u16;
            let warning = format!(
                "registers.{key}: \"{text}\" read as a 1-based reference number, {name} \
                 address {address}; write {address} to silence this"
            );
            Ok((address, Some(warning)))
        }
        Some((p @ (0 | 1 | 3 | 4), _)) if p != prefix => Err(err(format!(
            "\"{text}\" is a reference into the {} table, but {key} is {article} {name} ({prefix}xxxx)",
            match p {
                0 => "coil",
                1 => "discrete input",
                3 => "input register",
                _ => "holding register",
            }
        ))),
        _ => u16::try_from(number).map(|a| (a, None)).map_err(|_| {
            err(format!(
                "{number} is out of range (a protocol address is 0 to 65535)"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> RegisterMapSpec {
        toml::from_str(toml_text).expect("parses")
    }

    #[test]
    fn defaults_are_the_reference_map() {
        let (map, warnings) = RegisterMap::from_spec(&RegisterMapSpec::default()).unwrap();
        assert_eq!(map, RegisterMap::default());
        assert!(warnings.is_empty());
        assert_eq!(map.detector(2), 108);
    }

    #[test]
    fn reference_numbers_are_converted_with_a_warning() {
        let (map, warnings) = RegisterMap::from_spec(&spec(
            "watchdog = \"40001\"\ncommanded_aspect_base = 400201\ndetector_base = \"30101\"",
        ))
        .unwrap();
        assert_eq!(map.watchdog, 0);
        assert_eq!(map.commanded_aspect_base, 200);
        assert_eq!(map.detector_base, 100);
        assert_eq!(warnings.len(), 3);
        assert!(
            warnings[0].contains("registers.detector_base"),
            "{warnings:?}"
        );
    }

    #[test]
    fn plain_numbers_are_protocol_addresses() {
        let (map, warnings) =
            RegisterMap::from_spec(&spec("watchdog = 7\nshown_aspect_base = 1000")).unwrap();
        assert_eq!((map.watchdog, map.shown_aspect_base), (7, 1000));
        assert!(warnings.is_empty());
    }

    #[test]
    fn wrong_table_garbage_and_range_are_named() {
        let e = RegisterMap::from_spec(&spec("watchdog = \"30001\"")).unwrap_err();
        assert_eq!(e.key, "watchdog");
        assert!(e.why.contains("input register table"), "{e}");
        let e = RegisterMap::from_spec(&spec("clock_ds = \"four\"")).unwrap_err();
        assert!(e.to_string().starts_with("registers.clock_ds:"), "{e}");
        let e = RegisterMap::from_spec(&spec("watchdog = 70000")).unwrap_err();
        assert!(e.why.contains("out of range"), "{e}");
        let e = RegisterMap::from_spec(&spec("detector_stride = 2")).unwrap_err();
        assert_eq!(e.key, "detector_stride");
    }

    #[test]
    fn overlapping_or_overflowing_blocks_are_named() {
        let map = RegisterMap::default();
        assert_eq!(map.check(20, 8), Ok(()));
        // 60 channels from 100 run into the shown aspects at 300.
        let e = map.check(60, 8).unwrap_err();
        assert_eq!(e.key, "shown_aspect_base");
        assert!(e.why.contains("overlap `detector_base`"), "{e}");
        let (map, _) = RegisterMap::from_spec(&spec("watchdog = 203")).unwrap();
        let e = map.check(20, 8).unwrap_err();
        assert_eq!(e.key, "commanded_aspect_base");
        let (map, _) = RegisterMap::from_spec(&spec("shown_aspect_base = 65530")).unwrap();
        let e = map.check(20, 8).unwrap_err();
        assert!(e.why.contains("past the last address"), "{e}");
    }

    #[test]
    fn word_orders() {
        assert_eq!(WordOrder::HighFirst.join(1, 2), 0x0001_0002);
        assert_eq!(WordOrder::LowFirst.join(1, 2), 0x0002_0001);
    }
}
