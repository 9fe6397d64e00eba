//! A managed node group, with the launch template named after it that gives its nodes their
//! security groups and root volume (a managed node group takes security groups no other way).
//! Scaling, labels and security groups change in place (one EKS update at a time); the rest is
//! in the kind's `replace_on`. The cluster's read reads the node groups too
//! ([`read_nodegroups`]): EKS lists them per cluster.

use std::collections::HashMap;

use aws_sdk_eks::types::{LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig};
use serde_json::Value;

use super::eks::{
    ClusterPart, EksTags, by_zone, cluster_arn_of, cluster_name, created_or_exists, eks_tags,
    nodegroup_outputs, owned_live, read_children, reference_attribute, resolve_all,
    wait_part_active, wait_part_deleted, wait_update,
};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cluster::{NodeGroupProps, NodeGroupScaling};

pub(crate) struct NodeGroup;

impl Adapter for NodeGroup {
    /// Listed per cluster: the cluster's read reads them.
    const READ_WITH: Option<K> = Some(K::EksCluster);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: NodeGroupProps = step.props()?;
        let cluster = cluster_name(step, Some(&props.cluster))?;
        let name = props.name.as_str();
        // No look first: an existing node group is answered "already exists" (as for the cluster).
        let template = ensure_launch_template(step, &props).await?;
        let result = step
            .clients()
            .eks
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(name)
            .node_role(reference_attribute(step, &props.node_role, "arn")?)
            .set_subnets(Some(resolve_all(step, &props.subnets)?))
            .set_instance_types(Some(props.instance_types.clone()))
            .scaling_config(scaling(&props.scaling))
            .set_labels(Some(labels(&props)))
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .id(template)
                    .version("1")
                    .build(),
            )
            .client_request_token(step.client_token("CreateNodegroup"))
            .set_tags(Some(eks_tags(&step.tags())))
            .capacity_type(props.capacity_type.as_str().into())
            .send()
            .await
            .aws();
        created_or_exists(result)?;
        wait_nodegroup_active(step, &cluster, name).await
    }

    /// In place: tags, scaling (sizes), labels and security groups.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: NodeGroupProps = step.props()?;
        let cluster = cluster_name(step, Some(&props.cluster))?;
        let name = props.name.as_str();
        if step.changed("tags") {
            sync_tags::<EksTags>(step, step.existing_id()?).await?;
        }
        if !step.changed_any(K::NodeGroup.in_place()) {
            return wait_nodegroup_active(step, &cluster, name).await;
        }
        // One update at a time: EKS refuses a node group update while another is in progress.
        if step.changed("securityGroups") {
            update_node_security_groups(step, &props, &cluster).await?;
        }
        if step.changed("scaling") || step.changed("labels") {
            let mut request = step
                .clients()
                .eks
                .update_nodegroup_config()
                .cluster_name(&cluster)
                .nodegroup_name(name);
            if step.changed("scaling") {
                request = request.scaling_config(scaling(&props.scaling));
            }
            if step.changed("labels") {
                request = request.labels(label_changes(step, labels(&props)));
            }
            let update = request.send().await.aws()?.update;
            wait_update(step, &cluster, Some(name), update.as_ref()).await?;
        }
        wait_nodegroup_active(step, &cluster, name).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let cluster = cluster_name(step, step.opt_str("cluster"))?;
        let name = step.existing_name();
        let result = step
            .clients()
            .eks
            .delete_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(name)
            .send()
            .await
            .aws();
        wait_part_deleted::<Nodegroup, _>(step, result, &cluster, name).await?;
        // The launch template goes with the node group (it is named after it).
        let template = step.existing("launchTemplate").unwrap_or(name).to_string();
        delete_launch_template(step, &template).await?;
        Ok(Outputs::new())
    }
}

fn scaling(sizes: &NodeGroupScaling) -> NodegroupScalingConfig {
    let size = |n: Option<u32>| n.and_then(|n| i32::try_from(n).ok());
    NodegroupScalingConfig::builder()
        .set_min_size(size(sizes.min_size))
        .set_max_size(size(sizes.max_size))
        .set_desired_size(size(sizes.desired_size))
        .build()
}

fn labels(props: &NodeGroupProps) -> HashMap<String, String> {
    props
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The desired labels to add or update, and the observed ones no longer desired to remove.
fn label_changes(
    step: &AwsStep<'_>,
    desired: HashMap<String, String>,
) -> aws_sdk_eks::types::UpdateLabelsPayload {
    let removed: Vec<String> = match step.observed("labels") {
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
    if !removed.is_empty() {
        update = update.set_remove_labels(Some(removed));
    }
    update.build()
}

impl ClusterPart for Nodegroup {
    async fn describe(
        eks: &aws_sdk_eks::Client,
        cluster: &str,
        name: &str,
    ) -> Result<Option<Nodegroup>, StepError> {
        let result = eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .aws();
        Ok(not_found_as_none(result)?.and_then(|r| r.nodegroup))
    }
}

async fn wait_nodegroup_active(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Outputs, StepError> {
    let found = wait_part_active(step, cluster, name, |n: &Nodegroup| {
        StepError::fatal(
            "CreateFailed",
            format!("node group {name}: {:?}", n.health()),
        )
    })
    .await?;
    match found {
        Some(n) => Ok(nodegroup_outputs(&n, cluster)),
        _ => Err(StepError::fatal(
            "ResourceNotFoundException",
            format!("node group {name} vanished"),
        )),
    }
}

/// The node group's launch template (security groups, root volume), created once by name.
async fn ensure_launch_template(
    step: &AwsStep<'_>,
    props: &NodeGroupProps,
) -> Result<String, StepError> {
    use aws_sdk_ec2::types::{
        EbsBlockDevice, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateHttpTokensState,
        LaunchTemplateInstanceMetadataOptionsRequest, RequestLaunchTemplateData, ResourceType, Tag,
        TagSpecification, VolumeType,
    };
    let name = props.name.as_str();
    let data = RequestLaunchTemplateData::builder()
        .set_security_group_ids(Some(resolve_all(step, &props.security_groups)?))
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name("/dev/xvda")
                .ebs(
                    EbsBlockDevice::builder()
                        .set_volume_size(i32::try_from(props.disk_size_gib).ok())
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

/// New security groups for the nodes: a new version of the node group's launch template with
/// them (the rest of the version it runs now is kept: `SourceVersion`), then
/// UpdateNodegroupVersion to roll the nodes onto it — EKS takes no security groups for a node
/// group with a launch template otherwise (terraform-provider-aws
/// internal/service/eks/node_group.go updates `launch_template` through UpdateNodegroupVersion).
async fn update_node_security_groups(
    step: &AwsStep<'_>,
    props: &NodeGroupProps,
    cluster: &str,
) -> Result<(), StepError> {
    use aws_sdk_ec2::types::RequestLaunchTemplateData;
    let name = props.name.as_str();
    let running = Nodegroup::describe(&step.clients().eks, cluster, name)
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
                .set_security_group_ids(Some(resolve_all(step, &props.security_groups)?))
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

/// One cluster's node groups (ListNodegroups, then one DescribeNodegroup each, all at once);
/// none when the cluster is not there. Read with the cluster (see `eks_cluster.rs`).
pub(super) async fn read_nodegroups(
    read: &AwsRead<'_>,
    cluster: &str,
) -> Result<Vec<Found>, StepError> {
    read_children!(read, cluster, list_nodegroups, nodegroups, |name| {
        nodegroup_found(read, cluster, name)
    })
}

async fn nodegroup_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let Some(n) = Nodegroup::describe(&read.clients().eks, cluster, name).await? else {
        return Ok(None);
    };
    let Some((address, tags)) = owned_live(read, &n, n.tags()) else {
        return Ok(None);
    };
    // The launch template and (rarely) the zones of subnets that are not ours, at once.
    let ((groups, disk), subnets) = futures::try_join!(
        launch_template_settings(read, &n),
        by_zone(read, n.subnets().to_vec()),
    )?;
    let scaling = n.scaling_config();
    let arn = n.nodegroup_arn().unwrap_or_default();
    // Sizes are never negative (botocore `eks` NodegroupScalingConfig: ZeroCapacity, min 0), nor
    // is a disk size in GiB; an absent size stays `null`, as the read always had it.
    let size = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
    let mut f = Found::new(K::NodeGroup, arn)
        .at(Some(address))
        .named(name)
        .props(&NodeGroupProps {
            name: name.to_string(),
            cluster: cluster_arn_of(arn, cluster),
            node_role: n.node_role().unwrap_or_default().to_string(),
            subnets,
            security_groups: groups,
            instance_types: n.instance_types().to_vec(),
            disk_size_gib: size(disk.or(n.disk_size())).unwrap_or(20),
            capacity_type: n
                .capacity_type()
                .map_or("ON_DEMAND", |c| c.as_str())
                .to_string(),
            scaling: NodeGroupScaling {
                desired_size: size(scaling.and_then(|s| s.desired_size())),
                min_size: size(scaling.and_then(|s| s.min_size())),
                max_size: size(scaling.and_then(|s| s.max_size())),
            },
            labels: n
                .labels()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        })
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
    let mut request = read.clients().ec2.describe_launch_template_versions();
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
