//! One step of the engine's walk, as an [`Operator`](super::Operator) sees it: the request, the
//! context the executor lends it while it runs, the outputs it reports, and its errors,
//! classified for retrying.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde_json::{Map, Value};

use super::backoff::Jitter;
use super::events::{Event, EventSink};
use super::schedule::{Operation, Step, StepRef};
use super::wait::{self, Condition, WaitError, WaitSpec};
use crate::plan::{Address, ObservedState, ResourceKind};

/// What a step produced for its dependents: ids, ARNs, endpoints (keys camelCase, e.g. `id`, `arn`).
pub type Outputs = Map<String, Value>;

/// What is known of resources that already exist, for the executor's `known` argument: each
/// observed resource's `id` (AWS's id or ARN) and `name`.
pub fn known_outputs(observed: &ObservedState) -> BTreeMap<Address, Outputs> {
    observed
        .resources
        .iter()
        .map(|r| {
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), Value::from(r.id.clone()));
            outputs.insert("name".into(), Value::from(r.name.clone()));
            (r.address.clone(), outputs)
        })
        .collect()
}

/// How the executor treats an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// AWS asked us to slow down: retry after a backoff.
    Throttled,
    /// A fault that usually clears (5xx, timeouts, eventual consistency right after a create).
    Transient,
    /// The resource is busy or still in use by something going away (`DependencyViolation`,
    /// `ResourceInUse`): retry later, slowly.
    Conflict,
    /// A role or instance profile just created or changed is not usable yet by the service that
    /// must assume it (IAM is eventually consistent): retry for a few minutes, no longer.
    Propagating,
    /// Retrying will not help: report AWS's code and message.
    Fatal,
}

impl ErrorClass {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Throttled => "throttled",
            ErrorClass::Transient => "transient",
            ErrorClass::Conflict => "conflict",
            ErrorClass::Propagating => "iam propagation",
            ErrorClass::Fatal => "fatal",
        }
    }

    #[cfg(test)]
    pub(crate) fn is_retryable(self) -> bool {
        self != ErrorClass::Fatal
    }
}

/// An error from one attempt of a step, with AWS's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
}

impl StepError {
    pub(crate) fn new(
        class: ErrorClass,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        StepError {
            class,
            code: code.into(),
            message: message.into(),
        }
    }

    #[cfg(test)]
    pub(crate) fn throttled(code: impl Into<String>, message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Throttled, code, message)
    }

    pub(crate) fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Transient, code, message)
    }

    pub(crate) fn conflict(code: impl Into<String>, message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Conflict, code, message)
    }

    pub(crate) fn fatal(code: impl Into<String>, message: impl Into<String>) -> Self {
        StepError::new(ErrorClass::Fatal, code, message)
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StepError {}

/// Everything an [`Operator`](super::Operator) needs to perform one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRequest {
    pub(crate) step: Step,
    /// What is known of this resource in AWS (at least its `id`, from the observed state or an
    /// earlier step); None for a create.
    pub(crate) existing: Option<Outputs>,
    /// Outputs of the resources this one depends on that are known (created by earlier steps or
    /// already existing), by address.
    pub(crate) inputs: BTreeMap<Address, Outputs>,
}

impl StepRequest {
    pub(crate) fn address(&self) -> &Address {
        &self.step.address
    }

    pub(crate) fn kind(&self) -> ResourceKind {
        self.step.kind
    }

    pub(crate) fn operation(&self) -> Operation {
        self.step.operation
    }

    /// A desired property, falling back to the observed one (deletes have only those).
    pub(crate) fn property(&self, key: &str) -> Option<&Value> {
        self.step
            .desired
            .as_ref()
            .and_then(|p| p.get(key))
            .or_else(|| self.step.observed.as_ref().and_then(|p| p.get(key)))
    }
}

/// What the executor lends a step while it runs: its wait budget, its jitter and a way to report
/// progress. AWS's rate limits are not here: every AWS call takes its token in the HTTP gate under
/// the SDK clients (`aws::gate`), so no step can forget one.
pub struct StepContext<'a> {
    /// How to poll for this step's readiness and when to give up.
    pub(crate) wait: WaitSpec,
    pub(crate) step: StepRef,
    pub(crate) events: &'a EventSink,
    pub(crate) jitter: &'a Jitter,
}

impl StepContext<'_> {
    /// Reports that the step is waiting for AWS, in `state` (e.g. "creating"), for `waited`.
    pub(crate) fn report_waiting(&self, state: &str, waited: Duration) {
        self.events.emit(Event::StepWaiting {
            step: self.step.clone(),
            state: state.to_string(),
            waited,
        });
    }

    /// Polls `probe` on this step's schedule until `condition` holds, reporting each new state.
    /// A timeout becomes a fatal `WaitTimeout` error naming the last state seen.
    pub(crate) async fn wait_until<T, P, F>(
        &self,
        probe: P,
        condition: impl Condition<T>,
    ) -> Result<Option<T>, StepError>
    where
        T: fmt::Display,
        P: FnMut() -> F,
        F: Future<Output = Result<Option<T>, StepError>>,
    {
        self.wait_with(&self.wait, probe, condition).await
    }

    /// [`StepContext::wait_until`], looking once at once before the schedule's first look: for
    /// a wait whose AWS peers check right after the call (a botocore waiter's first attempt, a
    /// Terraform `StateChangeConf` without `Delay`) because the state may already hold — a
    /// State Manager association with no node to run on, a service deleted with no task left.
    /// One call more when it does not.
    pub(crate) async fn wait_until_looking_first<T, P, F>(
        &self,
        probe: P,
        condition: impl Condition<T>,
    ) -> Result<Option<T>, StepError>
    where
        T: fmt::Display,
        P: FnMut() -> F,
        F: Future<Output = Result<Option<T>, StepError>>,
    {
        self.wait_with_looking_first(&self.wait, probe, condition)
            .await
    }

    /// [`StepContext::wait_with`], looking once at once first (as
    /// [`StepContext::wait_until_looking_first`] does).
    pub(crate) async fn wait_with_looking_first<T, P, F>(
        &self,
        spec: &WaitSpec,
        mut probe: P,
        condition: impl Condition<T>,
    ) -> Result<Option<T>, StepError>
    where
        T: fmt::Display,
        P: FnMut() -> F,
        F: Future<Output = Result<Option<T>, StepError>>,
    {
        match probe().await {
            Ok(observed) if condition.matches(observed.as_ref()) => return Ok(observed),
            Err(error) if error.class == ErrorClass::Fatal => return Err(error),
            // Not yet (or no news): the schedule as usual.
            _ => {}
        }
        self.wait_with(spec, probe, condition).await
    }

    /// Polls `probe` on `spec` (this step's [`StepContext::wait`], changed: e.g.
    /// [`WaitSpec::expecting`]) until `condition` holds, as [`StepContext::wait_until`] does.
    pub(crate) async fn wait_with<T, P, F>(
        &self,
        spec: &WaitSpec,
        probe: P,
        condition: impl Condition<T>,
    ) -> Result<Option<T>, StepError>
    where
        T: fmt::Display,
        P: FnMut() -> F,
        F: Future<Output = Result<Option<T>, StepError>>,
    {
        let mut last_state: Option<String> = None;
        let result = wait::until(spec, self.jitter, probe, condition, |observed, waited| {
            let state = observed.map_or_else(|| "absent".to_string(), |o| o.to_string());
            if last_state.as_deref() != Some(state.as_str()) {
                self.report_waiting(&state, waited);
                last_state = Some(state);
            }
        })
        .await;
        match result {
            Ok(observed) => Ok(observed),
            Err(WaitError::Probe(error)) => Err(error),
            Err(WaitError::Timeout { waited, last }) => Err(StepError::fatal(
                "WaitTimeout",
                format!(
                    "not ready after {}s (last state: {})",
                    waited.as_secs(),
                    last.map_or_else(|| "absent".to_string(), |o| o.to_string())
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::wait::{PollSchedule, has};
    use std::cell::Cell;

    /// Runs `body` with a step context whose schedule first looks after an hour.
    async fn with_context<R>(body: impl AsyncFnOnce(&StepContext<'_>) -> R) -> R {
        let events = EventSink::discard();
        let jitter = Jitter::seeded(1);
        let ctx = StepContext {
            wait: WaitSpec {
                schedule: PollSchedule::every(Duration::from_secs(3600)),
                timeout: Duration::from_secs(4 * 3600),
                time_scale: 1.0,
            },
            step: StepRef {
                address: Address::new("ecs.ecs_service[web]"),
                kind: ResourceKind::EcsService,
                operation: Operation::Delete,
                replacing: false,
            },
            events: &events,
            jitter: &jitter,
        };
        body(&ctx).await
    }

    #[tokio::test(start_paused = true)]
    async fn looking_first_ends_at_once_when_the_state_already_holds() {
        let looks = Cell::new(0);
        let started = tokio::time::Instant::now();
        let seen = with_context(async |ctx| {
            ctx.wait_until_looking_first(
                || async {
                    looks.set(looks.get() + 1);
                    Ok::<_, StepError>(Some("INACTIVE"))
                },
                has(|s: &&str| *s == "INACTIVE"),
            )
            .await
        })
        .await;
        assert_eq!(seen, Ok(Some("INACTIVE")));
        assert_eq!(looks.get(), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn looking_first_then_follows_the_schedule() {
        let looks = Cell::new(0);
        let started = tokio::time::Instant::now();
        let seen = with_context(async |ctx| {
            ctx.wait_until_looking_first(
                || async {
                    looks.set(looks.get() + 1);
                    Ok::<_, StepError>(Some(if looks.get() < 2 {
                        "DRAINING"
                    } else {
                        "INACTIVE"
                    }))
                },
                has(|s: &&str| *s == "INACTIVE"),
            )
            .await
        })
        .await;
        assert_eq!(seen, Ok(Some("INACTIVE")));
        assert_eq!(
            looks.get(),
            2,
            "one look at once, then the schedule's first"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn looking_first_stops_at_a_fatal_error() {
        let error = with_context(async |ctx| {
            ctx.wait_until_looking_first(
                || async { Err::<Option<&str>, _>(StepError::fatal("AccessDenied", "no")) },
                has(|s: &&str| *s == "INACTIVE"),
            )
            .await
        })
        .await;
        assert_eq!(error.map_err(|e| e.code), Err("AccessDenied".to_string()));
    }

    #[test]
    fn observed_resources_are_known_by_id_and_name() {
        let mut observed = ObservedState::empty("demo", "us-east-1");
        observed.resources.push(crate::plan::ObservedResource {
            address: Address::new("network.vpc"),
            kind: ResourceKind::Vpc,
            id: "vpc-0abc".into(),
            name: "demo-vpc".into(),
            properties: Map::new(),
        });
        let known = known_outputs(&observed);
        let vpc = known.get(&Address::new("network.vpc")).expect("known");
        assert_eq!(vpc.get("id"), Some(&Value::from("vpc-0abc")));
        assert_eq!(vpc.get("name"), Some(&Value::from("demo-vpc")));
    }

    #[test]
    fn an_error_reads_as_code_and_message() {
        let error = StepError::conflict("DependencyViolation", "has dependent object");
        assert!(error.class.is_retryable());
        assert_eq!(
            error.to_string(),
            "DependencyViolation: has dependent object"
        );
    }
}
