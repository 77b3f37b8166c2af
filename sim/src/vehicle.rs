//! Vehicles: the compact state the step loop touches, and the trip record kept aside.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg32;

/// Flag: committed to go through an amber.
pub(crate) const COMMITTED: u8 = 1;
/// Flag: standing (below the halting speed) at the end of the last step.
pub(crate) const HALTED: u8 = 2;
/// Flag: in a lane that does not allow its turn.
pub(crate) const WRONG_LANE: u8 = 4;
/// Flag: a permissive left-turner that has taken its gap (or is too close to stop for one).
pub(crate) const GAP_TAKEN: u8 = 8;
/// An emergency vehicle (seen by preemption inputs).
pub(crate) const EMERGENCY: u8 = 16;
/// A bus (its own length and acceleration; it stops at its stops).
pub(crate) const BUS: u8 = 32;
/// Not a bus (`Vehicle::bus`).
pub(crate) const NO_BUS: u16 = u16::MAX;

/// The turn code of leaving the corridor (`net::EXIT`).
const EXIT_TURN: u8 = crate::net::EXIT;

/// Below this speed a vehicle counts as halted (as in SUMO), m/s.
pub(crate) const HALTING_SPEED: f32 = 0.1;
/// A halted vehicle must get above this speed before its next halt counts as a new stop, m/s.
pub(crate) const MOVING_AGAIN: f32 = 1.0;

/// The state the step loop reads and writes, kept small.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vehicle {
    /// Front bumper, metres from the lane's start (negative while crossing the junction into it).
    pub x: f32,
    pub x_prev: f32,
    pub v: f32,
    /// Desired speed on this link.
    pub v0: f32,
    /// Accumulated time loss, s.
    pub loss: f32,
    /// Time loss when it entered this link.
    pub loss_at_link: f32,
    /// Time loss when it last ran at its desired speed on this link (or entered it): what it
    /// loses from there on is the delay of the junction ahead.
    pub loss_at_free: f32,
    /// When it first halted on this approach, s (negative when it has not).
    pub halted_since: f32,
    /// Fuel burnt, mL.
    pub fuel: f32,
    /// Time spent halted, s.
    pub waiting: f32,
    /// Its length, m.
    pub len: f32,
    pub id: u32,
    pub stops: u16,
    /// Which bus it is (`NO_BUS` for any other vehicle).
    pub bus: u16,
    /// Turn at the end of this link: its [`Turn::index`](greenwave_controllers::model::Turn::index), or `EXIT`.
    pub turn: u8,
    /// Turn at the end of the next link.
    pub next_turn: u8,
    pub flags: u8,
}

/// What the simulation keeps about a trip beside the hot state.
#[derive(Clone, Debug)]
pub(crate) struct Trip {
    /// When it wanted to enter.
    pub generated_s: f64,
    /// When it entered the network.
    pub inserted_s: f64,
    pub entry: u32,
    pub speed_factor: f32,
    pub rng: Pcg32,
    /// Its turns at the end of the entry link and of the link after.
    pub first_turns: (u8, u8),
    /// An emergency vehicle.
    pub emergency: bool,
    /// Which bus it is (`NO_BUS` for any other vehicle).
    pub bus: u16,
    /// The origin-destination route it follows (`u32::MAX`: it draws its turns).
    pub route: u32,
    /// How many of its route's turns it has taken.
    pub leg: u16,
}

impl Trip {
    pub(crate) fn new(generated_s: f64, entry: u32, speed_factor: f32, seed: u64) -> Self {
        Trip {
            generated_s,
            inserted_s: f64::NAN,
            entry,
            speed_factor,
            rng: Pcg32::seed_from_u64(seed),
            first_turns: (0, 0),
            emergency: false,
            bus: NO_BUS,
            route: u32::MAX,
            leg: 0,
        }
    }

    /// Its turn at the end of `link`: the next of its route's, or drawn from the link's turning
    /// ratios (`pick`) when it has no route. `routes` holds every route's turns.
    pub(crate) fn turn_at(
        &mut self,
        routes: &[Vec<u8>],
        is_exit: bool,
        pick: impl FnOnce(f64) -> u8,
    ) -> u8 {
        match routes.get(self.route as usize) {
            None => pick(self.draw()),
            Some(_) if is_exit => EXIT_TURN,
            Some(turns) => {
                let turn = turns.get(usize::from(self.leg)).copied();
                self.leg = self.leg.saturating_add(1);
                // A route's turns end where its exit link starts.
                turn.unwrap_or(EXIT_TURN)
            }
        }
    }

    /// A uniform draw from the trip's own stream (its turns do not depend on anyone else's).
    pub(crate) fn draw(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
}

/// The record of a finished (or, at the end of a run, unfinished) trip.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleRecord {
    /// Vehicle number, in order of generation.
    pub id: u32,
    /// Entry link.
    pub entry: String,
    /// Exit link, or empty while still in the network.
    pub exit: String,
    /// When it wanted to enter, s.
    pub generated_s: f64,
    /// When it entered (NaN if never), s.
    pub inserted_s: f64,
    /// When it left (NaN if it did not), s.
    pub arrived_s: f64,
    /// Time loss against travel at its desired speed, including the wait to enter, s.
    pub delay_s: f64,
    /// Number of stops.
    pub stops: u32,
    /// Time spent halted, s.
    pub waiting_s: f64,
    /// CO2 emitted, g.
    pub co2_g: f64,
}
