//! What every verb that talks to AWS shares: `--region`, `--profile`, `--endpoint-url`, the
//! executor's tuning, the async runtime and Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};

use shinyctl::aws::Target;
use shinyctl::ops::{Execution, Interrupt};

/// Where to reach AWS. Credentials come from the standard chain (environment, profiles, SSO,
/// instance and container metadata).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// The AWS region; must match the blueprint's metadata.region, which is the default.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The shared-config profile to use (default: AWS_PROFILE, else `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator) instead of AWS's.
    #[arg(long, value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Emulator only: act as this 12-digit account (sends `x-moto-account-id`).
    #[arg(
        long,
        value_name = "ACCOUNT",
        env = "SHINYCTL_EMULATOR_ACCOUNT",
        hide = true,
        requires = "endpoint_url"
    )]
    pub emulator_account: Option<String>,
    /// At most this many AWS calls in flight at once; when more wait, the call of the resource
    /// that begins the slowest remaining chain goes first. Lower it for an endpoint that answers
    /// few calls at a time (a local emulator).
    #[arg(long, value_name = "N", env = "SHINYCTL_CALLS_IN_FLIGHT",
          default_value_t = shinyctl::aws::config::DEFAULT_CALLS_IN_FLIGHT,
          value_parser = parallelism)]
    pub calls_in_flight: usize,
    /// Write one JSON line per AWS request to FILE: its service, operation, when it was sent,
    /// when its answer came and the HTTP status (no parameters, no answers). For seeing where a
    /// slow command waits.
    #[arg(long, value_name = "FILE", env = "SHINYCTL_CALL_LOG")]
    pub call_log: Option<std::path::PathBuf>,
}

impl AwsArgs {
    pub fn target(&self) -> Target {
        let emulator = self.emulator_account.is_some();
        Target {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            // The emulator takes any keys; its account comes from the header, not from STS.
            static_keys: emulator.then(|| ("testing".to_string(), "testing".to_string())),
            emulator_account: self.emulator_account.clone(),
            calls_in_flight: self.calls_in_flight,
            call_log: self.call_log.clone(),
            ..Target::default()
        }
    }
}

/// How the executor runs (apply and destroy).
#[derive(Debug, Clone, clap::Args)]
pub struct ExecutionArgs {
    /// At most this many resources in flight at once.
    #[arg(long, value_name = "N", default_value_t = shinyctl::apply::DEFAULT_PARALLELISM,
          value_parser = parallelism)]
    pub parallelism: usize,
    /// Emulator only: how fast time passes compared with AWS (e.g. 0.0167 for the emulator's
    /// default profile). Scales readiness estimates, polls, timeouts, retry delays and rate-limit
    /// refills, so against AWS it would spend AWS's limits too fast: it needs an endpoint URL.
    #[arg(
        long,
        value_name = "FACTOR",
        env = "SHINYCTL_TIME_SCALE",
        hide = true,
        default_value_t = 1.0,
        requires = "endpoint_url"
    )]
    pub time_scale: f64,
}

fn parallelism(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err("expected a whole number from 1 to 1000".into()),
    }
}

impl ExecutionArgs {
    pub fn execution(&self) -> Execution {
        Execution {
            parallelism: self.parallelism,
            time_scale: self.time_scale,
        }
    }
}

/// Runs `future` to completion on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

/// Runs an apply or destroy flow on a fresh runtime: `run` gets the AWS target at the run's time
/// scale and the [`Interrupt`] that Ctrl-C raises.
pub fn block_on_interruptible<T>(
    aws: &AwsArgs,
    execution: &Execution,
    run: impl AsyncFnOnce(Target, &Interrupt) -> T,
) -> anyhow::Result<T> {
    block_on(async {
        let interrupt = interrupts();
        run(
            aws.target().with_time_scale(execution.time_scale),
            &interrupt,
        )
        .await
    })
}

/// Set while a question waits for an answer: Ctrl-C then just ends the command (nothing has been
/// changed and no lock is held while asking).
pub static ASKING: AtomicBool = AtomicBool::new(false);

/// Exit status of a command ended by Ctrl-C without finishing (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: i32 = 130;

/// Listens for Ctrl-C (call inside the runtime). The first raises the returned [`Interrupt`]:
/// nothing new starts, in-flight steps finish and the run reports. The second exits at once.
pub fn interrupts() -> Interrupt {
    let (raise, interrupt) = Interrupt::new();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: keep the channel open so nothing looks interrupted.
            std::future::pending::<()>().await;
        }
        if ASKING.load(Ordering::SeqCst) {
            let _ = super::output::stderr("\nInterrupted: nothing was changed.\n");
            std::process::exit(INTERRUPTED_EXIT);
        }
        let _ = super::output::stderr(
            "\nInterrupted: starting nothing new, waiting for in-flight steps to finish \
             (Ctrl-C again to exit at once).\n",
        );
        let _ = raise.send(true);
        let _ = tokio::signal::ctrl_c().await;
        let _ = super::output::stderr(
            "\nInterrupted again: exiting now. Steps in flight may still complete in AWS; run the \
             same command again to continue (add --break-lock: the lock was not released).\n",
        );
        std::process::exit(INTERRUPTED_EXIT);
    });
    interrupt
}
