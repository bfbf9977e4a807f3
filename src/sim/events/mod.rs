//! The events engine: the same design and scenario as the flow engine, run request by request,
//! as a referee for the flow engine's formulas.
//!
//! Each request is an entity that walks the compiled plan (the flow engine's own routes,
//! stations and spreads, so that both engines run one model): it arrives at a component,
//! waits in a real first-come-first-served queue for one of the instance's servers, is served
//! for a time drawn from the component's service distribution, and goes on down its links.
//! A time is drawn as the distribution's mean and squared coefficient of variation say:
//! constant for SCV 0, exponential for 1, a gamma with that mean and SCV otherwise.
//!
//! - **Arrivals**: each open client is a Poisson stream of its rate × the load multiplier × the
//!   profile (by thinning at the profile's peak), or an even stream for constant clients; a
//!   request's class is drawn by the client's mix.
//! - **Closed clients**: each user is followed on its own: it thinks for an exponential time of
//!   the mean think time, sends one request, and when that request ends (answered, or failed
//!   by any path) thinks again. The users at the start are all thinking. The population
//!   follows round(users × load multiplier × profile) as the profile stands at the start of
//!   each tick (and at 0 s): when it grows, the new users start thinking then; when it
//!   shrinks, users retire at their next step, when their think ends (sending nothing) or
//!   when their request ends (thinking no more), until the population is down to the target
//!   (see [`Engine::user_step`]). A message queue's jobs belong to no user.
//! - **Instances**: a pooled group (one instance, or least-loaded balancing) has one queue in
//!   front of all its servers; round robin deals requests to its instances in turn; a random
//!   split, sticky sessions (users are not modelled one by one: a request's instance is
//!   drawn, which for many users is what pinning them does) and groups with no balancer
//!   pick an instance at random.
//! - **Calls**: a server calls each of its links `calls_per_request` times (the whole part,
//!   and one more with the fraction's chance), one after another: the request goes on when
//!   each call has come back, as the flow engine's sampled paths add up their hops. Balancers,
//!   clients and other splits send it down one link by the links' weights.
//! - **Timeouts**: a request that has waited longer than the component's timeout when a
//!   server comes free leaves the queue and fails.
//! - **Caches and CDNs** answer a read (or a static file) with the hit ratio's chance (a cold
//!   cache's warming as the flow engine has it), and pass misses, writes and jobs on; with
//!   no store behind them a miss fails. Keys are spread over a cache's instances at random.
//! - **Databases**: a request goes to a shard with its keys' share; a read takes a server on
//!   the copy of the shard that has been given the least work (primary or replica: one queue
//!   for them all, filling the copies to a common level of work as the flow engine has it), a
//!   write waits for the primary, and when it is done every replica applies it (work that
//!   queues on that replica, on no request's path).
//! - **Message queues**: the brokers take a message as a station of their capacity and
//!   latency; the producer's request goes on as soon as it is taken. The message then waits
//!   for one of the consumers (a full queue drops it) and, consumed, goes on down the queue's
//!   links as a job of its own, part of no client's latency.
//!
//! Where it differs from the flow engine, knowingly:
//! - a station built from a capacity and a latency (balancers, caches, CDNs, brokers) holds a
//!   request for 1 / (capacity per server): its latency at no load is that, which is the
//!   configured latency whenever capacity × latency is a whole number (the defaults are);
//! - the primary takes writes at its own pace: the flow engine also holds writes to the
//!   replicas' apply pace when applies are slower than writes (semi-synchronous); here the
//!   replicas' applies then queue behind;
//! - a timeout is checked when a server comes free, not on arrival.
//!
//! Failures, repairs, health checks and servers that keep sessions in memory are in
//! `failures` (its doc says how each is modelled, machine by machine); timeouts and retries
//! on links in `retries` (each try is real load; a try given up on goes on as wasted work);
//! autoscaled tiers in `scaling` (the flow engine's policy at the exact times it acts;
//! stopped instances drain what they hold).
//!
//! The heap holds at most one arrival per open client, one send per thinking user of a closed
//! client, one completion per busy server, a deadline per request of a client that has one,
//! and, on links with a retry policy, a timeout per try within its timeout of now and a
//! retry per request backing off; requests live in a slab whose slots (and their call
//! stacks) are reused, so nothing is allocated per request once the run has warmed up, and
//! memory is bounded by the requests in flight (and a closed client's users).
//! Same seed, same run, to the bit on one platform (the draws use the platform's `ln`, `exp`
//! and `cos`).

use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Gamma};
use serde::Serialize;

use crate::model::{Design, KindName, PriceTable, Scenario, TrafficClass};

use super::SimError;
use super::kinds::database::is_write;
use super::kinds::load_balancer::target_weight;
use super::plan::{Forwarding, KindPlan, NO_RETRY, Plan, Spread, Station};
use super::stats::{LogHistogram, Percentiles};

mod breakers;
mod failures;
use failures::Health;
mod retries;
use retries::Retries;
mod scaling;
use scaling::Scaling;

/// What one component did while measured (after the warm-up).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventsComponent {
    /// The component's name.
    pub name: String,
    /// Its kind.
    pub kind: KindName,
    /// Requests that arrived at it.
    pub arrived: u64,
    /// Requests it finished serving.
    pub served: u64,
    /// Requests that left its queue on their timeout.
    pub dropped: u64,
    /// Requests served a second.
    pub throughput_per_s: f64,
    /// Busy server time over available server time, 0 to 1 (a database's: its busiest
    /// copy's, as the flow engine reports it).
    pub utilization: f64,
    /// Time from arriving here to leaving its server (wait plus service), in milliseconds.
    pub latency_ms: Percentiles,
}

/// The clients' requests as a whole, over the measured part of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventsSystem {
    /// Requests the clients sent after the warm-up.
    pub offered: u64,
    /// Of those, requests that came back from every hop.
    pub succeeded: u64,
    /// Of those, requests that failed (a timeout, or nowhere to go).
    pub failed: u64,
    /// Of those, requests still somewhere in the design when the run ended.
    pub in_flight_end: u64,
    /// Requests completed a second after the warm-up, whenever they were sent (past the
    /// knee, requests sent during the warm-up are still being completed after it).
    pub throughput_per_s: f64,
    /// Succeeded over ended (succeeded plus failed), 0 to 1 (1 when none ended).
    pub success_ratio: f64,
    /// End-to-end latency of the requests that succeeded after the warm-up, in milliseconds.
    pub latency_ms: Percentiles,
}

/// A run of the events engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventsRun {
    /// "events", so that a report says which engine made it.
    pub engine: &'static str,
    /// The seed of the run.
    pub seed: u64,
    /// Seconds simulated after the warm-up (what the rates are per).
    pub measured_s: f64,
    /// The warm-up left out of every figure, in seconds.
    pub warmup_s: f64,
    /// Events handled (arrivals, users' sends, service completions and the rest), warm-up
    /// included.
    pub events: u64,
    /// Requests the clients sent, warm-up included.
    pub requests: u64,
    /// Per component, in the design's processing order (clients included, with no queue).
    pub components: Vec<EventsComponent>,
    /// End to end.
    pub system: EventsSystem,
    /// Client requests in flight at the end of each tick, warm-up included (the series the
    /// warm-up's MSER-5 cut reads; not in the report).
    #[serde(skip)]
    pub in_flight_per_tick: Vec<f64>,
}

/// Options of an events run beyond the scenario.
#[derive(Clone, Debug, Default)]
pub struct EventsOptions {
    /// The seed of every random stream (defaults to the scenario's).
    pub seed: Option<u64>,
    /// Seconds to simulate (defaults to the scenario's duration).
    pub duration_s: Option<f64>,
    /// Seconds left out at the start (defaults to the flow engine's warm-up for the run).
    pub warmup_s: Option<f64>,
}

/// Run `design` under `scenario` request by request.
pub fn run_events(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    options: &EventsOptions,
) -> Result<EventsRun, SimError> {
    let duration_s = options.duration_s.unwrap_or(scenario.duration_s);
    if !(duration_s.is_finite() && duration_s > 0.0) {
        return Err(SimError::BadOptions(format!(
            "the run's length must be a positive number of seconds, not {duration_s}"
        )));
    }
    let ticks = (duration_s / scenario.tick_s).ceil().max(1.0) as u64;
    let plan = Plan::compile(design, scenario, prices, Some(ticks))?;
    let warmup_s = options
        .warmup_s
        .unwrap_or(plan.warmup_ticks as f64 * plan.tick_s);
    if !(warmup_s.is_finite() && warmup_s >= 0.0 && warmup_s < duration_s) {
        return Err(SimError::BadOptions(format!(
            "the warm-up must be at least 0 s and shorter than the run ({duration_s} s), not {warmup_s}"
        )));
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let mut engine = Engine::new(&plan, seed, warmup_s)?;
    engine.check_budget(duration_s)?;
    engine.run(duration_s)?;
    Ok(engine.report(&plan, seed, duration_s))
}

/// The most requests one events run may send: about 15 s of work at this machine's pace,
/// and memory for all of them should they all pile up in an overloaded queue.
pub const MAX_EVENTS_REQUESTS: f64 = 5e7;

/// The most events one run may handle: fan-out multiplies a request's visits (up to a
/// thousand calls a link, nested), so the request budget alone does not bound a run's time.
/// Also below 2⁴⁰, the heap keys' room for the scheduling order.
pub const MAX_EVENTS: u64 = 1_000_000_000;

/// The most events pending at once (busy servers and clients): the heap keys' room for
/// their slot (2²⁴).
const MAX_PENDING: usize = 1 << 24;

/// Run `design` under `scenario` request by request, with the flow engine's run options
/// (seed, ticks, load multiplier), and summarise it as the flow engine does, so that the
/// analysis and the report read either engine's run. Besides the summary: the events run.
pub fn run_events_summary(
    design: &Design,
    scenario: &Scenario,
    prices: &PriceTable,
    run: &super::RunOptions,
) -> Result<(super::RunSummary, EventsRun), SimError> {
    let mut scenario = scenario.clone();
    if let Some(load) = run.load_multiplier {
        if !(load.is_finite() && load > 0.0) {
            return Err(SimError::BadOptions(format!(
                "the load multiplier must be a positive number, not {load}"
            )));
        }
        scenario.load_multiplier *= load;
    }
    let duration_s = match run.ticks {
        Some(ticks) => ticks as f64 * scenario.tick_s,
        None => scenario.duration_s,
    };
    if !(duration_s.is_finite() && duration_s > 0.0) {
        return Err(SimError::BadOptions(format!(
            "the run's length must be a positive number of seconds, not {duration_s}"
        )));
    }
    let ticks = (duration_s / scenario.tick_s).ceil().max(1.0) as u64;
    let plan = Plan::compile(design, &scenario, prices, Some(ticks))?;
    let warmup_s = (plan.warmup_ticks as f64 * plan.tick_s).min(duration_s);
    let seed = run.seed.unwrap_or(scenario.seed);
    let mut engine = Engine::new(&plan, seed, warmup_s)?;
    engine.check_budget(duration_s)?;
    engine.run(duration_s)?;
    Ok(engine.summary(&plan, seed, duration_s))
}

/// A request's place in a server's calls: the class the server serves it as, the route
/// entries it calls in turn (its links of the class, then its session lookups), and the entry
/// being called now with the calls of it still to make.
#[derive(Clone, Copy, Debug)]
struct Frame {
    class: u8,
    /// The links of the class: `routes[a..b]`; then the session lookups: `routes[sa..sb]`.
    links: (u32, u32),
    sessions: (u32, u32),
    /// The next entry whose calls are still to be drawn, counting the links first.
    cursor: u32,
    /// The entry being called now, as the class it carries, and the calls of it left.
    calling: (u32, u8),
    calls_left: u32,
}

impl Frame {
    /// Entries to call in all.
    fn entries(&self) -> u32 {
        (self.links.1 - self.links.0) + (self.sessions.1 - self.sessions.0)
    }

    /// The route entry at `cursor` and the class it carries.
    fn entry_at(&self, cursor: u32) -> (u32, u8) {
        let link_count = self.links.1 - self.links.0;
        if cursor < link_count {
            (self.links.0 + cursor, self.class)
        } else {
            (
                self.sessions.0 + cursor - link_count,
                TrafficClass::Session.index() as u8,
            )
        }
    }
}

/// A request in flight.
#[derive(Clone, Debug, Default)]
struct Request {
    started_s: f64,
    /// When it arrived at the component it is at now.
    arrived_here_s: f64,
    /// The class it is at this component as (session lookups are `Session`).
    class: u8,
    /// Sent after the warm-up: it counts in the end-to-end figures.
    measured: bool,
    /// A job behind a message queue: no client waits for it.
    job: bool,
    /// The client that sent it.
    client: u32,
    /// The servers waiting for its calls to come back, innermost last.
    stack: Vec<Frame>,
    /// Its slot holds a request now (it is not among the free).
    live: bool,
    /// Its client's deadline passed: it has failed for the client, and it goes on as wasted
    /// work, counted for no one: it finishes what it holds (a queue place, a server) and
    /// still makes its later calls, hop by hop, as a server that does not know the client
    /// gave up would.
    orphan: bool,
    /// How many requests its slot has held: a deadline event names the one it was set for.
    incarnation: u32,
}

/// What happens when an event comes due (kept beside the heap: the heap moves only its
/// 16-byte keys, which halved the time its sifting took on the bench design).
#[derive(Clone, Copy, Debug)]
enum What {
    /// A client's next request.
    Arrival { node: u32 },
    /// A user of closed client `node` has done thinking: it sends (or retires).
    Send { node: u32 },
    /// A tick starts: the closed clients' populations follow the profile.
    Population,
    /// A client whose load was nothing looks again (sends nothing now).
    Wake { node: u32 },
    /// A server of queue `queue` of component `node` finished request `request`, started when
    /// the queue's instance (a database's copy) was in its `epoch`th life: a later epoch means
    /// the instance failed meanwhile and the request with it.
    Done {
        node: u32,
        queue: u32,
        request: u32,
        epoch: u16,
    },
    /// The scenario's failure or repair `index` (of the plan's events) comes due.
    Scheduled { index: u32 },
    /// A random failure of one of `node`'s machines, drawn in its clock's `generation`.
    RandomFailure { node: u32, generation: u32 },
    /// A randomly failed machine of `node` (of a database's shard `group`) is repaired.
    Repair { node: u32, group: u32 },
    /// A database's failover time has passed for one of its shards.
    Failover { node: u32 },
    /// The deadline of the request in slot `request` comes, if the slot still holds the
    /// `incarnation` it was set for.
    Deadline { request: u32, incarnation: u32 },
    /// The timeout of a try of attempt `attempt` (see `retries`), if it is still that try
    /// (`generation`).
    AttemptTimeout { attempt: u32, generation: u32 },
    /// The backoff of the request in slot `request` (its `incarnation`) has ended: it is
    /// tried again.
    Retry { request: u32, incarnation: u32 },
    /// An autoscaled tier's boot ends or its policy decides (see `scaling`).
    Autoscale { node: u32 },
}

/// An event's key in the heap: its time's bits (times are never negative, so their bits
/// order as the times do), then the order it was scheduled in (40 bits: ties break by it,
/// first come first served) and its slot among the payloads (24 bits; see [`MAX_EVENTS`] and
/// `MAX_PENDING`). Reversed, so that the standard max-heap pops the earliest first.
type EventKey = std::cmp::Reverse<(u64, u64)>;

/// One FCFS queue and the servers behind it (an instance, or a pooled group).
#[derive(Clone, Debug, Default)]
struct Queue {
    idle_servers: u32,
    waiting: VecDeque<(u32, f64)>,
    /// Lives of the instance behind it: each failure starts a new one.
    epoch: u16,
}

/// What a request that finished its service here may find.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    /// Nothing: it goes on down the links.
    GoesOn,
    /// A server keeping sessions in memory: it goes on, unless the instance does not hold
    /// the user's session (see `failures::session_error_chance`).
    SessionsInMemory,
    /// A cache: reads and static files hit with this chance (times the warmth when the
    /// scenario starts caches cold); sessions are answered here.
    Cache {
        hit_ratio: f64,
        warmup_s: f64,
        cold: bool,
    },
    /// A CDN's edge: static files hit with this chance.
    Edge { hit_ratio: f64 },
}

/// A database shard's copies: a read takes a server free on any of them; writes wait for the
/// primary (copy 0); replica applies wait for their replica.
#[derive(Clone, Debug, Default)]
struct Shard {
    /// Per copy: idle servers, and the writes (primary) or applies (replicas) waiting for it.
    idle: Vec<u32>,
    pinned: Vec<VecDeque<(u32, f64)>>,
    reads: VecDeque<(u32, f64)>,
    /// Per copy: serving now (its machine is up), and its lives (see `What::Done`).
    active: Vec<bool>,
    epoch: Vec<u16>,
    /// The copy that takes the writes: the primary, or a promoted one after a failover
    /// (`None` while the shard has no primary).
    writer: Option<usize>,
    /// When the shard's primary last went down, as reconciled: a new time is a fresh
    /// failure of the copy taking writes.
    primary_down_seen: Option<f64>,
}

/// A database while the run goes.
#[derive(Clone, Debug)]
struct DatabaseRun {
    shards: Vec<Shard>,
    /// The shards' traffic shares, cumulative.
    share_cumulative: Vec<f64>,
    /// Mean service times on one of an instance's (slowed) servers.
    read_s: f64,
    write_s: f64,
    apply_s: f64,
    scv: f64,
    timeout_s: f64,
    /// Busy time of each copy's servers after the warm-up, by queue index (shard × copies +
    /// copy).
    busy_s: Vec<f64>,
    /// Work given to each copy since the start, by queue index.
    given_s: Vec<f64>,
    /// Servers of one copy.
    servers_per_copy: u32,
    /// Copies of a shard serving reads (primary and replicas), standby left out.
    copies: usize,
}

/// A message queue while the run goes: the brokers are the node's station; the consumers
/// drain `backlog`.
#[derive(Clone, Debug)]
struct QueueRun {
    consumers: Station,
    idle_consumers: u32,
    backlog: VecDeque<u32>,
    max_depth: u64,
}

/// How a component handles requests, beyond a plain station.
#[derive(Clone, Debug)]
enum Model {
    /// A client: no queue.
    Source,
    /// Queues and servers (balancers, servers, caches, CDNs; a message queue's brokers).
    Station {
        spread: Spread,
        answer: Answer,
    },
    Database(Box<DatabaseRun>),
    MessageQueue(Box<QueueRun>),
}

/// Component latencies kept before they are added to the histograms (see `note_latency`).
const LATENCY_BATCH: usize = 4096;

/// The request id that marks a replica's apply of a write (work on no request's path).
const APPLY: u32 = u32::MAX;
/// The queue index of a message queue's consumers (its brokers are queue 0).
const CONSUMERS: u32 = u32::MAX;

/// A client's requests: sent, succeeded, failed.
#[derive(Clone, Copy, Debug, Default)]
struct ClientCounts {
    sent: u64,
    succeeded: u64,
    failed: u64,
}

/// A component while the run goes.
#[derive(Clone, Debug)]
struct NodeRun {
    model: Model,
    station: Option<Station>,
    queues: Vec<Queue>,
    /// Instances in service, routed to: all of them, but for an autoscaled tier the first
    /// ones its autoscaler runs (the others are parked).
    active: u32,
    /// An autoscaled tier's policy at work.
    scaling: Option<Box<Scaling>>,
    /// Round robin's next instance.
    next_instance: u32,
    /// Servers in all (for utilization).
    servers: u32,
    arrived: u64,
    served: u64,
    dropped: u64,
    busy_s: f64,
    latency: LogHistogram,
    /// Over the whole run: arrived, served, dropped.
    totals: (u64, u64, u64),
    /// Requests waiting now (not in service), their time-integral after the warm-up, when it
    /// last changed, and how many waited when the warm-up ended.
    waiting: u64,
    waiting_area: f64,
    waiting_since_s: f64,
    waiting_at_warmup: u64,
    /// The time-integral after the warm-up of the requests waiting that are then served (or
    /// still wait at the end): those that give up waiting are left out, as the flow engine
    /// drops them on arrival, so that its backlog and this one are the same quantity.
    served_wait_area: f64,
    /// Waits before service after the warm-up: their sum in seconds and their number (a
    /// message queue's: the brokers'; its consumers' in `message_wait`).
    wait_sum_s: f64,
    waits: u64,
    message_wait: (f64, u64),
    /// Caches and CDNs: look-ups that could hit, and hits, after the warm-up.
    lookups: u64,
    hits: u64,
    /// Requests served with an error after the warm-up (nowhere to go from here).
    errors: u64,
    /// Clients: requests sent, succeeded and failed, over the whole run and after the
    /// warm-up (by when they ended).
    client_totals: ClientCounts,
    client_window: ClientCounts,
    /// Open clients: requests a second at load 1 (nothing for closed clients, which send no
    /// stream), and the cumulative class mix.
    rate_per_s: f64,
    mix: [f64; TrafficClass::COUNT],
    constant: bool,
    /// Closed clients: their users.
    closed: Option<ClosedRun>,
    /// Clients: their requests' end-to-end deadline, in seconds.
    deadline_s: Option<f64>,
    /// Instances down and health checks, in runs with failures.
    health: Option<Box<Health>>,
    /// A rate limiter in front of the node: its bucket, refilled as time passes.
    limiter: Option<Limiter>,
    /// Requests the rate limiter turned away after the warm-up (also in `dropped`).
    rejected: u64,
    /// Requests that waited past the timeout after the warm-up (also in `dropped`).
    overflow: u64,
    /// Retries the node sent down its links after the warm-up.
    retries: u64,
    /// Attempts down its links the node stopped waiting for after the warm-up.
    timed_out: u64,
}

/// A token bucket (see `model::RateLimit`): its tokens when last looked at, and when.
#[derive(Clone, Copy, Debug)]
struct Limiter {
    limit: crate::model::RateLimit,
    tokens: f64,
    at_s: f64,
}

impl Limiter {
    /// Whether a request arriving at `now_s` gets a token (and takes it).
    fn admits(&mut self, now_s: f64) -> bool {
        self.tokens =
            (self.tokens + self.limit.rate_per_s * (now_s - self.at_s)).min(self.limit.burst);
        self.at_s = now_s;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A closed client's users while the run goes.
#[derive(Clone, Copy, Debug)]
struct ClosedRun {
    /// Users at the profile's multiplier 1: the plan's users × the load multiplier.
    users: f64,
    think_s: f64,
    /// Users now, thinking or waiting for an answer (retired ones left out).
    population: u64,
    /// The population the profile asks for now.
    target: u64,
}

/// The most users of closed clients one events run may follow at once (a pending event or a
/// request each: about 40 bytes a user, and well within the heap's `MAX_PENDING`).
pub const MAX_EVENTS_USERS: f64 = 5e6;

struct Engine<'p> {
    plan: &'p Plan,
    nodes: Vec<NodeRun>,
    /// Route weights as the flow engine's balancers use them (no failures yet: fixed).
    weights: Vec<f64>,
    heap: BinaryHeap<EventKey>,
    /// What each pending event does, by slot, and the free slots.
    payloads: Vec<What>,
    free_payloads: Vec<u32>,
    seq: u64,
    now_s: f64,
    warmup_s: f64,
    rng: Xoshiro256PlusPlus,
    requests: Vec<Request>,
    free: Vec<u32>,
    events: u64,
    sent: u64,
    offered: u64,
    succeeded: u64,
    failed: u64,
    /// Measured requests neither done nor failed.
    live_measured: u64,
    /// Requests completed after the warm-up, whenever they were sent.
    completed_in_window: u64,
    /// Requests that failed after the warm-up, whenever they were sent.
    failed_in_window: u64,
    /// Client requests in flight now, their time-integral after the warm-up and when it last
    /// changed.
    live: u64,
    live_area: f64,
    live_since_s: f64,
    /// The warm-up's end has been passed (its snapshot taken).
    past_warmup: bool,
    /// Latencies not yet in their components' histograms.
    latency_batch: Vec<(u32, f64)>,
    end_to_end: LogHistogram,
    peak: f64,
    /// Client requests in flight at the end of each tick so far, and when the next tick ends.
    in_flight_per_tick: Vec<f64>,
    next_tick_end_s: f64,
    /// Where the run stops (set by `run`).
    until_s: f64,
    /// Times the closed clients' populations have been set to the profile's (at the start of
    /// each tick).
    population_checks: u64,
    /// The attempts of calls down links with a retry policy (`None` when the design has no
    /// such link: then nothing of it is looked at).
    retry: Option<Box<Retries>>,
}

impl<'p> Engine<'p> {
    fn new(plan: &'p Plan, seed: u64, warmup_s: f64) -> Result<Self, SimError> {
        let failures = !plan.events.is_empty() || plan.random_failures;
        let mut nodes = Vec::with_capacity(plan.nodes.len());
        for node in &plan.nodes {
            let instances = node.instances.max(1);
            let spread_by_instances = if instances > 1 {
                Spread::Random
            } else {
                Spread::Pooled
            };
            let mut client = None;
            let (model, station) = match &node.kind {
                KindPlan::Client(c) => {
                    client = Some(c);
                    (Model::Source, None)
                }
                KindPlan::LoadBalancer(lb) => (
                    Model::Station {
                        spread: spread_by_instances,
                        answer: Answer::GoesOn,
                    },
                    Some(lb.station),
                ),
                KindPlan::Server(s) => (
                    Model::Station {
                        spread: node.spread,
                        answer: if s.stateful {
                            Answer::SessionsInMemory
                        } else {
                            Answer::GoesOn
                        },
                    },
                    Some(s.station),
                ),
                KindPlan::Cache(c) => (
                    Model::Station {
                        spread: spread_by_instances,
                        answer: Answer::Cache {
                            hit_ratio: c.hit_ratio,
                            warmup_s: c.warmup_s,
                            cold: plan.caches_start_cold,
                        },
                    },
                    Some(c.station),
                ),
                KindPlan::Cdn(c) => (
                    Model::Station {
                        spread: Spread::Pooled,
                        answer: Answer::Edge {
                            hit_ratio: c.edge_hit_ratio,
                        },
                    },
                    Some(c.station),
                ),
                KindPlan::Database(d) => (Model::Database(Box::new(database_run(d))), None),
                KindPlan::MessageQueue(q) => (
                    Model::MessageQueue(Box::new(QueueRun {
                        consumers: q.consumers,
                        idle_consumers: q.consumers.servers,
                        backlog: VecDeque::new(),
                        max_depth: q.max_depth,
                    })),
                    Some(q.broker),
                ),
            };
            // Pooled groups and message queues' brokers have one queue; others one an
            // instance.
            let pooled = match &model {
                Model::Station { spread, .. } => *spread == Spread::Pooled,
                Model::MessageQueue(_) => true,
                _ => false,
            };
            let (queue_count, per_queue) = match station {
                None => (0, 0),
                Some(s) if pooled => (1, s.servers * instances),
                Some(s) => (instances, s.servers),
            };
            let servers = match (&model, station) {
                (Model::Database(d), _) => {
                    d.shards.iter().map(|s| s.idle.iter().sum::<u32>()).sum()
                }
                (Model::MessageQueue(q), _) => q.consumers.servers,
                (_, Some(s)) => s.servers * instances,
                _ => 0,
            };
            let mut mix = [0.0; TrafficClass::COUNT];
            let mut acc = 0.0;
            if let Some(c) = client {
                let total: f64 = c.mix.iter().sum();
                for (k, share) in c.mix.iter().enumerate() {
                    acc += share / total.max(f64::MIN_POSITIVE);
                    mix[k] = acc;
                }
            }
            nodes.push(NodeRun {
                model,
                station,
                queues: vec![
                    Queue {
                        idle_servers: per_queue,
                        waiting: VecDeque::new(),
                        epoch: 0,
                    };
                    queue_count as usize
                ],
                active: instances,
                scaling: None,
                next_instance: 0,
                servers,
                arrived: 0,
                served: 0,
                dropped: 0,
                busy_s: 0.0,
                // Bins 1 % wide, as the flow engine's components have them: half the memory
                // of the default, which a large design's histograms miss in cache.
                latency: LogHistogram::with_bin_ratio(1.01),
                totals: (0, 0, 0),
                waiting: 0,
                waiting_area: 0.0,
                waiting_since_s: 0.0,
                waiting_at_warmup: 0,
                served_wait_area: 0.0,
                wait_sum_s: 0.0,
                waits: 0,
                message_wait: (0.0, 0),
                lookups: 0,
                hits: 0,
                errors: 0,
                client_totals: ClientCounts::default(),
                client_window: ClientCounts::default(),
                rate_per_s: client
                    .filter(|c| c.closed.is_none())
                    .map_or(0.0, |c| c.base_rate_per_s * plan.load_multiplier),
                mix,
                constant: client.is_some_and(|c| c.constant),
                closed: client.and_then(|c| c.closed).map(|c| ClosedRun {
                    users: c.users * plan.load_multiplier,
                    think_s: c.think_time_s,
                    population: 0,
                    target: 0,
                }),
                limiter: match &node.kind {
                    KindPlan::Server(p) => p.rate_limit,
                    KindPlan::LoadBalancer(p) => p.rate_limit,
                    _ => None,
                }
                .map(|limit| Limiter {
                    limit,
                    tokens: limit.burst,
                    at_s: 0.0,
                }),
                rejected: 0,
                overflow: 0,
                retries: 0,
                timed_out: 0,
                deadline_s: client.and_then(|c| c.deadline_s),
                health: (failures && client.is_none()).then(|| {
                    let per_instance = match (&node.kind, station) {
                        (KindPlan::Database(d), _) => d.effective_cores.ceil().max(1.0) as u32,
                        (_, Some(s)) => s.servers,
                        _ => 0,
                    };
                    Box::new(Health::new(node, per_instance, plan.random_failures, seed))
                }),
            });
        }
        let mut weights: Vec<f64> = plan.routes.iter().map(|r| r.weight).collect();
        for node in &plan.nodes {
            let KindPlan::LoadBalancer(lb) = &node.kind else {
                continue;
            };
            for &(a, b) in &node.routes {
                for e in a..b {
                    let entry = &plan.routes[e as usize];
                    let target = &plan.nodes[entry.target as usize];
                    let capacity = super::kinds::instance_capacity_per_s(&target.kind);
                    weights[e as usize] =
                        target_weight(lb, entry.weight, target.instances, capacity);
                }
            }
        }
        let mut engine = Self {
            plan,
            nodes,
            weights,
            heap: BinaryHeap::new(),
            payloads: Vec::new(),
            free_payloads: Vec::new(),
            seq: 0,
            now_s: 0.0,
            warmup_s,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x6576_656e_7473),
            requests: Vec::new(),
            free: Vec::new(),
            events: 0,
            sent: 0,
            offered: 0,
            succeeded: 0,
            failed: 0,
            live_measured: 0,
            completed_in_window: 0,
            failed_in_window: 0,
            live: 0,
            live_area: 0.0,
            live_since_s: 0.0,
            past_warmup: warmup_s <= 0.0,
            latency_batch: Vec::with_capacity(LATENCY_BATCH),
            end_to_end: LogHistogram::default(),
            peak: plan.profile.peak_multiplier().max(f64::MIN_POSITIVE),
            in_flight_per_tick: Vec::with_capacity(plan.ticks.min(1 << 20) as usize),
            next_tick_end_s: plan.tick_s,
            until_s: f64::INFINITY,
            population_checks: 0,
            retry: (!plan.retry_links.is_empty() || !plan.breaker_links.is_empty())
                .then(|| Box::new(Retries::new(plan))),
        };
        engine.start_autoscaling();
        for &c in &plan.clients {
            engine.schedule_arrival(c);
        }
        // The closed clients' first users start thinking at 0 s (after the budget's check).
        if engine.nodes.iter().any(|n| n.closed.is_some()) {
            engine.schedule(0.0, What::Population);
        }
        if failures {
            engine.schedule_failures();
        }
        Ok(engine)
    }

    /// Refuse a run that would send more than [`MAX_EVENTS_REQUESTS`] requests, or follow
    /// more than [`MAX_EVENTS_USERS`] users of closed clients at once. A closed client's users
    /// send at most one request per think time each (when every answer is instant), so its
    /// bound is its largest population over the think time.
    fn check_budget(&self, duration_s: f64) -> Result<(), SimError> {
        let peak = self.plan.profile.peak_multiplier();
        let open: f64 = self.nodes.iter().map(|n| n.rate_per_s).sum();
        let most_users: f64 = self
            .nodes
            .iter()
            .filter_map(|n| n.closed)
            .map(|c| (c.users * peak).round())
            .sum();
        if most_users > MAX_EVENTS_USERS {
            return Err(SimError::BadOptions(format!(
                "the events engine would follow about {} users of closed clients at once, more \
                 than its limit of {}; lower the users or the load (the flow engine runs it)",
                crate::analysis::report::count(most_users as u64),
                crate::analysis::report::count(MAX_EVENTS_USERS as u64)
            )));
        }
        let closed: f64 = self
            .nodes
            .iter()
            .filter_map(|n| n.closed)
            .map(|c| (c.users * peak).round() / c.think_s)
            .sum();
        // Each request waits on its deadline event: a client keeps about its rate times its
        // deadline of them pending (a closed client at most its users).
        let pending_deadlines: f64 = self
            .nodes
            .iter()
            .filter_map(|n| {
                let deadline_s = n.deadline_s?.min(duration_s);
                Some(match n.closed {
                    Some(c) => (c.users * peak).round(),
                    None => n.rate_per_s * peak * deadline_s,
                })
            })
            .sum();
        if pending_deadlines > (MAX_PENDING / 2) as f64 {
            return Err(SimError::BadOptions(format!(
                "the events engine would keep about {} requests' deadlines pending at once, \
                 more than its limit of {}; shorten the deadline or lower the load (the flow \
                 engine runs it)",
                crate::analysis::report::count(pending_deadlines as u64),
                crate::analysis::report::count((MAX_PENDING / 2) as u64)
            )));
        }
        // Each try down a link with a timeout sets a timeout event, pending for the timeout
        // whether the try comes back or not: about the link's rate × its tries × its timeout
        // (retries inside retries multiply further; the run stops on the heap's limit then).
        let pending_timeouts = self.pending_timeouts(duration_s);
        if pending_timeouts > 0.0 && pending_deadlines + pending_timeouts > (MAX_PENDING / 2) as f64
        {
            return Err(SimError::BadOptions(format!(
                "the events engine would keep about {} attempts' timeouts (and {} deadlines) \
                 pending at once, more than its limit of {}; shorten the links' timeouts or \
                 lower the load (the flow engine runs it)",
                crate::analysis::report::count(pending_timeouts as u64),
                crate::analysis::report::count(pending_deadlines as u64),
                crate::analysis::report::count((MAX_PENDING / 2) as u64)
            )));
        }
        let expected = (open * peak + closed) * duration_s;
        if expected > MAX_EVENTS_REQUESTS {
            return Err(SimError::BadOptions(format!(
                "the events engine would simulate about {} requests, more than its limit of {}; \
                 shorten the run or lower the load (the flow engine runs it)",
                crate::analysis::report::count(expected as u64),
                crate::analysis::report::count(MAX_EVENTS_REQUESTS as u64)
            )));
        }
        Ok(())
    }

    /// About how many attempts' timeout events a run keeps pending at once at the profile's
    /// peak: per link with a timeout, its rate × its tries × the timeout (or the run, if
    /// shorter). Nothing when no link has a timeout.
    fn pending_timeouts(&self, duration_s: f64) -> f64 {
        let plan = self.plan;
        if plan
            .retry_links
            .iter()
            .all(|l| l.policy.timeout_s().is_none())
        {
            return 0.0;
        }
        let scale = plan.load_multiplier * plan.profile.peak_multiplier();
        let rates = super::laws::entry_rates(plan);
        plan.routes
            .iter()
            .zip(&rates)
            .filter(|(r, _)| r.retry != NO_RETRY)
            .filter_map(|(r, rate)| {
                let policy = plan.retry_links.get(r.retry as usize)?.policy;
                let timeout_s = policy.timeout_s()?.min(duration_s);
                Some(rate * scale * f64::from(policy.attempts.max(1)) * timeout_s)
            })
            .sum()
    }

    fn schedule(&mut self, time_s: f64, what: What) {
        self.seq += 1;
        let slot = match self.free_payloads.pop() {
            Some(slot) => {
                self.payloads[slot as usize] = what;
                slot
            }
            None => {
                self.payloads.push(what);
                (self.payloads.len() - 1) as u32
            }
        };
        let order = (self.seq << 24) | u64::from(slot);
        self.heap
            .push(std::cmp::Reverse((time_s.max(0.0).to_bits(), order)));
    }

    /// The client's next arrival: Poisson by thinning at the profile's peak rate, or evenly
    /// spaced at the rate now.
    fn schedule_arrival(&mut self, node: u32) {
        let n = &self.nodes[node as usize];
        let (rate, constant) = (n.rate_per_s, n.constant);
        if rate <= 0.0 {
            return;
        }
        let at = if constant {
            // Evenly spaced at the rate now; while the profile is at nothing (or so little
            // that the next request would come more than a tick away), look again a tick on,
            // so the stream comes back with the load.
            let now = self.plan.profile.multiplier_at(self.now_s) * rate;
            let gap_s = if now > 0.0 { 1.0 / now } else { f64::INFINITY };
            if gap_s > self.plan.tick_s {
                self.schedule(self.now_s + self.plan.tick_s, What::Wake { node });
                return;
            }
            self.now_s + gap_s
        } else {
            let top = rate * self.peak;
            let mut t = self.now_s;
            loop {
                let gap: f64 = Exp1.sample(&mut self.rng);
                t += gap / top;
                let keep: f64 = self.rng.random();
                if keep * self.peak <= self.plan.profile.multiplier_at(t) || t > 1e300 {
                    break t;
                }
            }
        };
        self.schedule(at, What::Arrival { node });
    }

    fn run(&mut self, until_s: f64) -> Result<(), SimError> {
        self.until_s = until_s;
        while let Some(&std::cmp::Reverse((bits, order))) = self.heap.peek() {
            if self.events >= MAX_EVENTS || self.payloads.len() > MAX_PENDING {
                return Err(SimError::BadOptions(format!(
                    "the events engine stopped at {} events ({} pending) at {:.0} s of the run: \
                     this design's calls multiply each request's visits too far for one run; \
                     shorten it or lower the load (the flow engine runs it)",
                    self.events,
                    self.payloads.len(),
                    self.now_s
                )));
            }
            let time_s = f64::from_bits(bits);
            if time_s > until_s {
                break;
            }
            if time_s >= self.next_tick_end_s {
                self.ticks_end(time_s.min(until_s));
            }
            self.heap.pop();
            let slot = (order & 0xff_ffff) as u32;
            let what = self.payloads[slot as usize];
            self.free_payloads.push(slot);
            self.events += 1;
            if !self.past_warmup && time_s >= self.warmup_s {
                self.end_warmup();
            }
            self.now_s = time_s;
            match what {
                What::Arrival { node } => {
                    self.new_request(node);
                    self.schedule_arrival(node);
                }
                What::Wake { node } => self.schedule_arrival(node),
                What::Send { node } => self.user_sends(node),
                What::Deadline {
                    request,
                    incarnation,
                } => self.miss_deadline(request, incarnation),
                What::AttemptTimeout {
                    attempt,
                    generation,
                } => self.attempt_timeout(attempt, generation),
                What::Retry {
                    request,
                    incarnation,
                } => self.retry_due(request, incarnation),
                What::Population => self.follow_profile(),
                What::Done {
                    node,
                    queue,
                    request,
                    epoch,
                } => self.done(node, queue, request, epoch),
                What::Scheduled { index } => self.scheduled(index),
                What::RandomFailure { node, generation } => self.random_failure(node, generation),
                What::Repair { node, group } => self.repair(node, group),
                What::Failover { node } => self.failover(node),
                What::Autoscale { node } => self.autoscale(node),
            }
        }
        if !self.past_warmup {
            self.end_warmup();
        }
        self.ticks_end(until_s);
        self.flush_latencies();
        self.now_s = until_s;
        // Close the time-integrals at the end of the run: what still waits counts to the end.
        for node in 0..self.nodes.len() {
            self.waiting_changed(node as u32, 0);
            let n = &self.nodes[node];
            // Those still waiting that will be served (not yet past their timeout).
            let timeout_s = match &n.model {
                Model::Database(db) => db.timeout_s,
                _ => n.station.map_or(f64::INFINITY, |st| st.timeout_s),
            };
            let from = |since: f64| {
                if until_s - since > timeout_s {
                    0.0
                } else {
                    (until_s - since.max(self.warmup_s)).max(0.0)
                }
            };
            let mut still = 0.0;
            for q in &n.queues {
                still += q.waiting.iter().map(|&(_, since)| from(since)).sum::<f64>();
            }
            if let Model::Database(db) = &n.model {
                for sh in &db.shards {
                    let waiting = sh.pinned.iter().flatten().chain(sh.reads.iter());
                    still += waiting
                        .filter(|(id, _)| *id != APPLY)
                        .map(|&(_, since)| from(since))
                        .sum::<f64>();
                }
            }
            self.nodes[node].served_wait_area += still;
        }
        self.live_changed(0);
        let warmup_s = self.warmup_s;
        for n in &mut self.nodes {
            if let Some(h) = n.health.as_mut() {
                h.close(until_s, warmup_s);
            }
            if let Some(s) = n.scaling.as_mut() {
                s.close(until_s, warmup_s);
            }
        }
        Ok(())
    }

    /// The ticks that end by `time_s` (before its events) note the requests in flight.
    fn ticks_end(&mut self, time_s: f64) {
        let tick_s = self.plan.tick_s;
        let ticks = self.plan.ticks as usize;
        while self.next_tick_end_s <= time_s && self.in_flight_per_tick.len() < ticks {
            self.in_flight_per_tick.push(self.live as f64);
            // From the count, not by adding: no drift over a million ticks.
            self.next_tick_end_s = (self.in_flight_per_tick.len() + 1) as f64 * tick_s;
        }
    }

    /// The warm-up ends: what waits now is the measured stretch's starting backlog, and the
    /// time-integrals start here.
    fn end_warmup(&mut self) {
        self.past_warmup = true;
        let at = self.warmup_s;
        for n in &mut self.nodes {
            n.waiting_at_warmup = n.waiting;
            n.waiting_since_s = at;
        }
        self.live_since_s = at;
    }

    /// The requests waiting at `node` change by `delta` now.
    fn waiting_changed(&mut self, node: u32, delta: i64) {
        let (now, warmup) = (self.now_s, self.warmup_s);
        let n = &mut self.nodes[node as usize];
        if now > warmup {
            n.waiting_area += n.waiting as f64 * (now - n.waiting_since_s.max(warmup));
        }
        n.waiting_since_s = now;
        n.waiting = n.waiting.saturating_add_signed(delta);
    }

    /// The client requests in flight change by `delta` now.
    fn live_changed(&mut self, delta: i64) {
        let (now, warmup) = (self.now_s, self.warmup_s);
        if now > warmup {
            self.live_area += self.live as f64 * (now - self.live_since_s.max(warmup));
        }
        self.live_since_s = now;
        self.live = self.live.saturating_add_signed(delta);
    }

    fn measuring(&self) -> bool {
        self.now_s >= self.warmup_s
    }

    /// A free slot for a request (or a job), reset.
    fn alloc(&mut self, class: u8, measured: bool, job: bool) -> u32 {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.requests.push(Request::default());
                (self.requests.len() - 1) as u32
            }
        };
        let now_s = self.now_s;
        let r = &mut self.requests[id as usize];
        r.started_s = now_s;
        r.class = class;
        r.measured = measured;
        r.job = job;
        // No client until `new_request` says which: a job is no user's request.
        r.client = u32::MAX;
        r.stack.clear();
        r.live = true;
        r.orphan = false;
        r.incarnation = r.incarnation.wrapping_add(1);
        // A slot is freed in no attempt (see `complete` and `release`): nothing to reset.
        id
    }

    /// A client sends a request: its class by the mix, then down a link of that class.
    fn new_request(&mut self, client: u32) {
        let u: f64 = self.rng.random();
        let mix = &self.nodes[client as usize].mix;
        // Rounding may leave the cumulative mix a hair under 1: the last class with a share.
        let last = (1..mix.len())
            .rev()
            .find(|&k| mix[k] > mix[k - 1])
            .unwrap_or(0);
        let class = mix.iter().position(|&c| u < c).unwrap_or(last) as u8;
        let measured = self.measuring();
        let id = self.alloc(class, measured, false);
        self.requests[id as usize].client = client;
        self.sent += 1;
        self.live_changed(1);
        let n = &mut self.nodes[client as usize];
        n.client_totals.sent += 1;
        if measured {
            n.client_window.sent += 1;
        }
        // A client "serves" a request when it sends it down a link (see `forward`).
        self.nodes[client as usize].totals.0 += 1;
        if measured {
            self.offered += 1;
            self.live_measured += 1;
            self.nodes[client as usize].arrived += 1;
        }
        // A deadline past the run's end would never fire: it is not scheduled (so pending
        // deadlines stay the requests sent within one deadline of now, not of the run).
        if let Some(deadline_s) = self.nodes[client as usize].deadline_s
            && self.now_s + deadline_s <= self.until_s
        {
            let incarnation = self.requests[id as usize].incarnation;
            self.schedule(
                self.now_s + deadline_s,
                What::Deadline {
                    request: id,
                    incarnation,
                },
            );
        }
        self.forward(id, client, class);
    }

    /// The deadline of request `id` has come: if it is still on its way, it has failed for
    /// its client now; it goes on as an orphan, finishing the work it holds (see `Request`).
    fn miss_deadline(&mut self, id: u32, incarnation: u32) {
        let r = &self.requests[id as usize];
        if !r.live || r.orphan || r.job || r.incarnation != incarnation {
            return;
        }
        self.count_failure(id);
        self.requests[id as usize].orphan = true;
        // An orphan makes no more retries.
        if let Some(rt) = self.retry.as_deref_mut() {
            rt.free_chain(id);
        }
    }

    /// Request `id` reaches component `node` as class `class`.
    fn arrive(&mut self, id: u32, node: u32, class: u8) {
        let now_s = self.now_s;
        let r = &mut self.requests[id as usize];
        r.arrived_here_s = now_s;
        r.class = class;
        self.nodes[node as usize].totals.0 += 1;
        if self.measuring() {
            self.nodes[node as usize].arrived += 1;
        }
        match &self.nodes[node as usize].model {
            Model::Source => self.back(id),
            Model::Station { spread, .. } => {
                let spread = *spread;
                self.arrive_at_station(id, node, spread);
            }
            Model::MessageQueue(_) => self.arrive_at_brokers(id, node),
            Model::Database(_) => self.arrive_at_database(id, node, class),
        }
    }

    /// Request `id` joins one of `node`'s queues as `spread` picks it.
    fn arrive_at_station(&mut self, id: u32, node: u32, spread: Spread) {
        let now_s = self.now_s;
        if let Some(limiter) = &mut self.nodes[node as usize].limiter
            && !limiter.admits(now_s)
        {
            // Turned away at once: a drop for the component's balance, counted apart.
            if self.measuring() {
                self.nodes[node as usize].rejected += 1;
            }
            self.timed_out(node, id);
            return;
        }
        if let Some(h) = &self.nodes[node as usize].health
            && h.any_down()
        {
            self.arrive_with_failures(id, node, spread);
            return;
        }
        let n = &mut self.nodes[node as usize];
        let queues = n.queues.len() as u32;
        // The instances in service (all of them but in an autoscaled tier: see `scaling`).
        let active = n.active;
        let queue = match spread {
            _ if queues <= 1 => 0,
            _ if active == 0 => {
                self.timed_out(node, id);
                return;
            }
            Spread::RoundRobin => {
                let q = n.next_instance % active;
                n.next_instance = (q + 1) % active;
                q
            }
            Spread::Pooled | Spread::Random | Spread::Sticky => self.rng.random_range(0..active),
        };
        self.join(id, node, queue);
    }

    /// Request `id` joins `queue` of `node`: served at once by an idle server, or waits.
    #[inline(always)]
    fn join(&mut self, id: u32, node: u32, queue: u32) {
        let q = &mut self.nodes[node as usize].queues[queue as usize];
        if q.idle_servers > 0 {
            q.idle_servers -= 1;
            self.start(node, queue, id);
        } else {
            q.waiting.push_back((id, self.now_s));
            self.waiting_changed(node, 1);
        }
    }

    /// A message reaches a queue's brokers: one takes it when free; beyond what they take in
    /// a tick (their capacity × the tick) it is turned away at once and the producer's
    /// request fails, as the flow engine refuses what exceeds the brokers' capacity each
    /// tick. Messages waiting for a broker are no part of the queue's backlog, which is what
    /// waits for a consumer.
    fn arrive_at_brokers(&mut self, id: u32, node: u32) {
        let tick_s = self.plan.tick_s;
        let instances = self.plan.nodes[node as usize].instances;
        // Producers move to a live broker at once; with none, the message is refused.
        if self.nodes[node as usize]
            .health
            .as_ref()
            .is_some_and(|h| h.down_count() >= instances)
        {
            self.timed_out(node, id);
            return;
        }
        let n = &mut self.nodes[node as usize];
        let room = n
            .station
            .map_or(1.0, |st| (st.capacity_per_s() * tick_s).ceil().max(1.0));
        let Some(q) = n.queues.first_mut() else {
            return;
        };
        if q.idle_servers > 0 {
            q.idle_servers -= 1;
            self.start(node, 0, id);
        } else if (q.waiting.len() as f64) < room {
            q.waiting.push_back((id, self.now_s));
        } else {
            self.timed_out(node, id);
        }
    }

    /// Request `id` reaches a database: a shard by its keys' share; a write waits for the
    /// primary, a read for a server on any copy.
    fn arrive_at_database(&mut self, id: u32, node: u32, class: u8) {
        // The waiting count's integral up to now (it may grow by one below).
        self.waiting_changed(node, 0);
        let u: f64 = self.rng.random();
        let now_s = self.now_s;
        let n = &mut self.nodes[node as usize];
        let Model::Database(db) = &mut n.model else {
            return;
        };
        let shard = db
            .share_cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(db.shards.len().saturating_sub(1));
        let copies = db.shards[shard].idle.len();
        let sh = &mut db.shards[shard];
        let copy = if is_write(class as usize) {
            // No copy takes writes (the primary is down, before the failover): it fails.
            let Some(writer) = sh.writer else {
                self.timed_out(node, id);
                return;
            };
            if sh.idle[writer] > 0 {
                Some(writer)
            } else {
                sh.pinned[writer].push_back((id, now_s));
                n.waiting += 1;
                None
            }
        } else if !sh.active.iter().any(|&a| a) {
            // No copy of the shard serving.
            self.timed_out(node, id);
            return;
        } else {
            // Of the copies with a server free, the one that has been given the least work so
            // far: reads fill the copies up to a common level of work, the primary's writes
            // and the replicas' applies included (the flow engine's model of a driver that
            // sends reads where there is room).
            let given = &db.given_s[shard * copies..(shard + 1) * copies];
            let found = (0..copies)
                .filter(|&c| sh.idle[c] > 0)
                .min_by(|&a, &b| given[a].total_cmp(&given[b]));
            if found.is_none() {
                sh.reads.push_back((id, now_s));
                n.waiting += 1;
            }
            found
        };
        if let Some(copy) = copy {
            self.start_at_database(node, shard, copy, id);
        }
    }

    /// A server of `copy` of `shard` takes request `id` (or a replica's apply).
    fn start_at_database(&mut self, node: u32, shard: usize, copy: usize, id: u32) {
        let Model::Database(db) = &mut self.nodes[node as usize].model else {
            return;
        };
        db.shards[shard].idle[copy] -= 1;
        let copies = db.shards[shard].idle.len();
        let mean_s = if id == APPLY {
            db.apply_s
        } else if is_write(self.requests[id as usize].class as usize) {
            db.write_s
        } else {
            db.read_s
        };
        let scv = db.scv;
        let service_s = self.draw(mean_s, scv);
        let (now, warmup) = (self.now_s, self.warmup_s);
        if id != APPLY && now > warmup {
            let since = self.requests[id as usize].arrived_here_s.max(warmup);
            self.nodes[node as usize].served_wait_area += now - since;
        }
        if id != APPLY && self.measuring() {
            let waited_s = self.now_s - self.requests[id as usize].arrived_here_s;
            let n = &mut self.nodes[node as usize];
            n.wait_sum_s += waited_s;
            n.waits += 1;
        }
        if let Model::Database(db) = &mut self.nodes[node as usize].model
            && let Some(given) = db.given_s.get_mut(shard * copies + copy)
        {
            *given += service_s;
        }
        if self.measuring() {
            self.nodes[node as usize].busy_s += service_s;
            if let Model::Database(db) = &mut self.nodes[node as usize].model
                && let Some(busy) = db.busy_s.get_mut(shard * copies + copy)
            {
                *busy += service_s;
            }
        }
        let n = &self.nodes[node as usize];
        let epoch = match &n.model {
            Model::Database(db) if n.health.is_some() => db.shards[shard].epoch[copy],
            _ => 0,
        };
        self.schedule(
            self.now_s + service_s,
            What::Done {
                node,
                queue: (shard * copies + copy) as u32,
                request: id,
                epoch,
            },
        );
    }

    /// A server of `queue` takes request `id`.
    fn start(&mut self, node: u32, queue: u32, id: u32) {
        let (station, is_queue) = {
            let n = &self.nodes[node as usize];
            let station = if queue == CONSUMERS {
                match &n.model {
                    Model::MessageQueue(q) => Some(q.consumers),
                    _ => None,
                }
            } else {
                n.station
            };
            (station, matches!(n.model, Model::MessageQueue(_)))
        };
        let Some(station) = station else {
            return;
        };
        let service_s = self.draw(1.0 / station.rate_per_server_s, station.service_scv);
        let (now, warmup) = (self.now_s, self.warmup_s);
        if now > warmup && queue != CONSUMERS {
            let since = self.requests[id as usize].arrived_here_s.max(warmup);
            self.nodes[node as usize].served_wait_area += now - since;
        }
        if self.measuring() {
            let waited_s = self.now_s - self.requests[id as usize].arrived_here_s;
            let n = &mut self.nodes[node as usize];
            if queue == CONSUMERS {
                n.message_wait.0 += waited_s;
                n.message_wait.1 += 1;
            } else {
                n.wait_sum_s += waited_s;
                n.waits += 1;
            }
            // A message queue is as busy as its consumers (the brokers only take messages in).
            if !is_queue || queue == CONSUMERS {
                n.busy_s += service_s;
            }
        }
        // An autoscaler measures its group's busy time over the whole run (a queue's: its
        // consumers').
        if let Some(s) = self.nodes[node as usize].scaling.as_mut()
            && (!is_queue || queue == CONSUMERS)
        {
            s.busy_s += service_s;
        }
        let n = &self.nodes[node as usize];
        let epoch = if n.health.is_some() {
            n.queues.get(queue as usize).map_or(0, |q| q.epoch)
        } else {
            0
        };
        self.schedule(
            self.now_s + service_s,
            What::Done {
                node,
                queue,
                request: id,
                epoch,
            },
        );
    }

    /// A time of mean `mean_s`: constant for SCV 0, exponential for 1, gamma otherwise.
    fn draw(&mut self, mean_s: f64, scv: f64) -> f64 {
        if scv <= 0.0 {
            mean_s
        } else if (scv - 1.0).abs() < 1e-12 {
            let unit: f64 = Exp1.sample(&mut self.rng);
            unit * mean_s
        } else {
            match Gamma::new(1.0 / scv, mean_s * scv) {
                Ok(g) => g.sample(&mut self.rng),
                Err(_) => mean_s,
            }
        }
    }

    fn done(&mut self, node: u32, queue: u32, id: u32, epoch: u16) {
        // The instance failed while it served the request: lost with it (and the server with
        // the instance).
        if self.nodes[node as usize].health.is_some()
            && !matches!(self.nodes[node as usize].model, Model::Database(_))
            && queue != CONSUMERS
            && self.lost_in_service(node, queue, epoch)
        {
            self.timed_out(node, id);
            return;
        }
        match &self.nodes[node as usize].model {
            Model::Database(_) => self.done_at_database(node, queue, id, epoch),
            Model::MessageQueue(_) if queue == CONSUMERS => self.consumed(node, id),
            Model::MessageQueue(_) => {
                // The enqueue's time is the queue's latency; what it served is what its
                // consumers finish.
                if self.measuring() {
                    let since = self.requests[id as usize].arrived_here_s;
                    self.note_latency(node, (self.now_s - since) * 1000.0);
                }
                self.next_from_queue(node, queue);
                self.enqueued(node, id);
            }
            _ => {
                self.record(node, id);
                // A server of an instance an autoscaler stopped leaves once it has finished
                // (its request completes); others take the next request.
                match self.nodes[node as usize].scaling.as_mut() {
                    Some(s) if s.retire > 0 => s.retire -= 1,
                    _ => self.next_from_queue(node, queue),
                }
                let stateful = matches!(
                    self.nodes[node as usize].model,
                    Model::Station {
                        answer: Answer::SessionsInMemory,
                        ..
                    }
                );
                let chance = if stateful {
                    failures::session_error_chance(
                        &self.plan.nodes[node as usize],
                        &self.nodes[node as usize],
                        self.now_s,
                    )
                } else {
                    None
                };
                if let Some(chance) = chance
                    && self.rng.random::<f64>() < chance
                {
                    // Served by an instance that does not hold the user's session: answered
                    // with an error.
                    if self.measuring() {
                        self.nodes[node as usize].errors += 1;
                    }
                    self.fail(id);
                    return;
                }
                let class = self.requests[id as usize].class;
                self.answer_or_forward(id, node, class, queue);
            }
        }
    }

    /// Request `id` leaves `node`'s server: one served, with its time here.
    fn record(&mut self, node: u32, id: u32) {
        self.nodes[node as usize].totals.1 += 1;
        if self.measuring() {
            let since = self.requests[id as usize].arrived_here_s;
            self.nodes[node as usize].served += 1;
            self.note_latency(node, (self.now_s - since) * 1000.0);
        }
    }

    /// A component's latency, kept to be added to its histogram with many others: the
    /// histograms of a large design are rarely in cache, and adding a batch at a time lets
    /// the processor overlap their misses (it was 40 % of the time on the bench design).
    fn note_latency(&mut self, node: u32, latency_ms: f64) {
        self.latency_batch.push((node, latency_ms));
        if self.latency_batch.len() >= LATENCY_BATCH {
            self.flush_latencies();
        }
    }

    fn flush_latencies(&mut self) {
        for &(node, ms) in &self.latency_batch {
            if let Some(n) = self.nodes.get_mut(node as usize) {
                n.latency.add(ms);
            }
        }
        self.latency_batch.clear();
    }

    /// A server of `queue` at `node` is free: it takes the next request that has not given up
    /// waiting.
    fn next_from_queue(&mut self, node: u32, queue: u32) {
        let timeout_s = self.nodes[node as usize]
            .station
            .map_or(f64::INFINITY, |s| s.timeout_s);
        loop {
            let q = &mut self.nodes[node as usize].queues[queue as usize];
            let Some((next, since_s)) = q.waiting.pop_front() else {
                q.idle_servers += 1;
                return;
            };
            // A message queue's backlog is what waits for its consumers, not its brokers.
            if !matches!(self.nodes[node as usize].model, Model::MessageQueue(_)) {
                self.waiting_changed(node, -1);
            }
            if self.now_s - since_s > timeout_s {
                self.overflowed(node, next);
                continue;
            }
            self.start(node, queue, next);
            return;
        }
    }

    /// Request `id` waited past `node`'s timeout: dropped for want of capacity.
    fn overflowed(&mut self, node: u32, id: u32) {
        if self.measuring() {
            self.nodes[node as usize].overflow += 1;
        }
        self.timed_out(node, id);
    }

    fn timed_out(&mut self, node: u32, id: u32) {
        self.nodes[node as usize].totals.2 += 1;
        if self.measuring() {
            self.nodes[node as usize].dropped += 1;
        }
        self.fail(id);
    }

    /// The brokers took message `id`: the producer goes on, and the message waits for a
    /// consumer as a job of its own (or is dropped when the queue is full).
    fn enqueued(&mut self, node: u32, id: u32) {
        let (room, idle) = match &self.nodes[node as usize].model {
            Model::MessageQueue(q) => ((q.backlog.len() as u64) < q.max_depth, q.idle_consumers),
            _ => return,
        };
        if idle == 0 && !room {
            // A full queue drops the message, and the producer's request fails with it, as
            // the flow engine counts it.
            self.timed_out(node, id);
            return;
        }
        let class = self.requests[id as usize].class;
        let job = self.alloc(class, false, true);
        self.requests[job as usize].arrived_here_s = self.now_s;
        if idle > 0 {
            if let Model::MessageQueue(q) = &mut self.nodes[node as usize].model {
                q.idle_consumers -= 1;
            }
            self.start(node, CONSUMERS, job);
        } else {
            if let Model::MessageQueue(q) = &mut self.nodes[node as usize].model {
                q.backlog.push_back(job);
            }
            self.waiting_changed(node, 1);
        }
        self.back(id);
    }

    /// A consumer finished job `id`: it goes on down the queue's links.
    fn consumed(&mut self, node: u32, id: u32) {
        self.nodes[node as usize].totals.1 += 1;
        if self.measuring() {
            self.nodes[node as usize].served += 1;
        }
        let next = {
            let run = &mut self.nodes[node as usize];
            let Model::MessageQueue(q) = &mut run.model else {
                return;
            };
            match run.scaling.as_mut() {
                // A consumer an autoscaler stopped leaves once its message is done.
                Some(s) if s.retire > 0 => {
                    s.retire -= 1;
                    None
                }
                _ => {
                    let next = q.backlog.pop_front();
                    if next.is_none() {
                        q.idle_consumers += 1;
                    }
                    next
                }
            }
        };
        if let Some(next) = next {
            self.waiting_changed(node, -1);
            self.start(node, CONSUMERS, next);
        }
        let class = self.requests[id as usize].class;
        self.forward(id, node, class);
    }

    /// A database server finished request `id` (or an apply): a write is applied on every
    /// other copy serving; the server takes the oldest request waiting for it (a read waiting
    /// for any copy, or what is pinned to this copy). A copy that failed meanwhile (a later
    /// `epoch`) lost the request, and the server with it.
    fn done_at_database(&mut self, node: u32, queue: u32, id: u32, epoch: u16) {
        let (shard, copy, copies) = {
            let Model::Database(db) = &self.nodes[node as usize].model else {
                return;
            };
            let copies = db.shards.first().map_or(1, |s| s.idle.len());
            (queue as usize / copies, queue as usize % copies, copies)
        };
        let lost = match &self.nodes[node as usize].model {
            Model::Database(db) => db.shards[shard].epoch[copy] != epoch,
            _ => false,
        };
        if lost {
            if id != APPLY {
                self.timed_out(node, id);
            }
            return;
        }
        if id != APPLY {
            self.record(node, id);
            if is_write(self.requests[id as usize].class as usize) {
                for replica in 0..copies {
                    let free = match &mut self.nodes[node as usize].model {
                        Model::Database(db) => {
                            let sh = &mut db.shards[shard];
                            if replica == copy || !sh.active[replica] {
                                continue;
                            }
                            if sh.idle[replica] > 0 {
                                true
                            } else {
                                sh.pinned[replica].push_back((APPLY, self.now_s));
                                false
                            }
                        }
                        _ => false,
                    };
                    if free {
                        self.start_at_database(node, shard, replica, APPLY);
                    }
                }
            }
        }
        if let Model::Database(db) = &mut self.nodes[node as usize].model {
            db.shards[shard].idle[copy] += 1;
        }
        self.next_at_database(node, shard, copy);
        if id != APPLY {
            self.back(id);
        }
    }

    /// An idle server of `copy` of `shard` takes the next request waiting for it: the older
    /// of the heads (a read for any copy, or what is pinned to this copy), skipping reads and
    /// writes that gave up waiting; it stays idle when none waits.
    fn next_at_database(&mut self, node: u32, shard: usize, copy: usize) {
        let timeout_s = match &self.nodes[node as usize].model {
            Model::Database(db) => db.timeout_s,
            _ => return,
        };
        loop {
            let next = {
                let Model::Database(db) = &mut self.nodes[node as usize].model else {
                    return;
                };
                let sh = &mut db.shards[shard];
                if sh.idle[copy] == 0 {
                    return;
                }
                let pinned = sh.pinned[copy].front().copied();
                let read = sh.reads.front().copied();
                let take_read = match (pinned, read) {
                    (Some((_, p)), Some((_, r))) => r < p,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if take_read {
                    sh.reads.pop_front()
                } else {
                    sh.pinned[copy].pop_front()
                }
            };
            let Some((next, since_s)) = next else {
                return;
            };
            if next != APPLY {
                self.waiting_changed(node, -1);
            }
            if next != APPLY && self.now_s - since_s > timeout_s {
                self.overflowed(node, next);
                continue;
            }
            self.start_at_database(node, shard, copy, next);
            return;
        }
    }

    /// After its service at a cache or a CDN a request may be answered there; otherwise it
    /// goes on down the links.
    /// `queue` is the instance's (for a cache's warmth since it last came back).
    fn answer_or_forward(&mut self, id: u32, node: u32, class: u8, queue: u32) {
        let k = class as usize;
        // A cache instance that came back after a failure warms from then on.
        let restarted_s = self.nodes[node as usize]
            .health
            .as_ref()
            .and_then(|h| h.restarted_s.get(queue as usize).copied())
            .filter(|t| t.is_finite());
        let hit_chance = match &self.nodes[node as usize].model {
            Model::Station {
                answer:
                    Answer::Cache {
                        hit_ratio,
                        warmup_s,
                        cold,
                    },
                ..
            } if k == TrafficClass::Read.index() || k == TrafficClass::Static.index() => {
                match restarted_s {
                    Some(t) => hit_ratio * super::kinds::cache::warmth(self.now_s - t, *warmup_s),
                    None if *cold => hit_ratio * super::kinds::cache::warmth(self.now_s, *warmup_s),
                    None => *hit_ratio,
                }
            }
            Model::Station {
                answer: Answer::Edge { hit_ratio },
                ..
            } if k == TrafficClass::Static.index() => *hit_ratio,
            _ => 0.0,
        };
        let looks_up = match &self.nodes[node as usize].model {
            Model::Station {
                answer: Answer::Cache { .. },
                ..
            } => k == TrafficClass::Read.index() || k == TrafficClass::Static.index(),
            Model::Station {
                answer: Answer::Edge { .. },
                ..
            } => k == TrafficClass::Static.index(),
            _ => false,
        };
        let hit = hit_chance > 0.0 && self.rng.random::<f64>() < hit_chance;
        if looks_up && self.measuring() {
            let n = &mut self.nodes[node as usize];
            n.lookups += 1;
            n.hits += u64::from(hit);
        }
        if hit {
            self.back(id);
        } else {
            self.forward(id, node, class);
        }
    }

    /// Request `id` has been served at `node` as `class`: on down its links.
    fn forward(&mut self, id: u32, node: u32, class: u8) {
        let plan = self.plan;
        let n = &plan.nodes[node as usize];
        let k = class as usize;
        if k == TrafficClass::Session.index() && n.forwarding != Forwarding::FanOut {
            self.back(id);
            return;
        }
        match n.forwarding {
            Forwarding::Terminal => self.back(id),
            Forwarding::Split | Forwarding::Balance => self.split(id, node, class),
            Forwarding::FanOut => {
                let frame = Frame {
                    class,
                    links: n.routes[k],
                    sessions: n.session_routes[k],
                    cursor: 0,
                    calling: (0, class),
                    calls_left: 0,
                };
                self.requests[id as usize].stack.push(frame);
                self.next_call(id);
            }
        }
    }

    /// Request `id` leaves `node` as `class` down one of the class's links, drawn by their
    /// weights (a split or a balancer); with none, it has nowhere to go.
    #[inline]
    fn split(&mut self, id: u32, node: u32, class: u8) {
        let plan = self.plan;
        let n = &plan.nodes[node as usize];
        let k = class as usize;
        let (a, b) = n.routes[k];
        if a == b {
            // Nowhere to go: a message queue's consumers did the work themselves;
            // anywhere else the request cannot be answered.
            if n.kind_name == KindName::MessageQueue {
                self.back(id);
            } else {
                self.nowhere_to_go(node, id);
            }
            return;
        }
        if !plan.breaker_links.is_empty() {
            self.split_past_breakers(id, node, class);
            return;
        }
        let weights = &self.weights[a as usize..b as usize];
        let sum: f64 = weights.iter().sum();
        if sum <= 0.0 {
            self.nowhere_to_go(node, id);
            return;
        }
        let mut u = self.rng.random::<f64>() * sum;
        let mut chosen = b - 1;
        for (j, w) in weights.iter().enumerate() {
            if u < *w {
                chosen = a + j as u32;
                break;
            }
            u -= w;
        }
        self.send_split(id, node, class, chosen);
    }

    /// `split` in a design with breakers: the draw is among the links whose breaker would
    /// admit a call now (the fallback); with none, the request fails here at once. Kept out
    /// of line: designs without breakers only test that they have none.
    #[cold]
    #[inline(never)]
    fn split_past_breakers(&mut self, id: u32, node: u32, class: u8) {
        let plan = self.plan;
        let (a, b) = plan.nodes[node as usize].routes[class as usize];
        let now_s = self.now_s;
        let admits = |e: u32| {
            self.retry
                .as_deref()
                .is_none_or(|rt| rt.breaker_admits(plan.routes[e as usize].breaker, now_s))
        };
        let weight = |e: u32| {
            if admits(e) {
                self.weights[e as usize]
            } else {
                0.0
            }
        };
        let all: f64 = self.weights[a as usize..b as usize].iter().sum();
        if all <= 0.0 {
            self.nowhere_to_go(node, id);
            return;
        }
        let admitted: f64 = (a..b).map(weight).sum();
        // Every link's breaker is open: the call goes down one by the weights and its breaker
        // fails it at once, not retried (counted as rejected by it, as the flow engine's
        // router holds it back).
        let all_open = admitted <= 0.0;
        let weight = |e: u32| {
            if all_open {
                self.weights[e as usize]
            } else {
                weight(e)
            }
        };
        let sum = if all_open { all } else { admitted };
        let mut u = self.rng.random::<f64>() * sum;
        let mut chosen = None;
        let mut last = b - 1;
        for e in a..b {
            let w = weight(e);
            if w > 0.0 {
                last = e;
                if u < w {
                    chosen = Some(e);
                    break;
                }
                u -= w;
            }
        }
        self.send_split(id, node, class, chosen.unwrap_or(last));
    }

    /// Request `id` leaves `node` as `class` down route entry `chosen` (drawn by `split`).
    #[inline]
    fn send_split(&mut self, id: u32, node: u32, class: u8, chosen: u32) {
        let plan = self.plan;
        let n = &plan.nodes[node as usize];
        let route = &plan.routes[chosen as usize];
        let (target, retry, breaker) = (route.target, route.retry, route.breaker);
        if matches!(n.kind, KindPlan::Client(_)) {
            let measuring = self.measuring();
            let sender = &mut self.nodes[node as usize];
            sender.totals.1 += 1;
            if measuring {
                sender.served += 1;
            }
        }
        if retry != NO_RETRY || breaker != NO_RETRY {
            self.send_attempt(id, chosen, class);
            return;
        }
        self.arrive(id, target, class);
    }

    /// Request `id` has nowhere to go from `node` and fails there: a client drops a class no
    /// link carries; anywhere else it was served and is answered with an error (a cache's
    /// miss with no store behind it, a balancer with no target in rotation), so that
    /// arrived = served + dropped holds.
    fn nowhere_to_go(&mut self, node: u32, id: u32) {
        let measuring = self.measuring();
        let n = &mut self.nodes[node as usize];
        if matches!(n.model, Model::Source) {
            n.totals.2 += 1;
            if measuring {
                n.dropped += 1;
            }
        } else if measuring {
            n.errors += 1;
        }
        self.fail(id);
    }

    /// Request `id` is back at the server innermost in its calls (or done, if none).
    fn back(&mut self, id: u32) {
        if let Some(rt) = self.retry.as_deref_mut() {
            rt.returned(
                id,
                self.requests[id as usize].stack.len(),
                self.now_s,
                self.warmup_s,
            );
        }
        if self.requests[id as usize].stack.is_empty() {
            self.complete(id);
        } else {
            self.next_call(id);
        }
    }

    /// The server innermost in request `id`'s calls makes its next call, or, with none left,
    /// hands the request back to the one before.
    fn next_call(&mut self, id: u32) {
        loop {
            let Some(top) = self.requests[id as usize].stack.last().copied() else {
                self.complete(id);
                return;
            };
            if top.calls_left > 0 {
                if let Some(frame) = self.requests[id as usize].stack.last_mut() {
                    frame.calls_left -= 1;
                }
                let (entry, class) = top.calling;
                let route = &self.plan.routes[entry as usize];
                if route.retry != NO_RETRY || route.breaker != NO_RETRY {
                    self.send_attempt(id, entry, class);
                    return;
                }
                self.arrive(id, route.target, class);
                return;
            }
            if top.cursor >= top.entries() {
                let stack = &mut self.requests[id as usize].stack;
                stack.pop();
                if let Some(rt) = self.retry.as_deref_mut() {
                    rt.returned(id, stack.len(), self.now_s, self.warmup_s);
                }
                continue;
            }
            // The next entry: its calls, the whole part and one more by the fraction's chance.
            let (entry, class) = top.entry_at(top.cursor);
            let calls = self.plan.routes[entry as usize].calls;
            let whole = calls as u32;
            let extra: f64 = self.rng.random();
            let n = whole + u32::from(extra < calls - f64::from(whole));
            if let Some(frame) = self.requests[id as usize].stack.last_mut() {
                frame.cursor += 1;
                frame.calling = (entry, class);
                frame.calls_left = n;
            }
        }
    }

    fn complete(&mut self, id: u32) {
        if self.requests[id as usize].orphan {
            self.release(id);
            return;
        }
        let measuring = self.measuring();
        let (job, client, started_s, measured) = {
            let r = &self.requests[id as usize];
            (r.job, r.client, r.started_s, r.measured)
        };
        if !job {
            self.live_changed(-1);
            let n = &mut self.nodes[client as usize];
            n.client_totals.succeeded += 1;
            if measuring {
                n.client_window.succeeded += 1;
                self.completed_in_window += 1;
                self.end_to_end.add((self.now_s - started_s) * 1000.0);
            }
        }
        if measured {
            self.succeeded += 1;
            self.live_measured -= 1;
        }
        self.requests[id as usize].live = false;
        self.free.push(id);
        // Back at depth 0, its attempts have all been answered (see `back` and `next_call`).
        debug_assert!(self.retry.as_deref().is_none_or(|rt| !rt.in_attempt(id)));
        if !job {
            self.user_step(client);
        }
    }

    /// Free the slot of request `id`, which no one counts any more (an orphan's end).
    fn release(&mut self, id: u32) {
        let r = &mut self.requests[id as usize];
        r.stack.clear();
        r.live = false;
        self.free.push(id);
        if let Some(rt) = self.retry.as_deref_mut() {
            rt.free_chain(id);
        }
    }

    /// Request `id` has failed where it is: it fails for its client, or, while it is out on
    /// an attempt down a link with a retry policy, that attempt fails (see `retries`).
    fn fail(&mut self, id: u32) {
        if self.requests[id as usize].orphan {
            self.release(id);
            return;
        }
        if let Some(rt) = self.retry.as_deref()
            && rt.in_attempt(id)
        {
            self.fail_attempt(id);
            return;
        }
        self.count_failure(id);
        self.release(id);
    }

    /// Count request `id` as failed (for its client, the window and the run) and let its
    /// user, if a closed client's, go on.
    fn count_failure(&mut self, id: u32) {
        let measuring = self.measuring();
        let (job, client) = {
            let r = &self.requests[id as usize];
            (r.job, r.client)
        };
        if !job {
            self.live_changed(-1);
            let n = &mut self.nodes[client as usize];
            n.client_totals.failed += 1;
            if measuring {
                n.client_window.failed += 1;
                self.failed_in_window += 1;
            }
        }
        if self.requests[id as usize].measured {
            self.failed += 1;
            self.live_measured -= 1;
        }
        if !job {
            self.user_step(client);
        }
    }

    /// The population closed clients should have now, by the profile.
    fn closed_target(&self, c: &ClosedRun) -> u64 {
        let m = self.plan.profile.multiplier_at(self.now_s);
        let users = (c.users * m).round();
        if users.is_finite() && users > 0.0 {
            users.min(u64::MAX as f64) as u64
        } else {
            0
        }
    }

    /// A user of closed client `node` starts thinking: it sends after an exponential time of
    /// the mean think time, drawn now from the run's stream.
    fn think(&mut self, node: u32, think_s: f64) {
        let unit: f64 = Exp1.sample(&mut self.rng);
        self.schedule(self.now_s + unit * think_s, What::Send { node });
    }

    /// A request of `client` ended (answered or failed): if the client is closed, its user
    /// thinks again, or retires while the client has more users than the profile asks for.
    fn user_step(&mut self, client: u32) {
        let Some(c) = self.nodes[client as usize].closed.as_mut() else {
            return;
        };
        if c.population > c.target {
            c.population -= 1;
            return;
        }
        let think_s = c.think_s;
        self.think(client, think_s);
    }

    /// A user of closed client `node` has done thinking: it sends its request, or retires
    /// while the client has more users than the profile asks for.
    fn user_sends(&mut self, node: u32) {
        if let Some(c) = self.nodes[node as usize].closed.as_mut()
            && c.population > c.target
        {
            c.population -= 1;
            return;
        }
        self.new_request(node);
    }

    /// A tick starts (or the run): each closed client's target population is the profile's
    /// now; users it lacks start thinking (users it has too many of retire as they come to
    /// their next step). Looks again at the next tick's start, unless the profile is flat.
    fn follow_profile(&mut self) {
        for i in 0..self.plan.clients.len() {
            let node = self.plan.clients[i];
            let Some(c) = self.nodes[node as usize].closed else {
                continue;
            };
            let target = self.closed_target(&c);
            let more = target.saturating_sub(c.population);
            if let Some(c) = self.nodes[node as usize].closed.as_mut() {
                c.target = target;
                c.population += more;
            }
            for _ in 0..more {
                self.think(node, c.think_s);
            }
        }
        self.population_checks += 1;
        if !matches!(self.plan.profile, crate::model::TrafficProfile::Constant) {
            // From the count, not by adding: no drift over a million ticks.
            let at = self.population_checks as f64 * self.plan.tick_s;
            self.schedule(at, What::Population);
        }
    }

    /// The run summarised as the flow engine summarises its own (see `sim::report`).
    /// `max_utilization` is the run's mean here (there are no ticks), the capacity is the
    /// stations' (a database's: its shards' read capacity), the backlog the time-average of
    /// the requests waiting (not in service) that are served, the requests that give up
    /// waiting left out (the flow engine drops them on arrival); a message queue's backlog
    /// is every message waiting for a consumer.
    fn summary(&self, plan: &Plan, seed: u64, duration_s: f64) -> (super::RunSummary, EventsRun) {
        use super::report::{RequestCounts, RunTotals, SATURATED_UTILIZATION, SystemReport};
        let measured_s = (duration_s - self.warmup_s).max(f64::MIN_POSITIVE);
        let events = self.report(plan, seed, duration_s);
        let mut order: Vec<usize> = (0..plan.nodes.len()).collect();
        order.sort_by_key(|&i| plan.nodes[i].id);
        let mut dropped = 0;
        let mut errors = 0;
        let components: Vec<super::ComponentReport> = order
            .into_iter()
            .map(|i| {
                let node = &plan.nodes[i];
                let run = &self.nodes[i];
                let e = &events.components[i];
                dropped += run.dropped;
                errors += run.errors;
                let capacity_per_s = match (&run.model, run.station) {
                    (Model::Database(db), _) => {
                        f64::from(db.servers_per_copy) / db.read_s.max(f64::MIN_POSITIVE)
                            * db.copies as f64
                            * db.shards.len() as f64
                    }
                    // An autoscaled group's: of its mean consumers running.
                    (Model::MessageQueue(q), _) => {
                        q.consumers.rate_per_server_s
                            * run
                                .scaling
                                .as_ref()
                                .map_or(f64::from(q.consumers.servers), |s| {
                                    s.mean_in_service(self.warmup_s, duration_s)
                                })
                    }
                    // An autoscaled tier's: of its mean instances in service.
                    (_, Some(st)) => {
                        st.capacity_per_s()
                            * run
                                .scaling
                                .as_ref()
                                .map_or(f64::from(node.instances.max(1)), |s| {
                                    s.mean_in_service(self.warmup_s, duration_s)
                                })
                    }
                    _ => 0.0,
                };
                let is_client = matches!(run.model, Model::Source);
                let client = is_client.then(|| {
                    let (t, w) = (run.client_totals, run.client_window);
                    let ended = w.succeeded + w.failed;
                    (
                        w.succeeded as f64 / measured_s,
                        if ended > 0 {
                            w.succeeded as f64 / ended as f64
                        } else {
                            1.0
                        },
                        RequestCounts {
                            offered: t.sent,
                            succeeded: t.succeeded,
                            failed: t.failed,
                            in_flight_end: t.sent - t.succeeded - t.failed,
                        },
                    )
                });
                super::ComponentReport {
                    name: node.name.clone(),
                    kind: node.kind_name.key(),
                    instances: node.instances,
                    healthy_instances: match &run.scaling {
                        Some(s) if !s.consumers => run.active.saturating_sub(
                            run.health.as_ref().map_or(0, |h| h.down_below(run.active)),
                        ),
                        _ => node
                            .instances
                            .saturating_sub(run.health.as_ref().map_or(0, |h| h.down_count())),
                    },
                    utilization: e.utilization,
                    max_utilization: e.utilization,
                    offered_utilization: if capacity_per_s > 0.0 {
                        e.arrived as f64 / measured_s / capacity_per_s
                    } else {
                        0.0
                    },
                    offered_per_s: e.arrived as f64 / measured_s,
                    served_per_s: e.throughput_per_s,
                    capacity_per_s,
                    dropped: run.dropped,
                    // Shed for want of capacity: a full message queue's drops, and requests
                    // that waited past a timeout.
                    overflow_dropped: if matches!(run.model, Model::MessageQueue(_)) {
                        run.dropped
                    } else {
                        run.overflow
                    },
                    rejected: run.rejected,
                    errors: run.errors,
                    retries: run.retries,
                    timed_out: run.timed_out,
                    breaker_open_s: self.retry.as_deref().map_or(0.0, |rt| {
                        rt.open_seconds_of(plan, i, duration_s, self.warmup_s)
                    }),
                    breaker_rejected: self.retry.as_deref().map_or(0, |rt| rt.rejected_by(i)),
                    instance_hours: match (&run.scaling, &run.model) {
                        (_, Model::Source) => 0.0,
                        (Some(s), _) if !s.consumers => s.instance_s / 3600.0,
                        _ => f64::from(node.instances) * measured_s / 3600.0,
                    },
                    autoscaling: run
                        .scaling
                        .as_ref()
                        .map(|s| s.report(self.warmup_s, duration_s)),
                    backlog: if matches!(run.model, Model::MessageQueue(_)) {
                        run.waiting_area / measured_s
                    } else {
                        run.served_wait_area / measured_s
                    },
                    latency_ms: e.latency_ms,
                    wait_ms: if run.waits > 0 {
                        run.wait_sum_s / run.waits as f64 * 1000.0
                    } else {
                        0.0
                    },
                    hit_ratio: match run.model {
                        Model::Station {
                            answer: Answer::Cache { .. } | Answer::Edge { .. },
                            ..
                        } => Some(if run.lookups > 0 {
                            run.hits as f64 / run.lookups as f64
                        } else {
                            0.0
                        }),
                        _ => None,
                    },
                    message_wait_ms: match run.model {
                        Model::MessageQueue(_) => Some(if run.message_wait.1 > 0 {
                            run.message_wait.0 / run.message_wait.1 as f64 * 1000.0
                        } else {
                            0.0
                        }),
                        _ => None,
                    },
                    bottleneck: e.utilization >= SATURATED_UTILIZATION
                        || (matches!(run.model, Model::MessageQueue(_)) && run.dropped > 0),
                    throughput_per_s: client.map(|c| c.0),
                    success_ratio: client.map(|c| c.1),
                    requests: client.map(|c| c.2),
                    spof: false,
                    totals: RunTotals {
                        arrived: run.totals.0,
                        served: run.totals.1,
                        dropped: run.totals.2,
                        backlog_start: run.waiting_at_warmup,
                        backlog_end: run.waiting,
                    },
                }
            })
            .collect();
        let all = self
            .nodes
            .iter()
            .filter(|n| matches!(n.model, Model::Source))
            .fold(ClientCounts::default(), |a, n| ClientCounts {
                sent: a.sent + n.client_totals.sent,
                succeeded: a.succeeded + n.client_totals.succeeded,
                failed: a.failed + n.client_totals.failed,
            });
        let window_sent: u64 = self.nodes.iter().map(|n| n.client_window.sent).sum();
        let ended = self.completed_in_window + self.failed_in_window;
        let tick_s = plan.tick_s;
        let summary = super::RunSummary {
            ticks: (duration_s / tick_s).round() as u64,
            tick_s,
            seed,
            load_multiplier: plan.load_multiplier,
            warmup_ticks: (self.warmup_s / tick_s).round() as u64,
            warmup_s: self.warmup_s,
            system: SystemReport {
                offered_per_s: window_sent as f64 / measured_s,
                throughput_per_s: self.completed_in_window as f64 / measured_s,
                success_ratio: if ended > 0 {
                    self.completed_in_window as f64 / ended as f64
                } else {
                    1.0
                },
                failed_per_s: self.failed_in_window as f64 / measured_s,
                in_flight_end: self.live as f64,
                in_flight_mean: self.live_area / measured_s,
                requests: RequestCounts {
                    offered: all.sent,
                    succeeded: all.succeeded,
                    failed: all.failed,
                    in_flight_end: all.sent - all.succeeded - all.failed,
                },
                dropped,
                errors,
                rejected: components.iter().map(|c| c.rejected).sum(),
                retries: components.iter().map(|c| c.retries).sum(),
                timed_out: components.iter().map(|c| c.timed_out).sum(),
                breaker_open_s: components.iter().map(|c| c.breaker_open_s).sum(),
                breaker_rejected: components.iter().map(|c| c.breaker_rejected).sum(),
                instance_hours: components.iter().map(|c| c.instance_hours).sum(),
                latency_ms: Percentiles::of(&self.end_to_end),
                sampled_requests: ended,
                failed_samples: self.failed_in_window,
            },
            components,
        };
        (summary, events)
    }

    fn report(&self, plan: &Plan, seed: u64, duration_s: f64) -> EventsRun {
        let measured_s = (duration_s - self.warmup_s).max(f64::MIN_POSITIVE);
        let components = plan
            .nodes
            .iter()
            .zip(&self.nodes)
            .map(|(node, run)| EventsComponent {
                name: node.name.clone(),
                kind: node.kind_name,
                arrived: run.arrived,
                served: run.served,
                dropped: run.dropped,
                throughput_per_s: run.served as f64 / measured_s,
                utilization: match &run.model {
                    // As the flow engine reports it: the busiest copy of the busiest shard,
                    // the one that saturates first.
                    Model::Database(db) => {
                        db.busy_s.iter().copied().fold(0.0, f64::max)
                            / (f64::from(db.servers_per_copy) * measured_s)
                    }
                    // Of the server time available: instances down have none.
                    _ if run.servers > 0 => {
                        // A message queue's servers are its consumers, which do not fail
                        // with its brokers.
                        let down_s = match run.model {
                            Model::MessageQueue(_) => 0.0,
                            _ => run.health.as_ref().map_or(0.0, |h| h.down_server_area_s),
                        };
                        // Nor have an autoscaled tier's parked instances.
                        let parked_s = run.scaling.as_ref().map_or(0.0, |s| s.parked_server_s);
                        let available_s = f64::from(run.servers) * measured_s - down_s - parked_s;
                        if available_s > 0.0 {
                            run.busy_s / available_s
                        } else {
                            0.0
                        }
                    }
                    _ => 0.0,
                }
                .min(1.0),
                latency_ms: Percentiles::of(&run.latency),
            })
            .collect();
        let ended = self.succeeded + self.failed;
        EventsRun {
            engine: "events",
            seed,
            measured_s,
            warmup_s: self.warmup_s,
            events: self.events,
            requests: self.sent,
            components,
            in_flight_per_tick: self.in_flight_per_tick.clone(),
            system: EventsSystem {
                offered: self.offered,
                succeeded: self.succeeded,
                failed: self.failed,
                in_flight_end: self.live_measured,
                throughput_per_s: self.completed_in_window as f64 / measured_s,
                success_ratio: if ended > 0 {
                    self.succeeded as f64 / ended as f64
                } else {
                    1.0
                },
                latency_ms: Percentiles::of(&self.end_to_end),
            },
        }
    }
}

/// A database's shards and copies, each copy with the USL's effective cores as whole servers
/// slowed to do exactly that work (as the flow engine's stations have them).
fn database_run(d: &super::kinds::database::DatabasePlan) -> DatabaseRun {
    let servers = d.effective_cores.ceil().clamp(1.0, 1e6) as u32;
    let slowdown = f64::from(servers) / d.effective_cores.max(f64::MIN_POSITIVE);
    let total = d.shard_share_sum.max(f64::MIN_POSITIVE);
    let mut acc = 0.0;
    let share_cumulative = d
        .shard_share
        .iter()
        .map(|s| {
            acc += s / total;
            acc
        })
        .collect();
    let copies = d.copies.max(1) as usize;
    // A standby is a copy of its own, serving nothing until it is promoted.
    let slots = copies + usize::from(d.standby);
    let mut idle = vec![servers; copies];
    idle.resize(slots, 0);
    let mut active = vec![true; copies];
    active.resize(slots, false);
    DatabaseRun {
        shards: vec![
            Shard {
                idle,
                pinned: vec![VecDeque::new(); slots],
                reads: VecDeque::new(),
                active,
                epoch: vec![0; slots],
                writer: Some(0),
                primary_down_seen: None,
            };
            d.shard_share.len().max(1)
        ],
        copies,
        share_cumulative,
        read_s: d.read_s * slowdown,
        write_s: d.write_s * slowdown,
        apply_s: d.apply_s * slowdown,
        scv: d.service_scv,
        timeout_s: d.timeout_s,
        busy_s: vec![0.0; slots * d.shard_share.len().max(1)],
        given_s: vec![0.0; slots * d.shard_share.len().max(1)],
        servers_per_copy: servers,
    }
}
