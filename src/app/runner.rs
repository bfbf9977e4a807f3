//! The simulation runner: owns a [`Simulation`] and advances it at the chosen speed, off the UI
//! thread, publishing what the canvas and plots draw. The UI sends it messages and reads its
//! latest output; it never waits for it. Tests run the same core inline, tick by tick.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::model::{ComponentId, Design, PriceTable, Scenario};
use crate::sim::state::NodeTick;
use crate::sim::{RunOptions, Simulation, SystemTick};

/// What the canvas shows of a component now.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NodeView {
    /// What the component did in the latest tick: arrivals, utilization, backlog and the rest.
    pub tick: NodeTick,
    /// Instances down.
    pub down: u32,
    /// An autoscaled tier: its instances in service and booting now.
    pub scaling: Option<(u32, u32)>,
    /// Its own latency now, from its queueing model.
    pub latency_mean_ms: f64,
    /// Its own 99th-percentile latency now, from its queueing model, in milliseconds.
    pub latency_p99_ms: f64,
}

impl NodeView {
    /// Saturated: utilization ≥ 0.9, or shedding work for want of capacity.
    pub fn saturated(&self) -> bool {
        self.tick.utilization >= crate::sim::report::SATURATED_UTILIZATION
            || self.tick.overflow_dropped > 0
    }
}

/// What the runner publishes. The latest state is replaced; the ticks since the UI last
/// looked are queued in `fresh` for it to take (so nothing large is copied per frame).
#[derive(Clone, Debug, Default)]
pub struct RunnerOutput {
    /// Bumped when the run starts again (the UI clears its plots).
    pub generation: u64,
    /// The design revision the simulation runs.
    pub revision: u64,
    /// Why the design cannot run, if it cannot.
    pub error: Option<String>,
    /// Whether the run is playing (else paused, or the design cannot run).
    pub playing: bool,
    /// Ticks simulated since the run started from time zero.
    pub tick: u64,
    /// Simulated seconds per tick.
    pub tick_s: f64,
    /// What each component shows now, by id.
    pub nodes: HashMap<ComponentId, NodeView>,
    /// The links whose circuit breakers are open (or half-open) now.
    pub open_breakers: Vec<crate::model::LinkId>,
    /// Components in the order of `fresh_utilization`'s rows.
    pub ids: Vec<ComponentId>,
    /// Ticks the UI has not taken yet.
    pub fresh: Vec<SystemTick>,
    /// Per fresh tick, every component's utilization (in `ids` order).
    pub fresh_utilization: Vec<Vec<f32>>,
    /// The design's base load in requests per second: every client at load multiplier 1 and
    /// profile 1.
    pub base_rate_per_s: f64,
    /// The load multiplier the run uses: the scenario's times the load slider's.
    pub load_multiplier: f64,
    /// Simulated seconds per real second.
    pub speed: f64,
}

/// Fresh ticks kept for a UI that does not look (older ones are dropped).
const FRESH_LIMIT: usize = 20_000;

/// A message to the runner.
#[derive(Clone, Debug)]
pub enum RunnerMsg {
    /// Run this design and scenario from the start (the design changed, or a reset).
    Load {
        /// The design to run.
        design: Box<Design>,
        /// The scenario that drives it.
        scenario: Box<Scenario>,
        /// The price table, whose instance sizes give the components their capacity.
        prices: Box<PriceTable>,
        /// The load multiplier to run at: the scenario's times the load slider's.
        load_multiplier: f64,
        /// Published back as [`RunnerOutput::revision`], so the UI knows which design the output
        /// is of.
        revision: u64,
    },
    /// Run on in real time at the current speed.
    Play,
    /// Stop advancing, keeping the run where it is.
    Pause,
    /// Pause and simulate a single tick.
    Step,
    /// Start the same design and scenario again from time zero.
    Reset,
    /// Set the speed, in simulated seconds per real second (kept between 0.1 and a million).
    Speed(f64),
    /// Set the load multiplier (the scenario's times the slider's) from the next tick on.
    SetLoad(f64),
    /// Take this many instances of a component down now (all of them for `None`).
    Fail(ComponentId, Option<u32>),
    /// Bring every down instance of a component back now (a cache comes back cold).
    Recover(ComponentId),
    /// Stop the runner's thread.
    Quit,
}

/// The runner's state: the simulation and how fast it goes.
struct Core {
    sim: Option<Simulation>,
    design: Option<(Box<Design>, Box<Scenario>, Box<PriceTable>)>,
    ids: Vec<ComponentId>,
    output: RunnerOutput,
    /// Simulated time owed to real time while playing, in seconds.
    owed_s: f64,
    /// The user wants the run playing (Play pressed, not paused since): a design that cannot
    /// run pauses it, and once the design can run again it plays on (a new design went valid
    /// and sat at t = 0).
    wants_play: bool,
}

impl Core {
    fn new() -> Self {
        Self {
            sim: None,
            design: None,
            ids: Vec::new(),
            output: RunnerOutput {
                speed: 10.0,
                load_multiplier: 1.0,
                tick_s: 1.0,
                ..RunnerOutput::default()
            },
            owed_s: 0.0,
            wants_play: false,
        }
    }

    /// Handle one message. Returns false to stop.
    fn handle(&mut self, msg: RunnerMsg) -> bool {
        match msg {
            RunnerMsg::Load {
                design,
                scenario,
                prices,
                load_multiplier,
                revision,
            } => {
                self.output.revision = revision;
                self.output.load_multiplier = load_multiplier;
                self.design = Some((design, scenario, prices));
                self.restart();
            }
            RunnerMsg::Reset => self.restart(),
            RunnerMsg::Play => {
                self.wants_play = true;
                self.output.playing = self.sim.is_some();
                self.owed_s = 0.0;
            }
            RunnerMsg::Pause => {
                self.wants_play = false;
                self.output.playing = false;
            }
            RunnerMsg::Step => {
                self.wants_play = false;
                self.output.playing = false;
                self.advance_ticks(1);
            }
            RunnerMsg::Speed(s) => self.output.speed = s.clamp(0.1, 1_000_000.0),
            RunnerMsg::SetLoad(m) => {
                self.output.load_multiplier = m;
                if let Some(sim) = &mut self.sim {
                    sim.set_load_multiplier(m);
                }
            }
            RunnerMsg::Fail(id, k) => {
                if let Some(sim) = &mut self.sim {
                    sim.fail(id, k);
                    self.publish_nodes();
                }
            }
            RunnerMsg::Recover(id) => {
                if let Some(sim) = &mut self.sim {
                    sim.recover(id);
                    self.publish_nodes();
                }
            }
            RunnerMsg::Quit => return false,
        }
        true
    }

    fn restart(&mut self) {
        self.output.generation += 1;
        self.output.fresh.clear();
        self.output.fresh_utilization.clear();
        self.output.nodes.clear();
        self.output.open_breakers.clear();
        self.output.tick = 0;
        self.output.error = None;
        self.sim = None;
        let Some((design, scenario, prices)) = &self.design else {
            return;
        };
        self.ids = design.components().map(|(id, _)| id).collect();
        self.output.ids = self.ids.clone();
        let options = RunOptions {
            load_multiplier: Some(
                self.output.load_multiplier / scenario.load_multiplier.max(f64::MIN_POSITIVE),
            ),
            samples_per_tick: Some(16),
            keep_history: false,
            live_latency: true,
            ..RunOptions::default()
        };
        match Simulation::with_options(design, scenario, prices, options) {
            Ok(sim) => {
                self.output.tick_s = sim.tick_s();
                self.output.base_rate_per_s = sim.base_rate_per_s();
                self.sim = Some(sim);
                self.output.playing = self.wants_play;
                self.publish_nodes();
            }
            Err(e) => {
                self.output.error = Some(e.to_string());
                self.output.playing = false;
            }
        }
    }

    /// Simulate `n` ticks, recording history.
    fn advance_ticks(&mut self, n: u64) {
        let Some(sim) = &mut self.sim else {
            return;
        };
        for _ in 0..n {
            // The app runs without end: past the scenario's last tick, its profile holds.
            if sim.is_finished() {
                sim.extend(3_600);
            }
            let Ok(t) = sim.step() else {
                break;
            };
            let t = *t;
            self.output.fresh.push(t);
            self.output.fresh_utilization.push(
                self.ids
                    .iter()
                    .map(|&id| sim.node_tick(id).map_or(0.0, |n| n.utilization as f32))
                    .collect(),
            );
            if self.output.fresh.len() > FRESH_LIMIT {
                self.output.fresh.remove(0);
                self.output.fresh_utilization.remove(0);
            }
        }
        self.publish_nodes();
    }

    fn publish_nodes(&mut self) {
        let Some(sim) = &self.sim else {
            return;
        };
        self.output.tick = sim.tick();
        self.output.open_breakers = sim.open_breakers();
        for &id in &self.ids {
            let Some(tick) = sim.node_tick(id) else {
                continue;
            };
            let (mean, p99) = sim.latency_now_ms(id).unwrap_or_default();
            self.output.nodes.insert(
                id,
                NodeView {
                    tick,
                    down: sim.down_instances(id),
                    scaling: sim.scaling_now(id),
                    latency_mean_ms: mean,
                    latency_p99_ms: p99,
                },
            );
        }
    }

    /// While playing, simulate the ticks that `real_s` of wall time is worth at the current
    /// speed, spending at most `budget`. Returns whether anything was simulated.
    fn play_for(&mut self, real_s: f64, budget: Duration) -> bool {
        if !self.output.playing || self.sim.is_none() {
            return false;
        }
        let tick_s = self.output.tick_s.max(1e-6);
        // Never owe more than a second of real time: a slow machine drops behind, not away.
        self.owed_s = (self.owed_s + real_s * self.output.speed).min(self.output.speed.max(tick_s));
        let due = (self.owed_s / tick_s) as u64;
        if due == 0 {
            return false;
        }
        let start = Instant::now();
        let mut done = 0;
        while done < due && start.elapsed() < budget {
            let chunk = (due - done).min(50);
            self.advance_ticks(chunk);
            done += chunk;
        }
        self.owed_s -= done as f64 * tick_s;
        if done < due {
            // Could not keep up: forget the rest rather than fall ever further behind.
            self.owed_s = 0.0;
        }
        true
    }
}

/// The runner: on its own thread in the app, inline in tests.
pub struct SimRunner {
    tx: Option<Sender<RunnerMsg>>,
    shared: Arc<Mutex<RunnerOutput>>,
    inline: Option<Box<Core>>,
    handle: Option<JoinHandle<()>>,
}

impl SimRunner {
    /// A runner on a background thread that asks `ctx` to repaint when it has news.
    pub fn threaded(ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        let shared = Arc::new(Mutex::new(RunnerOutput::default()));
        let out = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("simulation".into())
            .spawn(move || run_thread(rx, out, ctx))
            .ok();
        Self {
            tx: Some(tx),
            shared,
            inline: None,
            handle,
        }
    }

    /// A runner that works on the caller's thread: messages take effect at once and play
    /// advances only in [`SimRunner::poll`]. For tests.
    pub fn inline() -> Self {
        Self {
            tx: None,
            shared: Arc::new(Mutex::new(RunnerOutput::default())),
            inline: Some(Box::new(Core::new())),
            handle: None,
        }
    }

    /// Send a message.
    pub fn send(&mut self, msg: RunnerMsg) {
        if let Some(core) = &mut self.inline {
            core.handle(msg);
            self.publish_inline();
        } else if let Some(tx) = &self.tx {
            let _ = tx.send(msg);
        }
    }

    /// Inline runners: simulate what `real_s` seconds of play are worth.
    pub fn poll(&mut self, real_s: f64) {
        if let Some(core) = &mut self.inline
            && core.play_for(real_s, Duration::from_millis(50))
        {
            self.publish_inline();
        }
    }

    fn publish_inline(&mut self) {
        if let Some(core) = &mut self.inline {
            publish(&mut core.output, &self.shared);
        }
    }

    /// Work with the latest output (and take its fresh ticks).
    pub fn with_output<R>(&self, f: impl FnOnce(&mut RunnerOutput) -> R) -> R {
        match self.shared.lock() {
            Ok(mut out) => f(&mut out),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl Drop for SimRunner {
    fn drop(&mut self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(RunnerMsg::Quit);
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Hand the runner's state to the shared output: replace the latest state, move the fresh
/// ticks over (the UI takes them from there).
fn publish(core: &mut RunnerOutput, shared: &Arc<Mutex<RunnerOutput>>) {
    let Ok(mut out) = shared.lock() else {
        return;
    };
    if out.generation != core.generation {
        out.fresh.clear();
        out.fresh_utilization.clear();
    }
    out.fresh.append(&mut core.fresh);
    out.fresh_utilization.append(&mut core.fresh_utilization);
    if out.fresh.len() > FRESH_LIMIT {
        let extra = out.fresh.len() - FRESH_LIMIT;
        out.fresh.drain(..extra);
        out.fresh_utilization.drain(..extra);
    }
    out.generation = core.generation;
    out.revision = core.revision;
    out.error.clone_from(&core.error);
    out.playing = core.playing;
    out.tick = core.tick;
    out.tick_s = core.tick_s;
    out.nodes.clone_from(&core.nodes);
    out.open_breakers.clone_from(&core.open_breakers);
    out.ids.clone_from(&core.ids);
    out.base_rate_per_s = core.base_rate_per_s;
    out.load_multiplier = core.load_multiplier;
    out.speed = core.speed;
}

fn run_thread(rx: Receiver<RunnerMsg>, shared: Arc<Mutex<RunnerOutput>>, ctx: egui::Context) {
    let mut core = Core::new();
    let mut last = Instant::now();
    let mut last_publish = Instant::now();
    loop {
        // Take every waiting message; when paused, sleep until one comes.
        let mut changed = false;
        loop {
            let msg = if core.output.playing {
                match rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                }
            };
            if !core.handle(msg) {
                return;
            }
            changed = true;
            last = Instant::now();
            if !core.output.playing {
                // Publish before blocking again.
                break;
            }
        }
        let now = Instant::now();
        let real_s = now.duration_since(last).as_secs_f64();
        last = now;
        changed |= core.play_for(real_s, Duration::from_millis(25));
        if changed && (last_publish.elapsed() >= Duration::from_millis(30) || !core.output.playing)
        {
            publish(&mut core.output, &shared);
            last_publish = Instant::now();
            ctx.request_repaint();
        }
        if core.output.playing {
            std::thread::sleep(Duration::from_millis(8));
        }
    }
}
