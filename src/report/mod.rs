//! Reports of simulation runs: tables for people, CSV files and SVG pictures for planners.

pub mod files;
mod map;
pub mod od;
mod svg;
pub mod table;
