//! Components: the nodes of a design, one struct of parameters per kind.
//!
//! A node stands for a *group* of identical instances: `instances` (horizontal
//! scaling) of one `size` (vertical scaling), so both scaling moves are one edit
//! away. Units live in the field names.

use serde::{Deserialize, Serialize};

/// The kinds of component on the palette, without their parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KindName {
    /// Users who send requests: the source of all traffic.
    Client,
    /// Spreads requests over the healthy instances of its targets.
    LoadBalancer,
    /// An application server tier that does the work of each request.
    Server,
    /// An in-memory cache that answers hits and passes misses on.
    Cache,
    /// The data of record: a primary with read replicas, optionally a standby and shards.
    Database,
    /// A queue that takes work now and lets consumers drain it at their own pace.
    MessageQueue,
    /// A content delivery network that serves static files at the edge.
    Cdn,
}

impl KindName {
    /// Every kind, in palette order.
    pub const ALL: [KindName; 7] = [
        KindName::Client,
        KindName::LoadBalancer,
        KindName::Server,
        KindName::Cache,
        KindName::Database,
        KindName::MessageQueue,
        KindName::Cdn,
    ];

    /// A short label for menus and tables.
    pub fn label(self) -> &'static str {
        match self {
            KindName::Client => "Client",
            KindName::LoadBalancer => "Load balancer",
            KindName::Server => "Server",
            KindName::Cache => "Cache",
            KindName::Database => "Database",
            KindName::MessageQueue => "Message queue",
            KindName::Cdn => "CDN",
        }
    }

    /// The snake_case name used in JSON reports and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            KindName::Client => "client",
            KindName::LoadBalancer => "load_balancer",
            KindName::Server => "server",
            KindName::Cache => "cache",
            KindName::Database => "database",
            KindName::MessageQueue => "message_queue",
            KindName::Cdn => "cdn",
        }
    }

    /// One plain sentence that explains the kind, with the restaurant analogy.
    pub fn explanation(self) -> &'static str {
        // Plain words for the kinds; the restaurant analogy lives in the example designs'
        // names and descriptions, not in the user's own components.
        match self {
            KindName::Client => {
                "Users who each send some requests per second: a mix of reads, writes, static files and background jobs."
            }
            KindName::LoadBalancer => {
                "Spreads requests over the healthy instances behind it; notices a dead one only after its health checks fail."
            }
            KindName::Server => {
                "Does the work of each request; more cores make it faster (never quite linearly), more instances need a balancer in front."
            }
            KindName::Cache => {
                "Answers hits at once and sends only misses on; a restarted cache starts cold."
            }
            KindName::Database => {
                "The data of record: reads spread over the primary and its replicas, every write lands on the primary and is replayed on each replica."
            }
            KindName::MessageQueue => {
                "Takes work now and lets consumers do it at their own pace; the backlog grows while work comes faster than it is done."
            }
            KindName::Cdn => {
                "Serves static files from edges near the users and asks the origin only on a miss."
            }
        }
    }
}

/// A class of traffic. Links say which classes they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TrafficClass {
    /// Reads: served from caches and replicas where possible.
    Read,
    /// Writes: always reach the primary database and are replayed on replicas.
    Write,
    /// Static files: served by CDNs at the edge.
    Static,
    /// Background work: enqueued now, done later by queue consumers.
    Async,
    /// Session lookups a stateless server makes against a shared session store.
    Session,
}

impl TrafficClass {
    /// Every class, in a fixed order used for per-class arrays.
    pub const ALL: [TrafficClass; 5] = [
        TrafficClass::Read,
        TrafficClass::Write,
        TrafficClass::Static,
        TrafficClass::Async,
        TrafficClass::Session,
    ];
    /// The number of classes.
    pub const COUNT: usize = 5;

    /// Position of the class in [`TrafficClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// A lower-case label.
    pub fn label(self) -> &'static str {
        match self {
            TrafficClass::Read => "read",
            TrafficClass::Write => "write",
            TrafficClass::Static => "static",
            TrafficClass::Async => "async",
            TrafficClass::Session => "session",
        }
    }
}

/// Mean time between failures and mean time to repair of one instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    /// Mean time between failures of one instance, in hours.
    pub mtbf_hours: f64,
    /// Mean time to repair one instance, in hours.
    pub mttr_hours: f64,
}

impl Reliability {
    /// Steady-state availability of one instance: MTBF / (MTBF + MTTR), worked out as
    /// 1 / (1 + MTTR/MTBF) so that times near the largest float do not overflow their sum
    /// (both 1e308 hours is 50 %, not 0).
    pub fn availability(&self) -> f64 {
        let ratio = self.mttr_hours / self.mtbf_hours;
        if ratio.is_finite() {
            1.0 / (1.0 + ratio)
        } else {
            0.0
        }
    }
}

/// How a client's requests arrive in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ArrivalProcess {
    /// Independent users: Poisson arrivals (squared coefficient of variation 1).
    #[default]
    Poisson,
    /// A perfectly even stream (a metronome); useful for teaching and for exact checks.
    Constant,
}

/// Whether a client's users wait for their answers before they send again.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub enum Workload {
    /// Users send at `rate_per_user_per_s` whatever the answers do (an open system): a slow
    /// system does not slow the arrivals down.
    #[default]
    Open,
    /// Each user sends one request, waits for its answer (or its failure), thinks for an
    /// exponential time of mean `think_time_s` and sends the next (a closed system, as in mean
    /// value analysis): a slow system slows its own arrivals. `rate_per_user_per_s` and
    /// `arrivals` are not used; the load multiplier and the profile scale the users.
    Closed {
        /// Mean think time between an answer and the user's next request, in seconds.
        think_time_s: f64,
    },
}

/// The share of a client's requests in each traffic class; the shares sum to 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficMix {
    /// Share of reads, 0 to 1 (default 0.9).
    pub read: f64,
    /// Share of writes, 0 to 1 (default 0.1).
    pub write: f64,
    /// Share of static-file requests, 0 to 1 (written `static` in files; default 0).
    #[serde(rename = "static")]
    pub static_files: f64,
    /// Share of background jobs, 0 to 1 (written `async` in files; default 0).
    #[serde(rename = "async")]
    pub async_jobs: f64,
}

impl Default for TrafficMix {
    fn default() -> Self {
        Self {
            read: 0.9,
            write: 0.1,
            static_files: 0.0,
            async_jobs: 0.0,
        }
    }
}

impl TrafficMix {
    /// The share of a class (sessions are never sent by clients).
    pub fn share(&self, class: TrafficClass) -> f64 {
        match class {
            TrafficClass::Read => self.read,
            TrafficClass::Write => self.write,
            TrafficClass::Static => self.static_files,
            TrafficClass::Async => self.async_jobs,
            TrafficClass::Session => 0.0,
        }
    }

    /// The sum of the shares.
    pub fn total(&self) -> f64 {
        self.read + self.write + self.static_files + self.async_jobs
    }
}

/// The users who generate traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientParams {
    /// Number of users.
    pub users: u64,
    /// Requests each user sends per second, on average.
    pub rate_per_user_per_s: f64,
    /// Share of requests in each traffic class.
    pub mix: TrafficMix,
    /// How arrivals are spread in time (open workloads).
    pub arrivals: ArrivalProcess,
    /// Open (users send regardless) or closed (each user waits for an answer, then thinks).
    pub workload: Workload,
    /// End-to-end deadline in milliseconds: a request not answered within it has failed,
    /// whatever hop it is on (the work it left queued is still done, and wasted). `None`: the
    /// users wait as long as it takes.
    pub deadline_ms: Option<f64>,
}

impl Default for ClientParams {
    fn default() -> Self {
        Self {
            users: 1_000,
            rate_per_user_per_s: 0.05,
            mix: TrafficMix::default(),
            arrivals: ArrivalProcess::Poisson,
            workload: Workload::Open,
            deadline_ms: None,
        }
    }
}

impl ClientParams {
    /// Mean requests per second this client offers at load multiplier 1. A closed workload
    /// offers at most its users over their think time (what it sends when every answer is
    /// instant; a slower system makes it send less): that bound is what it offers here.
    pub fn rate_per_s(&self) -> f64 {
        match self.workload {
            Workload::Open => self.users as f64 * self.rate_per_user_per_s,
            Workload::Closed { think_time_s } => self.users as f64 / think_time_s,
        }
    }

    /// The mean think time of a closed workload's users, in seconds (`None` when open).
    pub fn think_time_s(&self) -> Option<f64> {
        match self.workload {
            Workload::Open => None,
            Workload::Closed { think_time_s } => Some(think_time_s),
        }
    }
}

/// How a load balancer picks an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BalancingAlgorithm {
    /// Each instance in turn: even shares, arrivals smoother than Poisson.
    #[default]
    RoundRobin,
    /// The instance with the fewest requests in flight: behaves like one pooled queue.
    LeastLoaded,
    /// A random instance: each instance is its own independent queue.
    Random,
    /// Each user stays on one instance: keeps in-memory sessions, spreads load unevenly.
    StickySessions,
}

impl BalancingAlgorithm {
    /// Every algorithm, for pickers.
    pub const ALL: [BalancingAlgorithm; 4] = [
        BalancingAlgorithm::RoundRobin,
        BalancingAlgorithm::LeastLoaded,
        BalancingAlgorithm::Random,
        BalancingAlgorithm::StickySessions,
    ];

    /// A label for pickers.
    pub fn label(self) -> &'static str {
        match self {
            BalancingAlgorithm::RoundRobin => "round robin",
            BalancingAlgorithm::LeastLoaded => "least loaded",
            BalancingAlgorithm::Random => "random",
            BalancingAlgorithm::StickySessions => "sticky sessions",
        }
    }
}

/// Spreads requests over the healthy instances of its targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerParams {
    /// How an instance is picked for each request; it also sets the targets' queueing model
    /// (default round robin).
    pub algorithm: BalancingAlgorithm,
    /// Identical balancer instances (active-active).
    pub instances: u32,
    /// Requests per second one instance can pass.
    pub capacity_per_s: f64,
    /// Time to pass one request through, in milliseconds.
    pub latency_ms: f64,
    /// Seconds between health checks of each target instance.
    pub health_check_interval_s: f64,
    /// Failed checks in a row before an instance is taken out of rotation.
    pub unhealthy_threshold: u32,
    /// Requests that would wait longer than this are dropped, in milliseconds.
    pub timeout_ms: f64,
    /// A token bucket that turns away what exceeds its rate (default none).
    pub rate_limit: Option<RateLimit>,
    /// How often one balancer instance fails and how long its repair takes (default MTBF
    /// 50,000 hours, MTTR 5 hours).
    pub reliability: Reliability,
}

impl Default for LoadBalancerParams {
    fn default() -> Self {
        Self {
            algorithm: BalancingAlgorithm::RoundRobin,
            instances: 1,
            capacity_per_s: 20_000.0,
            latency_ms: 0.5,
            health_check_interval_s: 5.0,
            unhealthy_threshold: 2,
            timeout_ms: 5_000.0,
            rate_limit: None,
            reliability: Reliability {
                mtbf_hours: 50_000.0,
                mttr_hours: 5.0,
            },
        }
    }
}

impl LoadBalancerParams {
    /// Seconds from an instance's failure until the balancer stops sending to it.
    pub fn detection_delay_s(&self) -> f64 {
        self.health_check_interval_s * f64::from(self.unhealthy_threshold)
    }
}

/// Where an application server keeps user sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SessionState {
    /// No session in the server: any instance can serve any request. If the server has a
    /// `Session` link, each request looks its session up in that shared store.
    #[default]
    Stateless,
    /// Sessions live in the instance's memory: a request that lands on another instance
    /// finds no session and fails (the user must log in again).
    InMemory,
}

/// A token bucket in front of a component: it admits up to `rate_per_s` requests a second,
/// with bursts of up to `burst` requests after a quiet spell, and turns the rest away at once
/// (an HTTP 429). What it turns away is counted as rejected, apart from what the component
/// sheds for want of capacity; for the user it has failed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Tokens added a second: the most the component admits in the long run.
    pub rate_per_s: f64,
    /// The bucket's size: the most requests it admits at once after a quiet spell (at least 1).
    pub burst: f64,
}

/// Autoscaling of a server tier (or of a message queue's consumers, counted as its
/// instances) by target tracking, as the Kubernetes horizontal pod autoscaler and cloud
/// target-tracking policies do it.
///
/// The tier starts with its `instances` in service. Every `interval_s` the autoscaler reads
/// the tier's mean utilization u over the last interval (busy time over the available time
/// of the instances in service) and its mean instances in service n, and wants
/// ⌈n · u / target⌉ instances, between `min_instances` and `max_instances`; within 10 % of
/// the target (0.9 ≤ u / target ≤ 1.1) it changes nothing (the HPA's tolerance, so noise
/// does not make it flap). More than it runs (in service and booting): it launches the
/// difference, each instance serving `provision_s` after launch (billed from launch). Fewer:
/// only when no scaling happened in the last `cooldown_s`, it stops the difference, booting
/// ones first. It does not replace failed instances (their load shows in the utilization of
/// the others). Under overload the utilization reads 1, so it grows at most by 1 / target
/// per interval: an autoscaler reacts late to a surge by design. The static analysis (the
/// ladder, the sweep's formulas) counts the tier at `max_instances`, the most it can give.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Autoscaling {
    /// The utilization it aims at (0.05 to 0.95).
    pub target_utilization: f64,
    /// The fewest instances it keeps (at least 1).
    pub min_instances: u32,
    /// The most instances it runs (at most `MAX_INSTANCES`).
    pub max_instances: u32,
    /// Seconds from launch until a new instance serves (0 to 3,600).
    pub provision_s: f64,
    /// Seconds after a scaling action before it scales in (0 to 3,600).
    pub cooldown_s: f64,
    /// Seconds between its decisions, each on the utilization of the interval before (1 to
    /// 3,600).
    pub interval_s: f64,
}

impl Default for Autoscaling {
    /// A common setting: aim at 60 % utilization, 1 to 10 instances, two minutes to boot,
    /// five minutes' cooldown, a decision a minute.
    fn default() -> Self {
        Self {
            target_utilization: 0.6,
            min_instances: 1,
            max_instances: 10,
            provision_s: 120.0,
            cooldown_s: 300.0,
            interval_s: 60.0,
        }
    }
}

/// An application server tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerParams {
    /// Instance size, a name from the price table (vCPU, memory, price).
    pub size: String,
    /// Identical instances.
    pub instances: u32,
    /// CPU time one request needs on one core, in milliseconds.
    pub service_time_ms: f64,
    /// Squared coefficient of variation of the service time: 0 = always the same, 1 = exponential.
    pub service_scv: f64,
    /// Universal Scalability Law contention σ between cores of one instance.
    pub contention: f64,
    /// Universal Scalability Law coherency κ between cores of one instance.
    pub coherency: f64,
    /// Where user sessions live: stateless (the default) or in each instance's memory.
    pub sessions: SessionState,
    /// Requests that would wait longer than this are dropped, in milliseconds.
    pub timeout_ms: f64,
    /// A token bucket that turns away what exceeds its rate (default none).
    pub rate_limit: Option<RateLimit>,
    /// Autoscaling of the tier between a least and a most instances (default none: a fixed
    /// tier of `instances`).
    pub autoscale: Option<Autoscaling>,
    /// How often one server instance fails and how long its repair takes (default MTBF 1,000 hours,
    /// MTTR 10 hours).
    pub reliability: Reliability,
}

impl Default for ServerParams {
    fn default() -> Self {
        Self {
            size: "medium".into(),
            instances: 1,
            service_time_ms: 20.0,
            service_scv: 1.0,
            contention: 0.03,
            coherency: 0.0001,
            sessions: SessionState::Stateless,
            timeout_ms: 10_000.0,
            rate_limit: None,
            autoscale: None,
            reliability: Reliability {
                mtbf_hours: 1_000.0,
                mttr_hours: 10.0,
            },
        }
    }
}

/// How a cache's hit ratio is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HitRatio {
    /// A measured hit ratio, 0..1.
    Fixed(f64),
    /// Derived from cache size against the working set with Che's approximation for an LRU
    /// cache under Zipf popularity.
    Lru {
        /// Items one instance holds; the group holds instances times this.
        capacity_items: f64,
        /// Distinct items that requests ask for, all of one size.
        working_set_items: f64,
        /// Zipf exponent s of item popularity: item i is asked for in proportion to i^(−s)
        /// (0 = every item alike, at most 10).
        zipf_exponent: f64,
    },
}

/// An in-memory cache in front of a slower store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheParams {
    /// Identical cache instances; keys are spread over them by hash, so a dead instance's keys
    /// miss.
    pub instances: u32,
    /// Requests per second one instance can answer.
    pub capacity_per_s: f64,
    /// Time to answer one request, in milliseconds.
    pub latency_ms: f64,
    /// Share of reads and static requests a warm cache answers itself (given, or derived from its
    /// size); writes always go on.
    pub hit_ratio: HitRatio,
    /// Seconds a cold (new or restarted) cache takes to reach its hit ratio.
    pub warmup_s: f64,
    /// Requests that would wait longer than this are dropped, in milliseconds.
    pub timeout_ms: f64,
    /// How often one cache instance fails and how long its repair takes (default MTBF 2,000 hours,
    /// MTTR 1 hour); a restarted instance comes back cold.
    pub reliability: Reliability,
}

impl Default for CacheParams {
    fn default() -> Self {
        Self {
            instances: 1,
            capacity_per_s: 50_000.0,
            latency_ms: 0.5,
            hit_ratio: HitRatio::Fixed(0.9),
            warmup_s: 120.0,
            timeout_ms: 1_000.0,
            reliability: Reliability {
                mtbf_hours: 2_000.0,
                mttr_hours: 1.0,
            },
        }
    }
}

/// How rows are split over shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Partitioning {
    /// By key range (user IDs 1–1M on shard 1, 1M–2M on shard 2, …): with skewed key
    /// popularity the range of the most popular keys is a hot shard.
    #[default]
    Range,
    /// By a hash of the key: popular keys scatter over the shards, so a shard is only as hot as
    /// the few most popular keys that land on it.
    Hash,
}

/// A database: a primary with read replicas, optionally a standby, optionally sharded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseParams {
    /// Instance size, a name from the price table.
    pub size: String,
    /// Copies of each shard that serve reads: the primary plus `instances - 1` read replicas.
    pub instances: u32,
    /// A hot standby per shard that serves nothing but can be promoted.
    pub standby: bool,
    /// CPU time of one read on one core, in milliseconds.
    pub read_service_time_ms: f64,
    /// CPU time of one write on the primary, in milliseconds.
    pub write_service_time_ms: f64,
    /// CPU time for a replica to replay one write, in milliseconds.
    pub replica_apply_ms: f64,
    /// Squared coefficient of variation of service times.
    pub service_scv: f64,
    /// Universal Scalability Law contention σ between cores of one instance.
    pub contention: f64,
    /// Universal Scalability Law coherency κ between cores of one instance.
    pub coherency: f64,
    /// Number of shards the data is split into.
    pub shards: u32,
    /// How keys are split over the shards: by range (the default) or by hash.
    pub partitioning: Partitioning,
    /// Distinct keys (user IDs, rows) the data holds, numbered from 1.
    pub keys: u64,
    /// Zipf exponent s of key popularity: key i is requested in proportion to i^(−s), so key 1
    /// is the most popular (0 = every key alike). Each shard's share of the traffic is the sum
    /// of its keys' shares (see `model::sharding`).
    pub key_skew: f64,
    /// How far replicas trail the primary, in milliseconds (writes in this window are lost on failover).
    pub replication_lag_ms: f64,
    /// Seconds to promote a replica or standby when the primary fails.
    pub failover_s: f64,
    /// Backups are taken (without replicas or backups, losing the primary loses data).
    pub backups: bool,
    /// Requests that would wait longer than this are dropped, in milliseconds.
    pub timeout_ms: f64,
    /// How often one database instance fails and how long its repair takes (default MTBF
    /// 2,000 hours, MTTR 4 hours).
    pub reliability: Reliability,
}

impl Default for DatabaseParams {
    fn default() -> Self {
        Self {
            size: "large".into(),
            instances: 1,
            standby: false,
            read_service_time_ms: 4.0,
            write_service_time_ms: 10.0,
            replica_apply_ms: 3.0,
            service_scv: 1.0,
            contention: 0.05,
            coherency: 0.0002,
            shards: 1,
            partitioning: Partitioning::Range,
            keys: 1_000_000,
            key_skew: 0.0,
            replication_lag_ms: 50.0,
            failover_s: 30.0,
            backups: true,
            timeout_ms: 10_000.0,
            reliability: Reliability {
                mtbf_hours: 2_000.0,
                mttr_hours: 4.0,
            },
        }
    }
}

/// A message queue between producers and consumers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueParams {
    /// Broker instances.
    pub instances: u32,
    /// Messages per second one broker instance can accept.
    pub capacity_per_s: f64,
    /// Time to accept (enqueue) one message, in milliseconds.
    pub latency_ms: f64,
    /// Messages the queue holds before it drops new ones.
    pub max_depth: u64,
    /// Consumer workers draining the queue.
    pub consumers: u32,
    /// Messages per second one consumer handles.
    pub consumer_rate_per_s: f64,
    /// Squared coefficient of variation of a consumer's time per message (0 = every message
    /// takes the same time, 1 = exponential).
    pub consumer_service_scv: f64,
    /// Autoscaling of the consumers, as a worker deployment behind a queue is scaled on its
    /// busy time: the policy of a server tier's (see [`Autoscaling`]), its bounds and start
    /// counted in consumers (`consumers` is where it starts), a launched consumer taking
    /// messages `provision_s` after launch. `None`: `consumers` stay as they are.
    pub autoscale: Option<Autoscaling>,
    /// How often one broker instance fails and how long its repair takes (default MTBF
    /// 10,000 hours, MTTR 2 hours).
    pub reliability: Reliability,
}

impl Default for QueueParams {
    fn default() -> Self {
        Self {
            instances: 1,
            capacity_per_s: 10_000.0,
            latency_ms: 2.0,
            max_depth: 100_000,
            consumers: 4,
            consumer_rate_per_s: 25.0,
            consumer_service_scv: 1.0,
            autoscale: None,
            reliability: Reliability {
                mtbf_hours: 10_000.0,
                mttr_hours: 2.0,
            },
        }
    }
}

impl QueueParams {
    /// Messages per second all consumers together can drain.
    pub fn drain_rate_per_s(&self) -> f64 {
        f64::from(self.consumers) * self.consumer_rate_per_s
    }
}

/// A content delivery network in front of an origin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CdnParams {
    /// Share of static requests the edge answers, 0..1.
    pub edge_hit_ratio: f64,
    /// Requests per second the edge can answer.
    pub edge_capacity_per_s: f64,
    /// Time for the edge to answer, in milliseconds.
    pub edge_latency_ms: f64,
    /// How often the CDN fails and how long its repair takes (default MTBF 100,000 hours,
    /// MTTR 1 hour).
    pub reliability: Reliability,
}

impl Default for CdnParams {
    fn default() -> Self {
        Self {
            edge_hit_ratio: 0.95,
            edge_capacity_per_s: 1_000_000.0,
            edge_latency_ms: 15.0,
            reliability: Reliability {
                mtbf_hours: 100_000.0,
                mttr_hours: 1.0,
            },
        }
    }
}

/// What a component is, with the parameters of that kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ComponentKind {
    /// Users who generate requests.
    Client(ClientParams),
    /// A load balancer in front of one or more targets.
    LoadBalancer(LoadBalancerParams),
    /// An application server tier.
    Server(ServerParams),
    /// An in-memory cache in front of a slower store.
    Cache(CacheParams),
    /// A database, possibly replicated and sharded.
    Database(DatabaseParams),
    /// A message queue between producers and consumers.
    MessageQueue(QueueParams),
    /// A content delivery network in front of an origin.
    Cdn(CdnParams),
}

impl ComponentKind {
    /// A kind with the default parameters of that kind.
    pub fn default_for(kind: KindName) -> Self {
        match kind {
            KindName::Client => ComponentKind::Client(ClientParams::default()),
            KindName::LoadBalancer => ComponentKind::LoadBalancer(LoadBalancerParams::default()),
            KindName::Server => ComponentKind::Server(ServerParams::default()),
            KindName::Cache => ComponentKind::Cache(CacheParams::default()),
            KindName::Database => ComponentKind::Database(DatabaseParams::default()),
            KindName::MessageQueue => ComponentKind::MessageQueue(QueueParams::default()),
            KindName::Cdn => ComponentKind::Cdn(CdnParams::default()),
        }
    }

    /// The kind without its parameters.
    pub fn name(&self) -> KindName {
        match self {
            ComponentKind::Client(_) => KindName::Client,
            ComponentKind::LoadBalancer(_) => KindName::LoadBalancer,
            ComponentKind::Server(_) => KindName::Server,
            ComponentKind::Cache(_) => KindName::Cache,
            ComponentKind::Database(_) => KindName::Database,
            ComponentKind::MessageQueue(_) => KindName::MessageQueue,
            ComponentKind::Cdn(_) => KindName::Cdn,
        }
    }

    /// Instances in the group (horizontal scale); clients and CDNs count as one.
    pub fn instances(&self) -> u32 {
        match self {
            ComponentKind::Client(_) | ComponentKind::Cdn(_) => 1,
            ComponentKind::LoadBalancer(p) => p.instances,
            ComponentKind::Server(p) => p.instances,
            ComponentKind::Cache(p) => p.instances,
            ComponentKind::Database(p) => p.instances,
            ComponentKind::MessageQueue(p) => p.instances,
        }
    }

    /// Machines in all: the instances, and for a database every copy and standby of every
    /// shard (shards × (instances + standby)). What a failure of "one instance" takes one of.
    pub fn machines(&self) -> u32 {
        match self {
            ComponentKind::Database(p) => p
                .shards
                .saturating_mul(p.instances.saturating_add(u32::from(p.standby))),
            other => other.instances(),
        }
    }

    /// The instance size (vertical scale), for kinds that have one.
    pub fn size(&self) -> Option<&str> {
        match self {
            ComponentKind::Server(p) => Some(&p.size),
            ComponentKind::Database(p) => Some(&p.size),
            _ => None,
        }
    }

    /// Per-instance reliability; clients never fail.
    pub fn reliability(&self) -> Option<&Reliability> {
        match self {
            ComponentKind::Client(_) => None,
            ComponentKind::LoadBalancer(p) => Some(&p.reliability),
            ComponentKind::Server(p) => Some(&p.reliability),
            ComponentKind::Cache(p) => Some(&p.reliability),
            ComponentKind::Database(p) => Some(&p.reliability),
            ComponentKind::MessageQueue(p) => Some(&p.reliability),
            ComponentKind::Cdn(p) => Some(&p.reliability),
        }
    }
}

/// A component: one node of the design graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Unique within its design.
    pub name: String,
    /// Where the node sits on the canvas (scene units, y down).
    pub position: (f32, f32),
    /// What the component is, with the parameters of that kind.
    pub kind: ComponentKind,
}

impl Component {
    /// A component of the given kind with default parameters.
    pub fn new(name: impl Into<String>, kind: KindName, position: (f32, f32)) -> Self {
        Self {
            name: name.into(),
            position,
            kind: ComponentKind::default_for(kind),
        }
    }
}

/// A node's second line: its instances and size, and how many are up when some are down
/// ("6 of 7 up × large"). An autoscaling group shows "auto", its bounds and, while it runs, the
/// instances in service and booting ("auto 4 +2 booting (1–10) × small").
pub fn instances_text(component: &Component, down: u32, scaling: Option<(u32, u32)>) -> String {
    let instances = component.kind.instances();
    let what = match component.kind.size() {
        Some(s) => s.to_string(),
        None => component.kind.name().label().to_lowercase(),
    };
    // A queue's consumers that autoscale: their count now, booting ones and bounds.
    if let ComponentKind::MessageQueue(p) = &component.kind
        && let Some(a) = p.autoscale
    {
        let bounds = format!("({}–{})", a.min_instances, a.max_instances);
        return match scaling {
            Some((running, booting)) if booting > 0 => {
                format!("consumers auto {running} +{booting} booting {bounds}")
            }
            Some((running, _)) => format!("consumers auto {running} {bounds}"),
            None => format!("consumers auto {} {bounds}", p.consumers),
        };
    }
    if let ComponentKind::Server(p) = &component.kind
        && let Some(a) = p.autoscale
    {
        let bounds = format!("({}–{})", a.min_instances, a.max_instances);
        return match scaling {
            Some((in_service, booting)) => {
                let up = if down > 0 {
                    format!("{} of {in_service} up", in_service.saturating_sub(down))
                } else {
                    in_service.to_string()
                };
                let booting = if booting > 0 {
                    format!(" +{booting} booting")
                } else {
                    String::new()
                };
                format!("auto {up}{booting} {bounds} × {what}")
            }
            None => format!("auto {instances} {bounds} × {what}"),
        };
    }
    if let ComponentKind::Client(p) = &component.kind
        && let Some(think_time_s) = p.think_time_s()
    {
        // A closed workload at a glance: its users wait for their answers.
        return format!("{} users · think {think_time_s} s", p.users);
    }
    if down > 0 {
        format!(
            "{} of {instances} up × {what}",
            instances.saturating_sub(down)
        )
    } else if component.kind.size().is_some() || instances > 1 {
        format!("{instances} × {what}")
    } else {
        component.kind.name().label().to_string()
    }
}

#[cfg(test)]
mod explanation_tests {
    use super::KindName;

    #[test]
    fn the_kinds_are_explained_in_plain_words_not_the_restaurants() {
        // Issue 15, item 14: a user's own server read "A kitchen: …".
        let restaurant = [
            "kitchen",
            "pantry",
            "host",
            "counter",
            "rail",
            "takeaway",
            "diner",
            "restaurant",
            "customer",
            "ingredient",
        ];
        for kind in KindName::ALL {
            let text = kind.explanation().to_lowercase();
            for word in restaurant {
                assert!(!text.contains(word), "{kind:?}: '{word}' in {text}");
            }
        }
    }
}
