//! The executor: walks a [`Schedule`] concurrently through an [`Operator`].
//!
//! What is ready, done or skipped is the schedule's [`Walk`] (pure bookkeeping in `graph`); the
//! executor runs the steps it hands out and reports each end back to it.
//!
//! A step starts the moment every step it waits for has succeeded, subject to:
//! - at most `parallelism` steps in flight; when steps queue for a slot, the one that begins the
//!   slowest remaining chain (by the kinds' estimates) goes first. A step sleeping in retry
//!   backoff gives its slot up and queues again, with the same priority, for its next attempt;
//! - one step at a time per serialisation key (taken before a slot, so waiting for a busy key
//!   never holds a slot another step could use).
//!
//! AWS's rate limits are not the executor's: every AWS call takes its token in the HTTP gate under
//! the SDK clients (`aws::gate`), from the command's one set of buckets.
//!
//! Throttled, transient and conflict errors are retried with capped, fully jittered exponential
//! backoff; a fatal error fails the step and skips everything that needs it, while independent
//! branches carry on. Cancellation starts nothing new and lets in-flight calls finish.
//!
//! All steps run as futures on the caller's task (no spawning): the work is waiting on AWS, so one
//! task is enough, and operators need not be `'static`.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;

use super::backoff::{Jitter, Retries};
use super::events::{Event, EventSink, Failure, Skip, Summary};
use super::limits::KeyedLocks;
use super::operator::Operator;
use super::schedule::{Operation, Schedule, StepRef, default_estimate};
use super::slots::{PrioritySlots, with_call_priority};
use super::step::{Outputs, StepContext, StepError, StepRequest};
use super::wait::WaitPolicy;
use crate::graph::Walk;
use crate::plan::Address;

/// Steps in flight at once by default. Terraform's 10 bounds two things with one number: API rate
/// and waiting. Here token buckets bound the rate, so this only bounds concurrent waits — and a
/// full blueprint has a dozen or more long ones at once (EKS, node groups, NAT gateways and EFS
/// mount targets per AZ, RDS, Redis, the load balancer). With 10, quick steps queue behind them;
/// 32 leaves room for every branch of the largest blueprint while keeping connections modest.
pub const DEFAULT_PARALLELISM: usize = 32;

/// How the executor behaves; `Default` is what `shinyctl apply` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub parallelism: usize,
    pub retries: Retries,
    pub waits: WaitPolicy,
    /// Seeds retry and poll jitter (tests); None draws one from the OS.
    pub seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            parallelism: DEFAULT_PARALLELISM,
            retries: Retries::default(),
            waits: WaitPolicy::default(),
            seed: None,
        }
    }
}

/// Runs schedules through one operator.
pub struct Executor<O> {
    operator: O,
    config: Config,
}

/// How one step ended.
enum Outcome {
    Succeeded(Outputs),
    Failed {
        error: StepError,
        attempts: u32,
    },
    /// Never started, or not retried, because the run was cancelled.
    Cancelled,
}

/// What the step futures share, borrowed from `run`.
struct Shared<'a, O> {
    operator: &'a O,
    config: &'a Config,
    locks: KeyedLocks,
    slots: PrioritySlots,
    /// Each step's slot priority: the estimated seconds of the slowest chain it begins.
    tails: Vec<f64>,
    jitter: Jitter,
    events: &'a EventSink,
    cancelled: watch::Receiver<bool>,
}

impl<O: Operator> Executor<O> {
    pub fn new(operator: O, config: Config) -> Self {
        Executor { operator, config }
    }

    pub(crate) fn operator(&self) -> &O {
        &self.operator
    }

    /// Executes `schedule`. `known` holds the outputs of resources that already exist (at least
    /// `id`, from the observed state), so steps can refer to dependencies that need no change.
    /// `cancel` completing (e.g. on Ctrl-C) cancels the run. Every event goes to `events`, the
    /// last one `Finished` with the summary that is also returned.
    pub async fn run(
        &self,
        schedule: &Schedule,
        known: BTreeMap<Address, Outputs>,
        events: &EventSink,
        cancel: impl Future<Output = ()>,
    ) -> Summary {
        self.run_with_outputs(schedule, known, events, cancel)
            .await
            .0
    }

    /// [`Executor::run`], also returning the outputs known at the end: `known`, with what the
    /// created and updated steps produced and without what was deleted. What follows the run
    /// (the workload's facts) takes them from here instead of reading AWS again.
    pub(crate) async fn run_with_outputs(
        &self,
        schedule: &Schedule,
        known: BTreeMap<Address, Outputs>,
        events: &EventSink,
        cancel: impl Future<Output = ()>,
    ) -> (Summary, BTreeMap<Address, Outputs>) {
        let start = Instant::now();
        let (cancel_sender, cancelled) = watch::channel(false);
        let shared = Shared {
            operator: &self.operator,
            config: &self.config,
            locks: KeyedLocks::new(),
            slots: PrioritySlots::new(self.config.parallelism.max(1)),
            tails: schedule.tails(default_estimate),
            jitter: self
                .config
                .seed
                .map_or_else(Jitter::from_entropy, Jitter::seeded),
            events,
            cancelled,
        };
        let mut progress = Progress {
            schedule,
            walk: schedule.walk(),
            outputs: known,
            summary: Summary::default(),
            events,
        };
        let mut in_flight = FuturesUnordered::new();
        let mut is_cancelled = false;

        events.emit(Event::RunStarted {
            steps: schedule.len(),
        });
        let mut start_next = progress.walk.ready();
        let mut cancel = std::pin::pin!(cancel);
        loop {
            // A cancelled run leaves what became ready where it is: unstarted.
            for i in start_next.drain(..).filter(|_| !is_cancelled) {
                progress.walk.start(i);
                in_flight.push(shared.run_step(i, progress.request(i)));
            }
            if in_flight.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                () = &mut cancel, if !is_cancelled => {
                    is_cancelled = true;
                    // Nobody else holds the receiver's sender; sending only fails without receivers.
                    let _ = cancel_sender.send(true);
                    events.emit(Event::Cancelling { in_flight: progress.running() });
                }
                Some((i, outcome, elapsed)) = in_flight.next() => {
                    start_next = progress.record(i, outcome, elapsed);
                }
            }
        }
        progress.finish(is_cancelled, start.elapsed())
    }
}

/// A run's bookkeeping between the async work: the walk, the outputs known so far, the summary,
/// and the events that report each step's end.
struct Progress<'a> {
    schedule: &'a Schedule,
    walk: Walk,
    outputs: BTreeMap<Address, Outputs>,
    summary: Summary,
    events: &'a EventSink,
}

impl Progress<'_> {
    /// The steps running now, for the `Cancelling` event.
    fn running(&self) -> Vec<StepRef> {
        let steps = self.schedule.steps();
        self.walk
            .running()
            .into_iter()
            .map(|i| steps[i].as_ref())
            .collect()
    }

    /// The operator's view of step `i`, with what is known of it and its dependencies now.
    fn request(&self, i: usize) -> StepRequest {
        request(self.schedule, i, &self.outputs)
    }

    /// Records how step `i` ended (outputs, summary, events, and the steps a failure skips);
    /// returns the steps that became ready.
    fn record(&mut self, i: usize, outcome: Outcome, elapsed: Duration) -> Vec<usize> {
        let steps = self.schedule.steps();
        let step = &steps[i];
        let step_ref = step.as_ref();
        match outcome {
            Outcome::Succeeded(produced) => {
                match step.operation {
                    Operation::Delete => {
                        self.outputs.remove(&step.address);
                    }
                    Operation::Create | Operation::Update => {
                        self.outputs
                            .entry(step.address.clone())
                            .or_default()
                            .extend(produced);
                    }
                }
                self.summary.record_success(&step_ref);
                self.events.emit(Event::StepSucceeded {
                    step: step_ref,
                    elapsed,
                });
                self.walk.succeed(i)
            }
            Outcome::Failed { error, attempts } => {
                self.events.emit(Event::StepFailed {
                    step: step_ref.clone(),
                    error: error.clone(),
                    elapsed,
                });
                self.summary.failed.push(Failure {
                    step: step_ref,
                    error,
                    attempts,
                });
                for skipped in self.walk.fail(i) {
                    let skip = Skip {
                        step: steps[skipped].as_ref(),
                        because: step.address.clone(),
                    };
                    self.events.emit(Event::StepSkipped {
                        step: skip.step.clone(),
                        because: skip.because.clone(),
                    });
                    self.summary.skipped.push(skip);
                }
                Vec::new()
            }
            Outcome::Cancelled => {
                self.walk.abandon(i);
                self.events.emit(Event::StepCancelled {
                    step: step_ref.clone(),
                });
                self.summary.cancelled.push(step_ref);
                Vec::new()
            }
        }
    }

    /// The summary (reported as `Finished`) and the outputs known at the end. Only a cancelled
    /// run leaves steps behind: those whose turn never came, reported as cancelled.
    fn finish(
        mut self,
        interrupted: bool,
        wall_time: Duration,
    ) -> (Summary, BTreeMap<Address, Outputs>) {
        for i in self.walk.unstarted() {
            let step = self.schedule.steps()[i].as_ref();
            self.events
                .emit(Event::StepCancelled { step: step.clone() });
            self.summary.cancelled.push(step);
        }
        self.summary.interrupted = interrupted;
        self.summary.wall_time = wall_time;
        self.events.emit(Event::Finished {
            summary: self.summary.clone(),
        });
        (self.summary, self.outputs)
    }
}

/// The operator's view of step `i`, with what is known of it and its dependencies right now.
fn request(schedule: &Schedule, i: usize, outputs: &BTreeMap<Address, Outputs>) -> StepRequest {
    let step = &schedule.steps()[i];
    let existing = match step.operation {
        Operation::Create => None,
        Operation::Update | Operation::Delete => outputs.get(&step.address).cloned(),
    };
    let inputs = step
        .depends_on
        .iter()
        .filter_map(|d| outputs.get(d).map(|o| (d.clone(), o.clone())))
        .collect();
    StepRequest {
        step: step.clone(),
        existing,
        inputs,
    }
}

/// Every step that waits for step `i`, directly or not, in index order (what the walk skips when
/// `i` fails; the tests check the walk against it).
#[cfg(test)]
fn transitive_followers(schedule: &Schedule, i: usize) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![i];
    while let Some(j) = stack.pop() {
        for f in schedule.followers(j) {
            if seen.insert(f) {
                stack.push(f);
            }
        }
    }
    seen.into_iter().collect()
}

impl<O: Operator> Shared<'_, O> {
    /// One step from its lock and slot to its outcome, retries included. The step's priority
    /// (the slowest chain it begins) orders its wait for a slot and each of its AWS calls.
    async fn run_step(&self, i: usize, request: StepRequest) -> (usize, Outcome, Duration) {
        let priority = self.tails.get(i).copied().unwrap_or(0.0);
        with_call_priority(priority, self.perform_step(i, request, priority)).await
    }

    async fn perform_step(
        &self,
        i: usize,
        request: StepRequest,
        priority: f64,
    ) -> (usize, Outcome, Duration) {
        let step: StepRef = request.step.as_ref();
        let key = self.operator.serialisation_key(&request.step);
        let _serialised = match &key {
            Some(key) => Some(self.locks.lock(key).await),
            None => None,
        };
        // Queued for a slot, the step with the longest chain behind it goes first.
        let mut slot = Some(self.slots.acquire(priority).await);
        if *self.cancelled.borrow() {
            return (i, Outcome::Cancelled, Duration::ZERO);
        }
        self.events.emit(Event::StepStarted { step: step.clone() });
        let started = Instant::now();
        let wait = self.config.waits.spec(step.kind, step.operation);
        let mut attempt = 1u32;
        // Time spent queued for a slot again after a backoff: the retry budget does not count it,
        // as it did not when a step kept its slot through the backoff.
        let mut requeued = Duration::ZERO;
        loop {
            let ctx = StepContext {
                wait,
                step: step.clone(),
                events: self.events,
                jitter: &self.jitter,
            };
            let error = match self.operator.perform(&request, &ctx).await {
                Ok(outputs) => return (i, Outcome::Succeeded(outputs), started.elapsed()),
                Err(error) => error,
            };
            let policy = match self.config.retries.policy(error.class) {
                Some(policy) if policy.allows(attempt, started.elapsed() - requeued) => policy,
                _ => {
                    let outcome = Outcome::Failed {
                        error,
                        attempts: attempt,
                    };
                    return (i, outcome, started.elapsed());
                }
            };
            if *self.cancelled.borrow() {
                return (i, Outcome::Cancelled, started.elapsed());
            }
            let delay = policy.delay(attempt - 1, &self.jitter);
            self.events.emit(Event::StepRetrying {
                step: step.clone(),
                attempt,
                reason: error,
                delay,
            });
            // A step sleeping in backoff does no work: its slot goes to a step that can (the
            // serialisation key stays held, as the step is not done with what it serialises).
            drop(slot.take());
            let mut cancelled = self.cancelled.clone();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = cancelled.wait_for(|c| *c) => {
                    return (i, Outcome::Cancelled, started.elapsed());
                }
            }
            // Back in the queue with the same priority as any step waiting to start.
            let queued = Instant::now();
            let mut cancelled = self.cancelled.clone();
            tokio::select! {
                biased;
                _ = cancelled.wait_for(|c| *c) => {
                    return (i, Outcome::Cancelled, started.elapsed());
                }
                taken = self.slots.acquire(priority) => slot = Some(taken),
            }
            requeued += queued.elapsed();
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::ErrorClass;
    use crate::apply::fake::{FakeCloud, Phase};
    use crate::apply::limits::{BucketSpec, RateLimits, ServiceLimits};
    use crate::plan::{Action, Change, ResourceKind};
    use serde_json::{Map, Value};

    type Edges<'a> = &'a [(&'a str, &'a str)];

    fn change(address: &str, kind: ResourceKind, action: Action) -> Change {
        let mut after = Map::new();
        if kind == ResourceKind::FargateProfile {
            after.insert("cluster".into(), Value::from("cluster.eks"));
        }
        Change {
            address: Address::new(address),
            kind,
            name: address.to_string(),
            action,
            before: (action != Action::Create).then(Map::new),
            after: (action != Action::Delete).then_some(after),
            changes: Vec::new(),
            holds_data: false,
            replaced_because: None,
        }
    }

    /// Creates of `count` independent security groups, `sg.0`, `sg.1`, ...
    fn new_security_groups(count: usize) -> Vec<Change> {
        (0..count)
            .map(|i| {
                change(
                    &format!("sg.{i}"),
                    ResourceKind::SecurityGroup,
                    Action::Create,
                )
            })
            .collect()
    }

    fn schedule(changes: &[Change], edges: Edges) -> Schedule {
        Schedule::new(changes, |address| {
            edges
                .iter()
                .filter(|(from, _)| *from == address.as_str())
                .map(|(_, to)| Address::new(*to))
                .collect()
        })
        .expect("acyclic")
    }

    fn config() -> Config {
        Config {
            seed: Some(42),
            ..Config::default()
        }
    }

    fn never() -> std::future::Pending<()> {
        std::future::pending()
    }

    async fn run(
        cloud: FakeCloud,
        schedule: &Schedule,
        config: Config,
    ) -> (Executor<FakeCloud>, Summary, Vec<Event>) {
        run_with(cloud, schedule, config, BTreeMap::new(), never()).await
    }

    async fn run_with(
        cloud: FakeCloud,
        schedule: &Schedule,
        config: Config,
        known: BTreeMap<Address, Outputs>,
        cancel: impl Future<Output = ()>,
    ) -> (Executor<FakeCloud>, Summary, Vec<Event>) {
        let executor = Executor::new(cloud, config);
        let (sink, mut receiver) = EventSink::channel();
        let summary = executor.run(schedule, known, &sink, cancel).await;
        drop(sink);
        let mut events = Vec::new();
        while let Some(event) = receiver.recv().await {
            events.push(event);
        }
        (executor, summary, events)
    }

    fn addresses(list: &[Address]) -> Vec<&str> {
        list.iter().map(Address::as_str).collect()
    }

    const NETWORK_EDGES: Edges<'static> = &[
        ("subnet.a", "vpc"),
        ("subnet.b", "vpc"),
        ("nat.a", "subnet.a"),
        ("nat.b", "subnet.b"),
        ("eks", "subnet.a"),
        ("eks", "subnet.b"),
    ];

    fn network(action: Action) -> Vec<Change> {
        vec![
            change("vpc", ResourceKind::Vpc, action),
            change("subnet.a", ResourceKind::Subnet, action),
            change("subnet.b", ResourceKind::Subnet, action),
            change("nat.a", ResourceKind::NatGateway, action),
            change("nat.b", ResourceKind::NatGateway, action),
            change("eks", ResourceKind::EksCluster, action),
        ]
    }

    /// Every step started after all the steps it waits for finished.
    fn assert_order_respected(schedule: &Schedule, cloud: &FakeCloud) {
        for (i, step) in schedule.steps().iter().enumerate() {
            let started = cloud
                .seq(step.address.as_str(), step.operation, Phase::Started)
                .unwrap_or_else(|| panic!("{} never started", step.id()));
            for p in schedule.prerequisites(i) {
                let before = &schedule.steps()[p];
                let finished = cloud
                    .seq(before.address.as_str(), before.operation, Phase::Finished)
                    .unwrap_or_else(|| panic!("{} never finished", before.id()));
                assert!(
                    finished < started,
                    "{} started before {} finished",
                    step.id(),
                    before.id()
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn dependencies_finish_before_dependents_start_and_outputs_flow() {
        let s = schedule(&network(Action::Create), NETWORK_EDGES);
        let (executor, summary, events) = run(FakeCloud::new(), &s, config()).await;
        let cloud = executor.operator();
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(summary.created.len(), 6);
        assert_eq!(addresses(&summary.created[..1]), ["vpc"]);
        assert_order_respected(&s, cloud);
        // The subnet was handed the VPC's id, as AWS assigned it.
        let inputs = cloud.inputs("subnet.a", Operation::Create);
        let vpc_id = inputs
            .get(&Address::new("vpc"))
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str);
        assert_eq!(vpc_id, cloud.id_of("vpc").as_deref());
        // Events bracket the run and report waiting on long steps.
        assert_eq!(events.first(), Some(&Event::RunStarted { steps: 6 }));
        assert!(matches!(events.last(), Some(Event::Finished { summary: s }) if *s == summary));
        assert!(events.iter().any(|e| matches!(
            e,
            Event::StepWaiting { step, state, .. }
                if step.address.as_str() == "eks" && state == "creating"
        )));
    }

    #[tokio::test(start_paused = true)]
    async fn independent_branches_run_concurrently() {
        let s = schedule(&network(Action::Create), NETWORK_EDGES);
        let (executor, summary, _) = run(FakeCloud::new(), &s, config()).await;
        assert!(summary.is_complete());
        // Both subnets together, then both NAT gateways and EKS together.
        assert_eq!(executor.operator().max_in_flight(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn parallelism_bound_is_respected() {
        let changes: Vec<Change> = new_security_groups(20);
        let s = schedule(&changes, &[]);
        let config = Config {
            parallelism: 4,
            ..config()
        };
        let (executor, summary, _) = run(FakeCloud::new(), &s, config).await;
        assert_eq!(summary.created.len(), 20);
        assert_eq!(executor.operator().max_in_flight(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_skips_only_its_dependents() {
        let mut changes = network(Action::Create);
        changes.push(change("sg", ResourceKind::SecurityGroup, Action::Create));
        let mut edges = NETWORK_EDGES.to_vec();
        edges.push(("sg", "vpc"));
        let s = schedule(&changes, &edges);
        let cloud = FakeCloud::new().fail("subnet.a", "InvalidSubnet.Conflict");
        let (executor, summary, events) = run(cloud, &s, config()).await;
        assert_eq!(summary.failed.len(), 1);
        let failure = &summary.failed[0];
        assert_eq!(failure.step.address.as_str(), "subnet.a");
        assert_eq!(failure.error.code, "InvalidSubnet.Conflict");
        assert_eq!(failure.error.class, ErrorClass::Fatal);
        assert_eq!(failure.attempts, 1);
        let skipped: Vec<(&str, &str)> = summary
            .skipped
            .iter()
            .map(|s| (s.step.address.as_str(), s.because.as_str()))
            .collect();
        assert_eq!(skipped, [("nat.a", "subnet.a"), ("eks", "subnet.a")]);
        let mut created = addresses(&summary.created);
        created.sort();
        assert_eq!(created, ["nat.b", "sg", "subnet.b", "vpc"]);
        assert!(!executor.operator().exists("eks"));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::StepSkipped { .. }))
        );
        assert!(!summary.is_complete());
    }

    #[tokio::test(start_paused = true)]
    async fn retries_on_throttling_converge() {
        let s = schedule(&network(Action::Create), NETWORK_EDGES);
        let cloud = FakeCloud::new()
            .throttle("vpc", 3)
            .throttle("nat.a", 5)
            .throttle("eks", 2);
        let (executor, summary, events) = run(cloud, &s, config()).await;
        assert!(summary.is_complete(), "{summary:?}");
        let retries: Vec<(&str, u32)> = events
            .iter()
            .filter_map(|e| match e {
                Event::StepRetrying {
                    step,
                    attempt,
                    reason,
                    delay,
                } => {
                    assert_eq!(reason.class, ErrorClass::Throttled);
                    assert!(*delay <= Duration::from_secs(20));
                    Some((step.address.as_str(), *attempt))
                }
                _ => None,
            })
            .collect();
        assert_eq!(retries.len(), 10);
        assert!(retries.contains(&("nat.a", 5)));
        assert_order_respected(&s, executor.operator());
    }

    #[tokio::test(start_paused = true)]
    async fn a_create_refused_while_its_role_propagates_converges_within_minutes() {
        let s = schedule(&network(Action::Create), NETWORK_EDGES);
        let cloud = FakeCloud::new().propagating("eks", 4);
        let (_, summary, events) = run(cloud, &s, config()).await;
        assert!(summary.is_complete(), "{summary:?}");
        let retried = events
            .iter()
            .filter(|e| {
                matches!(e, Event::StepRetrying { reason, .. }
                    if reason.class == ErrorClass::Propagating)
            })
            .count();
        assert_eq!(retried, 4);
        // Bounded: a role that never becomes usable fails within the policy's time.
        let s = schedule(
            &[change("eks", ResourceKind::EksCluster, Action::Create)],
            &[],
        );
        let cloud = FakeCloud::new().propagating("eks", 10_000);
        let started = Instant::now();
        let (_, summary, _) = run(cloud, &s, config()).await;
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.failed[0].error.class, ErrorClass::Propagating);
        let policy = Retries::default().propagating;
        assert!(started.elapsed() <= policy.max_elapsed + policy.cap);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_give_up_after_the_policy_allows() {
        let s = schedule(&[change("vpc", ResourceKind::Vpc, Action::Create)], &[]);
        let cloud = FakeCloud::new().throttle("vpc", 1000);
        let (_, summary, _) = run(cloud, &s, config()).await;
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.failed[0].error.code, "RequestLimitExceeded");
        assert_eq!(
            summary.failed[0].attempts,
            Retries::default().throttled.max_attempts
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limits_space_out_calls_beyond_the_burst() {
        // Twelve NAT gateways at once: CreateNatGateway's bucket holds 10 and refills 1 per s.
        let changes: Vec<Change> = (0..12)
            .map(|i| {
                change(
                    &format!("nat.{i}"),
                    ResourceKind::NatGateway,
                    Action::Create,
                )
            })
            .collect();
        let s = schedule(&changes, &[]);
        let (executor, summary, _) = run(FakeCloud::new(), &s, config()).await;
        assert_eq!(summary.created.len(), 12);
        let calls = executor.operator().calls("CreateNatGateway");
        assert_eq!(calls.len(), 12);
        let first = calls[0];
        let offsets: Vec<u64> = calls
            .iter()
            .map(|t| (*t - first).as_secs_f64().round() as u64)
            .collect();
        assert_eq!(offsets, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    }

    #[tokio::test(start_paused = true)]
    async fn configured_limits_apply_per_service() {
        let changes: Vec<Change> = (0..3)
            .map(|i| {
                change(
                    &format!("topic.{i}"),
                    ResourceKind::SnsTopic,
                    Action::Create,
                )
            })
            .collect();
        let s = schedule(&changes, &[]);
        let mut limits = RateLimits::default();
        limits.services.insert(
            "sns".into(),
            ServiceLimits::new(BucketSpec::new(10.0, 10.0), BucketSpec::new(1.0, 0.1)),
        );
        let (executor, summary, _) = run(FakeCloud::limited_by(limits), &s, config()).await;
        assert_eq!(summary.created.len(), 3);
        let calls = executor.operator().calls("CreateSnsTopic");
        let span = (calls[2] - calls[0]).as_secs_f64().round();
        assert_eq!(span, 20.0, "one token per ten seconds after the first");
    }

    #[tokio::test(start_paused = true)]
    async fn one_fargate_profile_operation_at_a_time() {
        let mut changes: Vec<Change> = (0..4)
            .map(|i| {
                change(
                    &format!("fp.{i}"),
                    ResourceKind::FargateProfile,
                    Action::Create,
                )
            })
            .collect();
        changes.push(change("ng.a", ResourceKind::NodeGroup, Action::Create));
        changes.push(change("ng.b", ResourceKind::NodeGroup, Action::Create));
        let s = schedule(&changes, &[]);
        let (executor, summary, _) = run(FakeCloud::new(), &s, config()).await;
        assert_eq!(summary.created.len(), 6);
        assert_eq!(executor.operator().max_per_key(), 1);
        // The node groups, which need no serialisation, ran alongside a profile.
        assert_eq!(executor.operator().max_in_flight(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn queued_steps_that_begin_the_slowest_chain_get_slots_first() {
        let mut changes: Vec<Change> = new_security_groups(5);
        changes.push(change("vpc", ResourceKind::Vpc, Action::Create));
        changes.push(change("eks", ResourceKind::EksCluster, Action::Create));
        let s = schedule(&changes, &[("eks", "vpc")]);
        let config = Config {
            parallelism: 1,
            ..config()
        };
        let (executor, summary, _) = run(FakeCloud::new(), &s, config).await;
        assert!(summary.is_complete());
        let cloud = executor.operator();
        let started = |a: &str| cloud.seq(a, Operation::Create, Phase::Started).unwrap();
        // sg.0 took the free slot on arrival; of those that queued, the VPC (EKS behind it) first.
        assert!(started("sg.0") < started("vpc"));
        for i in 1..5 {
            assert!(started("vpc") < started(&format!("sg.{i}")), "sg.{i}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_final_outputs_have_what_was_made_and_not_what_was_deleted() {
        let id = |a: &str| {
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), Value::from(format!("{a}-id")));
            (Address::new(a), outputs)
        };
        let cloud = FakeCloud::new().existing("old", "old-id", &[]);
        let known: BTreeMap<Address, Outputs> = [id("old"), id("kept")].into_iter().collect();
        let s = schedule(
            &[
                change("old", ResourceKind::SecurityGroup, Action::Delete),
                change("vpc", ResourceKind::Vpc, Action::Create),
            ],
            &[],
        );
        let executor = Executor::new(cloud, config());
        let (summary, outputs) = executor
            .run_with_outputs(&s, known, &EventSink::discard(), never())
            .await;
        assert!(summary.is_complete(), "{summary:?}");
        let addresses: Vec<&str> = outputs.keys().map(Address::as_str).collect();
        assert_eq!(addresses, ["kept", "vpc"]);
        assert_eq!(
            outputs[&Address::new("vpc")]
                .get("id")
                .and_then(Value::as_str),
            executor.operator().id_of("vpc").as_deref()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn deletes_run_in_reverse_dependency_order() {
        let cloud = FakeCloud::new()
            .existing("vpc", "vpc-1", &[])
            .existing("subnet.a", "subnet-a", &["vpc"])
            .existing("subnet.b", "subnet-b", &["vpc"])
            .existing("nat.a", "nat-a", &["subnet.a"])
            .existing("nat.b", "nat-b", &["subnet.b"])
            .existing("eks", "eks-1", &["subnet.a", "subnet.b"]);
        let known: BTreeMap<Address, Outputs> =
            ["vpc", "subnet.a", "subnet.b", "nat.a", "nat.b", "eks"]
                .iter()
                .map(|a| {
                    let mut outputs = Outputs::new();
                    outputs.insert("id".into(), Value::from(format!("{a}-id")));
                    (Address::new(*a), outputs)
                })
                .collect();
        let s = schedule(&network(Action::Delete), NETWORK_EDGES);
        let (executor, summary, _) = run_with(cloud, &s, config(), known, never()).await;
        let cloud = executor.operator();
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(cloud.conflicts(), 0, "nothing deleted while in use");
        assert_order_respected(&s, cloud);
        assert_eq!(summary.deleted.last().map(Address::as_str), Some("vpc"));
        assert!(!cloud.exists("vpc"));
        // A delete is handed the resource's own id.
        let log = cloud.log();
        assert!(log.iter().any(|r| r.address.as_str() == "eks"));
    }

    #[tokio::test(start_paused = true)]
    async fn deletes_with_unknown_dependencies_converge_through_conflict_retries() {
        // The schedule does not know the subnet uses the VPC: AWS says DependencyViolation until
        // the subnet is gone, and the executor retries.
        let cloud = FakeCloud::new()
            .existing("vpc", "vpc-1", &[])
            .existing("subnet", "subnet-1", &["vpc"])
            .latency("subnet", Duration::from_secs(60));
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Delete),
            change("subnet", ResourceKind::Subnet, Action::Delete),
        ];
        let s = schedule(&changes, &[]);
        let (executor, summary, events) = run(cloud, &s, config()).await;
        assert!(summary.is_complete(), "{summary:?}");
        assert!(executor.operator().conflicts() > 0);
        assert!(events.iter().any(|e| matches!(
            e,
            Event::StepRetrying { reason, .. } if reason.code == "DependencyViolation"
        )));
    }

    #[tokio::test(start_paused = true)]
    async fn removed_resources_are_deleted_in_observed_reference_order_without_retries() {
        // Neither is in the catalog any more; the subnet was observed in the VPC.
        let cloud = FakeCloud::new()
            .existing("network.vpc", "vpc-1", &[])
            .existing("network.subnet", "subnet-1", &["network.vpc"])
            .latency("network.subnet", Duration::from_secs(60));
        let mut subnet = change("network.subnet", ResourceKind::Subnet, Action::Delete);
        subnet
            .before
            .get_or_insert_with(Map::new)
            .insert("vpc".into(), Value::from("network.vpc"));
        let changes = vec![
            change("network.vpc", ResourceKind::Vpc, Action::Delete),
            subnet,
        ];
        let plan = crate::plan::Plan::of(changes);
        let s = Schedule::from_plan(&plan, &[], false).expect("acyclic");
        let (executor, summary, events) = run(cloud, &s, config()).await;
        let cloud = executor.operator();
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(
            cloud.conflicts(),
            0,
            "the VPC's delete waited for the subnet's"
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::StepRetrying { .. }))
        );
        assert_eq!(
            addresses(&summary.deleted),
            ["network.subnet", "network.vpc"]
        );
        assert_order_respected(&s, cloud);
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_in_backoff_lets_another_step_run() {
        // One slot. EKS (the longer chain) takes it first and is throttled: while it sleeps in
        // backoff the security group runs, and EKS's next attempt waits for the slot again.
        let changes = [
            change("eks", ResourceKind::EksCluster, Action::Create),
            change("sg", ResourceKind::SecurityGroup, Action::Create),
        ];
        let s = schedule(&changes, &[]);
        let cloud = FakeCloud::new().throttle("eks", 3);
        let config = Config {
            parallelism: 1,
            ..config()
        };
        let (executor, summary, events) = run(cloud, &s, config).await;
        let cloud = executor.operator();
        assert!(summary.is_complete(), "{summary:?}");
        let started = |address: &str| {
            events
                .iter()
                .position(|e| matches!(e, Event::StepStarted { step } if step.address.as_str() == address))
                .expect("started")
        };
        assert!(started("eks") < started("sg"), "EKS went first");
        let seq = |a, phase| cloud.seq(a, Operation::Create, phase).expect("logged");
        assert!(
            seq("sg", Phase::Finished) < seq("eks", Phase::Started),
            "the security group ran while EKS was in backoff"
        );
        assert_eq!(cloud.max_in_flight(), 1, "never more than the one slot");
    }

    /// One slot: the VPC takes it first and is throttled; EKS runs 400 s while the VPC waits to
    /// get the slot back.
    fn vpc_in_backoff_behind_eks(throttles: u32) -> (Schedule, FakeCloud, Config) {
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Create),
            change("eks", ResourceKind::EksCluster, Action::Create),
        ];
        let cloud = FakeCloud::new()
            .throttle("vpc", throttles)
            .latency("eks", Duration::from_secs(400));
        let config = Config {
            parallelism: 1,
            ..config()
        };
        (schedule(&changes, &[]), cloud, config)
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_the_slot_again_does_not_spend_the_retry_budget() {
        // Throttling is retried for 5 minutes; the VPC waits longer than that for the slot, and
        // its next throttled attempt is still retried.
        let (s, cloud, config) = vpc_in_backoff_behind_eks(2);
        let (executor, summary, _) = run(cloud, &s, config).await;
        assert!(summary.is_complete(), "{summary:?}");
        let cloud = executor.operator();
        assert!(
            cloud.seq("eks", Operation::Create, Phase::Finished)
                < cloud.seq("vpc", Operation::Create, Phase::Started)
        );
        assert!(Retries::default().throttled.max_elapsed < Duration::from_secs(400));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_reaches_a_step_queued_for_its_slot_again() {
        let (s, cloud, config) = vpc_in_backoff_behind_eks(1000);
        let cancel = tokio::time::sleep(Duration::from_secs(100));
        let (_, summary, events) = run_with(cloud, &s, config, BTreeMap::new(), cancel).await;
        assert!(summary.interrupted);
        assert_eq!(
            addresses(&summary.created),
            ["eks"],
            "the running step finished"
        );
        let cancelled: Vec<&str> = summary
            .cancelled
            .iter()
            .map(|s| s.address.as_str())
            .collect();
        assert_eq!(cancelled, ["vpc"]);
        assert!(summary.failed.is_empty());
        let in_flight = events.iter().find_map(|e| match e {
            Event::Cancelling { in_flight } => Some(in_flight.len()),
            _ => None,
        });
        assert_eq!(in_flight, Some(2), "a step in backoff is still in flight");
    }

    #[tokio::test(start_paused = true)]
    async fn replace_deletes_then_creates_around_its_dependents() {
        let cloud = FakeCloud::new()
            .existing("vpc", "vpc-1", &[])
            .existing("subnet", "subnet-old", &["vpc"])
            .existing("nat", "nat-old", &["subnet"]);
        let known: BTreeMap<Address, Outputs> = [
            ("vpc", "vpc-1"),
            ("subnet", "subnet-old"),
            ("nat", "nat-old"),
        ]
        .iter()
        .map(|(a, id)| {
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), Value::from(*id));
            (Address::new(*a), outputs)
        })
        .collect();
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::NoOp),
            change("subnet", ResourceKind::Subnet, Action::Replace),
            change("nat", ResourceKind::NatGateway, Action::Replace),
        ];
        let s = schedule(&changes, &[("subnet", "vpc"), ("nat", "subnet")]);
        let (executor, summary, _) = run_with(cloud, &s, config(), known, never()).await;
        let cloud = executor.operator();
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(addresses(&summary.replaced), ["subnet", "nat"]);
        assert!(summary.deleted.is_empty() && summary.created.is_empty());
        assert_eq!(cloud.conflicts(), 0);
        let seq = |a, op, phase| cloud.seq(a, op, phase).expect("logged");
        assert!(
            seq("nat", Operation::Delete, Phase::Finished)
                < seq("subnet", Operation::Delete, Phase::Started)
        );
        assert!(
            seq("subnet", Operation::Delete, Phase::Finished)
                < seq("subnet", Operation::Create, Phase::Started)
        );
        assert!(
            seq("subnet", Operation::Create, Phase::Finished)
                < seq("nat", Operation::Create, Phase::Started)
        );
        // The new subnet's id reached the new NAT gateway; the unchanged VPC's known id the subnet.
        let new_subnet = cloud.id_of("subnet").expect("created");
        assert_ne!(new_subnet, "subnet-old");
        let nat_inputs = cloud.inputs("nat", Operation::Create);
        assert_eq!(
            nat_inputs
                .get(&Address::new("subnet"))
                .and_then(|o| o.get("id")),
            Some(&Value::from(new_subnet))
        );
        let subnet_inputs = cloud.inputs("subnet", Operation::Create);
        assert_eq!(
            subnet_inputs
                .get(&Address::new("vpc"))
                .and_then(|o| o.get("id")),
            Some(&Value::from("vpc-1"))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_starts_nothing_new_and_lets_in_flight_steps_finish() {
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Create),
            change("subnet", ResourceKind::Subnet, Action::Create),
            change("nat", ResourceKind::NatGateway, Action::Create),
            change("role", ResourceKind::IamRole, Action::Create),
        ];
        let s = schedule(&changes, &[("subnet", "vpc"), ("nat", "subnet")]);
        let cloud = FakeCloud::new()
            .latency("vpc", Duration::from_secs(100))
            .latency("role", Duration::from_secs(50));
        let cancel = tokio::time::sleep(Duration::from_secs(10));
        let (executor, summary, events) =
            run_with(cloud, &s, config(), BTreeMap::new(), cancel).await;
        let cloud = executor.operator();
        assert!(summary.interrupted);
        let mut created = addresses(&summary.created);
        created.sort();
        assert_eq!(created, ["role", "vpc"], "in-flight steps finished");
        let cancelled: Vec<&str> = summary
            .cancelled
            .iter()
            .map(|s| s.address.as_str())
            .collect();
        assert_eq!(cancelled, ["subnet", "nat"]);
        assert_eq!(cloud.seq("subnet", Operation::Create, Phase::Started), None);
        let in_flight = events.iter().find_map(|e| match e {
            Event::Cancelling { in_flight } => Some(in_flight.len()),
            _ => None,
        });
        assert_eq!(in_flight, Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_abandons_a_pending_retry() {
        let s = schedule(&[change("vpc", ResourceKind::Vpc, Action::Create)], &[]);
        let cloud = FakeCloud::new().throttle("vpc", 1000);
        let cancel = tokio::time::sleep(Duration::from_secs(10));
        let (_, summary, _) = run_with(cloud, &s, config(), BTreeMap::new(), cancel).await;
        assert!(summary.failed.is_empty());
        assert_eq!(summary.cancelled.len(), 1);
        assert!(summary.wall_time < Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_before_anything_starts() {
        let s = schedule(&network(Action::Create), NETWORK_EDGES);
        let (executor, summary, _) =
            run_with(FakeCloud::new(), &s, config(), BTreeMap::new(), async {}).await;
        assert_eq!(summary.cancelled.len(), 6);
        assert!(executor.operator().log().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_readiness_timeout_fails_the_step() {
        let s = schedule(
            &[change("nat", ResourceKind::NatGateway, Action::Create)],
            &[],
        );
        let cloud = FakeCloud::new().latency("nat", Duration::from_secs(3600));
        let (_, summary, _) = run(cloud, &s, config()).await;
        assert_eq!(summary.failed.len(), 1);
        let error = &summary.failed[0].error;
        assert_eq!(error.code, "WaitTimeout");
        assert!(error.message.contains("last state: creating"), "{error}");
    }

    /// Steps, edges (later, earlier), failing steps, (throttled step, times), parallelism.
    type Case = (
        usize,
        Vec<(usize, usize)>,
        Vec<usize>,
        Vec<(usize, u32)>,
        usize,
    );

    /// A random plan: `n` creates where a step may depend on any earlier one, some failing for
    /// good, some throttled a few times.
    fn random_case() -> impl proptest::strategy::Strategy<Value = Case> {
        use proptest::prelude::*;
        (1usize..24).prop_flat_map(|n| {
            let edges = proptest::collection::vec((0..n, 0..n), 0..n * 2).prop_map(|pairs| {
                pairs
                    .into_iter()
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| (a.max(b), a.min(b)))
                    .collect::<Vec<_>>()
            });
            let failing = proptest::collection::vec(0..n, 0..3);
            let throttled = proptest::collection::vec((0..n, 1u32..4), 0..5);
            (Just(n), edges, failing, throttled, 1usize..6)
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 64,
            failure_persistence: None,
            ..Default::default()
        })]

        /// Whatever the graph and faults: every step ends in exactly one place, skipped steps are
        /// exactly those that need a failed one, order and the parallelism bound hold.
        #[test]
        fn every_step_is_accounted_for(case in random_case()) {
            let (n, edges, failing, throttled, parallelism) = case;
            let name = |i: usize| format!("r{i:02}");
            let changes: Vec<Change> = (0..n)
                .map(|i| change(&name(i), ResourceKind::SecurityGroup, Action::Create))
                .collect();
            let named: Vec<(String, String)> =
                edges.iter().map(|(a, b)| (name(*a), name(*b))).collect();
            let edge_refs: Vec<(&str, &str)> =
                named.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let s = schedule(&changes, &edge_refs);
            let mut cloud = FakeCloud::new();
            for &i in &failing {
                cloud = cloud.fail(&name(i), "Refused");
            }
            for &(i, times) in &throttled {
                cloud = cloud.throttle(&name(i), times);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("runtime");
            let config = Config { parallelism, ..config() };
            let (executor, summary, _) = runtime.block_on(run(cloud, &s, config));
            let cloud = executor.operator();

            let failed: BTreeSet<usize> = failing.iter().copied().collect();
            let mut expected_skipped = BTreeSet::new();
            for &f in &failed {
                expected_skipped.extend(transitive_followers(&s, f));
            }
            let index = |a: &Address| s.steps().iter().position(|st| &st.address == a).expect("known");
            let got_failed: BTreeSet<usize> =
                summary.failed.iter().map(|f| index(&f.step.address)).collect();
            let got_skipped: BTreeSet<usize> =
                summary.skipped.iter().map(|k| index(&k.step.address)).collect();
            let got_created: BTreeSet<usize> = summary.created.iter().map(index).collect();
            // A failing step that is also downstream of another failure is skipped, not run.
            let ran_failed: BTreeSet<usize> =
                failed.difference(&expected_skipped).copied().collect();
            proptest::prop_assert_eq!(&got_failed, &ran_failed);
            proptest::prop_assert_eq!(&got_skipped, &expected_skipped);
            proptest::prop_assert_eq!(
                got_created.len() + got_failed.len() + got_skipped.len(),
                n
            );
            proptest::prop_assert!(summary.cancelled.is_empty());
            proptest::prop_assert!(cloud.max_in_flight() <= parallelism);
            for &i in &got_created {
                let started = cloud.seq(&name(i), Operation::Create, Phase::Started);
                for p in s.prerequisites(i) {
                    let finished = cloud.seq(&name(p), Operation::Create, Phase::Finished);
                    proptest::prop_assert!(finished < started, "r{:02} before r{:02}", i, p);
                }
            }
        }
    }

    /// The CLI may spawn a run on the multi-threaded runtime, so the run must be `Send`.
    #[test]
    fn a_run_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let executor = Executor::new(FakeCloud::new(), config());
        let s = schedule(&[], &[]);
        let sink = EventSink::discard();
        let run = executor.run(&s, BTreeMap::new(), &sink, never());
        assert_send(&run);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_schedule_finishes_at_once() {
        let s = schedule(&[], &[]);
        let (_, summary, events) = run(FakeCloud::new(), &s, config()).await;
        assert!(summary.is_complete());
        assert_eq!(events.len(), 2);
    }
}
