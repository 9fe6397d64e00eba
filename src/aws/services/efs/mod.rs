//! efs: the file system (creation token), one mount target per subnet with its security
//! groups, and access points (client token). File systems and mount targets are waited on until
//! `available` and, on delete, until gone (a file system with mount targets cannot be deleted:
//! the engine deletes the mount targets first, and `FileSystemInUse` is retried). An access
//! point is looked up by its ownership tags before it is created: its client token is the run's
//! own, so a run after a crash finds what the crashed one made only that way. Each kind's
//! adapter is its own file beside this one; the file system's (`efs_file_system.rs`) reads its
//! mount targets and access points too.

use aws_sdk_efs::types::Tag;
use serde_json::Value;

use super::outputs;
use crate::apply::Outputs;
use crate::aws::tags::TagSet;

pub(super) fn efs_tags(tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A lifecycle state, shown while waiting.
pub(super) struct State(pub(super) String);

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(super) fn is_available(s: Option<&State>) -> bool {
    s.is_some_and(|s| s.0 == "available")
}

pub(super) fn is_gone(s: Option<&State>) -> bool {
    s.is_none_or(|s| s.0 == "deleted")
}

/// EFS's TagResource and UntagResource, by id (file systems and access points; mount targets
/// take no tags).
pub(crate) struct EfsTags;

super::tag_api!(
    EfsTags,
    efs,
    tag_resource / untag_resource,
    resource_id,
    efs_tags
);

pub(super) fn mount_target_outputs(mt: &aws_sdk_efs::types::MountTargetDescription) -> Outputs {
    let mut out = outputs(mt.mount_target_id(), None, None);
    if let Some(ip) = mt.ip_address() {
        out.insert("ipAddress".into(), Value::from(ip));
    }
    out.insert("fileSystemId".into(), Value::from(mt.file_system_id()));
    out
}

pub(super) fn access_point_outputs(ap: &aws_sdk_efs::types::AccessPointDescription) -> Outputs {
    let id = ap.access_point_id().unwrap_or_default();
    outputs(id, ap.access_point_arn(), ap.name())
}
