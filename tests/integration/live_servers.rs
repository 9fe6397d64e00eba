//! The app servers' kinds of issue 14 through the SDK on the emulator (no section makes them
//! yet: the resources are built here as a `servers:` section will): a launch template and an
//! instance launched from it, with the role and instance profile made in the same plan, so the
//! launch meets IAM's propagation window and retries it; read back with nothing to change; a
//! template change made as a new default version in place (and the instance launched at the old
//! version then planned as a replacement that loses data); destroyed, nothing left.

use serde_json::json;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{BLUEPRINT, amazon_image, converge, covered_resources, read, run};
use super::live_common::{assert_complete, assert_counts, connect, pending};

const PROFILE: &str = "servers.iam_instance_profile.app";
const TEMPLATE: &str = "servers.launch_template.app";
const INSTANCE: &str = "servers.ec2_instance.app[a]";

fn tagged(address: &str, name: &str) -> serde_json::Value {
    json!({
        "Name": name,
        "shinyctl.dev/address": address,
        "shinyctl.dev/blueprint": "livenet",
        "team": "data",
    })
}

/// The blueprint's VPC, subnets, security groups and roles, and the servers' profile, template
/// and one instance in the first private subnet, the template carrying `user_data`.
fn servers(platform: &[Resource], image: &str, user_data: &str) -> Vec<Resource> {
    let first = |kind: K, part: &str| {
        platform
            .iter()
            .find(|r| r.kind == kind && r.address.as_str().contains(part))
            .unwrap_or_else(|| panic!("the blueprint has a {kind:?} at *{part}*"))
            .address
            .clone()
    };
    let role = first(K::IamRole, "iam_role.node");
    let subnet = first(K::Subnet, "private");
    let group = first(K::SecurityGroup, "");
    let profile = Resource::new(PROFILE, K::IamInstanceProfile, "livenet-app", "servers")
        .with("name", "livenet-app")
        .with("path", "/")
        .with("role", role.as_str())
        .with("tags", tagged(PROFILE, "livenet-app"))
        .after(&role);
    let template = Resource::new(TEMPLATE, K::LaunchTemplate, "livenet-app", "servers")
        .with("name", "livenet-app")
        .with("imageId", image)
        .with("instanceType", "t3.medium")
        .with("instanceProfile", PROFILE)
        .with("securityGroups", json!([group.as_str()]))
        .with("rootVolumeGib", 30)
        .with("userData", user_data)
        .with("tags", tagged(TEMPLATE, "livenet-app"))
        .after(&profile.address)
        .after(&group);
    let instance = Resource::new(INSTANCE, K::Ec2Instance, "livenet-app-a", "servers")
        .with("launchTemplate", TEMPLATE)
        .with(
            "launchTemplateVersion",
            format!("${{{TEMPLATE}#defaultVersion}}"),
        )
        .with("subnet", subnet.as_str())
        .with("instanceType", "t3.medium")
        .with("tags", tagged(INSTANCE, "livenet-app-a"))
        .after(&template.address)
        .after(&subnet);
    let mut desired: Vec<Resource> = platform
        .iter()
        .filter(|r| matches!(r.kind, K::Vpc | K::Subnet | K::SecurityGroup | K::IamRole))
        .cloned()
        .collect();
    desired.extend([profile, template, instance]);
    desired
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_template_and_instance_create_read_update_destroy() {
    let account = emulator::account();
    // A profile unusable for a second after it is made, and instances that take time to start
    // and to stop: the launch is refused, retried, then waited for.
    emulator::set_durations(
        &account,
        &[
            ("iam_propagation", 1.0),
            ("ec2_instance_create", 0.3),
            ("ec2_instance_delete", 0.3),
        ],
    );
    let conn = connect(&account).await;
    let image = amazon_image(&conn).await;
    let platform = covered_resources(&conn, BLUEPRINT);

    let desired = servers(&platform, &image, "#!/bin/bash\necho one\n");
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let refused_launches = emulator::calls(&account)
        .iter()
        .filter(|c| c.operation == "RunInstances" && c.status == 400)
        .count();
    assert!(
        refused_launches >= 1,
        "the launch met the profile's propagation window"
    );
    assert_eq!(emulator::count(&account, "RunInstances"), 1);

    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    let observed = |kind: K| {
        live.observed
            .resources
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("a {kind:?} is read back"))
            .clone()
    };
    let template = observed(K::LaunchTemplate);
    assert_eq!(template.properties["instanceProfile"], PROFILE);
    assert_eq!(template.properties["userData"], "#!/bin/bash\necho one\n");
    let instance = observed(K::Ec2Instance);
    assert!(instance.id.starts_with("i-"), "{}", instance.id);
    assert_eq!(instance.properties["launchTemplate"], TEMPLATE);
    let outputs = &live.outputs[&instance.address];
    assert!(
        outputs["privateIp"]
            .as_str()
            .is_some_and(|ip| !ip.is_empty())
    );
    let data = conn
        .clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&template.id)
        .versions("$Default")
        .send()
        .await
        .expect("versions");
    let data = data.launch_template_versions()[0]
        .launch_template_data()
        .expect("data")
        .clone();
    let metadata = data.metadata_options().expect("metadata options");
    assert_eq!(metadata.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(metadata.http_put_response_hop_limit(), Some(2));
    let root = data.block_device_mappings()[0]
        .ebs()
        .expect("a root volume");
    assert_eq!(
        (root.volume_type().map(|t| t.as_str()), root.encrypted()),
        (Some("gp3"), Some(true))
    );

    // What the template launches changes: a new version, the default, in place — and the
    // instance launched at the old one is replaced in the same apply (the plan says that loses
    // data), not at the next plan.
    let desired = servers(&platform, &image, "#!/bin/bash\necho two\n");
    let before = read(&conn, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &before.observed);
    assert_counts(&plan, (1, 1));
    assert_eq!(
        plan.data_loss
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        vec![INSTANCE]
    );
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let listed = conn
        .clients
        .ec2
        .describe_launch_templates()
        .launch_template_ids(&template.id)
        .send()
        .await
        .expect("templates");
    let listed = &listed.launch_templates()[0];
    assert_eq!(
        (
            listed.default_version_number(),
            listed.latest_version_number()
        ),
        (Some(2), Some(2))
    );
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new(),
        "the new instance runs the new version"
    );

    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &desired).await.observed.resources.is_empty());
    // Terminated, and still listed by EC2 (for about an hour), but not read as existing.
    let left = conn
        .clients
        .ec2
        .describe_instances()
        .instance_ids(&instance.id)
        .send()
        .await
        .expect("instances");
    let state = left.reservations()[0].instances()[0]
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string());
    assert_eq!(state.as_deref(), Some("terminated"));
}
