//! The event log as text: each event of a [`Recorder`] written as a CSV line
//! `timestamp,event code,parameter` (the Indiana hi-res format ATSPM tools read), stamped in
//! the intersection's local time.

use std::io::{self, Write};

use greenwave_controllers::control::Termination;
use greenwave_controllers::model::SignalState;
use greenwave_controllers::site::Site;
use jiff::Timestamp;

use super::plan::PlanChange;
use super::recorder::{ChannelState, Event, Recorder};
use super::stamp::LocalTime;

/// One intersection's event log, written to `out`.
pub struct EventLog<W: Write> {
    out: W,
    recorder: Recorder,
    clock: LocalTime,
    events: Vec<Event>,
    channels: Vec<ChannelState>,
}

impl<W: Write> EventLog<W> {
    /// A log of `site`'s events into `out`, stamped in `clock`'s local time.
    pub fn new(out: W, site: &Site, clock: LocalTime) -> Self {
        EventLog {
            out,
            recorder: Recorder::new(site),
            clock,
            events: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Why the greens that end from now on end, as the controller says.
    pub fn termination(&mut self, ending: Option<Termination>) {
        self.recorder.set_termination(ending);
    }

    /// Records a plan taking effect at `at`.
    pub fn plan(&mut self, at: Timestamp, change: &PlanChange) -> io::Result<()> {
        change.events(&mut self.events);
        self.write(at)
    }

    /// Records `events` reported at `at` (preemption and priority: [`super::priority`]).
    pub fn events(&mut self, at: Timestamp, events: &[Event]) -> io::Result<()> {
        self.events.extend_from_slice(events);
        self.write(at)
    }

    /// Records the signal heads showing `shown` at `at`.
    pub fn signals(&mut self, at: Timestamp, shown: &SignalState) -> io::Result<()> {
        self.recorder.signals(shown, &mut self.events);
        self.write(at)
    }

    /// Records the detector channels reporting `channels` at `at`.
    pub fn detectors<'a, T>(&mut self, at: Timestamp, channels: &'a [T]) -> io::Result<()>
    where
        &'a T: Into<ChannelState>,
    {
        self.channels.clear();
        self.channels.extend(channels.iter().map(Into::into));
        self.recorder.detectors(&self.channels, &mut self.events);
        self.write(at)
    }

    /// Records both at once, as a cabinet reading brings them.
    pub fn observe<'a, T>(
        &mut self,
        at: Timestamp,
        shown: &SignalState,
        channels: &'a [T],
    ) -> io::Result<()>
    where
        &'a T: Into<ChannelState>,
    {
        self.signals(at, shown)?;
        self.detectors(at, channels)
    }

    /// The local time it stamps in.
    pub fn clock(&self) -> &LocalTime {
        &self.clock
    }

    /// Writes to `out` from now on, and hands back the writer used so far (flushed).
    pub fn replace_output(&mut self, out: W) -> io::Result<W> {
        self.out.flush()?;
        Ok(std::mem::replace(&mut self.out, out))
    }

    /// Flushes what was written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer, flushed.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn write(&mut self, at: Timestamp) -> io::Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        let stamp = self.clock.stamp(at);
        let result = self
            .events
            .iter()
            .try_for_each(|e| writeln!(self.out, "{stamp},{},{}", e.code, e.param));
        self.events.clear();
        result
    }
}
