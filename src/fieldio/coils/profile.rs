//! A device profile: what one family of commodity Modbus I/O modules offers, as a file
//! (`config/profiles/*.toml`, described in `docs/profiles.md`). Its terminals (digital outputs
//! as coils, digital inputs as discrete inputs, hardware counters as registers), and its
//! communication watchdog, which puts the outputs to their safe state (off) when the master goes
//! silent; and the module's own flash function, if it has one ([`flash`]). Validated on load;
//! every problem is reported, each naming the bank or the key.
//!
//! Addresses are zero-based protocol addresses (Modbus Application Protocol v1.1b3, 4.4).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::fieldio::regmap::WordOrder;

mod flash;
pub use flash::{Flash, FlashSpec};

/// Most coils one write-multiple-coils request may carry (function 15: 0x7B0).
pub const MAX_COILS_PER_WRITE: u32 = 1968;
/// Most discrete inputs one read may ask for (function 02: 0x7D0).
pub const MAX_INPUTS_PER_READ: u32 = 2000;

/// The profile file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// What the profile describes, for people.
    pub name: String,
    /// Digital outputs, as coils.
    #[serde(default)]
    pub outputs: Vec<BankSpec>,
    /// Digital inputs, as discrete inputs.
    #[serde(default)]
    pub inputs: Vec<BankSpec>,
    /// Hardware counters on some of the inputs.
    #[serde(default)]
    pub counters: Vec<CounterSpec>,
    /// The communication watchdog (required of a module with outputs: it is what puts the
    /// cabinet to flash when the controller dies).
    pub watchdog: Option<WatchdogSpec>,
    /// The module's own flash function, if it has one.
    pub flash: Option<FlashSpec>,
}

/// A run of terminals at consecutive addresses: `prefix` + number, e.g. `DO0` .. `DO15`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankSpec {
    /// Terminal name prefix, e.g. `DO`.
    pub prefix: String,
    /// Number of the first terminal (0 or 1, as printed on the module).
    #[serde(default)]
    pub first_number: u32,
    /// How many terminals.
    pub count: u32,
    /// Protocol address of the first terminal.
    pub address: u32,
}

/// Which register table a counter lives in.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RegisterTable {
    /// Input registers (function 04).
    #[default]
    Input,
    /// Holding registers (function 03).
    Holding,
}

/// Hardware counters of consecutive inputs: the counter of input `prefix + n` at
/// `address + (n - first_number) * registers`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterSpec {
    /// The inputs' prefix.
    pub prefix: String,
    /// The first input with a counter.
    #[serde(default)]
    pub first_number: u32,
    /// How many consecutive inputs have one.
    pub count: u32,
    /// Register of the first counter.
    pub address: u32,
    /// 1 (16 bits) or 2 (32 bits).
    #[serde(default = "one")]
    pub registers: u32,
    /// The table.
    #[serde(default)]
    pub table: RegisterTable,
    /// Word order of a 32-bit counter.
    #[serde(default)]
    pub word_order: WordOrder,
}

fn one() -> u32 {
    1
}

/// How the watchdog is kept alive.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Keepalive {
    /// Any request to the module restarts it.
    Traffic,
    /// Writing a changing value to `keepalive_register` restarts it.
    Register,
}

/// `[watchdog]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchdogSpec {
    /// Holding register taking the timeout.
    pub timeout_register: u32,
    /// The timeout register counts in these, ms.
    #[serde(default = "one")]
    pub unit_ms: u32,
    /// How it is kept alive.
    pub keepalive: Keepalive,
    /// Holding register written with a changing value, for `keepalive = "register"`.
    pub keepalive_register: Option<u32>,
    /// Holding register that switches the watchdog on, if the module has one.
    pub enable_register: Option<u32>,
    /// The value that switches it on (default 1).
    #[serde(default = "one")]
    pub enable_value: u32,
}

/// A validated watchdog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watchdog {
    /// Holding register taking the timeout.
    pub timeout_register: u16,
    /// Its unit, ms.
    pub unit_ms: u32,
    /// Holding register to write with a changing value; `None`: any request keeps it alive.
    pub keepalive_register: Option<u16>,
    /// Holding register and value that switch it on.
    pub enable: Option<(u16, u16)>,
}

/// A validated counter: where the count of one input lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// First register.
    pub address: u16,
    /// 1 or 2.
    pub registers: u16,
    /// The table.
    pub table: RegisterTable,
    /// Word order of 32-bit counters.
    pub word_order: WordOrder,
}

/// What one terminal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminal {
    /// A digital output at this coil.
    Output(u16),
    /// A digital input at this discrete input, maybe with a hardware counter.
    Input(u16, Option<Counter>),
}

/// A validated profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// What it describes.
    pub name: String,
    /// Every terminal by name.
    pub terminals: BTreeMap<String, Terminal>,
    /// The watchdog (every module with outputs has one).
    pub watchdog: Option<Watchdog>,
    /// The module's own flash function, if it has one.
    pub flash: Option<Flash>,
}

impl Profile {
    /// Loads and checks a profile file; the error has every problem, one a line.
    pub fn load(path: &Path) -> Result<Profile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        let spec: ProfileSpec = toml::from_str(&text).map_err(|e| e.to_string())?;
        Profile::from_spec(&spec).map_err(|problems| problems.join("\n"))
    }

    /// Checks a profile: addresses in range and not overlapping within a table, terminal names
    /// unique, counters on existing inputs, a watchdog.
    pub fn from_spec(spec: &ProfileSpec) -> Result<Profile, Vec<String>> {
        let mut problems = Vec::new();
        let mut terminals = BTreeMap::new();
        let mut coils = Spans::default();
        for (i, bank) in spec.outputs.iter().enumerate() {
            let key = format!("outputs[{i}]");
            bank_terminals(&key, bank, MAX_COILS_PER_WRITE, &mut problems, |name, a| {
                name_once(&mut terminals, &key, name, Terminal::Output(a))
            });
            coils.add(&key, "coils", bank.address, bank.count, &mut problems);
        }
        let mut inputs = Spans::default();
        for (i, bank) in spec.inputs.iter().enumerate() {
            let key = format!("inputs[{i}]");
            bank_terminals(&key, bank, MAX_INPUTS_PER_READ, &mut problems, |name, a| {
                name_once(&mut terminals, &key, name, Terminal::Input(a, None))
            });
            inputs.add(
                &key,
                "discrete inputs",
                bank.address,
                bank.count,
                &mut problems,
            );
        }
        let mut registers = [Spans::default(), Spans::default()];
        for (i, c) in spec.counters.iter().enumerate() {
            let key = format!("counters[{i}]");
            counters(&key, c, &mut terminals, &mut registers, &mut problems);
        }
        let watchdog = match &spec.watchdog {
            Some(w) => watchdog(w, &mut registers[1], &mut problems),
            None if !spec.outputs.is_empty() => {
                problems.push(
                    "watchdog: missing; a module without a communication watchdog keeps its \
                     outputs on when the controller dies, so it cannot drive lamps"
                        .into(),
                );
                None
            }
            None => None,
        };
        let flash = spec.flash.as_ref().and_then(|f| {
            flash::check(
                f,
                &spec.outputs,
                &mut coils,
                &mut registers[1],
                &mut problems,
            )
        });
        if spec.outputs.is_empty() && spec.inputs.is_empty() {
            problems.push("outputs, inputs: the module has no terminals".into());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Profile {
            name: spec.name.clone(),
            terminals,
            watchdog,
            flash,
        })
    }
}

/// Calls `add` for every terminal of `bank` (name, address), after checking its range.
fn bank_terminals(
    key: &str,
    bank: &BankSpec,
    max: u32,
    problems: &mut Vec<String>,
    mut add: impl FnMut(String, u16) -> Result<(), String>,
) {
    if bank.count == 0 || bank.count > max {
        problems.push(format!(
            "{key}.count: {} is out of range (1 to {max})",
            bank.count
        ));
        return;
    }
    if bank.prefix.is_empty() || bank.prefix.contains(['.', ' ']) {
        problems.push(format!(
            "{key}.prefix: `{}` is not a terminal prefix (not empty, no dots or spaces)",
            bank.prefix
        ));
        return;
    }
    if bank.address + bank.count > 1 << 16 {
        return; // said by the span check
    }
    for n in 0..bank.count {
        let name = format!("{}{}", bank.prefix, bank.first_number + n);
        if let Err(e) = add(name, (bank.address + n) as u16) {
            problems.push(e);
        }
    }
}

fn name_once(
    terminals: &mut BTreeMap<String, Terminal>,
    key: &str,
    name: String,
    terminal: Terminal,
) -> Result<(), String> {
    if terminals.contains_key(&name) {
        return Err(format!("{key}: terminal {name} is named twice"));
    }
    terminals.insert(name, terminal);
    Ok(())
}

fn counters(
    key: &str,
    c: &CounterSpec,
    terminals: &mut BTreeMap<String, Terminal>,
    registers: &mut [Spans; 2],
    problems: &mut Vec<String>,
) {
    if !matches!(c.registers, 1 | 2) {
        problems.push(format!("{key}.registers: {} is not 1 or 2", c.registers));
        return;
    }
    let table = usize::from(c.table == RegisterTable::Holding);
    let what = ["input registers", "holding registers"][table];
    if !registers[table].add(key, what, c.address, c.count * c.registers, problems) {
        return;
    }
    for n in 0..c.count {
        let name = format!("{}{}", c.prefix, c.first_number + n);
        let counter = Counter {
            address: (c.address + n * c.registers) as u16,
            registers: c.registers as u16,
            table: c.table,
            word_order: c.word_order,
        };
        match terminals.get_mut(&name) {
            Some(Terminal::Input(_, slot @ None)) => *slot = Some(counter),
            Some(Terminal::Input(_, Some(_))) => {
                problems.push(format!("{key}: input {name} has a counter already"))
            }
            _ => problems.push(format!("{key}: {name} is not an input of this module")),
        }
    }
}

fn watchdog(w: &WatchdogSpec, holding: &mut Spans, problems: &mut Vec<String>) -> Option<Watchdog> {
    let before = problems.len();
    let mut one = |key: &str, address: u32, problems: &mut Vec<String>| {
        holding.add(
            &format!("watchdog.{key}"),
            "holding registers",
            address,
            1,
            problems,
        );
        address as u16
    };
    let timeout_register = one("timeout_register", w.timeout_register, problems);
    let keepalive_register = match (w.keepalive, w.keepalive_register) {
        (Keepalive::Register, Some(r)) => Some(one("keepalive_register", r, problems)),
        (Keepalive::Traffic, None) => None,
        (Keepalive::Register, None) => {
            problems.push("watchdog.keepalive_register: missing (keepalive = \"register\")".into());
            None
        }
        (Keepalive::Traffic, Some(_)) => {
            problems.push(
                "watchdog.keepalive_register: given, but keepalive = \"traffic\" (any request \
                 keeps the watchdog alive)"
                    .into(),
            );
            None
        }
    };
    let enable = w
        .enable_register
        .map(|r| (one("enable_register", r, problems), w.enable_value));
    if !(1..=60_000).contains(&w.unit_ms) {
        problems.push(format!(
            "watchdog.unit_ms: {} is out of range (1 to 60000)",
            w.unit_ms
        ));
    }
    if let Some((_, value)) = enable
        && value > u32::from(u16::MAX)
    {
        problems.push(format!(
            "watchdog.enable_value: {value} does not fit a register"
        ));
    }
    (problems.len() == before).then(|| Watchdog {
        timeout_register,
        unit_ms: w.unit_ms,
        keepalive_register,
        enable: enable.map(|(r, v)| (r, v as u16)),
    })
}

/// Address ranges taken in one table, to find overlaps.
#[derive(Default)]
struct Spans(Vec<(String, u32, u32)>);

impl Spans {
    /// Takes `count` addresses from `start` for `key`; false (and a problem) when they run past
    /// the table or overlap another key's.
    fn add(
        &mut self,
        key: &str,
        what: &str,
        start: u32,
        count: u32,
        problems: &mut Vec<String>,
    ) -> bool {
        let end = start + count;
        if end > 1 << 16 {
            problems.push(format!(
                "{key}.address: {count} {what} from {start} run past the last address, 65535"
            ));
            return false;
        }
        for (other, o_start, o_end) in &self.0 {
            if count > 0 && start < *o_end && *o_start < end {
                problems.push(format!(
                    "{key}: {what} {start}..{} overlap {other} ({o_start}..{})",
                    end - 1,
                    o_end - 1
                ));
                return false;
            }
        }
        self.0.push((key.to_owned(), start, end));
        true
    }
}

#[cfg(test)]
mod tests;
