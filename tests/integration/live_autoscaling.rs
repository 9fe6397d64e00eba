//! A server group with `count:` (issue 14) through the SDK on the emulator: an Auto Scaling
//! group of 2 launched from the servers' launch template into the private subnets (the role,
//! instance profile and template made in the same plan),
//! read back with nothing to change; the template's instance type changed (a new default version
//! in place, then the group's instance refresh replaces its instances and the step waits until it
//! is Successful; nothing replaced in the plan); its desired capacity raised to 3 in place;
//! destroyed, with no instance left running. No section makes these yet: the resources are built
//! here as the servers builder will.
//!
//! Without a target group: the target group's reader still lists every registration no desired
//! `target_group_attachment` matches as one to deregister (`elbv2/target_group_attachment.rs`,
//! `registrations`), which would deregister the group's instances — Auto Scaling's own — at every
//! apply. Until that reader tells them apart, the group's target groups are not exercised here.

use serde_json::json;
use shinyctl::aws::Connection;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{
    BLUEPRINT, amazon_image, converge, converge_in_place, covered_resources, read, run,
};
use super::live_common::{assert_complete, connect, pending};

const PROFILE: &str = "servers.iam_instance_profile.app";
const TEMPLATE: &str = "servers.launch_template.app";
pub(super) const GROUP: &str = "servers.autoscaling_group.app";
pub(super) const GROUP_NAME: &str = "livenet-srv-app";

pub(super) fn tagged(address: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut tags = json!({
        "shinyctl.dev/address": address,
        "shinyctl.dev/blueprint": "livenet",
        "team": "data",
    });
    if let (Some(tags), Some(extra)) = (tags.as_object_mut(), extra.as_object()) {
        tags.extend(extra.clone());
    }
    tags
}

pub(super) fn servers(
    platform: &[Resource],
    image: &str,
    instance_type: &str,
    desired: i64,
) -> Vec<Resource> {
    let find = |kind: K, part: &str| -> Vec<Resource> {
        platform
            .iter()
            .filter(|r| r.kind == kind && r.address.as_str().contains(part))
            .cloned()
            .collect()
    };
    let role = find(K::IamRole, "iam_role.node")[0].address.clone();
    let security_group = find(K::SecurityGroup, "")[0].address.clone();
    let mut subnets: Vec<String> = find(K::Subnet, "private")
        .iter()
        .map(|s| s.address.as_str().to_string())
        .collect();
    subnets.sort();
    let profile = Resource::new(PROFILE, K::IamInstanceProfile, "livenet-app", "servers")
        .with("name", "livenet-app")
        .with("path", "/")
        .with("role", role.as_str())
        .with("tags", tagged(PROFILE, json!({"Name": "livenet-app"})))
        .after(&role);
    let template = Resource::new(TEMPLATE, K::LaunchTemplate, "livenet-app", "servers")
        .with("name", "livenet-app")
        .with("imageId", image)
        .with("instanceType", instance_type)
        .with("instanceProfile", PROFILE)
        .with("securityGroups", json!([security_group.as_str()]))
        .with("rootVolumeGib", 30)
        .with("userData", "#!/bin/bash\necho app\n")
        .with("tags", tagged(TEMPLATE, json!({"Name": "livenet-app"})))
        .after(&profile.address)
        .after(&security_group);
    let mut group = Resource::new(GROUP, K::AutoScalingGroup, GROUP_NAME, "servers")
        .with("name", GROUP_NAME)
        .with("launchTemplate", TEMPLATE)
        .with(
            "launchTemplateVersion",
            format!("${{{TEMPLATE}#defaultVersion}}"),
        )
        .with("subnets", json!(subnets))
        .with("minSize", 1)
        .with("maxSize", 4)
        .with("desiredCapacity", desired)
        .with("targetGroups", json!([]))
        .with("healthCheckType", "EC2")
        .with("healthCheckGracePeriodSeconds", 0)
        .with(
            "tags",
            tagged(GROUP, json!({"shinyctl.dev/server-group": GROUP_NAME})),
        )
        .after(&template.address);
    for subnet in &subnets {
        group = group.after(&shinyctl::plan::Address::new(subnet));
    }
    let mut desired: Vec<Resource> = platform
        .iter()
        .filter(|r| matches!(r.kind, K::Vpc | K::Subnet | K::SecurityGroup | K::IamRole))
        .cloned()
        .collect();
    desired.extend([profile, template, group]);
    desired
}

/// The group's instances: (id, lifecycle state, launch template version).
pub(super) async fn instances(conn: &Connection) -> Vec<(String, String, String)> {
    let described = conn
        .clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(GROUP_NAME)
        .send()
        .await
        .expect("groups");
    let mut out: Vec<(String, String, String)> = described
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .map(|i| {
            (
                i.instance_id().unwrap_or_default().to_string(),
                i.lifecycle_state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                i.launch_template()
                    .and_then(|t| t.version())
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Instances of the account still running or starting (not shutting down or terminated).
pub(super) async fn running(conn: &Connection) -> Vec<String> {
    let described = conn
        .clients
        .ec2
        .describe_instances()
        .send()
        .await
        .expect("instances");
    described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            i.state()
                .and_then(|s| s.name())
                .is_some_and(|n| matches!(n.as_str(), "pending" | "running"))
        })
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaling_group_create_refresh_scale_destroy() {
    let account = emulator::account();
    emulator::set_durations(
        &account,
        &[
            ("ec2_instance_create", 0.3),
            ("ec2_instance_delete", 0.3),
            ("autoscaling_refresh_start", 0.2),
            ("iam_propagation", 0.0),
        ],
    );
    let conn = connect(&account).await;
    let image = amazon_image(&conn).await;
    let platform = covered_resources(&conn, BLUEPRINT);

    // A group of 2: made, and waited for until both serve.
    let desired = servers(&platform, &image, "t3.medium", 2);
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let first = instances(&conn).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        first
            .iter()
            .all(|(_, state, version)| state == "InService" && version == "1"),
        "{first:?}"
    );
    // The instances carry the group's tags, but not its address.
    let ids: Vec<String> = first.iter().map(|(id, _, _)| id.clone()).collect();
    let described = conn
        .clients
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids.clone()))
        .send()
        .await
        .expect("instances");
    for instance in described.reservations().iter().flat_map(|r| r.instances()) {
        let tag = |key: &str| {
            instance
                .tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        assert_eq!(
            tag("shinyctl.dev/server-group").as_deref(),
            Some(GROUP_NAME)
        );
        assert_eq!(tag("shinyctl.dev/blueprint").as_deref(), Some("livenet"));
        assert_eq!(tag("shinyctl.dev/address"), None);
    }

    // Read back: nothing to change.
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    let group = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::AutoScalingGroup)
        .expect("the group is read back");
    assert_eq!(group.id, GROUP_NAME);
    assert_eq!(group.properties["launchTemplate"], TEMPLATE);
    assert_eq!(group.properties["targetGroups"], json!([]));
    assert!(
        live.outputs[&group.address]["arn"]
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws:autoscaling:"))
    );

    // Another instance type: the template's new default version in place, and in the same apply
    // the group follows it in place (`updated_attributes`), its instance refresh replacing both
    // instances.
    let desired = servers(&platform, &image, "t3.large", 2);
    let (plan, summary) = converge(&conn, &desired).await;
    assert_eq!(
        (plan.summary.change, plan.summary.replace, plan.summary.add),
        (2, 0, 0),
        "{:?}",
        pending(&plan)
    );
    assert_complete(&summary);
    assert!(emulator::count(&account, "StartInstanceRefresh") >= 1);
    let refreshed = instances(&conn).await;
    assert_eq!(refreshed.len(), 2, "{refreshed:?}");
    assert!(
        refreshed
            .iter()
            .all(|(id, state, version)| state == "InService"
                && version == "2"
                && !ids.contains(id)),
        "{refreshed:?}"
    );

    // Desired 3: in place, waited for.
    let desired = servers(&platform, &image, "t3.large", 3);
    converge_in_place(&conn, &desired).await;
    let three = instances(&conn).await;
    assert_eq!(three.len(), 3, "{three:?}");
    assert!(
        three.iter().all(|(_, state, _)| state == "InService"),
        "{three:?}"
    );
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );

    // Destroy: the group (ForceDelete terminates its instances) and everything else.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &desired).await.observed.resources.is_empty());
    assert_eq!(running(&conn).await, Vec::<String>::new());
}
