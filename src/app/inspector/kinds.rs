//! The fields of each kind of component, one function a kind.

use egui::{DragValue, Ui};

use crate::model::validate::{
    MAX_CONSUMERS, MAX_INSTANCES, MAX_KEYS, MAX_SHARDS, MAX_UNHEALTHY_THRESHOLD,
};
use crate::model::{
    ArrivalProcess, BalancingAlgorithm, HitRatio, Partitioning, PriceTable, SessionState, Workload,
};

use crate::model::{
    CacheParams, CdnParams, ClientParams, DatabaseParams, LoadBalancerParams, QueueParams,
    ServerParams,
};

use super::fields::{
    choice_field, count_field, number_field, reliability_fields, share_field, size_field,
    wide_count_field,
};

/// A client: its users, what they ask for and how. Returns whether any field changed.
pub(super) fn client_fields(ui: &mut Ui, p: &mut ClientParams) -> bool {
    let mut c = false;
    let label = ui
        .label("Users")
        .on_hover_text("How many people use the system (the load slider multiplies them).");
    c |= ui
        .add(
            DragValue::new(&mut p.users)
                .speed(10.0)
                .range(0..=u64::MAX / 4),
        )
        .labelled_by(label.id)
        .on_hover_text("How many people use the system; the load slider multiplies them.")
        .changed();
    ui.end_row();
    // Open or closed: a closed workload's users wait for their answers, so the rate and the
    // arrivals give way to the think time.
    let mut closed = p.think_time_s().is_some();
    let was_closed = closed;
    c |= choice_field(
        ui,
        "Workload",
        &mut closed,
        &[false, true],
        |closed| if closed { "Closed" } else { "Open" }.to_string(),
        "Open: users send at their rate whatever the answers do. Closed: each user waits for an answer, thinks, then sends again.",
    );
    if closed != was_closed {
        p.workload = if closed {
            // The think time that keeps the users' most as it was: N/Z = N × rate.
            let think_time_s = if p.rate_per_user_per_s > 0.0 {
                (1.0 / p.rate_per_user_per_s).clamp(0.001, 86_400.0)
            } else {
                10.0
            };
            Workload::Closed { think_time_s }
        } else {
            Workload::Open
        };
    }
    if let Workload::Closed { think_time_s } = &mut p.workload {
        c |= number_field(
            ui,
            "Think time",
            think_time_s,
            " s",
            0.1,
            "Mean time a user thinks between an answer and the next request (exponential; 0.001 to 86,400 s).",
        );
    } else {
        c |= number_field(
            ui,
            "Rate per user",
            &mut p.rate_per_user_per_s,
            " req/s",
            0.001,
            "Requests each user sends per second, on average.",
        );
    }
    c |= share_field(
        ui,
        "Reads",
        &mut p.mix.read,
        "Share of requests that only read (a cache or replica can answer them).",
    );
    c |= share_field(
        ui,
        "Writes",
        &mut p.mix.write,
        "Share of requests that change data (they always reach the primary database).",
    );
    c |= share_field(
        ui,
        "Static",
        &mut p.mix.static_files,
        "Share of requests for images and files (a CDN can answer them).",
    );
    c |= share_field(
        ui,
        "Async",
        &mut p.mix.async_jobs,
        "Share of requests that start background work (a queue can take it).",
    );
    let mut has_deadline = p.deadline_ms.is_some();
    let label = ui.label("Deadline").on_hover_text(
        "An end-to-end deadline: a request not answered within it has failed, wherever it is (the work it left queued is still done, and wasted).",
    );
    if ui
        .checkbox(&mut has_deadline, "")
        .labelled_by(label.id)
        .changed()
    {
        p.deadline_ms = has_deadline.then_some(1_000.0);
        c = true;
    }
    ui.end_row();
    if let Some(deadline_ms) = &mut p.deadline_ms {
        c |= number_field(
            ui,
            "Deadline after",
            deadline_ms,
            " ms",
            10.0,
            "Milliseconds from sending a request to giving up on it.",
        );
    }
    if p.think_time_s().is_none() {
        c |= choice_field(
            ui,
            "Arrivals",
            &mut p.arrivals,
            &[ArrivalProcess::Poisson, ArrivalProcess::Constant],
            |a| format!("{a:?}"),
            "Poisson: independent users; constant: an even stream.",
        );
    }
    c
}

/// A load balancer: its instances and how it spreads requests. Returns whether any field changed.
pub(super) fn balancer_fields(ui: &mut Ui, p: &mut LoadBalancerParams) -> bool {
    let mut c = false;
    c |= choice_field(
        ui,
        "Algorithm",
        &mut p.algorithm,
        &BalancingAlgorithm::ALL,
        |a| a.label().to_string(),
        "How the balancer picks an instance for each request.",
    );
    c |= count_field(
        ui,
        "Instances",
        (&mut p.instances, MAX_INSTANCES),
        "",
        "Balancer instances sharing the traffic (two avoid a single point of failure).",
    );
    c |= number_field(
        ui,
        "Capacity",
        &mut p.capacity_per_s,
        " req/s",
        100.0,
        "Requests per second one instance can pass.",
    );
    c |= number_field(
        ui,
        "Latency",
        &mut p.latency_ms,
        " ms",
        0.05,
        "Time to pass one request through.",
    );
    c |= number_field(
        ui,
        "Health check",
        &mut p.health_check_interval_s,
        " s",
        0.5,
        "Seconds between checks of each target instance.",
    );
    c |= count_field(
        ui,
        "Unhealthy after",
        (&mut p.unhealthy_threshold, MAX_UNHEALTHY_THRESHOLD),
        " checks",
        "Failed checks in a row before an instance leaves rotation.",
    );
    c |= number_field(
        ui,
        "Timeout",
        &mut p.timeout_ms,
        " ms",
        50.0,
        "Requests that would wait longer are dropped.",
    );
    c |= rate_limit_fields(ui, &mut p.rate_limit);
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// A server tier: machines, service time, scaling and sessions. Returns whether any field changed.
pub(super) fn server_fields(ui: &mut Ui, p: &mut ServerParams, prices: &PriceTable) -> bool {
    let mut c = false;
    c |= size_field(
        ui,
        &mut p.size,
        prices,
        "Instance size: more vCPUs serve more, never quite in proportion (USL). The largest is the ceiling.",
    );
    c |= count_field(
        ui,
        "Instances",
        (&mut p.instances, MAX_INSTANCES),
        "",
        "Identical instances; more of them need a balancer in front.",
    );
    c |= number_field(
        ui,
        "Service time",
        &mut p.service_time_ms,
        " ms",
        0.5,
        "CPU time one request needs on one core: the cook's time per dish.",
    );
    c |= number_field(
        ui,
        "Variability (SCV)",
        &mut p.service_scv,
        "",
        0.05,
        "0 = every request takes the same time, 1 = exponential; more waits longer in queue.",
    );
    c |= number_field(
        ui,
        "Contention σ",
        &mut p.contention,
        "",
        0.005,
        "USL contention: the share of work that cores must take turns on.",
    );
    c |= number_field(
        ui,
        "Coherency κ",
        &mut p.coherency,
        "",
        0.00005,
        "USL coherency: the cost of cores keeping each other up to date.",
    );
    c |= choice_field(
        ui,
        "Sessions",
        &mut p.sessions,
        &[SessionState::Stateless, SessionState::InMemory],
        |s| format!("{s:?}"),
        "Stateless servers keep no session; in-memory sessions break behind a balancer that is not sticky.",
    );
    c |= number_field(
        ui,
        "Timeout",
        &mut p.timeout_ms,
        " ms",
        50.0,
        "Requests that would wait longer are dropped.",
    );
    c |= rate_limit_fields(ui, &mut p.rate_limit);
    c |= autoscale_fields(
        ui,
        &mut p.autoscale,
        (p.instances, MAX_INSTANCES),
        Group::Instances,
    );
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// What an autoscaler scales.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    /// A server tier's instances.
    Instances,
    /// A message queue's consumers.
    Consumers,
}

/// A group's autoscaling (a server tier's instances, a queue's consumers): off, or its
/// target, bounds and timing. Turned on, it starts from the group's `count` (bounds from one
/// to twice it, at least ten, at most `most`). Returns whether anything changed.
fn autoscale_fields(
    ui: &mut Ui,
    autoscale: &mut Option<crate::model::Autoscaling>,
    (count, most): (u32, u32),
    group: Group,
) -> bool {
    let consumers = group == Group::Consumers;
    let mut on = autoscale.is_some();
    let label = ui.label("Autoscaling").on_hover_text(if consumers {
        "Add and remove consumers to keep them near a target utilization, as a worker deployment is scaled: new ones take messages only after they boot."
    } else {
        "Add and remove instances to keep the tier near a target utilization, as a cloud autoscaler does: new ones serve only after they boot."
    });
    let mut changed = ui.checkbox(&mut on, "").labelled_by(label.id).changed();
    ui.end_row();
    if changed {
        *autoscale = on.then(|| crate::model::Autoscaling {
            min_instances: 1,
            max_instances: count.saturating_mul(2).clamp(10, most),
            ..crate::model::Autoscaling::default()
        });
    }
    let Some(a) = autoscale else {
        return changed;
    };
    changed |= share_field(
        ui,
        "Target utilization",
        &mut a.target_utilization,
        if consumers {
            "The busy share it aims at (5 to 95 %): it wants busy consumers ÷ target, and leaves them alone within 10 % of it."
        } else {
            "The busy share it aims at (5 to 95 %): it wants busy instances ÷ target, and leaves the tier alone within 10 % of it."
        },
    );
    changed |= count_field(
        ui,
        if consumers {
            "Least consumers"
        } else {
            "Least instances"
        },
        (&mut a.min_instances, most),
        "",
        "It never runs fewer (at least 1).",
    );
    changed |= count_field(
        ui,
        if consumers {
            "Most consumers"
        } else {
            "Most instances"
        },
        (&mut a.max_instances, most),
        "",
        if consumers {
            "It never runs more; the ladder counts the consumers at this many."
        } else {
            "It never runs more; the ladder counts the tier at this many."
        },
    );
    changed |= number_field(
        ui,
        "Boot time",
        &mut a.provision_s,
        " s",
        5.0,
        if consumers {
            "Seconds from launch until a new consumer takes messages (0 to 3,600)."
        } else {
            "Seconds from launch until a new instance serves (0 to 3,600); it is paid for from launch."
        },
    );
    changed |= number_field(
        ui,
        "Cooldown",
        &mut a.cooldown_s,
        " s",
        10.0,
        "Seconds after a scaling action before it removes any (0 to 3,600).",
    );
    changed |= number_field(
        ui,
        "Decide every",
        &mut a.interval_s,
        " s",
        5.0,
        "Seconds between its decisions, each on the utilization of the interval before (1 to 3,600).",
    );
    changed
}

/// A cache: its instances, hit ratio (fixed or from its size and the key popularity) and timing. Returns whether any field changed.
pub(super) fn cache_fields(ui: &mut Ui, p: &mut CacheParams) -> bool {
    let mut c = false;
    c |= count_field(
        ui,
        "Instances",
        (&mut p.instances, MAX_INSTANCES),
        "",
        "Cache nodes; keys are spread over them.",
    );
    c |= number_field(
        ui,
        "Capacity",
        &mut p.capacity_per_s,
        " req/s",
        100.0,
        "Requests per second one instance answers.",
    );
    c |= number_field(
        ui,
        "Latency",
        &mut p.latency_ms,
        " ms",
        0.05,
        "Time to answer a request.",
    );
    match &mut p.hit_ratio {
        HitRatio::Fixed(h) => {
            c |= share_field(
                ui,
                "Hit ratio",
                h,
                "Share of reads the cache answers: the pre-prepped ingredients on the counter.",
            );
        }
        HitRatio::Lru {
            capacity_items,
            working_set_items,
            zipf_exponent,
        } => {
            c |= number_field(
                ui,
                "Holds",
                capacity_items,
                " items",
                10.0,
                "Items one instance holds.",
            );
            c |= number_field(
                ui,
                "Working set",
                working_set_items,
                " items",
                100.0,
                "Distinct items requested.",
            );
            c |= number_field(
                ui,
                "Zipf exponent",
                zipf_exponent,
                "",
                0.01,
                "How skewed popularity is (0 = even, 1 = very skewed).",
            );
        }
    }
    c |= number_field(
        ui,
        "Warm-up",
        &mut p.warmup_s,
        " s",
        5.0,
        "Time a cold or restarted cache takes to reach its hit ratio.",
    );
    c |= number_field(
        ui,
        "Timeout",
        &mut p.timeout_ms,
        " ms",
        10.0,
        "Requests that would wait longer are dropped.",
    );
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// A database: machines, copies (read replicas), shards and timing. Returns whether any field changed.
pub(super) fn database_fields(ui: &mut Ui, p: &mut DatabaseParams, prices: &PriceTable) -> bool {
    let mut c = false;
    c |= size_field(ui, &mut p.size, prices, "Instance size of every copy.");
    c |= count_field(
        ui,
        "Copies",
        (&mut p.instances, MAX_INSTANCES),
        "",
        "Primary plus read replicas per shard: reads spread, every write is replayed on each.",
    );
    ui.label("Standby")
        .on_hover_text("A hot standby per shard that serves nothing but can take over.");
    c |= ui.checkbox(&mut p.standby, "").changed();
    ui.end_row();
    c |= number_field(
        ui,
        "Read time",
        &mut p.read_service_time_ms,
        " ms",
        0.1,
        "CPU time of one read.",
    );
    c |= number_field(
        ui,
        "Write time",
        &mut p.write_service_time_ms,
        " ms",
        0.1,
        "CPU time of one write on the primary.",
    );
    c |= number_field(
        ui,
        "Replay time",
        &mut p.replica_apply_ms,
        " ms",
        0.1,
        "CPU time for a replica to replay one write.",
    );
    c |= count_field(
        ui,
        "Shards",
        (&mut p.shards, MAX_SHARDS),
        "",
        "Pieces the data is split into; the hottest one sets the capacity.",
    );
    c |= choice_field(
        ui,
        "Partitioning",
        &mut p.partitioning,
        &[Partitioning::Range, Partitioning::Hash],
        |s| format!("{s:?}"),
        "By key range (the range of the most popular keys is a hot shard) or by hash (popular keys scatter).",
    );
    c |= wide_count_field(
        ui,
        "Keys",
        (&mut p.keys, MAX_KEYS),
        "",
        "Distinct keys (user IDs, rows) the data holds; key 1 is the most popular.",
    );
    c |= number_field(
        ui,
        "Key skew",
        &mut p.key_skew,
        "",
        0.01,
        "Zipf exponent of key popularity: key i is asked for in proportion to 1/i^s (0 = every key alike).",
    );
    c |= number_field(
        ui,
        "Failover",
        &mut p.failover_s,
        " s",
        1.0,
        "Time to promote a replica or standby when the primary dies.",
    );
    ui.label("Backups")
        .on_hover_text("Without replicas or backups, losing the database loses data.");
    c |= ui.checkbox(&mut p.backups, "").changed();
    ui.end_row();
    c |= number_field(
        ui,
        "Timeout",
        &mut p.timeout_ms,
        " ms",
        50.0,
        "Requests that would wait longer are dropped.",
    );
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// A message queue: brokers, consumers and their timing. Returns whether any field changed.
pub(super) fn queue_fields(ui: &mut Ui, p: &mut QueueParams) -> bool {
    let mut c = false;
    c |= count_field(
        ui,
        "Brokers",
        (&mut p.instances, MAX_INSTANCES),
        "",
        "Broker instances accepting messages.",
    );
    c |= number_field(
        ui,
        "Capacity",
        &mut p.capacity_per_s,
        " msg/s",
        100.0,
        "Messages per second one broker accepts.",
    );
    ui.label("Max depth")
        .on_hover_text("Messages the queue holds before it drops new ones.");
    c |= ui
        .add(DragValue::new(&mut p.max_depth).speed(100.0))
        .changed();
    ui.end_row();
    c |= count_field(
        ui,
        "Consumers",
        (&mut p.consumers, MAX_CONSUMERS),
        "",
        "Workers draining the queue.",
    );
    c |= number_field(
        ui,
        "Consumer rate",
        &mut p.consumer_rate_per_s,
        " msg/s",
        1.0,
        "Messages per second one consumer handles.",
    );
    c |= number_field(
        ui,
        "Consumer variability (SCV)",
        &mut p.consumer_service_scv,
        "",
        0.05,
        "0 = every message takes a consumer the same time, 1 = exponential; more spreads the backlog.",
    );
    c |= autoscale_fields(
        ui,
        &mut p.autoscale,
        (p.consumers, MAX_CONSUMERS),
        Group::Consumers,
    );
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// A CDN: its edge capacity, hit ratio and origin. Returns whether any field changed.
pub(super) fn cdn_fields(ui: &mut Ui, p: &mut CdnParams) -> bool {
    let mut c = false;
    c |= share_field(
        ui,
        "Edge hit ratio",
        &mut p.edge_hit_ratio,
        "Share of static requests the edge answers without asking the origin.",
    );
    c |= number_field(
        ui,
        "Edge capacity",
        &mut p.edge_capacity_per_s,
        " req/s",
        1000.0,
        "Requests per second the edge answers.",
    );
    c |= number_field(
        ui,
        "Edge latency",
        &mut p.edge_latency_ms,
        " ms",
        0.5,
        "Time for the edge to answer (mostly distance).",
    );
    c |= reliability_fields(ui, &mut p.reliability);
    c
}

/// A token bucket in front of a balancer or server: off, or its rate and burst. Returns
/// whether anything changed.
fn rate_limit_fields(ui: &mut Ui, limit: &mut Option<crate::model::RateLimit>) -> bool {
    let mut on = limit.is_some();
    let label = ui.label("Rate limit").on_hover_text(
        "A token bucket in front: it admits up to its rate, with short bursts, and turns the rest away at once (counted as rejected, apart from what is shed for want of capacity).",
    );
    let mut changed = ui.checkbox(&mut on, "").labelled_by(label.id).changed();
    ui.end_row();
    if changed {
        *limit = on.then_some(crate::model::RateLimit {
            rate_per_s: 1_000.0,
            burst: 100.0,
        });
    }
    if let Some(l) = limit {
        changed |= number_field(
            ui,
            "Limit rate",
            &mut l.rate_per_s,
            " req/s",
            10.0,
            "Tokens added a second: the most the component admits in the long run.",
        );
        changed |= number_field(
            ui,
            "Burst",
            &mut l.burst,
            " req",
            1.0,
            "The bucket's size: the most requests admitted at once after a quiet spell (at least 1).",
        );
    }
    changed
}
