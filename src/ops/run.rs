//! One run that changes AWS: under the blueprint's lock, the executor walks the schedule while the
//! console's renderer shows its events.

use std::collections::BTreeMap;

use crate::apply::{Event, EventSink, Executor, Operation, Operator, Outputs, Schedule, Summary};
use crate::aws::lock::{self, Lock};
use crate::aws::operator::DataPolicy;
use crate::aws::{AwsOperator, Connection, LiveState};
use crate::plan::{Address, Change, ObservedResource};
use crate::render::progress::{ProgressRenderer, drain};

use super::workload::{DeployInput, deploy_after_aws, not_attempted};
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
    let executor = Executor::new(operator, execution.config());
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

/// What runs after the AWS steps, in the same progress view and summary: the workload deploy.
pub(crate) struct Then<'a> {
    pub(crate) deploy: DeployInput<'a>,
    /// The workload changes of the approved plan: skipped or cancelled when the AWS side fails.
    pub(crate) planned: Vec<Change>,
    /// What AWS had before the run (the read the plan came from): with the run's results it is
    /// what AWS has after it, and the workload's facts come from there, not from a second read.
    pub(crate) before: LiveState,
}

/// What AWS has after a complete run of `schedule`: `before`, without what was deleted, with what
/// was created or updated (its desired properties, the id AWS answered with) and the run's final
/// `outputs` (endpoints, ARNs). Pure.
pub(crate) fn live_after(
    before: &LiveState,
    schedule: &Schedule,
    outputs: &BTreeMap<Address, Outputs>,
) -> LiveState {
    let mut after = before.clone();
    let resources = &mut after.observed.resources;
    // Deletes first: a replacement's create half puts the resource back.
    for step in schedule.steps() {
        if step.operation == Operation::Delete {
            resources.retain(|r| r.address != step.address);
        }
    }
    for step in schedule.steps() {
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

/// Runs `schedule` through `executor`, feeding every event to `renderer`; Ctrl-C (`interrupt`)
/// starts nothing new and lets in-flight steps finish. A renderer that fails (a closed pipe)
/// stops showing progress; the run goes on.
#[cfg(test)]
pub(crate) async fn execute<O: Operator>(
    executor: &Executor<O>,
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
pub(crate) async fn execute_with_outputs<O: Operator>(
    executor: &Executor<O>,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    renderer: &mut dyn ProgressRenderer,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> (Summary, BTreeMap<Address, Outputs>) {
    let (sink, events) = EventSink::channel();
    let (aws_sink, mut aws_events) = EventSink::channel();
    let extra = then.map_or(0, |t| t.planned.len());
    let run = async {
        let aws = async {
            let ran = executor
                .run_with_outputs(schedule, known, &aws_sink, interrupt.requested())
                .await;
            drop(aws_sink);
            ran
        };
        // The executor's events go on to the renderer, but its Finished waits for the workload.
        let forward = async {
            while let Some(event) = aws_events.recv().await {
                match event {
                    Event::Finished { .. } => {}
                    Event::RunStarted { steps } => sink.emit(Event::RunStarted {
                        steps: steps + extra,
                    }),
                    other => sink.emit(other),
                }
            }
        };
        let ((mut summary, outputs), ()) = tokio::join!(aws, forward);
        if let Some(then) = then {
            let started = std::time::Instant::now();
            if summary.is_complete() && !summary.interrupted {
                let live = live_after(&then.before, schedule, &outputs);
                let deploy = DeployInput {
                    live: Some(&live),
                    ..then.deploy
                };
                deploy_after_aws(&deploy, &mut summary, &sink).await;
            } else {
                not_attempted(&then.planned, &mut summary, &sink);
            }
            summary.wall_time += started.elapsed();
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
        let executor = Executor::new(Succeeds, crate::apply::Config::default());
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
        let executor = Executor::new(Succeeds, crate::apply::Config::default());
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
}
