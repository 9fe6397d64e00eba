//! An EFS mount target: one per subnet (zone) of the file system, with its security groups.
//! Waited on until `available` and, on delete, until gone. Mount targets take no tags. Read with
//! its file system (`efs_file_system.rs`): DescribeMountTargets takes one file system.

use aws_sdk_efs::types::MountTargetDescription;

use super::efs::{State, is_available, is_gone, mount_target_outputs};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind;
use crate::plan::catalog::storage::EfsMountTargetProps;

pub(crate) struct EfsMountTarget;

impl Adapter for EfsMountTarget {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::EfsFileSystem);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EfsMountTargetProps = step.props()?;
        let fs = step.resolve(&props.file_system)?;
        let subnet = step.resolve(&props.subnet)?;
        let groups = resolve_all(step, &props.security_groups)?;
        let existing = mount_targets(step, Some(&fs), None)
            .await?
            .into_iter()
            .find(|mt| mt.subnet_id() == subnet);
        let id = match existing {
            Some(mt) => mt.mount_target_id().to_string(),
            None => {
                let result = step
                    .clients()
                    .efs
                    .create_mount_target()
                    .file_system_id(&fs)
                    .subnet_id(&subnet)
                    .set_security_groups(Some(groups))
                    .send()
                    .await
                    .aws();
                match result {
                    Ok(created) => created.mount_target_id().to_string(),
                    // One already in that zone (an earlier attempt whose answer was lost): find
                    // it.
                    Err(e) if e.code == "MountTargetConflict" => {
                        mount_targets(step, Some(&fs), None)
                            .await?
                            .into_iter()
                            .find(|mt| mt.subnet_id() == subnet)
                            .map(|mt| mt.mount_target_id().to_string())
                            .ok_or(e)?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        wait_mount_target(step, &id, is_available).await?;
        current_outputs(step, &id).await
    }

    /// Only the security groups change in place.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EfsMountTargetProps = step.props()?;
        let id = step.existing_id()?.to_string();
        if step.changed_any(ResourceKind::EfsMountTarget.in_place()) {
            step.clients()
                .efs
                .modify_mount_target_security_groups()
                .mount_target_id(&id)
                .set_security_groups(Some(resolve_all(step, &props.security_groups)?))
                .send()
                .await
                .aws()?;
        }
        current_outputs(step, &id).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?.to_string();
        let result = step
            .clients()
            .efs
            .delete_mount_target()
            .mount_target_id(&id)
            .send()
            .await
            .aws();
        if not_found_as_none(result)?.is_some() {
            wait_mount_target(step, &id, is_gone).await?;
        }
        Ok(Outputs::new())
    }
}

fn resolve_all(step: &AwsStep<'_>, addresses: &[String]) -> Result<Vec<String>, StepError> {
    addresses.iter().map(|a| step.resolve(a)).collect()
}

/// The mount targets of file system `fs`, or the one with this `id`.
async fn mount_targets(
    step: &AwsStep<'_>,
    fs: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<MountTargetDescription>, StepError> {
    let result = step
        .clients()
        .efs
        .describe_mount_targets()
        .set_file_system_id(fs.map(str::to_string))
        .set_mount_target_id(id.map(str::to_string))
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?
        .and_then(|r| r.mount_targets)
        .unwrap_or_default())
}

async fn current_outputs(step: &AwsStep<'_>, id: &str) -> StepResult {
    let mt = mount_targets(step, None, Some(id))
        .await?
        .into_iter()
        .next();
    Ok(mt.map_or_else(|| outputs(id, None, None), |mt| mount_target_outputs(&mt)))
}

async fn wait_mount_target(
    step: &AwsStep<'_>,
    id: &str,
    until: fn(Option<&State>) -> bool,
) -> Result<(), StepError> {
    step.wait_until(
        || async {
            Ok(mount_targets(step, None, Some(id))
                .await?
                .into_iter()
                .next()
                .map(|mt| State(mt.life_cycle_state().as_str().to_string())))
        },
        until,
    )
    .await?;
    Ok(())
}
