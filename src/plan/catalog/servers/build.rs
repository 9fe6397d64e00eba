//! `servers`: per group, an IAM role and instance profile (Systems Manager's core policy, and
//! reading the group's files), a security group open only to the load balancer on the group's
//! port (with rules on the data services it connects to), a launch template, the servers, their
//! auto-recovery alarms, and — with `http` — a target group, its attachments and listener rules.

use serde_json::{Value, json};

use super::super::ingress::{
    ActionProps, ListenerRuleProps, TargetGroupAttachmentProps, TargetGroupProps,
    health_check_props, stickiness_props,
};
use super::super::monitoring::CloudWatchAlarmProps;
use super::super::security::{Peer, Rule, group as security_group};
use super::super::{Catalog, addresses as a, iam};
use super::{
    AutoScalingGroupProps, Ec2InstanceProps, LaunchTemplateProps, SsmAssociationProps,
    SsmDocumentProps, SsmTarget, scripts,
};
use crate::blueprint::Blueprint;
use crate::blueprint::model::{AmiFamily, ServerConnection, ServerGroup};
use crate::plan::{Address, Resource, ResourceKind as K};

/// The tag every server carries with its group's name (`lowcode-srv-app`).
pub(crate) const SERVER_GROUP_TAG: &str = "shinyctl.dev/server-group";
/// The AWS managed policy that lets the SSM agent register and run documents (Session Manager
/// included): "Step 2: Verify or add instance permissions for Session Manager", Systems Manager
/// user guide.
const SSM_CORE_POLICY: &str = "AmazonSSMManagedInstanceCore";
/// AWS's default deregistration delay (botocore `elbv2` TargetGroupAttribute).
const DEREGISTRATION_DELAY_SECONDS: u64 = 300;

pub(crate) fn build(catalog: &mut Catalog) {
    let bp = catalog.bp;
    for (i, group) in bp.servers.iter().enumerate() {
        build_group(catalog, bp, group, &format!("servers[{i}]"));
    }
    listener_rules(catalog, bp);
}

/// The target group of the server group that takes `/`, when it is the listeners' default
/// (a blueprint without a cluster: ShinyProxy's target group does not exist).
pub(crate) fn root_target_group(bp: &Blueprint) -> Option<String> {
    if bp.cluster.is_some() {
        return None;
    }
    bp.servers
        .iter()
        .find(|g| g.http.as_ref().is_some_and(|h| h.path == "/"))
        .map(|g| a::server("target_group", &g.name))
}

/// The servers of a group with their address keys: the zone's letter and a count within the
/// zone, `a1`, `a2`, `b1` (adding a server in another zone moves no other's address).
pub(crate) fn server_keys(bp: &Blueprint, group: &ServerGroup) -> Vec<(String, String, bool)> {
    let region = bp.metadata.region.as_str();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    group
        .instances
        .iter()
        .map(|server| {
            let zone = server
                .zone
                .strip_prefix(region)
                .filter(|rest| !rest.is_empty())
                .unwrap_or(&server.zone)
                .to_string();
            let n = counts.entry(zone.clone()).or_insert(0);
            *n += 1;
            (format!("{zone}{n}"), zone, server.in_service)
        })
        .collect()
}

fn build_group(catalog: &mut Catalog, bp: &Blueprint, group: &ServerGroup, origin: &str) {
    let g = group.name.as_str();
    let name = catalog.names.server_group(g);
    let role = a::iam_role("servers", g);
    iam::role(
        catalog,
        iam::Role {
            section: "servers",
            address: &role,
            key: g,
            name: name.clone(),
            trust: iam::service_trust(catalog.partition, "ec2"),
            description: "app servers",
            managed: &[SSM_CORE_POLICY],
            origin,
        },
    );
    if let Some(policy) = files_policy(catalog, group) {
        iam::set_inline_policy(catalog, &role, "files", policy);
    }
    let profile = a::server("iam_instance_profile", g);
    catalog.push(
        Resource::new(&profile, K::IamInstanceProfile, name.clone(), origin).props(
            &iam::IamInstanceProfileProps {
                name: name.clone(),
                path: "/".into(),
                role: role.clone(),
            },
        ),
    );
    let sg = a::security_group("servers", Some(g));
    let sg_resource = security_group(
        catalog,
        &sg,
        &format!("srv-{g}"),
        &format!("app servers {g}"),
        origin,
    );
    catalog.push(sg_resource);
    rules(catalog, bp, group, &sg, origin);

    let template = a::server("launch_template", g);
    catalog.push(
        Resource::new(&template, K::LaunchTemplate, name.clone(), origin).props(
            &LaunchTemplateProps {
                name: name.clone(),
                image_id: image_id(group),
                instance_type: group.instance_type.clone(),
                instance_profile: profile.clone(),
                security_groups: vec![sg.clone()],
                root_volume_gib: i64::from(group.root_volume_gib),
                user_data: scripts::user_data(bp, group, &format!("{name}-config")),
            },
        ),
    );
    // The agent registers with the role's policy attached; the servers start after it is.
    // Packages come through the NAT: the first boot waits for the private route too.
    let launch_after: Vec<Address> = catalog
        .attachments_of(&role)
        .into_iter()
        .chain(catalog.private_routes())
        .collect();
    let target_group = group.http.as_ref().map(|http| {
        let address = a::server("target_group", g);
        catalog.push(
            Resource::new(
                &address,
                K::TargetGroup,
                name.clone(),
                format!("{origin}.http"),
            )
            .props(&TargetGroupProps {
                name: name.clone(),
                protocol: "HTTP".into(),
                port: http.port,
                target_type: "instance".into(),
                vpc: a::VPC.into(),
                health_check: health_check_props(&http.health_check),
                stickiness: stickiness_props(http.stickiness.as_ref()),
                deregistration_delay_seconds: DEREGISTRATION_DELAY_SECONDS,
            }),
        );
        (address, http.port)
    });
    // Its own name: an SSM document's id is its name, and the reader maps a value equal to a
    // resource's id back to that resource (the group's other names are `name`).
    let document_name = format!("{name}-config");
    let document = a::server("ssm_document", g);
    let region = bp.metadata.region.clone();
    let content = scripts::configure_document(bp, group, catalog.partition, |bucket| {
        catalog.names.bucket(bucket, &region)
    });
    catalog.push(
        Resource::new(&document, K::SsmDocument, document_name.clone(), origin).props(
            &SsmDocumentProps {
                name: document_name.clone(),
                document_format: "JSON".into(),
                content: content.clone(),
            },
        ),
    );
    // A new configuration is a new document version (in place), and the association follows it
    // in the same apply (`updated_attributes`: `plan::diff`): UpdateAssociation runs it again.
    // Not the document's name: that is the document's id, which the reader would map back to it.
    let association_name = format!("{name}-configure");
    let association = a::server("ssm_association", g);
    let mut association_resource = Resource::new(
        &association,
        K::SsmAssociation,
        association_name.clone(),
        origin,
    )
    .props(&SsmAssociationProps {
        association_name: association_name.clone(),
        document: document.clone(),
        document_version: a::embed(&document, Some("version")),
        targets: vec![SsmTarget {
            key: format!("tag:{SERVER_GROUP_TAG}"),
            values: vec![name.clone()],
        }],
        // One server at a time, stopping at the first failure: the rest keep serving.
        max_concurrency: "1".into(),
        max_errors: "0".into(),
        schedule_expression: None,
    });
    let mut attachments = Vec::new();
    for (key, zone, in_service) in server_keys(bp, group) {
        let instance = a::server_instance(g, &key);
        let resource = Resource::new(
            &instance,
            K::Ec2Instance,
            catalog.names.server(g, &key),
            format!("{origin}.instances"),
        )
        .props(&Ec2InstanceProps {
            launch_template: template.clone(),
            launch_template_version: a::embed(&template, Some("defaultVersion")),
            subnet: a::subnet("private", &zone),
            instance_type: group.instance_type.clone(),
        });
        catalog.push(launching(resource, &name, &launch_after));
        // The first configuration waits for the servers it targets (by tag) to run.
        association_resource = association_resource.after(&Address::new(&instance));
        recovery_alarm(catalog, bp, g, &key, &instance, origin);
        if let Some((target_group, port)) = &target_group
            && in_service
        {
            attachments.push(
                Resource::new(
                    format!("servers.target_group_attachment[{g}-{key}]"),
                    K::TargetGroupAttachment,
                    catalog.names.server(g, &key),
                    format!("{origin}.instances"),
                )
                .props(&TargetGroupAttachmentProps {
                    target_group: target_group.clone(),
                    target: instance.clone(),
                    port: *port,
                })
                // Traffic comes after the configuration (nginx) is in place.
                .after(&Address::new(&association)),
            );
        }
    }
    if let Some(count) = group.count {
        // State Manager applies the association to each server the group launches as its agent
        // registers (tag targets: "About State Manager", Systems Manager user guide), so the
        // association comes first and the group's wait for healthy servers sees them configured.
        let resource = Resource::new(
            a::server("autoscaling_group", g),
            K::AutoScalingGroup,
            format!("{name}-asg"),
            format!("{origin}.count"),
        )
        .props(&AutoScalingGroupProps {
            // Not `name`: a group's id is its name, which the reader would map back to it.
            name: format!("{name}-asg"),
            launch_template: template.clone(),
            launch_template_version: a::embed(&template, Some("defaultVersion")),
            subnets: catalog.subnets("private"),
            min_size: i64::from(count.min),
            max_size: i64::from(count.max),
            desired_capacity: i64::from(count.desired),
            target_groups: target_group.iter().map(|(tg, _)| tg.clone()).collect(),
            health_check_type: if target_group.is_some() { "ELB" } else { "EC2" }.into(),
            health_check_grace_period_seconds: HEALTH_CHECK_GRACE_SECONDS,
        })
        .after(&Address::new(&association));
        catalog.push(launching(resource, &name, &launch_after));
    }
    catalog.push(association_resource);
    for attachment in attachments {
        catalog.push(attachment);
    }
}

/// What launches servers (an instance, an Auto Scaling group): the group's tag on them, and
/// started once their role's policies are attached and the NAT route is there.
fn launching(mut resource: Resource, group_name: &str, after: &[Address]) -> Resource {
    resource
        .properties
        .insert("tags".into(), json!({ SERVER_GROUP_TAG: group_name }));
    for dependency in after {
        resource = resource.after(dependency);
    }
    resource
}

/// How long a new server of an Auto Scaling group boots, installs its packages and gets its
/// configuration before failed load-balancer health checks count against it: the console's
/// default ("Set the health check grace period for an Auto Scaling group", Auto Scaling user
/// guide; the API's own default is 0, which would replace servers still installing nginx).
const HEALTH_CHECK_GRACE_SECONDS: i64 = 300;

/// The machine image: the id as given, or the family's public SSM parameter, which EC2 resolves
/// at each launch (`resolve:ssm:` in a launch template, EC2 user guide "Use a Systems Manager
/// parameter instead of an AMI ID"). Parameters: Amazon Linux 2023's from "Query for the latest
/// Amazon Linux AMI IDs using Systems Manager Parameter Store" (AWS), Ubuntu's from Canonical's
/// "Find Ubuntu images on AWS"; arm64 for Graviton families.
fn image_id(group: &ServerGroup) -> String {
    if let Some(id) = &group.ami.id {
        return id.clone();
    }
    let arm = is_graviton(&group.instance_type);
    let parameter = match group.ami.family {
        Some(AmiFamily::AmazonLinux2023) => format!(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{}",
            if arm { "arm64" } else { "x86_64" }
        ),
        Some(AmiFamily::Ubuntu2204) | None => format!(
            "/aws/service/canonical/ubuntu/server/22.04/stable/current/{}/hvm/ebs-gp2/ami-id",
            if arm { "arm64" } else { "amd64" }
        ),
    };
    format!("resolve:ssm:{parameter}")
}

/// Graviton (arm64) families have a `g` after the generation's digit (`t4g`, `m7g`, `c6gn`,
/// `r8gd`), and `a1`; GPU families start with `g` (`g5`) and are x86.
fn is_graviton(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    family == "a1"
        || family.find(|c: char| c.is_ascii_digit()).is_some_and(|i| {
            family[i..]
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with('g')
        })
}

/// Reading the group's files from the blueprint's buckets: `s3:GetObject` on exactly them.
fn files_policy(catalog: &Catalog, group: &ServerGroup) -> Option<Value> {
    let region = &catalog.bp.metadata.region;
    let objects: Vec<String> = group
        .files
        .iter()
        .filter_map(|f| f.bucket_source())
        .map(|(bucket, key)| {
            format!(
                "{}:s3:::{}/{key}",
                catalog.partition.arn_prefix(),
                catalog.names.bucket(bucket, region)
            )
        })
        .collect();
    (!objects.is_empty()).then(|| {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}]
        })
    })
}

/// The group's traffic: in from the load balancer on its port, out to anywhere (packages,
/// Systems Manager, the data services); the data services let it in on their ports.
fn rules(catalog: &mut Catalog, bp: &Blueprint, group: &ServerGroup, sg: &str, origin: &str) {
    let g = group.name.as_str();
    let tcp =
        |section: &'static str,
         key: String,
         on: &'static str,
         peer: &str,
         port: u16,
         description: String| { (section, key, on, peer.to_string(), port, description) };
    let mut ingress_to_others = Vec::new();
    if group.connect.contains(&ServerConnection::Database)
        && let Some(db) = &bp.database
    {
        ingress_to_others.push(tcp(
            "database",
            format!("from_servers_{g}"),
            a::DB_SG,
            sg,
            db.engine.port(),
            format!("database from app servers {g}"),
        ));
    }
    if group.connect.contains(&ServerConnection::Cache) && bp.cache.is_some() {
        ingress_to_others.push(tcp(
            "cache",
            format!("from_servers_{g}"),
            a::CACHE_SG,
            sg,
            super::super::cache::REDIS_PORT,
            format!("Redis from app servers {g}"),
        ));
    }
    if !group.mounts.is_empty() && bp.storage.as_ref().is_some_and(|s| s.efs.is_some()) {
        ingress_to_others.push(tcp(
            "storage",
            format!("from_servers_{g}"),
            a::EFS_SG,
            sg,
            super::super::storage::NFS_PORT,
            format!("NFS from app servers {g}"),
        ));
    }
    let mut built = vec![
        Rule {
            section: "servers",
            key: format!("{g}_egress"),
            group: sg,
            direction: "egress",
            protocol: "-1",
            from_port: -1,
            to_port: -1,
            peer: Peer::Cidr("0.0.0.0/0"),
            description: "outbound from the app servers (packages, Systems Manager, data services)"
                .into(),
            origin,
        }
        .build(catalog),
    ];
    for (section, key, on, peer, port, description) in &ingress_to_others {
        built.push(
            Rule {
                section,
                key: key.clone(),
                group: on,
                direction: "ingress",
                protocol: "tcp",
                from_port: i32::from(*port),
                to_port: i32::from(*port),
                peer: Peer::Group(peer),
                description: description.clone(),
                origin,
            }
            .build(catalog),
        );
    }
    if let Some(http) = &group.http {
        let port = i32::from(http.port);
        built.push(
            Rule {
                section: "servers",
                key: format!("{g}_from_lb"),
                group: sg,
                direction: "ingress",
                protocol: "tcp",
                from_port: port,
                to_port: port,
                peer: Peer::Group(a::LB_SG),
                description: "from the load balancer".into(),
                origin,
            }
            .build(catalog),
        );
        built.push(
            Rule {
                section: "ingress",
                key: format!("lb_to_servers_{g}"),
                group: a::LB_SG,
                direction: "egress",
                protocol: "tcp",
                from_port: port,
                to_port: port,
                peer: Peer::Group(sg),
                description: format!("to app servers {g}"),
                origin,
            }
            .build(catalog),
        );
    }
    for rule in built {
        catalog.push(rule);
    }
}

/// EC2's recover action on a failed system status check: the instance moves to healthy
/// hardware with its id, addresses and volumes (CloudWatch user guide, "Add recover actions to
/// Amazon CloudWatch alarms": `StatusCheckFailed_System`, Maximum over 60 s, two periods).
fn recovery_alarm(
    catalog: &mut Catalog,
    bp: &Blueprint,
    g: &str,
    key: &str,
    instance: &str,
    origin: &str,
) {
    let name = format!("{}-recover", catalog.names.server(g, key));
    let action = format!(
        "{}:automate:{}:ec2:recover",
        catalog.partition.arn_prefix(),
        bp.metadata.region
    );
    catalog.push(
        Resource::new(
            format!("servers.cloudwatch_alarm[{g}-{key}]"),
            K::CloudWatchAlarm,
            name.clone(),
            format!("{origin}.instances"),
        )
        .props(&CloudWatchAlarmProps {
            alarm_name: name,
            namespace: "AWS/EC2".into(),
            metric_name: "StatusCheckFailed_System".into(),
            dimensions: [("InstanceId".to_string(), instance.to_string())].into(),
            statistic: "Maximum".into(),
            period_seconds: 60,
            evaluation_periods: 2,
            threshold: 0.0,
            comparison_operator: "GreaterThanThreshold".into(),
            treat_missing_data: "missing".into(),
            alarm_actions: vec![action],
            ok_actions: vec![],
        }),
    );
}

/// A rule per forwarding listener for each group routed under a path, most specific first
/// (longer paths take lower priorities, which the ALB evaluates first).
fn listener_rules(catalog: &mut Catalog, bp: &Blueprint) {
    let Some(ingress) = &bp.ingress else { return };
    let mut routed: Vec<(&ServerGroup, &str)> = bp
        .servers
        .iter()
        .filter_map(|g| g.http.as_ref().map(|h| (g, h.path.as_str())))
        .filter(|(_, path)| *path != "/")
        .collect();
    routed.sort_by(|(ga, pa), (gb, pb)| {
        pb.len()
            .cmp(&pa.len())
            .then(pa.cmp(pb))
            .then(ga.name.cmp(&gb.name))
    });
    for (priority, (group, path)) in routed.into_iter().enumerate() {
        let index = bp
            .servers
            .iter()
            .position(|g| g.name == group.name)
            .unwrap_or(0);
        for listener in ingress.listeners.iter().filter(|l| l.redirect_to.is_none()) {
            catalog.push(
                Resource::new(
                    format!("servers.listener_rule[{}_{}]", group.name, listener.port),
                    K::ListenerRule,
                    catalog
                        .names
                        .label(&format!("{}-{}", group.name, listener.port)),
                    format!("servers[{index}].http.path"),
                )
                .props(&ListenerRuleProps {
                    listener: a::listener(listener.port),
                    priority: i32::try_from(priority + 1).unwrap_or(i32::MAX),
                    path_patterns: vec![path.to_string(), format!("{path}/*")],
                    host_headers: vec![],
                    action: ActionProps::Forward {
                        target_group: a::server("target_group", &group.name),
                    },
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_get_arm64_images() {
        for arm in [
            "t4g.medium",
            "m7g.large",
            "c6gn.xlarge",
            "r8gd.2xlarge",
            "a1.large",
        ] {
            assert!(is_graviton(arm), "{arm}");
        }
        for x86 in [
            "t3.medium",
            "m6i.large",
            "g5.xlarge",
            "c5n.large",
            "m7a.large",
        ] {
            assert!(!is_graviton(x86), "{x86}");
        }
    }
}
