//! Links: directed edges that carry traffic classes from one component to another.

use serde::{Deserialize, Serialize};

use super::component::TrafficClass;

/// A directed link. Its ends live in the graph; in a file they are component names.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The traffic classes this link carries, sorted and without repeats.
    pub carries: Vec<TrafficClass>,
    /// Share of traffic when the source splits requests over several links
    /// (clients, load balancers, caches, CDNs, queues); relative to the others.
    pub weight: f64,
    /// Calls a server makes down this link for each request it serves (forced flow: a page
    /// that runs 4 queries has 4 here).
    pub calls_per_request: f64,
    /// How the sender times out and retries its calls down this link; `None`: it waits for
    /// every answer and a failed call fails its request.
    pub retry: Option<RetryPolicy>,
    /// A circuit breaker on the sender's calls down this link; `None`: none.
    pub breaker: Option<CircuitBreaker>,
}

/// A circuit breaker on a link: while the sender's calls down it fail too often, it stops
/// making them for a while.
///
/// **Closed**, calls go through, and their outcomes are counted over the last `window_s`
/// (a failed attempt, a timed-out one included, is a failed call), in ten buckets of a tenth
/// of it each, as Hystrix counts (so the window holds between nine and ten tenths of
/// `window_s`). When the window holds at
/// least `min_calls` calls and `failure_ratio` of them failed, the breaker **opens** for
/// `open_s`: calls down the link fail at once without reaching it, and a sender that splits
/// its requests (a client, a balancer, a cache's misses) sends them down its other links
/// instead (its fallback). Then it is **half-open**: it lets `probes` calls through; if they
/// all succeed it closes (with an empty window), if one fails it opens again.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Open when at least this share of the window's calls failed (0.01 to 1).
    pub failure_ratio: f64,
    /// The window the share is counted over, in seconds.
    pub window_s: f64,
    /// Judge only a window with at least this many calls.
    pub min_calls: u32,
    /// How long it stays open, in seconds.
    pub open_s: f64,
    /// Calls let through when half-open.
    pub probes: u32,
}

impl Default for CircuitBreaker {
    /// A common setting: open at half the calls failing over 10 s (20 calls at least), for
    /// 30 s, then five probes.
    fn default() -> Self {
        Self {
            failure_ratio: 0.5,
            window_s: 10.0,
            min_calls: 20,
            open_s: 30.0,
            probes: 5,
        }
    }
}

/// How a caller waits for and retries its calls down a link.
///
/// An attempt **fails** when it is dropped, turned away or answered with an error at or
/// below the link's target, or when its answer has not come back within `timeout_ms` (the
/// caller gives up on it; the work it started goes on below, wasted). A failed attempt is
/// tried again after a backoff, up to `attempts` tries in all, while the budget allows; a
/// call whose last try fails (or whose retry the budget refuses) fails as it would without
/// retries. Retry n (n = 1 for the first) waits min(cap, base · 2^(n−1)); with jitter, a
/// uniform draw between 0 and that ("full jitter"). The budget: within each second of the
/// run, the link's retries stay within `budget_ratio` × its first tries in that second so far.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// The most tries of one call, the first included (1: no retry, only the timeout).
    pub attempts: u32,
    /// How long the caller waits for one attempt's answer, in ms; `None`: as long as it takes.
    pub timeout_ms: Option<f64>,
    /// The wait before the first retry, in ms; it doubles with each retry.
    pub backoff_base_ms: f64,
    /// The longest wait before a retry, in ms.
    pub backoff_cap_ms: f64,
    /// Draw each wait uniformly between 0 and the backoff ("full jitter"), so that callers who
    /// failed together do not come back together.
    pub jitter: bool,
    /// At most this many retries per first try, counted over each second; `None`: no budget.
    pub budget_ratio: Option<f64>,
}

impl Default for RetryPolicy {
    /// What a careful client library does: three tries, a one-second timeout, exponential
    /// backoff from 50 ms to 2 s with full jitter, and retries held to a tenth of first tries.
    fn default() -> Self {
        Self {
            attempts: 3,
            timeout_ms: Some(1_000.0),
            backoff_base_ms: 50.0,
            backoff_cap_ms: 2_000.0,
            jitter: true,
            budget_ratio: Some(0.1),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry `n` (1 for the first), in seconds, before any jitter.
    pub fn backoff_s(&self, n: u32) -> f64 {
        let doublings = n.saturating_sub(1).min(62);
        let ms = (self.backoff_base_ms * (1u64 << doublings) as f64).min(self.backoff_cap_ms);
        ms.max(0.0) / 1000.0
    }

    /// The attempt timeout in seconds, if any.
    pub fn timeout_s(&self) -> Option<f64> {
        self.timeout_ms.map(|ms| ms / 1000.0)
    }

    /// Attempts per call when each attempt fails independently with chance `p` and nothing
    /// holds retries back: 1 + p + … + p^(attempts − 1) = (1 − p^attempts)/(1 − p).
    pub fn amplification(&self, p: f64) -> f64 {
        (0..self.attempts.max(1)).map(|n| p.powi(n as i32)).sum()
    }
}

impl Link {
    /// A link carrying the given classes with weight 1 and one call per request.
    pub fn new(classes: &[TrafficClass]) -> Self {
        let mut carries = classes.to_vec();
        carries.sort();
        carries.dedup();
        Self {
            carries,
            weight: 1.0,
            calls_per_request: 1.0,
            retry: None,
            breaker: None,
        }
    }

    /// Whether the link carries a class.
    pub fn carries(&self, class: TrafficClass) -> bool {
        self.carries.contains(&class)
    }

    /// A link that carries only background work: the only kind allowed to close a cycle.
    pub fn is_async_only(&self) -> bool {
        !self.carries.is_empty() && self.carries.iter().all(|c| *c == TrafficClass::Async)
    }
}

/// A link as written in a design file: its ends by component name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRecord {
    /// Name of the component the link leaves.
    pub from: String,
    /// Name of the component the link enters.
    pub to: String,
    /// The traffic classes the link carries (sorted and without repeats once read).
    pub carries: Vec<TrafficClass>,
    /// Share of traffic when the source splits requests over several links, relative to the others
    /// (default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Calls a server makes down this link for each request it serves (default 1, at most 1,000).
    #[serde(default = "one")]
    pub calls_per_request: f64,
    /// The sender's timeout and retries on this link (default none).
    #[serde(default)]
    pub retry: Option<RetryPolicy>,
    /// A circuit breaker on the sender's calls down this link (default none).
    #[serde(default)]
    pub breaker: Option<CircuitBreaker>,
}

fn one() -> f64 {
    1.0
}

/// The label at a link's middle: the classes it carries ("R W"), and its calls per request
/// when not one ("R ×3").
pub fn link_label(link: &Link) -> String {
    let classes: Vec<&str> = link
        .carries
        .iter()
        .map(|c| match c {
            TrafficClass::Read => "R",
            TrafficClass::Write => "W",
            TrafficClass::Static => "S",
            TrafficClass::Async => "A",
            TrafficClass::Session => "sess",
        })
        .collect();
    let mut text = classes.join(" ");
    if link.calls_per_request != 1.0 {
        text.push_str(&format!(" ×{}", link.calls_per_request));
    }
    // A retrying link says how many tries, and whether a budget holds them ("retry 3/10 %").
    if let Some(retry) = &link.retry
        && retry.attempts > 1
    {
        text.push_str(&format!(" · retry {}", retry.attempts));
        if let Some(ratio) = retry.budget_ratio {
            text.push_str(&format!("/{}%", (ratio * 100.0).round()));
        }
    } else if link.retry.is_some_and(|r| r.timeout_ms.is_some()) {
        text.push_str(" · timeout");
    }
    if link.breaker.is_some() {
        text.push_str(" · breaker");
    }
    text
}
