//! An EC2 launch template: what an app server is launched with. Its versions are immutable
//! (Amazon EC2 User Guide, "Restrictions for Amazon EC2 launch templates"), so an update writes
//! the whole template data into a new version (CreateLaunchTemplateVersion) and makes it the
//! default (ModifyLaunchTemplate); instances launched earlier keep the version they were launched
//! with. Old versions are kept: AWS allows 10,000 per template (same page), far more than a
//! blueprint's updates make. Every version's root volume is gp3 and encrypted, IMDSv2 is required
//! with the properties' hop limit (2 for app servers: a container on the instance reaches the
//! metadata service; 1 for ECS instances: tasks must not use the instance's role), and what it
//! launches carries the blueprint's tag — not the address tag, which each instance sets for
//! itself when it is launched.
//!
//! Read: DescribeLaunchTemplates filtered by the blueprint's tag (templates with the address
//! tag only: a node group's own template carries just the blueprint's), then each one's default
//! version's data (DescribeLaunchTemplateVersions takes one template).

use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, VolumeType,
};
use aws_smithy_types::base64;
use serde_json::Value;

use super::ec2::{
    Ec2Tags, at_address, base, delete_by_id, describe_all_owned, describe_owned, tag_spec,
    with_props,
};
use super::stages::{Read, after, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::missing;
use crate::aws::tags::{self, ADDRESS_TAG};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::LaunchTemplateProps;

pub(crate) struct LaunchTemplate;

impl Adapter for LaunchTemplate {
    const READS: &'static [Read] = &[
        first(("ec2", "DescribeLaunchTemplates")),
        after(
            ("ec2", "DescribeLaunchTemplateVersions"),
            &[("ec2", "DescribeLaunchTemplates")],
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let templates = describe_all_owned!(read, describe_launch_templates, launch_templates);
        let ours = templates
            .iter()
            .filter(|t| t.tags().iter().any(|tag| tag.key() == Some(ADDRESS_TAG)));
        let found = futures::future::try_join_all(ours.map(|t| template_found(read, t))).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Adopts the template an interrupted run made (found by its address tag), else creates it
    /// with its tags in the same call.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: LaunchTemplateProps = step.props()?;
        let existing = describe_owned!(step, describe_launch_templates)?;
        if let Some(template) = at_address(step, existing.launch_templates(), |t| t.tags()) {
            return template_outputs(template);
        }
        let created = step
            .clients()
            .ec2
            .create_launch_template()
            .launch_template_name(&props.name)
            .launch_template_data(template_data(step, &props).await?)
            .client_token(step.client_token("CreateLaunchTemplate"))
            .tag_specifications(tag_spec(ResourceType::LaunchTemplate, &step.tags()))
            .send()
            .await
            .aws()?;
        let template = created.launch_template.ok_or_else(|| {
            StepError::transient("NoTemplate", "CreateLaunchTemplate answered no template")
        })?;
        template_outputs(&template)
    }

    /// A change of what the template launches is a new version, made the default; a change of
    /// its tags is tagged.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: LaunchTemplateProps = step.props()?;
        let id = step.existing_id()?;
        let mut out = step.request.existing.clone().unwrap_or_default();
        // Every property the spec row changes in place is template data.
        if step.changed_any(K::LaunchTemplate.in_place()) {
            let version = new_default_version(step, id, &props).await?;
            for key in ["latestVersion", "defaultVersion"] {
                out.insert(key.into(), Value::from(version.clone()));
            }
        }
        sync_tags::<Ec2Tags>(step, id).await?;
        out.insert("id".into(), Value::from(id));
        out.insert("name".into(), Value::from(props.name));
        Ok(out)
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        delete_by_id!(step, delete_launch_template, launch_template_id)
    }
}

/// CreateLaunchTemplateVersion with the whole data, then ModifyLaunchTemplate to make it the
/// default. Both are safe to repeat: a retried step sends the version's client token again
/// (EC2 answers the version it made), and setting the default twice changes nothing.
async fn new_default_version(
    step: &AwsStep<'_>,
    id: &str,
    props: &LaunchTemplateProps,
) -> Result<String, StepError> {
    let ec2 = &step.clients().ec2;
    let created = ec2
        .create_launch_template_version()
        .launch_template_id(id)
        .launch_template_data(template_data(step, props).await?)
        .client_token(step.client_token("CreateLaunchTemplateVersion"))
        .send()
        .await
        .aws()?;
    let number = created
        .launch_template_version()
        .and_then(|v| v.version_number())
        .ok_or_else(|| {
            StepError::transient(
                "NoVersion",
                "CreateLaunchTemplateVersion answered no version",
            )
        })?
        .to_string();
    ec2.modify_launch_template()
        .launch_template_id(id)
        .default_version(&number)
        .send()
        .await
        .aws()?;
    Ok(number)
}

/// The template data of one version, references resolved. The root volume's device is the
/// image's root device (Amazon Linux `/dev/xvda`, Ubuntu `/dev/sda1`): a mapping under another
/// name would add a second volume instead of sizing the root one.
async fn template_data(
    step: &AwsStep<'_>,
    props: &LaunchTemplateProps,
) -> Result<RequestLaunchTemplateData, StepError> {
    let root_device = root_device_of(step, &props.image_id).await?;
    let volume_gib = i32::try_from(props.root_volume_gib).map_err(|_| {
        missing(format!(
            "{}: a root volume of {} GiB is out of range",
            step.address(),
            props.root_volume_gib
        ))
    })?;
    let security_groups = props
        .security_groups
        .iter()
        .map(|group| step.resolve(group))
        .collect::<Result<Vec<_>, _>>()?;
    // What the template launches carries the blueprint's tag; each instance adds its own address.
    let launched_tags: tags::TagSet = step
        .tags()
        .into_iter()
        .filter(|(key, _)| key == tags::BLUEPRINT_TAG)
        .collect();
    let launched = |resource| {
        let spec = tag_spec(resource, &launched_tags);
        LaunchTemplateTagSpecificationRequest::builder()
            .set_resource_type(spec.resource_type)
            .set_tags(spec.tags)
            .build()
    };
    Ok(RequestLaunchTemplateData::builder()
        .image_id(&props.image_id)
        .instance_type(InstanceType::from(props.instance_type.as_str()))
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .arn(step.resolve(&props.instance_profile)?)
                .build(),
        )
        .set_security_group_ids(Some(security_groups))
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(root_device)
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .volume_size(volume_gib)
                        .volume_type(VolumeType::Gp3)
                        .encrypted(true)
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .user_data(base64::encode(&props.user_data))
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(i32::try_from(props.metadata_hop_limit).unwrap_or(2))
                .build(),
        )
        .tag_specifications(launched(ResourceType::Instance))
        .tag_specifications(launched(ResourceType::Volume))
        .build())
}

/// The image's root device name (DescribeImages); an image EC2 does not know is a clear error
/// now rather than a failed launch later (EC2 does not validate a template's data at create:
/// "Parameters not validated", same page as above).
async fn root_device_of(step: &AwsStep<'_>, image: &str) -> Result<String, StepError> {
    let resolved;
    let image = match image.strip_prefix(SSM_IMAGE_PREFIX) {
        Some(parameter) => {
            resolved = image_parameter(step, parameter).await?;
            resolved.as_str()
        }
        None => image,
    };
    let described = step
        .clients()
        .ec2
        .describe_images()
        .image_ids(image)
        .send()
        .await
        .aws()?;
    described
        .images()
        .first()
        .and_then(|i| i.root_device_name())
        .map(str::to_string)
        .ok_or_else(|| {
            StepError::fatal(
                "InvalidAMIID.NotFound",
                format!("{}: EC2 knows no image {image}", step.address()),
            )
        })
}

/// An image named by a Systems Manager parameter: the template keeps `resolve:ssm:<parameter>`
/// and EC2 resolves it at each launch ("Use a Systems Manager parameter instead of an AMI ID",
/// EC2 user guide); the root device is the current image's.
const SSM_IMAGE_PREFIX: &str = "resolve:ssm:";

/// The AMI id a public (or the account's) SSM parameter holds now.
async fn image_parameter(step: &AwsStep<'_>, parameter: &str) -> Result<String, StepError> {
    let got = step
        .clients()
        .ssm
        .get_parameter()
        .name(parameter)
        .send()
        .await
        .aws()
        .map_err(|e| {
            if e.code == "ParameterNotFound" {
                StepError::fatal(
                    "ParameterNotFound",
                    format!(
                        "{}: the image parameter {parameter} does not exist in this region (`aws ssm get-parameter --name {parameter}`)",
                        step.address()
                    ),
                )
            } else {
                e
            }
        })?;
    got.parameter()
        .and_then(|p| p.value())
        .map(str::to_string)
        .ok_or_else(|| {
            StepError::fatal(
                "ParameterNotFound",
                format!(
                    "{}: the image parameter {parameter} has no value",
                    step.address()
                ),
            )
        })
}

/// `id`, `name`, and the version numbers as text (`${address#defaultVersion}` embeds them).
fn template_outputs(template: &aws_sdk_ec2::types::LaunchTemplate) -> StepResult {
    let id = template
        .launch_template_id()
        .ok_or_else(|| StepError::transient("NoId", "the launch template's answer has no id"))?;
    let mut out = outputs(id, None, template.launch_template_name());
    add_versions(&mut out, template);
    Ok(out)
}

fn add_versions(out: &mut Outputs, template: &aws_sdk_ec2::types::LaunchTemplate) {
    let versions = [
        ("latestVersion", template.latest_version_number()),
        ("defaultVersion", template.default_version_number()),
    ];
    for (key, number) in versions {
        if let Some(number) = number {
            out.insert(key.into(), Value::from(number.to_string()));
        }
    }
}

/// One owned template with its default version's data (only what exists, for destroy).
async fn template_found(
    read: &AwsRead<'_>,
    template: &aws_sdk_ec2::types::LaunchTemplate,
) -> Result<Option<Found>, StepError> {
    let Some(id) = template.launch_template_id() else {
        return Ok(None);
    };
    let name = template.launch_template_name().unwrap_or_default();
    let mut found = base(read, K::LaunchTemplate, id, template.tags()).named(name);
    if !read.inventory {
        let versions = read
            .clients()
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions("$Default")
            .send()
            .await;
        // Deleted since the listing: nothing to read.
        let versions = match crate::aws::errors::not_found_as_none(versions.aws())? {
            Some(v) => v,
            None => return Ok(None),
        };
        let data = versions
            .launch_template_versions()
            .first()
            .and_then(|v| v.launch_template_data());
        found = with_props(found, &props_of(name, data));
    }
    let mut out = Outputs::new();
    add_versions(&mut out, template);
    for (key, value) in out {
        found = found.output(&key, value);
    }
    Ok(Some(found))
}

/// A version's data in the catalog's shape; the instance profile and security groups as AWS
/// has them (the reader turns their ARN and ids back into addresses).
fn props_of(name: &str, data: Option<&ResponseLaunchTemplateData>) -> LaunchTemplateProps {
    let mut security_groups: Vec<String> = data
        .map(|d| d.security_group_ids().to_vec())
        .unwrap_or_default();
    security_groups.sort();
    let user_data = data
        .and_then(|d| d.user_data())
        .and_then(|encoded| base64::decode(encoded).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    LaunchTemplateProps {
        name: name.to_string(),
        image_id: data
            .and_then(|d| d.image_id())
            .unwrap_or_default()
            .to_string(),
        instance_type: data
            .and_then(|d| d.instance_type())
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        instance_profile: data
            .and_then(|d| d.iam_instance_profile())
            .and_then(|p| p.arn().or(p.name()))
            .unwrap_or_default()
            .to_string(),
        security_groups,
        root_volume_gib: data
            .and_then(|d| d.block_device_mappings().first())
            .and_then(|m| m.ebs())
            .and_then(|ebs| ebs.volume_size())
            .map(i64::from)
            .unwrap_or_default(),
        user_data,
        metadata_hop_limit: data
            .and_then(|d| d.metadata_options())
            .and_then(|m| m.http_put_response_hop_limit())
            .map_or(2, i64::from),
    }
}
