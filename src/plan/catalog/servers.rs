//! The app servers' kinds of issue 14: their typed properties. No section makes them yet (the
//! `servers:` blueprint section will); the live tests build them by hand.

use serde::{Deserialize, Serialize};

/// An EC2 launch template's properties: what every version holds. The update writes them all
/// into a new version and makes it the default; what every version also holds and the catalog
/// does not choose (a gp3 root volume, always encrypted; IMDSv2 required with a hop limit of 2;
/// the blueprint's tag on the instances and volumes launched from it) is the adapter's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateProps {
    pub name: String,
    pub image_id: String,
    pub instance_type: String,
    /// The instance profile's address (its ARN once resolved).
    pub instance_profile: String,
    /// The security groups' addresses, sorted.
    pub security_groups: Vec<String>,
    pub root_volume_gib: i64,
    /// The text cloud-init gets (sent base64-encoded). Never a secret: anyone who may call
    /// DescribeLaunchTemplateVersions, and every process on the instance, reads it.
    pub user_data: String,
}

/// One EC2 instance's properties: launched from a launch template's version into a subnet.
/// Nothing of it changes in place (a server holds local state, so its replacement is data loss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2InstanceProps {
    /// The launch template's address (its id once resolved).
    pub launch_template: String,
    /// The version it is launched at: `${<template address>#defaultVersion}` (embedded, so the
    /// reader turns the number the instance was launched at back into it only while that is still
    /// the template's default), or a literal version number.
    pub launch_template_version: String,
    /// The subnet's address (its id once resolved).
    pub subnet: String,
    /// Given at launch over the template's (RunInstances `InstanceType`).
    pub instance_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<LaunchTemplateProps>(K::LaunchTemplate);
        check_spec_fields::<Ec2InstanceProps>(K::Ec2Instance);
    }
}
