//! Speed of the events engine on one thread: `cargo bench --bench events`. The design is
//! 2,000 requests a second through a round-robin balancer to eight one-core servers (ρ 0.8)
//! that each call a 16-core back end (ρ 0.5): four events a request (an arrival and three
//! services). Prints the median of five runs of 1,000 simulated seconds as `events/s: X` and
//! `requests/s: X` (the last lines).

use std::time::Instant;

use archsandbox::model::{
    ArrivalProcess, BalancingAlgorithm, ClientParams, Component, ComponentKind, Design, Link,
    LoadBalancerParams, PriceTable, Scenario, ServerParams, TrafficClass, TrafficMix,
};
use archsandbox::sim::events::{EventsOptions, run_events};

fn placed(name: &str, column: u8, kind: ComponentKind) -> Component {
    Component {
        name: name.into(),
        position: (200.0 * f32::from(column), 0.0),
        kind,
    }
}

fn server(name: &str, column: u8, size: &str, instances: u32, service_ms: f64) -> Component {
    placed(
        name,
        column,
        ComponentKind::Server(ServerParams {
            size: size.into(),
            instances,
            service_time_ms: service_ms,
            contention: 0.0,
            coherency: 0.0,
            ..ServerParams::default()
        }),
    )
}

fn main() {
    let reads = || Link::new(&[TrafficClass::Read]);
    let mut design = Design::new("events bench");
    let users = design.add(placed(
        "users",
        0,
        ComponentKind::Client(ClientParams {
            users: 2_000,
            rate_per_user_per_s: 1.0,
            mix: TrafficMix {
                read: 1.0,
                write: 0.0,
                static_files: 0.0,
                async_jobs: 0.0,
            },
            arrivals: ArrivalProcess::Poisson,
            ..ClientParams::default()
        }),
    ));
    let lb = design.add(placed(
        "lb",
        1,
        ComponentKind::LoadBalancer(LoadBalancerParams {
            algorithm: BalancingAlgorithm::RoundRobin,
            capacity_per_s: 1e6,
            latency_ms: 0.1,
            ..LoadBalancerParams::default()
        }),
    ));
    let front = design.add(server("front", 2, "small", 8, 3.2));
    let back = design.add(server("back", 3, "2xlarge", 1, 4.0));
    design.connect(users, lb, reads());
    design.connect(lb, front, reads());
    design.connect(front, back, reads());
    let scenario = Scenario {
        name: "bench".into(),
        duration_s: 1_000.0,
        seed: 1,
        ..Scenario::default()
    };
    let prices = PriceTable::builtin();
    let mut timings = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let started = Instant::now();
        let run = run_events(&design, &scenario, &prices, &EventsOptions::default())
            .expect("the bench design runs");
        timings.push(started.elapsed().as_secs_f64());
        last = Some(run);
    }
    timings.sort_by(f64::total_cmp);
    let median_s = timings[timings.len() / 2];
    let Some(run) = last else {
        return;
    };
    println!(
        "{} events, {} requests in {:.3} s (median of 5; fastest {:.3} s)",
        run.events, run.requests, median_s, timings[0]
    );
    println!("events/s: {:.0}", run.events as f64 / median_s);
    println!("requests/s: {:.0}", run.requests as f64 / median_s);
}
