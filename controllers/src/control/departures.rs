//! The outflow a site publishes: its forecast departures onto each outgoing link, preceded by
//! its departures of the last 90 s. A downstream neighbour turns the series into
//! arrivals at its stop line by shifting it by the link's travel time and dispersing it
//! (Robertson); without the recent past, the vehicles already on the link (those that left in
//! the last travel time) would be missing, and the first seconds of every arrival forecast would
//! be empty. A link whose departures are counted at the stop line (`count`) has those counts for
//! its past: what really left. Any other link (no healthy stop-bar loop feeds it) has, for each
//! past second, what the last forecast made in that second said of it (less than a second's
//! look-ahead), which the forecast's queue model makes close to the departures. The past ends at
//! the whole second before the latest forecast, so it is aligned to within a second.

use std::collections::{BTreeMap, VecDeque};

use super::outflow::Outflow;
use crate::time::{Duration, Instant};

/// Seconds of past departures kept: longer than the shift of the longest link a corridor
/// usually has, plus its dispersion tail.
pub(super) const KEEP_S: usize = 90;

/// Departures per one-second bin by outgoing link, from successive forecasts.
#[derive(Clone, Debug, Default)]
pub(super) struct DepartureHistory {
    /// Past bins per link, oldest first; all of the same length, ending at `anchor`.
    past: BTreeMap<String, VecDeque<f64>>,
    len: usize,
    anchor: Option<Instant>,
    /// The last forecast and when it was made.
    last: Option<(Instant, BTreeMap<String, Vec<f64>>)>,
    /// Links whose departures are counted, and the counts not yet in a past bin.
    counted: BTreeMap<String, Vec<(Instant, f64)>>,
}

impl DepartureHistory {
    /// `vehicles` counted leaving onto `link` at `at`. From now on `link`'s past is counted.
    pub(super) fn count(&mut self, at: Instant, link: &str, vehicles: f64) {
        let counts = match self.counted.get_mut(link) {
            Some(counts) => counts,
            None => self.counted.entry(link.to_owned()).or_default(),
        };
        if vehicles > 0.0 {
            counts.push((at, vehicles));
        }
    }

    /// `link`'s departures can no longer be counted (a loop that feeds it failed): its past
    /// comes from the forecasts again.
    pub(super) fn uncount(&mut self, link: &str) {
        self.counted.remove(link);
    }

    /// Takes the forecast made at `now` (departures per one-second bin from `now`, by link) and
    /// returns the outflow to publish: the recent past, then the forecast.
    #[cfg(test)]
    pub(super) fn publish(
        &mut self,
        now: Instant,
        forecast: BTreeMap<String, Vec<f64>>,
    ) -> Outflow {
        let mut out = Outflow::default();
        self.publish_into(now, forecast, &mut out);
        out
    }

    /// As `publish`, into `out` (its series reused where their links stay); returns the
    /// forecast before this one, whose series may be reused for the next.
    pub(super) fn publish_into(
        &mut self,
        now: Instant,
        forecast: BTreeMap<String, Vec<f64>>,
        out: &mut Outflow,
    ) -> Option<BTreeMap<String, Vec<f64>>> {
        let second = Duration::from_secs(1);
        // A clock that leapt (or a first forecast after a long pause): no past worth keeping,
        // and no catching up second by second.
        if self
            .anchor
            .is_some_and(|a| now - a > Duration::from_secs(KEEP_S as u64))
        {
            *self = DepartureHistory::default();
        }
        let mut anchor = self.anchor.unwrap_or(now);
        if let Some((made, last)) = &self.last {
            while now >= anchor + second {
                let bin = (anchor - *made).as_secs_f64().round() as usize;
                let end = anchor + second;
                for (link, bins) in last {
                    if !self.past.contains_key(link) {
                        self.past
                            .insert(link.clone(), VecDeque::from(vec![0.0; self.len]));
                    }
                    let past = self.past.get_mut(link).expect("inserted above");
                    let departed = match self.counted.get_mut(link) {
                        Some(counts) => {
                            let n = counts.iter().filter(|(t, _)| *t < end).map(|c| c.1).sum();
                            counts.retain(|(t, _)| *t >= end);
                            n
                        }
                        None => bins.get(bin).copied().unwrap_or(0.0),
                    };
                    past.push_back(departed);
                }
                for (link, past) in &mut self.past {
                    if !last.contains_key(link) {
                        past.push_back(0.0);
                    }
                }
                self.len += 1;
                if self.len > KEEP_S {
                    for past in self.past.values_mut() {
                        past.pop_front();
                    }
                    self.len = KEEP_S;
                }
                anchor += second;
            }
        }
        self.anchor = Some(anchor);
        // Counts onto a link no forecast names have no past bin to go into.
        for counts in self.counted.values_mut() {
            counts.retain(|(t, _)| *t >= anchor);
        }
        // Every link with a past or a forecast: its past (zeros for a link new to the
        // forecast), then its forecast, then zeros to the horizon (a link with a past but no
        // forecast now: nothing more is sent onto it).
        let by_link = &mut out.by_link;
        by_link.retain(|link, _| self.past.contains_key(link) || forecast.contains_key(link));
        for link in self.past.keys().chain(forecast.keys()) {
            if !by_link.contains_key(link) {
                by_link.insert(link.clone(), Vec::new());
            }
        }
        let horizon = forecast.values().map(Vec::len).max().unwrap_or(0);
        for (link, series) in by_link.iter_mut() {
            series.clear();
            match self.past.get(link) {
                Some(past) => series.extend(past.iter().copied()),
                None => series.resize(self.len, 0.0),
            }
            if let Some(bins) = forecast.get(link) {
                series.extend_from_slice(bins);
            }
            series.resize(self.len + horizon, 0.0);
        }
        // Before the clock has run `len` seconds there is no such past: bin 0 is the start.
        out.from = now - Duration::from_secs(self.len as u64);
        out.made = now;
        self.last.replace((now, forecast)).map(|(_, last)| last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Instant {
        Instant::ZERO + Duration::from_secs_f64(s)
    }

    fn forecast(first: f64) -> BTreeMap<String, Vec<f64>> {
        let mut bins = vec![0.1; 10];
        bins[0] = first;
        BTreeMap::from([("J1->J2".to_owned(), bins)])
    }

    #[test]
    fn the_published_outflow_starts_with_what_was_forecast_for_the_past_seconds() {
        let mut history = DepartureHistory::default();
        // A forecast every half second; the first bin of each is its second's departures.
        let mut out = Outflow::default();
        for k in 0..21 {
            let t = 100.0 + 0.5 * f64::from(k);
            out = history.publish(at(t), forecast(f64::from(k / 2)));
        }
        let series = &out.by_link["J1->J2"];
        // 10 s have passed: 10 past bins, then the 10 of the latest forecast.
        assert_eq!(series.len(), 20, "{series:?}");
        assert_eq!(out.from, at(100.0));
        // Second k's departures are those the forecast made at its start said.
        let past: Vec<f64> = series[..10].to_vec();
        assert_eq!(past, (0..10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(series[10], 10.0);
    }

    #[test]
    fn the_past_is_bounded_and_links_come_and_go() {
        let mut history = DepartureHistory::default();
        let mut out = Outflow::default();
        for k in 0..200 {
            let mut f = forecast(1.0);
            if k >= 150 {
                f.insert("J1->N1".to_owned(), vec![0.5; 10]);
            }
            out = history.publish(at(f64::from(k)), f);
        }
        assert_eq!(out.by_link["J1->J2"].len(), KEEP_S + 10);
        let north = &out.by_link["J1->N1"];
        assert_eq!(north.len(), KEEP_S + 10);
        assert_eq!(north.iter().filter(|&&x| x == 0.5).count(), 49 + 10);
        assert_eq!(out.from, at(199.0 - KEEP_S as f64));
    }

    #[test]
    fn a_counted_link_has_its_counts_for_its_past_and_falls_back_when_uncounted() {
        let mut history = DepartureHistory::default();
        let mut out = Outflow::default();
        // A forecast every half second saying 0.3 a second; the stop line counts one vehicle
        // at 100.2 s and two at 101.7 s.
        for k in 0..9 {
            let t = 100.0 + 0.5 * f64::from(k);
            match k {
                0 => history.count(at(100.2), "J1->J2", 1.0),
                3 => history.count(at(101.7), "J1->J2", 2.0),
                _ => history.count(at(t), "J1->J2", 0.0),
            }
            out = history.publish(at(t), forecast(0.3));
        }
        assert_eq!(out.from, at(100.0));
        assert_eq!(&out.by_link["J1->J2"][..4], &[1.0, 2.0, 0.0, 0.0]);
        // Its loop fails: the seconds from then on are the forecasts' again.
        history.uncount("J1->J2");
        for k in 9..13 {
            out = history.publish(at(100.0 + 0.5 * f64::from(k)), forecast(0.3));
        }
        assert_eq!(&out.by_link["J1->J2"][4..6], &[0.3, 0.3]);
        assert_eq!(&out.by_link["J1->J2"][..4], &[1.0, 2.0, 0.0, 0.0]);
    }

    #[test]
    fn after_a_leap_of_the_clock_the_past_starts_afresh() {
        let mut history = DepartureHistory::default();
        for k in 0..30 {
            history.publish(at(f64::from(k)), forecast(1.0));
        }
        // A year later: no year of empty seconds to catch up on, no stale past.
        let later = at(29.0 + 365.0 * 86_400.0);
        let out = history.publish(later, forecast(2.0));
        assert_eq!(out.from, later);
        assert_eq!(out.by_link["J1->J2"][0], 2.0);
    }
}
