//! Stepping the intersections, and moving the lanes, on several threads. Each junction's tick
//! (estimator, controller, sequencer, interlock) reads only its own state and what the
//! neighbours said at the start of the step, and writes only its own state, so the junctions of
//! one step can run in any order, on any number of threads, with the same result; the lanes
//! move in groups that share nothing (`lane_groups`). A run is bit-identical for a seed
//! whatever the thread count. Everything that mixes junctions or lanes (handing their signals
//! to the lanes, gathering what they tell their neighbours, vehicles entering their next lane)
//! stays on one thread, in order.
//!
//! Idle workers are left to rayon's own spinning and sleeping: keeping them spinning between
//! steps helped a little on an idle machine and halved the speed on a busy one.

use rayon::prelude::*;
use std::sync::Arc;

use crate::signals::Junction;

/// Below this many intersections a step runs on one thread: handing work to other threads
/// costs more than a few junctions' ticks.
pub(crate) const PARALLEL_FROM: usize = 16;

/// Junctions per piece of work handed to a thread.
const CHUNK: usize = 4;

/// The threads a simulation steps its junctions on (a clone shares them).
#[derive(Clone)]
pub(crate) struct Threads {
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Threads {
    /// `threads` workers (default: one per core, or `RAYON_NUM_THREADS`) for `junctions`
    /// intersections; none below [`PARALLEL_FROM`] or for one thread.
    pub fn new(threads: Option<usize>, junctions: usize) -> Self {
        let n = threads.unwrap_or_else(rayon::current_num_threads).max(1);
        if n == 1 || junctions < PARALLEL_FROM {
            return Threads { pool: None };
        }
        // A pool that cannot be had (no threads left) steps on this thread, with the same
        // result.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("greenwave-sim-{i}"))
            .build()
            .ok()
            .map(Arc::new);
        Threads { pool }
    }

    /// How many threads step the junctions.
    pub fn count(&self) -> usize {
        self.pool
            .as_ref()
            .map_or(1, |pool| pool.current_num_threads())
    }

    /// Runs `op` on one of the pool's threads, so that the steps inside it hand work out
    /// cheaply (or here, without a pool).
    pub fn install<R: Send>(&self, op: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(op),
            None => op(),
        }
    }

    /// `op` on every item, each on one thread, at least `chunk` of them to a piece of work.
    pub fn each<T: Send>(&self, items: &mut [T], chunk: usize, op: impl Fn(&mut T) + Sync + Send) {
        match &self.pool {
            Some(pool) => pool.install(|| items.par_iter_mut().with_min_len(chunk).for_each(op)),
            None => items.iter_mut().for_each(op),
        }
    }

    /// `tick` on every junction, its result in `changed` at the junction's index.
    pub fn each_junction(
        &self,
        junctions: &mut [Junction],
        changed: &mut [bool],
        tick: impl Fn(&mut Junction) -> bool + Sync,
    ) {
        match &self.pool {
            Some(pool) => pool.install(|| {
                junctions
                    .par_iter_mut()
                    .zip(changed.par_iter_mut())
                    .with_min_len(CHUNK)
                    .for_each(|(j, c)| *c = tick(j))
            }),
            None => {
                for (j, c) in junctions.iter_mut().zip(changed.iter_mut()) {
                    *c = tick(j);
                }
            }
        }
    }
}
