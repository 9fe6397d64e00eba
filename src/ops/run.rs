//! One run that changes AWS: under the blueprint's lock, the executor walks the schedule while the
//! console's renderer shows its events.

use std::collections::BTreeMap;

use crate::apply::{Event, EventSink, Executor, Operator, Outputs, Schedule, Summary};
use crate::aws::lock::{self, Lock};
use crate::aws::operator::DataPolicy;
use crate::aws::{AwsOperator, Connection};
use crate::plan::{Address, Change};
use crate::render::progress::{ProgressRenderer, drain};

use super::workload::{DeployInput, deploy_after_aws, not_attempted};
use super::{Console, Error, Execution, Interrupt, Result, console};

/// Takes the lock of `blueprint` for `operation` (`apply`, `destroy`). With `break_lock`, first
/// removes whatever lock there is and says whose it was.
pub async fn take_lock(
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
pub async fn release(conn: &Connection, lock: &Lock) -> Result<()> {
    lock.release(conn).await.map_err(Error::Unlock)
}

/// Runs `schedule` against AWS for `blueprint`, showing progress through the console's renderer.
#[allow(clippy::too_many_arguments)]
pub async fn run_schedule(
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
    let operator = AwsOperator::new(conn.clone(), blueprint).with_data_policy(data);
    let executor = Executor::new(operator, execution.config());
    let mut renderer = out.progress(verb);
    execute(
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
pub struct Then<'a> {
    pub deploy: DeployInput<'a>,
    /// The workload changes of the approved plan: skipped or cancelled when the AWS side fails.
    pub planned: Vec<Change>,
}

/// Runs `schedule` through `executor`, feeding every event to `renderer`; Ctrl-C (`interrupt`)
/// starts nothing new and lets in-flight steps finish. A renderer that fails (a closed pipe)
/// stops showing progress; the run goes on.
pub async fn execute<O: Operator>(
    executor: &Executor<O>,
    schedule: &Schedule,
    known: BTreeMap<Address, Outputs>,
    renderer: &mut dyn ProgressRenderer,
    interrupt: &Interrupt,
    then: Option<&Then<'_>>,
) -> Summary {
    let (sink, events) = EventSink::channel();
    let (aws_sink, mut aws_events) = EventSink::channel();
    let extra = then.map_or(0, |t| t.planned.len());
    let run = async {
        let aws = async {
            let summary = executor
                .run(schedule, known, &aws_sink, interrupt.requested())
                .await;
            drop(aws_sink);
            summary
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
        let (mut summary, ()) = tokio::join!(aws, forward);
        if let Some(then) = then {
            let started = std::time::Instant::now();
            if summary.is_complete() && !summary.interrupted {
                deploy_after_aws(&then.deploy, &mut summary, &sink).await;
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
        summary
    };
    let (summary, _shown) = tokio::join!(run, drain(events, renderer));
    summary
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
        let loaded = crate::blueprint::load_str(
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

    #[tokio::test]
    async fn an_interrupt_before_the_run_starts_nothing() {
        let loaded = crate::blueprint::load_str(
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
