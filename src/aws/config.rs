//! Where shinyctl talks to: region, profile, endpoint override and credentials, resolved once into
//! a [`Connection`] (clients for every service, the account and the partition).
//!
//! Credentials come from the standard AWS chain (environment, shared profiles, SSO, credential
//! processes, web identity, container and instance metadata); `--profile` picks a profile,
//! `--region` overrides the chain's region, and `--endpoint-url` / `AWS_ENDPOINT_URL` sends every
//! service to one endpoint (the emulator). TLS uses rustls on ring only (BUILD-NOTES.md): the SDK
//! gets an explicit HTTP client, so aws-lc is never needed at run time.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls;
use aws_types::region::Region;

use super::clients::Clients;
use super::errors::step_error;
use crate::apply::backoff::{RetryPolicy, call_retries};
use crate::apply::limits::{RateLimiter, RateLimits};
use crate::plan::catalog::{Partition, partition};

/// What the user asked to connect to; `None` fields come from the standard chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// `--region`; otherwise the chain's (`AWS_REGION`, the profile's `region`).
    pub region: Option<String>,
    /// `--profile`; otherwise `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// `--endpoint-url`; otherwise `AWS_ENDPOINT_URL` (read by the chain itself).
    pub endpoint_url: Option<String>,
    /// Fixed access keys instead of the chain (the emulator takes any).
    pub static_keys: Option<(String, String)>,
    /// Sends `x-moto-account-id: <id>` with every request: the emulator then acts as that
    /// account, which isolates tests from each other. Never set against AWS.
    pub emulator_account: Option<String>,
    /// How fast time passes compared with AWS (`SHINYCTL_TIME_SCALE`; 1/60 for the emulator's
    /// default profile): the SDK's and the Kubernetes client's retry delays scale with it.
    pub time_scale: f64,
    /// At most this many AWS calls in flight at once; a waiting call of the step that begins the
    /// slowest remaining chain goes first (`--calls-in-flight`, [`super::gate`]).
    pub calls_in_flight: usize,
    /// `--call-log FILE`: note every AWS request's name and times there ([`super::gate::CallLog`]).
    pub call_log: Option<std::path::PathBuf>,
}

/// Calls in flight by default: eight times the executor's default parallelism. A read starts
/// every independent call together (a listing for each kind, then a detail per resource) and
/// takes as many round trips as its dependency depth only if they need not queue for a permit
/// (`services::stages`): a generated 100-app blueprint's plan asks 279 calls, most of them in
/// its first two waves (a lifecycle policy and an image check per repository, beside every
/// kind's listing); at 128 its listings queued behind the image checks, a round trip more
/// (docs/benchmarks.md). An apply's steps (32 at once, a call or two each) rarely reach it,
/// where the bound orders the waiting calls by the critical path. AWS's rate limits are kept by
/// the token buckets, not by this.
pub const DEFAULT_CALLS_IN_FLIGHT: usize = 8 * crate::apply::DEFAULT_PARALLELISM;

impl Default for Target {
    fn default() -> Self {
        Target {
            region: None,
            profile: None,
            endpoint_url: None,
            static_keys: None,
            emulator_account: None,
            time_scale: 1.0,
            calls_in_flight: DEFAULT_CALLS_IN_FLIGHT,
            call_log: None,
        }
    }
}

impl Target {
    /// The emulator at `endpoint`, acting as `account` (12 digits) in `region`.
    pub fn emulator(endpoint: &str, region: &str, account: &str) -> Self {
        Target {
            region: Some(region.to_string()),
            profile: None,
            endpoint_url: Some(endpoint.to_string()),
            static_keys: Some(("testing".into(), "testing".into())),
            emulator_account: Some(account.to_string()),
            ..Target::default()
        }
    }

    /// The same target with retry delays scaled by `time_scale` (see [`Target::time_scale`]).
    pub fn with_time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    /// The retries inside one call to AWS or to the cluster, at this target's time scale.
    pub fn call_retries(&self) -> RetryPolicy {
        call_retries(self.time_scale)
    }
}

/// The SDK's retry configuration for `policy`: standard mode (exponential backoff with full
/// jitter) with the policy's attempts, first delay and largest delay.
///
/// Not adaptive mode: its client-side rate limiter slows every request of a service after
/// throttling, in real seconds and on top of the executor's own per-service token buckets, which
/// already pace calls to AWS's published rates. The SDK's retry quota is switched off in
/// [`super::clients`].
pub(crate) fn sdk_retry_config(policy: &RetryPolicy) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(policy.max_attempts)
        .with_initial_backoff(policy.base)
        .with_max_backoff(policy.cap)
}

/// A resolved connection: where, as whom, and the clients to get there.
#[derive(Clone)]
pub struct Connection {
    pub region: String,
    pub(crate) partition: Partition,
    /// The 12-digit account id the credentials belong to.
    pub account: String,
    /// The endpoint override, when there is one (the emulator).
    pub(crate) endpoint_url: Option<String>,
    pub clients: Clients,
    /// The command's rate-limit buckets (AWS's published limits at the target's time scale),
    /// spent by the HTTP gate under every client ([`super::gate`]): every call of the command,
    /// reads and steps alike, as AWS's own buckets are shared by the account.
    pub limiter: Arc<RateLimiter>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("region", &self.region)
            .field("partition", &self.partition)
            .field("account", &self.account)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

/// Why shinyctl cannot talk to AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    NoRegion,
    /// `--call-log`'s file cannot be written.
    CallLog {
        path: String,
        message: String,
    },
    /// The credentials were refused or could not be found (STS GetCallerIdentity failed).
    Identity {
        code: String,
        message: String,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::NoRegion => write!(
                f,
                "no AWS region: set metadata.region in the blueprint, pass --region or set AWS_REGION"
            ),
            ConnectError::CallLog { path, message } => {
                write!(f, "cannot write the call log {path}: {message}")
            }
            // No answer at all: the endpoint, not the credentials, is what to check.
            ConnectError::Identity { code, message } if code == "DispatchFailure" => write!(
                f,
                "cannot reach AWS ({message}); check the network, and --endpoint-url / \
                 AWS_ENDPOINT_URL if one is set"
            ),
            ConnectError::Identity { code, message } => write!(
                f,
                "cannot identify the AWS account ({code}: {message}); check the credentials \
                 (AWS_PROFILE, --profile, `aws sso login`)"
            ),
        }
    }
}

impl std::error::Error for ConnectError {}

/// The HTTP client every SDK client uses: rustls with ring.
pub(crate) fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The first call of every command: three attempts, not [`crate::apply::backoff::CALL_RETRIES`]'s
/// eight, so a wrong endpoint or a network that is down is reported in seconds, not a minute.
fn identity_retries(target: &Target) -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        ..target.call_retries()
    }
}

/// Resolves `target` through the standard chain, builds the clients and asks STS who we are.
pub async fn connect(target: &Target) -> Result<Connection, ConnectError> {
    let limiter = Arc::new(RateLimiter::new(
        RateLimits::default().scaled(target.time_scale),
    ));
    let log = match &target.call_log {
        Some(path) => Some(Arc::new(super::gate::CallLog::create(path).map_err(
            |e| ConnectError::CallLog {
                path: path.display().to_string(),
                message: e.to_string(),
            },
        )?)),
        None => None,
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(super::gate::gated(
            http_client(),
            target.calls_in_flight,
            limiter.clone(),
            log,
        ))
        .retry_config(sdk_retry_config(&target.call_retries()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile.clone());
    }
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    if let Some((key, secret)) = &target.static_keys {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            key.clone(),
            secret.clone(),
            None,
            None,
            "shinyctl-static",
        ));
    }
    let sdk = loader.load().await;
    let region = sdk
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or(ConnectError::NoRegion)?;
    let endpoint_url = sdk.endpoint_url().map(str::to_string);
    let clients = Clients::new(
        &sdk,
        endpoint_url.is_some(),
        target.emulator_account.clone(),
    );
    let account = match &target.emulator_account {
        Some(account) => account.clone(),
        None => {
            let identity = clients
                .sts
                .get_caller_identity()
                .customize()
                .config_override(
                    aws_sdk_sts::Config::builder()
                        .retry_config(sdk_retry_config(&identity_retries(target))),
                )
                .send()
                .await
                .map_err(|e| {
                    let e = step_error(e);
                    ConnectError::Identity {
                        code: e.code,
                        message: e.message,
                    }
                })?;
            identity.account().unwrap_or_default().to_string()
        }
    };
    Ok(Connection {
        limiter,
        partition: partition(&region),
        region,
        account,
        endpoint_url,
        clients,
    })
}

impl Connection {
    /// `arn:<partition>:<service>:<region>:<account>:<resource>` for this connection; IAM and S3
    /// ARNs pass an empty region (and S3 an empty account).
    pub(crate) fn arn(&self, service: &str, region: &str, account: &str, resource: &str) -> String {
        format!(
            "{}:{service}:{region}:{account}:{resource}",
            self.partition.arn_prefix()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_target_isolates_by_account() {
        let t = Target::emulator("http://127.0.0.1:5000", "cn-northwest-1", "111122223333");
        assert_eq!(t.emulator_account.as_deref(), Some("111122223333"));
        assert_eq!(t.region.as_deref(), Some("cn-northwest-1"));
        assert!(t.static_keys.is_some());
    }

    #[test]
    fn sdk_retries_follow_the_time_scale() {
        let aws = sdk_retry_config(&Target::default().call_retries());
        assert_eq!(aws.initial_backoff(), Duration::from_secs(1));
        assert_eq!(aws.max_backoff(), Duration::from_secs(20));
        assert_eq!(aws.max_attempts(), 8);
        assert_eq!(aws.mode(), aws_config::retry::RetryMode::Standard);
        let target = Target::emulator("http://127.0.0.1:5000", "us-east-1", "111122223333")
            .with_time_scale(1.0 / 60.0);
        let emulator = sdk_retry_config(&target.call_retries());
        assert!(emulator.initial_backoff() < Duration::from_millis(20));
        assert!(emulator.max_backoff() < Duration::from_millis(400));
        assert_eq!(emulator.max_attempts(), 8);
    }

    #[test]
    fn no_region_says_how_to_fix_it() {
        assert!(ConnectError::NoRegion.to_string().contains("--region"));
    }

    #[test]
    fn an_unreachable_endpoint_is_not_blamed_on_credentials() {
        let unreachable = ConnectError::Identity {
            code: "DispatchFailure".into(),
            message: "tcp connect error: Connection refused".into(),
        };
        assert!(unreachable.to_string().contains("cannot reach AWS"));
        assert!(unreachable.to_string().contains("AWS_ENDPOINT_URL"));
        let refused = ConnectError::Identity {
            code: "InvalidClientTokenId".into(),
            message: "The security token included in the request is invalid.".into(),
        };
        assert!(refused.to_string().contains("check the credentials"));
        assert_eq!(identity_retries(&Target::default()).max_attempts, 3);
    }
}
