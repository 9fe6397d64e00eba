//! An EFS file system. The creation token makes the create idempotent; the file system is
//! waited on until `available` and, on delete, until gone (a file system with mount targets
//! cannot be deleted: the engine deletes the mount targets first, and `FileSystemInUse` is
//! retried).

use aws_sdk_efs::types::{FileSystemDescription, PerformanceMode, ThroughputMode};

use super::efs::{EfsTags, State, efs_tags, fs_outputs, is_available, is_gone};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::storage::EfsFileSystemProps;

pub struct EfsFileSystem;

/// What [`EfsFileSystem::update`] changes in place (UpdateFileSystem); tags aside.
pub(crate) const IN_PLACE: &[&str] = &["throughputMode"];

impl Adapter for EfsFileSystem {
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EfsFileSystemProps = step.props()?;
        let token = props.creation_token;
        // The creation token makes the create idempotent: a second call with it finds the first.
        let fs = match describe_fs(step, None, Some(&token)).await? {
            Some(fs) => fs,
            None => {
                let result = step
                    .clients()
                    .efs
                    .create_file_system()
                    .creation_token(&token)
                    .performance_mode(PerformanceMode::from(props.performance_mode.as_str()))
                    .throughput_mode(ThroughputMode::from(props.throughput_mode.as_str()))
                    .encrypted(props.encrypted)
                    .set_tags(Some(efs_tags(&step.tags())))
                    .send()
                    .await
                    .aws();
                match result {
                    Ok(_) => {}
                    Err(e) if e.code == "FileSystemAlreadyExists" => {}
                    Err(e) => return Err(e),
                }
                describe_fs(step, None, Some(&token))
                    .await?
                    .ok_or_else(|| {
                        StepError::transient(
                            "FileSystemNotFound",
                            format!("file system {token} not visible yet"),
                        )
                    })?
            }
        };
        let id = fs.file_system_id().to_string();
        wait_fs(step, &id).await?;
        Ok(fs_outputs(&fs))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EfsFileSystemProps = step.props()?;
        let id = step.existing_id()?.to_string();
        if step.changed_any(IN_PLACE) {
            step.clients()
                .efs
                .update_file_system()
                .file_system_id(&id)
                .throughput_mode(ThroughputMode::from(props.throughput_mode.as_str()))
                .send()
                .await
                .aws()?;
            wait_fs(step, &id).await?;
        }
        sync_tags::<EfsTags>(step, &id).await?;
        let fs = describe_fs(step, Some(&id), None).await?.ok_or_else(|| {
            StepError::fatal("FileSystemNotFound", format!("no file system {id}"))
        })?;
        Ok(fs_outputs(&fs))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?.to_string();
        let result = step
            .clients()
            .efs
            .delete_file_system()
            .file_system_id(&id)
            .send()
            .await
            .aws();
        if not_found_as_none(result)?.is_some() {
            step.wait_until(|| fs_state(step, &id), is_gone).await?;
        }
        Ok(Outputs::new())
    }
}

/// The file system with this id or creation token, if any.
async fn describe_fs(
    step: &AwsStep<'_>,
    id: Option<&str>,
    token: Option<&str>,
) -> Result<Option<FileSystemDescription>, StepError> {
    let result = step
        .clients()
        .efs
        .describe_file_systems()
        .set_file_system_id(id.map(str::to_string))
        .set_creation_token(token.map(str::to_string))
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?
        .and_then(|r| r.file_systems.unwrap_or_default().into_iter().next()))
}

async fn fs_state(step: &AwsStep<'_>, id: &str) -> Result<Option<State>, StepError> {
    Ok(describe_fs(step, Some(id), None)
        .await?
        .map(|fs| State(fs.life_cycle_state().as_str().to_string())))
}

async fn wait_fs(step: &AwsStep<'_>, id: &str) -> Result<(), StepError> {
    step.wait_until(|| fs_state(step, id), is_available).await?;
    Ok(())
}
