//! Validation errors for model files: each names the field and the offending value.
//!
//! Validation collects every problem it finds rather than stopping at the first, so an engineer
//! fixes a file in one pass. The file name is added by the loader ([`crate::load`]).

use std::fmt;

/// One problem in a file: where (a field path such as `stages[1].groups`) and what.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct Invalid {
    /// The field, as a path into the file (`groups[2].min_green_s`).
    pub field: String,
    /// What is wrong, naming the offending value.
    pub message: String,
}

/// Every problem found in one file (never empty).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Problems(pub Vec<Invalid>);

impl Problems {
    /// The problems, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Invalid> {
        self.0.iter()
    }

    /// True when some problem's message contains `needle` (handy in tests and tools).
    pub fn mentions(&self, needle: &str) -> bool {
        self.0.iter().any(|p| p.to_string().contains(needle))
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Collects problems while a file is validated.
#[derive(Default, Debug)]
pub struct Collector {
    found: Vec<Invalid>,
}

impl Collector {
    /// Records a problem at `field`.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.found.push(Invalid {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Checks that a number of seconds is finite and within `min..=max`; returns it when it is.
    pub fn seconds(
        &mut self,
        field: impl Into<String>,
        value: f64,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        if value.is_finite() && (min..=max).contains(&value) {
            Some(value)
        } else {
            self.push(
                field,
                format!("{value} s is out of range ({min} to {max} s)"),
            );
            None
        }
    }

    /// True when nothing has been found so far.
    pub fn is_clean(&self) -> bool {
        self.found.is_empty()
    }

    /// `Ok(value)` when nothing was found, else every problem.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Problems> {
        if self.found.is_empty() {
            Ok(value())
        } else {
            Err(Problems(self.found))
        }
    }

    /// The problems found (call only when some were).
    pub fn into_problems(self) -> Problems {
        debug_assert!(!self.found.is_empty());
        Problems(self.found)
    }

    /// Moves another validation's problems into this one.
    pub fn absorb(&mut self, problems: Problems) {
        self.found.extend(problems.0);
    }
}
