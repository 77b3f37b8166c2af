//! Reading an Indiana hi-res event log (`timestamp,event code,parameter` lines, as
//! [`crate::eventlog`] writes them) for the measures, line by line and forgiving: a line that
//! cannot be used is skipped with the reason, and the rest is kept.
//!
//! Skipped: lines that are not three fields (a truncated last line among them), timestamps that
//! are not `YYYY-MM-DD HH:MM:SS.t`, codes outside the enumeration, lines earlier than the line
//! before them (out of order; also the repeated hour of a fall-back clock change), and exact
//! duplicates of a line at the same time.

use jiff::civil::{Date, DateTime};

/// One event of a log, timed in seconds from local midnight of the log's first day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogEvent {
    /// Seconds from the reference midnight.
    pub t: f64,
    /// Event code.
    pub code: u16,
    /// Parameter.
    pub param: u16,
}

/// A line that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// Line number, from 1.
    pub line: usize,
    /// Why.
    pub why: String,
}

/// The events of one intersection's log files, in time order.
#[derive(Clone, Debug, Default)]
pub struct SiteLog {
    /// Midnight of the first day seen, the origin of every event's `t`.
    pub reference: Option<Date>,
    /// The events kept.
    pub events: Vec<LogEvent>,
    /// The lines skipped.
    pub skipped: Vec<Skipped>,
}

/// True for a code the Indiana enumeration (2012, revised 2019) defines.
pub fn defined_code(code: u16) -> bool {
    matches!(code, 0..=26 | 31..=33 | 41..=56 | 61..=72 | 81..=94 | 101..=119 | 131..=156 | 171..=182 | 184)
}

impl SiteLog {
    /// The first and last event, in seconds from 1970-01-01 local midnight.
    pub fn span_s(&self) -> Option<(f64, f64)> {
        let reference = self.reference?;
        let base = reference
            .duration_since(Date::constant(1970, 1, 1))
            .as_secs_f64();
        let first = self.events.first()?;
        let last = self.events.last()?;
        Some((base + first.t, base + last.t))
    }

    /// Adds the lines of `text`, read from `file`.
    pub fn add(&mut self, file: &str, text: &str) {
        let truncated = !text.is_empty() && !text.ends_with('\n');
        let count = text.lines().count();
        // The last accepted event and its line, for order and duplicates.
        let mut last: Option<(LogEvent, usize)> = self.events.last().map(|e| (*e, 0));
        let mut same_time: Vec<(u16, u16, usize)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let skip = |why: String| Skipped {
                file: file.to_owned(),
                line: n,
                why,
            };
            let event = match self.event(line) {
                Ok(e) => e,
                Err(why) if truncated && n == count => {
                    self.skipped
                        .push(skip(format!("truncated last line ({why})")));
                    continue;
                }
                Err(why) => {
                    self.skipped.push(skip(why));
                    continue;
                }
            };
            if let Some((before, at)) = last {
                if event.t < before.t {
                    self.skipped.push(skip(format!(
                        "out of order: earlier than the line before it{}",
                        if at > 0 {
                            format!(" (line {at})")
                        } else {
                            String::new()
                        }
                    )));
                    continue;
                }
                if event.t > before.t {
                    same_time.clear();
                }
            }
            if let Some(&(_, _, first)) = same_time
                .iter()
                .find(|(c, p, _)| *c == event.code && *p == event.param)
            {
                self.skipped
                    .push(skip(format!("duplicate of line {first}")));
                continue;
            }
            same_time.push((event.code, event.param, n));
            last = Some((event, n));
            self.events.push(event);
        }
    }

    /// One line as an event, or why it is not one.
    fn event(&mut self, line: &str) -> Result<LogEvent, String> {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 3 {
            return Err(format!(
                "expected `timestamp,event code,parameter`, found {} field{}",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ));
        }
        let at = timestamp(fields[0])?;
        let code: u16 = fields[1]
            .parse()
            .map_err(|_| format!("`{}` is not an event code", fields[1]))?;
        if !defined_code(code) {
            return Err(format!("unknown event code {code}"));
        }
        let param: u16 = fields[2]
            .parse()
            .map_err(|_| format!("`{}` is not a parameter (0 to 65535)", fields[2]))?;
        let reference = *self.reference.get_or_insert(at.date());
        let days = at.date().duration_since(reference).as_secs() / 86_400;
        let t = days as f64 * 86_400.0
            + f64::from(at.hour()) * 3600.0
            + f64::from(at.minute()) * 60.0
            + f64::from(at.second())
            + f64::from(at.subsec_nanosecond()) / 1e9;
        Ok(LogEvent { t, code, param })
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f]` (or with `T`), local time.
fn timestamp(text: &str) -> Result<DateTime, String> {
    let bad = || format!("`{text}` is not a timestamp (YYYY-MM-DD HH:MM:SS.t)");
    let (Some(date), Some(b' ' | b'T'), Some(time)) =
        (text.get(..10), text.as_bytes().get(10), text.get(11..))
    else {
        return Err(bad());
    };
    if time.len() < 8 {
        return Err(bad());
    }
    format!("{date}T{time}")
        .parse::<DateTime>()
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_are_timed_from_the_first_midnight() {
        let mut log = SiteLog::default();
        log.add(
            "J1.csv",
            "2026-06-02 23:59:59.9,1,2\n2026-06-03 00:00:00.1,8,2\n",
        );
        assert!(log.skipped.is_empty(), "{:?}", log.skipped);
        let t: Vec<f64> = log.events.iter().map(|e| e.t).collect();
        assert!((t[0] - 86_399.9).abs() < 1e-6 && (t[1] - 86_400.1).abs() < 1e-6);
    }

    #[test]
    fn every_bad_line_is_skipped_with_its_reason_and_the_rest_kept() {
        let mut log = SiteLog::default();
        let text = "2026-06-02 16:00:00.0,1,2\n\
                    2026-06-02 16:00:01.0,250,2\n\
                    2026-06-02 16:00:02.0,82,3\n\
                    2026-06-02 16:00:02.0,82,3\n\
                    2026-06-02 15:00:00.0,81,3\n\
                    16:00:03,82,3\n\
                    2026-06-02 16:00:04.0,eight,3\n\
                    2026-06-02 16:00:05.0,8,2\n\
                    2026-06-02 16:00:0";
        log.add("J1.csv", text);
        let why: Vec<(usize, &str)> = log
            .skipped
            .iter()
            .map(|s| (s.line, s.why.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                (2, "unknown event code 250"),
                (4, "duplicate of line 3"),
                (5, "out of order: earlier than the line before it (line 3)"),
                (6, "`16:00:03` is not a timestamp (YYYY-MM-DD HH:MM:SS.t)"),
                (7, "`eight` is not an event code"),
                (
                    9,
                    "truncated last line (expected `timestamp,event code,parameter`, found 1 field)"
                ),
            ]
        );
        let codes: Vec<u16> = log.events.iter().map(|e| e.code).collect();
        assert_eq!(codes, [1, 82, 8]);
    }

    #[test]
    fn nothing_in_a_line_panics() {
        let mut log = SiteLog::default();
        for text in [
            "",
            ",,",
            "é,1,2\n",
            "2026-13-40 25:61:61.0,1,1",
            "2026-06-02 16:00:00.0,1,-1",
        ] {
            log.add("x.csv", text);
        }
        assert!(log.events.is_empty());
        assert_eq!(log.skipped.len(), 4);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Lines of log-like text: good lines with their fields broken in every way.
    fn line() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just("2026-06-02 16:00:00.0".to_owned()),
                Just("2026-06-02T16:00:00".to_owned()),
                "[0-9: .T-]{0,24}",
                any::<String>(),
            ],
            prop_oneof![(0u32..300).prop_map(|c| c.to_string()), any::<String>()],
            prop_oneof![(0u32..70_000).prop_map(|p| p.to_string()), any::<String>()],
            "[,\n]{0,2}",
        )
            .prop_map(|(t, c, p, tail)| format!("{t},{c},{p}{tail}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any text: every line is either kept or skipped with a reason, never a panic, and
        /// what is kept is in time order with defined codes.
        #[test]
        fn any_text_is_kept_or_skipped_with_a_reason(lines in proptest::collection::vec(line(), 0..40)) {
            let text = lines.concat();
            let mut log = SiteLog::default();
            log.add("x.csv", &text);
            prop_assert!(log.skipped.iter().all(|s| !s.why.is_empty()));
            prop_assert!(log.events.windows(2).all(|w| w[0].t <= w[1].t));
            prop_assert!(log.events.iter().all(|e| defined_code(e.code)));
            let nonblank = text.lines().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(log.events.len() + log.skipped.len(), nonblank);
        }
    }
}
