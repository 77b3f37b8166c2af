//! Lane-use strings (`"L"`, `"TR"`, `"SL+T"`, ...) and the set of turns a lane allows.

use std::fmt;

use crate::model::Turn;

/// The turns allowed from one lane.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TurnSet(u16);

impl TurnSet {
    fn bit(turn: Turn) -> u16 {
        turn.index().map_or(1 << 8, |i| 1 << i)
    }

    /// Parses a lane-use string: the letters `L`, `T` and `R` in any order (`"LT"`), or codes
    /// and names joined by `+` (`"SL+T"`, `"sharp_left+left"`): `HL` sharp (hard) left, `L`,
    /// `SL` slight left, `T`, `SR` slight right, `R`, `HR` sharp right, `U` U-turn.
    /// Case-insensitive.
    pub fn parse(s: &str) -> Result<TurnSet, String> {
        const USE: &str =
            "use L, T and R, or codes such as SL+T (HL, SL, SR, HR: sharp and slight; U: U-turn)";
        if s.trim().is_empty() {
            return Err(format!("an empty lane-use string ({USE})"));
        }
        s.split('+').try_fold(TurnSet(0), |set, token| {
            let token = token.trim().to_ascii_uppercase();
            let named = Turn::VEHICLE.into_iter().find(|t| {
                t.code() == token || format!("{t:?}").to_ascii_uppercase() == token.replace('_', "")
            });
            if let Some(turn) = named {
                return Ok(set.with(turn));
            }
            token.chars().try_fold(set, |set, c| {
                let turn = match c {
                    'L' => Turn::Left,
                    'T' => Turn::Through,
                    'R' => Turn::Right,
                    'U' => Turn::UTurn,
                    other => return Err(format!("`{other}` in lane use `{s}` ({USE})")),
                };
                Ok(set.with(turn))
            })
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
        Turn::VEHICLE.into_iter().filter(move |&t| self.allows(t))
    }
}

impl fmt::Display for TurnSet {
    /// The letters alone where the lane allows only left, through and right (`"LT"`), else the
    /// codes joined by `+` (`"SL+T"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let simple = self
            .iter()
            .all(|t| matches!(t, Turn::Left | Turn::Through | Turn::Right));
        let sep = if simple { "" } else { "+" };
        for (i, t) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            f.write_str(t.code())?;
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
        let fine = TurnSet::parse("sl+T+sharp_right").unwrap();
        let turns: Vec<Turn> = fine.iter().collect();
        assert_eq!(turns, [Turn::SlightLeft, Turn::Through, Turn::SharpRight]);
        assert_eq!(fine.to_string(), "SL+T+HR");
        assert_eq!(TurnSet::parse("LT+SR").unwrap().to_string(), "L+T+SR");
        assert!(TurnSet::parse("SL+Q").unwrap_err().contains("`Q`"));
    }
}
