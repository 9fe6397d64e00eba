//! `servers`: EC2 app server groups (issue 14). The builder is `build.rs`, what runs on a
//! server `scripts.rs` and `nginx.rs`; the kinds' typed properties are here.

mod build;
pub(crate) mod hooks;
mod nginx;
mod scripts;
mod workbench;

pub(crate) use build::build;

use serde_json::Value;

use crate::blueprint::Blueprint;

/// What runs on the blueprint's servers, as files `shinyctl render` writes (relative paths), as
/// the plan holds them (references to resources AWS has not made yet stay `${...}`): per group,
/// `servers/<group>/user-data.sh`, `ssm-document.json`, `configure.sh` (the document's script)
/// and `nginx.conf` (the site it writes); with Workbench, `workbench-document.json` and
/// `workbench.sh` (the cluster document).
pub fn rendered_files(bp: &Blueprint) -> Vec<(String, String)> {
    let resources = super::desired(bp);
    let property = |address: &str, key: &str| {
        resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .and_then(|r| r.properties.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut files = Vec::new();
    for group in &bp.servers {
        let dir = format!("servers/{}", group.name);
        let template = super::addresses::server("launch_template", &group.name);
        if let Some(user_data) = property(&template, "userData") {
            files.push((format!("{dir}/user-data.sh"), user_data));
        }
        // The configuration document (rolled one server at a time) and Workbench's cluster
        // document (every server at once).
        for (key, json_file, script_file) in [
            (group.name.clone(), "ssm-document.json", "configure.sh"),
            (
                format!("{}-workbench", group.name),
                "workbench-document.json",
                "workbench.sh",
            ),
        ] {
            let document = super::addresses::server("ssm_document", &key);
            let Some(content) = property(&document, "content") else {
                continue;
            };
            let parsed = serde_json::from_str::<Value>(&content).ok();
            let pretty = parsed
                .as_ref()
                .and_then(|doc| serde_json::to_string_pretty(doc).ok())
                .unwrap_or(content);
            files.push((format!("{dir}/{json_file}"), pretty + "\n"));
            if let Some(doc) = &parsed {
                files.push((format!("{dir}/{script_file}"), document_script(doc)));
            }
        }
        if let Some(site) = &group.nginx {
            files.push((
                format!("{dir}/nginx.conf"),
                nginx::site(&group.name, &bp.metadata.name, site),
            ));
        }
    }
    files
}

/// A Command document's shell steps as one script, each step's lines under a comment.
fn document_script(doc: &Value) -> String {
    let mut script = String::from("#!/bin/sh\n");
    for step in doc
        .get("mainSteps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = step.get("name").and_then(Value::as_str).unwrap_or("step");
        script.push_str(&format!("# step {name}\n"));
        for line in step
            .pointer("/inputs/runCommand")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            script.push_str(line);
            script.push('\n');
        }
    }
    script
}

use serde::{Deserialize, Serialize};

/// An EC2 launch template's properties: what every version holds. The update writes them all
/// into a new version and makes it the default; what every version also holds and the catalog
/// does not choose (a gp3 root volume, always encrypted; IMDSv2 required with a hop limit of 2;
/// the blueprint's tag on the instances and volumes launched from it) is the adapter's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LaunchTemplateProps {
    pub(crate) name: String,
    pub(crate) image_id: String,
    pub(crate) instance_type: String,
    /// The instance profile's address (its ARN once resolved).
    pub(crate) instance_profile: String,
    /// The security groups' addresses, sorted.
    pub(crate) security_groups: Vec<String>,
    pub(crate) root_volume_gib: i64,
    /// The text cloud-init gets (sent base64-encoded). Never a secret: anyone who may call
    /// DescribeLaunchTemplateVersions, and every process on the instance, reads it.
    pub(crate) user_data: String,
    /// IMDSv2's hop limit (HttpPutResponseHopLimit): 2, so a container on an app server reaches
    /// the metadata service; 1 on ECS instances, so tasks in bridge mode cannot take the
    /// instance's role ("Amazon ECS container instance IAM role": "block access to the instance
    /// metadata"). Left out of the properties at 2.
    #[serde(default = "hop_limit_two", skip_serializing_if = "is_two")]
    pub(crate) metadata_hop_limit: i64,
}

fn hop_limit_two() -> i64 {
    2
}

fn is_two(n: &i64) -> bool {
    *n == 2
}

/// One EC2 instance's properties: launched from a launch template's version into a subnet.
/// Nothing of it changes in place (a server holds local state, so its replacement is data loss).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Ec2InstanceProps {
    /// The launch template's address (its id once resolved).
    pub(crate) launch_template: String,
    /// The version it is launched at: `${<template address>#defaultVersion}` (embedded, so the
    /// reader turns the number the instance was launched at back into it only while that is still
    /// the template's default), or a literal version number.
    pub(crate) launch_template_version: String,
    /// The subnet's address (its id once resolved).
    pub(crate) subnet: String,
    /// Given at launch over the template's (RunInstances `InstanceType`).
    pub(crate) instance_type: String,
}

/// An SSM Command document (schema 2.2) the servers' configuration is delivered with. Its
/// `content` is the whole document as JSON (`documentFormat` `JSON`): the catalog writes it with
/// serde_json, so it is compared as JSON values (the reader reads AWS's text back through
/// serde_json), whereas YAML would be compared as text AWS may hand back re-emitted. A change of
/// content is a new version made the default (UpdateDocument, UpdateDocumentDefaultVersion); the
/// adapter outputs that default as the attribute `version` (`${<document address>#version}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SsmDocumentProps {
    /// 3 to 128 of `a-zA-Z0-9_-.`, not starting with `aws`, `amazon`, `amzn`, `AWSEC2`,
    /// `AWSConfigRemediation` or `AWSSupport` (botocore `ssm` CreateDocumentRequest Name).
    pub(crate) name: String,
    /// `JSON` (see above).
    pub(crate) document_format: String,
    /// The document: at most 64 KB (botocore `ssm` CreateDocumentRequest Content).
    pub(crate) content: String,
}

/// One target of a State Manager association: `tag:<key>` with the tag's values, `InstanceIds`
/// with instance ids (botocore `ssm` Target).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SsmTarget {
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

/// A State Manager association: applies a document's version to the instances its targets name
/// (a server group: key `tag:shinyctl.dev/servers`, values `[<group>]`), `maxConcurrency` at a
/// time (`"1"`: the configuration rolls one server at a time) and stopping after `maxErrors`
/// failures (`"0"`: the first). Made and changed, it runs at once, and the step waits until it
/// succeeded on every target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SsmAssociationProps {
    /// 3 to 128 of `a-zA-Z0-9_-.` (botocore `ssm` AssociationName).
    pub(crate) association_name: String,
    /// The document's address (its name once resolved).
    pub(crate) document: String,
    /// The version applied: `${<document address>#version}` (the document's default), or a
    /// literal number.
    pub(crate) document_version: String,
    pub(crate) targets: Vec<SsmTarget>,
    pub(crate) max_concurrency: String,
    pub(crate) max_errors: String,
    /// `rate(30 minutes)` or longer, or `cron(...)`: when State Manager applies it again
    /// (none: only when made or changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schedule_expression: Option<String>,
}

/// An EC2 Auto Scaling group: the servers of a group with `count: {min, desired, max}`, launched
/// from a launch template's version into the subnets, registered in the target groups. What
/// Auto Scaling changes in place (UpdateAutoScalingGroup: sizes, subnets, template and version,
/// health check; AttachLoadBalancerTargetGroups / DetachLoadBalancerTargetGroups) is changed in
/// place; a new template version also replaces the instances (an instance refresh), because
/// UpdateAutoScalingGroup alone leaves them as they were launched (botocore `autoscaling`
/// UpdateAutoScalingGroup: "Existing instances continue to run with the configuration that they
/// were originally launched with"). Its tags (the resource's `tags` property with the ownership
/// tags) propagate to the instances it launches, all but the address tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AutoScalingGroupProps {
    /// 1 to 255 ASCII characters 33 to 126 but `:` (botocore `autoscaling`
    /// CreateAutoScalingGroup AutoScalingGroupName); unique per account and region. The group's
    /// id: every Auto Scaling call names the group by it.
    pub(crate) name: String,
    /// The launch template's address (its id once resolved).
    pub(crate) launch_template: String,
    /// `${<template address>#defaultVersion}` (embedded, as `Ec2InstanceProps` has it: a new
    /// default version is a change the update rolls out), or a literal version number.
    pub(crate) launch_template_version: String,
    /// The subnets' addresses, in zone order (the reader orders them by zone).
    pub(crate) subnets: Vec<String>,
    pub(crate) min_size: i64,
    pub(crate) max_size: i64,
    /// None: left to who scales the group (an ECS capacity provider's managed scaling): made
    /// at `min_size`, never written again nor compared (`KindSpec::computed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) desired_capacity: Option<i64>,
    /// The target groups' addresses (their ARNs once resolved): Auto Scaling registers every
    /// instance it launches and deregisters every instance it terminates. Sorted.
    pub(crate) target_groups: Vec<String>,
    /// `ELB` when in a target group (an instance the load balancer finds unhealthy is replaced),
    /// else `EC2` (botocore `autoscaling` HealthCheckType).
    pub(crate) health_check_type: String,
    /// How long after an instance is InService its health checks start counting
    /// (HealthCheckGracePeriod; AWS's default 0, the console's 300).
    pub(crate) health_check_grace_period_seconds: i64,
    /// NewInstancesProtectedFromScaleIn: what an ECS capacity provider with managed termination
    /// protection requires ("When managed termination protection is on, the Auto Scaling group
    /// and each instance in the Auto Scaling group must have instance protection from scale-in
    /// actions on", botocore `ecs` AutoScalingGroupProvider managedTerminationProtection). Left
    /// out when false, so the servers' groups serialise as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) new_instances_protected_from_scale_in: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn render_writes_each_groups_files() {
        let bp = crate::plan::catalog::tests::lowcode_servers();
        let files = rendered_files(&bp);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "servers/app/user-data.sh",
                "servers/app/ssm-document.json",
                "servers/app/configure.sh",
                "servers/app/nginx.conf"
            ]
        );
        let script = &files[2].1;
        assert!(
            script.contains("nginx -t\n") && script.contains("proxy_pass http://127.0.0.1:22345;")
        );
    }

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<LaunchTemplateProps>(K::LaunchTemplate);
        check_spec_fields::<Ec2InstanceProps>(K::Ec2Instance);
        check_spec_fields::<SsmDocumentProps>(K::SsmDocument);
        check_spec_fields::<SsmAssociationProps>(K::SsmAssociation);
        check_spec_fields::<AutoScalingGroupProps>(K::AutoScalingGroup);
    }
}
