//! The design document: components, links and scenarios; RON files (load, save, migrate);
//! validation; the price table. Nothing here knows about egui.

pub mod assertions;
pub mod component;
pub mod design;
pub mod file;
pub mod generate;
pub mod journey;
pub mod link;
pub mod locate;
pub mod pricing;
pub mod scenario;
pub mod sharding;
pub mod validate;

pub use component::{
    ArrivalProcess, Autoscaling, BalancingAlgorithm, CacheParams, CdnParams, ClientParams,
    Component, ComponentKind, DatabaseParams, HitRatio, KindName, LoadBalancerParams, Partitioning,
    QueueParams, RateLimit, Reliability, ServerParams, SessionState, TrafficClass, TrafficMix,
    Workload,
};
pub use design::{ComponentId, Design, LinkId};
pub use file::{
    LoadError, Loaded, Problem, located, parse_design, parse_design_with, read_design,
    read_design_with, save_design, to_ron,
};
pub use journey::{Journey, JourneyStep};
pub use link::{CircuitBreaker, Link, RetryPolicy};
pub use locate::TextPosition;
pub use pricing::PriceTable;
pub use scenario::{Scenario, ScheduledFailure, TrafficProfile};
pub use validate::{Issue, Severity, Subject, is_valid, validate};
