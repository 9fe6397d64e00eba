//! What the executor tells the world while it runs, and the summary it ends with.
//!
//! Events go through a channel so that renderers (TTY view, one line per event, JSON lines) show
//! progress without the executor knowing about terminals.

use std::time::Duration;

use tokio::sync::mpsc;

use super::schedule::{Operation, StepRef};
use super::step::StepError;
use crate::plan::Address;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run begins with this many steps.
    RunStarted {
        steps: usize,
    },
    /// The step holds its slot, lock and dependencies and makes its first call.
    StepStarted {
        step: StepRef,
    },
    /// The step waits for AWS to report it ready (or gone), in `state`.
    StepWaiting {
        step: StepRef,
        state: String,
        waited: Duration,
    },
    /// Attempt `attempt` failed with a retryable error; attempt `attempt + 1` starts after `delay`.
    StepRetrying {
        step: StepRef,
        attempt: u32,
        reason: StepError,
        delay: Duration,
    },
    StepSucceeded {
        step: StepRef,
        elapsed: Duration,
    },
    StepFailed {
        step: StepRef,
        error: StepError,
        elapsed: Duration,
    },
    /// Not attempted because a step it needs failed (`because` is that step's resource).
    StepSkipped {
        step: StepRef,
        because: Address,
    },
    /// Not attempted (or not retried) because the run was cancelled.
    StepCancelled {
        step: StepRef,
    },
    /// Cancellation was requested: nothing new starts; these steps are still finishing.
    Cancelling {
        in_flight: Vec<StepRef>,
    },
    Finished {
        summary: Summary,
    },
}

/// Where events go. Sending never blocks the executor; a dropped receiver just discards them.
#[derive(Debug, Clone, Default)]
pub struct EventSink(Option<mpsc::UnboundedSender<Event>>);

impl EventSink {
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<Event>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (EventSink(Some(sender)), receiver)
    }

    /// A sink that drops everything.
    pub fn discard() -> EventSink {
        EventSink(None)
    }

    pub(crate) fn emit(&self, event: Event) {
        if let Some(sender) = &self.0 {
            // The receiver has gone away: nobody is watching, which is not the executor's problem.
            let _ = sender.send(event);
        }
    }
}

/// A step that failed, with AWS's error code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub step: StepRef,
    pub error: StepError,
    /// Attempts made, the first included.
    pub(crate) attempts: u32,
}

/// A step not attempted because `because` failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub(crate) step: StepRef,
    pub(crate) because: Address,
}

/// What a run did. Addresses are in the order the steps finished.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub created: Vec<Address>,
    pub(crate) updated: Vec<Address>,
    /// Both halves of the replacement done.
    pub(crate) replaced: Vec<Address>,
    /// Deleted, including replaced resources whose new version was not created.
    pub(crate) deleted: Vec<Address>,
    pub failed: Vec<Failure>,
    pub skipped: Vec<Skip>,
    pub(crate) cancelled: Vec<StepRef>,
    /// Cancellation was requested during the run.
    pub interrupted: bool,
    pub(crate) wall_time: Duration,
}

impl Summary {
    /// Everything asked for was done.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && self.cancelled.is_empty()
    }

    /// Every address the run reported, however its step ended.
    pub(crate) fn addresses(&self) -> std::collections::BTreeSet<&Address> {
        let done = self
            .created
            .iter()
            .chain(&self.updated)
            .chain(&self.replaced)
            .chain(&self.deleted);
        done.chain(self.failed.iter().map(|f| &f.step.address))
            .chain(self.skipped.iter().map(|s| &s.step.address))
            .chain(self.cancelled.iter().map(|c| &c.address))
            .collect()
    }

    pub(crate) fn record_success(&mut self, step: &StepRef) {
        let address = step.address.clone();
        match (step.operation, step.replacing) {
            (Operation::Create, false) => self.created.push(address),
            (Operation::Create, true) => {
                // The delete half recorded the address as deleted; it is replaced now.
                self.deleted.retain(|a| a != &address);
                self.replaced.push(address);
            }
            (Operation::Update, _) => self.updated.push(address),
            (Operation::Delete, _) => self.deleted.push(address),
        }
    }
}
