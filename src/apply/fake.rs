//! An in-memory fake cloud for the executor's tests. Latencies run on tokio's paused test clock,
//! so tests never sleep for real; the fake records a global sequence of starts and finishes and
//! behaves like AWS where ordering matters: a create whose dependency is missing fails, a delete
//! of something still used fails with `DependencyViolation`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::limits::{RateLimiter, RateLimits};
use super::operator::Operator;
use super::schedule::Operation;
use super::step::{Outputs, StepContext, StepError, StepRequest};
use super::wait::{has, is_gone};
use crate::plan::{Address, ResourceKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Started,
    Finished,
}

/// One line of the fake's log; `seq` orders everything that happened.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) seq: u64,
    pub(crate) address: Address,
    pub(crate) operation: Operation,
    pub(crate) phase: Phase,
    pub(crate) inputs: BTreeMap<Address, Outputs>,
}

#[derive(Debug, Clone)]
struct Resource {
    id: String,
    depends_on: Vec<Address>,
    ready_at: Instant,
    gone_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct Faults {
    throttles: u32,
    /// Attempts refused because a role is still propagating.
    propagating: u32,
    fatal: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    resources: BTreeMap<Address, Resource>,
    next_id: u64,
    seq: u64,
    log: Vec<Record>,
    in_flight: usize,
    max_in_flight: usize,
    per_key: BTreeMap<String, usize>,
    max_per_key: usize,
    calls: Vec<(String, Instant)>,
    faults: BTreeMap<Address, Faults>,
    conflicts: u32,
}

impl State {
    /// Logs a step's start or finish as the next record.
    fn record(
        &mut self,
        address: Address,
        operation: Operation,
        phase: Phase,
        inputs: BTreeMap<Address, Outputs>,
    ) {
        self.seq += 1;
        self.log.push(Record {
            seq: self.seq,
            address,
            operation,
            phase,
            inputs,
        });
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Status(&'static str);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The fake's calls take their tokens from its own buckets, as shinyctl's AWS calls do in the HTTP
/// gate under the SDK clients (`aws::gate`): the engine's tests see throttled calls space out.
#[derive(Debug)]
pub(crate) struct FakeCloud {
    state: Mutex<State>,
    latencies: BTreeMap<Address, Duration>,
    limiter: RateLimiter,
}

impl FakeCloud {
    pub(crate) fn new() -> Self {
        Self::limited_by(RateLimits::default())
    }

    /// A fake whose calls are paced by `limits`.
    pub(crate) fn limited_by(limits: RateLimits) -> Self {
        FakeCloud {
            state: Mutex::default(),
            latencies: BTreeMap::new(),
            limiter: RateLimiter::new(limits),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn latency(mut self, address: &str, latency: Duration) -> Self {
        self.latencies.insert(Address::new(address), latency);
        self
    }

    /// A resource that exists before the run, with the id `id`.
    pub(crate) fn existing(self, address: &str, id: &str, depends_on: &[&str]) -> Self {
        let now = Instant::now();
        self.state().resources.insert(
            Address::new(address),
            Resource {
                id: id.to_string(),
                depends_on: depends_on.iter().map(|d| Address::new(*d)).collect(),
                ready_at: now,
                gone_at: None,
            },
        );
        self
    }

    /// Sets what goes wrong with the attempts on `address`.
    fn fault(self, address: &str, set: impl FnOnce(&mut Faults)) -> Self {
        set(self
            .state()
            .faults
            .entry(Address::new(address))
            .or_default());
        self
    }

    /// The first `times` attempts on `address` are throttled.
    pub(crate) fn throttle(self, address: &str, times: u32) -> Self {
        self.fault(address, |f| f.throttles = times)
    }

    /// The first `times` attempts on `address` are refused as AWS refuses a role still
    /// propagating (EKS's "Misconfigured PodExecutionRole Trust Policy").
    pub(crate) fn propagating(self, address: &str, times: u32) -> Self {
        self.fault(address, |f| f.propagating = times)
    }

    /// Every attempt on `address` fails with the fatal `code`.
    pub(crate) fn fail(self, address: &str, code: &str) -> Self {
        self.fault(address, |f| f.fatal = Some(code.to_string()))
    }

    pub(crate) fn max_in_flight(&self) -> usize {
        self.state().max_in_flight
    }

    pub(crate) fn max_per_key(&self) -> usize {
        self.state().max_per_key
    }

    pub(crate) fn conflicts(&self) -> u32 {
        self.state().conflicts
    }

    pub(crate) fn log(&self) -> Vec<Record> {
        self.state().log.clone()
    }

    pub(crate) fn exists(&self, address: &str) -> bool {
        self.state().resources.contains_key(&Address::new(address))
    }

    pub(crate) fn id_of(&self, address: &str) -> Option<String> {
        self.state()
            .resources
            .get(&Address::new(address))
            .map(|r| r.id.clone())
    }

    /// When each call of `action` was let through by the rate limiter.
    pub(crate) fn calls(&self, action: &str) -> Vec<Instant> {
        self.state()
            .calls
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, at)| *at)
            .collect()
    }

    /// The sequence number at which `address`'s `operation` reached `phase`.
    pub(crate) fn seq(&self, address: &str, operation: Operation, phase: Phase) -> Option<u64> {
        self.state()
            .log
            .iter()
            .find(|r| r.address.as_str() == address && r.operation == operation && r.phase == phase)
            .map(|r| r.seq)
    }

    /// The inputs a step was started with.
    pub(crate) fn inputs(&self, address: &str, operation: Operation) -> BTreeMap<Address, Outputs> {
        self.state()
            .log
            .iter()
            .find(|r| {
                r.address.as_str() == address
                    && r.operation == operation
                    && r.phase == Phase::Started
            })
            .map(|r| r.inputs.clone())
            .unwrap_or_default()
    }

    fn default_latency(kind: ResourceKind, operation: Operation) -> Duration {
        Duration::from_secs_f64(match operation {
            Operation::Create => kind.create_seconds(),
            Operation::Delete => kind.delete_seconds(),
            Operation::Update => 1.0,
        })
    }

    fn action(request: &StepRequest) -> String {
        let verb = match request.operation() {
            Operation::Create => "Create",
            Operation::Update => "Modify",
            Operation::Delete => "Delete",
        };
        let noun: String = request
            .kind()
            .as_str()
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{verb}{noun}")
    }

    /// The call: checks faults and ordering, records the start and what will be true when.
    fn begin(&self, request: &StepRequest, key: &Option<String>) -> Result<(), StepError> {
        let mut state = self.state();
        let state = &mut *state;
        let address = request.address().clone();
        if let Some(faults) = state.faults.get_mut(&address) {
            if faults.throttles > 0 {
                faults.throttles -= 1;
                return Err(StepError::throttled(
                    "RequestLimitExceeded",
                    "Request limit exceeded.",
                ));
            }
            if faults.propagating > 0 {
                faults.propagating -= 1;
                return Err(StepError::new(
                    super::ErrorClass::Propagating,
                    "InvalidParameterException",
                    "Misconfigured PodExecutionRole Trust Policy",
                ));
            }
            if let Some(code) = &faults.fatal {
                return Err(StepError::fatal(
                    code.clone(),
                    format!("{address} is refused"),
                ));
            }
        }
        let now = Instant::now();
        let latency = self
            .latencies
            .get(&address)
            .copied()
            .unwrap_or_else(|| Self::default_latency(request.kind(), request.operation()));
        match request.operation() {
            Operation::Create => {
                let missing: Vec<&Address> = request
                    .step
                    .depends_on
                    .iter()
                    .filter(|d| state.resources.get(*d).is_none_or(|r| r.gone_at.is_some()))
                    .collect();
                if let Some(missing) = missing.first() {
                    return Err(StepError::fatal(
                        "InvalidParameterValue",
                        format!("{missing} does not exist"),
                    ));
                }
                state.next_id += 1;
                let id = format!("{}-{}", request.kind().as_str(), state.next_id);
                state.resources.insert(
                    address.clone(),
                    Resource {
                        id,
                        depends_on: request.step.depends_on.clone(),
                        ready_at: now + latency,
                        gone_at: None,
                    },
                );
            }
            Operation::Update => {
                if let Some(resource) = state.resources.get_mut(&address) {
                    resource.ready_at = now + latency;
                }
            }
            Operation::Delete => {
                let users: Vec<&Address> = state
                    .resources
                    .iter()
                    .filter(|(_, r)| r.depends_on.contains(&address))
                    .map(|(a, _)| a)
                    .collect();
                if let Some(user) = users.first() {
                    let message = format!("{address} is still used by {user}");
                    state.conflicts += 1;
                    return Err(StepError::conflict("DependencyViolation", message));
                }
                if let Some(resource) = state.resources.get_mut(&address) {
                    resource.gone_at = Some(now + latency);
                }
            }
        }
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        if let Some(key) = key {
            let count = state.per_key.entry(key.clone()).or_default();
            *count += 1;
            let count = *count;
            state.max_per_key = state.max_per_key.max(count);
        }
        state.record(
            address,
            request.operation(),
            Phase::Started,
            request.inputs.clone(),
        );
        Ok(())
    }

    fn probe(&self, address: &Address) -> Option<Status> {
        let state = self.state();
        let now = Instant::now();
        let resource = state.resources.get(address)?;
        Some(match resource.gone_at {
            Some(gone_at) if now >= gone_at => return None,
            Some(_) => Status("deleting"),
            None if now >= resource.ready_at => Status("available"),
            None => Status("creating"),
        })
    }

    fn end(&self, request: &StepRequest, key: &Option<String>) -> Outputs {
        let mut state = self.state();
        let address = request.address().clone();
        state.in_flight -= 1;
        if let Some(key) = key
            && let Some(count) = state.per_key.get_mut(key)
        {
            *count -= 1;
        }
        let mut outputs = Outputs::new();
        if request.operation() == Operation::Delete {
            state.resources.remove(&address);
        } else if let Some(resource) = state.resources.get(&address) {
            outputs.insert("id".into(), Value::from(resource.id.clone()));
        }
        state.record(
            address,
            request.operation(),
            Phase::Finished,
            BTreeMap::new(),
        );
        outputs
    }
}

impl Operator for FakeCloud {
    async fn perform(
        &self,
        request: &StepRequest,
        ctx: &StepContext<'_>,
    ) -> Result<Outputs, StepError> {
        let service = request.kind().service();
        let action = Self::action(request);
        self.limiter.acquire(service, &action).await;
        self.state().calls.push((action, Instant::now()));
        let key = self.serialisation_key(&request.step);
        self.begin(request, &key)?;
        let address = request.address();
        let probe = || async move {
            self.limiter.acquire(service, "DescribeThings").await;
            Ok(self.probe(address))
        };
        let waited = match request.operation() {
            Operation::Delete => ctx.wait_until(probe, is_gone()).await,
            _ => {
                ctx.wait_until(probe, has(|s: &Status| s.0 == "available"))
                    .await
            }
        };
        let outputs = self.end(request, &key);
        waited.map(|_| outputs)
    }

    /// As AWS serialises them (the kind's spec row, as `AwsOperator` has it).
    fn serialisation_key(&self, step: &super::Step) -> Option<String> {
        step.kind
            .spec()
            .serialisation_key(step.desired.as_ref(), step.observed.as_ref())
    }
}
