//! The aspects of every signal group at one moment: what the sequencer proposes, the interlock
//! checks, and the cabinet shows.

use std::fmt;

use super::aspect::Aspect;
use super::group::GroupIndex;

/// One aspect per signal group, indexed by [`GroupIndex`].
#[derive(PartialEq, Eq, Hash, Debug)]
pub struct SignalState {
    aspects: Vec<Aspect>,
}

/// Written out so that `clone_from` reuses the aspects' buffer: the interlock and the
/// simulator copy a state at every tick, and a derived `clone_from` allocates each time.
impl Clone for SignalState {
    fn clone(&self) -> Self {
        SignalState {
            aspects: self.aspects.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.aspects.clone_from(&source.aspects);
    }
}

impl SignalState {
    /// Every one of `groups` groups showing `aspect`.
    pub fn uniform(groups: usize, aspect: Aspect) -> Self {
        SignalState {
            aspects: vec![aspect; groups],
        }
    }

    /// A state from one aspect per group.
    pub fn from_aspects(aspects: Vec<Aspect>) -> Self {
        SignalState { aspects }
    }

    /// The aspect of group `g`.
    pub fn get(&self, g: GroupIndex) -> Aspect {
        self.aspects[g.get()]
    }

    /// Sets the aspect of group `g`.
    pub fn set(&mut self, g: GroupIndex, aspect: Aspect) {
        self.aspects[g.get()] = aspect;
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.aspects.len()
    }

    /// True for a state of no groups.
    pub fn is_empty(&self) -> bool {
        self.aspects.is_empty()
    }

    /// The aspects in group order.
    pub fn aspects(&self) -> &[Aspect] {
        &self.aspects
    }

    /// `(group, aspect)` pairs in group order.
    pub fn iter(&self) -> impl Iterator<Item = (GroupIndex, Aspect)> + '_ {
        self.aspects
            .iter()
            .enumerate()
            .map(|(i, &a)| (GroupIndex(i as u8), a))
    }
}

impl fmt::Display for SignalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.aspects.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(match a {
                Aspect::Dark => "-",
                Aspect::Red => "R",
                Aspect::RedAmber => "RA",
                Aspect::Green => "G",
                Aspect::FlashingGreen => "FG",
                Aspect::Amber => "A",
                Aspect::FlashingDontWalk => "FDW",
                Aspect::FlashingAmber => "FA",
            })?;
        }
        Ok(())
    }
}
