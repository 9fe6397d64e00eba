//! A Synthetics canary. It is created with a generated heartbeat script (a zip built in
//! `synthetics`), waited on until READY, then started when asked. Schedule, runtime, role,
//! retention and target change in place (UpdateCanary). A create that finds a canary in ERROR
//! deletes it first, as the Terraform AWS provider does. A delete stops the canary, deletes it
//! with its Lambda function, then sweeps the function and layers AWS may leave behind
//! (`cwsyn-<canary>-*`).

use aws_sdk_synthetics::types::{CanaryCodeInput, CanaryRunConfigInput, CanaryScheduleInput};
use aws_smithy_types::Blob;

use super::synthetics::{
    HANDLER, SCRIPT_PATH, SyntheticsTags, UPDATE_IN_PLACE, URL_TAG, error_reason, heartbeat_script,
    sweep_lambda, synthetics_tags, zip_one,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, TagApi, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::monitoring::{CanaryProps, CanaryTarget};

pub struct Canary;

impl Adapter for Canary {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: CanaryProps = step.props()?;
        let name = props.name.as_str();
        let existing = get(step, name).await?;
        // A canary in ERROR (this step's earlier attempt, or a failed run before) is made again.
        let failed = existing.as_ref().is_some_and(|c| state_of(c).0 == "ERROR");
        if failed {
            remove_failed(step, name).await?;
        }
        if existing.is_none() || failed {
            let url = target_url(step, &props.target)?;
            let result = step
                .clients()
                .synthetics
                .create_canary()
                .name(name)
                .code(code(&url)?)
                .artifact_s3_location(artifact_location(step, &props)?)
                .execution_role_arn(role_arn(step, &props)?)
                .schedule(schedule(&props)?)
                .run_config(
                    CanaryRunConfigInput::builder()
                        .timeout_in_seconds(60)
                        .build(),
                )
                .set_success_retention_period_in_days(days(props.success_retention_period_days))
                .set_failure_retention_period_in_days(days(props.failure_retention_period_days))
                .runtime_version(&props.runtime_version)
                .set_tags(Some(synthetics_tags(&tags_with_url(step, &url))))
                .send()
                .await
                .aws();
            match result {
                Ok(_) => {}
                // Made by an earlier attempt whose answer was lost.
                Err(e) if e.message.contains("already exists") => {}
                Err(e) => return Err(e),
            }
        }
        wait_for(step, name, &["READY", "STOPPED", "RUNNING", "STARTING"]).await?;
        if props.start_after_creation {
            start(step, name).await?;
        }
        Ok(canary_outputs(step, name))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: CanaryProps = step.props()?;
        let name = props.name.as_str();
        let url = target_url(step, &props.target)?;
        if step.changed_any(UPDATE_IN_PLACE) {
            let mut request = step
                .clients()
                .synthetics
                .update_canary()
                .name(name)
                .schedule(schedule(&props)?)
                .runtime_version(&props.runtime_version)
                .set_success_retention_period_in_days(days(props.success_retention_period_days))
                .set_failure_retention_period_in_days(days(props.failure_retention_period_days));
            if step.changed("executionRole") {
                request = request.execution_role_arn(role_arn(step, &props)?);
            }
            if step.changed("target") || step.changed("blueprint") {
                request = request.code(code(&url)?);
            }
            // The prefix lives in the artifact location (UpdateCanary's ArtifactS3Location).
            if step.changed("artifactPrefix") {
                request = request.artifact_s3_location(artifact_location(step, &props)?);
            }
            request.send().await.aws()?;
        }
        // Tags, the URL tag included: compared with the canary's live tags, since the URL tag
        // changes with the target even when the blueprint's tags do not.
        let arn = canary_arn(step, name);
        let mut observed = step.observed_tags();
        if let Some(canary) = get(step, name).await? {
            observed = tags::from_pairs(canary.tags.unwrap_or_default());
        }
        let (set, remove) = tags::changes(&observed, &tags_with_url(step, &url));
        if !set.is_empty() {
            SyntheticsTags::tag(step, &arn, &set).await?;
        }
        if !remove.is_empty() {
            SyntheticsTags::untag(step, &arn, remove).await?;
        }
        if step.changed("startAfterCreation") {
            if props.start_after_creation {
                start(step, name).await?;
            } else {
                stop(step, name).await?;
            }
        }
        Ok(canary_outputs(step, name))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        if let Some(canary) = get(step, &name).await? {
            let state = canary
                .status()
                .and_then(|s| s.state())
                .map_or("", |s| s.as_str())
                .to_string();
            if matches!(state.as_str(), "RUNNING" | "STARTING" | "STOPPING") {
                stop(step, &name).await?;
            }
            let result = step
                .clients()
                .synthetics
                .delete_canary()
                .name(&name)
                .delete_lambda(true)
                .send()
                .await
                .aws();
            not_found_as_none(result)?;
            step.wait_until(
                || state_or_gone(step, &name),
                |s: Option<&State>| s.is_none(),
            )
            .await?;
        }
        sweep_lambda(step, &name).await?;
        Ok(Outputs::new())
    }
}

fn canary_arn(step: &AwsStep<'_>, name: &str) -> String {
    format!(
        "{}:synthetics:{}:{}:canary:{name}",
        step.conn.partition.arn_prefix(),
        step.conn.region,
        step.conn.account
    )
}

fn canary_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = canary_arn(step, name);
    outputs(&arn, Some(&arn), Some(name))
}

/// The URL the canary checks: `protocol://host:port/path`, the host resolved from its reference.
fn target_url(step: &AwsStep<'_>, target: &CanaryTarget) -> Result<String, StepError> {
    let (Some(host), Some(protocol)) = (&target.host, &target.protocol) else {
        return Err(StepError::fatal(
            "MissingInput",
            format!("{}: the canary has no target host", step.address()),
        ));
    };
    let host = step.resolve(host)?;
    let path = &target.path;
    let path = if path.starts_with('/') {
        path.clone()
    } else {
        format!("/{path}")
    };
    Ok(match target.port {
        Some(port) => format!("{protocol}://{host}:{port}{path}"),
        None => format!("{protocol}://{host}{path}"),
    })
}

fn code(url: &str) -> Result<CanaryCodeInput, StepError> {
    let zip = zip_one(SCRIPT_PATH, heartbeat_script(url).as_bytes());
    CanaryCodeInput::builder()
        .handler(HANDLER)
        .zip_file(Blob::new(zip))
        .build()
        .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))
}

fn schedule(props: &CanaryProps) -> Result<CanaryScheduleInput, StepError> {
    CanaryScheduleInput::builder()
        .expression(&props.schedule)
        .duration_in_seconds(0)
        .build()
        .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))
}

/// `s3://bucket/prefix`.
fn artifact_location(step: &AwsStep<'_>, props: &CanaryProps) -> Result<String, StepError> {
    let bucket = step.resolve(&props.artifact_bucket)?;
    let prefix = props.artifact_prefix.trim_start_matches('/');
    Ok(format!("s3://{bucket}/{prefix}"))
}

/// The execution role's ARN (the role's address names the role; its `arn` output is wanted).
fn role_arn(step: &AwsStep<'_>, props: &CanaryProps) -> Result<String, StepError> {
    let address = props.execution_role.as_str();
    step.resolve(&format!(
        "{}#arn",
        address.split('#').next().unwrap_or(address)
    ))
}

fn days(days: u32) -> Option<i32> {
    i32::try_from(days).ok()
}

/// The tags AWS should carry: the desired ones and the URL tag.
fn tags_with_url(step: &AwsStep<'_>, url: &str) -> TagSet {
    let mut tags = step.tags();
    tags.insert(URL_TAG.to_string(), url.to_string());
    tags
}

/// A canary's state, shown while waiting.
struct State(String);

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_lowercase())
    }
}

async fn get(
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_synthetics::types::Canary>, StepError> {
    let result = step
        .clients()
        .synthetics
        .get_canary()
        .name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.canary))
}

/// A canary's state and, in ERROR, why (`CREATE_FAILED: The role defined for the function
/// cannot be assumed by Lambda.`).
fn state_of(c: &aws_sdk_synthetics::types::Canary) -> State {
    State(
        c.status()
            .and_then(|s| s.state())
            .map_or("UNKNOWN", |s| s.as_str())
            .to_string(),
    )
}

/// The error for a canary that went to ERROR while a step waited on it. Synthetics creates the
/// canary's Lambda function with the execution role; a role made seconds ago is not assumable
/// yet ("The role defined for the function cannot be assumed by Lambda"), which the executor
/// retries as IAM propagation: the next attempt deletes the failed canary and creates it again,
/// as the Terraform AWS provider does (`retryCreateCanary` in internal/service/synthetics).
fn canary_error(name: &str, reason: &str) -> StepError {
    let class = if crate::aws::iam_propagation::is_propagating_reason(reason) {
        crate::apply::ErrorClass::Propagating
    } else {
        crate::apply::ErrorClass::Fatal
    };
    StepError::new(
        class,
        "CanaryError",
        format!("canary {name} is in state ERROR ({reason})"),
    )
}

/// Waits until the canary is in one of `states`, failing if it goes to ERROR instead.
async fn wait_for(
    step: &AwsStep<'_>,
    name: &str,
    states: &'static [&'static str],
) -> Result<(), StepError> {
    let reason = std::sync::Mutex::new(String::new());
    let last = step
        .wait_until(
            || async {
                let canary = get(step, name).await?;
                if let Some(c) = canary.as_ref().filter(|c| state_of(c).0 == "ERROR") {
                    *reason.lock().unwrap_or_else(|e| e.into_inner()) = error_reason(c);
                }
                Ok(canary.as_ref().map(state_of))
            },
            move |s: Option<&State>| {
                s.is_some_and(|s| s.0 == "ERROR" || states.contains(&s.0.as_str()))
            },
        )
        .await?;
    match last {
        Some(s) if s.0 == "ERROR" => {
            let reason = reason.into_inner().unwrap_or_else(|e| e.into_inner());
            Err(canary_error(name, &reason))
        }
        _ => Ok(()),
    }
}

/// Deletes a canary left in ERROR (a failed create: AWS offers no way to repair one) with its
/// Lambda function and the layers Synthetics may leave, and waits until it is gone.
async fn remove_failed(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    let result = step
        .clients()
        .synthetics
        .delete_canary()
        .name(name)
        .delete_lambda(true)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    step.wait_until(
        || state_or_gone(step, name),
        |s: Option<&State>| s.is_none(),
    )
    .await?;
    sweep_lambda(step, name).await
}

async fn start(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    match step
        .clients()
        .synthetics
        .start_canary()
        .name(name)
        .send()
        .await
        .aws()
    {
        Ok(_) => {}
        // Already starting or running (an earlier attempt).
        Err(e) if e.code == "ConflictException" => {}
        Err(e) => return Err(e),
    }
    wait_for(step, name, &["RUNNING"]).await
}

async fn stop(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    match step
        .clients()
        .synthetics
        .stop_canary()
        .name(name)
        .send()
        .await
        .aws()
    {
        Ok(_) => {}
        Err(e) if e.code == "ConflictException" => {}
        Err(e) => return Err(e),
    }
    wait_for(step, name, &["STOPPED", "READY"]).await
}

async fn state_or_gone(step: &AwsStep<'_>, name: &str) -> Result<Option<State>, StepError> {
    Ok(get(step, name).await?.as_ref().map(state_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_from_a_fresh_role_are_retried_and_others_are_not() {
        let fresh = canary_error(
            "demo-canary",
            "CREATE_FAILED: The role defined for the function cannot be assumed by Lambda.",
        );
        assert_eq!(fresh.class, crate::apply::ErrorClass::Propagating);
        assert!(fresh.message.contains("cannot be assumed"), "{fresh}");
        let other = canary_error("demo-canary", "CREATE_FAILED: Unable to fetch S3 bucket");
        assert_eq!(other.class, crate::apply::ErrorClass::Fatal);
    }
}
