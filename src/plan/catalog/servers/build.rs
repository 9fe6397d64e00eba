//! `servers`: per group, an IAM role and instance profile (Systems Manager's core policy, and
//! reading the group's files), a security group open only to the load balancer on the group's
//! port (with rules on the data services it connects to), a launch template, the servers, their
//! auto-recovery alarms, and — with `http` — a target group, its attachments and listener rules.

use serde_json::{Value, json};

use super::super::ingress::{
    TargetGroupAttachmentProps, TargetGroupProps, health_check_props, stickiness_props,
};
use super::super::monitoring::CloudWatchAlarmProps;
use super::super::secrets::{SecretGenerate, SecretProps};
use super::super::security::{Peer, Rule, group as security_group};
use super::super::{Catalog, addresses as a, iam};
use super::hooks::{AutoScalingLifecycleHookProps, TERMINATING};
use super::{
    AutoScalingGroupProps, Ec2InstanceProps, LaunchTemplateProps, SsmAssociationProps,
    SsmDocumentProps, SsmTarget, scripts, workbench,
};
use crate::blueprint::Blueprint;
use crate::blueprint::model::{AmiFamily, ServerConnection, ServerGroup, Workbench};
use crate::plan::{Address, Resource, ResourceKind as K};

/// The tag every server carries with its group's name (`lowcode-srv-app`).
pub(crate) const SERVER_GROUP_TAG: &str = "shinyctl.dev/server-group";
/// The AWS managed policy that lets the SSM agent register and run documents (Session Manager
/// included): "Step 2: Verify or add instance permissions for Session Manager", Systems Manager
/// user guide.
const SSM_CORE_POLICY: &str = "AmazonSSMManagedInstanceCore";

pub(crate) fn build(catalog: &mut Catalog) {
    let bp = catalog.bp;
    for (i, group) in bp.servers.iter().enumerate() {
        build_group(catalog, bp, group, &format!("servers[{i}]"));
    }
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
    let asg_name = format!("{name}-asg");
    let workbench_names = workbench::Names {
        autoscaling_group: group.count.is_some().then_some(asg_name.as_str()),
        hook: &format!("{name}-drain"),
    };
    let workbench_secrets = group
        .workbench
        .as_ref()
        .map(|wb| workbench_secrets(bp, g, wb));
    if let (Some(wb), Some(secrets)) = (&group.workbench, &workbench_secrets) {
        let policy = workbench::policy(bp, wb, secrets, &workbench_names, catalog.partition);
        iam::set_inline_policy(catalog, &role, "workbench", policy);
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
                metadata_hop_limit: 2,
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
                stickiness: Some(stickiness_props(http.stickiness.as_ref())),
                deregistration_delay_seconds: Some(u64::from(
                    group
                        .drain
                        .map_or(workbench::DEFAULT_DRAIN_SECONDS, |d| d.timeout_seconds),
                )),
            }),
        );
        (address, http.port)
    });
    // Its own name: an SSM document's id is its name, and the reader maps a value equal to a
    // resource's id back to that resource (the group's other names are `name`).
    let document_name = format!("{name}-config");
    let document = a::server("ssm_document", g);
    let region = bp.metadata.region.clone();
    let bucket_name = |bucket: &str| catalog.names.bucket(bucket, &region);
    let product = match (&group.workbench, &workbench_secrets) {
        (Some(wb), Some(secrets)) => {
            workbench::node_lines(bp, group, wb, secrets, &workbench_names, bucket_name)
        }
        _ => Vec::new(),
    };
    let content = scripts::configure_document(bp, group, catalog.partition, bucket_name, product);
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
    // Workbench's cluster document: what every server must share, run on all at once.
    let mut cluster_association = match (&group.workbench, &workbench_secrets) {
        (Some(wb), Some(secrets)) => Some(cluster_configuration(
            catalog, bp, group, wb, secrets, &name, origin,
        )),
        _ => None,
    };
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
        cluster_association = cluster_association.map(|c| c.after(&Address::new(&instance)));
        recovery_alarm(catalog, bp, g, &key, &instance, origin);
        if let Some((target_group, port)) = &target_group
            && in_service
        {
            let mut attachment = Resource::new(
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
            .after(&Address::new(&association));
            if let Some(cluster) = &cluster_association {
                attachment = attachment.after(&cluster.address);
            }
            attachments.push(attachment);
        }
    }
    if let Some(count) = group.count {
        // State Manager applies the association to each server the group launches as its agent
        // registers (tag targets: "About State Manager", Systems Manager user guide), so the
        // association comes first and the group's wait for healthy servers sees them configured.
        let mut resource = Resource::new(
            a::server("autoscaling_group", g),
            K::AutoScalingGroup,
            asg_name.clone(),
            format!("{origin}.count"),
        )
        .props(&AutoScalingGroupProps {
            // Not `name`: a group's id is its name, which the reader would map back to it.
            name: asg_name.clone(),
            launch_template: template.clone(),
            launch_template_version: a::embed(&template, Some("defaultVersion")),
            subnets: catalog.subnets("private"),
            min_size: i64::from(count.min),
            max_size: i64::from(count.max),
            desired_capacity: Some(i64::from(count.desired)),
            target_groups: target_group.iter().map(|(tg, _)| tg.clone()).collect(),
            health_check_type: if target_group.is_some() { "ELB" } else { "EC2" }.into(),
            health_check_grace_period_seconds: HEALTH_CHECK_GRACE_SECONDS,
            new_instances_protected_from_scale_in: false,
        })
        .after(&Address::new(&association));
        if let Some(cluster) = &cluster_association {
            resource = resource.after(&cluster.address);
        }
        catalog.push(launching(resource, &name, &launch_after));
        if group.workbench.is_some() {
            workbench_drain_hook(catalog, group, &name, origin);
        }
    }
    catalog.push(association_resource);
    if let Some(cluster) = cluster_association {
        catalog.push(cluster);
    }
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
    let arm = group.arm64();
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

/// Reading the group's files from the blueprint's buckets: `s3:GetObject` on exactly them.
fn files_policy(catalog: &Catalog, group: &ServerGroup) -> Option<Value> {
    let region = &catalog.bp.metadata.region;
    let custom_balancer = group
        .workbench
        .as_ref()
        .and_then(|wb| wb.custom_balancer.as_deref())
        .and_then(crate::blueprint::model::bucket_source);
    let objects: Vec<String> = group
        .files
        .iter()
        .filter_map(|f| f.bucket_source())
        .chain(custom_balancer)
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
    if let (Some(http), Some(_)) = (&group.http, &group.workbench) {
        // The nodes proxy each other's sessions and launch jobs on each other ("Load
        // balancing: Configuration", Posit Workbench admin guide, requirement 9).
        for (key, port, what) in [
            ("workbench", http.port, "Workbench between the servers"),
            (
                "launcher",
                Workbench::LAUNCHER_PORT,
                "Workbench's job launcher between the servers",
            ),
        ] {
            built.push(
                Rule {
                    section: "servers",
                    key: format!("{g}_{key}_between"),
                    group: sg,
                    direction: "ingress",
                    protocol: "tcp",
                    from_port: i32::from(port),
                    to_port: i32::from(port),
                    peer: Peer::Group(sg),
                    description: what.into(),
                    origin,
                }
                .build(catalog),
            );
        }
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

/// Where a Workbench group's secrets are: the generated cookie key's secret (or the blueprint's
/// reference), and the database's RDS-managed master user secret.
fn workbench_secrets(bp: &Blueprint, g: &str, wb: &Workbench) -> workbench::Secrets {
    let database = match &bp.database {
        Some(db) if db.engine.is_aurora() => a::DB_CLUSTER,
        _ => a::DB_INSTANCE,
    };
    workbench::Secrets {
        cookie_key: if workbench::generates_cookie_key(wb) {
            a::embed(&a::server("secretsmanager_secret", g), Some("arn"))
        } else {
            wb.secure_cookie_key.clone()
        },
        database: a::embed(database, Some("masterUserSecretArn")),
    }
}

/// Workbench's cluster document and its association (returned: it waits for the fixed servers
/// it targets), with the generated cookie key's secret. A change to the document restarts every
/// server at once.
fn cluster_configuration(
    catalog: &mut Catalog,
    bp: &Blueprint,
    group: &ServerGroup,
    wb: &Workbench,
    secrets: &workbench::Secrets,
    name: &str,
    origin: &str,
) -> Resource {
    let g = group.name.as_str();
    let origin = format!("{origin}.workbench");
    if workbench::generates_cookie_key(wb) {
        workbench_cookie_key(catalog, g, name, &origin);
    }
    let key = format!("{g}-workbench");
    let document = a::server("ssm_document", &key);
    let document_name = format!("{name}-workbench");
    let mut resource = Resource::new(&document, K::SsmDocument, document_name.clone(), &origin)
        .props(&SsmDocumentProps {
            name: document_name,
            document_format: "JSON".into(),
            content: workbench::cluster_document(bp, group, wb, secrets),
        });
    resource.restarts = Some(format!(
        "every Workbench server of group `{g}` stops, takes the new version, cookie key or licence, and starts again at once: users' sessions are suspended and resume after"
    ));
    catalog.push(resource);
    let association_name = format!("{name}-install");
    Resource::new(
        a::server("ssm_association", &key),
        K::SsmAssociation,
        association_name.clone(),
        &origin,
    )
    .props(&SsmAssociationProps {
        association_name,
        document: document.clone(),
        document_version: a::embed(&document, Some("version")),
        targets: vec![SsmTarget {
            key: format!("tag:{SERVER_GROUP_TAG}"),
            values: vec![name.to_string()],
        }],
        // Every server at once: they must all run the same version with the same key.
        max_concurrency: "100%".into(),
        max_errors: "0".into(),
        schedule_expression: None,
    })
}

/// The secure cookie key: its adapter generates the value into Secrets Manager, where only the
/// servers read it; the plan never holds it.
fn workbench_cookie_key(catalog: &mut Catalog, g: &str, name: &str, origin: &str) {
    let secret_name = format!("{name}-cookie-key");
    catalog.push(
        Resource::new(
            a::server("secretsmanager_secret", g),
            K::SecretsmanagerSecret,
            secret_name.clone(),
            origin,
        )
        .props(&SecretProps {
            name: secret_name,
            description: format!("shinyctl: Workbench secure cookie key of server group {g}"),
            // Letters and digits only: the key is one line of `/etc/rstudio/secure-cookie-key`.
            generate: SecretGenerate {
                length: 64,
                exclude_punctuation: true,
            },
        }),
    );
}

/// The termination lifecycle hook the drain unit completes: a leaving server waits in
/// `Terminating:Wait` until its sessions are suspended, at most the drain's time, then goes
/// (`CONTINUE`: a server whose drain unit failed is still terminated).
fn workbench_drain_hook(catalog: &mut Catalog, group: &ServerGroup, name: &str, origin: &str) {
    let g = group.name.as_str();
    let hook = format!("{name}-drain");
    let seconds = group
        .drain
        .map_or(workbench::DEFAULT_DRAIN_SECONDS, |d| d.timeout_seconds);
    catalog.push(
        Resource::new(
            a::server("autoscaling_lifecycle_hook", g),
            K::AutoScalingLifecycleHook,
            hook.clone(),
            format!("{origin}.drain"),
        )
        .props(&AutoScalingLifecycleHookProps {
            name: hook,
            auto_scaling_group: a::server("autoscaling_group", g),
            lifecycle_transition: TERMINATING.into(),
            heartbeat_timeout_seconds: i64::from(seconds),
            default_result: "CONTINUE".into(),
        }),
    );
}
