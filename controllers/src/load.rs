//! Reading model files from disk: TOML parsing, path resolution and errors that name the file.
//!
//! The only file-system code of the core. A corridor names its intersection files relative to
//! itself; each is read and validated once, however many nodes share it.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::corridor::{Corridor, CorridorSpec};
use crate::error::Problems;
use crate::model::{Intersection, IntersectionSpec};
use crate::plan::{PlanSpec, TimingPlan, check_fields};

/// Why a file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for its kind (the message names the line and the key).
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's description.
        message: String,
    },
    /// The file parsed but its content is invalid.
    #[error("{}: {}", path.display(), Indented(problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Problems,
    },
}

impl LoadError {
    /// The validation problems, when the file parsed but was invalid.
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            LoadError::Invalid { problems, .. } => Some(problems),
            _ => None,
        }
    }
}

struct Indented<'a>(&'a Problems);

impl fmt::Display for Indented<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.0.len() == 1 {
            return write!(f, "{}", self.0.0[0]);
        }
        write!(f, "{} problems", self.0.0.len())?;
        for p in self.0.iter() {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// Parses TOML text of any file kind; `path` only names the file in errors.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, LoadError> {
    toml::from_str(text).map_err(|e| LoadError::Parse {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })
}

fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_toml(path, &text)
}

fn invalid(path: &Path) -> impl FnOnce(Problems) -> LoadError + '_ {
    move |problems| LoadError::Invalid {
        path: path.to_owned(),
        problems,
    }
}

/// `relative` resolved against the folder of `file`, with `..` folded away where it can be.
pub fn beside(file: &Path, relative: &str) -> PathBuf {
    let joined = file.parent().unwrap_or(Path::new(".")).join(relative);
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Loads and validates an intersection file.
pub fn intersection(path: &Path) -> Result<Intersection, LoadError> {
    let spec: IntersectionSpec = read_toml(path)?;
    Intersection::from_spec(&spec).map_err(invalid(path))
}

/// Loads and validates a corridor file and every intersection file it names.
pub fn corridor(path: &Path) -> Result<Corridor, LoadError> {
    let spec: CorridorSpec = read_toml(path)?;
    let mut cache: BTreeMap<PathBuf, Result<Arc<Intersection>, String>> = BTreeMap::new();
    Corridor::from_spec(&spec, |relative| {
        let file = beside(path, relative);
        cache
            .entry(file.clone())
            .or_insert_with(|| intersection(&file).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
    })
    .map_err(invalid(path))
}

/// A plan file, validated against its `intersection` when it names one.
#[derive(Debug)]
pub enum LoadedPlan {
    /// Checked against the intersection it names.
    Checked {
        /// The plan.
        plan: TimingPlan,
        /// Its intersection file.
        intersection: PathBuf,
    },
    /// The file names no intersection: only the fields that need none were checked.
    FieldsOnly(PlanSpec),
    /// Its intersection takes intergreens from a corridor's geometry, which it needs for its
    /// interstage times: its fields and stage names were checked, the rest is checked with the
    /// corridor (in a scenario or a cabinet configuration).
    NeedsCorridor {
        /// The plan's fields.
        spec: PlanSpec,
        /// Its intersection file.
        intersection: PathBuf,
    },
}

/// Loads a plan file and validates it as far as it can.
pub fn plan(path: &Path) -> Result<LoadedPlan, LoadError> {
    let spec: PlanSpec = read_toml(path)?;
    match &spec.intersection {
        None => {
            check_fields(&spec).map_err(invalid(path))?;
            Ok(LoadedPlan::FieldsOnly(spec))
        }
        Some(relative) => {
            let file = beside(path, relative);
            let ix = intersection(&file).map_err(|e| LoadError::Invalid {
                path: path.to_owned(),
                problems: Problems(vec![crate::error::Invalid {
                    field: "intersection".into(),
                    message: e.to_string(),
                }]),
            })?;
            if ix.derives_intergreens() {
                check_fields(&spec).map_err(invalid(path))?;
                let unknown: Vec<crate::error::Invalid> = spec
                    .stages
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| ix.stage_by_id(&s.stage).is_none())
                    .map(|(i, s)| crate::error::Invalid {
                        field: format!("stages[{i}].stage"),
                        message: format!("unknown stage `{}`", s.stage),
                    })
                    .collect();
                if !unknown.is_empty() {
                    return Err(invalid(path)(Problems(unknown)));
                }
                return Ok(LoadedPlan::NeedsCorridor {
                    spec,
                    intersection: file,
                });
            }
            let plan = TimingPlan::from_spec(&spec, &ix).map_err(invalid(path))?;
            Ok(LoadedPlan::Checked {
                plan,
                intersection: file,
            })
        }
    }
}

/// Loads a plan for a known intersection (the daemon's case).
pub fn plan_for(path: &Path, ix: &Intersection) -> Result<TimingPlan, LoadError> {
    let spec: PlanSpec = read_toml(path)?;
    TimingPlan::from_spec(&spec, ix).map_err(invalid(path))
}
