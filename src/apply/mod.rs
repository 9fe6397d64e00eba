//! Apply: executes a Plan against a cloud through an [`Operator`], concurrently and safely.
//!
//! - `schedule`: a Plan becomes steps with order constraints (a replace is delete-then-create,
//!   deletes run in reverse dependency order; those of resources gone from the blueprint by the
//!   references in their observed properties), plus makespan estimates.
//! - `operator`: the trait the AWS adapters implement (`Operator`); `step`: what a step is given
//!   (`StepRequest`, `StepContext`) and gives back (`Outputs`, `StepError` with its class for
//!   retrying).
//! - `wait`: readiness conditions and polling with backoff, always with a timeout.
//! - `limits`, `backoff`: AWS's token buckets, serialisation locks, jittered retry delays.
//! - `executor`: drives the steps concurrently through the schedule's `graph::Walk` (`slots`: its
//!   parallelism bound, longest remaining chain first, not held in retry backoff); `events`: what
//!   it reports, for renderers to display.
//!
//! Nothing here touches the AWS SDK or a terminal.

pub mod backoff;
pub(crate) mod events;
pub(crate) mod executor;
pub(crate) mod limits;
pub(crate) mod operator;
pub(crate) mod schedule;
pub(crate) mod slots;
pub(crate) mod step;
pub mod wait;

#[cfg(test)]
mod fake;

pub use events::{Event, EventSink, Failure, Skip, Summary};
pub use executor::{Config, DEFAULT_PARALLELISM, Executor};
pub(crate) use operator::Operator;
pub use schedule::{Operation, Schedule, ScheduleError, Step, StepId, StepRef, default_estimate};
pub use step::{ErrorClass, Outputs, StepContext, StepError, StepRequest, known_outputs};
