//! Progress of an apply or destroy, from the executor's events: one line per event for logs and
//! pipes, or one JSON object per line (a versioned contract) for tools.

use std::io::{self, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::apply::{Event, Failure, Operation, StepError, StepId, StepRef, Summary};
use crate::plan::Address;

/// Version of the JSON-lines event format. Bump on incompatible changes.
pub(crate) const EVENTS_FORMAT_VERSION: &str = "1";

/// Shows events as they come.
pub trait ProgressRenderer {
    fn render(&mut self, event: &Event) -> io::Result<()>;
}

/// Feeds every event from `events` to `renderer` until the executor is done with the channel.
pub(crate) async fn drain(
    mut events: UnboundedReceiver<Event>,
    renderer: &mut dyn ProgressRenderer,
) -> io::Result<()> {
    while let Some(event) = events.recv().await {
        renderer.render(&event)?;
    }
    Ok(())
}

/// One plain line per event, in the spirit of Terraform's apply log.
pub struct LineRenderer<W> {
    out: W,
    /// "Apply" or "Destroy": the word the closing line starts with.
    verb: &'static str,
}

impl<W: Write> LineRenderer<W> {
    pub fn new(out: W) -> Self {
        LineRenderer { out, verb: "Apply" }
    }

    pub fn with_verb(mut self, verb: &'static str) -> Self {
        self.verb = verb;
        self
    }

    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ProgressRenderer for LineRenderer<W> {
    fn render(&mut self, event: &Event) -> io::Result<()> {
        let out = &mut self.out;
        match event {
            Event::RunStarted { steps } => {
                writeln!(out, "{} of {steps} step{}.", self.verb, plural(*steps))
            }
            Event::StepStarted { step } => {
                writeln!(out, "{}: {}...", label(step), progressive(step.operation))
            }
            Event::StepWaiting {
                step,
                state,
                waited,
            } => writeln!(
                out,
                "{}: still {}... [{state}, {} elapsed]",
                label(step),
                progressive(step.operation),
                human(*waited)
            ),
            Event::StepRetrying {
                step,
                attempt,
                reason,
                delay,
            } => writeln!(
                out,
                "{}: {} ({}), retrying in {} (attempt {}): {}",
                label(step),
                reason.code,
                reason.class.as_str(),
                human(*delay),
                attempt + 1,
                reason.message
            ),
            Event::StepSucceeded { step, elapsed } => writeln!(
                out,
                "{}: {} after {}",
                label(step),
                past(step.operation),
                human(*elapsed)
            ),
            Event::StepFailed {
                step,
                error,
                elapsed,
            } => writeln!(
                out,
                "{}: {} failed after {}: {error}",
                label(step),
                step.operation,
                human(*elapsed)
            ),
            Event::StepSkipped { step, because } => {
                writeln!(out, "{}: skipped, {because} failed", label(step))
            }
            Event::StepCancelled { step } => writeln!(out, "{}: cancelled", label(step)),
            Event::Cancelling { in_flight } => {
                let names: Vec<String> = in_flight.iter().map(label).collect();
                writeln!(
                    out,
                    "Interrupted: starting nothing new; waiting for {} in-flight step{} to finish{}",
                    in_flight.len(),
                    plural(in_flight.len()),
                    if names.is_empty() {
                        ".".to_string()
                    } else {
                        format!(": {}", names.join(", "))
                    }
                )
            }
            Event::Finished { summary } => write_summary(out, self.verb, summary),
        }
    }
}

fn write_summary(out: &mut impl Write, verb: &str, summary: &Summary) -> io::Result<()> {
    let mut counts = vec![
        format!("{} created", summary.created.len()),
        format!("{} updated", summary.updated.len()),
        format!("{} replaced", summary.replaced.len()),
        format!("{} deleted", summary.deleted.len()),
    ];
    let problems = [
        (summary.failed.len(), "failed"),
        (summary.skipped.len(), "skipped"),
        (summary.cancelled.len(), "cancelled"),
    ];
    counts.extend(
        problems
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, word)| format!("{n} {word}")),
    );
    let outcome = if summary.is_complete() {
        "complete"
    } else if summary.interrupted {
        "interrupted"
    } else {
        "incomplete"
    };
    writeln!(
        out,
        "{verb} {outcome}: {} in {}.",
        counts.join(", "),
        human(summary.wall_time)
    )?;
    for failure in &summary.failed {
        writeln!(out, "  failed: {}: {}", label(&failure.step), failure.error)?;
    }
    for skip in &summary.skipped {
        writeln!(
            out,
            "  skipped: {} ({} failed)",
            label(&skip.step),
            skip.because
        )?;
    }
    for step in &summary.cancelled {
        writeln!(out, "  not done: {}", label(step))?;
    }
    if !summary.is_complete() {
        writeln!(
            out,
            "Run the same command again to continue: finished steps are not repeated."
        )?;
    }
    Ok(())
}

/// The live view for a terminal: a spinner per step in flight (with its state and elapsed time)
/// above an overall progress bar; finished, failed and skipped steps scroll above as lines, in the
/// same words as [`LineRenderer`].
pub struct TtyRenderer {
    multi: MultiProgress,
    overall: ProgressBar,
    active: BTreeMap<StepId, ProgressBar>,
    lines: LineRenderer<Vec<u8>>,
}

impl TtyRenderer {
    /// Draws on standard error.
    pub fn new(verb: &'static str) -> Self {
        TtyRenderer::with_target(ProgressDrawTarget::stderr(), verb)
    }

    pub(crate) fn with_target(target: ProgressDrawTarget, verb: &'static str) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} steps, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        overall.set_prefix(verb);
        TtyRenderer {
            multi,
            overall,
            active: BTreeMap::new(),
            lines: LineRenderer::new(Vec::new()).with_verb(verb),
        }
    }

    /// Steps shown as in flight.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.active.len()
    }

    /// Steps counted as done by the overall bar.
    #[cfg(test)]
    pub(crate) fn done(&self) -> u64 {
        self.overall.position()
    }

    fn spinner(&mut self, step: &StepRef) -> &ProgressBar {
        let multi = &self.multi;
        let overall = &self.overall;
        self.active.entry(step.id()).or_insert_with(|| {
            let bar = multi.insert_before(overall, ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(label(step));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        })
    }

    fn finish(&mut self, step: &StepRef) {
        if let Some(bar) = self.active.remove(&step.id()) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.overall.inc(1);
    }

    /// Prints what the line renderer says about `event` above the bars.
    fn print(&mut self, event: &Event) -> io::Result<()> {
        self.lines.render(event)?;
        let text = String::from_utf8_lossy(&self.lines.out).into_owned();
        self.lines.out.clear();
        for line in text.lines() {
            self.multi.println(line)?;
        }
        Ok(())
    }
}

impl ProgressRenderer for TtyRenderer {
    fn render(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted { steps } => self.overall.set_length(*steps as u64),
            Event::StepStarted { step } => {
                let bar = self.spinner(step);
                bar.set_message(progressive(step.operation));
            }
            Event::StepWaiting { step, state, .. } => {
                let message = format!("{} [{state}]", progressive(step.operation));
                self.spinner(step).set_message(message);
            }
            Event::StepRetrying {
                step,
                attempt,
                reason,
                delay,
            } => {
                let message = format!(
                    "{}, retrying in {} (attempt {})",
                    reason.code,
                    human(*delay),
                    attempt + 1
                );
                self.spinner(step).set_message(message);
            }
            Event::StepSucceeded { step, .. }
            | Event::StepFailed { step, .. }
            | Event::StepSkipped { step, .. }
            | Event::StepCancelled { step } => {
                self.finish(step);
                self.print(event)?;
            }
            Event::Cancelling { .. } => self.print(event)?,
            Event::Finished { .. } => {
                for (_, bar) in std::mem::take(&mut self.active) {
                    bar.finish_and_clear();
                }
                self.overall.finish_and_clear();
                self.multi.clear()?;
                self.print(event)?;
            }
        }
        Ok(())
    }
}

/// One JSON object per line; see [`event_json`] for the shape.
pub struct JsonLinesRenderer<W> {
    out: W,
}

impl<W: Write> JsonLinesRenderer<W> {
    pub fn new(out: W) -> Self {
        JsonLinesRenderer { out }
    }

    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> ProgressRenderer for JsonLinesRenderer<W> {
    fn render(&mut self, event: &Event) -> io::Result<()> {
        writeln!(self.out, "{}", event_json(event))?;
        self.out.flush()
    }
}

/// The JSON form of an event: `format_version`, `type` (snake_case event name), the step's
/// `address`, `kind`, `operation` and `replacing` for step events, durations in seconds.
pub(crate) fn event_json(event: &Event) -> Value {
    let mut value = match event {
        Event::RunStarted { steps } => json!({ "type": "run_started", "steps": steps }),
        Event::StepStarted { step } => step_json("step_started", step),
        Event::StepWaiting {
            step,
            state,
            waited,
        } => with(
            step_json("step_waiting", step),
            json!({ "state": state, "waited_seconds": seconds(*waited) }),
        ),
        Event::StepRetrying {
            step,
            attempt,
            reason,
            delay,
        } => with(
            step_json("step_retrying", step),
            json!({
                "attempt": attempt,
                "error": error_json(reason),
                "delay_seconds": seconds(*delay),
            }),
        ),
        Event::StepSucceeded { step, elapsed } => with(
            step_json("step_succeeded", step),
            json!({ "elapsed_seconds": seconds(*elapsed) }),
        ),
        Event::StepFailed {
            step,
            error,
            elapsed,
        } => with(
            step_json("step_failed", step),
            json!({ "error": error_json(error), "elapsed_seconds": seconds(*elapsed) }),
        ),
        Event::StepSkipped { step, because } => with(
            step_json("step_skipped", step),
            json!({ "because": because }),
        ),
        Event::StepCancelled { step } => step_json("step_cancelled", step),
        Event::Cancelling { in_flight } => json!({
            "type": "cancelling",
            "in_flight": in_flight.iter().map(step_fields).collect::<Vec<_>>(),
        }),
        Event::Finished { summary } => {
            json!({ "type": "finished", "summary": summary_json(summary) })
        }
    };
    if let Value::Object(map) = &mut value {
        map.insert("format_version".into(), json!(EVENTS_FORMAT_VERSION));
    }
    value
}

fn step_fields(step: &StepRef) -> Value {
    json!({
        "address": step.address,
        "kind": step.kind.as_str(),
        "operation": step.operation.as_str(),
        "replacing": step.replacing,
    })
}

fn step_json(kind: &str, step: &StepRef) -> Value {
    with(json!({ "type": kind }), step_fields(step))
}

fn error_json(error: &StepError) -> Value {
    json!({ "class": error.class.as_str(), "code": error.code, "message": error.message })
}

fn list(addresses: &[Address]) -> Vec<&str> {
    addresses.iter().map(Address::as_str).collect()
}

fn summary_json(summary: &Summary) -> Value {
    let failed = |f: &Failure| {
        with(
            step_fields(&f.step),
            json!({ "error": error_json(&f.error), "attempts": f.attempts }),
        )
    };
    json!({
        "complete": summary.is_complete(),
        "interrupted": summary.interrupted,
        "created": list(&summary.created),
        "updated": list(&summary.updated),
        "replaced": list(&summary.replaced),
        "deleted": list(&summary.deleted),
        "failed": summary.failed.iter().map(failed).collect::<Vec<_>>(),
        "skipped": summary
            .skipped
            .iter()
            .map(|s| with(step_fields(&s.step), json!({ "because": s.because })))
            .collect::<Vec<_>>(),
        "cancelled": summary.cancelled.iter().map(step_fields).collect::<Vec<_>>(),
        "wall_time_seconds": seconds(summary.wall_time),
    })
}

/// `base` with `extra`'s fields added (both objects).
fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// `network.vpc`, or `network.subnet[a] (replace)` for a half of a replacement.
fn label(step: &StepRef) -> String {
    if step.replacing {
        format!("{} (replace)", step.address)
    } else {
        step.address.to_string()
    }
}

fn progressive(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "creating",
        Operation::Update => "updating",
        Operation::Delete => "deleting",
    }
}

fn past(operation: Operation) -> &'static str {
    match operation {
        Operation::Create => "created",
        Operation::Update => "updated",
        Operation::Delete => "deleted",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `0.8s`, `42s`, `4m12s`, `1h05m`.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{ErrorClass, Skip};
    use crate::plan::ResourceKind;

    fn step(address: &str, kind: ResourceKind, operation: Operation, replacing: bool) -> StepRef {
        StepRef {
            address: Address::new(address),
            kind,
            operation,
            replacing,
        }
    }

    fn events() -> Vec<Event> {
        let vpc = step("network.vpc", ResourceKind::Vpc, Operation::Create, false);
        let nat = step(
            "network.nat[a]",
            ResourceKind::NatGateway,
            Operation::Create,
            false,
        );
        let subnet = step(
            "network.subnet[a]",
            ResourceKind::Subnet,
            Operation::Delete,
            true,
        );
        let throttled = StepError::new(
            ErrorClass::Throttled,
            "RequestLimitExceeded",
            "Request limit exceeded.",
        );
        let refused = StepError::fatal("InvalidParameterValue", "bad CIDR");
        let summary = Summary {
            created: vec![vpc.address.clone()],
            failed: vec![Failure {
                step: subnet.clone(),
                error: refused.clone(),
                attempts: 1,
            }],
            skipped: vec![Skip {
                step: nat.clone(),
                because: subnet.address.clone(),
            }],
            wall_time: Duration::from_secs(252),
            ..Summary::default()
        };
        vec![
            Event::RunStarted { steps: 3 },
            Event::StepStarted { step: vpc.clone() },
            Event::StepRetrying {
                step: vpc.clone(),
                attempt: 1,
                reason: throttled,
                delay: Duration::from_millis(1250),
            },
            Event::StepWaiting {
                step: vpc.clone(),
                state: "pending".into(),
                waited: Duration::from_secs(42),
            },
            Event::StepSucceeded {
                step: vpc,
                elapsed: Duration::from_secs(75),
            },
            Event::StepStarted {
                step: subnet.clone(),
            },
            Event::StepFailed {
                step: subnet.clone(),
                error: refused,
                elapsed: Duration::from_millis(800),
            },
            Event::StepSkipped {
                step: nat,
                because: subnet.address,
            },
            Event::Finished { summary },
        ]
    }

    #[test]
    fn one_line_per_event() {
        let mut renderer = LineRenderer::new(Vec::new());
        for event in events() {
            renderer.render(&event).expect("in memory");
        }
        let text = String::from_utf8(renderer.into_inner()).expect("utf-8");
        assert_eq!(
            text,
            "\
Apply of 3 steps.
network.vpc: creating...
network.vpc: RequestLimitExceeded (throttled), retrying in 1.2s (attempt 2): Request limit exceeded.
network.vpc: still creating... [pending, 42s elapsed]
network.vpc: created after 1m15s
network.subnet[a] (replace): deleting...
network.subnet[a] (replace): delete failed after 0.8s: InvalidParameterValue: bad CIDR
network.nat[a]: skipped, network.subnet[a] failed
Apply incomplete: 1 created, 0 updated, 0 replaced, 0 deleted, 1 failed, 1 skipped in 4m12s.
  failed: network.subnet[a] (replace): InvalidParameterValue: bad CIDR
  skipped: network.nat[a] (network.subnet[a] failed)
Run the same command again to continue: finished steps are not repeated.
"
        );
    }

    #[test]
    fn cancellation_and_a_complete_destroy_read_well() {
        let mut renderer = LineRenderer::new(Vec::new()).with_verb("Destroy");
        let eks = step(
            "cluster.eks",
            ResourceKind::EksCluster,
            Operation::Delete,
            false,
        );
        renderer
            .render(&Event::Cancelling {
                in_flight: vec![eks.clone()],
            })
            .expect("in memory");
        renderer
            .render(&Event::Finished {
                summary: Summary {
                    deleted: vec![eks.address],
                    wall_time: Duration::from_secs(3900),
                    ..Summary::default()
                },
            })
            .expect("in memory");
        let text = String::from_utf8(renderer.into_inner()).expect("utf-8");
        assert_eq!(
            text,
            "\
Interrupted: starting nothing new; waiting for 1 in-flight step to finish: cluster.eks
Destroy complete: 0 created, 0 updated, 0 replaced, 1 deleted in 1h05m.
"
        );
    }

    #[test]
    fn json_lines_are_versioned_objects() {
        let mut renderer = JsonLinesRenderer::new(Vec::new());
        for event in events() {
            renderer.render(&event).expect("in memory");
        }
        let text = String::from_utf8(renderer.into_inner()).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len(), 9);
        assert!(lines.iter().all(|l| l["format_version"] == "1"));
        assert_eq!(lines[0]["type"], "run_started");
        assert_eq!(lines[2]["type"], "step_retrying");
        assert_eq!(lines[2]["error"]["class"], "throttled");
        assert_eq!(lines[2]["delay_seconds"], 1.25);
        assert_eq!(lines[5]["replacing"], true);
        assert_eq!(lines[5]["operation"], "delete");
        assert_eq!(lines[7]["because"], "network.subnet[a]");
        let summary = &lines[8]["summary"];
        assert_eq!(summary["complete"], false);
        assert_eq!(summary["created"], json!(["network.vpc"]));
        assert_eq!(
            summary["failed"][0]["error"]["code"],
            "InvalidParameterValue"
        );
        assert_eq!(summary["wall_time_seconds"], 252.0);
    }

    #[test]
    fn tty_view_tracks_steps_in_flight() {
        let mut view = TtyRenderer::with_target(ProgressDrawTarget::hidden(), "Apply");
        let all = events();
        for event in &all[..2] {
            view.render(event).expect("hidden");
        }
        assert_eq!((view.in_flight(), view.done()), (1, 0));
        for event in &all[2..6] {
            view.render(event).expect("hidden");
        }
        assert_eq!(
            (view.in_flight(), view.done()),
            (1, 1),
            "vpc done, subnet going"
        );
        for event in &all[6..] {
            view.render(event).expect("hidden");
        }
        assert_eq!((view.in_flight(), view.done()), (0, 3));
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(human(Duration::from_millis(800)), "0.8s");
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_secs(252)), "4m12s");
        assert_eq!(human(Duration::from_secs(3900)), "1h05m");
    }

    #[tokio::test]
    async fn drain_renders_until_the_channel_closes() {
        let (sink, receiver) = crate::apply::EventSink::channel();
        sink.emit(Event::RunStarted { steps: 0 });
        drop(sink);
        let mut renderer = LineRenderer::new(Vec::new());
        drain(receiver, &mut renderer).await.expect("in memory");
        assert_eq!(renderer.into_inner(), b"Apply of 0 steps.\n");
    }
}
