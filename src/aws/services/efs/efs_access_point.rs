//! An EFS access point. It is looked up by its ownership tags before it is created: its client
//! token is the run's own, so a run after a crash finds what the crashed one made only that way.
//! Everything but its tags forces a replacement. Read with the file systems
//! (`efs_file_system.rs`): only the access points of our file systems are looked at.

use aws_sdk_efs::types::{AccessPointDescription, CreationInfo, PosixUser, RootDirectory};

use super::efs::{EfsTags, State, access_point_outputs, efs_tags, is_available};
use super::{Adapter, AwsResult, AwsStep, StepResult, deleted, first_found, outputs, sync_tags};
use crate::apply::StepError;
use crate::aws::tags;
use crate::plan::ResourceKind;
use crate::plan::catalog::storage::EfsAccessPointProps;

pub(crate) struct EfsAccessPoint;

impl Adapter for EfsAccessPoint {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::EfsFileSystem);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EfsAccessPointProps = step.props()?;
        let fs = step.resolve(&props.file_system)?;
        let (uid, gid) = (i64::from(props.uid), i64::from(props.gid));
        let (id, arn, name) = match find_access_point(step, &fs).await? {
            Some(ap) => (
                ap.access_point_id().unwrap_or_default().to_string(),
                ap.access_point_arn().map(str::to_string),
                ap.name().map(str::to_string),
            ),
            None => {
                // The run's client token makes a retried create return the first access point.
                let created = step
                    .clients()
                    .efs
                    .create_access_point()
                    .client_token(step.client_token("CreateAccessPoint"))
                    .file_system_id(&fs)
                    .posix_user(
                        PosixUser::builder()
                            .uid(uid)
                            .gid(gid)
                            .build()
                            .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))?,
                    )
                    .root_directory(
                        RootDirectory::builder()
                            .path(&props.path)
                            .creation_info(
                                CreationInfo::builder()
                                    .owner_uid(uid)
                                    .owner_gid(gid)
                                    .permissions(&props.permissions)
                                    .build()
                                    .map_err(|e| {
                                        StepError::fatal("InvalidRequest", e.to_string())
                                    })?,
                            )
                            .build(),
                    )
                    .set_tags(Some(efs_tags(&step.tags())))
                    .send()
                    .await
                    .aws()?;
                (
                    created.access_point_id().unwrap_or_default().to_string(),
                    created.access_point_arn().map(str::to_string),
                    created.name().map(str::to_string),
                )
            }
        };
        step.wait_until(
            || async {
                Ok(describe_access_point(step, &id).await?.map(|ap| {
                    State(
                        ap.life_cycle_state()
                            .map_or("available", |s| s.as_str())
                            .to_string(),
                    )
                }))
            },
            is_available,
        )
        .await?;
        Ok(outputs(&id, arn.as_deref(), name.as_deref()))
    }

    /// Everything but tags forces a replacement.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?.to_string();
        sync_tags::<EfsTags>(step, &id).await?;
        Ok(describe_access_point(step, &id)
            .await?
            .map_or_else(|| outputs(&id, None, None), |ap| access_point_outputs(&ap)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let efs = &step.clients().efs;
        deleted(
            efs.delete_access_point()
                .access_point_id(id)
                .send()
                .await
                .aws(),
        )
    }
}

async fn describe_access_point(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<AccessPointDescription>, StepError> {
    let result = step
        .clients()
        .efs
        .describe_access_points()
        .access_point_id(id)
        .send()
        .await
        .aws();
    first_found(result, |r| r.access_points)
}

/// The access point of `fs` carrying this step's ownership tags, if an earlier run made it (a
/// run that crashed after the create: its client token was its own, so only the tags find it).
async fn find_access_point(
    step: &AwsStep<'_>,
    fs: &str,
) -> Result<Option<AccessPointDescription>, StepError> {
    let mut next: Option<String> = None;
    loop {
        let page = step
            .clients()
            .efs
            .describe_access_points()
            .file_system_id(fs)
            .set_next_token(next.take())
            .send()
            .await
            .aws()?;
        let ours = page.access_points().iter().find(|ap| {
            let live = ap
                .life_cycle_state()
                .is_none_or(|s| matches!(s.as_str(), "creating" | "available"));
            let tags = tags::from_pairs(ap.tags().iter().map(|t| (t.key(), t.value())));
            live && tags::owned_address(&tags, step.blueprint).as_ref() == Some(step.address())
        });
        if let Some(ap) = ours {
            return Ok(Some(ap.clone()));
        }
        match page.next_token() {
            Some(token) => next = Some(token.to_string()),
            None => return Ok(None),
        }
    }
}
