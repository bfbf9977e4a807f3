//! Architecture Sandbox: design a software architecture as a graph of components, drive
//! traffic through it and watch where it breaks.
//!
//! Layers, with arrows pointing down only: `model` ← `sim` ← `analysis` ← `app` / `cli`.
//! Nothing below `app` knows that egui exists, and `app` is built only with the `gui` feature
//! (on by default): `main.rs` hands over to the app or to the command line.

// Flows are per-class arrays walked in parallel (arrivals, served, dropped, carries …):
// indexing them by class reads more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod export;
pub mod import;
pub mod model;
pub mod render;
pub mod report;
pub mod sim;
