//! Stepping the intersections on several threads. Each junction's tick (estimator,
//! controller, sequencer, interlock) reads only its own state and what the neighbours said at
//! the start of the step, and writes only its own state, so the junctions of one step can run
//! in any order, on any number of threads, with the same result: a run is bit-identical for a
//! seed whatever the thread count. Everything that mixes junctions (handing their signals to
//! the lanes, gathering what they tell their neighbours) stays on one thread, in order.

use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::signals::Junction;

/// Below this many intersections a step runs on one thread: handing work to other threads
/// costs more than a few junctions' ticks.
pub(crate) const PARALLEL_FROM: usize = 16;

/// Junctions per piece of work handed to a thread.
const CHUNK: usize = 4;

/// How long an idle worker stays awake for the next step's junctions. A step's junctions take
/// a fraction of a millisecond; a worker put to sleep between steps wakes too late to take its
/// share, and the thread that hands the work out ends up doing it all.
const STAY_AWAKE: Duration = Duration::from_millis(2);

/// The threads a simulation steps its junctions on (a clone shares them).
#[derive(Clone)]
pub(crate) struct Threads {
    pool: Option<Arc<rayon::ThreadPool>>,
    /// Counts the steps handed out, for the workers kept awake.
    handed: Arc<AtomicU64>,
}

impl Threads {
    /// `threads` workers (default: one per core, or `RAYON_NUM_THREADS`) for `junctions`
    /// intersections; none below [`PARALLEL_FROM`] or for one thread.
    pub fn new(threads: Option<usize>, junctions: usize) -> Self {
        let n = threads.unwrap_or_else(rayon::current_num_threads).max(1);
        if n == 1 || junctions < PARALLEL_FROM {
            return Threads {
                pool: None,
                handed: Arc::default(),
            };
        }
        // A pool that cannot be had (no threads left) steps on this thread, with the same
        // result.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("greenwave-sim-{i}"))
            .build()
            .ok()
            .map(Arc::new);
        Threads {
            pool,
            handed: Arc::default(),
        }
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

    /// `tick` on every junction, its result in `changed` at the junction's index.
    pub fn each_junction(
        &self,
        junctions: &mut [Junction],
        changed: &mut [bool],
        tick: impl Fn(&mut Junction) -> bool + Sync,
    ) {
        match &self.pool {
            Some(pool) => {
                // Releases the workers kept awake, who then take their share.
                let step = self.handed.fetch_add(1, Ordering::Release) + 1;
                pool.install(|| {
                    junctions
                        .par_iter_mut()
                        .zip(changed.par_iter_mut())
                        .with_min_len(CHUNK)
                        .for_each(|(j, c)| *c = tick(j))
                });
                self.keep_awake(pool, step);
            }
            None => {
                for (j, c) in junctions.iter_mut().zip(changed.iter_mut()) {
                    *c = tick(j);
                }
            }
        }
    }

    /// Keeps the other workers spinning until the step after `step` is handed out (or for
    /// [`STAY_AWAKE`]). Only when the work is taken changes; never what it gives.
    fn keep_awake(&self, pool: &rayon::ThreadPool, step: u64) {
        for _ in 1..pool.current_num_threads() {
            let handed = Arc::clone(&self.handed);
            pool.spawn(move || {
                let since = Instant::now();
                while handed.load(Ordering::Acquire) == step && since.elapsed() < STAY_AWAKE {
                    std::hint::spin_loop();
                }
            });
        }
    }
}
