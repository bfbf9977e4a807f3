//! Databases: per shard, reads spread over the primary and its read replicas (one pooled
//! queue: the driver sends each read to a copy with room), writes land on the primary and are
//! replayed on every replica. A replica's work is therefore (reads/n)·S_read + writes·S_apply,
//! so read capacity grows sublinearly with n and writes do not scale. Shards split the data
//! by key; under range partitioning a skewed key popularity makes a hot shard that sets the
//! capacity. When the primary dies, writes fail until a replica or standby is promoted.

use crate::model::{DatabaseParams, Partitioning, TrafficClass};
use crate::sim::flow::{self, Counts};
use crate::sim::plan::{NodePlan, Station, effective_cores};
use crate::sim::queueing::{ResponseTime, gg_c_wait};
use crate::sim::state::{KindState, NodeState};

use super::TickCtx;

/// A database's compiled parameters.
#[derive(Clone, Debug)]
pub(crate) struct DatabasePlan {
    /// Work one instance does per second, in core-seconds (the USL's effective cores).
    pub effective_cores: f64,
    pub read_s: f64,
    pub write_s: f64,
    pub apply_s: f64,
    pub service_scv: f64,
    /// Copies per shard serving reads: primary + replicas.
    pub copies: u32,
    pub standby: bool,
    /// Share of the traffic each shard gets.
    pub shard_share: Vec<f64>,
    pub failover_s: f64,
    pub timeout_s: f64,
}

impl DatabasePlan {
    /// Instances in all: shards × (copies + standby).
    pub fn total_instances(&self) -> u32 {
        self.shard_share.len() as u32 * (self.copies + u32::from(self.standby))
    }
}

/// Share of keys' traffic per shard: Zipf over shard ranks under range partitioning
/// (popularity ∝ 1/rank^skew), even under hashing.
pub(crate) fn shard_shares(shards: u32, partitioning: Partitioning, key_skew: f64) -> Vec<f64> {
    let n = shards.max(1) as usize;
    let weights: Vec<f64> = match partitioning {
        Partitioning::Hash => vec![1.0; n],
        Partitioning::Range => (1..=n).map(|i| (i as f64).powf(-key_skew)).collect(),
    };
    let sum: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / sum).collect()
}

pub(crate) fn plan(p: &DatabaseParams, vcpu: u32) -> DatabasePlan {
    DatabasePlan {
        effective_cores: effective_cores(vcpu, p.contention, p.coherency),
        read_s: p.read_service_time_ms / 1000.0,
        write_s: p.write_service_time_ms / 1000.0,
        apply_s: p.replica_apply_ms / 1000.0,
        service_scv: p.service_scv,
        copies: p.instances,
        standby: p.standby,
        shard_share: shard_shares(p.shards, p.partitioning, p.key_skew),
        failover_s: p.failover_s,
        timeout_s: p.timeout_ms / 1000.0,
    }
}

/// One shard's health and queues.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShardState {
    /// Read-serving copies that are down (the primary counts while it is down).
    pub copies_down: u32,
    pub standby_down: bool,
    /// Since when the primary has been down, until a copy is promoted or it comes back.
    pub primary_down_since: Option<f64>,
    /// A standby has been promoted and now serves as a copy.
    pub standby_promoted: bool,
    pub backlog: Counts,
    pub read_carry: f64,
    pub write_carry: f64,
    /// Utilization of the shard this tick, and its expected value.
    pub utilization: f64,
    pub offered_utilization: f64,
    pub read_rate_per_s: f64,
    pub write_rate_per_s: f64,
}

/// The state of all shards.
#[derive(Clone, Debug, Default)]
pub(crate) struct DatabaseState {
    pub shards: Vec<ShardState>,
    /// Per class, the carried remainders of the split over shards.
    pub split_carry: [Vec<f64>; 5],
    /// Scratch: this tick's arrivals per shard, and one class's split.
    per_shard: Vec<Counts>,
    parts: Vec<u64>,
}

impl DatabaseState {
    pub fn new(plan: &DatabasePlan) -> Self {
        let n = plan.shard_share.len();
        Self {
            shards: vec![ShardState::default(); n],
            split_carry: std::array::from_fn(|_| vec![0.0; n]),
            per_shard: vec![[0; 5]; n],
            parts: vec![0; n],
        }
    }
}

fn is_write(k: usize) -> bool {
    k == TrafficClass::Write.index() || k == TrafficClass::Async.index()
}

impl ShardState {
    /// Copies serving reads now.
    fn serving_copies(&self, plan: &DatabasePlan) -> u32 {
        plan.copies.saturating_sub(self.copies_down) + u32::from(self.standby_promoted)
    }

    /// Whether writes can be taken: the primary is up, or a copy has been promoted.
    fn writable(&self, plan: &DatabasePlan, now_s: f64) -> bool {
        match self.primary_down_since {
            None => true,
            Some(since) => {
                let spare = self.serving_copies(plan) > 0 || (plan.standby && !self.standby_down);
                spare && now_s - since >= plan.failover_s
            }
        }
    }
}

/// Fail `k` instances (`u32::MAX`: all of them, every shard). A partial failure hits the first
/// (hottest) shard: its primary first, then replicas, then the standby.
pub(crate) fn fail(plan: &DatabasePlan, st: &mut NodeState, k: u32, now_s: f64) -> u32 {
    let KindState::Database(db) = &mut st.kind else {
        return 0;
    };
    let mut failed = 0;
    let shards: Vec<usize> = if k == u32::MAX {
        (0..db.shards.len()).collect()
    } else {
        vec![0]
    };
    for j in shards {
        let shard = &mut db.shards[j];
        let mut left = if k == u32::MAX { u32::MAX } else { k - failed };
        while left > 0 {
            if shard.primary_down_since.is_none() && shard.copies_down < plan.copies {
                shard.primary_down_since = Some(now_s);
                shard.copies_down += 1;
            } else if shard.copies_down < plan.copies {
                shard.copies_down += 1;
            } else if shard.standby_promoted {
                shard.standby_promoted = false;
                shard.standby_down = true;
            } else if plan.standby && !shard.standby_down {
                shard.standby_down = true;
            } else {
                break;
            }
            failed += 1;
            left = left.saturating_sub(1);
        }
    }
    failed
}

/// Repair `k` instances (`u32::MAX`: all). A repaired primary rejoins as a copy.
pub(crate) fn recover(plan: &DatabasePlan, st: &mut NodeState, k: u32) -> u32 {
    let KindState::Database(db) = &mut st.kind else {
        return 0;
    };
    let mut repaired = 0;
    for shard in &mut db.shards {
        let before = repaired;
        while repaired < k && (shard.copies_down > 0 || shard.standby_down) {
            if shard.copies_down > 0 {
                shard.copies_down -= 1;
            } else {
                shard.standby_down = false;
            }
            repaired += 1;
        }
        if repaired > before && shard.copies_down < plan.copies {
            // With a copy back, the shard has a primary again (the old one or a promoted one).
            shard.primary_down_since = None;
        }
        if shard.standby_promoted && shard.copies_down == 0 {
            shard.standby_promoted = false;
        }
        if repaired >= k {
            break;
        }
    }
    repaired
}

/// Work of the busiest copy of a shard when reads go where there is room (least loaded): the
/// primary carries `primary_work` (its writes), each replica `replica_work` (replaying them),
/// and reads fill the copies up to a common level — unless the primary's writes alone sit
/// above that level, in which case the reads go to the replicas and the primary is busiest.
/// In work-seconds per unit of time; with one copy it is simply writes plus reads.
pub(crate) fn hottest_copy_utilization(
    copies: u32,
    primary_work: f64,
    replica_work: f64,
    read_work: f64,
) -> f64 {
    let c = f64::from(copies.max(1));
    let level = (primary_work + (c - 1.0) * replica_work + read_work) / c;
    level
        .max(primary_work)
        .max(if copies > 1 { replica_work } else { 0.0 })
}

/// Instances down in all shards.
pub(crate) fn down_count(st: &NodeState) -> u32 {
    let KindState::Database(db) = &st.kind else {
        return 0;
    };
    db.shards
        .iter()
        .map(|s| s.copies_down + u32::from(s.standby_down))
        .sum()
}

pub(crate) fn step(plan: &DatabasePlan, node: &NodePlan, st: &mut NodeState, ctx: &TickCtx) {
    let dt = ctx.tick_s;
    let now = ctx.now_s;
    let down = down_count(st);
    st.tick.healthy_instances = node.instances.saturating_sub(down);
    let arrivals = st.tick.arrived;
    let rates = st.tick.rate_in_per_s;
    let KindState::Database(db) = &mut st.kind else {
        return;
    };
    let shards = plan.shard_share.len();
    // Split each class over shards by key share.
    let per_shard = &mut db.per_shard;
    per_shard.iter_mut().for_each(|c| *c = [0; 5]);
    for k in 0..5 {
        if arrivals[k] == 0 {
            continue;
        }
        if shards == 1 {
            per_shard[0][k] = arrivals[k];
            continue;
        }
        flow::split_weighted(
            arrivals[k],
            &plan.shard_share,
            &mut db.split_carry[k],
            &mut db.parts,
        );
        for j in 0..shards {
            per_shard[j][k] = db.parts[j];
        }
    }
    let budget = plan.effective_cores * dt;
    let mut capacity_per_s = 0.0;
    let mut hottest: f64 = 0.0;
    let mut hottest_offered: f64 = 0.0;
    let mut backlog_total = 0u64;
    let mut node_backlog = [0u64; 5];
    let read_rate: f64 = (0..5).filter(|k| !is_write(*k)).map(|k| rates[k]).sum();
    let write_rate: f64 = (0..5).filter(|k| is_write(*k)).map(|k| rates[k]).sum();
    for j in 0..shards {
        let shard = &mut db.shards[j];
        // After the failover time, a live standby takes over as primary.
        if let Some(since) = shard.primary_down_since
            && plan.standby
            && !shard.standby_down
            && !shard.standby_promoted
            && now - since >= plan.failover_s
        {
            shard.standby_promoted = true;
        }
        let copies = shard.serving_copies(plan);
        let writable = shard.writable(plan, now);
        let primary_up = shard.primary_down_since.is_none() || writable;
        let mut available = shard.backlog;
        for k in 0..5 {
            available[k] += db.per_shard[j][k];
        }
        let reads_available: Counts =
            std::array::from_fn(|k| if is_write(k) { 0 } else { available[k] });
        let writes_available: Counts =
            std::array::from_fn(|k| if is_write(k) { available[k] } else { 0 });
        // Writes first on the primary; replicas replay what the primary wrote.
        let write_capacity_per_s = if writable && primary_up {
            plan.effective_cores / plan.write_s
        } else {
            0.0
        };
        let write_cap = flow::whole(write_capacity_per_s * dt, &mut shard.write_carry);
        let writes_total = flow::total(&writes_available).min(write_cap);
        let writes_served = flow::split_proportional(writes_total, &writes_available);
        let w = writes_total as f64;
        let primary_left = if primary_up && copies > 0 {
            (budget - w * plan.write_s).max(0.0)
        } else {
            0.0
        };
        let replicas = copies.saturating_sub(u32::from(primary_up && copies > 0));
        let replica_left = (budget - w * plan.apply_s).max(0.0);
        let read_budget = primary_left + f64::from(replicas) * replica_left;
        let read_cap = flow::whole(read_budget / plan.read_s, &mut shard.read_carry);
        let reads_total = flow::total(&reads_available).min(read_cap);
        let reads_served = flow::split_proportional(reads_total, &reads_available);
        // Work done and the shard's utilization.
        let writing = primary_up && copies > 0;
        shard.utilization = if copies == 0 {
            if flow::total(&available) > 0 {
                1.0
            } else {
                0.0
            }
        } else {
            hottest_copy_utilization(
                copies,
                if writing { w * plan.write_s } else { 0.0 },
                w * plan.apply_s,
                reads_total as f64 * plan.read_s,
            ) / budget
        }
        .min(1.0);
        // Expected load at this tick's intensity.
        let share = plan.shard_share[j];
        shard.read_rate_per_s = read_rate * share;
        shard.write_rate_per_s = write_rate * share;
        shard.offered_utilization = if copies == 0 {
            if shard.read_rate_per_s + shard.write_rate_per_s > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        } else {
            hottest_copy_utilization(
                copies,
                shard.write_rate_per_s * plan.write_s,
                shard.write_rate_per_s * plan.apply_s,
                shard.read_rate_per_s * plan.read_s,
            ) / plan.effective_cores
        };
        // What is left waits up to the timeout's worth of capacity; the rest is dropped.
        let read_capacity_per_s = read_budget / plan.read_s / dt;
        let mut left = available;
        for k in 0..5 {
            left[k] -= reads_served[k] + writes_served[k];
        }
        let read_left: Counts = std::array::from_fn(|k| if is_write(k) { 0 } else { left[k] });
        let write_left: Counts = std::array::from_fn(|k| if is_write(k) { left[k] } else { 0 });
        let read_limit = (read_capacity_per_s * plan.timeout_s).max(0.0) as u64;
        let write_limit = (write_capacity_per_s * plan.timeout_s).max(0.0) as u64;
        let read_drop = flow::split_proportional(
            flow::total(&read_left).saturating_sub(read_limit),
            &read_left,
        );
        let write_drop = flow::split_proportional(
            flow::total(&write_left).saturating_sub(write_limit),
            &write_left,
        );
        // Shed for want of capacity (not for want of a live copy) is overflow.
        if read_capacity_per_s > 0.0 {
            st.tick.overflow_dropped += flow::total(&read_drop);
        }
        if write_capacity_per_s > 0.0 {
            st.tick.overflow_dropped += flow::total(&write_drop);
        }
        for k in 0..5 {
            let dropped = read_drop[k] + write_drop[k];
            left[k] -= dropped;
            st.tick.dropped[k] += dropped;
            st.tick.served[k] += reads_served[k] + writes_served[k];
            node_backlog[k] += left[k];
        }
        shard.backlog = left;
        backlog_total += flow::total(&left);
        // Capacity at the current mix, in requests per second.
        let mix_work = if read_rate + write_rate > 0.0 {
            (read_rate * plan.read_s
                + write_rate * (plan.write_s + f64::from(copies.saturating_sub(1)) * plan.apply_s))
                / (read_rate + write_rate)
        } else {
            plan.read_s
        };
        capacity_per_s += f64::from(copies) * plan.effective_cores / mix_work;
        hottest = hottest.max(shard.utilization);
        hottest_offered = hottest_offered.max(shard.offered_utilization);
    }
    st.backlog = node_backlog;
    st.tick.backlog = backlog_total;
    st.tick.capacity_per_s = capacity_per_s;
    st.tick.utilization = hottest;
    st.tick.offered_utilization = hottest_offered;
}

/// The response time of a read or a write on shard `j` this tick: pooled copies for reads, the
/// primary for writes, each at the shard's utilization, plus the delay of its backlog.
pub(crate) fn response(plan: &DatabasePlan, st: &NodeState, j: usize, write: bool) -> ResponseTime {
    let KindState::Database(db) = &st.kind else {
        return ResponseTime::default();
    };
    let Some(shard) = db.shards.get(j) else {
        return ResponseTime::default();
    };
    let copies = shard.serving_copies(plan).max(1);
    let service_s = if write { plan.write_s } else { plan.read_s };
    let instance = Station::from_effective_cores(
        plan.effective_cores,
        service_s,
        plan.service_scv,
        plan.timeout_s,
    );
    // Writes queue at the primary; reads pool over every copy.
    let servers = if write {
        instance.servers
    } else {
        copies * instance.servers
    };
    let rate_per_server = instance.rate_per_server_s;
    let rho = shard.offered_utilization.min(1.0);
    let equivalent_rate = rho * f64::from(servers) * rate_per_server;
    let wait = gg_c_wait(
        servers,
        rate_per_server,
        equivalent_rate,
        1.0,
        plan.service_scv,
    );
    let capacity = f64::from(servers) * rate_per_server;
    let lq = equivalent_rate * wait.mean_s();
    let waiting: u64 = (0..5)
        .filter(|k| is_write(*k) == write)
        .map(|k| shard.backlog[k])
        .sum();
    ResponseTime {
        service_mean_s: 1.0 / rate_per_server,
        service_scv: plan.service_scv,
        wait,
        backlog_delay_s: (waiting as f64 - lq).max(0.0) / capacity,
    }
}

/// A station that stands for one copy (for the capacity a balancer would see).
pub(crate) fn instance_capacity_per_s(plan: &DatabasePlan) -> f64 {
    Station::from_effective_cores(
        plan.effective_cores,
        plan.read_s,
        plan.service_scv,
        plan.timeout_s,
    )
    .capacity_per_s()
}
