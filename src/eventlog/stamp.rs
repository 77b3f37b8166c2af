//! Event timestamps in the intersection's local time: a configured IANA time zone (daylight
//! saving included, from the tz database bundled with `jiff`), written `YYYY-MM-DD HH:MM:SS.t`
//! to a tenth of a second (truncated), as the Indiana hi-res format keeps them.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// A time zone name that is not in the tz database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an IANA time zone (e.g. `America/Indiana/Indianapolis`, `Europe/Berlin`, `UTC`)"
)]
pub struct UnknownZone(pub String);

/// The intersection's clock face: turns instants into local timestamps.
#[derive(Clone, Debug)]
pub struct LocalTime {
    zone: TimeZone,
}

impl LocalTime {
    /// Local time in the IANA zone `name`.
    pub fn named(name: &str) -> Result<LocalTime, UnknownZone> {
        TimeZone::get(name)
            .map(|zone| LocalTime { zone })
            .map_err(|_| UnknownZone(name.to_owned()))
    }

    /// Coordinated universal time.
    pub fn utc() -> LocalTime {
        LocalTime {
            zone: TimeZone::UTC,
        }
    }

    /// The zone's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.zone.iana_name()
    }

    /// The local date at `at`.
    pub fn date(&self, at: Timestamp) -> Date {
        self.zone.to_datetime(at).date()
    }

    /// The instant of local date and time `local` (in a gap or a fold of a daylight-saving
    /// change, the earlier reading, as clocks do).
    pub fn instant(&self, local: DateTime) -> Result<Timestamp, jiff::Error> {
        self.zone.to_ambiguous_timestamp(local).compatible()
    }

    /// `at` as the log writes it: `2026-06-02 16:00:07.3`.
    pub fn stamp(&self, at: Timestamp) -> String {
        let t = self.zone.to_datetime(at);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.subsec_nanosecond() / 100_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_to_a_tenth_in_local_time_with_daylight_saving() {
        let indy = LocalTime::named("America/Indiana/Indianapolis").unwrap();
        // 2026-01-15 17:00:00.19 UTC is noon in winter (UTC-5) ...
        let winter: Timestamp = "2026-01-15T17:00:00.19Z".parse().unwrap();
        assert_eq!(indy.stamp(winter), "2026-01-15 12:00:00.1");
        // ... and 13:00 in summer (UTC-4).
        let summer: Timestamp = "2026-07-15T17:00:00.99Z".parse().unwrap();
        assert_eq!(indy.stamp(summer), "2026-07-15 13:00:00.9");
        assert_eq!(LocalTime::utc().stamp(summer), "2026-07-15 17:00:00.9");
    }

    #[test]
    fn local_dates_turn_at_local_midnight() {
        let berlin = LocalTime::named("Europe/Berlin").unwrap();
        let at: Timestamp = "2026-03-01T23:30:00Z".parse().unwrap();
        assert_eq!(berlin.date(at).to_string(), "2026-03-02");
        assert_eq!(LocalTime::utc().date(at).to_string(), "2026-03-01");
    }

    #[test]
    fn an_unknown_zone_is_named() {
        let err = LocalTime::named("Mars/Olympus").unwrap_err();
        assert!(
            err.to_string()
                .contains("`Mars/Olympus` is not an IANA time zone")
        );
    }

    #[test]
    fn local_start_times_become_instants() {
        let indy = LocalTime::named("America/Indiana/Indianapolis").unwrap();
        let local: DateTime = "2026-06-02T16:00".parse().unwrap();
        let at = indy.instant(local).unwrap();
        assert_eq!(at.to_string(), "2026-06-02T20:00:00Z");
        assert_eq!(indy.stamp(at), "2026-06-02 16:00:00.0");
    }
}
