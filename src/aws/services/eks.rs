//! eks: the cluster, Fargate profiles and managed node groups.
//!
//! Creates look the resource up by name first (EKS names are unique per cluster) and pass a
//! client request token, then wait for ACTIVE. Updates go through EKS's update API one at a
//! time (EKS refuses a second update while one is in progress), each waited on with
//! DescribeUpdate. Node groups get their security groups and disk size from a launch template
//! named after the node group (a managed node group takes security groups no other way).

use std::collections::HashMap;

use aws_sdk_eks::types::{
    FargateProfileSelector, LaunchTemplateSpecification, LogSetup, LogType, Logging,
    NodegroupScalingConfig, VpcConfigRequest,
};
use serde_json::{Map, Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

const ALL_LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

fn hash_map(tags: &TagSet) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn string_list(step: &AwsStep<'_>, key: &str) -> Vec<String> {
    match step.property(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A dependency's attribute: `role` holding `cluster.iam_role.cluster` -> that role's `arn`.
fn reference_attribute(
    step: &AwsStep<'_>,
    key: &str,
    attribute: &str,
) -> Result<String, StepError> {
    let address = step.str(key)?;
    let address = address.split('#').next().unwrap_or(address);
    step.resolve(&format!("{address}#{attribute}"))
}

/// The cluster's name for a Fargate profile or node group: from the outputs a create or the
/// reader recorded, else from the cluster's own outputs.
fn cluster_name(step: &AwsStep<'_>) -> Result<String, StepError> {
    if let Some(name) = step.existing("clusterName") {
        return Ok(name.to_string());
    }
    reference_attribute(step, "cluster", "name")
}

fn logging(enabled: &[String]) -> Logging {
    let disabled: Vec<LogType> = ALL_LOG_TYPES
        .iter()
        .filter(|t| !enabled.iter().any(|e| e == *t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut setups = vec![
        LogSetup::builder()
            .set_types(Some(
                enabled.iter().map(|t| LogType::from(t.as_str())).collect(),
            ))
            .enabled(true)
            .build(),
    ];
    if !disabled.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(disabled))
                .enabled(false)
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

fn endpoint_access(step: &AwsStep<'_>) -> aws_sdk_eks::types::builders::VpcConfigRequestBuilder {
    let public = step.bool("endpointPublicAccess").unwrap_or(true);
    let mut config = VpcConfigRequest::builder()
        .endpoint_public_access(public)
        .endpoint_private_access(step.bool("endpointPrivateAccess").unwrap_or(false));
    let cidrs = string_list(step, "publicAccessCidrs");
    if public && !cidrs.is_empty() {
        config = config.set_public_access_cidrs(Some(cidrs));
    }
    config
}

// --- cluster -------------------------------------------------------------------------------

/// What a described cluster gives its dependents.
fn cluster_outputs(cluster: &aws_sdk_eks::types::Cluster) -> Outputs {
    let name = cluster.name().unwrap_or_default();
    let arn = cluster.arn().unwrap_or(name);
    let mut out = outputs(arn, Some(arn), Some(name));
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            out.insert(key.into(), Value::from(value));
        }
    };
    put("endpoint", cluster.endpoint());
    put("version", cluster.version());
    put(
        "oidcIssuer",
        cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer()),
    );
    put(
        "certificateAuthority",
        cluster.certificate_authority().and_then(|c| c.data()),
    );
    put(
        "clusterSecurityGroup",
        cluster
            .resources_vpc_config()
            .and_then(|v| v.cluster_security_group_id()),
    );
    out
}

async fn describe_cluster(
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Cluster>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.cluster))
}

/// Waits until the cluster is ACTIVE (FAILED ends the wait with AWS's health issues).
async fn wait_cluster_active(step: &AwsStep<'_>, name: &str) -> Result<Outputs, StepError> {
    let cluster = step
        .wait_until(
            || async {
                let cluster = describe_cluster(step, name).await?;
                if let Some(c) = &cluster {
                    if c.status().map(|s| s.as_str()) == Some("FAILED") {
                        return Err(StepError::fatal(
                            "ClusterFailed",
                            format!("EKS cluster {name} failed: {:?}", c.health()),
                        ));
                    }
                }
                Ok(cluster.map(|c| Status::Cluster(Box::new(c))))
            },
            |s: Option<&Status>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    match cluster {
        Some(Status::Cluster(c)) => Ok(cluster_outputs(&c)),
        _ => Err(StepError::fatal(
            "ClusterNotFound",
            format!("EKS cluster {name} vanished"),
        )),
    }
}

/// A described EKS object whose `Display` is its status (what the progress view shows).
enum Status {
    Cluster(Box<aws_sdk_eks::types::Cluster>),
    Profile(Box<aws_sdk_eks::types::FargateProfile>),
    Nodegroup(Box<aws_sdk_eks::types::Nodegroup>),
    Update(String),
}

impl Status {
    fn state(&self) -> String {
        match self {
            Status::Cluster(c) => c.status().map(|s| s.as_str().to_string()),
            Status::Profile(p) => p.status().map(|s| s.as_str().to_string()),
            Status::Nodegroup(n) => n.status().map(|s| s.as_str().to_string()),
            Status::Update(s) => Some(s.clone()),
        }
        .unwrap_or_default()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.state().to_lowercase())
    }
}

pub async fn create_cluster(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    // Created straight away, without a look first: a name already taken (an earlier attempt
    // whose answer was lost) is answered ResourceInUseException, and the wait takes it from there.
    let vpc = endpoint_access(step)
        .set_subnet_ids(Some(step.references("subnets")?))
        .set_security_group_ids(Some(step.references("securityGroups")?))
        .build();
    let mut request = step
        .clients()
        .eks
        .create_cluster()
        .name(&name)
        .role_arn(reference_attribute(step, "role", "arn")?)
        .resources_vpc_config(vpc)
        .logging(logging(&string_list(step, "logging")))
        .client_request_token(step.client_token("CreateCluster"))
        .set_tags(Some(hash_map(&step.tags())));
    if let Some(version) = step.opt_str("version") {
        request = request.version(version);
    }
    match request.send().await.aws() {
        Ok(_) => {}
        // Created by an earlier attempt whose answer was lost.
        Err(e) if e.code == "ResourceInUseException" => {}
        Err(e) => return Err(e),
    }
    wait_cluster_active(step, &name).await
}

/// Waits for an EKS update (cluster or node group) to finish.
async fn wait_update(
    step: &AwsStep<'_>,
    cluster: &str,
    nodegroup: Option<&str>,
    update: Option<&aws_sdk_eks::types::Update>,
) -> Result<(), StepError> {
    // Nothing to wait for when no update was started or it finished at once.
    let Some(update) = update else {
        return Ok(());
    };
    if update.status().map(|s| s.as_str()) == Some("Successful") {
        return Ok(());
    }
    let Some(update_id) = update.id() else {
        return Ok(());
    };
    step.wait_until(
        || async {
            let update = step
                .clients()
                .eks
                .describe_update()
                .name(cluster)
                .update_id(update_id)
                .set_nodegroup_name(nodegroup.map(str::to_string))
                .send()
                .await
                .aws()?
                .update;
            let Some(update) = update else {
                return Ok(None);
            };
            let status = update
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if status == "Failed" || status == "Cancelled" {
                let errors: Vec<String> = update
                    .errors()
                    .iter()
                    .map(|e| e.error_message().unwrap_or_default().to_string())
                    .collect();
                return Err(StepError::fatal(
                    "UpdateFailed",
                    format!("EKS update {update_id} {status}: {}", errors.join("; ")),
                ));
            }
            Ok(Some(Status::Update(status)))
        },
        |s: Option<&Status>| s.is_some_and(|s| s.state() == "Successful"),
    )
    .await?;
    Ok(())
}

/// What `update_cluster` changes in place; tags aside. The role is in the kind's `replace_on`.
pub(crate) const CLUSTER_IN_PLACE: &[&str] = &[
    "version",
    "logging",
    "endpointPublicAccess",
    "endpointPrivateAccess",
    "publicAccessCidrs",
    "subnets",
    "securityGroups",
];

/// One UpdateClusterConfig of the cluster's VPC settings, waited on until done and ACTIVE.
async fn update_vpc_config(
    step: &AwsStep<'_>,
    name: &str,
    vpc: aws_sdk_eks::types::VpcConfigRequest,
) -> Result<(), StepError> {
    let update = step
        .clients()
        .eks
        .update_cluster_config()
        .name(name)
        .resources_vpc_config(vpc)
        .send()
        .await
        .aws()?
        .update;
    wait_update(step, name, None, update.as_ref()).await?;
    wait_cluster_active(step, name).await?;
    Ok(())
}

pub async fn update_cluster(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.str("name").unwrap_or(step.name()).to_string();
    let arn = match step.existing("arn") {
        Some(arn) => arn.to_string(),
        None => describe_cluster(step, &name)
            .await?
            .and_then(|c| c.arn)
            .ok_or_else(|| {
                StepError::fatal("ResourceNotFoundException", format!("no cluster {name}"))
            })?,
    };
    if step.changed("tags") {
        update_tags(step, &arn).await?;
    }
    if !step.changed_any(CLUSTER_IN_PLACE) {
        return wait_cluster_active(step, &name).await;
    }
    // One update at a time: EKS refuses a second one while the first is in progress.
    if step.changed("version") {
        if let Some(version) = step.opt_str("version") {
            let update = step
                .clients()
                .eks
                .update_cluster_version()
                .name(&name)
                .version(version)
                .send()
                .await
                .aws()?
                .update;
            wait_update(step, &name, None, update.as_ref()).await?;
            wait_cluster_active(step, &name).await?;
        }
    }
    if step.changed("logging") {
        let update = step
            .clients()
            .eks
            .update_cluster_config()
            .name(&name)
            .logging(logging(&string_list(step, "logging")))
            .send()
            .await
            .aws()?
            .update;
        wait_update(step, &name, None, update.as_ref()).await?;
        wait_cluster_active(step, &name).await?;
    }
    if step.changed("endpointPublicAccess")
        || step.changed("endpointPrivateAccess")
        || step.changed("publicAccessCidrs")
    {
        update_vpc_config(step, &name, endpoint_access(step).build()).await?;
    }
    // Subnets and security groups change in place: UpdateClusterConfig's resourcesVpcConfig
    // takes "different subnets and security groups for the cluster" (at least two zones, the
    // same VPC: botocore's eks model), each in an update of its own, as EKS takes one kind of
    // VPC change per update (terraform-provider-aws internal/service/eks/cluster.go).
    if step.changed("subnets") {
        let vpc = VpcConfigRequest::builder()
            .set_subnet_ids(Some(step.references("subnets")?))
            .build();
        update_vpc_config(step, &name, vpc).await?;
    }
    if step.changed("securityGroups") {
        let vpc = VpcConfigRequest::builder()
            .set_security_group_ids(Some(step.references("securityGroups")?))
            .build();
        update_vpc_config(step, &name, vpc).await?;
    }
    wait_cluster_active(step, &name).await
}

/// Sets and removes tags on any EKS resource to match the desired ones.
async fn update_tags(step: &AwsStep<'_>, arn: &str) -> Result<(), StepError> {
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    if !set.is_empty() {
        step.clients()
            .eks
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(hash_map(&set)))
            .send()
            .await
            .aws()?;
    }
    if !remove.is_empty() {
        step.clients()
            .eks
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

pub async fn delete_cluster(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .eks
        .delete_cluster()
        .name(&name)
        .send()
        .await
        .aws();
    if not_found_as_none(result)?.is_none() {
        return Ok(Outputs::new());
    }
    step.wait_until(
        || async {
            Ok(describe_cluster(step, &name)
                .await?
                .map(|c| Status::Cluster(Box::new(c))))
        },
        |s: Option<&Status>| s.is_none(),
    )
    .await?;
    Ok(Outputs::new())
}

// --- Fargate profiles ----------------------------------------------------------------------

async fn describe_profile(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::FargateProfile>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_fargate_profile()
        .cluster_name(cluster)
        .fargate_profile_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.fargate_profile))
}

fn selectors(step: &AwsStep<'_>) -> Vec<FargateProfileSelector> {
    let Some(Value::Array(items)) = step.property("selectors") else {
        return Vec::new();
    };
    items
        .iter()
        .map(|s| {
            let labels: Option<HashMap<String, String>> =
                s.get("labels").and_then(Value::as_object).map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_string),
                            )
                        })
                        .collect()
                });
            FargateProfileSelector::builder()
                .set_namespace(
                    s.get("namespace")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .set_labels(labels)
                .build()
        })
        .collect()
}

pub async fn create_fargate_profile(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.str("name").unwrap_or(step.name()).to_string();
    // No look first: an existing profile is answered "already exists" (as for the cluster).
    let result = step
        .clients()
        .eks
        .create_fargate_profile()
        .cluster_name(&cluster)
        .fargate_profile_name(&name)
        .pod_execution_role_arn(reference_attribute(step, "podExecutionRole", "arn")?)
        .set_subnets(Some(step.references("subnets")?))
        .set_selectors(Some(selectors(step)))
        .client_request_token(step.client_token("CreateFargateProfile"))
        .set_tags(Some(hash_map(&step.tags())))
        .send()
        .await
        .aws();
    match result {
        Ok(_) => {}
        Err(e) if e.code == "ResourceInUseException" && e.message.contains("already exists") => {}
        Err(e) => return Err(e),
    }
    let profile = step
        .wait_until(
            || async {
                let p = describe_profile(step, &cluster, &name).await?;
                if let Some(p) = &p {
                    if p.status().map(|s| s.as_str()) == Some("CREATE_FAILED") {
                        return Err(StepError::fatal(
                            "CreateFailed",
                            format!("Fargate profile {name}: {:?}", p.health()),
                        ));
                    }
                }
                Ok(p.map(|p| Status::Profile(Box::new(p))))
            },
            |s: Option<&Status>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    let arn = match profile {
        Some(Status::Profile(p)) => p.fargate_profile_arn.unwrap_or_default(),
        _ => String::new(),
    };
    let mut out = outputs(&arn, Some(&arn), Some(&name));
    out.insert("clusterName".into(), Value::from(cluster));
    Ok(out)
}

/// Everything but tags forces a replacement.
pub async fn update_fargate_profile(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    if step.changed("tags") {
        update_tags(step, &arn).await?;
    }
    let mut out = outputs(&arn, Some(&arn), Some(step.name()));
    out.insert("clusterName".into(), Value::from(cluster_name(step)?));
    Ok(out)
}

pub async fn delete_fargate_profile(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .eks
        .delete_fargate_profile()
        .cluster_name(&cluster)
        .fargate_profile_name(&name)
        .send()
        .await
        .aws();
    if not_found_as_none(result)?.is_none() {
        return Ok(Outputs::new());
    }
    step.wait_until(
        || async {
            Ok(describe_profile(step, &cluster, &name)
                .await?
                .map(|p| Status::Profile(Box::new(p))))
        },
        |s: Option<&Status>| s.is_none(),
    )
    .await?;
    Ok(Outputs::new())
}

// --- node groups ---------------------------------------------------------------------------

async fn describe_nodegroup(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Nodegroup>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.nodegroup))
}

fn scaling(step: &AwsStep<'_>) -> NodegroupScalingConfig {
    let scaling = step.property("scaling");
    let get = |key: &str| {
        scaling
            .and_then(|s| s.get(key))
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
    };
    NodegroupScalingConfig::builder()
        .set_min_size(get("minSize"))
        .set_max_size(get("maxSize"))
        .set_desired_size(get("desiredSize"))
        .build()
}

fn labels(step: &AwsStep<'_>) -> HashMap<String, String> {
    match step.property("labels") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// The node group's launch template (security groups, root volume), created once by name.
async fn ensure_launch_template(step: &AwsStep<'_>, name: &str) -> Result<String, StepError> {
    use aws_sdk_ec2::types::{
        EbsBlockDevice, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateHttpTokensState,
        LaunchTemplateInstanceMetadataOptionsRequest, RequestLaunchTemplateData, ResourceType, Tag,
        TagSpecification, VolumeType,
    };
    let disk = step
        .i64("diskSizeGib")
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(20);
    let data = RequestLaunchTemplateData::builder()
        .set_security_group_ids(Some(step.references("securityGroups")?))
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name("/dev/xvda")
                .ebs(
                    EbsBlockDevice::builder()
                        .volume_size(disk)
                        .volume_type(VolumeType::Gp3)
                        .encrypted(true)
                        .build()
                        .into_request(),
                )
                .build(),
        )
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(2)
                .build(),
        )
        .build();
    // Only the blueprint tag: the template is part of the node group, not a resource of its own.
    let tags: Vec<Tag> = step
        .tags()
        .into_iter()
        .filter(|(k, _)| k != tags::ADDRESS_TAG)
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let created = step
        .clients()
        .ec2
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(data)
        .client_token(step.client_token("CreateLaunchTemplate"))
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .set_tags(Some(tags))
                .build(),
        )
        .send()
        .await
        .aws();
    let id = match created {
        Ok(created) => created.launch_template.and_then(|t| t.launch_template_id),
        // Made by an earlier attempt or run whose node group was never created: use it.
        Err(e) if e.code == "InvalidLaunchTemplateName.AlreadyExistsException" => {
            let found = step
                .clients()
                .ec2
                .describe_launch_templates()
                .launch_template_names(name)
                .send()
                .await
                .aws()?;
            found
                .launch_templates
                .unwrap_or_default()
                .into_iter()
                .next()
                .and_then(|t| t.launch_template_id)
        }
        Err(e) => return Err(e),
    };
    id.ok_or_else(|| {
        StepError::fatal(
            "LaunchTemplateMissing",
            format!("no id for launch template {name}"),
        )
    })
}

/// `EbsBlockDevice` is the describe shape; the request takes `LaunchTemplateEbsBlockDeviceRequest`.
trait IntoRequest {
    fn into_request(self) -> aws_sdk_ec2::types::LaunchTemplateEbsBlockDeviceRequest;
}

impl IntoRequest for aws_sdk_ec2::types::EbsBlockDevice {
    fn into_request(self) -> aws_sdk_ec2::types::LaunchTemplateEbsBlockDeviceRequest {
        aws_sdk_ec2::types::LaunchTemplateEbsBlockDeviceRequest::builder()
            .set_volume_size(self.volume_size)
            .set_volume_type(self.volume_type)
            .set_encrypted(self.encrypted)
            .delete_on_termination(true)
            .build()
    }
}

async fn delete_launch_template(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    let result = step
        .clients()
        .ec2
        .delete_launch_template()
        .launch_template_name(name)
        .send()
        .await
        .aws();
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code.contains("NotFound") || e.code.contains("NotFoundException") => Ok(()),
        Err(e) => Err(e),
    }
}

fn nodegroup_outputs(n: &aws_sdk_eks::types::Nodegroup, cluster: &str) -> Outputs {
    let arn = n.nodegroup_arn().unwrap_or_default();
    let mut out = outputs(arn, Some(arn), n.nodegroup_name());
    out.insert("clusterName".into(), Value::from(cluster));
    if let Some(lt) = n.launch_template().and_then(|t| t.name()) {
        out.insert("launchTemplate".into(), Value::from(lt));
    }
    out
}

async fn wait_nodegroup_active(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Outputs, StepError> {
    let found = step
        .wait_until(
            || async {
                let n = describe_nodegroup(step, cluster, name).await?;
                if let Some(n) = &n {
                    if n.status().map(|s| s.as_str()) == Some("CREATE_FAILED") {
                        return Err(StepError::fatal(
                            "CreateFailed",
                            format!("node group {name}: {:?}", n.health()),
                        ));
                    }
                }
                Ok(n.map(|n| Status::Nodegroup(Box::new(n))))
            },
            |s: Option<&Status>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    match found {
        Some(Status::Nodegroup(n)) => Ok(nodegroup_outputs(&n, cluster)),
        _ => Err(StepError::fatal(
            "ResourceNotFoundException",
            format!("node group {name} vanished"),
        )),
    }
}

pub async fn create_node_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.str("name").unwrap_or(step.name()).to_string();
    // No look first: an existing node group is answered "already exists" (as for the cluster).
    let template = ensure_launch_template(step, &name).await?;
    let mut request = step
        .clients()
        .eks
        .create_nodegroup()
        .cluster_name(&cluster)
        .nodegroup_name(&name)
        .node_role(reference_attribute(step, "nodeRole", "arn")?)
        .set_subnets(Some(step.references("subnets")?))
        .set_instance_types(Some(string_list(step, "instanceTypes")))
        .scaling_config(scaling(step))
        .set_labels(Some(labels(step)))
        .launch_template(
            LaunchTemplateSpecification::builder()
                .id(template)
                .version("1")
                .build(),
        )
        .client_request_token(step.client_token("CreateNodegroup"))
        .set_tags(Some(hash_map(&step.tags())));
    if let Some(capacity) = step.opt_str("capacityType") {
        request = request.capacity_type(capacity.into());
    }
    match request.send().await.aws() {
        Ok(_) => {}
        Err(e) if e.code == "ResourceInUseException" && e.message.contains("already exists") => {}
        Err(e) => return Err(e),
    }
    wait_nodegroup_active(step, &cluster, &name).await
}

/// What `update_node_group` changes in place; tags aside. The rest is in the kind's
/// `replace_on`.
pub(crate) const NODEGROUP_IN_PLACE: &[&str] = &["scaling", "labels", "securityGroups"];

/// New security groups for the nodes: a new version of the node group's launch template with
/// them (the rest of the version it runs now is kept: `SourceVersion`), then
/// UpdateNodegroupVersion to roll the nodes onto it — EKS takes no security groups for a node
/// group with a launch template otherwise (terraform-provider-aws
/// internal/service/eks/node_group.go updates `launch_template` through UpdateNodegroupVersion).
async fn update_node_security_groups(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<(), StepError> {
    use aws_sdk_ec2::types::RequestLaunchTemplateData;
    let running = describe_nodegroup(step, cluster, name)
        .await?
        .and_then(|n| n.launch_template)
        .ok_or_else(|| {
            StepError::fatal(
                "LaunchTemplateMissing",
                format!("node group {name} has no launch template to give new security groups"),
            )
        })?;
    let mut version = step.clients().ec2.create_launch_template_version();
    version = match (running.id(), running.name()) {
        (Some(id), _) => version.launch_template_id(id),
        (None, Some(template)) => version.launch_template_name(template),
        (None, None) => version.launch_template_name(name),
    };
    let created = version
        .set_source_version(running.version().map(str::to_string))
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .set_security_group_ids(Some(step.references("securityGroups")?))
                .build(),
        )
        .client_token(step.client_token("CreateLaunchTemplateVersion"))
        .send()
        .await
        .aws()?
        .launch_template_version;
    let (template_id, number) = created
        .as_ref()
        .and_then(|v| Some((v.launch_template_id()?, v.version_number()?)))
        .ok_or_else(|| {
            StepError::transient(
                "NoVersion",
                "CreateLaunchTemplateVersion returned no version",
            )
        })?;
    let update = step
        .clients()
        .eks
        .update_nodegroup_version()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .id(template_id)
                .version(number.to_string())
                .build(),
        )
        .client_request_token(step.client_token("UpdateNodegroupVersion"))
        .send()
        .await
        .aws()?
        .update;
    wait_update(step, cluster, Some(name), update.as_ref()).await
}

/// In place: tags, scaling (sizes), labels and security groups. The rest forces a replacement.
pub async fn update_node_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.str("name").unwrap_or(step.name()).to_string();
    if step.changed("tags") {
        update_tags(step, step.existing_id()?).await?;
    }
    if !step.changed_any(NODEGROUP_IN_PLACE) {
        return wait_nodegroup_active(step, &cluster, &name).await;
    }
    // One update at a time: EKS refuses a node group update while another is in progress.
    if step.changed("securityGroups") {
        update_node_security_groups(step, &cluster, &name).await?;
    }
    if step.changed("scaling") || step.changed("labels") {
        let mut request = step
            .clients()
            .eks
            .update_nodegroup_config()
            .cluster_name(&cluster)
            .nodegroup_name(&name);
        if step.changed("scaling") {
            request = request.scaling_config(scaling(step));
        }
        if step.changed("labels") {
            let desired = labels(step);
            let observed: Vec<String> = match step
                .request
                .step
                .observed
                .as_ref()
                .and_then(|o| o.get("labels"))
            {
                Some(Value::Object(m)) => m
                    .keys()
                    .filter(|k| !desired.contains_key(*k))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let mut update = aws_sdk_eks::types::UpdateLabelsPayload::builder();
            if !desired.is_empty() {
                update = update.set_add_or_update_labels(Some(desired));
            }
            if !observed.is_empty() {
                update = update.set_remove_labels(Some(observed));
            }
            request = request.labels(update.build());
        }
        let update = request.send().await.aws()?.update;
        wait_update(step, &cluster, Some(&name), update.as_ref()).await?;
    }
    wait_nodegroup_active(step, &cluster, &name).await
}

pub async fn delete_node_group(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.existing("name").unwrap_or(step.name()).to_string();
    let result = step
        .clients()
        .eks
        .delete_nodegroup()
        .cluster_name(&cluster)
        .nodegroup_name(&name)
        .send()
        .await
        .aws();
    if not_found_as_none(result)?.is_some() {
        step.wait_until(
            || async {
                Ok(describe_nodegroup(step, &cluster, &name)
                    .await?
                    .map(|n| Status::Nodegroup(Box::new(n))))
            },
            |s: Option<&Status>| s.is_none(),
        )
        .await?;
    }
    // The launch template goes with the node group (it is named after it).
    let template = step.existing("launchTemplate").unwrap_or(&name).to_string();
    delete_launch_template(step, &template).await?;
    Ok(Outputs::new())
}

// --- reading -------------------------------------------------------------------------------

/// Subnet ids in the catalog's order: by availability zone. The zones come from the read's
/// owned subnets ([`AwsRead::owned_subnets`], no call of its own); only subnets shinyctl does not
/// own cost one DescribeSubnets for them all.
pub(crate) async fn by_zone(
    read: &AwsRead<'_>,
    mut ids: Vec<String>,
) -> Result<Vec<String>, StepError> {
    if ids.len() < 2 {
        return Ok(ids);
    }
    let zone_of = |s: &aws_sdk_ec2::types::Subnet| {
        Some((
            s.subnet_id()?.to_string(),
            s.availability_zone()?.to_string(),
        ))
    };
    let mut zones: HashMap<String, String> = read
        .owned_subnets()
        .await?
        .iter()
        .filter_map(zone_of)
        .collect();
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !zones.contains_key(*id))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let described = read
            .conn
            .clients
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(unknown))
            .send()
            .await
            .aws()?;
        zones.extend(described.subnets().iter().filter_map(zone_of));
    }
    ids.sort_by(|a, b| (zones.get(a), a).cmp(&(zones.get(b), b)));
    Ok(ids)
}

/// Clusters whose names carry the blueprint's prefix, with their Fargate profiles and node
/// groups. The blueprint's own cluster name is known, so its reads (DescribeCluster, EKS has no
/// batch describe; ListFargateProfiles; ListNodegroups) start at once, beside ListClusters, which
/// finds the others with the prefix (a cluster the blueprint no longer has); a profile's or node
/// group's describe waits only for its own listing.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let prefix = read.name_prefix();
    let desired: Vec<String> = read
        .desired_of(K::EksCluster)
        .map(|c| c.name.clone())
        .collect();
    let listed_then_others = async {
        let pages = all_pages!(
            read.conn
                .clients
                .eks
                .list_clusters()
                .into_paginator()
                .send()
        );
        let others: Vec<String> = pages
            .into_iter()
            .flat_map(|p| p.clusters.unwrap_or_default())
            .filter(|n| n == read.blueprint || n.starts_with(&prefix))
            .filter(|n| !desired.contains(n))
            .collect();
        futures::future::try_join_all(others.iter().map(|name| read_cluster(read, name))).await
    };
    let (ours, others) = futures::try_join!(
        futures::future::try_join_all(desired.iter().map(|name| read_cluster(read, name))),
        listed_then_others,
    )?;
    Ok(ours.into_iter().chain(others).flatten().collect())
}

/// One cluster, if it exists and is ours, with its Fargate profiles and node groups: the
/// describe and both listings at once (the children are dropped if the cluster is not ours).
async fn read_cluster(read: &AwsRead<'_>, name: &str) -> Result<Vec<Found>, StepError> {
    let describe = async {
        let cluster = not_found_as_none(
            read.conn
                .clients
                .eks
                .describe_cluster()
                .name(name)
                .send()
                .await
                .aws(),
        )?
        .and_then(|r| r.cluster);
        let Some(cluster) = cluster else {
            return Ok(None);
        };
        let tags = tags::from_pairs(cluster.tags().cloned().unwrap_or_default());
        let Some(address) = read.owned(&tags) else {
            return Ok(None);
        };
        if cluster.status().map(|s| s.as_str()) == Some("DELETING") {
            return Ok(None);
        }
        let subnets = by_zone(
            read,
            cluster
                .resources_vpc_config()
                .map(|v| v.subnet_ids().to_vec())
                .unwrap_or_default(),
        )
        .await?;
        Ok::<_, StepError>(Some(cluster_found(&cluster, address, &tags, subnets)))
    };
    let (cluster, profiles, nodegroups) = futures::try_join!(
        describe,
        read_profiles(read, name),
        read_nodegroups(read, name),
    )?;
    let Some(cluster) = cluster else {
        return Ok(Vec::new());
    };
    Ok(std::iter::once(cluster)
        .chain(profiles)
        .chain(nodegroups)
        .collect())
}

fn cluster_found(
    c: &aws_sdk_eks::types::Cluster,
    address: crate::plan::Address,
    tags: &TagSet,
    subnets: Vec<String>,
) -> Found {
    let name = c.name().unwrap_or_default();
    let vpc = c.resources_vpc_config();
    let mut groups: Vec<String> = vpc
        .map(|v| v.security_group_ids().to_vec())
        .unwrap_or_default();
    groups.sort();
    let public = vpc.is_some_and(|v| v.endpoint_public_access());
    let cidrs: Vec<String> = if public {
        vpc.map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut enabled: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    enabled.sort();
    enabled.dedup();
    let mut found = Found::new(K::EksCluster, c.arn().unwrap_or(name))
        .at(Some(address))
        .named(name)
        .with("name", name)
        .with("version", c.version().unwrap_or_default())
        .with("role", c.role_arn().unwrap_or_default())
        .with("subnets", json!(subnets))
        .with("securityGroups", json!(groups))
        .with("endpointPublicAccess", public)
        .with(
            "endpointPrivateAccess",
            vpc.is_some_and(|v| v.endpoint_private_access()),
        )
        .with("publicAccessCidrs", json!(cidrs))
        .with("logging", json!(enabled))
        .with("tags", tags::to_value(tags));
    found.outputs = cluster_outputs(c);
    found
}

async fn read_profiles(read: &AwsRead<'_>, cluster: &str) -> Result<Vec<Found>, StepError> {
    let mut pages = read
        .conn
        .clients
        .eks
        .list_fargate_profiles()
        .cluster_name(cluster)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.fargate_profile_names.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    let found =
        futures::future::try_join_all(names.iter().map(|name| profile_found(read, cluster, name)))
            .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn profile_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(p) = not_found_as_none(
        eks.describe_fargate_profile()
            .cluster_name(cluster)
            .fargate_profile_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.fargate_profile) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(p.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if p.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    let subnets = by_zone(read, p.subnets().to_vec()).await?;
    let selectors: Vec<Value> = p
        .selectors()
        .iter()
        .map(|s| {
            let mut value = Map::new();
            value.insert("namespace".into(), json!(s.namespace().unwrap_or_default()));
            if let Some(labels) = s.labels().filter(|l| !l.is_empty()) {
                let sorted: std::collections::BTreeMap<_, _> = labels.iter().collect();
                value.insert("labels".into(), json!(sorted));
            }
            Value::Object(value)
        })
        .collect();
    let arn = p.fargate_profile_arn().unwrap_or_default();
    // The cluster as its ARN, which the reader turns into the cluster's address.
    Ok(Some(
        Found::new(K::FargateProfile, arn)
            .at(Some(address))
            .named(name)
            .with("name", name)
            .with("cluster", cluster_arn_of(arn, cluster))
            .with(
                "podExecutionRole",
                p.pod_execution_role_arn().unwrap_or_default(),
            )
            .with("subnets", json!(subnets))
            .with("selectors", Value::Array(selectors))
            .with("tags", tags::to_value(&tags))
            .output("arn", arn)
            .output("name", name)
            .output("clusterName", cluster),
    ))
}

/// The cluster's ARN from a Fargate profile's or node group's ARN
/// (`arn:aws:eks:r:a:fargateprofile/<cluster>/<name>/<uuid>` -> `arn:aws:eks:r:a:cluster/<cluster>`).
fn cluster_arn_of(child_arn: &str, cluster: &str) -> String {
    match child_arn.rsplit_once(':') {
        Some((head, _)) => format!("{head}:cluster/{cluster}"),
        None => cluster.to_string(),
    }
}

async fn read_nodegroups(read: &AwsRead<'_>, cluster: &str) -> Result<Vec<Found>, StepError> {
    let mut pages = read
        .conn
        .clients
        .eks
        .list_nodegroups()
        .cluster_name(cluster)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.nodegroups.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    let found = futures::future::try_join_all(
        names
            .iter()
            .map(|name| nodegroup_found(read, cluster, name)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn nodegroup_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(n) = not_found_as_none(
        eks.describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.nodegroup) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(n.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if n.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    // The launch template and (rarely) the zones of subnets that are not ours, at once.
    let ((groups, disk), subnets) = futures::try_join!(
        launch_template_settings(read, &n),
        by_zone(read, n.subnets().to_vec()),
    )?;
    let scaling = n.scaling_config();
    let labels: std::collections::BTreeMap<_, _> =
        n.labels().map(|l| l.iter().collect()).unwrap_or_default();
    let arn = n.nodegroup_arn().unwrap_or_default();
    let mut f = Found::new(K::NodeGroup, arn)
        .at(Some(address))
        .named(name)
        .with("name", name)
        .with("cluster", cluster_arn_of(arn, cluster))
        .with("nodeRole", n.node_role().unwrap_or_default())
        .with("subnets", json!(subnets))
        .with("securityGroups", json!(groups))
        .with("instanceTypes", json!(n.instance_types()))
        .with("diskSizeGib", disk.or(n.disk_size()).unwrap_or(20))
        .with(
            "capacityType",
            n.capacity_type().map(|c| c.as_str()).unwrap_or("ON_DEMAND"),
        )
        .with(
            "scaling",
            json!({
                "desiredSize": scaling.and_then(|s| s.desired_size()),
                "minSize": scaling.and_then(|s| s.min_size()),
                "maxSize": scaling.and_then(|s| s.max_size()),
            }),
        )
        .with("labels", json!(labels))
        .with("tags", tags::to_value(&tags));
    f.outputs = nodegroup_outputs(&n, cluster);
    Ok(Some(f))
}

/// Security groups and root volume size from the node group's launch template.
async fn launch_template_settings(
    read: &AwsRead<'_>,
    n: &aws_sdk_eks::types::Nodegroup,
) -> Result<(Vec<String>, Option<i32>), StepError> {
    let Some(template) = n.launch_template() else {
        return Ok((Vec::new(), None));
    };
    let mut request = read.conn.clients.ec2.describe_launch_template_versions();
    request = match (template.id(), template.name()) {
        (Some(id), _) => request.launch_template_id(id),
        (None, Some(name)) => request.launch_template_name(name),
        (None, None) => return Ok((Vec::new(), None)),
    };
    let versions = not_found_as_none(
        request
            .versions(template.version().unwrap_or("$Latest"))
            .send()
            .await
            .aws(),
    )?;
    let data = versions
        .and_then(|v| {
            v.launch_template_versions
                .unwrap_or_default()
                .into_iter()
                .next()
        })
        .and_then(|v| v.launch_template_data);
    let Some(data) = data else {
        return Ok((Vec::new(), None));
    };
    let mut groups = data.security_group_ids().to_vec();
    groups.sort();
    let disk = data
        .block_device_mappings()
        .iter()
        .find_map(|m| m.ebs().and_then(|e| e.volume_size()));
    Ok((groups, disk))
}

// --- add-ons -------------------------------------------------------------------------------
// (The EFS CSI driver on node groups.) The add-on picks EKS's default version for the cluster;
// its service account's IAM role is `serviceAccountRoleArn`. Creates and updates overwrite
// conflicting fields on the add-on's Kubernetes objects, then wait for ACTIVE.

/// An add-on's state, for waits.
struct AddonStatus(Box<aws_sdk_eks::types::Addon>);

impl AddonStatus {
    fn state(&self) -> &str {
        self.0.status().map_or("", |s| s.as_str())
    }
}

impl std::fmt::Display for AddonStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.state().to_lowercase())
    }
}

async fn describe_addon(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Addon>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.addon))
}

fn addon_outputs(arn: &str, name: &str, cluster: &str) -> Outputs {
    let mut out = outputs(arn, Some(arn), Some(name));
    out.insert("clusterName".into(), Value::from(cluster));
    out
}

/// The add-on's IAM role ARN, or none.
fn addon_role(step: &AwsStep<'_>) -> Result<Option<String>, StepError> {
    match step.opt_str("serviceAccountRoleArn") {
        Some(_) => step.reference("serviceAccountRoleArn").map(Some),
        None => Ok(None),
    }
}

async fn wait_addon_active(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Addon>, StepError> {
    let last = step
        .wait_until(
            || async {
                let addon = describe_addon(step, cluster, name).await?;
                if let Some(a) = &addon
                    && a.status().map(|s| s.as_str()) == Some("CREATE_FAILED")
                {
                    let issues: Vec<String> = a
                        .health()
                        .map(|h| h.issues())
                        .unwrap_or_default()
                        .iter()
                        .map(|i| {
                            format!(
                                "{}: {}",
                                i.code().map_or("", |c| c.as_str()),
                                i.message().unwrap_or_default()
                            )
                        })
                        .collect();
                    return Err(StepError::fatal(
                        "CreateFailed",
                        format!("add-on {name}: {}", issues.join("; ")),
                    ));
                }
                Ok(addon.map(|a| AddonStatus(Box::new(a))))
            },
            |s: Option<&AddonStatus>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    Ok(last.map(|s| *s.0))
}

pub async fn create_addon(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step.str("addonName")?.to_string();
    // No look first: an existing add-on is answered ResourceInUseException (as for the cluster).
    let result = step
        .clients()
        .eks
        .create_addon()
        .cluster_name(&cluster)
        .addon_name(&name)
        .set_service_account_role_arn(addon_role(step)?)
        .set_configuration_values(step.opt_str("configurationValues").map(str::to_string))
        .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite)
        .client_request_token(step.client_token("CreateAddon"))
        .set_tags(Some(hash_map(&step.tags())))
        .send()
        .await
        .aws();
    match result {
        Ok(_) => {}
        // Only "already exists": the same code also says the cluster is not ready yet.
        Err(e) if e.code == "ResourceInUseException" && e.message.contains("already exists") => {}
        Err(e) => return Err(e),
    }
    let addon = wait_addon_active(step, &cluster, &name).await?;
    let arn = addon
        .as_ref()
        .and_then(|a| a.addon_arn())
        .unwrap_or_default()
        .to_string();
    Ok(addon_outputs(&arn, &name, &cluster))
}

/// The role and the configuration change in place (UpdateAddon, then ACTIVE again); tags by ARN.
pub async fn update_addon(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let arn = step.existing_id()?.to_string();
    let cluster = cluster_name(step)?;
    let name = step.str("addonName")?.to_string();
    if step.changed("serviceAccountRoleArn") || step.changed("configurationValues") {
        // The plan replaces an add-on whose role goes away (see `replace_when_removed`): no
        // UpdateAddon takes a role away, and leaving it out keeps the role it has.
        let role = addon_role(step)?;
        if role.is_none() && step.changed("serviceAccountRoleArn") {
            return Err(StepError::fatal(
                "RoleRemoval",
                format!(
                    "add-on {name}: UpdateAddon cannot unbind a role; the add-on must be replaced"
                ),
            ));
        }
        step.clients()
            .eks
            .update_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .set_service_account_role_arn(role)
            // An empty string clears the configuration (UpdateAddon's documentation).
            .configuration_values(step.opt_str("configurationValues").unwrap_or_default())
            .resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite)
            .client_request_token(step.client_token("UpdateAddon"))
            .send()
            .await
            .aws()?;
        wait_addon_active(step, &cluster, &name).await?;
    }
    if step.changed("tags") {
        update_tags(step, &arn).await?;
    }
    Ok(addon_outputs(&arn, &name, &cluster))
}

pub async fn delete_addon(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let cluster = cluster_name(step)?;
    let name = step
        .existing("name")
        .or(step.opt_str("addonName"))
        .unwrap_or(step.name())
        .to_string();
    let result = step
        .clients()
        .eks
        .delete_addon()
        .cluster_name(&cluster)
        .addon_name(&name)
        .send()
        .await
        .aws();
    if not_found_as_none(result)?.is_none() {
        return Ok(Outputs::new());
    }
    step.wait_until(
        || async {
            Ok(describe_addon(step, &cluster, &name)
                .await?
                .map(|a| AddonStatus(Box::new(a))))
        },
        |s: Option<&AddonStatus>| s.is_none(),
    )
    .await?;
    Ok(Outputs::new())
}

/// Add-ons of the blueprint's cluster (named after the blueprint): ListAddons, then one
/// DescribeAddon each (EKS has no batch describe). Only add-ons tagged for the blueprint count;
/// nothing is read when the blueprint has no cluster (its add-ons go with the cluster).
pub async fn read_addons(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let Some(cluster) = read
        .desired_of(K::EksCluster)
        .next()
        .map(|c| c.name.clone())
        .or_else(|| {
            read.desired_of(K::EksAddon)
                .next()
                .map(|_| read.blueprint.to_string())
        })
    else {
        return Ok(Vec::new());
    };
    let eks = &read.conn.clients.eks;
    let mut names = Vec::new();
    let mut pages = eks
        .list_addons()
        .cluster_name(&cluster)
        .into_paginator()
        .send();
    loop {
        let Some(page) = pages.next().await else {
            break;
        };
        match not_found_as_none(page.aws())? {
            Some(page) => names.extend(page.addons.unwrap_or_default()),
            None => return Ok(Vec::new()), // no cluster (yet, or any more)
        }
    }
    // One DescribeAddon per add-on (EKS has no batch describe), all at once.
    let found =
        futures::future::try_join_all(names.iter().map(|name| addon_found(read, &cluster, name)))
            .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn addon_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let eks = &read.conn.clients.eks;
    let Some(addon) = not_found_as_none(
        eks.describe_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.addon) else {
        return Ok(None);
    };
    let tags = tags::from_pairs(addon.tags().cloned().unwrap_or_default());
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    if addon.status().map(|s| s.as_str()) == Some("DELETING") {
        return Ok(None);
    }
    let arn = addon.addon_arn().unwrap_or_default();
    let mut f = Found::new(K::EksAddon, arn)
        .at(Some(address))
        .named(name)
        // The cluster as its ARN, which the reader turns into the cluster's address.
        .with("cluster", cluster_arn_of(arn, cluster))
        .with("addonName", name);
    if let Some(role) = addon.service_account_role_arn() {
        f = f.with("serviceAccountRoleArn", role);
    }
    if let Some(values) = addon.configuration_values().filter(|v| !v.is_empty()) {
        f = f.with("configurationValues", values);
    }
    f = f.with("tags", tags::to_value(&tags));
    f.outputs = addon_outputs(arn, name, cluster);
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_arn_from_a_child_arn() {
        assert_eq!(
            cluster_arn_of("arn:aws-cn:eks:cn-north-1:1:nodegroup/demo/ng/uuid", "demo"),
            "arn:aws-cn:eks:cn-north-1:1:cluster/demo"
        );
    }

    #[test]
    fn logging_disables_the_other_types() {
        let l = logging(&["api".to_string()]);
        let setups = l.cluster_logging();
        assert_eq!(setups.len(), 2);
        assert_eq!(setups[1].types().len(), 4);
        assert_eq!(setups[1].enabled(), Some(false));
    }
}
