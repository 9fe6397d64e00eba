//! efs: the file system (creation token), one mount target per subnet with its security
//! groups, and access points (client token). File systems and mount targets are waited on until
//! `available` and, on delete, until gone (a file system with mount targets cannot be deleted:
//! the engine deletes the mount targets first, and `FileSystemInUse` is retried). An access
//! point is looked up by its ownership tags before it is created: its client token is the run's
//! own, so a run after a crash finds what the crashed one made only that way.

use aws_sdk_efs::types::{
    CreationInfo, PerformanceMode, PosixUser, RootDirectory, Tag, ThroughputMode,
};
use serde_json::{Value, json};

use super::{AwsRead, AwsResult, AwsStep, Found, not_found_as_none, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;

fn efs_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A lifecycle state, shown while waiting.
struct State(String);

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_available(s: Option<&State>) -> bool {
    s.is_some_and(|s| s.0 == "available")
}

fn is_gone(s: Option<&State>) -> bool {
    s.is_none_or(|s| s.0 == "deleted")
}

async fn sync_tags(step: &AwsStep<'_>, id: &str) -> Result<(), StepError> {
    if !step.changed("tags") {
        return Ok(());
    }
    let (set, remove) = tags::changes(&step.observed_tags(), &step.tags());
    if !set.is_empty() {
        step.clients()
            .efs
            .tag_resource()
            .resource_id(id)
            .set_tags(Some(efs_tags(&set)))
            .send()
            .await
            .aws()?;
    }
    if !remove.is_empty() {
        step.clients()
            .efs
            .untag_resource()
            .resource_id(id)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .aws()?;
    }
    Ok(())
}

// --- file system ---------------------------------------------------------------------------

async fn describe_fs(
    step: &AwsStep<'_>,
    id: Option<&str>,
    token: Option<&str>,
) -> Result<Option<aws_sdk_efs::types::FileSystemDescription>, StepError> {
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

fn fs_outputs(fs: &aws_sdk_efs::types::FileSystemDescription) -> Outputs {
    let id = fs.file_system_id();
    outputs(id, fs.file_system_arn(), fs.name())
}

async fn wait_fs(step: &AwsStep<'_>, id: &str) -> Result<(), StepError> {
    step.wait_until(
        || async {
            Ok(describe_fs(step, Some(id), None)
                .await?
                .map(|fs| State(fs.life_cycle_state().as_str().to_string())))
        },
        is_available,
    )
    .await?;
    Ok(())
}

pub async fn create_file_system(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let token = step.str("creationToken").unwrap_or(step.name()).to_string();
    // The creation token makes the create idempotent: a second call with it finds the first.
    let fs = match describe_fs(step, None, Some(&token)).await? {
        Some(fs) => fs,
        None => {
            let result = step
                .clients()
                .efs
                .create_file_system()
                .creation_token(&token)
                .performance_mode(PerformanceMode::from(
                    step.opt_str("performanceMode").unwrap_or("generalPurpose"),
                ))
                .throughput_mode(ThroughputMode::from(
                    step.opt_str("throughputMode").unwrap_or("bursting"),
                ))
                .encrypted(step.bool("encrypted").unwrap_or(true))
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

pub async fn update_file_system(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?.to_string();
    if step.changed("throughputMode") {
        step.clients()
            .efs
            .update_file_system()
            .file_system_id(&id)
            .throughput_mode(ThroughputMode::from(
                step.opt_str("throughputMode").unwrap_or("bursting"),
            ))
            .send()
            .await
            .aws()?;
        wait_fs(step, &id).await?;
    }
    sync_tags(step, &id).await?;
    let fs = describe_fs(step, Some(&id), None)
        .await?
        .ok_or_else(|| StepError::fatal("FileSystemNotFound", format!("no file system {id}")))?;
    Ok(fs_outputs(&fs))
}

pub async fn delete_file_system(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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
        step.wait_until(
            || async {
                Ok(describe_fs(step, Some(&id), None)
                    .await?
                    .map(|fs| State(fs.life_cycle_state().as_str().to_string())))
            },
            is_gone,
        )
        .await?;
    }
    Ok(Outputs::new())
}

// --- mount targets -------------------------------------------------------------------------

async fn mount_targets(
    step: &AwsStep<'_>,
    fs: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<aws_sdk_efs::types::MountTargetDescription>, StepError> {
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

fn mount_target_outputs(mt: &aws_sdk_efs::types::MountTargetDescription) -> Outputs {
    let mut out = outputs(mt.mount_target_id(), None, None);
    if let Some(ip) = mt.ip_address() {
        out.insert("ipAddress".into(), Value::from(ip));
    }
    out.insert("fileSystemId".into(), Value::from(mt.file_system_id()));
    out
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

pub async fn create_mount_target(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let fs = step.reference("fileSystem")?;
    let subnet = step.reference("subnet")?;
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
                .set_security_groups(Some(step.references("securityGroups")?))
                .send()
                .await
                .aws();
            match result {
                Ok(created) => created.mount_target_id().to_string(),
                // One already in that zone (an earlier attempt whose answer was lost): find it.
                Err(e) if e.code == "MountTargetConflict" => mount_targets(step, Some(&fs), None)
                    .await?
                    .into_iter()
                    .find(|mt| mt.subnet_id() == subnet)
                    .map(|mt| mt.mount_target_id().to_string())
                    .ok_or(e)?,
                Err(e) => return Err(e),
            }
        }
    };
    wait_mount_target(step, &id, is_available).await?;
    let mt = mount_targets(step, None, Some(&id))
        .await?
        .into_iter()
        .next();
    Ok(mt.map_or_else(|| outputs(&id, None, None), |mt| mount_target_outputs(&mt)))
}

/// Only the security groups change in place.
pub async fn update_mount_target(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?.to_string();
    if step.changed("securityGroups") {
        step.clients()
            .efs
            .modify_mount_target_security_groups()
            .mount_target_id(&id)
            .set_security_groups(Some(step.references("securityGroups")?))
            .send()
            .await
            .aws()?;
    }
    let mt = mount_targets(step, None, Some(&id))
        .await?
        .into_iter()
        .next();
    Ok(mt.map_or_else(|| outputs(&id, None, None), |mt| mount_target_outputs(&mt)))
}

pub async fn delete_mount_target(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
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

// --- access points -------------------------------------------------------------------------

fn access_point_outputs(ap: &aws_sdk_efs::types::AccessPointDescription) -> Outputs {
    let id = ap.access_point_id().unwrap_or_default();
    outputs(id, ap.access_point_arn(), ap.name())
}

async fn describe_access_point(
    step: &AwsStep<'_>,
    id: &str,
) -> Result<Option<aws_sdk_efs::types::AccessPointDescription>, StepError> {
    let result = step
        .clients()
        .efs
        .describe_access_points()
        .access_point_id(id)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?
        .and_then(|r| r.access_points.unwrap_or_default().into_iter().next()))
}

/// The access point of `fs` carrying this step's ownership tags, if an earlier run made it (a
/// run that crashed after the create: its client token was its own, so only the tags find it).
async fn find_access_point(
    step: &AwsStep<'_>,
    fs: &str,
) -> Result<Option<aws_sdk_efs::types::AccessPointDescription>, StepError> {
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

pub async fn create_access_point(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let fs = step.reference("fileSystem")?;
    let int = |key: &str| step.i64(key).unwrap_or(1000);
    let permissions = step.opt_str("permissions").unwrap_or("0755");
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
                        .uid(int("uid"))
                        .gid(int("gid"))
                        .build()
                        .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))?,
                )
                .root_directory(
                    RootDirectory::builder()
                        .path(step.opt_str("path").unwrap_or("/"))
                        .creation_info(
                            CreationInfo::builder()
                                .owner_uid(int("uid"))
                                .owner_gid(int("gid"))
                                .permissions(permissions)
                                .build()
                                .map_err(|e| StepError::fatal("InvalidRequest", e.to_string()))?,
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
pub async fn update_access_point(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?.to_string();
    sync_tags(step, &id).await?;
    Ok(describe_access_point(step, &id)
        .await?
        .map_or_else(|| outputs(&id, None, None), |ap| access_point_outputs(&ap)))
}

pub async fn delete_access_point(step: &AwsStep<'_>) -> Result<Outputs, StepError> {
    let id = step.existing_id()?.to_string();
    let result = step
        .clients()
        .efs
        .delete_access_point()
        .access_point_id(&id)
        .send()
        .await
        .aws();
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

// --- reading -------------------------------------------------------------------------------

/// File systems (one describe per page, tags included); for each owned one its mount targets
/// (DescribeMountTargets takes one file system) with their security groups (one call per mount
/// target: no batch form), every file system's and mount target's at once; and every access
/// point in one call per page, beside the file systems' listing when the blueprint has one.
pub async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
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
        let posix = ap.posix_user();
        let root = ap.root_directory();
        let info = root.and_then(|r| r.creation_info());
        let ap_id = ap.access_point_id().unwrap_or_default();
        let mut f = Found::new(K::EfsAccessPoint, ap_id)
            .at(Some(address))
            .with("fileSystem", id)
            .with("path", root.and_then(|r| r.path()).unwrap_or("/"))
            .with("uid", posix.map_or(0, |p| p.uid()))
            .with("gid", posix.map_or(0, |p| p.gid()))
            .with("permissions", info.map_or("", |i| i.permissions()))
            .with("tags", tags::to_value(&tags));
        if let Some(name) = tags.get("Name") {
            f = f.named(name);
        }
        f.outputs = access_point_outputs(&ap);
        found.push(f);
    }
    Ok(found)
}

/// Every access point in the account (DescribeAccessPoints without a file system lists them
/// all), one call per page.
async fn describe_access_points(
    read: &AwsRead<'_>,
) -> Result<Vec<aws_sdk_efs::types::AccessPointDescription>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .efs
            .describe_access_points()
            .into_paginator()
            .send()
    );
    Ok(pages
        .into_iter()
        .flat_map(|p| p.access_points.unwrap_or_default())
        .collect())
}

/// The owned file systems with their mount targets.
async fn read_file_systems(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
    let pages = all_pages!(
        read.conn
            .clients
            .efs
            .describe_file_systems()
            .into_paginator()
            .send()
    );
    let found = futures::future::try_join_all(
        pages
            .into_iter()
            .flat_map(|p| p.file_systems.unwrap_or_default())
            .map(|fs| file_system_found(read, fs)),
    )
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// A listed file system, if ours, and its mount targets.
async fn file_system_found(
    read: &AwsRead<'_>,
    fs: aws_sdk_efs::types::FileSystemDescription,
) -> Result<Vec<Found>, StepError> {
    let efs = &read.conn.clients.efs;
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
        .with("creationToken", fs.creation_token())
        .with("encrypted", fs.encrypted().unwrap_or(false))
        .with("performanceMode", fs.performance_mode().as_str())
        .with(
            "throughputMode",
            fs.throughput_mode().map_or("bursting", |m| m.as_str()),
        )
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

/// A mount target with its security groups (one call each: no batch form).
async fn mount_target_found(
    read: &AwsRead<'_>,
    file_system: &str,
    mt: aws_sdk_efs::types::MountTargetDescription,
) -> Result<Found, StepError> {
    let groups = not_found_as_none(
        read.conn
            .clients
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(mt.mount_target_id())
            .send()
            .await
            .aws(),
    )?;
    let mut groups = groups.map(|g| g.security_groups).unwrap_or_default();
    groups.sort();
    let mut f = Found::new(K::EfsMountTarget, mt.mount_target_id())
        .with("fileSystem", file_system)
        .with("subnet", mt.subnet_id())
        .with("securityGroups", json!(groups));
    f.outputs = mount_target_outputs(&mt);
    Ok(f)
}
