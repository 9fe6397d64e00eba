//! A Synthetics canary. It is created with a generated heartbeat script (a zip built in
//! `synthetics`), waited on until READY, then started when asked. Schedule, runtime, role,
//! retention and target change in place (UpdateCanary). A create that finds a canary in ERROR
//! deletes it first, as the Terraform AWS provider does. A delete stops the canary, deletes it
//! with its Lambda function, then sweeps the function and layers AWS may leave behind
//! (`cwsyn-<canary>-*`). The read lists the canaries with their tags ([`read_canaries`]).

use aws_sdk_synthetics::types::{CanaryCodeInput, CanaryRunConfigInput, CanaryScheduleInput};
use aws_smithy_types::Blob;

use serde_json::Value;

use super::stages::{Read, first};
use super::synthetics::{
    CanaryLambdas, HANDLER, SCRIPT_PATH, SyntheticsTags, UPDATE_IN_PLACE, URL_TAG,
    delete_canary_lambdas, heartbeat_script, synthetics_tags, zip_one,
};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, TagApi, already_made_is_ok,
    not_found_as_none, outputs,
};
use crate::apply::{Outputs, StepError};
use crate::aws::config::Connection;
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::addresses;
use crate::plan::catalog::monitoring::{CanaryProps, CanaryTarget};

pub(crate) struct Canary;

impl Adapter for Canary {
    const READS: &'static [Read] = &[first(("synthetics", "DescribeCanaries"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        read_canaries(read).await
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: CanaryProps = step.props()?;
        let name = props.name.as_str();
        let existing = get(step, name).await?;
        // A canary in ERROR (this step's earlier attempt, or a failed run before) is made again.
        let failed = existing.as_ref().filter(|c| state_of(c).0 == "ERROR");
        if let Some(failed) = failed {
            remove(step, name, &CanaryLambdas::of(failed)).await?;
        }
        if existing.is_none() || failed.is_some() {
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
            // Made by an earlier attempt whose answer was lost.
            already_made_is_ok(result, |e| e.message.contains("already exists"))?;
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
        let arn = canary_arn(step.conn, name);
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
        let name = step.existing_name();
        // A canary already gone took its function and layer along (DeleteLambda), or left them
        // where nothing tells they were its: they are looked for by the names it gives only.
        if let Some(canary) = get(step, name).await? {
            let state = canary
                .status()
                .and_then(|s| s.state())
                .map_or("", |s| s.as_str())
                .to_string();
            if matches!(state.as_str(), "RUNNING" | "STARTING" | "STOPPING") {
                stop(step, name).await?;
            }
            remove(step, name, &CanaryLambdas::of(&canary)).await?;
        }
        Ok(Outputs::new())
    }
}

/// A canary's ARN (its id): the read's DescribeCanaries answers none.
fn canary_arn(conn: &Connection, name: &str) -> String {
    format!(
        "{}:synthetics:{}:{}:canary:{name}",
        conn.partition.arn_prefix(),
        conn.region,
        conn.account
    )
}

fn canary_outputs(step: &AwsStep<'_>, name: &str) -> Outputs {
    let arn = canary_arn(step.conn, name);
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

/// Deletes a canary (one stopped, or left in ERROR by a failed create: AWS offers no way to
/// repair one) with its Lambda function (`DeleteLambda`), waits until it is gone, and deletes
/// `lambdas` — the function and layer it named — should any still be there.
async fn remove(step: &AwsStep<'_>, name: &str, lambdas: &CanaryLambdas) -> Result<(), StepError> {
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
    delete_canary_lambdas(&step.clients().lambda, lambdas).await?;
    Ok(())
}

async fn start(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    let started = step.clients().synthetics.start_canary().name(name).send();
    conflict_is_done(started.await.aws())?;
    wait_for(step, name, &["RUNNING"]).await
}

async fn stop(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    let stopped = step.clients().synthetics.stop_canary().name(name).send();
    conflict_is_done(stopped.await.aws())?;
    wait_for(step, name, &["STOPPED", "READY"]).await
}

/// A start or stop answered ConflictException: the canary is already on its way (an earlier
/// attempt), and the wait that follows sees it there.
fn conflict_is_done<T>(result: Result<T, StepError>) -> Result<(), StepError> {
    match result {
        Err(e) if e.code != "ConflictException" => Err(e),
        _ => Ok(()),
    }
}

async fn state_or_gone(step: &AwsStep<'_>, name: &str) -> Result<Option<State>, StepError> {
    Ok(get(step, name).await?.as_ref().map(state_of))
}

/// Canaries named with the blueprint's prefix (DescribeCanaries, one call per page, tags
/// included).
async fn read_canaries(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let prefix = read.name_prefix();
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = read
            .clients()
            .synthetics
            .describe_canaries()
            .set_next_token(next.clone())
            .send()
            .await
            .aws()?;
        for c in page.canaries() {
            let Some(name) = c.name().filter(|n| n.starts_with(&prefix)) else {
                continue;
            };
            let mut tags = tags::from_pairs(c.tags().cloned().unwrap_or_default());
            let Some(address) = read.owned(&tags) else {
                continue;
            };
            let url = tags.remove(URL_TAG);
            let state = c
                .status()
                .and_then(|s| s.state())
                .map_or("", |s| s.as_str());
            if state == "DELETING" {
                continue;
            }
            let arn = canary_arn(read.conn, name);
            let location = c.artifact_s3_location().unwrap_or_default();
            let location = location.strip_prefix("s3://").unwrap_or(location);
            let (bucket, artifact_prefix) = location.split_once('/').unwrap_or((location, ""));
            let handler = c.code().and_then(|code| code.handler()).unwrap_or_default();
            let mut f = Found::new(K::Canary, &arn)
                .at(Some(address))
                .named(name)
                .with("name", name)
                .with("runtimeVersion", c.runtime_version().unwrap_or_default())
                .with("executionRole", c.execution_role_arn().unwrap_or_default())
                .with("artifactBucket", bucket)
                .with("artifactPrefix", artifact_prefix)
                .with(
                    "schedule",
                    c.schedule()
                        .and_then(|s| s.expression())
                        .unwrap_or_default(),
                );
            if let Some(blueprint) = handler.strip_suffix(".handler") {
                f = f.with("blueprint", blueprint);
            }
            if let Some(target) = url.as_deref().and_then(target_value) {
                f = f.with("target", target);
            }
            // A canary in ERROR cannot run and AWS cannot repair it: the plan replaces it
            // (`status` is in the kind's replace_on and the catalog never sets it).
            if state == "ERROR" {
                f = f.with("status", format!("ERROR ({})", error_reason(c)));
            }
            f = f
                .with(
                    "startAfterCreation",
                    matches!(state, "RUNNING" | "STARTING"),
                )
                .with(
                    "successRetentionPeriodDays",
                    c.success_retention_period_in_days().unwrap_or_default(),
                )
                .with(
                    "failureRetentionPeriodDays",
                    c.failure_retention_period_in_days().unwrap_or_default(),
                )
                .with("tags", tags::to_value(&tags))
                .output("arn", arn.as_str())
                .output("name", name);
            // What it runs on, for destroy's sweep after its delete (`CanaryLambdas`).
            for (key, value) in CanaryLambdas::of(c).outputs() {
                f = f.output(key, value);
            }
            found.push(f);
        }
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    Ok(found)
}

/// The catalog's `target` from a URL written by [`target_url`]; `None` when it is not one.
fn target_value(url: &str) -> Option<Value> {
    let (protocol, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok()?),
        None => (authority, if protocol == "https" { 443 } else { 80 }),
    };
    let target = CanaryTarget {
        host: Some(host.to_string()),
        protocol: Some(protocol.to_string()),
        port: Some(port),
        listener: Some(addresses::listener(port)),
        path: path.to_string(),
    };
    serde_json::to_value(target).ok()
}

/// Why a canary is in ERROR: AWS's reason code and reason.
fn error_reason(c: &aws_sdk_synthetics::types::Canary) -> String {
    let status = c.status();
    let code = status
        .and_then(|s| s.state_reason_code())
        .map_or("", |c| c.as_str());
    let reason = status.and_then(|s| s.state_reason()).unwrap_or("");
    match (code, reason) {
        ("", "") => "no reason given".to_string(),
        ("", reason) => reason.to_string(),
        (code, "") => code.to_string(),
        (code, reason) => format!("{code}: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    #[test]
    fn urls_round_trip_through_the_tag() {
        let value = target_value("https://demo-alb-1.elb.amazonaws.com:443/login").unwrap();
        assert_eq!(
            value,
            json!({"host": "demo-alb-1.elb.amazonaws.com", "protocol": "https", "port": 443,
                   "listener": "ingress.listener[443]", "path": "/login"})
        );
        assert_eq!(target_value("nonsense"), None);
    }
}
