//! The daemon's event log on disk: one file per local day, appended to (a restart keeps the
//! day's events), named after the configured path with the date before the extension:
//! `event_log = "J1-events.csv"` writes `J1-events-2026-06-02.csv`, then
//! `J1-events-2026-06-03.csv` from local midnight on.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use greenwave_controllers::control::Termination;
use greenwave_controllers::model::SignalState;
use greenwave_controllers::site::Site;
use jiff::Timestamp;
use jiff::civil::Date;

use super::plan::PlanChange;
use super::recorder::ChannelState;
use super::stamp::LocalTime;
use super::writer::EventLog;

/// An event log that starts a new file at each local midnight.
pub struct DailyLog {
    path: PathBuf,
    day: Date,
    log: EventLog<BufWriter<File>>,
}

impl DailyLog {
    /// Opens (appending) the file of the local day at `now` for `site`'s events.
    pub fn open(path: &Path, site: &Site, clock: LocalTime, now: Timestamp) -> io::Result<Self> {
        let day = clock.date(now);
        let file = open_day(path, day)?;
        Ok(DailyLog {
            path: path.to_owned(),
            day,
            log: EventLog::new(file, site, clock),
        })
    }

    /// The file of local day `day`.
    pub fn day_path(path: &Path, day: Date) -> PathBuf {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let name = match path.extension() {
            Some(ext) => format!("{stem}-{day}.{}", ext.to_string_lossy()),
            None => format!("{stem}-{day}"),
        };
        path.with_file_name(name)
    }

    /// Records a reading: the heads showing `shown` and the detector channels, at `at`; the
    /// first reading of a new local day goes to that day's file. If that file cannot be opened,
    /// the error is returned once and the day's events go on into the file in use.
    pub fn observe<'a, T>(
        &mut self,
        at: Timestamp,
        shown: &SignalState,
        channels: &'a [T],
    ) -> io::Result<()>
    where
        &'a T: Into<ChannelState>,
    {
        let day = self.log.clock().date(at);
        let rotated = if day != self.day {
            self.day = day;
            open_day(&self.path, day).and_then(|file| self.log.replace_output(file).map(drop))
        } else {
            Ok(())
        };
        self.log.observe(at, shown, channels)?;
        rotated
    }

    /// Records a plan taking effect at `at` (in the file of the day it is written to last).
    pub fn plan(&mut self, at: Timestamp, change: &PlanChange) -> io::Result<()> {
        self.log.plan(at, change)
    }

    /// Records `events` reported at `at` (preemption and priority).
    pub fn events(&mut self, at: Timestamp, events: &[super::Event]) -> io::Result<()> {
        self.log.events(at, events)
    }

    /// Why the greens that end from now on end, as the controller says.
    pub fn termination(&mut self, ending: Option<Termination>) {
        self.log.termination(ending);
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.log.flush()
    }
}

fn open_day(path: &Path, day: Date) -> io::Result<BufWriter<File>> {
    let path = DailyLog::day_path(path, day);
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    Ok(BufWriter::new(file))
}
