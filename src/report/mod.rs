//! Reports of simulation runs: tables for people, CSV files and SVG pictures for planners.

pub mod files;
pub mod od;
mod svg;
pub mod table;
