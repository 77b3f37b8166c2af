//! Lane-use strings (`"L"`, `"TR"`, ...) and the set of turns a lane allows.

use std::fmt;

use crate::model::Turn;

/// The turns allowed from one lane.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TurnSet(u8);

impl TurnSet {
    fn bit(turn: Turn) -> u8 {
        match turn {
            Turn::Left => 1,
            Turn::Through => 2,
            Turn::Right => 4,
            Turn::Crossing => 8,
        }
    }

    /// Parses a lane-use string of `L`, `T` and `R` (any order, case-insensitive).
    pub fn parse(s: &str) -> Result<TurnSet, String> {
        if s.is_empty() {
            return Err("an empty lane-use string (use L, T and R)".into());
        }
        s.chars().try_fold(TurnSet(0), |set, c| {
            let turn = match c.to_ascii_uppercase() {
                'L' => Turn::Left,
                'T' => Turn::Through,
                'R' => Turn::Right,
                other => return Err(format!("`{other}` in lane use `{s}` (use L, T and R)")),
            };
            Ok(set.with(turn))
        })
    }

    /// The set with `turn` added.
    #[must_use]
    pub fn with(self, turn: Turn) -> TurnSet {
        TurnSet(self.0 | Self::bit(turn))
    }

    /// Whether the lane allows `turn`.
    pub fn allows(self, turn: Turn) -> bool {
        self.0 & Self::bit(turn) != 0
    }

    /// The turns, left to right.
    pub fn iter(self) -> impl Iterator<Item = Turn> {
        [Turn::Left, Turn::Through, Turn::Right]
            .into_iter()
            .filter(move |&t| self.allows(t))
    }
}

impl fmt::Display for TurnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in self.iter() {
            f.write_str(match t {
                Turn::Left => "L",
                Turn::Through => "T",
                Turn::Right => "R",
                Turn::Crossing => "X",
            })?;
        }
        Ok(())
    }
}

impl fmt::Debug for TurnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lane_use() {
        let tr = TurnSet::parse("tR").unwrap();
        assert!(tr.allows(Turn::Through) && tr.allows(Turn::Right) && !tr.allows(Turn::Left));
        assert_eq!(tr.to_string(), "TR");
        assert!(TurnSet::parse("").is_err());
        assert!(TurnSet::parse("TX").unwrap_err().contains("`X`"));
    }
}
