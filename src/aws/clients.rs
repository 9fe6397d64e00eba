//! One SDK client per service, all built from the same resolved configuration.
//!
//! The SDK's client-side retry quota is switched off: in standard mode every retry takes 5 tokens
//! (10 for a timeout) from a 500-token bucket per service and only a first-attempt success gives
//! one back, and a client's calls in flight at once share one permit slot, so a retry of one
//! call forgets the permit another call's retry held. Under sustained throttling — 20% of calls
//! in the bench, or an account whose other users exhaust AWS's shared limits — the bucket runs
//! dry within a run and every later throttle surfaces as an error without a single retry. The
//! quota protects long-running services from retry storms during an outage; shinyctl is a
//! bounded run that already paces its calls (the executor's per-service token buckets and
//! parallelism) and bounds its retries (attempts and jittered backoff, `apply::backoff`).

use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_types::SdkConfig;

use super::gate::NameTheCall;

/// Every client shinyctl uses. Cloning is cheap (the clients share their connection pool).
#[derive(Clone, Debug)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub iam: aws_sdk_iam::Client,
    pub eks: aws_sdk_eks::Client,
    pub(crate) efs: aws_sdk_efs::Client,
    pub(crate) rds: aws_sdk_rds::Client,
    pub(crate) elasticache: aws_sdk_elasticache::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub(crate) sns: aws_sdk_sns::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) synthetics: aws_sdk_synthetics::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub applicationautoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub(crate) acm: aws_sdk_acm::Client,
    pub(crate) servicequotas: aws_sdk_servicequotas::Client,
    /// The Price List Query API, at its own endpoint region ([`pricing_region`]).
    pub(crate) pricing: aws_sdk_pricing::Client,
}

/// Where the AWS Price List Query API answers: us-east-1 for the commercial regions (it also
/// answers in eu-central-1 and ap-south-1), cn-northwest-1 for the China regions, in CNY
/// ("AWS Price List Query API" in the Billing and Cost Management user guide; the China
/// endpoint `api.pricing.cn-northwest-1.amazonaws.com.cn`).
pub(crate) fn pricing_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-northwest-1"
    } else {
        "us-east-1"
    }
}

/// Adds `x-moto-account-id` to every request so the emulator acts as that account.
#[derive(Debug, Clone)]
struct EmulatorAccount(String);

impl Intercept for EmulatorAccount {
    fn name(&self) -> &'static str {
        "EmulatorAccount"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

/// The retry partition of one service's client: its own retry quota, unlimited (see the module
/// documentation).
fn unlimited_retries(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// One service's client; `$service` names its calls for the rate limits ([`NameTheCall`]).
/// Settings of that service's own config may follow: S3's `force_path_style(…)`, the Price
/// List's `region(…)`.
macro_rules! client {
    ($krate:ident, $service:literal, $sdk:expr, $account:expr $(, $setting:ident($value:expr))*) => {{
        let mut builder = $krate::config::Builder::from($sdk)
            $(.$setting($value))*
            .retry_partition(unlimited_retries(stringify!($krate)))
            .interceptor(NameTheCall($service));
        if let Some(account) = $account {
            builder = builder.interceptor(EmulatorAccount(account.clone()));
        }
        $krate::Client::from_conf(builder.build())
    }};
}

impl Clients {
    /// Clients for `sdk`. With an endpoint override S3 uses path-style addressing (a local
    /// endpoint has no per-bucket host names); `emulator_account` adds the account header.
    pub(crate) fn new(
        sdk: &SdkConfig,
        endpoint_override: bool,
        emulator_account: Option<String>,
    ) -> Self {
        let account = emulator_account.as_ref();
        Clients {
            ec2: client!(aws_sdk_ec2, "ec2", sdk, account),
            iam: client!(aws_sdk_iam, "iam", sdk, account),
            eks: client!(aws_sdk_eks, "eks", sdk, account),
            efs: client!(aws_sdk_efs, "efs", sdk, account),
            rds: client!(aws_sdk_rds, "rds", sdk, account),
            elasticache: client!(aws_sdk_elasticache, "elasticache", sdk, account),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, "elbv2", sdk, account),
            ecr: client!(aws_sdk_ecr, "ecr", sdk, account),
            sns: client!(aws_sdk_sns, "sns", sdk, account),
            sts: client!(aws_sdk_sts, "sts", sdk, account),
            s3: client!(
                aws_sdk_s3,
                "s3",
                sdk,
                account,
                force_path_style(endpoint_override)
            ),
            cloudwatch: client!(aws_sdk_cloudwatch, "cloudwatch", sdk, account),
            synthetics: client!(aws_sdk_synthetics, "synthetics", sdk, account),
            tagging: client!(aws_sdk_resourcegroupstagging, "tagging", sdk, account),
            lambda: client!(aws_sdk_lambda, "lambda", sdk, account),
            secretsmanager: client!(aws_sdk_secretsmanager, "secretsmanager", sdk, account),
            ssm: client!(aws_sdk_ssm, "ssm", sdk, account),
            autoscaling: client!(aws_sdk_autoscaling, "autoscaling", sdk, account),
            logs: client!(aws_sdk_cloudwatchlogs, "logs", sdk, account),
            applicationautoscaling: client!(
                aws_sdk_applicationautoscaling,
                "applicationautoscaling",
                sdk,
                account
            ),
            ecs: client!(aws_sdk_ecs, "ecs", sdk, account),
            acm: client!(aws_sdk_acm, "acm", sdk, account),
            servicequotas: client!(aws_sdk_servicequotas, "servicequotas", sdk, account),
            // The Price List endpoint of the region's partition (see [`pricing_region`]).
            pricing: client!(
                aws_sdk_pricing,
                "pricing",
                sdk,
                account,
                region(aws_types::region::Region::from_static(pricing_region(
                    sdk.region().map_or("us-east-1", |r| r.as_ref())
                )))
            ),
        }
    }
}
