//! A module's own flash function, as a profile declares it: many I/O modules can flash an
//! output in hardware, each output with a flash-enable coil beside it, at a rate of their own
//! (fixed, or set in a holding register). Where a profile has it, the daemon lights a flashing
//! aspect's lamp steadily and sets its flash-enable coil, instead of toggling the lamp itself.
//! The rate must lie within 50 to 60 flashes a minute (MUTCD 2009 4D.30).

use serde::Deserialize;

use super::{BankSpec, Spans};

/// `[flash]` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlashSpec {
    /// The flash-enable coil of the output at coil `c` is coil `c + enable_offset`.
    pub enable_offset: u32,
    /// The module's flash rate, flashes a minute (50 to 60).
    pub flashes_per_minute: u32,
    /// Holding register that sets the rate, written on every (re)connection, if the module
    /// has one.
    pub rate_register: Option<u32>,
    /// The value that sets `flashes_per_minute` there.
    pub rate_value: Option<u32>,
}

/// A validated flash function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    /// The flash-enable coil of the output at coil `c` is `c + enable_offset`.
    pub enable_offset: u16,
    /// Flashes a minute.
    pub flashes_per_minute: u32,
    /// Holding register and value that set the rate.
    pub rate: Option<(u16, u16)>,
}

/// Checks `[flash]` against the output banks (`outputs`, their coils already taken in
/// `coils`) and the holding registers taken so far.
pub(super) fn check(
    spec: &FlashSpec,
    outputs: &[BankSpec],
    coils: &mut Spans,
    holding: &mut Spans,
    problems: &mut Vec<String>,
) -> Option<Flash> {
    let before = problems.len();
    if outputs.is_empty() {
        problems.push("flash: the module has no outputs to flash".into());
    }
    if !(50..=60).contains(&spec.flashes_per_minute) {
        problems.push(format!(
            "flash.flashes_per_minute: {} is outside 50 to 60 (MUTCD 2009 4D.30)",
            spec.flashes_per_minute
        ));
    }
    if spec.enable_offset == 0 {
        problems.push("flash.enable_offset: 0 puts the flash-enable coils on the outputs".into());
    } else {
        for (i, bank) in outputs.iter().enumerate() {
            let key = format!("flash (enable coils of outputs[{i}])");
            coils.add(
                &key,
                "coils",
                bank.address + spec.enable_offset,
                bank.count,
                problems,
            );
        }
    }
    let rate = match (spec.rate_register, spec.rate_value) {
        (Some(register), Some(value)) => {
            holding.add(
                "flash.rate_register",
                "holding registers",
                register,
                1,
                problems,
            );
            if value > u32::from(u16::MAX) {
                problems.push(format!("flash.rate_value: {value} does not fit a register"));
            }
            Some((register as u16, value as u16))
        }
        (None, None) => None,
        (Some(_), None) => {
            problems.push("flash.rate_value: missing (rate_register is given)".into());
            None
        }
        (None, Some(_)) => {
            problems.push("flash.rate_register: missing (rate_value is given)".into());
            None
        }
    };
    (problems.len() == before).then_some(Flash {
        enable_offset: spec.enable_offset as u16,
        flashes_per_minute: spec.flashes_per_minute,
        rate,
    })
}
