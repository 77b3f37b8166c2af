//! Where each lane's last vehicle is during a step: the room a vehicle entering the lane from
//! the junction behind it has, and the speed it follows. Only the lanes ending at that junction
//! read and write a lane's tail within a step (see `lane_groups`), so the lanes ending at
//! different junctions can move on different threads; relaxed atomics carry the values, which
//! costs nothing over plain loads and stores.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::vehicle::Vehicle;

/// Per lane, the rear of its last vehicle (metres from the lane's start) and its speed.
pub(crate) struct Tails {
    rear: Vec<AtomicU32>,
    speed: Vec<AtomicU32>,
}

fn cells(n: usize) -> Vec<AtomicU32> {
    (0..n)
        .map(|_| AtomicU32::new(f32::INFINITY.to_bits()))
        .collect()
}

impl Tails {
    /// `lanes` empty lanes: infinite room, an infinitely fast tail.
    pub fn new(lanes: usize) -> Self {
        Tails {
            rear: cells(lanes),
            speed: cells(lanes),
        }
    }

    /// The free room from the start of `lane` to the rear of its last vehicle.
    pub fn room(&self, lane: usize) -> f32 {
        f32::from_bits(self.rear[lane].load(Relaxed))
    }

    /// The speed of the last vehicle of `lane`.
    pub fn speed(&self, lane: usize) -> f32 {
        f32::from_bits(self.speed[lane].load(Relaxed))
    }

    /// A vehicle whose rear is at `rear` and moving at `speed` is now the last of `lane`.
    pub fn set(&self, lane: usize, rear: f32, speed: f32) {
        self.rear[lane].store(rear.to_bits(), Relaxed);
        self.speed[lane].store(speed.to_bits(), Relaxed);
    }

    /// Every lane's tail as the step starts.
    pub fn reset(&self, lanes: &[Vec<Vehicle>]) {
        for (lane, vehicles) in lanes.iter().enumerate() {
            let tail = vehicles.last();
            self.set(
                lane,
                tail.map_or(f32::INFINITY, |v| v.x - v.len),
                tail.map_or(f32::INFINITY, |v| v.v),
            );
        }
    }
}
