//! Validation: every rule a design must meet before it can be simulated. Every message names
//! the component (or link, or scenario) it is about, and the field, so that the file reader can
//! place it on a line and the inspector next to the field.

use std::collections::{HashMap, HashSet};

use petgraph::algo::kosaraju_scc;
use petgraph::visit::{EdgeFiltered, EdgeRef};

use super::component::{ComponentKind, HitRatio, KindName, Reliability, TrafficClass, Workload};
use super::design::{ComponentId, Design};
use super::pricing::PriceTable;
use super::scenario::{Scenario, TrafficProfile};

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The design cannot be simulated until this is fixed.
    Error,
    /// The design runs, but probably not as meant.
    Warning,
}

/// What a problem is about. Indices are positions in the file (id order).
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    /// The design as a whole: its name, description, scenarios or default scenario.
    Design,
    /// A component of the design.
    Component {
        /// Position in the design's components, from 0 (the order of the file).
        index: usize,
        /// The component's name.
        name: String,
    },
    /// A link of the design.
    Link {
        /// Position in the design's links, from 0 (the order of the file).
        index: usize,
        /// Name of the component the link leaves.
        from: String,
        /// Name of the component the link enters.
        to: String,
    },
    /// A scenario of the design.
    Scenario {
        /// Position in the design's scenarios, from 0 (the order of the file).
        index: usize,
        /// The scenario's name.
        name: String,
    },
}

/// One validation problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// Whether the issue stops the design from running (an error) or is only a warning.
    pub severity: Severity,
    /// What the issue is about; with `field` it places the issue on a line of the file and beside a
    /// field in the inspector.
    pub subject: Subject,
    /// The field at fault, as written in files.
    pub field: Option<&'static str>,
    /// A sentence that names the component (or link, or scenario).
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Issue {
    /// An error.
    pub fn error(
        subject: Subject,
        field: Option<&'static str>,
        message: String,
        hint: Option<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            subject,
            field,
            message,
            hint,
        }
    }

    /// A warning.
    pub fn warning(
        subject: Subject,
        field: Option<&'static str>,
        message: String,
        hint: Option<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            subject,
            field,
            message,
            hint,
        }
    }
}

/// The most ticks a scenario may ask for (ten days at one-second ticks, or a day at 10 ms).
pub const MAX_TICKS: u64 = 10_000_000;

// Upper bounds on what a design may ask for. Each is far beyond what one component of a real
// system has; under them the simulation's exact request counts stay well inside 64 bits
// (10^10 requests a second for 10^7 ticks of up to 60 s is under 10^19) and the analyses'
// work stays bounded (availability is linear in instances, a database keeps state per shard).
// Without them a file `check` called good could hang the analysis or exhaust memory.

/// Instances of one component.
pub const MAX_INSTANCES: u32 = 10_000;
/// Shards of one database.
pub const MAX_SHARDS: u32 = 1_024;
/// Consumers of one message queue.
pub const MAX_CONSUMERS: u32 = 100_000;
/// Failed health checks before a balancer takes an instance out of rotation.
pub const MAX_UNHEALTHY_THRESHOLD: u32 = 100;
/// Requests a second: the most a client sends, a capacity takes, or a run offers at its peak.
pub const MAX_RATE_PER_S: f64 = 1e10;

/// True when `rate_per_s` is past `MAX_RATE_PER_S`. A peak rate is a product of several
/// factors (users, rates, load multipliers, the profile's peak, calls per request) taken in
/// different orders by `check`, the sweep's ceiling and a run's start, so the same load can
/// come out a few units in the last place either side of the limit; within a billionth of it
/// counts as at it, so what one place allows the others run (a sweep that ends at the most a
/// run can count was refused for 1.0000000000000002e10).
pub fn beyond_max_rate(rate_per_s: f64) -> bool {
    rate_per_s > MAX_RATE_PER_S * (1.0 + 1e-9)
}
/// The shortest service time, in ms (a microsecond).
pub const MIN_SERVICE_TIME_MS: f64 = 1e-3;
/// The longest time of any kind, in ms (about 2.8 hours).
pub const MAX_TIME_MS: f64 = 1e7;
/// The largest squared coefficient of variation of service times (1 is exponential).
pub const MAX_SCV: f64 = 100.0;
/// The largest load multiplier of a scenario or a point of its profile.
pub const MAX_MULTIPLIER: f64 = 1e6;
/// The smallest load multiplier above zero (smaller ones turn rates into numbers too small to
/// divide by).
pub const MIN_MULTIPLIER: f64 = 1e-6;
/// The smallest capacity or consumer rate, requests a second.
pub const MIN_RATE_PER_S: f64 = 1e-3;
/// The smallest rate of one user, requests a second (one a month is about 4e-7).
pub const MIN_RATE_PER_USER_PER_S: f64 = 1e-9;
/// The largest burst a rate limiter's bucket may hold, in requests.
pub const MAX_BURST: f64 = 1e12;
/// Shortest mean think time of a closed workload's users, in seconds (a millisecond: a user
/// who never thinks would send without end).
pub const MIN_THINK_TIME_S: f64 = 1e-3;
/// Longest mean think time of a closed workload's users, in seconds (a day).
pub const MAX_THINK_TIME_S: f64 = 86_400.0;
/// A link's weight, from this to its inverse.
pub const MIN_LINK_WEIGHT: f64 = 1e-6;
/// The most calls a request makes over one link.
pub const MAX_CALLS_PER_REQUEST: f64 = 1_000.0;
/// The most tries of one call a retry policy may ask for, the first included.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest attempt timeout or retry backoff, in ms (a minute: the flow engine follows
/// each retrying link's last minute of hand-overs).
pub const MAX_RETRY_WAIT_MS: f64 = 60_000.0;
/// A retry budget's ratio of retries to first tries, from this to `MAX_BUDGET_RATIO`.
pub const MIN_BUDGET_RATIO: f64 = 1e-3;
/// The largest retry budget ratio.
pub const MAX_BUDGET_RATIO: f64 = 10.0;
/// A circuit breaker's longest window and open time, in seconds (an hour).
pub const MAX_BREAKER_S: f64 = 3_600.0;
/// A circuit breaker's shortest window and open time, in seconds.
pub const MIN_BREAKER_S: f64 = 0.1;
/// The most calls a circuit breaker asks of a window, or lets through half-open.
pub const MAX_BREAKER_CALLS: u32 = 1_000_000;
/// The longest provisioning time, cooldown and interval of an autoscaler, in seconds.
pub const MAX_AUTOSCALE_S: f64 = 3_600.0;
/// The longest health-check interval of a balancer, in seconds.
pub const MAX_HEALTH_CHECK_INTERVAL_S: f64 = 600.0;
/// The longest failover of a database, in seconds.
pub const MAX_FAILOVER_S: f64 = 3_600.0;
/// The most keys a database may hold (a trillion: more than there are people, devices or
/// rows in one table of a real system); shares are summed in time independent of it.
pub const MAX_KEYS: u64 = 1_000_000_000_000;
/// The steepest key popularity (a Zipf exponent of 10 puts all but a millionth of the traffic
/// on the first key or two).
pub const MAX_KEY_SKEW: f64 = 10.0;
/// The longest time a profile or a failure may name, in seconds (about 32 years: far past
/// the longest run, 10 million ticks of 60 s), and the shortest duration of a profile's
/// period, rise or decay.
pub const MAX_SCENARIO_TIME_S: f64 = 1e9;
/// The shortest period, rise or decay of a traffic profile, in seconds (a millisecond).
pub const MIN_PROFILE_DURATION_S: f64 = 1e-3;
/// The most items a cache's working set or capacity may count (Che's approximation sums
/// popularity in bands whose number grows with the logarithm of it).
pub const MAX_ITEMS: f64 = 1e15;

/// A number as a message shows it: as written for everyday sizes, in powers of ten for
/// the very large and very small (1e308 has 309 digits).
pub(crate) fn shown(value: f64) -> String {
    if value == 0.0 || (1e-4..1e9).contains(&value.abs()) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// An error if `text` holds control characters (line breaks and tabs are allowed in
/// descriptions): a name is one line of plain text, and an escape sequence in it would
/// reach the terminal that prints a message about it.
fn control_characters(subject: &Subject, field: &'static str, text: &str) -> Option<Issue> {
    let allowed = |c: char| field == "description" && (c == '\n' || c == '\t' || c == '\r');
    let bad = text.chars().find(|&c| c.is_control() && !allowed(c))?;
    Some(Issue::error(
        subject.clone(),
        Some(field),
        format!(
            "the {field} {:?} holds the control character {:?}",
            text.chars().take(60).collect::<String>(),
            bad
        ),
        Some(if field == "description" {
            "a description is plain text: letters, digits, punctuation, line breaks and tabs".into()
        } else {
            "a name is one line of plain text".into()
        }),
    ))
}

/// Check a design against every rule. Errors first is not promised; callers filter.
pub fn validate(design: &Design, prices: &PriceTable) -> Vec<Issue> {
    let mut v = Validator {
        design,
        prices,
        issues: Vec::new(),
    };
    v.components();
    v.links();
    v.cycles();
    v.routes();
    v.scenarios();
    if let Some(journey) = &design.journey {
        for problem in journey.problems() {
            v.issues.push(Issue::error(
                Subject::Design,
                Some("journey"),
                problem,
                Some("the journey is written by the app and `advise --apply`; remove it to start afresh".into()),
            ));
        }
    }
    v.issues
}

/// Whether a design has no error-severity issue.
pub fn is_valid(design: &Design, prices: &PriceTable) -> bool {
    validate(design, prices)
        .iter()
        .all(|i| i.severity != Severity::Error)
}

struct Validator<'a> {
    design: &'a Design,
    prices: &'a PriceTable,
    issues: Vec<Issue>,
}

/// Checks of the numbers of one component, collecting issues.
struct Numbers<'v, 'a> {
    v: &'v mut Validator<'a>,
    subject: Subject,
    who: String,
}

impl Numbers<'_, '_> {
    fn error(&mut self, field: &'static str, message: String, hint: Option<String>) {
        self.v.issues.push(Issue::error(
            self.subject.clone(),
            Some(field),
            format!("{}: {message}", self.who),
            hint,
        ));
    }

    /// A finite number greater than zero.
    fn positive(&mut self, field: &'static str, value: f64) {
        if !value.is_finite() {
            self.error(
                field,
                format!("{field} must be a finite number, not {value}"),
                None,
            );
        } else if value <= 0.0 {
            self.error(
                field,
                format!("{field} must be greater than zero, not {value}"),
                Some("a zero or negative capacity or time means nothing can be served".into()),
            );
        }
    }

    /// A finite number, zero or more.
    fn non_negative(&mut self, field: &'static str, value: f64) {
        if !value.is_finite() {
            self.error(
                field,
                format!("{field} must be a finite number, not {value}"),
                None,
            );
        } else if value < 0.0 {
            self.error(
                field,
                format!("{field} must not be negative, not {value}"),
                None,
            );
        }
    }

    /// A share between 0 and 1.
    fn ratio(&mut self, field: &'static str, value: f64) {
        if !value.is_finite() || !(0.0..=1.0).contains(&value) {
            self.error(
                field,
                format!("{field} must be between 0 and 1, not {value}"),
                Some("write a share such as 0.9 for 90 %".into()),
            );
        }
    }

    /// At least one.
    fn at_least_one(&mut self, field: &'static str, value: u64) {
        if value == 0 {
            self.error(field, format!("{field} must be at least 1"), None);
        }
    }

    /// A count from 1 to `max`.
    fn count(&mut self, field: &'static str, value: u32, max: u32) {
        self.at_least_one(field, u64::from(value));
        if value > max {
            // More instances or consumers than one component holds: several components do.
            let hint = matches!(field, "instances" | "consumers")
                .then(|| "split it into several components".to_string());
            self.error(
                field,
                format!("{field} must be at most {max}, not {value}"),
                hint,
            );
        }
    }

    /// A whole number no greater than `max`.
    fn count_at_most(&mut self, field: &'static str, value: u64, max: u64) {
        if value > max {
            self.error(
                field,
                format!(
                    "{field} must be at most {}, not {}",
                    shown(max as f64),
                    shown(value as f64)
                ),
                None,
            );
        }
    }

    /// A finite number no greater than `max`, reported with `unit`.
    fn at_most(&mut self, field: &'static str, value: f64, max: f64, unit: &str) {
        if value.is_finite() && value > max {
            self.error(
                field,
                format!(
                    "{field} must be at most {}{unit}, not {}",
                    shown(max),
                    shown(value)
                ),
                None,
            );
        }
    }

    /// A service time: from `MIN_SERVICE_TIME_MS` to `MAX_TIME_MS`.
    fn service_time(&mut self, field: &'static str, value_ms: f64) {
        self.positive(field, value_ms);
        if value_ms.is_finite() && value_ms > 0.0 && value_ms < MIN_SERVICE_TIME_MS {
            self.error(
                field,
                format!("{field} must be at least {MIN_SERVICE_TIME_MS} ms, not {value_ms:e} ms"),
                Some("for more capacity, add instances or a larger size".into()),
            );
        }
        self.at_most(field, value_ms, MAX_TIME_MS, " ms");
    }

    /// A time of zero or more, in ms, up to `MAX_TIME_MS`.
    fn time_ms(&mut self, field: &'static str, value_ms: f64) {
        self.non_negative(field, value_ms);
        self.at_most(field, value_ms, MAX_TIME_MS, " ms");
    }

    /// A timeout: above zero, up to `MAX_TIME_MS`.
    fn timeout_ms(&mut self, field: &'static str, value_ms: f64) {
        self.positive(field, value_ms);
        self.at_most(field, value_ms, MAX_TIME_MS, " ms");
    }

    /// A token bucket: a rate from `MIN_RATE_PER_S` to `MAX_RATE_PER_S`, a burst of at least
    /// one request and at most `MAX_BURST`.
    fn rate_limit(&mut self, limit: Option<&crate::model::RateLimit>) {
        if let Some(limit) = limit {
            self.rate_per_s("rate_per_s", limit.rate_per_s);
            self.between("burst", limit.burst, (1.0, MAX_BURST), " requests");
        }
    }

    /// A link's retry policy: 1 to `MAX_ATTEMPTS` tries, a timeout and backoffs within
    /// `MAX_RETRY_WAIT_MS` (the cap at least the base), a budget ratio within its range.
    fn retry(&mut self, retry: Option<&crate::model::RetryPolicy>) {
        let Some(retry) = retry else {
            return;
        };
        self.count("attempts", retry.attempts, MAX_ATTEMPTS);
        if let Some(timeout_ms) = retry.timeout_ms {
            self.positive("timeout_ms", timeout_ms);
            self.at_most("timeout_ms", timeout_ms, MAX_RETRY_WAIT_MS, " ms");
        }
        self.between(
            "backoff_base_ms",
            retry.backoff_base_ms,
            (0.0, MAX_RETRY_WAIT_MS),
            " ms",
        );
        self.between(
            "backoff_cap_ms",
            retry.backoff_cap_ms,
            (0.0, MAX_RETRY_WAIT_MS),
            " ms",
        );
        if retry.backoff_cap_ms < retry.backoff_base_ms {
            self.error(
                "backoff_cap_ms",
                format!(
                    "backoff_cap_ms ({}) must be at least backoff_base_ms ({})",
                    shown(retry.backoff_cap_ms),
                    shown(retry.backoff_base_ms)
                ),
                Some("the cap bounds the doubling backoff from above".into()),
            );
        }
        if let Some(ratio) = retry.budget_ratio {
            self.between(
                "budget_ratio",
                ratio,
                (MIN_BUDGET_RATIO, MAX_BUDGET_RATIO),
                " retries per first try",
            );
        }
    }

    /// A group's autoscaling: a target from 0.05 to 0.95, 1 ≤ min ≤ the group's count (`field`,
    /// where it starts) ≤ max ≤ `most` (a server tier's `MAX_INSTANCES`, a queue's
    /// `MAX_CONSUMERS`), times within `MAX_AUTOSCALE_S` (an interval of at least a second).
    fn autoscale(
        &mut self,
        autoscale: Option<&crate::model::Autoscaling>,
        (field, instances): (&'static str, u32),
        most: u32,
    ) {
        let Some(a) = autoscale else {
            return;
        };
        self.between("target_utilization", a.target_utilization, (0.05, 0.95), "");
        self.count("min_instances", a.min_instances, most);
        self.count("max_instances", a.max_instances, most);
        self.between("provision_s", a.provision_s, (0.0, MAX_AUTOSCALE_S), " s");
        self.between("cooldown_s", a.cooldown_s, (0.0, MAX_AUTOSCALE_S), " s");
        self.between("interval_s", a.interval_s, (1.0, MAX_AUTOSCALE_S), " s");
        if a.min_instances > a.max_instances {
            self.error(
                "min_instances",
                format!(
                    "min_instances ({}) must be at most max_instances ({})",
                    a.min_instances, a.max_instances
                ),
                None,
            );
        } else if !(a.min_instances..=a.max_instances).contains(&instances) {
            self.error(
                field,
                format!(
                    "{field} ({instances}) is where autoscaling starts: it must be between \
                     min_instances ({}) and max_instances ({})",
                    a.min_instances, a.max_instances
                ),
                None,
            );
        }
    }

    /// A link's circuit breaker: a failure ratio from 0.01 to 1, a window and an open time
    /// from `MIN_BREAKER_S` to `MAX_BREAKER_S`, call counts from 1 to `MAX_BREAKER_CALLS`.
    fn breaker(&mut self, breaker: Option<&crate::model::CircuitBreaker>) {
        let Some(b) = breaker else {
            return;
        };
        self.between("failure_ratio", b.failure_ratio, (0.01, 1.0), "");
        self.between("window_s", b.window_s, (MIN_BREAKER_S, MAX_BREAKER_S), " s");
        self.between("open_s", b.open_s, (MIN_BREAKER_S, MAX_BREAKER_S), " s");
        self.count("min_calls", b.min_calls, MAX_BREAKER_CALLS);
        self.count("probes", b.probes, MAX_BREAKER_CALLS);
    }

    /// A rate from `MIN_RATE_PER_S` to `MAX_RATE_PER_S`.
    fn rate_per_s(&mut self, field: &'static str, value: f64) {
        self.between(
            field,
            value,
            (MIN_RATE_PER_S, MAX_RATE_PER_S),
            " per second",
        );
    }

    /// A finite number from `low` to `high`, reported with `unit`.
    fn between(&mut self, field: &'static str, value: f64, (low, high): (f64, f64), unit: &str) {
        if !(value.is_finite() && (low..=high).contains(&value)) {
            self.error(
                field,
                format!(
                    "{field} must be between {} and {}{unit}, not {}",
                    shown(low),
                    shown(high),
                    shown(value)
                ),
                None,
            );
        }
    }

    /// A time in a scenario: 0 to `MAX_SCENARIO_TIME_S` seconds.
    fn scenario_time(&mut self, field: &'static str, value_s: f64) {
        self.non_negative(field, value_s);
        self.at_most(field, value_s, MAX_SCENARIO_TIME_S, " s");
    }

    /// A profile's period, rise or decay: `MIN_PROFILE_DURATION_S` to `MAX_SCENARIO_TIME_S`.
    fn profile_duration(&mut self, field: &'static str, value_s: f64) {
        self.between(
            field,
            value_s,
            (MIN_PROFILE_DURATION_S, MAX_SCENARIO_TIME_S),
            " s",
        );
    }

    /// A squared coefficient of variation, 0 to `MAX_SCV`.
    fn scv(&mut self, field: &'static str, value: f64) {
        self.non_negative(field, value);
        self.at_most(field, value, MAX_SCV, "");
    }

    /// A load multiplier: 0, or from `MIN_MULTIPLIER` to `MAX_MULTIPLIER`.
    fn multiplier(&mut self, field: &'static str, value: f64) {
        if value != 0.0 {
            self.between(field, value, (MIN_MULTIPLIER, MAX_MULTIPLIER), "");
        }
    }

    fn reliability(&mut self, r: &Reliability) {
        self.positive("mtbf_hours", r.mtbf_hours);
        self.non_negative("mttr_hours", r.mttr_hours);
    }

    fn usl(&mut self, contention: f64, coherency: f64) {
        self.ratio("contention", contention);
        if !coherency.is_finite() || !(0.0..1.0).contains(&coherency) {
            self.error(
                "coherency",
                format!("coherency must be at least 0 and below 1, not {coherency}"),
                None,
            );
        }
    }

    fn size(&mut self, size: &str) {
        if self.v.prices.size(size).is_none() {
            let largest = self.v.prices.largest();
            self.error(
                "size",
                format!(
                    "size '{size}' is not in the price table (sizes: {}); the largest, '{}' with {} vCPU, is the vertical ceiling",
                    self.v.prices.size_names().join(", "),
                    largest.name,
                    largest.vcpu
                ),
                Some("for more capacity than the largest size, scale out instead: add instances".into()),
            );
        }
    }
}

impl<'a> Validator<'a> {
    fn index_of(&self) -> HashMap<ComponentId, usize> {
        self.design
            .components()
            .enumerate()
            .map(|(i, (id, _))| (id, i))
            .collect()
    }

    fn subject_of(&self, id: ComponentId, index: usize) -> Subject {
        Subject::Component {
            index,
            name: self
                .design
                .component(id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        }
    }

    fn components(&mut self) {
        let design = self.design;
        let mut seen: HashSet<&str> = HashSet::new();
        for (index, (id, component)) in design.components().enumerate() {
            let subject = Subject::Component {
                index,
                name: component.name.clone(),
            };
            let kind = component.kind.name();
            let who = format!("{} '{}'", kind.label().to_lowercase(), component.name);
            if component.name.trim().is_empty() {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("name"),
                    format!("a {} has an empty name", kind.label().to_lowercase()),
                    Some("every component needs a name that is unique in the design".into()),
                ));
            } else if let Some(issue) = control_characters(&subject, "name", &component.name) {
                self.issues.push(issue);
            } else if !seen.insert(component.name.as_str()) {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("name"),
                    format!(
                        "{who}: the name '{}' is used by another component",
                        component.name
                    ),
                    Some("names must be unique in a design; rename one of them".into()),
                ));
            }
            let (x, y) = component.position;
            if !x.is_finite() || !y.is_finite() {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("position"),
                    format!("{who}: position must be finite numbers"),
                    None,
                ));
            }
            let mut n = Numbers {
                v: self,
                subject: subject.clone(),
                who: who.clone(),
            };
            match &component.kind {
                ComponentKind::Client(p) => {
                    // A closed workload's rate follows from its users and think time; the
                    // open rate it keeps (for a switch back) is read by nothing and shown
                    // nowhere, so it is not held against the design.
                    if matches!(p.workload, Workload::Open) {
                        n.between(
                            "rate_per_user_per_s",
                            p.rate_per_user_per_s,
                            (MIN_RATE_PER_USER_PER_S, MAX_RATE_PER_S),
                            " per second",
                        );
                    }
                    if let Some(deadline_ms) = p.deadline_ms {
                        n.timeout_ms("deadline_ms", deadline_ms);
                    }
                    if let Some(think_time_s) = p.think_time_s() {
                        n.between(
                            "think_time_s",
                            think_time_s,
                            (MIN_THINK_TIME_S, MAX_THINK_TIME_S),
                            " s",
                        );
                    }
                    let offered = p.rate_per_s();
                    if beyond_max_rate(offered) {
                        n.error(
                            "users",
                            format!(
                                "{} users offer up to {offered:e} requests a second; at most {MAX_RATE_PER_S:e} can be simulated",
                                p.users
                            ),
                            Some("fewer users, or fewer requests per user".into()),
                        );
                    }
                    n.ratio("read", p.mix.read);
                    n.ratio("write", p.mix.write);
                    n.ratio("static", p.mix.static_files);
                    n.ratio("async", p.mix.async_jobs);
                    let total = p.mix.total();
                    if total.is_finite() && (total - 1.0).abs() > 1e-6 {
                        n.error(
                            "mix",
                            format!("the traffic mix sums to {total}, not 1"),
                            Some(
                                "the read, write, static and async shares must add up to 1".into(),
                            ),
                        );
                    }
                }
                ComponentKind::LoadBalancer(p) => {
                    n.count("instances", p.instances, MAX_INSTANCES);
                    n.rate_per_s("capacity_per_s", p.capacity_per_s);
                    n.time_ms("latency_ms", p.latency_ms);
                    n.positive("health_check_interval_s", p.health_check_interval_s);
                    n.at_most(
                        "health_check_interval_s",
                        p.health_check_interval_s,
                        MAX_HEALTH_CHECK_INTERVAL_S,
                        " s",
                    );
                    n.count(
                        "unhealthy_threshold",
                        p.unhealthy_threshold,
                        MAX_UNHEALTHY_THRESHOLD,
                    );
                    n.timeout_ms("timeout_ms", p.timeout_ms);
                    n.rate_limit(p.rate_limit.as_ref());
                    n.reliability(&p.reliability);
                }
                ComponentKind::Server(p) => {
                    n.size(&p.size);
                    n.count("instances", p.instances, MAX_INSTANCES);
                    n.service_time("service_time_ms", p.service_time_ms);
                    n.scv("service_scv", p.service_scv);
                    n.usl(p.contention, p.coherency);
                    n.timeout_ms("timeout_ms", p.timeout_ms);
                    n.rate_limit(p.rate_limit.as_ref());
                    n.autoscale(
                        p.autoscale.as_ref(),
                        ("instances", p.instances),
                        MAX_INSTANCES,
                    );
                    n.reliability(&p.reliability);
                }
                ComponentKind::Cache(p) => {
                    n.count("instances", p.instances, MAX_INSTANCES);
                    n.rate_per_s("capacity_per_s", p.capacity_per_s);
                    n.time_ms("latency_ms", p.latency_ms);
                    match &p.hit_ratio {
                        HitRatio::Fixed(h) => n.ratio("hit_ratio", *h),
                        HitRatio::Lru {
                            capacity_items,
                            working_set_items,
                            zipf_exponent,
                        } => {
                            n.positive("capacity_items", *capacity_items);
                            n.at_most("capacity_items", *capacity_items, MAX_ITEMS, "");
                            n.positive("working_set_items", *working_set_items);
                            n.at_most("working_set_items", *working_set_items, MAX_ITEMS, "");
                            n.non_negative("zipf_exponent", *zipf_exponent);
                            n.at_most("zipf_exponent", *zipf_exponent, MAX_KEY_SKEW, "");
                        }
                    }
                    n.non_negative("warmup_s", p.warmup_s);
                    n.timeout_ms("timeout_ms", p.timeout_ms);
                    n.reliability(&p.reliability);
                }
                ComponentKind::Database(p) => {
                    n.size(&p.size);
                    n.count("instances", p.instances, MAX_INSTANCES);
                    n.count("shards", p.shards, MAX_SHARDS);
                    n.service_time("read_service_time_ms", p.read_service_time_ms);
                    n.service_time("write_service_time_ms", p.write_service_time_ms);
                    n.time_ms("replica_apply_ms", p.replica_apply_ms);
                    n.scv("service_scv", p.service_scv);
                    n.usl(p.contention, p.coherency);
                    n.non_negative("key_skew", p.key_skew);
                    n.at_most("key_skew", p.key_skew, MAX_KEY_SKEW, "");
                    n.at_least_one("keys", p.keys);
                    n.count_at_most("keys", p.keys, MAX_KEYS);
                    n.time_ms("replication_lag_ms", p.replication_lag_ms);
                    n.non_negative("failover_s", p.failover_s);
                    n.at_most("failover_s", p.failover_s, MAX_FAILOVER_S, " s");
                    n.timeout_ms("timeout_ms", p.timeout_ms);
                    n.reliability(&p.reliability);
                }
                ComponentKind::MessageQueue(p) => {
                    n.count("instances", p.instances, MAX_INSTANCES);
                    n.rate_per_s("capacity_per_s", p.capacity_per_s);
                    n.time_ms("latency_ms", p.latency_ms);
                    n.at_least_one("max_depth", p.max_depth);
                    n.count("consumers", p.consumers, MAX_CONSUMERS);
                    n.rate_per_s("consumer_rate_per_s", p.consumer_rate_per_s);
                    n.scv("consumer_service_scv", p.consumer_service_scv);
                    n.autoscale(
                        p.autoscale.as_ref(),
                        ("consumers", p.consumers),
                        MAX_CONSUMERS,
                    );
                    n.reliability(&p.reliability);
                }
                ComponentKind::Cdn(p) => {
                    n.ratio("edge_hit_ratio", p.edge_hit_ratio);
                    n.rate_per_s("edge_capacity_per_s", p.edge_capacity_per_s);
                    n.time_ms("edge_latency_ms", p.edge_latency_ms);
                    n.reliability(&p.reliability);
                }
            }
            let outgoing = design.outgoing(id).count();
            if kind == KindName::Client && outgoing == 0 {
                self.issues.push(Issue::error(
                    subject.clone(),
                    None,
                    format!("{who} has no outgoing link, so its requests go nowhere"),
                    Some("link the client to a load balancer, server or CDN".into()),
                ));
            }
            if kind == KindName::Database && outgoing > 0 {
                self.issues.push(Issue::error(
                    subject.clone(),
                    None,
                    format!("{who} has outgoing links, but a database only answers requests"),
                    Some("remove the links that leave the database".into()),
                ));
            }
        }
    }

    fn links(&mut self) {
        let index_of = self.index_of();
        let design = self.design;
        let mut pairs: HashSet<(ComponentId, ComponentId)> = HashSet::new();
        for (index, (_, from, to, link)) in design.links().enumerate() {
            let from_name = design
                .component(from)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let to_name = design
                .component(to)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let subject = Subject::Link {
                index,
                from: from_name.clone(),
                to: to_name.clone(),
            };
            let who = format!("link from '{from_name}' to '{to_name}'");
            if from == to {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("to"),
                    format!("{who} links '{from_name}' to itself"),
                    Some("a component cannot send requests to itself".into()),
                ));
            }
            if !pairs.insert((from, to)) {
                self.issues.push(Issue::error(
                    subject.clone(),
                    None,
                    format!("{who} is a second link between the same two components"),
                    Some("list every class the components exchange on one link".into()),
                ));
            }
            if link.carries.is_empty() {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("carries"),
                    format!("{who} carries no traffic class"),
                    Some("list at least one of Read, Write, Static, Async, Session".into()),
                ));
            }
            let mut n = Numbers {
                v: self,
                subject: subject.clone(),
                who: who.clone(),
            };
            n.between(
                "weight",
                link.weight,
                (MIN_LINK_WEIGHT, 1.0 / MIN_LINK_WEIGHT),
                "",
            );
            n.between(
                "calls_per_request",
                link.calls_per_request,
                (MIN_MULTIPLIER, MAX_CALLS_PER_REQUEST),
                "",
            );
            n.retry(link.retry.as_ref());
            n.breaker(link.breaker.as_ref());
            if link.retry.is_some() || link.breaker.is_some() {
                let from_queue = design
                    .component(from)
                    .is_some_and(|c| c.kind.name() == KindName::MessageQueue);
                if from_queue || link.is_async_only() {
                    let (field, what) = if link.retry.is_some() {
                        ("retry", "retries")
                    } else {
                        ("breaker", "has a circuit breaker")
                    };
                    self.issues.push(Issue::error(
                        subject.clone(),
                        Some(field),
                        format!(
                            "{who} {what}, but it carries background work that no caller waits for"
                        ),
                        Some(
                            "retry on the links of requests someone waits for; a queue's consumers take their work at their own pace"
                                .into(),
                        ),
                    ));
                }
            }
            if design
                .component(to)
                .is_some_and(|c| c.kind.name() == KindName::Client)
            {
                let target_index = index_of.get(&to).copied().unwrap_or(0);
                let _ = target_index;
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("to"),
                    format!("{who} points at client '{to_name}', but clients only send requests"),
                    None,
                ));
            }
            if link.carries(TrafficClass::Session)
                && !design
                    .component(to)
                    .is_some_and(|c| matches!(c.kind.name(), KindName::Cache | KindName::Database))
            {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("carries"),
                    format!(
                        "{who} carries Session lookups, but '{to_name}' is not a cache or database"
                    ),
                    Some("a shared session store is a cache or a database".into()),
                ));
            }
        }
    }

    /// Only links that carry nothing but async work may close a cycle: they go through a
    /// queue and are delivered on the next tick.
    fn cycles(&mut self) {
        let design = self.design;
        let sync_only = EdgeFiltered::from_fn(&design.graph, |e| !e.weight().is_async_only());
        let index_of = self.index_of();
        for scc in kosaraju_scc(&sync_only) {
            let is_cycle = scc.len() > 1;
            if !is_cycle {
                continue;
            }
            let mut members: Vec<ComponentId> = scc;
            members.sort();
            let names: Vec<String> = members
                .iter()
                .filter_map(|id| design.component(*id).map(|c| format!("'{}'", c.name)))
                .collect();
            let first = members[0];
            let subject = self.subject_of(first, index_of.get(&first).copied().unwrap_or(0));
            self.issues.push(Issue::error(
                subject,
                None,
                format!(
                    "components {} form a cycle of requests that would never finish",
                    names.join(", ")
                ),
                Some("only links that carry nothing but Async work (through a queue) may close a loop".into()),
            ));
        }
    }

    /// Traffic that cannot go anywhere, and components that receive nothing.
    fn routes(&mut self) {
        let design = self.design;
        let index_of = self.index_of();
        for (id, component) in design.components() {
            let ComponentKind::Client(p) = &component.kind else {
                continue;
            };
            for class in [
                TrafficClass::Read,
                TrafficClass::Write,
                TrafficClass::Static,
                TrafficClass::Async,
            ] {
                let share = p.mix.share(class);
                if share > 0.0 && !design.outgoing(id).any(|(_, _, l)| l.carries(class)) {
                    self.issues.push(Issue::warning(
                        self.subject_of(id, index_of[&id]),
                        Some("mix"),
                        format!(
                            "client '{}' sends {:.0} % {} requests, but none of its links carries {}; they will fail",
                            component.name,
                            share * 100.0,
                            class.label(),
                            class.label()
                        ),
                        Some(format!("add {class:?} to a link that leaves the client")),
                    ));
                }
            }
        }
        // Components no client reaches.
        let mut reached: HashSet<ComponentId> = HashSet::new();
        let mut stack: Vec<ComponentId> = design.of_kind(KindName::Client).collect();
        while let Some(id) = stack.pop() {
            if reached.insert(id) {
                stack.extend(design.graph.edges(id).map(|e| e.target()));
            }
        }
        for (id, component) in design.components() {
            if !reached.contains(&id) {
                self.issues.push(Issue::warning(
                    self.subject_of(id, index_of[&id]),
                    None,
                    format!(
                        "{} '{}' is not reached from any client, so it gets no traffic",
                        component.kind.name().label().to_lowercase(),
                        component.name
                    ),
                    None,
                ));
            }
        }
    }

    fn scenarios(&mut self) {
        let design = self.design;
        self.issues
            .extend(control_characters(&Subject::Design, "name", &design.name));
        self.issues.extend(control_characters(
            &Subject::Design,
            "description",
            &design.description,
        ));
        if design.scenarios.is_empty() {
            self.issues.push(Issue::error(
                Subject::Design,
                Some("scenarios"),
                format!("design '{}' has no scenario to run", design.name),
                Some("add a scenario with a traffic profile, tick length and duration".into()),
            ));
            return;
        }
        if design.scenario(&design.default_scenario).is_none() {
            self.issues.push(Issue::error(
                Subject::Design,
                Some("default_scenario"),
                format!(
                    "the default scenario '{}' is not one of the design's scenarios ({})",
                    design.default_scenario,
                    design
                        .scenarios
                        .iter()
                        .map(|s| format!("'{}'", s.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            ));
        }
        let mut names = HashSet::new();
        let component_names: HashSet<&str> =
            design.components().map(|(_, c)| c.name.as_str()).collect();
        for (index, scenario) in design.scenarios.iter().enumerate() {
            let subject = Subject::Scenario {
                index,
                name: scenario.name.clone(),
            };
            // Each assertion reads, and names a component the design has (its figure is
            // looked up in the run's report when it is checked).
            for (k, text) in scenario.assertions.iter().enumerate() {
                let problem = match crate::model::assertions::parse(text) {
                    Err(e) => Some(e.to_string()),
                    Ok(a) => a
                        .component
                        .filter(|name| !component_names.contains(name.as_str()))
                        .map(|name| format!("column 1: no component named '{name}'")),
                };
                if let Some(problem) = problem {
                    self.issues.push(Issue::error(
                        subject.clone(),
                        Some("assertions"),
                        format!("assertion {} ('{text}'): {problem}", k + 1),
                        Some(
                            "write a figure, a comparison and a number: 'p99_ms < 200', \
                             'success >= 0.999', 'kitchen.utilization < 0.8'"
                                .into(),
                        ),
                    ));
                }
            }
            self.issues
                .extend(control_characters(&subject, "name", &scenario.name));
            self.issues.extend(control_characters(
                &subject,
                "description",
                &scenario.description,
            ));
            if !names.insert(scenario.name.as_str()) {
                self.issues.push(Issue::error(
                    subject.clone(),
                    Some("name"),
                    format!("the scenario name '{}' is used twice", scenario.name),
                    None,
                ));
            }
            self.scenario(subject, scenario);
        }
    }

    fn scenario(&mut self, subject: Subject, s: &Scenario) {
        let design = self.design;
        let base_offered_per_s: f64 = design
            .components()
            .filter_map(|(_, c)| match &c.kind {
                ComponentKind::Client(p) => Some(p.rate_per_s()),
                _ => None,
            })
            .sum();
        let mut n = Numbers {
            v: self,
            subject: subject.clone(),
            who: format!("scenario '{}'", s.name),
        };
        if !(s.tick_s.is_finite() && (0.001..=60.0).contains(&s.tick_s)) {
            n.error(
                "tick_s",
                format!(
                    "tick_s must be between 0.001 and 60 seconds, not {}",
                    s.tick_s
                ),
                None,
            );
        }
        n.positive("duration_s", s.duration_s);
        if s.tick_s > 0.0 && s.duration_s.is_finite() && s.duration_s / s.tick_s > MAX_TICKS as f64
        {
            n.error(
                "duration_s",
                format!(
                    "the run would take {:.0} ticks; at most {MAX_TICKS} are allowed",
                    s.duration_s / s.tick_s
                ),
                Some("use longer ticks or a shorter duration".into()),
            );
        }
        if let Some(w) = s.warmup_s {
            n.non_negative("warmup_s", w);
            if w.is_finite() && w >= s.duration_s {
                n.error(
                    "warmup_s",
                    format!(
                        "warmup_s ({w}) must be shorter than the run ({})",
                        s.duration_s
                    ),
                    None,
                );
            }
        }
        n.between(
            "load_multiplier",
            s.load_multiplier,
            (MIN_MULTIPLIER, MAX_MULTIPLIER),
            "",
        );
        if !(s.target_success_ratio.is_finite()
            && s.target_success_ratio > 0.0
            && s.target_success_ratio <= 1.0)
        {
            n.error(
                "target_success_ratio",
                format!(
                    "target_success_ratio must be above 0 and at most 1, not {}",
                    s.target_success_ratio
                ),
                None,
            );
        }
        match &s.profile {
            TrafficProfile::Constant => {}
            TrafficProfile::Ramp {
                from,
                to,
                start_s,
                end_s,
            } => {
                n.multiplier("from", *from);
                n.multiplier("to", *to);
                n.scenario_time("start_s", *start_s);
                n.scenario_time("end_s", *end_s);
                if end_s.partial_cmp(start_s) != Some(std::cmp::Ordering::Greater) {
                    n.error(
                        "end_s",
                        format!("the ramp must end after it starts ({start_s} s)"),
                        None,
                    );
                }
            }
            TrafficProfile::StepSurge {
                at_s,
                multiplier,
                until_s,
            } => {
                n.scenario_time("at_s", *at_s);
                if let Some(u) = until_s {
                    n.scenario_time("until_s", *u);
                }
                n.multiplier("multiplier", *multiplier);
                if let Some(u) = until_s
                    && u.partial_cmp(at_s) != Some(std::cmp::Ordering::Greater)
                {
                    n.error(
                        "until_s",
                        format!("the surge must end after it starts ({at_s} s)"),
                        None,
                    );
                }
            }
            TrafficProfile::Spike {
                at_s,
                peak,
                rise_s,
                decay_s,
            } => {
                n.scenario_time("at_s", *at_s);
                n.multiplier("peak", *peak);
                n.profile_duration("rise_s", *rise_s);
                n.profile_duration("decay_s", *decay_s);
            }
            TrafficProfile::DailyWave {
                period_s,
                trough,
                peak,
                peak_at_s,
            } => {
                n.profile_duration("period_s", *period_s);
                n.multiplier("trough", *trough);
                n.multiplier("peak", *peak);
                n.scenario_time("peak_at_s", *peak_at_s);
            }
            TrafficProfile::Points(points) => {
                for (t, m) in points {
                    n.scenario_time("Points", *t);
                    n.multiplier("Points", *m);
                }
                if points.windows(2).any(|w| w[1].0 < w[0].0) {
                    n.error("Points", "the points must be in time order".into(), None);
                }
            }
        }
        let peak_per_s = base_offered_per_s * s.load_multiplier * s.profile.peak_multiplier();
        if peak_per_s.is_finite() && beyond_max_rate(peak_per_s) {
            n.error(
                "load_multiplier",
                format!(
                    "at its peak the scenario offers {peak_per_s:e} requests a second (the clients' {base_offered_per_s:e} × load_multiplier {} × the profile's peak {}); at most {MAX_RATE_PER_S:e} can be simulated",
                    s.load_multiplier,
                    s.profile.peak_multiplier()
                ),
                Some("lower load_multiplier, the profile's peak or the clients' users".into()),
            );
        }
        for failure in &s.failures {
            let Some(id) = design.find(&failure.component) else {
                n.error(
                    "failures",
                    format!(
                        "a failure names component '{}', which is not in the design",
                        failure.component
                    ),
                    Some("check the spelling of the component name".into()),
                );
                continue;
            };
            n.scenario_time("at_s", failure.at_s);
            if let Some(r) = failure.recover_at_s {
                n.scenario_time("recover_at_s", r);
            }
            if let Some(r) = failure.recover_at_s
                && r.partial_cmp(&failure.at_s) != Some(std::cmp::Ordering::Greater)
            {
                n.error(
                    "recover_at_s",
                    format!(
                        "'{}' must recover after it fails ({} s)",
                        failure.component, failure.at_s
                    ),
                    None,
                );
            }
            let available = design.component(id).map_or(1, |c| c.kind.machines());
            if let Some(k) = failure.instances
                && (k == 0 || k > available)
            {
                n.error(
                    "instances",
                    format!(
                        "a failure of {k} instances of '{}', which has {available}",
                        failure.component
                    ),
                    Some("fail between 1 and all of its instances, or leave `instances` out to fail them all".into()),
                );
            }
        }
    }
}
