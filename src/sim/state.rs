//! The dynamic state of a run: per node, what is queued, who is down, what happened this tick,
//! and the sums the run summary is built from.

use std::collections::VecDeque;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::flow::{Counts, Rates};

/// What a node did in the current tick.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NodeTick {
    /// Requests that arrived this tick, by class.
    pub arrived: Counts,
    /// Requests served this tick, by class (including ones served with an error).
    pub served: Counts,
    /// Requests dropped this tick, by class: overflow, timeouts, dead instances, no route.
    pub dropped: Counts,
    /// Of the dropped requests, those shed because the node was over capacity (its queue
    /// overflowed or they would have waited past the timeout).
    pub overflow_dropped: u64,
    /// Requests a rate limiter turned away (also in `dropped`, not in `overflow_dropped`).
    pub rejected: u64,
    /// Requests served with an error this tick (lost sessions), by class.
    pub errors: Counts,
    /// Requests passed on downstream this tick, by class.
    pub forwarded: Counts,
    /// Requests waiting at the end of the tick.
    pub backlog: u64,
    /// Expected arrival rate into the node's servers this tick, by class, per second (the
    /// intensity the queueing formulas use, free of the tick's Poisson noise).
    pub rate_in_per_s: Rates,
    /// What the node could serve this tick, per second.
    pub capacity_per_s: f64,
    /// Busy share of the node's capacity this tick, 0..1 (the hottest shard for databases):
    /// the work completed, spread over the ticks its service took (a request that takes
    /// 10 ms keeps a server busy through ten 1 ms ticks).
    pub utilization: f64,
    /// Busy share of the node's capacity this tick for the run's means: the work completed
    /// (completions × service time ÷ servers × tick length, the utilization law's X·S), with
    /// what exceeds a tick carried whole into the next ones, so that its mean over a run is
    /// the run's utilization at any tick length and never above 1 (see `set_busy`).
    pub busy: f64,
    /// Utilization the expected arrival rate implies (may exceed 1 under overload).
    pub offered_utilization: f64,
    /// Hit ratio of a cache or CDN this tick.
    pub hit_ratio: Option<f64>,
    /// Instances up.
    pub healthy_instances: u32,
    /// Instances the balancers in front still send to although they are down.
    pub routed_dead_instances: u32,
}

impl NodeTick {
    /// Requests that arrived this tick, all classes.
    pub fn arrived_total(&self) -> u64 {
        self.arrived.iter().sum()
    }
    /// Requests served this tick, all classes.
    pub fn served_total(&self) -> u64 {
        self.served.iter().sum()
    }
    /// Requests dropped this tick, all classes.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
    /// Requests that failed with an error this tick, all classes.
    pub fn errors_total(&self) -> u64 {
        self.errors.iter().sum()
    }
}

impl NodeTick {
    /// A view of a node's tick from its channels and scalars.
    pub(crate) fn from_parts(channels: &[Channel], scalars: &NodeScalars) -> Self {
        let mut tick = NodeTick {
            backlog: scalars.backlog,
            overflow_dropped: scalars.overflow_dropped,
            rejected: scalars.rejected,
            capacity_per_s: scalars.capacity_per_s,
            utilization: scalars.utilization,
            busy: scalars.busy,
            offered_utilization: scalars.offered_utilization,
            hit_ratio: scalars.hit_ratio,
            healthy_instances: scalars.healthy_instances,
            routed_dead_instances: scalars.routed_dead_instances,
            ..NodeTick::default()
        };
        for c in channels {
            let k = c.class as usize;
            tick.arrived[k] = c.arrived;
            tick.served[k] = c.served;
            tick.dropped[k] = c.dropped;
            tick.errors[k] = c.errors;
            tick.forwarded[k] = c.forwarded;
            tick.rate_in_per_s[k] = c.rate_in;
        }
        tick
    }
}

/// One traffic class at one node: what arrived, what became of it, and what goes on.
/// A node has a channel for each class that can reach it, and no others, so that a tick's
/// work is proportional to the classes actually in play.
///
/// The layout is fixed, and no two of the counts summed into the run's sums after a kind's
/// step (arrived, served, dropped, errors) sit side by side. Side by side, the compiler read
/// two of them with one 16-byte load, just after the kind had written them with two 8-byte
/// stores: a load that spans two stores cannot be forwarded from them and waits until both
/// reach the cache. perf's time samples put about 8 % of the 10,000-component benchmark on
/// those loads; with this layout the sums take five more instructions per component-tick
/// and the benchmark runs about a fifth faster.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub(crate) struct Channel {
    /// Requests that arrived this tick.
    pub arrived: u64,
    /// Expected arrival rate this tick, per second.
    pub rate_in: f64,
    /// Served this tick (including ones served with an error, and a cache's bypass).
    pub served: u64,
    /// Expected rate passed on, per second.
    pub fwd_rate: f64,
    /// Expected rate handed to this channel this tick, per second, before the node's kind
    /// adjusts it (for instances that are down): what its senders' shares are shares of.
    pub arrival_rate: f64,
    /// Dropped this tick: overflow, timeouts, dead instances, no route.
    pub dropped: u64,
    /// Carried remainder of this class's share (a client's mix, a cache's hits).
    pub carry: f64,
    /// Served with an error this tick (lost sessions, misses with no store behind).
    pub errors: u64,
    /// Passed on downstream this tick.
    pub forwarded: u64,
    /// Waiting at the end of the tick.
    pub backlog: u64,
    /// Requests handed to this channel since its node last stepped, and their expected rate:
    /// taken as the next step's arrivals.
    pub incoming: u64,
    pub incoming_rate: f64,
    /// The traffic class, as an index into [`crate::model::TrafficClass::ALL`].
    pub class: u8,
}

impl Channel {
    /// Hand `count` requests at expected rate `rate_per_s` to this channel.
    #[inline]
    pub fn hand_over(&mut self, count: u64, rate_per_s: f64) {
        self.incoming += count;
        self.incoming_rate += rate_per_s;
    }
}

/// What a node as a whole did in the current tick.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct NodeScalars {
    pub backlog: u64,
    pub overflow_dropped: u64,
    /// Requests a rate limiter turned away (also in `dropped`, not in `overflow_dropped`).
    pub rejected: u64,
    pub capacity_per_s: f64,
    pub utilization: f64,
    pub busy: f64,
    pub offered_utilization: f64,
    pub hit_ratio: Option<f64>,
    pub healthy_instances: u32,
    pub routed_dead_instances: u32,
}

/// Sums over ticks: kept from the start of the run, with a copy taken when the warm-up ends,
/// so that one addition per tick serves both the run's totals and the measured means.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Measured {
    pub arrived: u64,
    pub served: u64,
    pub dropped: u64,
    pub errors: u64,
    pub utilization_sum: f64,
    pub offered_utilization_sum: f64,
    pub backlog_sum: f64,
    pub capacity_sum: f64,
    pub overflow_dropped: u64,
    /// Requests a rate limiter turned away (also in `dropped`, not in `overflow_dropped`).
    pub rejected: u64,
    /// Retries the node sent down its links.
    pub retries: u64,
    /// Attempts down its links the node stopped waiting for (their timeout passed).
    pub timed_out: u64,
    /// Seconds its links' circuit breakers were open, summed over its links.
    pub breaker_open_s: f64,
    /// Calls down its links that open breakers failed at once.
    pub breaker_rejected: u64,
    /// Instance-seconds an autoscaled tier ran (in service and booting; 0 for others).
    pub instance_s: f64,
    /// Highest utilization since the warm-up ended (since the start during the warm-up).
    pub max_utilization: f64,
}

impl Measured {
    /// The sums since `start` was copied (`max_utilization` is kept as is).
    pub fn since(&self, start: &Measured) -> Measured {
        Measured {
            arrived: self.arrived - start.arrived,
            served: self.served - start.served,
            dropped: self.dropped - start.dropped,
            errors: self.errors - start.errors,
            utilization_sum: self.utilization_sum - start.utilization_sum,
            offered_utilization_sum: self.offered_utilization_sum - start.offered_utilization_sum,
            backlog_sum: self.backlog_sum - start.backlog_sum,
            capacity_sum: self.capacity_sum - start.capacity_sum,
            overflow_dropped: self.overflow_dropped - start.overflow_dropped,
            rejected: self.rejected - start.rejected,
            retries: self.retries - start.retries,
            timed_out: self.timed_out - start.timed_out,
            breaker_open_s: self.breaker_open_s - start.breaker_open_s,
            breaker_rejected: self.breaker_rejected - start.breaker_rejected,
            instance_s: self.instance_s - start.instance_s,
            max_utilization: self.max_utilization,
        }
    }
}

/// Per-kind dynamic state.
#[derive(Clone, Debug)]
pub(crate) enum KindState {
    /// Boxed, like the database's, so that the common kinds' state stays small (a tick
    /// touches every node's state, and the fewer cache lines the better).
    Client(Box<ClientState>),
    Server {
        /// Users pinned to a failed instance lose their session; their next requests fail
        /// until this time.
        session_loss_until_s: f64,
        session_loss_share: f64,
    },
    Cache {
        /// When each instance last (re)started; a cold instance warms from then on.
        started_at_s: Vec<f64>,
    },
    Database(Box<super::kinds::database::DatabaseState>),
    MessageQueue {
        accept_carry: f64,
        drain_carry: f64,
        /// Of the plan's consumers, those an autoscaler does not run.
        parked_consumers: u32,
    },
    Stateless,
}

/// A client's random stream and what it carries between ticks.
#[derive(Clone, Debug)]
pub(crate) struct ClientState {
    pub rng: Xoshiro256PlusPlus,
    /// Carry of a constant arrival stream.
    pub arrival_carry: f64,
    /// The Poisson distribution of the last tick's mean, kept while the mean holds.
    pub poisson: Option<(f64, rand_distr::Poisson<f64>)>,
    /// A closed workload's users waiting for an answer (a fluid share of the population).
    pub closed_in_system: f64,
    /// A closed workload's mean response time at the last tick, in seconds: what its users
    /// wait between a request and its answer (see `Simulation::closed_response_s`).
    pub closed_response_s: f64,
    /// A closed workload's requests still waiting somewhere at the end of the last tick (its
    /// account's in flight): their users cannot send.
    pub closed_waiting: f64,
}

/// The state of one node (its classes live in its channels).
#[derive(Clone, Debug)]
pub(crate) struct NodeState {
    pub capacity_carry: f64,
    /// Requests piled up by overload in the fluid model the waiting times use (see
    /// `latency`): zero while the queue is stable.
    pub fluid_backlog: f64,
    /// What the fluid backlog delays a new arrival: the backlog over the capacity that works
    /// it off (for a sticky tier, the hottest instance's).
    pub fluid_delay_s: f64,
    /// Work completed in earlier ticks that still keeps servers busy (in ticks' worth of the
    /// node's capacity), for the tick-by-tick utilization.
    pub busy_carry: f64,
    /// Work completed that the ticks so far could not hold (in ticks' worth of the node's
    /// capacity): all of it, for the run's busy time (see `set_busy`).
    pub work_carry: f64,
    /// A rate limiter's bucket: the tokens it lacks to be full.
    pub token_deficit: f64,
    /// Seed of the node's completions stream (see `completions`).
    pub service_seed: u64,
    pub doom_carry: f64,
    pub error_carry: f64,
    /// Instances that are down, by when they went down.
    pub down_since: DownList,
    /// Of the plan's instances, those an autoscaler does not run (not in service: booting
    /// or stopped); the rest are the instances in service, failed ones among them.
    pub parked: u32,
    pub tick: NodeScalars,
    pub kind: KindState,
    /// Sums since the start of the run (the copy taken when the warm-up ends lives with the
    /// simulation: it is not touched tick by tick).
    pub sums: Measured,
}

impl NodeState {
    pub fn new(kind: KindState, service_seed: u64) -> Self {
        Self {
            capacity_carry: 0.0,
            fluid_backlog: 0.0,
            fluid_delay_s: 0.0,
            busy_carry: 0.0,
            work_carry: 0.0,
            token_deficit: 0.0,
            service_seed,
            doom_carry: 0.0,
            error_carry: 0.0,
            down_since: DownList::default(),
            parked: 0,
            tick: NodeScalars::default(),
            kind,
            sums: Measured::default(),
        }
    }

    /// Instances down that a balancer with detection delay `delay_s` has noticed by `now_s`.
    /// Instances in service (failed ones among them): the plan's less those parked.
    #[inline]
    pub fn running(&self, node: &super::plan::NodePlan) -> u32 {
        node.instances.saturating_sub(self.parked)
    }

    pub fn noticed_down(&self, now_s: f64, delay_s: f64) -> u32 {
        self.down_since.noticed(now_s, delay_s)
    }
}

/// The instances of a node that are down, by when they went down, oldest first, in runs of
/// (time, how many): ten million machines failing at one time are one entry, and work on
/// the list grows with the times, not the machines.
#[derive(Clone, Debug, Default)]
pub struct DownList {
    runs: VecDeque<(f64, u32)>,
    count: u32,
}

impl DownList {
    /// Instances down.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// Whether no instance is down.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `n` more instances down since `since_s`, kept in time order.
    pub fn push(&mut self, since_s: f64, n: u32) {
        if n == 0 {
            return;
        }
        self.count = self.count.saturating_add(n);
        match self.runs.back_mut() {
            Some((t, k)) if *t == since_s => *k = k.saturating_add(n),
            Some((t, _)) if *t > since_s => {
                // Earlier than the newest (a failure inside a tick after one at its start).
                let at = self.runs.partition_point(|(t, _)| *t <= since_s);
                self.runs.insert(at, (since_s, n));
            }
            _ => self.runs.push_back((since_s, n)),
        }
    }

    /// Bring back up to `n` instances, the longest down first; how many came back.
    pub fn pop_oldest(&mut self, n: u32) -> u32 {
        let mut left = n;
        while left > 0 {
            let Some((_, k)) = self.runs.front_mut() else {
                break;
            };
            let take = (*k).min(left);
            *k -= take;
            left -= take;
            if *k == 0 {
                self.runs.pop_front();
            }
        }
        let popped = n - left;
        self.count -= popped;
        popped
    }

    /// Instances down for at least `delay_s` at `now_s` (what a balancer has noticed).
    /// Counted back from the newest, which are the few within the delay.
    pub fn noticed(&self, now_s: f64, delay_s: f64) -> u32 {
        if !delay_s.is_finite() || self.count == 0 {
            return 0;
        }
        let recent: u32 = self
            .runs
            .iter()
            .rev()
            .take_while(|(t, _)| now_s - *t < delay_s - 1e-9)
            .map(|(_, k)| *k)
            .sum();
        self.count - recent
    }
}

/// A portable stream seed: SplitMix64 over the run seed and an FNV-1a hash of the stream's
/// name. Streams are named after components, so two variants of a design that share a client
/// name see exactly the same arrivals (common random numbers).
pub fn stream_seed(seed: u64, stream: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in stream.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = seed ^ hash.rotate_left(17);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seeded, portable random stream.
pub fn stream(seed: u64, name: &str) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, name))
}
