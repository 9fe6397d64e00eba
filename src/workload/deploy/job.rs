//! Running the Job that creates the usage-statistics database user (`workload::usage_user`): its
//! Secret with the master credentials is applied, the Job is applied and waited for, and both are
//! deleted once it succeeded. When it fails (or does not finish in time) the Secret is deleted all
//! the same and the error carries the Job's reason, its pods' and the end of its pod's log, with
//! every value the Secret holds masked.
//!
//! Kubernetes' Job API (batch/v1, "Jobs" in the Kubernetes documentation): a Job is finished when
//! its `Complete` or `Failed` condition is `True` (`Failed` with reason `BackoffLimitExceeded` or
//! `DeadlineExceeded`); its pods carry the label `batch.kubernetes.io/job-name` (1.27 and later).
//! Deleting a Job through the API orphans its pods unless the propagation policy says otherwise
//! (the batch/v1 Job's default garbage-collection policy), hence `Background`.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::{DeployError, PodProblem, RolloutWait, api_for, apply, kube_message, pod_problem};
use crate::workload::usage_user::{ADMIN_SECRET, JOB_NAME};
use crate::workload::{FIELD_MANAGER, object_id};

/// How many lines of the pod's log an error shows.
const LOG_LINES: i64 = 20;
/// The label Kubernetes gives a Job's pods.
const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";

/// Runs the Job of `objects` (its Secret filled, the Job) to completion; see the module comment.
pub(super) async fn run_job(
    client: &kube::Client,
    objects: &[Value],
    wait: RolloutWait,
) -> Result<(), DeployError> {
    let secret = objects
        .iter()
        .find(|o| o["kind"] == "Secret" && o["metadata"]["name"] == ADMIN_SECRET);
    let job = objects
        .iter()
        .find(|o| o["kind"] == "Job" && o["metadata"]["name"] == JOB_NAME);
    let (Some(secret), Some(job)) = (secret, job) else {
        return Ok(());
    };
    let namespace = job["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (jobs, _) = api_for(client, job)?;
    let (secrets, _) = api_for(client, secret)?;
    // A Job left by an earlier apply (failed, or interrupted): its template cannot change, and
    // it has run already.
    delete(
        &jobs,
        JOB_NAME,
        &format!("deleting the earlier {}", object_id(job)),
    )
    .await?;
    apply(client, secret).await?;
    let applied = jobs
        .patch(
            JOB_NAME,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(job),
        )
        .await
        .map_err(|e| DeployError::Api {
            what: format!("applying {}", object_id(job)),
            message: kube_message(&e),
        })?;
    // Should apply stop before it deletes them, Kubernetes deletes the Secret with the Job (its
    // owner) once the Job's `ttlSecondsAfterFinished` has passed.
    if let Some(uid) = applied.metadata.uid.as_deref() {
        let owner = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "batch/v1", "kind": "Job", "name": JOB_NAME, "uid": uid}
        ]}});
        secrets
            .patch(ADMIN_SECRET, &PatchParams::default(), &Patch::Merge(&owner))
            .await
            .map_err(|e| DeployError::Api {
                what: format!("applying {}", object_id(secret)),
                message: kube_message(&e),
            })?;
    }
    let outcome = wait_for_job(&jobs, &namespace, wait).await;
    // The master credentials never stay in the cluster, whatever the Job did.
    let removed = delete(
        &secrets,
        ADMIN_SECRET,
        &format!("deleting {}", object_id(secret)),
    )
    .await;
    match outcome {
        Ok(()) => {
            removed?;
            delete(&jobs, JOB_NAME, &format!("deleting {}", object_id(job))).await
        }
        Err(Failure { reason }) => {
            let values: Vec<&str> = secret["stringData"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(Value::as_str)
                .collect();
            let (pods, log) = job_pods(client, &namespace, &values).await;
            Err(DeployError::Job {
                job: format!("{namespace}/{JOB_NAME}"),
                reason,
                pods,
                log,
            })
        }
    }
}

struct Failure {
    reason: String,
}

async fn delete(api: &Api<DynamicObject>, name: &str, what: &str) -> Result<(), DeployError> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(DeployError::Api {
            what: what.to_string(),
            message: kube_message(&e),
        }),
    }
}

/// Until the Job's `Complete` or `Failed` condition is `True`, or the timeout.
async fn wait_for_job(
    jobs: &Api<DynamicObject>,
    namespace: &str,
    wait: RolloutWait,
) -> Result<(), Failure> {
    let started = tokio::time::Instant::now();
    let mut polls = 0;
    loop {
        match jobs.get(JOB_NAME).await {
            Ok(job) => match job_state(&job.data) {
                JobState::Complete => return Ok(()),
                JobState::Failed(reason) => return Err(Failure { reason }),
                JobState::Running => {}
            },
            Err(e) => {
                return Err(Failure {
                    reason: format!("reading job {namespace}/{JOB_NAME}: {}", kube_message(&e)),
                });
            }
        }
        if started.elapsed() >= wait.timeout {
            return Err(Failure {
                reason: format!("not complete after {} s", wait.timeout.as_secs()),
            });
        }
        tokio::time::sleep(wait.schedule.delay(polls, started.elapsed())).await;
        polls += 1;
    }
}

/// A Job's state by its conditions.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JobState {
    Complete,
    Running,
    Failed(String),
}

pub(crate) fn job_state(data: &Value) -> JobState {
    let conditions = data["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let holds = |kind: &str| {
        conditions
            .iter()
            .find(|c| c["type"] == kind && c["status"] == "True")
    };
    if holds("Complete").is_some() {
        return JobState::Complete;
    }
    if let Some(failed) = holds("Failed") {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        return JobState::Failed(format!(
            "{}: {}",
            text(&failed["reason"]),
            text(&failed["message"])
        ));
    }
    JobState::Running
}

/// The Job's pods that are not done (with Kubernetes' reason) and the end of the newest one's log.
async fn job_pods(
    client: &kube::Client,
    namespace: &str,
    secret_values: &[&str],
) -> (Vec<PodProblem>, Vec<String>) {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = format!("{JOB_NAME_LABEL}={JOB_NAME}");
    let Ok(pods) = api.list(&ListParams::default().labels(&selector)).await else {
        return (Vec::new(), Vec::new());
    };
    let mut problems = Vec::new();
    let mut newest: Option<(String, String)> = None;
    for pod in &pods.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let created = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string())
            .unwrap_or_default();
        if newest.as_ref().is_none_or(|(_, at)| created >= *at) {
            newest = Some((name.clone(), created));
        }
        let value = serde_json::to_value(pod).unwrap_or(Value::Null);
        let succeeded = value["status"]["phase"] == "Succeeded";
        if let Some((reason, message)) = pod_problem(&value).filter(|_| !succeeded) {
            problems.push(PodProblem {
                pod: name,
                reason: mask(&reason, secret_values),
                message: mask(&message, secret_values),
            });
        }
    }
    let log = match newest {
        Some((name, _)) => api
            .logs(
                &name,
                &LogParams {
                    tail_lines: Some(LOG_LINES),
                    ..LogParams::default()
                },
            )
            .await
            .map(|text| text.lines().map(|line| mask(line, secret_values)).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    (problems, log)
}

/// `text` with every secret value in it replaced by `***` (values shorter than 4 characters are
/// left: they would mask ordinary words, and no password is that short).
pub(crate) fn mask(text: &str, secret_values: &[&str]) -> String {
    let mut values: Vec<&&str> = secret_values.iter().filter(|v| v.len() >= 4).collect();
    // The longest first: a value containing another is masked whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
        .into_iter()
        .fold(text.to_string(), |text, value| text.replace(*value, "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_done_by_its_conditions() {
        let complete = json!({"status": {"conditions": [
            {"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}});
        assert_eq!(job_state(&complete), JobState::Complete);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True",
            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        assert_eq!(
            job_state(&failed),
            JobState::Failed(
                "BackoffLimitExceeded: Job has reached the specified backoff limit".into()
            )
        );
        assert_eq!(job_state(&json!({"status": {}})), JobState::Running);
    }

    #[test]
    fn secret_values_are_masked_in_the_log() {
        let line = "FATAL: password authentication failed for user \"admin\" with s3cr3t-pass";
        assert_eq!(
            mask(line, &["s3cr3t-pass", "adm"]),
            "FATAL: password authentication failed for user \"admin\" with ***"
        );
    }
}
