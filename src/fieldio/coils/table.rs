//! The wiring table `greenwave check` prints: every module and who flashes its lamps (the
//! module's own flash function, with its flash-enable coils and rate, or the daemon), every
//! group's lamps and sensing, every detector channel, with terminal names and protocol
//! addresses, so an engineer can hold it against the cabinet's wiring diagram.

use std::fmt::Write;

use greenwave_controllers::site::Site;

use super::lamps::{FLASHES_PER_MINUTE, enables_at, spans};
use super::wiring::{CoilCabinet, Input, Lamp, Output};

impl CoilCabinet {
    /// The table, one line per module, group and channel, each indented under the verdict;
    /// under each module with lamps, who flashes them.
    pub fn table(&self, site: &Site) -> String {
        let mut out = String::new();
        let pad = "\n      ";
        let spans = spans(self);
        for (i, m) in self.modules.iter().enumerate() {
            let watchdog = match (m.watchdog_ms, &m.profile.watchdog) {
                (Some(ms), Some(_)) => format!("watchdog {ms} ms"),
                (None, Some(_)) => "watchdog off (no lamps)".into(),
                _ => "no watchdog (inputs only)".into(),
            };
            let _ = write!(
                out,
                "{pad}module {:<8} {} at {} unit {}, {watchdog} (profile {})",
                m.name, m.profile.name, m.address, m.unit, m.profile_id
            );
            let (first, count) = spans[i];
            if count == 0 {
                continue;
            }
            let last = first + count - 1;
            let flash = match (&m.profile.flash, enables_at(self, &spans, i)) {
                (Some(f), Some(enable)) => {
                    let rate = match f.rate {
                        Some((register, value)) => {
                            format!(", rate set by holding {register} = {value} on connecting")
                        }
                        None => String::new(),
                    };
                    format!(
                        "by the module, {} a minute: flash-enable coils {enable}..{} for lamp \
                         coils {first}..{last} (coil + {}){rate}",
                        f.flashes_per_minute,
                        enable + count - 1,
                        f.enable_offset
                    )
                }
                _ => format!(
                    "by the daemon, {FLASHES_PER_MINUTE} a minute, writing lamp coils \
                     {first}..{last} (the profile has no [flash])"
                ),
            };
            let _ = write!(out, "{pad}flash  {:<8} {flash}", m.name);
        }
        for (g, group) in site.intersection.groups().iter().enumerate() {
            let mut line = format!("{pad}group  {:<8}", group.id);
            for lamp in Lamp::ALL {
                if let Some(o) = &self.lamps[g][lamp as usize] {
                    let _ = write!(line, " {:<5} {}", lamp.name(), output(o));
                }
            }
            if let Some(sensing) = &self.feedback[g] {
                let sensed: Vec<String> = sensing.iter().flatten().map(input).collect();
                let _ = write!(line, "  sensed by {}", sensed.join(", "));
            }
            out.push_str(&line);
        }
        for (c, d) in self.detectors.iter().enumerate() {
            let Some(d) = d else { continue };
            let counts = if d.presence.counter.is_some() {
                "counts from the module's counter"
            } else {
                "counts from presence edges"
            };
            let _ = write!(
                out,
                "{pad}channel {c:<7} presence {} ({counts})",
                input(&d.presence)
            );
            if let Some(f) = &d.fault {
                let _ = write!(out, ", card fault {}", input(f));
            }
        }
        out
    }
}

fn output(o: &Output) -> String {
    format!("{} (coil {})", o.name, o.coil)
}

fn input(i: &Input) -> String {
    format!("{} (input {})", i.name, i.input)
}
