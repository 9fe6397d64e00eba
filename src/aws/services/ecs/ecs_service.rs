//! An ECS service with the rolling deployment controller (`ECS`), its deployment circuit breaker
//! with rollback, behind a target group.
//!
//! - **Create**: DescribeServices by name first (an ACTIVE one an interrupted run made is found
//!   by its name and address tag; one still DRAINING makes ECS refuse the create, a conflict
//!   retried until it is INACTIVE), then CreateService (client token) with the task
//!   definition's revision, the desired count (only here: afterwards Application Auto Scaling
//!   owns it, so the plan never compares it: `KindSpec::set_at_create`), FARGATE or the
//!   capacity provider strategy, the target groups, the awsvpc network (no public IP), the
//!   deployment configuration, the zone spread (EC2), the health check grace period, managed
//!   tags, tag propagation and the tags. Then the rollout wait.
//! - **Update**: UpdateService with every in-place property but the count, then the rollout wait;
//!   once the rollout is COMPLETED on a new revision, the revision the service ran before is
//!   deregistered when it is this blueprint's (`ecs_task_definition.rs` says why here).
//! - **Rollout wait**: until the deployment the call started (the PRIMARY one in its answer) has
//!   `rolloutState` COMPLETED: "The rollout state of the deployment. When a service deployment is
//!   started, it begins in an IN_PROGRESS state. When the service reaches a steady state, the
//!   deployment transitions to a COMPLETED state. If the service fails to reach a steady state
//!   and circuit breaker is turned on, the deployment transitions to a FAILED state" (botocore
//!   `ecs` Deployment rolloutState). It is what the ECS waiter `ServicesStable` (botocore
//!   `ecs/2014-11-13/waiters-2.json`: one deployment and runningCount == desiredCount) and the
//!   Terraform AWS provider's `wait_for_steady_state` wait for, told apart from a rollback: a
//!   FAILED deployment (the circuit breaker stopped it and rolled back to the last COMPLETED one)
//!   fails the step with its reason, the service's latest events and the stopped tasks' reasons
//!   (ListTasks desiredStatus STOPPED, DescribeTasks: `stoppedReason` and each container's
//!   `reason`), and the commands that show more.
//! - **Delete**: UpdateService desiredCount 0, DeleteService, then until DescribeServices says
//!   INACTIVE or no longer knows it (the ECS waiter `ServicesInactive`; DRAINING meanwhile:
//!   "the service status moves from ACTIVE to DRAINING ... after all tasks are stopped the
//!   service status moves to INACTIVE", botocore `ecs` DeleteService); behind a load balancer the
//!   polls are laid out for the target groups' deregistration delay, which the draining lasts.
//!   Then until its tasks are STOPPED (ListTasks, DescribeTasks): an INACTIVE service's tasks
//!   may still be stopping, holding their capacity provider and network interfaces
//!   ([`wait_tasks_stopped`]).
//!
//! Read: ListClusters (the blueprint's by name prefix, as the cluster's read: a service in a
//! cluster the blueprint dropped is found and deleted before it), ListServices per cluster, then
//! DescribeServices with TAGS, 10 at a time; ACTIVE ones, ownership by the tags. Attributes: `arn`
//! (the id) and `name`.

use std::fmt;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentRolloutState, DesiredStatus, LaunchType, LoadBalancer, NetworkConfiguration,
    PlacementStrategy, PlacementStrategyType, PropagateTags, Service, ServiceField,
    TaskDefinitionField,
};
use serde_json::Value;

use super::ecs::{EcsTags, arn_found, ecs_tags, in_use, provider_arn, short_name, tag_set};
use super::ecs_cluster_capacity_providers::strategy;
use super::stages::{Read, after, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::{is_not_found, missing};
use crate::aws::tags::{self, BLUEPRINT_TAG};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::ecs_kinds::{EcsLoadBalancer, EcsServiceProps, EcsStrategyItem};

pub(crate) struct EcsService;

/// How long a deleted service behind a load balancer drains: its target groups' deregistration
/// delay, ELB's default ("The default value is 300 seconds", botocore `elbv2`
/// TargetGroupAttribute `deregistration_delay.timeout_seconds`) and what the catalog gives every
/// service's target group (`plan/catalog/ecs.rs`). Only where the delete's polls fall: a group
/// with another delay is still waited for, less promptly.
const DEREGISTRATION_DELAY: std::time::Duration = std::time::Duration::from_secs(300);

/// `spread` by zone (`attribute:ecs.availability-zone`, botocore `ecs` PlacementStrategy field).
const ZONE: &str = "attribute:ecs.availability-zone";

impl Adapter for EcsService {
    // The blueprint's clusters' services at once (their names are the blueprint's), others'
    // (a cluster with its prefix it no longer has) once ListClusters finds them.
    const READS: &'static [Read] = &[
        first(("ecs", "ListClusters")),
        after(("ecs", "ListServices"), &[]),
        fallback(
            ("ecs", "ListServices"),
            &[("ecs", "ListClusters")],
            "a cluster with the blueprint's prefix that it no longer has",
        ),
        after(("ecs", "DescribeServices"), &[("ecs", "ListServices")]),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let ecs = &read.clients().ecs;
        // ListServices takes a cluster's short name or ARN (botocore `ecs` ListServicesRequest
        // `cluster`); a cluster of the blueprint that does not exist yet has no services.
        let services_of = |cluster: String| async move {
            let arns: Vec<String> = all_items!(
                ecs.list_services().cluster(&cluster).max_results(100),
                service_arns
            );
            let mut found = Vec::new();
            for chunk in arns.chunks(10) {
                let described = ecs
                    .describe_services()
                    .cluster(&cluster)
                    .set_services(Some(chunk.to_vec()))
                    .include(ServiceField::Tags)
                    .send()
                    .await
                    .aws()?;
                found.extend(
                    described
                        .services()
                        .iter()
                        .filter_map(|s| service_found(read, s)),
                );
            }
            Ok::<_, StepError>(found)
        };
        let services_or_none = |cluster: String| async move {
            match services_of(cluster).await {
                Err(e) if is_not_found(&e) => Ok(Vec::new()),
                other => other,
            }
        };
        let desired: Vec<String> = read
            .desired_of(K::EcsCluster)
            .map(|c| {
                c.properties
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&c.name)
                    .to_string()
            })
            .collect();
        let prefix = read.name_prefix();
        let others = async {
            let others: Vec<String> =
                all_items!(ecs.list_clusters().max_results(100), cluster_arns)
                    .into_iter()
                    .filter(|arn| {
                        let name = short_name(arn);
                        name.starts_with(&prefix) && !desired.iter().any(|d| d == name)
                    })
                    .collect();
            futures::future::try_join_all(others.into_iter().map(services_or_none)).await
        };
        let (mine, others) = futures::try_join!(
            futures::future::try_join_all(desired.iter().cloned().map(services_or_none)),
            others,
        )?;
        Ok(mine.into_iter().chain(others).flatten().collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcsServiceProps = step.props()?;
        let cluster = step.reference("cluster")?;
        let task_definition = task_definition(step, &props)?;
        // A DRAINING one of the name is on its way out: ECS refuses the create until it is
        // INACTIVE ("Unable to Start a service that is still Draining.",
        // InvalidParameterException), a conflict retried below.
        let existing = describe(step, &cluster, &props.name)
            .await?
            .filter(|s| s.status() == Some("ACTIVE"));
        let service = match existing {
            Some(service) => {
                ours_or_refuse(step, &service)?;
                service
            }
            None => {
                let mut call = step
                    .clients()
                    .ecs
                    .create_service()
                    .cluster(&cluster)
                    .service_name(&props.name)
                    .task_definition(&task_definition)
                    .desired_count(i32::try_from(props.desired_count).unwrap_or(0))
                    .client_token(step.client_token("CreateService"))
                    .set_load_balancers(Some(load_balancers(step, &props.load_balancers)?))
                    .set_network_configuration(network(step, &props)?)
                    .deployment_configuration(deployment(&props))
                    .set_placement_strategy(Some(placement(&props)))
                    .set_health_check_grace_period_seconds(grace_period(&props))
                    .enable_ecs_managed_tags(props.enable_ecs_managed_tags)
                    .propagate_tags(PropagateTags::from(props.propagate_tags.as_str()))
                    .set_tags(Some(ecs_tags(&step.tags())));
                call = match &props.launch_type {
                    Some(launch) => call.launch_type(LaunchType::from(launch.as_str())),
                    None => call.set_capacity_provider_strategy(Some(strategy(
                        step,
                        &props.capacity_provider_strategy,
                    )?)),
                };
                let created = match call.send().await.aws() {
                    Err(err) if err.message.contains("still Draining") => {
                        return Err(StepError::conflict(err.code, err.message));
                    }
                    other => other?,
                };
                created.service.ok_or_else(|| {
                    missing(format!(
                        "{}: CreateService answered no service",
                        step.address()
                    ))
                })?
            }
        };
        let arn = service.service_arn().unwrap_or_default().to_string();
        wait_for_rollout(step, &cluster, &props.name, primary(&service)).await?;
        Ok(outputs(&arn, Some(&arn), Some(&props.name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EcsServiceProps = step.props()?;
        let arn = step.existing_id()?;
        let cluster = step.reference("cluster")?;
        let settings = K::EcsService.in_place().iter().any(|k| step.changed(k));
        if settings {
            let task_definition = task_definition(step, &props)?;
            let before = describe(step, &cluster, arn)
                .await?
                .and_then(|s| s.task_definition().map(str::to_string));
            let mut call = step
                .clients()
                .ecs
                .update_service()
                .cluster(&cluster)
                .service(arn)
                .task_definition(&task_definition)
                .set_network_configuration(network(step, &props)?)
                .deployment_configuration(deployment(&props))
                .set_placement_strategy(Some(placement(&props)))
                .set_health_check_grace_period_seconds(grace_period(&props))
                .enable_ecs_managed_tags(props.enable_ecs_managed_tags)
                .propagate_tags(PropagateTags::from(props.propagate_tags.as_str()));
            if props.launch_type.is_none() && step.changed("capacityProviderStrategy") {
                call = call.set_capacity_provider_strategy(Some(strategy(
                    step,
                    &props.capacity_provider_strategy,
                )?));
            }
            let updated = call.send().await.aws();
            let service = match updated {
                Err(err) if err.code == "ServiceNotActiveException" => {
                    return Err(StepError::conflict(err.code, err.message));
                }
                other => other?.service.ok_or_else(|| {
                    missing(format!(
                        "{}: UpdateService answered no service",
                        step.address()
                    ))
                })?,
            };
            wait_for_rollout(step, &cluster, &props.name, primary(&service)).await?;
            if let Some(before) = before
                && before != task_definition
            {
                retire(step, &before).await?;
            }
        }
        sync_tags::<EcsTags>(step, arn).await?;
        Ok(outputs(arn, Some(arn), Some(&props.name)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let arn = step.existing_id()?;
        let cluster = cluster_of(step, arn);
        let scaled = step
            .clients()
            .ecs
            .update_service()
            .cluster(&cluster)
            .service(arn)
            .desired_count(0)
            .send()
            .await
            .aws();
        let name = short_name(arn);
        let behind_load_balancer = match scaled {
            Err(err) if is_not_found(&err) || err.code == "ServiceNotActiveException" => {
                // Deleted before (an interrupted run): its tasks may still be stopping.
                wait_tasks_stopped(step, &cluster, name).await?;
                return Ok(Outputs::new());
            }
            other => other?
                .service
                .is_some_and(|s| !s.load_balancers().is_empty()),
        };
        let deleted = step
            .clients()
            .ecs
            .delete_service()
            .cluster(&cluster)
            .service(arn)
            .force(true)
            .send()
            .await
            .aws()
            .map(drop);
        match in_use(deleted) {
            Err(err) if is_not_found(&err) || err.code == "ServiceNotActiveException" => {}
            other => other?,
        }
        let probe = || async {
            Ok(describe(step, &cluster, arn)
                .await?
                .filter(|s| s.status() != Some("INACTIVE"))
                .map(|s| {
                    Status(
                        s.status().unwrap_or("DRAINING").to_string(),
                        s.running_count(),
                    )
                }))
        };
        // Looked at once, as the `ServicesInactive` waiter does (botocore's waiters call the
        // operation before their first `delay`): a service scaled to 0 with no task left is
        // INACTIVE at once. Behind a load balancer it is DRAINING until its tasks are STOPPING,
        // after DEACTIVATING — "the load balancer target group deregistration occurs during this
        // state" ("Amazon ECS task lifecycle") — for the target group's deregistration delay:
        // the polls are laid out for that, not for the kind's minute.
        let spec = if behind_load_balancer {
            step.engine.wait.expecting(DEREGISTRATION_DELAY)
        } else {
            step.engine.wait
        };
        step.engine
            .wait_with_looking_first(&spec, probe, is_gone())
            .await?;
        wait_tasks_stopped(step, &cluster, name).await?;
        Ok(Outputs::new())
    }
}

/// How long a task takes to stop once ECS stops it: the container's `stopTimeout`, "the time
/// duration (in seconds) to wait before the container is forcefully killed if it doesn't exit
/// normally on its own", 30 s by default (botocore `ecs` ContainerDefinition stopTimeout; the
/// agent's `ECS_CONTAINER_STOP_TIMEOUT` on EC2, also 30 s). The task definitions shinyctl
/// registers set none.
const TASK_STOP: std::time::Duration = std::time::Duration::from_secs(30);

/// Until the service's tasks are all STOPPED. An INACTIVE service's tasks may still be STOPPING
/// ("After all tasks have transitioned to either STOPPING or STOPPED status, the service status
/// moves from DRAINING to INACTIVE", botocore `ecs` DeleteService), and a stopping task still
/// holds what it runs on: its capacity provider, which PutClusterCapacityProviders refuses to
/// take from the cluster ("You can only disassociate an existing capacity provider from a
/// cluster if it's not being used by any existing tasks": ResourceInUseException), and in
/// awsvpc mode its network interface in the service's subnets and security groups. Waiting here
/// puts the stop on the service's delete, where it belongs, instead of on the retries of what
/// the tasks hold. ListTasks desiredStatus STOPPED lists the tasks being stopped and the
/// recently stopped; DescribeTasks tells them apart (`lastStatus`).
async fn wait_tasks_stopped(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<(), StepError> {
    let probe = || async {
        let ecs = &step.clients().ecs;
        let arns: Vec<String> = all_items!(
            ecs.list_tasks()
                .cluster(cluster)
                .service_name(name)
                .desired_status(DesiredStatus::Stopped),
            task_arns
        );
        let mut stopping = 0;
        for chunk in arns.chunks(100) {
            let described = ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .aws()?;
            stopping += described
                .tasks()
                .iter()
                .filter(|t| t.last_status() != Some("STOPPED"))
                .count();
        }
        Ok((stopping > 0).then_some(TasksStopping(stopping)))
    };
    let spec = step.engine.wait.expecting(TASK_STOP);
    step.engine
        .wait_with_looking_first(&spec, probe, is_gone())
        .await?;
    Ok(())
}

/// What the wait for the tasks sees.
struct TasksStopping(usize);

impl fmt::Display for TasksStopping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) stopping", self.0)
    }
}

/// What the delete's wait sees.
struct Status(String, i32);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} with {} task(s) running", self.0, self.1)
    }
}

/// The cluster of a service ARN (`…:service/<cluster>/<name>`), else the observed property.
fn cluster_of(step: &AwsStep<'_>, arn: &str) -> String {
    let mut parts = arn.rsplit('/');
    let _name = parts.next();
    match (
        parts.next(),
        arn.contains(":service/") && arn.matches('/').count() == 2,
    ) {
        (Some(cluster), true) => cluster.to_string(),
        _ => step.reference("cluster").unwrap_or_default(),
    }
}

/// The revision to run: the embedded `${<task definition>#revisionArn}` resolved.
fn task_definition(step: &AwsStep<'_>, props: &EcsServiceProps) -> Result<String, StepError> {
    Ok(step
        .resolve_embedded(&Value::from(props.task_definition.as_str()))?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn load_balancers(
    step: &AwsStep<'_>,
    list: &[EcsLoadBalancer],
) -> Result<Vec<LoadBalancer>, StepError> {
    list.iter()
        .map(|lb| {
            Ok(LoadBalancer::builder()
                .target_group_arn(step.resolve(&lb.target_group)?)
                .container_name(&lb.container_name)
                .container_port(i32::try_from(lb.container_port).unwrap_or(0))
                .build())
        })
        .collect()
}

/// awsvpc's network, with no public IP; none for bridge mode.
fn network(
    step: &AwsStep<'_>,
    props: &EcsServiceProps,
) -> Result<Option<NetworkConfiguration>, StepError> {
    if props.subnets.is_empty() {
        return Ok(None);
    }
    let subnets = props
        .subnets
        .iter()
        .map(|s| step.resolve(s))
        .collect::<Result<Vec<_>, _>>()?;
    let groups = props
        .security_groups
        .iter()
        .map(|s| step.resolve(s))
        .collect::<Result<Vec<_>, _>>()?;
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(subnets))
        .set_security_groups(Some(groups))
        .assign_public_ip(AssignPublicIp::Disabled)
        .build()
        .map_err(|e| missing(format!("{}: {e}", step.address())))?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    ))
}

fn deployment(props: &EcsServiceProps) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(props.circuit_breaker)
                .rollback(props.circuit_breaker)
                .build(),
        )
        .minimum_healthy_percent(i32::try_from(props.minimum_healthy_percent).unwrap_or(100))
        .maximum_percent(i32::try_from(props.maximum_percent).unwrap_or(200))
        .build()
}

fn placement(props: &EcsServiceProps) -> Vec<PlacementStrategy> {
    if props.spread_by_zone {
        vec![
            PlacementStrategy::builder()
                .r#type(PlacementStrategyType::Spread)
                .field(ZONE)
                .build(),
        ]
    } else {
        Vec::new()
    }
}

/// The service `service` (name or ARN) in `cluster`, as DescribeServices answers it (INACTIVE
/// included; a failure MISSING is `None`).
async fn describe(
    step: &AwsStep<'_>,
    cluster: &str,
    service: &str,
) -> Result<Option<Service>, StepError> {
    let answer = step
        .clients()
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .include(ServiceField::Tags)
        .send()
        .await
        .aws();
    match answer {
        Ok(out) => Ok(out.services.unwrap_or_default().pop()),
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

fn ours_or_refuse(step: &AwsStep<'_>, service: &Service) -> Result<(), StepError> {
    let ours = tags::carry_address(
        service.tags().iter().map(|t| (t.key(), t.value())),
        step.address(),
    );
    step.refuse_unless_ours(
        ours,
        "ServiceExists",
        &format!(
            "an ECS service named {} already exists in the cluster",
            service.service_name().unwrap_or_default()
        ),
    )
}

/// The health check grace period as CreateService and UpdateService take it (an `Integer`);
/// a value beyond its range is left out.
fn grace_period(props: &EcsServiceProps) -> Option<i32> {
    props
        .health_check_grace_period_seconds
        .and_then(|s| i32::try_from(s).ok())
}

/// The PRIMARY deployment's id and task definition (the one a create or update started).
fn primary(service: &Service) -> Option<(String, String)> {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .map(|d| {
            (
                d.id().unwrap_or_default().to_string(),
                d.task_definition().unwrap_or_default().to_string(),
            )
        })
}

/// What the rollout wait sees of the deployment it follows.
#[derive(Debug, Clone, PartialEq)]
struct Rollout {
    state: String,
    reason: String,
    running: i32,
    desired: i32,
    failed_tasks: i32,
}

impl Rollout {
    fn done(&self) -> bool {
        self.state == "COMPLETED" || self.state == "FAILED"
    }
}

impl fmt::Display for Rollout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rollout {}: {} of {} task(s) running",
            self.state, self.running, self.desired
        )?;
        if self.failed_tasks > 0 {
            write!(f, ", {} failed", self.failed_tasks)?;
        }
        if !self.reason.is_empty() {
            write!(f, " ({})", self.reason)?;
        }
        Ok(())
    }
}

/// The deployment `id` of the service as it stands: its rollout state, or FAILED when it is gone
/// and the PRIMARY deployment runs another task definition (rolled back).
fn rollout_of(service: &Service, id: &str, task_definition: &str) -> Rollout {
    let deployments = service.deployments();
    match deployments.iter().find(|d| d.id() == Some(id)) {
        Some(d) => Rollout {
            state: d
                .rollout_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| {
                    // No rollout state (not the ECS controller, or an old answer): steady when it
                    // alone runs its desired count (the ServicesStable waiter's rule).
                    if deployments.len() == 1 && d.running_count() == d.desired_count() {
                        "COMPLETED".into()
                    } else {
                        "IN_PROGRESS".into()
                    }
                }),
            reason: d.rollout_state_reason().unwrap_or_default().to_string(),
            running: d.running_count(),
            desired: d.desired_count(),
            failed_tasks: d.failed_tasks(),
        },
        None => {
            let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
            let rolled_back = primary.is_some_and(|p| p.task_definition() != Some(task_definition));
            Rollout {
                state: if rolled_back { "FAILED" } else { "COMPLETED" }.into(),
                reason: if rolled_back {
                    format!(
                        "the deployment is gone and the service runs {}",
                        primary
                            .and_then(|p| p.task_definition())
                            .unwrap_or("another task definition")
                    )
                } else {
                    String::new()
                },
                running: service.running_count(),
                desired: service.desired_count(),
                failed_tasks: 0,
            }
        }
    }
}

/// Until the deployment a create or update started is COMPLETED; FAILED (the circuit breaker
/// rolled it back) fails the step with why.
async fn wait_for_rollout(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
    deployment: Option<(String, String)>,
) -> Result<(), StepError> {
    let Some((id, task_definition)) = deployment else {
        return Ok(());
    };
    let probe = || async {
        Ok(describe(step, cluster, name)
            .await?
            .filter(|s| s.status() == Some("ACTIVE"))
            .map(|s| rollout_of(&s, &id, &task_definition)))
    };
    let seen = step.wait_until(probe, has(Rollout::done)).await?;
    match seen {
        Some(rollout) if rollout.state == DeploymentRolloutState::Failed.as_str() => {
            Err(failed(step, cluster, name, &task_definition, &rollout).await)
        }
        Some(_) => Ok(()),
        None => Err(StepError::fatal(
            "ServiceNotActive",
            format!("{}: the service {name} is no longer ACTIVE", step.address()),
        )),
    }
}

/// The error of a failed rollout: its reason, the service's latest events, and why its latest
/// stopped tasks stopped — what `aws ecs describe-services` and `describe-tasks` would show.
async fn failed(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
    task_definition: &str,
    rollout: &Rollout,
) -> StepError {
    let mut lines = vec![format!(
        "{}: the deployment of {task_definition} failed and the circuit breaker rolled the \
         service back: {}",
        step.address(),
        if rollout.reason.is_empty() {
            "no reason given"
        } else {
            &rollout.reason
        }
    )];
    if let Ok(Some(service)) = describe(step, cluster, name).await {
        for event in service.events().iter().take(5) {
            lines.push(format!("  event: {}", event.message().unwrap_or_default()));
        }
    }
    for reason in stopped_reasons(step, cluster, name, task_definition).await {
        lines.push(format!("  stopped task: {reason}"));
    }
    lines.push(format!(
        "  more: aws ecs describe-services --cluster {} --services {name}; aws ecs list-tasks \
         --cluster {} --service-name {name} --desired-status STOPPED",
        short_name(cluster),
        short_name(cluster)
    ));
    StepError::fatal("DeploymentFailed", lines.join("\n"))
}

/// Why the service's stopped tasks of `task_definition` stopped (at most 5; nothing if the
/// calls fail: the error is about the rollout, not these).
async fn stopped_reasons(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
    task_definition: &str,
) -> Vec<String> {
    let ecs = &step.clients().ecs;
    let Ok(listed) = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(name)
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .aws()
    else {
        return Vec::new();
    };
    let arns: Vec<String> = listed.task_arns().iter().take(100).cloned().collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let Ok(described) = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns))
        .send()
        .await
        .aws()
    else {
        return Vec::new();
    };
    described
        .tasks()
        .iter()
        .filter(|t| t.task_definition_arn() == Some(task_definition))
        .take(5)
        .map(|t| {
            let mut text = t.stopped_reason().unwrap_or("no reason given").to_string();
            for c in t.containers() {
                if let Some(reason) = c.reason() {
                    text.push_str(&format!(
                        "; container {}: {reason}",
                        c.name().unwrap_or("?")
                    ));
                }
            }
            text
        })
        .collect()
}

/// Deregisters the revision the service ran before, if it is this blueprint's (its tags): the
/// service no longer runs it (`ecs_task_definition.rs`).
async fn retire(step: &AwsStep<'_>, revision: &str) -> Result<(), StepError> {
    let ecs = &step.clients().ecs;
    let described = ecs
        .describe_task_definition()
        .task_definition(revision)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .aws();
    let Ok(described) = described else {
        return Ok(());
    };
    let ours = tag_set(described.tags())
        .get(BLUEPRINT_TAG)
        .map(String::as_str)
        == Some(step.blueprint);
    let active = described
        .task_definition()
        .and_then(|d| d.status())
        .is_some_and(|s| s.as_str() == "ACTIVE");
    if ours && active {
        let deregistered = ecs
            .deregister_task_definition()
            .task_definition(revision)
            .send()
            .await
            .aws();
        crate::aws::errors::not_found_as_none(deregistered)?;
    }
    Ok(())
}

/// One service of the blueprint as read.
fn service_found(read: &AwsRead<'_>, s: &Service) -> Option<Found> {
    if s.status() != Some("ACTIVE") {
        return None;
    }
    let tags = tag_set(s.tags());
    let address = read.owned(&tags)?;
    let (arn, name) = (s.service_arn()?, s.service_name()?);
    let deployment = s.deployment_configuration();
    let breaker = deployment.and_then(|d| d.deployment_circuit_breaker());
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let props = EcsServiceProps {
        name: name.to_string(),
        cluster: s.cluster_arn().unwrap_or_default().to_string(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        desired_count: i64::from(s.desired_count()),
        launch_type: s
            .launch_type()
            .filter(|_| s.capacity_provider_strategy().is_empty())
            .map(|l| l.as_str().to_string()),
        capacity_provider_strategy: s
            .capacity_provider_strategy()
            .iter()
            .map(|i| EcsStrategyItem {
                capacity_provider: provider_arn(arn, i.capacity_provider()),
                weight: i64::from(i.weight()),
                base: i64::from(i.base()),
            })
            .collect(),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|lb| EcsLoadBalancer {
                target_group: lb.target_group_arn().unwrap_or_default().to_string(),
                container_name: lb.container_name().unwrap_or_default().to_string(),
                container_port: lb.container_port().map(i64::from).unwrap_or_default(),
            })
            .collect(),
        subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
        security_groups: vpc
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default(),
        minimum_healthy_percent: deployment
            .and_then(|d| d.minimum_healthy_percent())
            .map(i64::from)
            .unwrap_or(100),
        maximum_percent: deployment
            .and_then(|d| d.maximum_percent())
            .map(i64::from)
            .unwrap_or(200),
        circuit_breaker: breaker.is_some_and(|b| b.enable() && b.rollback()),
        spread_by_zone: s
            .placement_strategy()
            .iter()
            .any(|p| p.r#type() == Some(&PlacementStrategyType::Spread) && p.field() == Some(ZONE)),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds().map(i64::from),
        enable_ecs_managed_tags: s.enable_ecs_managed_tags(),
        propagate_tags: s
            .propagate_tags()
            .map(|p| p.as_str())
            .unwrap_or("NONE")
            .to_string(),
    };
    Some(arn_found(K::EcsService, arn, name, address, &props, &tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Deployment;

    /// A service with these deployments: (id, status, task definition, rollout state), each
    /// with 1 of 2 tasks running.
    fn service(deployments: &[(&str, &str, &str, DeploymentRolloutState)]) -> Service {
        deployments
            .iter()
            .fold(Service::builder(), |service, (id, status, td, state)| {
                service.deployments(
                    Deployment::builder()
                        .id(*id)
                        .status(*status)
                        .task_definition(*td)
                        .rollout_state(state.clone())
                        .desired_count(2)
                        .running_count(1)
                        .build(),
                )
            })
            .build()
    }

    #[test]
    fn the_wait_follows_its_own_deployment_and_sees_a_rollback() {
        use DeploymentRolloutState::{Completed, Failed, InProgress};
        let rolling = service(&[
            ("new", "PRIMARY", "td:2", InProgress),
            ("old", "ACTIVE", "td:1", Completed),
        ]);
        let seen = rollout_of(&rolling, "new", "td:2");
        assert!(!seen.done());
        assert_eq!(
            seen.to_string(),
            "rollout IN_PROGRESS: 1 of 2 task(s) running"
        );
        let failed = service(&[
            ("back", "PRIMARY", "td:1", InProgress),
            ("new", "ACTIVE", "td:2", Failed),
        ]);
        assert_eq!(rollout_of(&failed, "new", "td:2").state, "FAILED");
        let gone = service(&[("back", "PRIMARY", "td:1", Completed)]);
        assert_eq!(rollout_of(&gone, "new", "td:2").state, "FAILED");
        let done = service(&[("new", "PRIMARY", "td:2", Completed)]);
        assert!(rollout_of(&done, "new", "td:2").done());
        assert_eq!(rollout_of(&done, "new", "td:2").state, "COMPLETED");
    }
}
