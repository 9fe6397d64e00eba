//! An ECS task definition family. A revision is immutable (botocore `ecs`
//! RegisterTaskDefinition: each call registers a new revision of the family), so the resource is
//! the family and what it runs is its latest ACTIVE revision.
//!
//! # Why an update, not a replace
//!
//! A change of what the task runs (image, environment, memory, …) registers a new revision. A
//! replace would delete first — deregister the revision the service still runs before the
//! service has moved — or create before delete under a new address; neither is what a rolling
//! deployment needs. So the change is an in-place update that registers the new revision and
//! changes the `revisionArn` attribute (`KindSpec::updated_attributes`): a service embedding
//! `${<task definition>#revisionArn}` changes in the same plan, after this step, and deploys it.
//!
//! The revision the service moved away from is deregistered by the **service's** update, once its
//! rollout is COMPLETED (`ecs_service.rs`): only then is it certain nothing runs it, and only the
//! service knows which revision it ran. A rollout the circuit breaker rolled back leaves the old
//! revision in use and registered, and the new one too: the next plan still shows the service's
//! change (it runs the old revision, the family's latest is the new one), so the next apply tries
//! again. Deregistering a revision never stops its tasks ("Existing tasks and services that
//! reference an INACTIVE task definition revision continue to run without disruption", botocore
//! `ecs` DeregisterTaskDefinition), so a revision left behind is a matter of tidiness, not safety.
//!
//! - **Create**: DescribeTaskDefinition of the family first (its latest ACTIVE revision, with
//!   TAGS): one of this step's (its address tag) that already says what is desired — an
//!   interrupted run's — is kept; one that is not this blueprint's is a clear error; otherwise
//!   RegisterTaskDefinition with the tags.
//! - **Update**: RegisterTaskDefinition of the whole definition: a new revision, its ARN the new
//!   `revisionArn`. The tags go with the new revision (tags are per revision).
//! - **Delete**: every revision of the family (ListTaskDefinitions by family prefix, ACTIVE then
//!   INACTIVE, the family's own by its ARNs), DeregisterTaskDefinition for the ACTIVE ones, then
//!   DeleteTaskDefinitions, 10 at a time (botocore `ecs` DeleteTaskDefinitions: "You must
//!   deregister a task definition revision before you delete it"; up to 10 per call).
//!
//! Read: ListTaskDefinitionFamilies with the blueprint's name prefix (ACTIVE families), then one
//! DescribeTaskDefinition per family with TAGS — ECS has no batch describe — for its latest ACTIVE
//! revision; ownership by its tags. Attributes: `id` (the family's ARN, the revision's without
//! `:<revision>`: unique, so no other property is mistaken for a reference to it), `name` (the
//! family) and `revisionArn` (the latest revision's ARN).
//!
//! Normalisation: a container `cpu` of 0 is "not set" (ECS answers 0 for a container without
//! CPU units), so the catalog leaves it out rather than writing 0.

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, KeyValuePair, LogConfiguration, LogDriver, NetworkMode,
    PortMapping, Secret, TaskDefinition, TaskDefinitionFamilyStatus, TaskDefinitionField,
    TaskDefinitionStatus, TransportProtocol,
};
use serde_json::Value;

use super::ecs::{ecs_tags, tag_set};
use super::stages::{Read, after, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::missing;
use crate::aws::tags::{self, ADDRESS_TAG, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::ecs_kinds::{
    EcsAwsLogs, EcsContainerProps, EcsPortMapping, EcsTaskDefinitionProps,
};

pub(crate) struct EcsTaskDefinition;

impl Adapter for EcsTaskDefinition {
    const READS: &'static [Read] = &[
        first(("ecs", "ListTaskDefinitionFamilies")),
        after(
            ("ecs", "DescribeTaskDefinition"),
            &[("ecs", "ListTaskDefinitionFamilies")],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let families: Vec<String> = all_items!(
            read.clients()
                .ecs
                .list_task_definition_families()
                .family_prefix(read.name_prefix())
                .status(TaskDefinitionFamilyStatus::Active)
                .max_results(100),
            families
        );
        // A family whose last revision was deregistered meanwhile is none.
        let described = futures::future::try_join_all(
            families
                .iter()
                .map(|family| describe_family(&read.clients().ecs, family)),
        )
        .await?;
        Ok(described
            .into_iter()
            .flatten()
            .filter_map(|out| {
                let tags = tag_set(out.tags());
                let address = read.owned(&tags)?;
                let definition = out.task_definition()?;
                let props = definition_props(definition)?;
                let arn = definition.task_definition_arn()?;
                let mut found = Found::new(K::EcsTaskDefinition, family_id(arn))
                    .at(Some(address))
                    .named(&props.family)
                    .props(&props)
                    .with("tags", tags::to_value(&tags));
                found.outputs = definition_outputs(arn, &props.family);
                Some(found)
            })
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let desired = resolved(step)?;
        if let Some((definition, tags)) = latest(step, &desired.family).await? {
            let ours = tags
                .get(ADDRESS_TAG)
                .is_some_and(|v| tags::is_address(v, step.address()));
            let foreign = !ours && step.ownership_tags().keys().any(|k| !tags.contains_key(k));
            step.refuse_unless_ours(
                !foreign,
                "TaskDefinitionExists",
                &format!(
                    "the ECS task definition family {} already exists",
                    desired.family
                ),
            )?;
            if ours && definition_props(&definition).as_ref() == Some(&desired) {
                let arn = definition.task_definition_arn().unwrap_or_default();
                return Ok(definition_outputs(arn, &desired.family));
            }
        }
        register(step, &desired).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let desired = resolved(step)?;
        register(step, &desired).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let family = step
            .existing("name")
            .map(str::to_string)
            .or_else(|| {
                step.existing_id()
                    .ok()
                    .map(|id| short_family(id).to_string())
            })
            .ok_or_else(|| missing(format!("{}: its family is unknown", step.address())))?;
        let active = revisions(step, &family, TaskDefinitionStatus::Active).await?;
        for arn in &active {
            let deregistered = step
                .clients()
                .ecs
                .deregister_task_definition()
                .task_definition(arn)
                .send()
                .await
                .aws();
            not_found_as_none(deregistered)?;
        }
        let inactive = revisions(step, &family, TaskDefinitionStatus::Inactive).await?;
        for chunk in inactive.chunks(10) {
            step.clients()
                .ecs
                .delete_task_definitions()
                .set_task_definitions(Some(chunk.to_vec()))
                .send()
                .await
                .aws()?;
        }
        Ok(Outputs::new())
    }
}

/// `arn:…:task-definition/fam:3` → `arn:…:task-definition/fam`.
fn family_id(revision_arn: &str) -> String {
    match revision_arn.rsplit_once(':') {
        Some((family, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => {
            family.to_string()
        }
        _ => revision_arn.to_string(),
    }
}

/// The family's name from its id or a revision's ARN.
fn short_family(id: &str) -> &str {
    let tail = id.rsplit('/').next().unwrap_or(id);
    tail.split(':').next().unwrap_or(tail)
}

fn definition_outputs(revision_arn: &str, family: &str) -> Outputs {
    let mut out = super::outputs(&family_id(revision_arn), None, Some(family));
    out.insert("revisionArn".into(), Value::from(revision_arn));
    out
}

/// DescribeTaskDefinition of a family (its latest ACTIVE revision) with its tags; `None` when it
/// has none: ECS answers an unknown family, or one whose last revision is deregistered, with
/// ClientException "Unable to describe task definition".
async fn describe_family(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
) -> Result<Option<DescribeTaskDefinitionOutput>, StepError> {
    let answer = ecs
        .describe_task_definition()
        .task_definition(family)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .aws();
    match not_found_as_none(answer) {
        Err(err) if err.code == "ClientException" => Ok(None),
        other => other,
    }
}

/// The family's latest ACTIVE revision and its tags, if it has one.
async fn latest(
    step: &AwsStep<'_>,
    family: &str,
) -> Result<Option<(TaskDefinition, TagSet)>, StepError> {
    let answer = describe_family(&step.clients().ecs, family).await?;
    Ok(answer.and_then(|out| {
        let tags = tag_set(out.tags());
        out.task_definition.map(|d| (d, tags))
    }))
}

/// Every revision ARN of exactly this family in `status` (ListTaskDefinitions' familyPrefix is a
/// prefix: `demo-web` also lists `demo-web2`'s).
async fn revisions(
    step: &AwsStep<'_>,
    family: &str,
    status: TaskDefinitionStatus,
) -> Result<Vec<String>, StepError> {
    Ok(all_items!(
        step.clients()
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(status)
            .max_results(100),
        task_definition_arns
    )
    .into_iter()
    .filter(|arn| short_family(arn) == family)
    .collect())
}

/// RegisterTaskDefinition of `props` (references resolved) with the tags: a new revision.
async fn register(step: &AwsStep<'_>, props: &EcsTaskDefinitionProps) -> StepResult {
    let containers = props
        .containers
        .iter()
        .map(|c| container_definition(step, c))
        .collect::<Result<Vec<_>, _>>()?;
    let registered = step
        .clients()
        .ecs
        .register_task_definition()
        .family(&props.family)
        .network_mode(NetworkMode::from(props.network_mode.as_str()))
        .set_requires_compatibilities(Some(
            props
                .requires_compatibilities
                .iter()
                .map(|c| Compatibility::from(c.as_str()))
                .collect(),
        ))
        .set_cpu(props.cpu.clone())
        .set_memory(props.memory.clone())
        .set_execution_role_arn(props.execution_role.clone())
        .set_task_role_arn(props.task_role.clone())
        .set_container_definitions(Some(containers))
        .set_tags(Some(ecs_tags(&step.tags())))
        .send()
        .await
        .aws()?;
    let arn = registered
        .task_definition()
        .and_then(TaskDefinition::task_definition_arn)
        .ok_or_else(|| {
            missing(format!(
                "{}: RegisterTaskDefinition answered no ARN",
                step.address()
            ))
        })?;
    Ok(definition_outputs(arn, &props.family))
}

fn container_definition(
    step: &AwsStep<'_>,
    c: &EcsContainerProps,
) -> Result<ContainerDefinition, StepError> {
    let bad = |e: aws_sdk_ecs::error::BuildError| missing(format!("{}: {e}", step.address()));
    // A `registry:` image is the repository's URI embedded (`${<repository>#uri}:TAG`).
    let image = step
        .resolve_embedded(&serde_json::Value::from(c.image.as_str()))?
        .as_str()
        .unwrap_or(&c.image)
        .to_string();
    let mut def = ContainerDefinition::builder()
        .name(&c.name)
        .image(image)
        .essential(c.essential)
        .set_command((!c.command.is_empty()).then(|| c.command.clone()))
        .set_memory(c.memory.and_then(|m| i32::try_from(m).ok()))
        .set_memory_reservation(c.memory_reservation.and_then(|m| i32::try_from(m).ok()))
        .set_cpu(c.cpu.and_then(|m| i32::try_from(m).ok()));
    for p in &c.port_mappings {
        def = def.port_mappings(
            PortMapping::builder()
                .container_port(i32::try_from(p.container_port).unwrap_or(0))
                .host_port(i32::try_from(p.host_port).unwrap_or(0))
                .protocol(TransportProtocol::from(p.protocol.as_str()))
                .build(),
        );
    }
    for (name, value) in &c.environment {
        def = def.environment(KeyValuePair::builder().name(name).value(value).build());
    }
    for (name, value_from) in &c.secrets {
        def = def.secrets(
            Secret::builder()
                .name(name)
                .value_from(value_from)
                .build()
                .map_err(bad)?,
        );
    }
    if let Some(log) = &c.log {
        def = def.log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", &log.group)
                .options("awslogs-region", &log.region)
                .options("awslogs-stream-prefix", &log.stream_prefix)
                .build()
                .map_err(bad)?,
        );
    }
    Ok(def.build())
}

/// The step's properties with their references resolved: the roles' ARNs, the log groups' names,
/// the secrets' ARNs (a secret referred to by address), as ECS answers them back.
fn resolved(step: &AwsStep<'_>) -> Result<EcsTaskDefinitionProps, StepError> {
    let mut props: EcsTaskDefinitionProps = step.props()?;
    let arn_of = |address: &str| {
        step.resolve(&format!(
            "{}#arn",
            address.split('#').next().unwrap_or(address)
        ))
    };
    if let Some(role) = &props.execution_role {
        props.execution_role = Some(arn_of(role)?);
    }
    if let Some(role) = &props.task_role {
        props.task_role = Some(arn_of(role)?);
    }
    for container in &mut props.containers {
        if let Some(log) = &mut container.log {
            log.group = name_if_reference(step, &log.group)?;
        }
        for value in container.secrets.values_mut() {
            *value = step.resolve(value)?;
        }
    }
    Ok(props)
}

/// A dependency's `name` output, or the value as written (a log group's literal name).
fn name_if_reference(step: &AwsStep<'_>, value: &str) -> Result<String, StepError> {
    let address = crate::plan::Address::new(value);
    if step.request.inputs.contains_key(&address) || step.request.step.depends_on.contains(&address)
    {
        step.name_of(value)
    } else {
        Ok(value.to_string())
    }
}

/// A revision as the catalog writes it (references as AWS's ARNs and names).
fn definition_props(d: &TaskDefinition) -> Option<EcsTaskDefinitionProps> {
    Some(EcsTaskDefinitionProps {
        family: d.family()?.to_string(),
        network_mode: d
            .network_mode()
            .map(|m| m.as_str())
            .unwrap_or("bridge")
            .to_string(),
        requires_compatibilities: d
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        cpu: d.cpu().map(str::to_string),
        memory: d.memory().map(str::to_string),
        execution_role: d.execution_role_arn().map(str::to_string),
        task_role: d.task_role_arn().map(str::to_string),
        containers: d
            .container_definitions()
            .iter()
            .map(container_props)
            .collect(),
    })
}

fn container_props(c: &ContainerDefinition) -> EcsContainerProps {
    let log = c.log_configuration().and_then(|l| {
        let options = l.options()?;
        Some(EcsAwsLogs {
            group: options.get("awslogs-group")?.clone(),
            region: options.get("awslogs-region").cloned().unwrap_or_default(),
            stream_prefix: options
                .get("awslogs-stream-prefix")
                .cloned()
                .unwrap_or_default(),
        })
    });
    EcsContainerProps {
        name: c.name().unwrap_or_default().to_string(),
        image: c.image().unwrap_or_default().to_string(),
        command: c.command().to_vec(),
        essential: c.essential().unwrap_or(true),
        memory: c.memory().map(i64::from),
        memory_reservation: c.memory_reservation().map(i64::from),
        cpu: Some(i64::from(c.cpu())).filter(|cpu| *cpu != 0),
        port_mappings: c
            .port_mappings()
            .iter()
            .map(|p| EcsPortMapping {
                container_port: p.container_port().map(i64::from).unwrap_or_default(),
                host_port: p.host_port().map(i64::from).unwrap_or_default(),
                protocol: p
                    .protocol()
                    .map(|t| t.as_str())
                    .unwrap_or("tcp")
                    .to_string(),
            })
            .collect(),
        environment: c
            .environment()
            .iter()
            .filter_map(|kv| Some((kv.name()?.to_string(), kv.value()?.to_string())))
            .collect::<BTreeMap<_, _>>(),
        secrets: c
            .secrets()
            .iter()
            .map(|s| (s.name().to_string(), s.value_from().to_string()))
            .collect(),
        log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_is_known_by_its_arn_without_the_revision() {
        let arn = "arn:aws:ecs:eu-west-1:1:task-definition/demo-web:12";
        assert_eq!(
            family_id(arn),
            "arn:aws:ecs:eu-west-1:1:task-definition/demo-web"
        );
        assert_eq!(short_family(arn), "demo-web");
        assert_eq!(short_family(&family_id(arn)), "demo-web");
        let out = definition_outputs(arn, "demo-web");
        assert_eq!(
            out["id"],
            "arn:aws:ecs:eu-west-1:1:task-definition/demo-web"
        );
        assert_eq!(out["revisionArn"], arn);
        assert_eq!(out["name"], "demo-web");
        assert!(
            !out.contains_key("arn"),
            "a revision's ARN would be taken for the resource's"
        );
    }

    #[test]
    fn a_registered_definition_reads_back_as_written() {
        let d = TaskDefinition::builder()
            .family("demo-web")
            .network_mode(NetworkMode::Bridge)
            .requires_compatibilities(Compatibility::Ec2)
            .container_definitions(
                ContainerDefinition::builder()
                    .name("web")
                    .image("nginx:1.27")
                    .essential(true)
                    .memory(512)
                    .cpu(0)
                    .port_mappings(
                        PortMapping::builder()
                            .container_port(80)
                            .host_port(0)
                            .protocol(TransportProtocol::Tcp)
                            .build(),
                    )
                    .environment(KeyValuePair::builder().name("APP").value("web").build())
                    .build(),
            )
            .build();
        let props = definition_props(&d).unwrap();
        assert_eq!(
            serde_json::to_value(&props).unwrap(),
            serde_json::json!({
                "family": "demo-web",
                "networkMode": "bridge",
                "requiresCompatibilities": ["EC2"],
                "containers": [{
                    "name": "web",
                    "image": "nginx:1.27",
                    "essential": true,
                    "memory": 512,
                    "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
                    "environment": {"APP": "web"}
                }]
            })
        );
    }
}
