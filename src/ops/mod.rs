//! The command flows behind `plan` (live), `apply` and `destroy`, as library calls: connect, read
//! what exists, diff, ask, lock, execute, verify. The CLI only parses flags and supplies a
//! [`Console`] for what belongs to the terminal (showing a plan, asking, drawing progress), so the
//! flows stay testable and the terminal stays out of them.
//!
//! - [`live`]: `plan_live` — connect, read the blueprint's resources, diff.
//! - [`saved`]: a saved plan (`plan --out`) is applied only if a fresh plan is identical.
//! - [`run`]: the apply lock and one executor run with progress.
//! - [`apply`], [`destroy`]: the two flows that change AWS.
//! - [`entry_points`]: where the platform is after apply (URL, CNAME, cluster, endpoints).
//! - [`doctor`]: before an apply, what AWS would refuse it for (credentials, services, quotas,
//!   permissions, versions, certificates, secrets), each with its fix.
//! - [`status`]: what exists of the blueprint and how it is (health, rollout, entry points).
//! - [`workload`]: the proxy workload in those flows (planned, deployed after AWS, removed first).
//! - [`images`]: `images mirror`, copying public images into the blueprint's ECR.
//!
//! Every change to the cloud goes through a Plan: apply executes the diff, destroy executes the diff
//! against an empty blueprint.

pub(crate) mod apply;
pub(crate) mod destroy;
pub mod doctor;
pub mod entry_points;
pub mod images;
pub mod live;
pub(crate) mod run;
pub mod saved;
pub mod status;
pub(crate) mod workload;

use std::time::Duration;

use tokio::sync::watch;

use crate::apply::{Config, ScheduleError};
use crate::aws::config::ConnectError;
use crate::aws::lock::LockError;
use crate::aws::{ReadError, Target};
use crate::plan::Plan;
use crate::render::progress::ProgressRenderer;

pub use apply::{ApplyOptions, ApplyOutcome, apply};
pub use destroy::{DestroyOptions, DestroyOutcome, destroy};
pub use live::{LivePlan, plan_live};

/// Why a flow stopped without finishing. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the blueprint's metadata.region is {blueprint}, but --region says {flag}: shinyctl \
         manages a blueprint only in its own region (edit metadata.region to move it)"
    )]
    RegionMismatch { blueprint: String, flag: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("AWS does not support the blueprint's versions; nothing was planned or changed:\n{}", .0.join("\n"))]
    UnsupportedVersions(Vec<String>),
    #[error("the blueprint's availability zones do not fit this account; nothing was planned or changed:\n{}", .0.join("\n"))]
    Zones(Vec<String>),
    #[error(transparent)]
    Lock(Box<LockError>),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    SavedPlan(#[from] saved::SavedPlanError),
    #[error(
        "what exists in AWS changed while the plan was shown ({0}); nothing was changed, run the \
         command again to see the new plan"
    )]
    ChangedSinceShown(String),
    #[error("the apply lock could not be released: {0}; run with --break-lock next time")]
    Unlock(crate::apply::StepError),
    /// Showing or asking failed (a closed terminal, a full disk).
    #[error("{0}")]
    Console(String),
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

impl From<LockError> for Error {
    fn from(e: LockError) -> Self {
        Error::Lock(Box::new(e))
    }
}

/// How a change is approved.
#[derive(Debug, Clone, PartialEq)]
pub enum Approval {
    /// Show the plan and ask ([`Console::confirm`]).
    Ask,
    /// `--auto-approve`: show the plan and go ahead.
    Auto,
    /// `apply --plan FILE`: the saved plan (its JSON) was approved when it was saved; go ahead only
    /// if a fresh plan is identical.
    Saved(serde_json::Value),
}

/// What belongs to the terminal, supplied by the CLI.
pub trait Console {
    /// Shows the plan about to be applied.
    fn show_plan(&mut self, plan: &Plan) -> std::result::Result<(), String>;
    /// Asks `question`; `false` stops without changing anything.
    fn confirm(&mut self, question: &str) -> std::result::Result<bool, String>;
    /// A status line: the lock, warnings, verification results.
    fn say(&mut self, message: &str) -> std::result::Result<(), String>;
    /// Where the executor's events go; `verb` is `Apply` or `Destroy`.
    fn progress(&mut self, verb: &'static str) -> Box<dyn ProgressRenderer>;
    /// Where the platform is, once apply has made it (or found nothing to change).
    fn show_entry_points(
        &mut self,
        _entry: &entry_points::EntryPoints,
    ) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Ctrl-C as the flows see it: a flag the CLI's signal handler raises. A flow checks it between
/// phases (stopping before it changes anything) and the executor takes [`Interrupt::requested`]
/// as its cancellation: start nothing new, let in-flight steps finish.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// The flag and the handle that raises it.
    pub fn new() -> (watch::Sender<bool>, Interrupt) {
        let (sender, receiver) = watch::channel(false);
        (sender, Interrupt(receiver))
    }

    /// Never raised (library callers and tests).
    #[cfg(test)]
    pub(crate) fn never() -> Interrupt {
        let (sender, interrupt) = Interrupt::new();
        // Keep the channel open for the life of the process: a closed channel is not a request.
        std::mem::forget(sender);
        interrupt
    }

    pub(crate) fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when the flag is raised; never if the raising side is gone without raising it.
    pub(crate) async fn requested(&self) {
        let mut receiver = self.0.clone();
        if receiver.wait_for(|raised| *raised).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What the executor gets for a run, from the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// `--parallelism`.
    pub parallelism: usize,
    /// Multiplies every wait estimate and timeout, retry delay and the time a rate-limit bucket
    /// takes to refill; below 1 for the emulator's scaled latency profile (`SHINYCTL_TIME_SCALE`).
    pub time_scale: f64,
}

impl Default for Execution {
    fn default() -> Self {
        Execution {
            parallelism: crate::apply::DEFAULT_PARALLELISM,
            time_scale: 1.0,
        }
    }
}

impl Execution {
    pub(crate) fn config(&self) -> Config {
        let mut config = Config {
            parallelism: self.parallelism.max(1),
            ..Config::default()
        };
        config.waits.time_scale = self.time_scale;
        config.retries = config.retries.scaled(self.time_scale);
        if self.time_scale.is_finite() && self.time_scale > 0.0 && self.time_scale < 1.0 {
            // A scaled emulator also answers polls sooner; keep timeouts proportionate but never
            // shorter than a few seconds, which a loaded CI machine needs.
            config.waits.min_timeout = config
                .waits
                .min_timeout
                .mul_f64(self.time_scale)
                .max(Duration::from_secs(30));
        }
        config
    }
}

/// The connection target for `loaded`: the blueprint's region unless the flag names one, and a
/// flag that disagrees with the blueprint is an error (a plan is for one region).
pub(crate) fn target_for(
    blueprint: &crate::blueprint::Blueprint,
    mut target: Target,
) -> Result<Target> {
    let region = &blueprint.metadata.region;
    match &target.region {
        Some(flag) if flag != region => {
            return Err(Error::RegionMismatch {
                blueprint: region.clone(),
                flag: flag.clone(),
            });
        }
        _ => target.region = Some(region.clone()),
    }
    Ok(target)
}

/// Turns a console failure into a flow error.
fn console<T>(result: std::result::Result<T, String>) -> Result<T> {
    result.map_err(Error::Console)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blueprints_region_is_the_default_and_a_different_flag_is_refused() {
        let loaded = crate::load::load_str(
            "t.yaml",
            "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: t\n  region: eu-west-1\n",
        )
        .expect("valid");
        let target = target_for(&loaded.blueprint, Target::default()).unwrap();
        assert_eq!(target.region.as_deref(), Some("eu-west-1"));
        let flag = Target {
            region: Some("us-east-1".into()),
            ..Target::default()
        };
        let err = target_for(&loaded.blueprint, flag).unwrap_err();
        assert!(err.to_string().contains("metadata.region"), "{err}");
    }

    #[test]
    fn time_scale_reaches_the_wait_policy() {
        let config = Execution {
            parallelism: 0,
            time_scale: 1.0 / 60.0,
        }
        .config();
        assert_eq!(config.parallelism, 1);
        assert!((config.waits.time_scale - 1.0 / 60.0).abs() < 1e-12);
        assert_eq!(config.waits.min_timeout, Duration::from_secs(30));
        assert_eq!(
            Execution::default().config().waits,
            crate::apply::wait::WaitPolicy::default()
        );
    }

    #[tokio::test]
    async fn an_interrupt_is_seen_once_raised() {
        let (raise, interrupt) = Interrupt::new();
        assert!(!interrupt.is_requested());
        raise.send(true).unwrap();
        assert!(interrupt.is_requested());
        interrupt.requested().await;
    }
}
