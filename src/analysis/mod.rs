//! Analysis (DESIGN.md §4): the bottleneck ladder, single points of failure, availability,
//! durability and cost — and the report that puts them beside a simulation run; the engines'
//! cross-check. No egui.

pub mod advise;
pub mod availability;
pub mod bands;
pub mod compare;
pub mod cost;
pub mod cross_check;
pub mod ladder;
pub mod predict;
pub mod primer;
pub mod replications;
pub mod report;
pub mod series;
pub mod spof;

pub use report::{AnalysisOptions, SimulateReport, analyze};
