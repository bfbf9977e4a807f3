//! Databases: per shard, reads spread over the primary and its read replicas (one pooled
//! queue: the driver sends each read to a copy with room), writes land on the primary and are
//! replayed on every replica. A replica's work is therefore (reads/n)·S_read + writes·S_apply,
//! so read capacity grows sublinearly with n and writes do not scale. Shards split the data
//! by key, each taking its keys' share of the traffic under a Zipf key popularity (see
//! `model::sharding`): the hottest shard sets the capacity. When the primary dies, writes fail
//! until a replica or standby is promoted.

use crate::model::sharding::shard_shares;
use crate::model::{DatabaseParams, TrafficClass};
use crate::sim::completions::completions;
use crate::sim::flow;
use crate::sim::latency::fluid_step;
use crate::sim::plan::{NodePlan, Station, effective_cores};
use crate::sim::queueing::{ResponseTime, gg_c_wait, mixture_service};
use crate::sim::state::{Channel, KindState, NodeState};

use super::{TickCtx, set_busy};

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
    /// Their sum (near 1, as rounding leaves it), for splitting requests over the shards.
    pub shard_share_sum: f64,
    pub failover_s: f64,
    pub timeout_s: f64,
}

impl DatabasePlan {
    /// Instances in all: shards × (copies + standby).
    pub fn total_instances(&self) -> u32 {
        self.shard_share.len() as u32 * (self.copies + u32::from(self.standby))
    }
}

/// Whether requests of class `k` write (writes and async jobs go to the primary).
#[inline]
pub(crate) fn is_write(k: usize) -> bool {
    k == TrafficClass::Write.index() || k == TrafficClass::Async.index()
}

pub(crate) fn plan(p: &DatabaseParams, vcpu: u32) -> DatabasePlan {
    let shard_share = shard_shares(p.keys, p.shards, p.partitioning, p.key_skew);
    DatabasePlan {
        effective_cores: effective_cores(vcpu, p.contention, p.coherency),
        read_s: p.read_service_time_ms / 1000.0,
        write_s: p.write_service_time_ms / 1000.0,
        apply_s: p.replica_apply_ms / 1000.0,
        service_scv: p.service_scv,
        copies: p.instances,
        standby: p.standby,
        shard_share_sum: shard_share.iter().sum(),
        shard_share,
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
    /// Reads and writes waiting at the end of the tick.
    pub reads_waiting: u64,
    pub writes_waiting: u64,
    pub read_carry: f64,
    pub write_carry: f64,
    /// Carried remainders of this shard's part of the tick's reads and writes.
    pub reads_part_carry: f64,
    pub writes_part_carry: f64,
    /// Utilization of the shard this tick, and its expected value.
    pub utilization: f64,
    pub offered_utilization: f64,
    pub read_rate_per_s: f64,
    pub write_rate_per_s: f64,
    /// Reads and writes piled up by overload in the fluid model the waiting times use.
    pub reads_fluid: f64,
    pub writes_fluid: f64,
    /// What the shard can read and write a second now (for the fluid backlogs' delay).
    pub read_capacity_per_s: f64,
    pub write_capacity_per_s: f64,
    /// Core-seconds of writes (on the primary) and of their replays (on each replica) still
    /// owed: a write longer than a tick takes its work from the reads of the ticks after.
    pub primary_owed_s: f64,
    pub replica_owed_s: f64,
}

/// The state of all shards.
#[derive(Clone, Debug, Default)]
pub(crate) struct DatabaseState {
    pub shards: Vec<ShardState>,
}

impl DatabaseState {
    pub fn new(plan: &DatabasePlan) -> Self {
        Self {
            shards: vec![ShardState::default(); plan.shard_share.len()],
        }
    }
}

impl ShardState {
    /// Copies serving reads now.
    pub(crate) fn serving_copies(&self, plan: &DatabasePlan) -> u32 {
        plan.copies.saturating_sub(self.copies_down) + u32::from(self.standby_promoted)
    }

    /// Whether writes can be taken: the primary is up, or a copy has been promoted.
    pub(crate) fn writable(&self, plan: &DatabasePlan, now_s: f64) -> bool {
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
    if k == u32::MAX {
        db.shards
            .iter_mut()
            .map(|shard| fail_in(plan, shard, u32::MAX, now_s))
            .sum()
    } else {
        db.shards
            .first_mut()
            .map_or(0, |shard| fail_in(plan, shard, k, now_s))
    }
}

/// Fail `k` machines of shard `j` picked at random among those up (random failures): the
/// primary is among them with probability k / (machines up), as when k of them are drawn.
pub(crate) fn fail_shard(
    plan: &DatabasePlan,
    st: &mut NodeState,
    j: usize,
    k: u32,
    now_s: f64,
    rng: &mut impl rand::Rng,
) -> u32 {
    let KindState::Database(db) = &mut st.kind else {
        return 0;
    };
    let Some(shard) = db.shards.get_mut(j) else {
        return 0;
    };
    let primary_up = shard.primary_down_since.is_none() && shard.copies_down < plan.copies;
    let machines = plan.copies + u32::from(plan.standby);
    let up = machines.saturating_sub(shard.copies_down + u32::from(shard.standby_down));
    let primary_hit =
        primary_up && up > 0 && rand::RngExt::random::<f64>(rng) < f64::from(k) / f64::from(up);
    if primary_hit {
        return fail_in(plan, shard, k, now_s);
    }
    // The others first: replicas, then the standby; the primary only if k asks for more.
    let mut failed = 0;
    let replicas_up = plan
        .copies
        .saturating_sub(shard.copies_down + u32::from(primary_up));
    let replicas = replicas_up.min(k);
    shard.copies_down += replicas;
    failed += replicas;
    if failed < k && shard.standby_promoted {
        shard.standby_promoted = false;
        shard.standby_down = true;
        failed += 1;
    } else if failed < k && plan.standby && !shard.standby_down {
        shard.standby_down = true;
        failed += 1;
    }
    if failed < k {
        failed += fail_in(plan, shard, k - failed, now_s);
    }
    failed
}

/// Fail up to `k` machines of one shard: its primary first, then replicas, then the standby.
fn fail_in(plan: &DatabasePlan, shard: &mut ShardState, k: u32, now_s: f64) -> u32 {
    let mut failed = 0;
    while failed < k {
        if shard.primary_down_since.is_none() && shard.copies_down < plan.copies {
            shard.primary_down_since = Some(now_s);
            shard.copies_down += 1;
        } else if shard.copies_down < plan.copies {
            // Bulk: the rest of the copies at once (a whole-database failure of 10,000
            // copies × 1,024 shards is one step a shard, not ten million).
            let more = (plan.copies - shard.copies_down).min(k - failed);
            shard.copies_down += more;
            failed += more;
            continue;
        } else if shard.standby_promoted {
            shard.standby_promoted = false;
            shard.standby_down = true;
        } else if plan.standby && !shard.standby_down {
            shard.standby_down = true;
        } else {
            break;
        }
        failed += 1;
    }
    failed
}

/// Repair `k` instances (`u32::MAX`: all), shard by shard from the first. A repaired primary
/// rejoins as a copy.
pub(crate) fn recover(plan: &DatabasePlan, st: &mut NodeState, k: u32) -> u32 {
    let KindState::Database(db) = &mut st.kind else {
        return 0;
    };
    let mut repaired = 0;
    for shard in &mut db.shards {
        repaired += recover_in(plan, shard, k - repaired);
        if repaired >= k {
            break;
        }
    }
    repaired
}

/// Repair `k` instances of shard `j`.
pub(crate) fn recover_shard(plan: &DatabasePlan, st: &mut NodeState, j: usize, k: u32) -> u32 {
    let KindState::Database(db) = &mut st.kind else {
        return 0;
    };
    db.shards
        .get_mut(j)
        .map_or(0, |shard| recover_in(plan, shard, k))
}

/// Repair up to `k` machines of one shard: copies first, then the standby.
fn recover_in(plan: &DatabasePlan, shard: &mut ShardState, k: u32) -> u32 {
    let copies = shard.copies_down.min(k);
    shard.copies_down -= copies;
    let mut repaired = copies;
    if repaired < k && shard.standby_down {
        shard.standby_down = false;
        repaired += 1;
    }
    if repaired > 0 && shard.copies_down < plan.copies {
        // With a copy back, the shard has a primary again (the old one or a promoted one).
        shard.primary_down_since = None;
    }
    if shard.standby_promoted && shard.copies_down == 0 {
        shard.standby_promoted = false;
    }
    repaired
}

/// Per shard, its machines down (copies and standby).
pub(crate) fn shard_down_counts(st: &NodeState) -> impl Iterator<Item = u32> + '_ {
    let shards = match &st.kind {
        KindState::Database(db) => db.shards.as_slice(),
        _ => &[],
    };
    shards
        .iter()
        .map(|s| s.copies_down + u32::from(s.standby_down))
}

/// Do `new_s` core-seconds of work on top of what is `owed_s`, within a tick's `budget_s`:
/// (the work done, the budget left); the rest stays owed. Each write is charged its mean work,
/// so the accounting is exact on average. Under sustained overload the debt is a random walk
/// without drift (the completions' noise): it grows like √(ticks × budget × service time),
/// about 6 s of a core after an hour of 10 ms writes at 1 s ticks — a vanishing share of the
/// time run, repaid from reads when the overload ends. Capping it biased long writes (their
/// second in a row lost its work) and holding new writes back by it cut the pace replicas
/// keep, so neither is done.
fn pay(owed_s: &mut f64, new_s: f64, budget_s: f64) -> (f64, f64) {
    let work = *owed_s + new_s;
    let done = work.min(budget_s);
    *owed_s = work - done;
    (done, budget_s - done)
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
    common_level(copies, primary_work, replica_work, read_work)
        .max(primary_work)
        .max(if copies > 1 { replica_work } else { 0.0 })
}

/// The level the copies of a shard fill to when reads spread over them where there is room.
fn common_level(copies: u32, primary_work: f64, replica_work: f64, read_work: f64) -> f64 {
    let c = f64::from(copies.max(1));
    (primary_work + (c - 1.0) * replica_work + read_work) / c
}

/// The read work of those copies that lands on the primary: all of it with one copy; none
/// when its writes alone sit above the common level; all when the replicas' replays do; else
/// what fills it up to that level.
pub(crate) fn primary_read_work(
    copies: u32,
    primary_work: f64,
    replica_work: f64,
    read_work: f64,
) -> f64 {
    if copies <= 1 {
        return read_work;
    }
    let level = common_level(copies, primary_work, replica_work, read_work);
    if primary_work >= level {
        0.0
    } else if replica_work >= level {
        read_work
    } else {
        (level - primary_work).min(read_work)
    }
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

pub(crate) fn step(
    plan: &DatabasePlan,
    node: &NodePlan,
    st: &mut NodeState,
    channels: &mut [Channel],
    ctx: &TickCtx,
) {
    let dt = ctx.tick_s;
    let now = ctx.now_s;
    let down = down_count(st);
    st.tick.healthy_instances = node.instances.saturating_sub(down);
    // Shards queue reads and writes; the classes within each are told apart only at the end.
    let (mut reads_in, mut writes_in, mut read_rate, mut write_rate) = (0u64, 0u64, 0.0, 0.0);
    // Requests waiting to be read and written: the channels' backlogs and arrivals.
    let (mut reads_available, mut writes_available) = (0u64, 0u64);
    for c in channels.iter() {
        if is_write(c.class as usize) {
            writes_in += c.arrived;
            write_rate += c.rate_in;
            writes_available += c.backlog + c.arrived;
        } else {
            reads_in += c.arrived;
            read_rate += c.rate_in;
            reads_available += c.backlog + c.arrived;
        }
    }
    let service_seed = st.service_seed;
    let KindState::Database(db) = &mut st.kind else {
        return;
    };
    // The tick's reads and writes split over the shards by their shares, with carries.
    let shards = db.shards.len();
    let mut read_split = flow::WeightedSplit::new(reads_in, plan.shard_share_sum, shards);
    let mut write_split = flow::WeightedSplit::new(writes_in, plan.shard_share_sum, shards);
    let budget = plan.effective_cores * dt;
    // Servers (cores) of one copy, each busy with one request at a time.
    let servers_per_copy = plan.effective_cores.ceil().max(1.0);
    let mut capacity_per_s = 0.0;
    let mut hottest: f64 = 0.0;
    let mut hottest_offered: f64 = 0.0;
    let (mut reads_served, mut writes_served, mut reads_dropped, mut writes_dropped) =
        (0u64, 0u64, 0u64, 0u64);
    let (mut reads_left, mut writes_left) = (0u64, 0u64);
    let mut overflow = 0u64;
    for (j, (shard, &share)) in db.shards.iter_mut().zip(&plan.shard_share).enumerate() {
        let shard_reads = read_split.part(share, &mut shard.reads_part_carry);
        let shard_writes = write_split.part(share, &mut shard.writes_part_carry);
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
        let reads_waiting = shard.reads_waiting + shard_reads;
        let writes_waiting = shard.writes_waiting + shard_writes;
        let writing = primary_up && copies > 0;
        let replicas = copies.saturating_sub(u32::from(writing));
        // Writes first on the primary; replicas replay what the primary wrote. A replica
        // that applies writes slower than the primary takes them would fall behind without
        // end (and did more work than it can): the primary takes writes no faster than its
        // replicas can apply them, as semi-synchronous replication holds it to, so the lag
        // stays bounded and no copy works past its capacity (the laws' utilization agrees).
        let write_capacity_per_s = if writable && primary_up {
            let pace_s = if replicas > 0 {
                plan.write_s.max(plan.apply_s)
            } else {
                plan.write_s
            };
            plan.effective_cores / pace_s
        } else {
            0.0
        };
        shard.read_rate_per_s = read_rate * share;
        shard.write_rate_per_s = write_rate * share;
        // The fluid model of the waiting times, at the expected rates.
        let writes_rate = fluid_step(
            &mut shard.writes_fluid,
            shard.write_rate_per_s,
            write_capacity_per_s,
            dt,
            write_capacity_per_s * plan.timeout_s,
        );
        let read_capacity_rate = (if writing {
            (plan.effective_cores - writes_rate * plan.write_s).max(0.0)
        } else {
            0.0
        } + f64::from(replicas)
            * (plan.effective_cores - writes_rate * plan.apply_s).max(0.0))
            / plan.read_s;
        fluid_step(
            &mut shard.reads_fluid,
            shard.read_rate_per_s,
            read_capacity_rate,
            dt,
            read_capacity_rate * plan.timeout_s,
        );
        shard.write_capacity_per_s = write_capacity_per_s;
        shard.read_capacity_per_s = read_capacity_rate;
        // The tick's whole requests: completions vary as the service time does.
        let part = 2 * j as u64;
        let write_busy = (flow::count_f64(writes_waiting) / servers_per_copy).min(1.0);
        let write_cap = completions(
            write_capacity_per_s * dt * write_busy,
            plan.service_scv,
            writes_waiting,
            &mut shard.write_carry,
            service_seed ^ part,
            ctx.tick,
        );
        let writes_total = writes_waiting.min(write_cap);
        let w = flow::count_f64(writes_total);
        // The tick's writes and replays, with what earlier ticks' left owed: each copy does
        // at most its budget of them and owes the rest, so its reads never get the time a
        // long write or replay takes (a 10 s replay at 1 s ticks takes ten ticks' reads).
        let (primary_done, primary_left) = if writing {
            pay(&mut shard.primary_owed_s, w * plan.write_s, budget)
        } else {
            shard.primary_owed_s = 0.0;
            (0.0, 0.0)
        };
        let (replica_done, replica_left) = if replicas > 0 {
            pay(&mut shard.replica_owed_s, w * plan.apply_s, budget)
        } else {
            shard.replica_owed_s = 0.0;
            (0.0, budget)
        };
        let read_budget = primary_left + f64::from(replicas) * replica_left;
        let read_servers = (f64::from(copies) * servers_per_copy).max(1.0);
        let read_busy = (flow::count_f64(reads_waiting) / read_servers).min(1.0);
        let read_cap = completions(
            read_budget / plan.read_s * read_busy,
            plan.service_scv,
            reads_waiting,
            &mut shard.read_carry,
            service_seed ^ (part + 1),
            ctx.tick,
        );
        let reads_total = reads_waiting.min(read_cap);
        // What is left waits up to the timeout's worth of capacity; the rest is dropped.
        let read_capacity_per_s = read_budget / plan.read_s / dt;
        let read_limit = flow::floor_count((read_capacity_per_s * plan.timeout_s).max(0.0));
        let write_limit = flow::floor_count((write_capacity_per_s * plan.timeout_s).max(0.0));
        let read_drop = (reads_waiting - reads_total).saturating_sub(read_limit);
        let write_drop = (writes_waiting - writes_total).saturating_sub(write_limit);
        // Shed for want of capacity (not for want of a live copy) is overflow.
        if read_capacity_per_s > 0.0 {
            overflow += read_drop;
        }
        if write_capacity_per_s > 0.0 {
            overflow += write_drop;
        }
        shard.reads_waiting = reads_waiting - reads_total - read_drop;
        shard.writes_waiting = writes_waiting - writes_total - write_drop;
        reads_served += reads_total;
        writes_served += writes_total;
        reads_dropped += read_drop;
        writes_dropped += write_drop;
        reads_left += shard.reads_waiting;
        writes_left += shard.writes_waiting;
        // The busiest copy's work this tick (unclipped, see `set_busy`) and at this tick's
        // expected rates.
        shard.utilization = if copies == 0 {
            if reads_waiting + writes_waiting > 0 {
                1.0
            } else {
                0.0
            }
        } else {
            hottest_copy_utilization(
                copies,
                primary_done,
                replica_done,
                flow::count_f64(reads_total) * plan.read_s,
            ) / budget
        };
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
        // Capacity at the current mix, in requests per second.
        let mix_work = if read_rate + write_rate > 0.0 {
            (read_rate * plan.read_s
                + write_rate * (plan.write_s + f64::from(copies.saturating_sub(1)) * plan.apply_s))
                / (read_rate + write_rate)
        } else {
            plan.read_s
        };
        capacity_per_s += f64::from(copies) * plan.effective_cores / mix_work;
        // The hottest shard is the one its expected load makes hottest: the largest of the
        // shards' random completions would read above 1 when several are saturated alike.
        if shard.offered_utilization > hottest_offered || j == 0 {
            hottest_offered = shard.offered_utilization;
            hottest = shard.utilization;
        }
    }
    if reads_served == reads_available && writes_served == writes_available {
        // Everything waiting was served: the usual case, in one pass.
        for c in channels.iter_mut() {
            c.served = c.backlog + c.arrived;
            c.backlog = 0;
        }
    } else {
        share_outcome(
            channels,
            [
                (reads_served, reads_dropped),
                (writes_served, writes_dropped),
            ],
        );
    }
    st.tick.overflow_dropped += overflow;
    st.tick.backlog = reads_left + writes_left;
    st.tick.capacity_per_s = capacity_per_s;
    let service_ticks = plan.read_s.max(plan.write_s) / dt;
    set_busy(st, hottest, service_ticks);
    st.tick.offered_utilization = hottest_offered;
}

/// Share each group's outcome (reads, then writes: served and dropped) among its classes, in
/// proportion to what each had waiting.
fn share_outcome(channels: &mut [Channel], outcome: [(u64, u64); 2]) {
    for (write_group, (served, dropped)) in [false, true].into_iter().zip(outcome) {
        let mut available = [0u64; 5];
        let mut members = [0usize; 5];
        let mut n = 0;
        for (j, c) in channels.iter().enumerate() {
            if is_write(c.class as usize) == write_group {
                available[n] = c.backlog + c.arrived;
                members[n] = j;
                n += 1;
            }
        }
        let waiting: u64 = available[..n].iter().sum();
        if served == waiting {
            for &j in &members[..n] {
                let c = &mut channels[j];
                c.served = c.backlog + c.arrived;
                c.backlog = 0;
            }
            continue;
        }
        let served_k = flow::split_proportional(served, &available[..n]);
        let mut left = [0u64; 5];
        for k in 0..n {
            left[k] = available[k] - served_k[k];
        }
        let dropped_k = flow::split_proportional(dropped, &left[..n]);
        for (k, &j) in members[..n].iter().enumerate() {
            let c = &mut channels[j];
            c.served = served_k[k];
            c.dropped = dropped_k[k];
            c.backlog = left[k] - dropped_k[k];
        }
    }
}

/// The response time of a read or a write on shard `j` this tick: pooled copies for reads, the
/// primary for writes, each at the shard's utilization, plus the delay of its backlog.
///
/// Each is one FCFS queue fed by a mix of classes, and in one FCFS queue every class waits
/// the same: the wait is worked out from the mix's mean service time and its SCV
/// (Allen–Cunneen; Pollaczek–Khinchine on one server), and only the service that follows is
/// the class's own. Reads pool over every copy, so their queue holds all of the shard's
/// work: reads, the primary's writes and the replicas' replays. Writes queue at the primary,
/// behind its writes and the reads that land on it. With one copy the two queues are one.
pub(crate) fn response(plan: &DatabasePlan, st: &NodeState, j: usize, write: bool) -> ResponseTime {
    let KindState::Database(db) = &st.kind else {
        return ResponseTime::default();
    };
    let Some(shard) = db.shards.get(j) else {
        return ResponseTime::default();
    };
    let copies = shard.serving_copies(plan).max(1);
    let reads = shard.read_rate_per_s;
    let writes = shard.write_rate_per_s;
    // The classes in this request's queue, as (rate, service time), this class first; the
    // same split of reads over copies as the shard's offered utilization.
    let mix = if write {
        let primary_reads = if plan.read_s > 0.0 {
            primary_read_work(
                copies,
                writes * plan.write_s,
                writes * plan.apply_s,
                reads * plan.read_s,
            ) / plan.read_s
        } else {
            reads
        };
        [
            (writes, plan.write_s),
            (primary_reads, plan.read_s),
            (0.0, plan.apply_s),
        ]
    } else {
        [
            (reads, plan.read_s),
            (writes, plan.write_s),
            (f64::from(copies - 1) * writes, plan.apply_s),
        ]
    };
    let own_s = if write { plan.write_s } else { plan.read_s };
    let (mix_s, mix_scv) =
        mixture_service(&mix, plan.service_scv).unwrap_or((own_s, plan.service_scv));
    // `ceil(effective cores)` servers whatever the service time; their rate at the mix's mean
    // sets the wait, at the class's own its service.
    let instance = Station::from_effective_cores(
        plan.effective_cores,
        mix_s,
        plan.service_scv,
        plan.timeout_s,
    );
    let own = Station::from_effective_cores(
        plan.effective_cores,
        own_s,
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
    // The shard's utilization as one rate at the mix's service time (beyond 1 too: see
    // `formula_rate`).
    let rho = if shard.offered_utilization.is_finite() {
        shard.offered_utilization
    } else {
        1.0
    };
    let equivalent_rate = rho * f64::from(servers) * rate_per_server;
    let wait = gg_c_wait(
        u64::from(servers),
        rate_per_server,
        equivalent_rate,
        1.0,
        mix_scv,
    );
    // Overload piles requests up in the fluid model (see `latency`); their delay comes on
    // top of the stationary wait, which already holds the queue's noise.
    let (fluid, capacity) = if write {
        (shard.writes_fluid, shard.write_capacity_per_s)
    } else {
        (shard.reads_fluid, shard.read_capacity_per_s)
    };
    ResponseTime {
        service_mean_s: own.service_mean_s,
        service_scv: plan.service_scv,
        wait,
        backlog_delay_s: if capacity > 0.0 {
            fluid / capacity
        } else {
            0.0
        },
        wait_limit_s: plan.timeout_s,
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
