//! One run that changes AWS: under the blueprint's lock, the executor walks the schedule while the
//! console's renderer shows its events.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use crate::apply::{
    Event, EventSink, Executor, Operation, Operator, Outputs, Schedule, Step, StepContext,
    StepError, StepId, StepRequest, Summary,
};
use crate::aws::lock::{self, Lock};
use crate::aws::operator::DataPolicy;
use crate::aws::{AwsOperator, Connection, LiveState};
use crate::plan::{Address, Change, ObservedResource};
use crate::render::progress::{ProgressRenderer, drain};

use super::workload::{
    DeployInput, controllers_need, controllers_wanted, deploy_after_aws, install_controllers,
    not_attempted,
};
use super::{Console, Error, Execution, Interrupt, Result, console};

/// Takes the lock of `blueprint` for `operation` (`apply`, `destroy`). With `break_lock`, first
/// removes whatever lock there is and says whose it was.
pub(crate) async fn take_lock(
    conn: &Connection,
    blueprint: &str,
    operation: &str,
    break_lock: bool,
    out: &mut dyn Console,
) -> Result<Lock> {
    if break_lock {
        match lock::break_lock(conn, blueprint).await {
            Ok(Some(info)) => console(out.say(&format!("Broke the lock held by {info}.")))?,
            Ok(None) => console(out.say("There was no lock to break."))?,
            Err(e) => return Err(lock::LockError::Aws(e).into()),
        }
    }
    Ok(lock::acquire(conn, blueprint, operation).await?)
}

/// [`take_lock`] with `beside` asked at the same time: a question whose answer no run of a
/// blueprint changes (the zones EC2 offers the account), so it needs no lock and costs the
/// command no round trip of its own. What the run acts on is not such a question: the read of
/// the blueprint's resources starts only once the lock is held, since a read begun before it
/// could see another run's changes half made, and that run could release its lock between
/// the read and our put. `beside`'s error comes first (it was asked first before); a lock
/// taken for a command that then stops is released.
pub(crate) async fn take_lock_beside<T>(
    conn: &Connection,
    blueprint: &str,
    operation: &str,
    break_lock: bool,
    out: &mut dyn Console,
    beside: impl std::future::Future<Output = Result<T>>,
) -> Result<(T, Lock)> {
    let (answer, lock) = futures::join!(
        beside,
        take_lock(conn, blueprint, operation, break_lock, out)
    );
    match (answer, lock) {
        (Ok(answer), Ok(lock)) => Ok((answer, lock)),
        (Err(e), Ok(lock)) => {
            // The command's own error is what it reports, as after a run.
            let _ = release(conn, &lock).await;
            Err(e)
        }
        (Err(e), Err(_)) | (Ok(_), Err(e)) => Err(e),
    }
}

/// Releases `lock`. A failure to release is reported after the run's own outcome.
pub(crate) async fn release(conn: &Connection, lock: &Lock) -> Result<()> {
    lock.release(conn).await.map_err(Error::Unlock)
}

/// Runs `schedule` against AWS for `blueprint`, showing progress through the console's renderer.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_schedule(
    conn: &Connection,
    blueprint: &str,
    data: DataPolicy,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    execution: &Execution,
    verb: &'static str,
    out: &mut dyn Console,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> Summary {
    run_schedule_with_outputs(
        conn, blueprint, data, schedule, known, execution, verb, out, interrupt, then,
    )
    .await
    .0
}

/// [`run_schedule`], also giving every resource's outputs after the run (`known` with what the
/// run's steps answered): what apply's entry points are read from.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_schedule_with_outputs(
    conn: &Connection,
    blueprint: &str,
    data: DataPolicy,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    execution: &Execution,
    verb: &'static str,
    out: &mut dyn Console,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> (Summary, BTreeMap<Address, Outputs>) {
    let operator = AwsOperator::new(conn.clone(), blueprint).with_data_policy(data);
    let executor = Executor::new(Answered::new(operator), execution.config());
    let mut renderer = out.progress(verb);
    execute_with_outputs(
        &executor,
        schedule,
        known,
        renderer.as_mut(),
        interrupt,
        then,
    )
    .await
}

/// An operator that also keeps what each step it performed answered (created and updated
/// steps' outputs), so what runs beside the executor (the controllers' install) can read the
/// facts of the steps done so far before the run ends.
pub(crate) struct Answered<O> {
    inner: O,
    outputs: Mutex<BTreeMap<Address, Outputs>>,
}

impl<O> Answered<O> {
    pub(crate) fn new(inner: O) -> Self {
        Answered {
            inner,
            outputs: Mutex::new(BTreeMap::new()),
        }
    }

    /// What the steps performed so far answered, by address.
    fn answered(&self) -> BTreeMap<Address, Outputs> {
        self.outputs
            .lock()
            .map(|outputs| outputs.clone())
            .unwrap_or_default()
    }
}

impl<O: Operator> Operator for Answered<O> {
    async fn perform(
        &self,
        request: &StepRequest,
        ctx: &StepContext<'_>,
    ) -> std::result::Result<Outputs, StepError> {
        let answer = self.inner.perform(request, ctx).await;
        if let Ok(outputs) = &answer
            && request.operation() != Operation::Delete
            && let Ok(mut answered) = self.outputs.lock()
        {
            answered
                .entry(request.address().clone())
                .or_default()
                .extend(outputs.clone());
        }
        answer
    }

    fn serialisation_key(&self, step: &Step) -> Option<String> {
        self.inner.serialisation_key(step)
    }
}

/// What runs beside and after the AWS steps, in the same progress view and summary: the
/// workload deploy.
pub(crate) struct Then<'a> {
    pub(crate) deploy: DeployInput<'a>,
    /// The workload changes of the approved plan: skipped or cancelled when the AWS side fails.
    pub(crate) planned: Vec<Change>,
    /// What AWS had before the run (the read the plan came from): with the run's results it is
    /// what AWS has after it, and the workload's facts come from there, not from a second read.
    pub(crate) before: LiveState,
}

/// The workload's part of a run in its two phases (the real one is [`Then`]; tests use fakes):
/// the controllers', as soon as the AWS resources they need are made, and the rest once the
/// whole AWS side is.
pub(crate) trait Workload {
    /// The workload changes of the approved plan: the steps the run counts.
    fn planned(&self) -> &[Change];
    /// What AWS had before the run.
    fn before(&self) -> &LiveState;
    /// Whether the controllers' phase may have something to do.
    fn early_wanted(&self) -> bool;
    /// The AWS resources (addresses) that phase needs made.
    fn early_needs(&self) -> BTreeSet<Address>;
    /// Installs the controllers with what AWS has now (`live`), reporting their steps in `sink`
    /// and in the summary it returns with their addresses; `None` when it did nothing and
    /// reported nothing (the deploy after the AWS side then takes them).
    async fn install_early(
        &self,
        live: &LiveState,
        sink: &EventSink,
    ) -> Option<(Summary, BTreeSet<Address>)>;
    /// Deploys the rest once the AWS side is complete: every change not `reported` already.
    async fn deploy_rest(
        &self,
        live: &LiveState,
        reported: &BTreeSet<Address>,
        summary: &mut Summary,
        sink: &EventSink,
    );
}

impl Workload for Then<'_> {
    fn planned(&self) -> &[Change] {
        &self.planned
    }

    fn before(&self) -> &LiveState {
        &self.before
    }

    fn early_wanted(&self) -> bool {
        controllers_wanted(&self.deploy, &self.before, &self.planned)
    }

    fn early_needs(&self) -> BTreeSet<Address> {
        controllers_need(self.deploy.loaded)
    }

    async fn install_early(
        &self,
        live: &LiveState,
        sink: &EventSink,
    ) -> Option<(Summary, BTreeSet<Address>)> {
        let deploy = DeployInput {
            live: Some(live),
            ..self.deploy
        };
        install_controllers(&deploy, live, sink).await
    }

    async fn deploy_rest(
        &self,
        live: &LiveState,
        reported: &BTreeSet<Address>,
        summary: &mut Summary,
        sink: &EventSink,
    ) {
        let deploy = DeployInput {
            live: Some(live),
            ..self.deploy
        };
        deploy_after_aws(&deploy, reported, summary, sink).await;
    }
}

/// What AWS has after a complete run of `schedule`: `before`, without what was deleted, with what
/// was created or updated (its desired properties, the id AWS answered with) and the run's final
/// `outputs` (endpoints, ARNs). Pure.
pub(crate) fn live_after(
    before: &LiveState,
    schedule: &Schedule,
    outputs: &BTreeMap<Address, Outputs>,
) -> LiveState {
    live_after_steps(before, schedule, |_| true, outputs)
}

/// [`live_after`] with only the steps `done` holds for done: what AWS has in the middle of a run.
fn live_after_steps(
    before: &LiveState,
    schedule: &Schedule,
    done: impl Fn(&Step) -> bool,
    outputs: &BTreeMap<Address, Outputs>,
) -> LiveState {
    let mut after = before.clone();
    let resources = &mut after.observed.resources;
    let steps: Vec<&Step> = schedule.steps().iter().filter(|s| done(s)).collect();
    // Deletes first: a replacement's create half puts the resource back.
    for step in &steps {
        if step.operation == Operation::Delete {
            resources.retain(|r| r.address != step.address);
        }
    }
    for step in &steps {
        if step.operation == Operation::Delete {
            continue;
        }
        let id = outputs
            .get(&step.address)
            .and_then(|o| o.get("id"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let properties = step.desired.clone().unwrap_or_default();
        match resources.iter_mut().find(|r| r.address == step.address) {
            Some(existing) => {
                existing.id = id.unwrap_or_else(|| existing.id.clone());
                existing.name = step.name.clone();
                existing.properties = properties;
            }
            None => resources.push(ObservedResource {
                address: step.address.clone(),
                kind: step.kind,
                id: id.unwrap_or_default(),
                name: step.name.clone(),
                properties,
            }),
        }
    }
    after.outputs = outputs.clone();
    after
}

/// `known` with what the run's steps answered so far (as the executor keeps them: a step's
/// answer extends what was known of it), without what the `done` deletes removed.
fn outputs_now(
    known: &BTreeMap<Address, Outputs>,
    answered: BTreeMap<Address, Outputs>,
    deleted: &BTreeSet<Address>,
) -> BTreeMap<Address, Outputs> {
    let mut outputs = known.clone();
    outputs.retain(|address, _| !deleted.contains(address));
    for (address, answer) in answered {
        outputs.entry(address).or_default().extend(answer);
    }
    outputs
}

/// Runs `schedule` through `executor`, feeding every event to `renderer`; Ctrl-C (`interrupt`)
/// starts nothing new and lets in-flight steps finish. A renderer that fails (a closed pipe)
/// stops showing progress; the run goes on.
#[cfg(test)]
pub(crate) async fn execute<O: Operator>(
    executor: &Executor<Answered<O>>,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    renderer: &mut dyn ProgressRenderer,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> Summary {
    execute_with_outputs(executor, schedule, known, renderer, interrupt, then)
        .await
        .0
}

/// [`execute`], also giving the outputs after the run.
///
/// With a workload (`then`), its steps are the run's too (`RunStarted` counts the planned ones)
/// and it runs in two phases. The controllers' starts once every step of the schedule on a
/// resource they need (`Workload::early_needs`) has succeeded — at once when none
/// is in the schedule — beside the rest of the AWS side, with what AWS has at that moment; an AWS
/// step that fails elsewhere does not hold it up. The rest (ShinyProxy) starts once the whole AWS
/// side succeeded and the controllers' phase did. Ctrl-C starts neither if it comes first. What
/// could not run is skipped (after a failure) or cancelled (after Ctrl-C), so every planned step
/// is reported once.
pub(crate) async fn execute_with_outputs<O: Operator>(
    executor: &Executor<Answered<O>>,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    renderer: &mut dyn ProgressRenderer,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> (Summary, BTreeMap<Address, Outputs>) {
    execute_phased(executor, schedule, known, renderer, interrupt, then).await
}

/// [`execute_with_outputs`] for any [`Workload`].
pub(crate) async fn execute_phased<O: Operator, W: Workload>(
    executor: &Executor<Answered<O>>,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    renderer: &mut dyn ProgressRenderer,
    interrupt: &Interrupt,
    then: Option<&W>,
) -> (Summary, BTreeMap<Address, Outputs>) {
    let started = std::time::Instant::now();
    let (sink, events) = EventSink::channel();
    let (aws_sink, mut aws_events) = EventSink::channel();
    let extra = then.map_or(0, |t| t.planned().len());
    let early = then.is_some_and(Workload::early_wanted);
    // The schedule's steps the controllers' phase waits for.
    let mut waiting: BTreeSet<StepId> = match then {
        Some(then) if early => {
            let needs = then.early_needs();
            schedule
                .steps()
                .iter()
                .filter(|s| needs.contains(&s.address))
                .map(Step::id)
                .collect()
        }
        _ => BTreeSet::new(),
    };
    let (start_early, early_started) = tokio::sync::oneshot::channel::<LiveState>();
    let run = async {
        let aws = async {
            let ran = executor
                .run_with_outputs(schedule, known.clone(), &aws_sink, interrupt.requested())
                .await;
            drop(aws_sink);
            ran
        };
        // The executor's events go on to the renderer, but its Finished waits for the workload.
        // The controllers' phase is let go once the steps it waits for succeeded.
        let forward = async {
            let mut start_early = early.then_some(start_early);
            let mut done: BTreeSet<StepId> = BTreeSet::new();
            while let Some(event) = aws_events.recv().await {
                match event {
                    Event::Finished { .. } => {}
                    Event::RunStarted { steps } => sink.emit(Event::RunStarted {
                        steps: steps + extra,
                    }),
                    Event::StepSucceeded { step, elapsed } => {
                        waiting.remove(&step.id());
                        done.insert(step.id());
                        sink.emit(Event::StepSucceeded { step, elapsed });
                    }
                    other => sink.emit(other),
                }
                if waiting.is_empty()
                    && let Some(start) = start_early.take()
                    && let Some(then) = then
                    && !interrupt.is_requested()
                {
                    let deleted: BTreeSet<Address> = done
                        .iter()
                        .filter(|id| id.operation == Operation::Delete)
                        .map(|id| id.address.clone())
                        .collect();
                    let outputs = outputs_now(&known, executor.operator().answered(), &deleted);
                    let live = live_after_steps(
                        then.before(),
                        schedule,
                        |s| done.contains(&s.id()),
                        &outputs,
                    );
                    // The receiver is there until this future ends.
                    let _ = start.send(live);
                }
            }
        };
        let controllers = async {
            match (then, early_started.await) {
                (Some(then), Ok(live)) => then.install_early(&live, &sink).await,
                _ => None,
            }
        };
        let ((mut summary, outputs), (), installed) = tokio::join!(aws, forward, controllers);
        if let Some(then) = then {
            let mut reported = BTreeSet::new();
            if let Some((installed, addresses)) = installed {
                reported = addresses;
                absorb(&mut summary, installed);
            }
            if interrupt.is_requested() {
                summary.interrupted = true;
            }
            if summary.is_complete() && !summary.interrupted {
                let live = live_after(then.before(), schedule, &outputs);
                then.deploy_rest(&live, &reported, &mut summary, &sink)
                    .await;
                // A deploy that stopped before its steps (while preparing: the image check, an
                // unreachable cluster) reported only the failure: the rest of the plan's
                // workload steps are skipped because of it, so every planned step is reported.
                if !summary.failed.is_empty() {
                    let rest = unreported_planned(then.planned(), &reported, &summary);
                    not_attempted(&rest, &mut summary, &sink);
                }
            } else {
                let rest: Vec<Change> = then
                    .planned()
                    .iter()
                    .filter(|c| !reported.contains(&c.address))
                    .cloned()
                    .collect();
                not_attempted(&rest, &mut summary, &sink);
            }
            summary.wall_time = started.elapsed();
        }
        sink.emit(Event::Finished {
            summary: summary.clone(),
        });
        // The renderer stops when the last sender is gone.
        drop(sink);
        (summary, outputs)
    };
    let (ran, _shown) = tokio::join!(run, drain(events, renderer));
    ran
}

/// The planned workload changes neither the controllers' phase (`reported`) nor `summary` has
/// reported.
fn unreported_planned(
    planned: &[Change],
    reported: &BTreeSet<Address>,
    summary: &Summary,
) -> Vec<Change> {
    let seen = summary.addresses();
    planned
        .iter()
        .filter(|c| !reported.contains(&c.address) && !seen.contains(&c.address))
        .cloned()
        .collect()
}

/// Adds what `other` (the controllers' phase) did to `summary`.
fn absorb(summary: &mut Summary, other: Summary) {
    summary.created.extend(other.created);
    summary.updated.extend(other.updated);
    summary.replaced.extend(other.replaced);
    summary.deleted.extend(other.deleted);
    summary.failed.extend(other.failed);
    summary.skipped.extend(other.skipped);
    summary.cancelled.extend(other.cancelled);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{Event, StepContext, StepError, StepRequest};
    use crate::plan::{ObservedState, diff};

    struct Succeeds;

    impl Operator for Succeeds {
        async fn perform(
            &self,
            request: &StepRequest,
            _ctx: &StepContext<'_>,
        ) -> std::result::Result<Outputs, StepError> {
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), request.address().to_string().into());
            Ok(outputs)
        }
    }

    #[derive(Default)]
    struct Recorder(Vec<Event>);

    impl ProgressRenderer for Recorder {
        fn render(&mut self, event: &Event) -> std::io::Result<()> {
            self.0.push(event.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_event_reaches_the_renderer_and_the_run_ends() {
        let loaded = crate::load::load_str(
            "t.yaml",
            "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: tiny\n  region: us-east-1\nregistry:\n  repositories:\n    - name: shiny/hello\n",
        )
        .expect("valid");
        let plan = diff(
            &loaded.resources,
            &ObservedState::empty("tiny", "us-east-1"),
        );
        let schedule = Schedule::from_plan(&plan, &loaded.resources, false).unwrap();
        let executor = Executor::new(Answered::new(Succeeds), crate::apply::Config::default());
        let mut recorder = Recorder::default();
        let summary = execute(
            &executor,
            &schedule,
            BTreeMap::new(),
            &mut recorder,
            &Interrupt::never(),
            None,
        )
        .await;
        assert!(summary.is_complete());
        assert_eq!(summary.created.len(), schedule.len());
        assert!(matches!(recorder.0.first(), Some(Event::RunStarted { .. })));
        assert!(matches!(recorder.0.last(), Some(Event::Finished { .. })));
    }

    #[test]
    fn after_a_run_the_state_has_its_results_without_reading_again() {
        use crate::plan::{Action, ResourceKind};
        let observed = |address: &str, id: &str| ObservedResource {
            address: Address::new(address),
            kind: ResourceKind::SecurityGroup,
            id: id.into(),
            name: address.into(),
            properties: serde_json::Map::new(),
        };
        let outputs_of = |id: &str| {
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), id.into());
            outputs
        };
        let mut state = ObservedState::empty("tiny", "us-east-1");
        state.resources = vec![observed("gone", "sg-1"), observed("kept", "sg-2")];
        let before = LiveState {
            observed: state,
            outputs: [
                (Address::new("gone"), outputs_of("sg-1")),
                (Address::new("kept"), outputs_of("sg-2")),
            ]
            .into_iter()
            .collect(),
            duplicates: Vec::new(),
        };
        let change = |address: &str, action: Action| Change {
            address: Address::new(address),
            kind: ResourceKind::SecurityGroup,
            name: address.to_string(),
            action,
            before: None,
            after: (action != Action::Delete).then(|| {
                let mut after = serde_json::Map::new();
                after.insert("description".into(), "new".into());
                after
            }),
            changes: Vec::new(),
            holds_data: false,
            replaced_because: None,
        };
        let schedule = Schedule::new(
            &[
                change("gone", Action::Delete),
                change("made", Action::Create),
            ],
            |_| Vec::new(),
        )
        .unwrap();
        // The executor's final outputs: the deleted one gone, the made one with its new id.
        let outputs: BTreeMap<Address, Outputs> = [
            (Address::new("kept"), outputs_of("sg-2")),
            (Address::new("made"), outputs_of("sg-3")),
        ]
        .into_iter()
        .collect();
        let after = live_after(&before, &schedule, &outputs);
        let ids: Vec<(&str, &str)> = after
            .observed
            .resources
            .iter()
            .map(|r| (r.address.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(ids, [("kept", "sg-2"), ("made", "sg-3")]);
        assert_eq!(after.outputs, outputs);
        assert_eq!(
            after.observed.resources[1].properties["description"],
            serde_json::Value::from("new")
        );
    }

    #[tokio::test]
    async fn an_interrupt_before_the_run_starts_nothing() {
        let loaded = crate::load::load_str(
            "t.yaml",
            "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: tiny\n  region: us-east-1\nregistry:\n  repositories:\n    - name: shiny/hello\n",
        )
        .expect("valid");
        let plan = diff(
            &loaded.resources,
            &ObservedState::empty("tiny", "us-east-1"),
        );
        let schedule = Schedule::from_plan(&plan, &loaded.resources, false).unwrap();
        let executor = Executor::new(Answered::new(Succeeds), crate::apply::Config::default());
        let (raise, interrupt) = Interrupt::new();
        raise.send(true).unwrap();
        let summary = execute(
            &executor,
            &schedule,
            BTreeMap::new(),
            &mut Recorder::default(),
            &interrupt,
            None,
        )
        .await;
        assert!(summary.interrupted);
        assert!(!summary.is_complete());
    }

    /// What happened, in order, across the fake cloud and the fake workload.
    type Log = std::sync::Arc<Mutex<Vec<String>>>;

    fn logged(log: &Log, line: String) {
        log.lock().unwrap().push(line);
    }

    /// A cloud whose steps take their `latency` (on tokio's paused clock) and fail where told.
    struct Cloud {
        latency: BTreeMap<&'static str, u64>,
        fails: Vec<&'static str>,
        log: Log,
    }

    impl Operator for Cloud {
        async fn perform(
            &self,
            request: &StepRequest,
            _ctx: &StepContext<'_>,
        ) -> std::result::Result<Outputs, StepError> {
            let address = request.address().as_str();
            let ms = self.latency.get(address).copied().unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            if self.fails.contains(&address) {
                logged(&self.log, format!("aws failed {address}"));
                return Err(StepError::new(
                    crate::apply::ErrorClass::Fatal,
                    "Boom",
                    "it broke",
                ));
            }
            logged(&self.log, format!("aws made {address}"));
            let mut outputs = Outputs::new();
            outputs.insert("id".into(), format!("id-{address}").into());
            Ok(outputs)
        }
    }

    /// A workload whose controllers' phase takes `install_ms` and makes `early` (failing when
    /// told), and whose rest makes every other planned change.
    struct FakeWorkload {
        planned: Vec<Change>,
        early: Vec<Change>,
        needs: Vec<&'static str>,
        install_ms: u64,
        install_fails: bool,
        /// The rest's deploy fails while preparing (as the image check does): only its first
        /// step is reported, failed.
        prepare_fails: bool,
        before: LiveState,
        log: Log,
    }

    fn step_of(change: &Change) -> crate::apply::StepRef {
        crate::apply::StepRef {
            address: change.address.clone(),
            kind: change.kind,
            operation: Operation::Create,
            replacing: false,
        }
    }

    /// `step` failed with `code`, reported as the real workload phases report it.
    fn failed(summary: &mut Summary, sink: &EventSink, step: crate::apply::StepRef, code: &str) {
        let error = StepError::new(crate::apply::ErrorClass::Fatal, code, "no");
        sink.emit(Event::StepFailed {
            step: step.clone(),
            error: error.clone(),
            elapsed: std::time::Duration::ZERO,
        });
        summary.failed.push(crate::apply::Failure {
            step,
            error,
            attempts: 1,
        });
    }

    impl Workload for FakeWorkload {
        fn planned(&self) -> &[Change] {
            &self.planned
        }

        fn before(&self) -> &LiveState {
            &self.before
        }

        fn early_wanted(&self) -> bool {
            !self.early.is_empty()
        }

        fn early_needs(&self) -> BTreeSet<Address> {
            self.needs.iter().map(|a| Address::new(*a)).collect()
        }

        async fn install_early(
            &self,
            live: &LiveState,
            sink: &EventSink,
        ) -> Option<(Summary, BTreeSet<Address>)> {
            let steps = &self.early;
            let mut seen: Vec<&str> = live
                .observed
                .resources
                .iter()
                .map(|r| r.address.as_str())
                .collect();
            seen.sort_unstable();
            logged(&self.log, format!("early starts seeing {}", seen.join(",")));
            let known = live
                .outputs
                .keys()
                .map(Address::as_str)
                .collect::<Vec<_>>()
                .join(",");
            logged(&self.log, format!("early knows outputs of {known}"));
            let mut summary = Summary::default();
            for change in steps {
                sink.emit(Event::StepStarted {
                    step: step_of(change),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(self.install_ms)).await;
            for change in steps {
                let step = step_of(change);
                if self.install_fails {
                    failed(&mut summary, sink, step, "Bad");
                } else {
                    sink.emit(Event::StepSucceeded {
                        step: step.clone(),
                        elapsed: std::time::Duration::ZERO,
                    });
                    summary.record_success(&step);
                }
            }
            logged(&self.log, "early done".into());
            Some((summary, steps.iter().map(|c| c.address.clone()).collect()))
        }

        async fn deploy_rest(
            &self,
            live: &LiveState,
            reported: &BTreeSet<Address>,
            summary: &mut Summary,
            sink: &EventSink,
        ) {
            logged(
                &self.log,
                format!(
                    "rest starts with {} resources",
                    live.observed.resources.len()
                ),
            );
            for change in self
                .planned
                .iter()
                .filter(|c| !reported.contains(&c.address))
            {
                let step = step_of(change);
                if self.prepare_fails {
                    failed(summary, sink, step, "ImageMissing");
                    return;
                }
                sink.emit(Event::StepStarted { step: step.clone() });
                sink.emit(Event::StepSucceeded {
                    step: step.clone(),
                    elapsed: std::time::Duration::ZERO,
                });
                summary.record_success(&step);
            }
        }
    }

    fn change(address: &str, kind: crate::plan::ResourceKind) -> Change {
        let mut after = serde_json::Map::new();
        after.insert("name".into(), address.into());
        Change {
            address: Address::new(address),
            kind,
            name: address.to_string(),
            action: crate::plan::Action::Create,
            before: None,
            after: Some(after),
            changes: Vec::new(),
            holds_data: false,
            replaced_because: None,
        }
    }

    /// AWS: a cluster (10 ms) and its nodes (after it, 10 ms), and a database beside them
    /// (100 ms). The workload: the controller (needs the cluster and nodes) and ShinyProxy.
    struct Setup {
        schedule: Schedule,
        workload: FakeWorkload,
        cloud: Cloud,
        log: Log,
    }

    fn setup(aws: &[(&'static str, u64)], fails: &[&'static str]) -> Setup {
        use crate::plan::ResourceKind::{DbCluster, EksCluster, KubernetesObject, NodeGroup};
        let log: Log = Default::default();
        let kinds = [
            ("cluster", EksCluster),
            ("nodes", NodeGroup),
            ("database", DbCluster),
        ];
        let changes: Vec<Change> = kinds
            .iter()
            .filter(|(a, _)| aws.iter().any(|(b, _)| a == b))
            .map(|(a, k)| change(a, *k))
            .collect();
        let schedule = Schedule::new(&changes, |address| {
            if address.as_str() == "nodes"
                && changes.iter().any(|c| c.address.as_str() == "cluster")
            {
                vec![Address::new("cluster")]
            } else {
                Vec::new()
            }
        })
        .unwrap();
        let controller = change("workload.deployment[controller]", KubernetesObject);
        let proxy = change("workload.deployment[shinyproxy]", KubernetesObject);
        Setup {
            schedule,
            workload: FakeWorkload {
                planned: vec![controller.clone(), proxy],
                early: vec![controller],
                needs: vec!["cluster", "nodes"],
                install_ms: 30,
                install_fails: false,
                prepare_fails: false,
                before: LiveState {
                    observed: ObservedState::empty("t", "us-east-1"),
                    outputs: BTreeMap::new(),
                    duplicates: Vec::new(),
                },
                log: log.clone(),
            },
            cloud: Cloud {
                latency: aws.iter().copied().collect(),
                fails: fails.to_vec(),
                log: log.clone(),
            },
            log,
        }
    }

    async fn run_setup(setup: Setup, interrupt: &Interrupt) -> (Summary, Vec<Event>, Vec<String>) {
        let executor = Executor::new(Answered::new(setup.cloud), crate::apply::Config::default());
        let mut recorder = Recorder::default();
        let (summary, _) = execute_phased(
            &executor,
            &setup.schedule,
            BTreeMap::new(),
            &mut recorder,
            interrupt,
            Some(&setup.workload),
        )
        .await;
        let log = setup.log.lock().unwrap().clone();
        (summary, recorder.0, log)
    }

    /// Each workload address's events, in order, as short names.
    fn reported(events: &[Event], address: &str) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::StepStarted { step } if step.address.as_str() == address => Some("started"),
                Event::StepSucceeded { step, .. } if step.address.as_str() == address => {
                    Some("succeeded")
                }
                Event::StepFailed { step, .. } if step.address.as_str() == address => {
                    Some("failed")
                }
                Event::StepSkipped { step, .. } if step.address.as_str() == address => {
                    Some("skipped")
                }
                Event::StepCancelled { step } if step.address.as_str() == address => {
                    Some("cancelled")
                }
                _ => None,
            })
            .collect()
    }

    const CONTROLLER: &str = "workload.deployment[controller]";
    const PROXY: &str = "workload.deployment[shinyproxy]";

    #[tokio::test(start_paused = true)]
    async fn the_controllers_start_once_what_they_need_is_made_beside_the_rest_of_aws() {
        let setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 100)], &[]);
        let (summary, events, log) = run_setup(setup, &Interrupt::never()).await;
        assert_eq!(
            log,
            [
                "aws made cluster",
                "aws made nodes",
                // With the cluster's and the nodes' answers, not the database's (still in flight).
                "early starts seeing cluster,nodes",
                "early knows outputs of cluster,nodes",
                "early done",
                "aws made database",
                "rest starts with 3 resources",
            ]
        );
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(summary.created.len(), 5);
        // The renderer counts every step, each reported once, and the run ends last.
        assert!(matches!(
            events.first(),
            Some(Event::RunStarted { steps: 5 })
        ));
        assert!(matches!(events.last(), Some(Event::Finished { .. })));
        assert_eq!(reported(&events, CONTROLLER), ["started", "succeeded"]);
        assert_eq!(reported(&events, PROXY), ["started", "succeeded"]);
    }

    #[tokio::test(start_paused = true)]
    async fn shinyproxy_waits_for_the_controllers_when_they_end_after_aws() {
        let mut setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 25)], &[]);
        setup.workload.install_ms = 100;
        let (summary, _, log) = run_setup(setup, &Interrupt::never()).await;
        assert_eq!(
            log[log.len() - 3..],
            [
                "aws made database",
                "early done",
                "rest starts with 3 resources"
            ]
        );
        assert!(summary.is_complete(), "{summary:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_deploy_that_stops_while_preparing_skips_the_rest_of_its_steps() {
        let mut setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 100)], &[]);
        let service = change(
            "workload.service[shinyproxy]",
            crate::plan::ResourceKind::KubernetesObject,
        );
        setup.workload.planned.push(service);
        setup.workload.prepare_fails = true;
        let (summary, events, _) = run_setup(setup, &Interrupt::never()).await;
        assert_eq!(reported(&events, CONTROLLER), ["started", "succeeded"]);
        // As `deploy_after_aws` reports a failure while preparing: failed, never started.
        assert_eq!(reported(&events, PROXY), ["failed"]);
        assert_eq!(
            reported(&events, "workload.service[shinyproxy]"),
            ["skipped"]
        );
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].because.as_str(), PROXY);
        // Every planned step is reported exactly once.
        assert!(matches!(
            events.first(),
            Some(Event::RunStarted { steps: 6 })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_the_controllers_do_not_need_leaves_them_but_stops_shinyproxy() {
        let setup = setup(
            &[("cluster", 10), ("nodes", 10), ("database", 100)],
            &["database"],
        );
        let (summary, events, log) = run_setup(setup, &Interrupt::never()).await;
        assert!(log.contains(&"early done".to_string()), "{log:?}");
        assert!(!log.iter().any(|l| l.starts_with("rest")), "{log:?}");
        assert_eq!(reported(&events, CONTROLLER), ["started", "succeeded"]);
        assert_eq!(reported(&events, PROXY), ["skipped"]);
        assert_eq!(summary.skipped.len(), 1);
        assert_eq!(summary.skipped[0].because.as_str(), "database");
        assert!(matches!(
            events.first(),
            Some(Event::RunStarted { steps: 5 })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_the_controllers_need_stops_both_phases() {
        let setup = setup(
            &[("cluster", 10), ("nodes", 10), ("database", 100)],
            &["nodes"],
        );
        let (summary, events, log) = run_setup(setup, &Interrupt::never()).await;
        assert!(
            !log.iter()
                .any(|l| l.starts_with("early") || l.starts_with("rest"))
        );
        assert_eq!(reported(&events, CONTROLLER), ["skipped"]);
        assert_eq!(reported(&events, PROXY), ["skipped"]);
        assert!(
            summary
                .skipped
                .iter()
                .all(|s| s.because.as_str() == "nodes")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_controller_is_reported_once_and_shinyproxy_is_skipped_because_of_it() {
        let mut setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 100)], &[]);
        setup.workload.install_fails = true;
        let (summary, events, log) = run_setup(setup, &Interrupt::never()).await;
        assert!(!log.iter().any(|l| l.starts_with("rest")), "{log:?}");
        assert_eq!(reported(&events, CONTROLLER), ["started", "failed"]);
        assert_eq!(reported(&events, PROXY), ["skipped"]);
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.skipped[0].because.as_str(), CONTROLLER);
    }

    #[tokio::test(start_paused = true)]
    async fn with_nothing_to_make_in_aws_the_controllers_go_first_then_the_rest() {
        let setup = setup(&[], &[]);
        let (summary, events, log) = run_setup(setup, &Interrupt::never()).await;
        assert_eq!(
            log,
            [
                "early starts seeing ",
                "early knows outputs of ",
                "early done",
                "rest starts with 0 resources",
            ]
        );
        assert!(summary.is_complete());
        assert!(matches!(
            events.first(),
            Some(Event::RunStarted { steps: 2 })
        ));
        assert_eq!(reported(&events, PROXY), ["started", "succeeded"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_starts_no_workload_phase() {
        let setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 100)], &[]);
        let (raise, interrupt) = Interrupt::new();
        raise.send(true).unwrap();
        let (summary, events, log) = run_setup(setup, &interrupt).await;
        assert!(log.is_empty(), "{log:?}");
        assert!(summary.interrupted);
        assert_eq!(reported(&events, CONTROLLER), ["cancelled"]);
        assert_eq!(reported(&events, PROXY), ["cancelled"]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_during_the_controllers_lets_them_finish_and_starts_nothing_after() {
        let mut setup = setup(&[("cluster", 10), ("nodes", 10), ("database", 25)], &[]);
        setup.workload.install_ms = 100;
        let (raise, interrupt) = Interrupt::new();
        let raising = async {
            // The controllers start at 20 ms and end at 120 ms; AWS ends at 25 ms.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            raise.send(true).unwrap();
        };
        let ((summary, events, log), ()) = tokio::join!(run_setup(setup, &interrupt), raising);
        assert!(log.contains(&"early done".to_string()), "{log:?}");
        assert!(!log.iter().any(|l| l.starts_with("rest")), "{log:?}");
        assert!(summary.interrupted);
        assert_eq!(reported(&events, CONTROLLER), ["started", "succeeded"]);
        assert_eq!(reported(&events, PROXY), ["cancelled"]);
    }
}
