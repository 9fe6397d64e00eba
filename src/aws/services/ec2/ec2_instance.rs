//! One EC2 instance, launched from a launch template's version into one subnet. The create finds
//! the instance an interrupted run launched by its ownership tags (RunInstances tags it in the
//! same call), else launches it with a client token and waits until it runs; the delete
//! terminates it and waits until it is terminated.
//!
//! The client token is the step's, new in every run (`AwsStep::client_token`), not one derived
//! from the address alone: EC2 keeps a RunInstances token "valid for at least 24 hours after the
//! termination of the instance" and answers a repeat with the first launch (EC2 API reference,
//! "Ensuring idempotency"), so apply → destroy → apply within a day would get the terminated
//! instance back. Within a run the token makes a retried launch answer the first one; across
//! runs the tag lookup does.
//!
//! Read: DescribeInstances filtered by the blueprint's tag. A terminated instance stays visible
//! for about an hour (EC2 User Guide, "Terminate Amazon EC2 instances"), and one shutting down is
//! on its way there: neither is read as existing.

use aws_sdk_ec2::types::{Instance, InstanceType, LaunchTemplateSpecification, ResourceType};

use super::ec2::{at_address, base, filter, owned_filters, tag_spec, update_tags, with_props};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::Ec2InstanceProps;

pub(crate) struct Ec2Instance;

/// States of an instance that exists (not `shutting-down` or `terminated`).
const LIVE_STATES: [&str; 4] = ["pending", "running", "stopping", "stopped"];

/// The tags EC2 puts on an instance launched from a launch template: which template and which
/// version it was launched at (EC2 User Guide, "Launch an instance from a launch template").
const TEMPLATE_ID_TAG: &str = "aws:ec2launchtemplate:id";
const TEMPLATE_VERSION_TAG: &str = "aws:ec2launchtemplate:version";
/// The tag Auto Scaling puts on every instance it launches (Auto Scaling user guide, "Tag Auto
/// Scaling groups and instances"): such an instance is its group's, never a fixed server.
const AUTOSCALING_GROUP_TAG: &str = "aws:autoscaling:groupName";

impl Adapter for Ec2Instance {
    const READS: &'static [Read] = &[first(("ec2", "DescribeInstances"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let mut filters = owned_filters(read.blueprint);
        filters.push(filter("instance-state-name", LIVE_STATES));
        let instances: Vec<Instance> = all_items!(
            read.clients()
                .ec2
                .describe_instances()
                .set_filters(Some(filters)),
            reservations
        )
        .into_iter()
        .flat_map(|r| r.instances.unwrap_or_default())
        .collect();
        Ok(instances
            .iter()
            .filter(|i| {
                !i.tags()
                    .iter()
                    .any(|t| t.key() == Some(AUTOSCALING_GROUP_TAG))
            })
            .filter_map(|i| instance_found(read, i))
            .collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: Ec2InstanceProps = step.props()?;
        let id = match launched_before(step).await? {
            Some(id) => id,
            None => launch(step, &props).await?,
        };
        let running = step
            .wait_until(
                || describe_instance(step, &id),
                // The botocore waiter `InstanceRunning` (ec2 waiters-2.json): `running` is
                // success; `shutting-down`, `terminated` and `stopping` are failure.
                has(|i: &Launched| i.state != "pending"),
            )
            .await?;
        let instance = match running {
            Some(instance) if instance.state == "running" => instance,
            other => {
                let state = other.map_or("gone".to_string(), |i| i.state);
                return Err(StepError::fatal(
                    "InstanceNotRunning",
                    format!(
                        "instance {id} went `{state}` instead of `running`; its state reason                          says why (`aws ec2 describe-instances --instance-ids {id}`:                          StateReason), e.g. a volume or capacity problem"
                    ),
                ));
            }
        };
        let mut out = outputs(&id, None, Some(step.name()));
        out.insert("privateIp".into(), instance.private_ip.into());
        Ok(out)
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        update_tags(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let terminated = step
            .clients()
            .ec2
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .aws();
        if not_found_as_none(terminated)?.is_none() {
            return Ok(Outputs::new());
        }
        // The botocore waiter `InstanceTerminated`: until its state is `terminated`.
        let not_terminated = || async {
            let instance = describe_instance(step, id).await?;
            Ok(instance.filter(|i| i.state != "terminated"))
        };
        step.wait_until(not_terminated, is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// The live instance with this step's address tag: what an earlier, interrupted run launched.
async fn launched_before(step: &AwsStep<'_>) -> Result<Option<String>, StepError> {
    let mut filters = owned_filters(step.blueprint);
    filters.push(filter("instance-state-name", LIVE_STATES));
    let described = step
        .clients()
        .ec2
        .describe_instances()
        .set_filters(Some(filters))
        .send()
        .await
        .aws()?;
    let instances: Vec<&Instance> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .collect();
    Ok(
        at_address(step, &instances, |i| i.tags())
            .and_then(|i| i.instance_id().map(str::to_string)),
    )
}

/// RunInstances: one instance of the template's version in the subnet, tagged (instance and root
/// volume) in the same call. A profile IAM has not propagated yet is refused ("Invalid IAM
/// Instance Profile …"): `aws::iam_propagation` classes that error, and the engine retries it
/// as the Terraform AWS provider does.
async fn launch(step: &AwsStep<'_>, props: &Ec2InstanceProps) -> Result<String, StepError> {
    let template = LaunchTemplateSpecification::builder()
        .launch_template_id(step.resolve(&props.launch_template)?)
        .version(
            step.resolve_embedded(&props.launch_template_version.clone().into())?
                .as_str()
                .unwrap_or_default(),
        )
        .build();
    let tags = step.tags();
    let out = step
        .clients()
        .ec2
        .run_instances()
        .min_count(1)
        .max_count(1)
        .launch_template(template)
        .subnet_id(step.resolve(&props.subnet)?)
        .instance_type(InstanceType::from(props.instance_type.as_str()))
        .client_token(step.client_token("RunInstances"))
        .tag_specifications(tag_spec(ResourceType::Instance, &tags))
        .tag_specifications(tag_spec(ResourceType::Volume, &tags))
        .send()
        .await
        .aws()?;
    super::ec2::created_id(
        out.instances().first().and_then(|i| i.instance_id()),
        "RunInstances",
    )
}

/// What a wait sees of the instance.
#[derive(Debug, Clone)]
struct Launched {
    state: String,
    private_ip: String,
}

impl std::fmt::Display for Launched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.state)
    }
}

/// The instance's state and private address (`None`: EC2 does not know it).
async fn describe_instance(step: &AwsStep<'_>, id: &str) -> Result<Option<Launched>, StepError> {
    let described = not_found_as_none(
        step.clients()
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .aws(),
    )?;
    let instance = described
        .as_ref()
        .and_then(|d| d.reservations().iter().flat_map(|r| r.instances()).next());
    Ok(instance.map(|i| Launched {
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        private_ip: i.private_ip_address().unwrap_or_default().to_string(),
    }))
}

/// One owned instance as read: its template and version from the tags EC2 puts on it.
fn instance_found(read: &AwsRead<'_>, instance: &Instance) -> Option<Found> {
    let id = instance.instance_id()?;
    let system_tag = |key: &str| {
        instance
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .unwrap_or_default()
            .to_string()
    };
    let props = Ec2InstanceProps {
        launch_template: system_tag(TEMPLATE_ID_TAG),
        launch_template_version: system_tag(TEMPLATE_VERSION_TAG),
        subnet: instance.subnet_id().unwrap_or_default().to_string(),
        instance_type: instance
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    };
    let found = with_props(base(read, K::Ec2Instance, id, instance.tags()), &props);
    Some(found.output(
        "privateIp",
        instance.private_ip_address().unwrap_or_default(),
    ))
}
