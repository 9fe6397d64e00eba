//! An EFS file system. The creation token makes the create idempotent; the file system is
//! waited on until `available` and, on delete, until gone (a file system with mount targets
//! cannot be deleted: the engine deletes the mount targets first, and `FileSystemInUse` is
//! retried). The read finds the file systems' mount targets and access points too.

use aws_sdk_efs::types::{
    AccessPointDescription, FileSystemDescription, MountTargetDescription, PerformanceMode,
    ThroughputMode,
};

use super::efs::{
    EfsTags, State, access_point_outputs, efs_tags, is_available, is_gone, mount_target_outputs,
};
use super::stages::{Read, after, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, first_found,
    not_found_as_none, outputs, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::catalog::storage::{EfsFileSystemProps, EfsMountTargetProps};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct EfsFileSystem;

impl Adapter for EfsFileSystem {
    // The access points beside the file systems.
    const READS: &'static [Read] = &[
        first(("efs", "DescribeFileSystems")),
        first(("efs", "DescribeAccessPoints")),
        after(
            ("efs", "DescribeMountTargets"),
            &[("efs", "DescribeFileSystems")],
        ),
        after(
            ("efs", "DescribeMountTargetSecurityGroups"),
            &[("efs", "DescribeMountTargets")],
        ),
    ];

    /// File systems (one describe per page, tags included); for each owned one its mount targets
    /// (DescribeMountTargets takes one file system) with their security groups (one call per mount
    /// target: no batch form), every file system's and mount target's at once; and every access
    /// point in one call per page, beside the file systems' listing when the blueprint has one.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let wanted = read.desired_of(K::EfsFileSystem).next().is_some();
        let (systems, early) = futures::try_join!(read_file_systems(read), async {
            if wanted {
                describe_access_points(read).await.map(Some)
            } else {
                Ok(None)
            }
        })?;
        let owned: Vec<String> = systems
            .iter()
            .filter(|f| f.kind == K::EfsFileSystem)
            .map(|f| f.id.clone())
            .collect();
        let mut found = systems;
        if owned.is_empty() {
            return Ok(found);
        }
        let access_points = match early {
            Some(listed) => listed,
            // File systems the blueprint no longer has: their access points go with them.
            None => describe_access_points(read).await?,
        };
        for ap in access_points {
            let Some(id) = ap
                .file_system_id()
                .filter(|fs| owned.iter().any(|o| o == fs))
            else {
                continue;
            };
            let tags = tags::from_pairs(ap.tags().iter().map(|t| (t.key(), t.value())));
            let Some(address) = read.owned(&tags) else {
                continue;
            };
            found.push(access_point_found(&ap, id, address, &tags));
        }
        Ok(found)
    }

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
                already_made_is_ok(result, |e| e.code == "FileSystemAlreadyExists")?;
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
        if step.changed_any(K::EfsFileSystem.in_place()) {
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

fn fs_outputs(fs: &FileSystemDescription) -> Outputs {
    let id = fs.file_system_id();
    outputs(id, fs.file_system_arn(), fs.name())
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
    first_found(result, |r| r.file_systems)
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

/// The throughput mode of a file system whose description names none: AWS's own default
/// (botocore's efs model, CreateFileSystem `ThroughputMode`: "Default is `bursting`"), not the
/// blueprint's (`blueprint::defaults::efs_throughput_mode`, which the catalog always sets).
const AWS_DEFAULT_THROUGHPUT_MODE: &str = "bursting";

/// An owned access point of file system `fs` as read.
fn access_point_found(
    ap: &AccessPointDescription,
    fs: &str,
    address: Address,
    tags: &TagSet,
) -> Found {
    let root = ap.root_directory();
    let info = root.and_then(|r| r.creation_info());
    let mut f = Found::new(K::EfsAccessPoint, ap.access_point_id().unwrap_or_default())
        .at(Some(address))
        .with("fileSystem", fs)
        .with("path", root.and_then(|r| r.path()).unwrap_or("/"));
    // An access point without a POSIX user (botocore's efs model: AccessPointDescription's
    // PosixUser is optional) enforces no identity: it has no uid or gid (not root's 0), so none
    // is shown and the blueprint's, which it requires, differ from it.
    if let Some(posix) = ap.posix_user() {
        f = f.with("uid", posix.uid()).with("gid", posix.gid());
    }
    let mut f = f
        .with("permissions", info.map_or("", |i| i.permissions()))
        .with("tags", tags::to_value(tags));
    if let Some(name) = tags.get("Name") {
        f = f.named(name);
    }
    f.outputs = access_point_outputs(ap);
    f
}

/// Every access point in the account (DescribeAccessPoints without a file system lists them
/// all), one call per page.
async fn describe_access_points(
    read: &AwsRead<'_>,
) -> Result<Vec<AccessPointDescription>, StepError> {
    Ok(all_items!(
        read.clients().efs.describe_access_points(),
        access_points
    ))
}

/// The owned file systems with their mount targets.
async fn read_file_systems(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let found = futures::future::try_join_all(
        all_items!(read.clients().efs.describe_file_systems(), file_systems)
            .into_iter()
            .map(|fs| file_system_found(read, fs)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// A listed file system, if ours, and its mount targets.
async fn file_system_found(
    read: &AwsRead<'_>,
    fs: FileSystemDescription,
) -> Result<Vec<Found>, StepError> {
    let efs = &read.clients().efs;
    let tags = tags::from_pairs(fs.tags().iter().map(|t| (t.key(), t.value())));
    let Some(address) = read.owned(&tags) else {
        return Ok(Vec::new());
    };
    let state = fs.life_cycle_state().as_str();
    if state == "deleting" || state == "deleted" {
        return Ok(Vec::new());
    }
    let id = fs.file_system_id().to_string();
    let mut f = Found::new(K::EfsFileSystem, &id)
        .at(Some(address))
        .named(tags.get("Name").cloned().unwrap_or_else(|| id.clone()))
        .props(&EfsFileSystemProps {
            creation_token: fs.creation_token().to_string(),
            encrypted: fs.encrypted().unwrap_or(false),
            performance_mode: fs.performance_mode().as_str().to_string(),
            throughput_mode: fs
                .throughput_mode()
                .map_or(AWS_DEFAULT_THROUGHPUT_MODE, |m| m.as_str())
                .to_string(),
        })
        .with("tags", tags::to_value(&tags));
    f.outputs = fs_outputs(&fs);

    let targets = not_found_as_none(
        efs.describe_mount_targets()
            .file_system_id(&id)
            .send()
            .await
            .aws(),
    )?
    .and_then(|r| r.mount_targets)
    .unwrap_or_default();
    let targets = targets.into_iter().filter(|mt| {
        let state = mt.life_cycle_state().as_str();
        state != "deleting" && state != "deleted"
    });
    let mounts =
        futures::future::try_join_all(targets.map(|mt| mount_target_found(read, &id, mt))).await?;
    Ok(std::iter::once(f).chain(mounts).collect())
}

/// A mount target with its security groups (one call each: no batch form) — not for destroy's
/// inventory ([`AwsRead::inventory`]), where the property `securityGroups` is left out: the
/// delete takes only the mount target's id (`EfsMountTarget::delete`), and a mount target is
/// listed only at the address of the desired one with its file system and subnet (an untagged
/// kind, matched by its identity: `reader::assemble`; it has no orphan address), so its
/// delete's order is the catalog's (`Schedule::from_plan` takes observed references only for
/// what the catalog does not describe) — the security groups' deletes wait for it there.
async fn mount_target_found(
    read: &AwsRead<'_>,
    file_system: &str,
    mt: MountTargetDescription,
) -> Result<Found, StepError> {
    let groups = if read.inventory {
        None
    } else {
        let groups = not_found_as_none(
            read.clients()
                .efs
                .describe_mount_target_security_groups()
                .mount_target_id(mt.mount_target_id())
                .send()
                .await
                .aws(),
        )?;
        let mut groups = groups.map(|g| g.security_groups).unwrap_or_default();
        groups.sort();
        Some(groups)
    };
    let mut f = Found::new(K::EfsMountTarget, mt.mount_target_id()).props(&EfsMountTargetProps {
        file_system: file_system.to_string(),
        subnet: mt.subnet_id().to_string(),
        security_groups: groups.unwrap_or_default(),
    });
    if read.inventory {
        f.properties.remove("securityGroups");
    }
    f.outputs = mount_target_outputs(&mt);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use aws_sdk_efs::types::{AccessPointDescription, PosixUser};
    use serde_json::json;

    use super::*;

    /// The read shows the POSIX ids AWS returns and none when AWS returns none (once `0`, which
    /// hid the difference from a blueprint asking for root).
    #[test]
    fn access_point_ids_are_read_as_aws_returns_them() {
        let read = |posix: Option<PosixUser>| {
            let ap = AccessPointDescription::builder()
                .access_point_id("fsap-1")
                .set_posix_user(posix)
                .build();
            let f = access_point_found(&ap, "fs-1", Address::new("a.b"), &TagSet::new());
            (
                f.properties.get("uid").cloned(),
                f.properties.get("gid").cloned(),
            )
        };
        let root = PosixUser::builder().uid(0).gid(0).build().expect("valid");
        assert_eq!(read(Some(root)), (Some(json!(0)), Some(json!(0))));
        let user = PosixUser::builder()
            .uid(1000)
            .gid(100)
            .build()
            .expect("valid");
        assert_eq!(read(Some(user)), (Some(json!(1000)), Some(json!(100))));
        assert_eq!(read(None), (None, None));
    }
}
