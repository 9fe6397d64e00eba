//! `ecs`: container services on an ECS cluster (issue 16, seed 003). The cluster; on EC2
//! capacity an Auto Scaling group of ECS-optimised instances (protected from scale-in, scaled by
//! a capacity provider with managed scaling, termination protection and draining), their role
//! and security group open to the load balancer on the dynamic host ports only; per service a
//! log group, a task definition, a target group and its listener rule (`routes.rs`), the service
//! (rolling, with the circuit breaker and rollback) and its Application Auto Scaling target and
//! target-tracking policies. The task execution role may read exactly the secrets the services
//! name; each service has a task role of its own.

use serde_json::json;

use super::ecs_kinds::{
    EcsAwsLogs, EcsCapacityProviderProps, EcsClusterCapacityProvidersProps, EcsClusterProps,
    EcsContainerProps, EcsLoadBalancer, EcsPortMapping, EcsServiceProps, EcsStrategyItem,
    EcsTaskDefinitionProps,
};
use super::ingress::{TargetGroupProps, health_check_props, stickiness_props};
use super::scaling_kinds::{LogGroupProps, ScalableTargetProps, ScalingPolicyProps};
use super::security::{Peer, Rule, group as security_group};
use super::servers::{AutoScalingGroupProps, LaunchTemplateProps};
use super::{Catalog, addresses as a, iam};
use crate::blueprint::images::REGISTRY_PREFIX;
use crate::blueprint::model::{Ecs, EcsService};
use crate::plan::{Address, Resource, ResourceKind as K};

const SECTION: &str = "ecs";
pub(crate) const CLUSTER: &str = "ecs.ecs_cluster";
const CAPACITY_PROVIDER: &str = "ecs.ecs_capacity_provider";
/// The cluster's capacity providers and default strategy: read with the cluster, at this
/// address (`aws/services/ecs/ecs_cluster.rs`).
const ASSOCIATION: &str = "ecs.ecs_cluster.capacity_providers";
const SG: &str = "ecs.security_group";
const INSTANCE_ROLE: &str = "ecs.iam_role.instance";
const EXECUTION_ROLE: &str = "ecs.iam_role.execution";
const LAUNCH_TEMPLATE: &str = "ecs.launch_template";
const AUTOSCALING_GROUP: &str = "ecs.autoscaling_group";
/// The dynamic host ports the agent gives bridge-mode tasks, set in its configuration
/// (`ECS_DYNAMIC_HOST_PORT_RANGE`, "Amazon ECS container agent configuration"): the Linux
/// ephemeral range, which the instances' security group opens to the load balancer only.
const DYNAMIC_PORTS: (i32, i32) = (32768, 60999);
/// The agent's own reservation (`ECS_RESERVED_MEMORY`); validation leaves room for it and the OS.
const AGENT_RESERVED_MEMORY_MIB: u32 = 256;
/// How long a new task's failed health checks do not count (the ECS console's default is 0,
/// which stops tasks still starting; Copilot uses 60).
const HEALTH_CHECK_GRACE_SECONDS: i64 = 60;
/// Target tracking's cooldowns (Application Auto Scaling's defaults for ECS: 300 s each).
const COOLDOWN_SECONDS: i64 = 300;
/// What the instances run: the ECS-optimised Amazon Linux 2023 image, from AWS's public SSM
/// parameter at each launch ("Retrieving Amazon ECS-optimized Linux AMI metadata").
const ECS_IMAGE_X86: &str =
    "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
const ECS_IMAGE_ARM: &str =
    "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id";

pub(crate) fn build(catalog: &mut Catalog) {
    let bp = catalog.bp;
    let Some(ecs) = &bp.ecs else { return };
    let cluster_name = catalog.names.label("ecs");
    catalog.push(
        Resource::new(CLUSTER, K::EcsCluster, cluster_name.clone(), SECTION).props(
            &EcsClusterProps {
                name: cluster_name.clone(),
                container_insights: ecs.container_insights,
            },
        ),
    );
    security(catalog, ecs);
    execution_role(catalog, ecs);
    // On EC2 the services place their tasks through the capacity provider, which the cluster
    // lists with it as the default strategy; on Fargate they name the launch type.
    let placement = (!ecs.capacity.fargate).then(|| {
        ec2_capacity(catalog, ecs, &cluster_name);
        let strategy = vec![EcsStrategyItem {
            capacity_provider: CAPACITY_PROVIDER.into(),
            weight: 1,
            base: 0,
        }];
        catalog.push(
            Resource::new(
                ASSOCIATION,
                K::EcsClusterCapacityProviders,
                cluster_name.clone(),
                "ecs.capacity",
            )
            .props(&EcsClusterCapacityProvidersProps {
                cluster: CLUSTER.into(),
                capacity_providers: vec![CAPACITY_PROVIDER.into()],
                default_strategy: strategy.clone(),
            }),
        );
        strategy
    });
    for (i, service) in ecs.services.iter().enumerate() {
        build_service(
            catalog,
            ecs,
            service,
            &format!("ecs.services[{i}]"),
            placement.as_deref(),
        );
    }
}

/// The tasks' (Fargate) or instances' (EC2) security group: in from the load balancer on the
/// services' ports (Fargate) or the dynamic host ports (EC2), out to anywhere (images, logs,
/// secrets, the ECS API).
fn security(catalog: &mut Catalog, ecs: &Ecs) {
    let sg = security_group(catalog, SG, "ecs", "ECS tasks and instances", SECTION);
    catalog.push(sg);
    let mut rules = vec![
        Rule {
            section: SECTION,
            key: "egress".into(),
            group: SG,
            direction: "egress",
            protocol: "-1",
            from_port: -1,
            to_port: -1,
            peer: Peer::Cidr("0.0.0.0/0"),
            description: "outbound from ECS (images, logs, secrets, the ECS API)".into(),
            origin: SECTION,
        }
        .build(catalog),
    ];
    if catalog.bp.ingress.is_some() {
        let mut ranges: Vec<(i32, i32)> = if ecs.capacity.fargate {
            ecs.services
                .iter()
                .filter(|s| s.http.is_some())
                .filter_map(|s| s.port.map(|p| (i32::from(p), i32::from(p))))
                .collect()
        } else {
            vec![DYNAMIC_PORTS]
        };
        ranges.sort_unstable();
        ranges.dedup();
        for (from, to) in ranges {
            let key = if from == to {
                format!("{from}")
            } else {
                format!("{from}-{to}")
            };
            rules.push(
                Rule {
                    section: SECTION,
                    key: format!("from_lb_{key}"),
                    group: SG,
                    direction: "ingress",
                    protocol: "tcp",
                    from_port: from,
                    to_port: to,
                    peer: Peer::Group(a::LB_SG),
                    description: "from the load balancer".into(),
                    origin: SECTION,
                }
                .build(catalog),
            );
            rules.push(
                Rule {
                    section: "ingress",
                    key: format!("lb_to_ecs_{key}"),
                    group: a::LB_SG,
                    direction: "egress",
                    protocol: "tcp",
                    from_port: from,
                    to_port: to,
                    peer: Peer::Group(SG),
                    description: "to the ECS tasks".into(),
                    origin: SECTION,
                }
                .build(catalog),
            );
        }
    }
    for rule in rules {
        catalog.push(rule);
    }
}

/// What ECS itself runs tasks with: pulls images, writes logs, reads the services' secrets
/// (exactly those: "Required IAM permissions for Amazon ECS secrets").
fn execution_role(catalog: &mut Catalog, ecs: &Ecs) {
    iam::role(
        catalog,
        iam::Role {
            section: SECTION,
            address: EXECUTION_ROLE,
            key: "execution",
            name: catalog.names.label("ecs-execution"),
            trust: iam::service_trust(catalog.partition, "ecs-tasks"),
            description: "ECS task execution (images, logs, secrets)",
            managed: &["service-role/AmazonECSTaskExecutionRolePolicy"],
            origin: SECTION,
        },
    );
    let region = &catalog.bp.metadata.region;
    let mut secrets = Vec::new();
    let mut parameters = Vec::new();
    for reference in ecs.services.iter().flat_map(|s| s.secrets.values()) {
        match iam::secret_arn(catalog.partition, region, reference) {
            Some(iam::SecretArn::Secret(arn)) => secrets.push(arn),
            Some(iam::SecretArn::Parameter(arn)) => parameters.push(arn),
            None => {}
        }
    }
    secrets.sort();
    secrets.dedup();
    parameters.sort();
    parameters.dedup();
    let mut statements = Vec::new();
    if !secrets.is_empty() {
        statements.push(json!({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets}));
    }
    if !parameters.is_empty() {
        statements.push(
            json!({"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameters}),
        );
    }
    if !statements.is_empty() {
        iam::set_inline_policy(
            catalog,
            EXECUTION_ROLE,
            "secrets",
            json!({"Version": "2012-10-17", "Statement": statements}),
        );
    }
}

/// EC2 capacity: the instances' role and profile, a launch template of the ECS-optimised image
/// (the agent joins the cluster; IMDS hop limit 1), an Auto Scaling group protected from
/// scale-in (ECS decides which instance may go: managed termination protection), and the
/// capacity provider that scales it.
fn ec2_capacity(catalog: &mut Catalog, ecs: &Ecs, cluster_name: &str) {
    let capacity = &ecs.capacity;
    let name = catalog.names.label("ecs-instance");
    iam::role(
        catalog,
        iam::Role {
            section: SECTION,
            address: INSTANCE_ROLE,
            key: "instance",
            name: name.clone(),
            trust: iam::service_trust(catalog.partition, "ec2"),
            description: "ECS container instances",
            managed: &[
                "service-role/AmazonEC2ContainerServiceforEC2Role",
                "AmazonSSMManagedInstanceCore",
            ],
            origin: "ecs.capacity",
        },
    );
    let profile = "ecs.iam_instance_profile";
    catalog.push(
        Resource::new(profile, K::IamInstanceProfile, name.clone(), "ecs.capacity").props(
            &iam::IamInstanceProfileProps {
                name: name.clone(),
                path: "/".into(),
                role: INSTANCE_ROLE.into(),
            },
        ),
    );
    let first_type = capacity.instance_types.first().cloned().unwrap_or_default();
    let arm = crate::blueprint::model::is_arm64(&first_type);
    catalog.push(
        Resource::new(
            LAUNCH_TEMPLATE,
            K::LaunchTemplate,
            name.clone(),
            "ecs.capacity",
        )
        .props(&LaunchTemplateProps {
            name: name.clone(),
            image_id: if arm { ECS_IMAGE_ARM } else { ECS_IMAGE_X86 }.into(),
            instance_type: first_type,
            instance_profile: profile.into(),
            security_groups: vec![SG.into()],
            root_volume_gib: 30,
            user_data: agent_configuration(cluster_name),
            metadata_hop_limit: 1,
        }),
    );
    let launch_after: Vec<Address> = catalog
        .attachments_of(INSTANCE_ROLE)
        .into_iter()
        .chain(catalog.private_routes())
        .collect();
    let asg_name = catalog.names.label("ecs-asg");
    let min = capacity.min.unwrap_or(1);
    let mut asg = Resource::new(
        AUTOSCALING_GROUP,
        K::AutoScalingGroup,
        asg_name.clone(),
        "ecs.capacity",
    )
    .props(&AutoScalingGroupProps {
        name: asg_name,
        launch_template: LAUNCH_TEMPLATE.into(),
        launch_template_version: a::embed(LAUNCH_TEMPLATE, Some("defaultVersion")),
        subnets: catalog.subnets("private"),
        min_size: i64::from(min),
        max_size: i64::from(capacity.max.unwrap_or(min).max(min)),
        // Managed scaling sets it (Terraform's docs for a capacity provider's group: ignore
        // changes to desired_capacity).
        desired_capacity: None,
        target_groups: vec![],
        health_check_type: "EC2".into(),
        health_check_grace_period_seconds: 0,
        // ECS chooses which instance may go (managed termination protection needs it).
        new_instances_protected_from_scale_in: true,
    })
    // The instances register with the cluster named in their configuration.
    .after(&Address::new(CLUSTER));
    for dependency in &launch_after {
        asg = asg.after(dependency);
    }
    catalog.push(asg);
    let provider_name = catalog.names.label("ecs-capacity");
    catalog.push(
        Resource::new(
            CAPACITY_PROVIDER,
            K::EcsCapacityProvider,
            provider_name.clone(),
            "ecs.capacity",
        )
        .props(&EcsCapacityProviderProps {
            name: provider_name,
            auto_scaling_group: AUTOSCALING_GROUP.into(),
            managed_scaling: true,
            target_capacity: i64::from(capacity.target_capacity_percent),
            managed_termination_protection: true,
            managed_draining: true,
        }),
    );
}

/// The ECS agent's configuration (`/etc/ecs/ecs.config`, "Amazon ECS container agent
/// configuration"): the cluster, the dynamic host ports, the memory the agent keeps, and no
/// task may reach the instance's role through the metadata service.
fn agent_configuration(cluster_name: &str) -> String {
    format!(
        "#!/bin/bash\n\
         # shinyctl: ECS container instance of cluster {cluster_name}\n\
         cat >> /etc/ecs/ecs.config <<'EOF'\n\
         ECS_CLUSTER={cluster_name}\n\
         ECS_DYNAMIC_HOST_PORT_RANGE={}-{}\n\
         ECS_RESERVED_MEMORY={AGENT_RESERVED_MEMORY_MIB}\n\
         ECS_AWSVPC_BLOCK_IMDS=true\n\
         ECS_ENABLE_TASK_IAM_ROLE=true\n\
         EOF\n",
        DYNAMIC_PORTS.0, DYNAMIC_PORTS.1
    )
}

fn build_service(
    catalog: &mut Catalog,
    ecs: &Ecs,
    service: &EcsService,
    origin: &str,
    strategy: Option<&[EcsStrategyItem]>,
) {
    let s = service.name.as_str();
    let fargate = ecs.capacity.fargate;
    let region = catalog.bp.metadata.region.clone();
    let log_group = a::ecs("cloudwatch_log_group", s);
    let log_name = format!("/ecs/{}/{s}", catalog.bp.metadata.name);
    catalog.push(
        Resource::new(&log_group, K::CloudWatchLogGroup, log_name.clone(), origin).props(
            &LogGroupProps {
                name: log_name,
                retention_days: Some(30),
            },
        ),
    );
    let task_role = a::iam_role(SECTION, &format!("task_{s}"));
    iam::role(
        catalog,
        iam::Role {
            section: SECTION,
            address: &task_role,
            key: &format!("task_{s}"),
            name: catalog.names.label(&format!("ecs-task-{s}")),
            trust: iam::service_trust(catalog.partition, "ecs-tasks"),
            description: "an ECS service's tasks",
            managed: &[],
            origin,
        },
    );
    let family = catalog.names.label(&format!("ecs-{s}"));
    let task_definition = a::ecs("ecs_task_definition", s);
    let container_port = service.port.map(i64::from);
    catalog.push(
        Resource::new(
            &task_definition,
            K::EcsTaskDefinition,
            family.clone(),
            origin,
        )
        .props(&EcsTaskDefinitionProps {
            family: family.clone(),
            network_mode: if fargate { "awsvpc" } else { "bridge" }.into(),
            requires_compatibilities: vec![if fargate { "FARGATE" } else { "EC2" }.into()],
            cpu: fargate.then(|| service.cpu.unwrap_or(256).to_string()),
            memory: fargate.then(|| service.memory.to_string()),
            execution_role: Some(EXECUTION_ROLE.into()),
            task_role: Some(task_role.clone()),
            containers: vec![EcsContainerProps {
                name: s.to_string(),
                image: image(&service.image),
                command: service.command.clone(),
                essential: true,
                memory: Some(i64::from(service.memory)),
                memory_reservation: None,
                cpu: service.cpu.map(i64::from),
                port_mappings: container_port
                    .map(|port| EcsPortMapping {
                        container_port: port,
                        // Bridge mode: a dynamic host port; awsvpc: the container's own.
                        host_port: if fargate { port } else { 0 },
                        protocol: "tcp".into(),
                    })
                    .into_iter()
                    .collect(),
                environment: service.env.clone(),
                secrets: service
                    .secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), value_from(catalog, v)))
                    .collect(),
                log: Some(EcsAwsLogs {
                    group: log_group.clone(),
                    region: region.clone(),
                    stream_prefix: s.to_string(),
                }),
            }],
        }),
    );
    let target_group = service.http.as_ref().map(|http| {
        let address = a::ecs("target_group", s);
        let name = catalog.names.label(&format!("ecs-{s}"));
        catalog.push(
            Resource::new(
                &address,
                K::TargetGroup,
                name.clone(),
                format!("{origin}.http"),
            )
            .props(&TargetGroupProps {
                name,
                protocol: "HTTP".into(),
                port: service.port.unwrap_or(80),
                // Bridge mode registers instances on their dynamic ports; awsvpc the tasks' IPs.
                target_type: if fargate { "ip" } else { "instance" }.into(),
                vpc: a::VPC.into(),
                health_check: health_check_props(&http.health_check),
                stickiness: Some(stickiness_props(http.stickiness.as_ref())),
                deregistration_delay_seconds: Some(300),
            }),
        );
        address
    });
    let service_address = a::ecs("ecs_service", s);
    let mut resource = Resource::new(&service_address, K::EcsService, s.to_string(), origin).props(
        &EcsServiceProps {
            name: s.to_string(),
            cluster: CLUSTER.into(),
            task_definition: a::embed(&task_definition, Some("revisionArn")),
            desired_count: i64::from(service.count.min),
            launch_type: fargate.then(|| "FARGATE".to_string()),
            capacity_provider_strategy: strategy.map(<[_]>::to_vec).unwrap_or_default(),
            load_balancers: target_group
                .iter()
                .map(|tg| EcsLoadBalancer {
                    target_group: tg.clone(),
                    container_name: s.to_string(),
                    container_port: container_port.unwrap_or(80),
                })
                .collect(),
            subnets: if fargate {
                catalog.subnets("private")
            } else {
                vec![]
            },
            security_groups: if fargate { vec![SG.into()] } else { vec![] },
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker: true,
            spread_by_zone: !fargate,
            health_check_grace_period_seconds: target_group
                .as_ref()
                .map(|_| HEALTH_CHECK_GRACE_SECONDS),
            enable_ecs_managed_tags: true,
            propagate_tags: "SERVICE".into(),
        },
    );
    // The cluster's capacity providers are set before a service uses its strategy.
    if strategy.is_some() {
        resource = resource.after(&Address::new(ASSOCIATION));
    }
    // Its tasks pull their images through the NAT.
    for route in catalog.private_routes() {
        resource = resource.after(&route);
    }
    // A target group is usable by a service once a listener or rule forwards to it.
    let routes = catalog.bp.routes();
    let route = routes.iter().find(|r| {
        matches!(r.target, crate::blueprint::model::RouteTarget::Service(x) if x.name == service.name)
    });
    for forwarder in route
        .map(|r| super::routes::forwarders(catalog.bp, r))
        .unwrap_or_default()
    {
        resource = resource.after(&Address::new(forwarder));
    }
    catalog.push(resource);
    scaling(
        catalog,
        service,
        &service_address,
        target_group.as_deref(),
        origin,
    );
}

/// `registry:NAME:TAG` as the blueprint's repository's URI with the tag; any other reference as
/// written.
fn image(written: &str) -> String {
    let Some(reference) = written.strip_prefix(REGISTRY_PREFIX) else {
        return written.to_string();
    };
    let (name, rest) = match reference.split_once('@') {
        Some((name, digest)) => (name, format!("@{digest}")),
        None => match reference.rsplit_once(':') {
            Some((name, tag)) => (name, format!(":{tag}")),
            None => (reference, String::new()),
        },
    };
    format!("{}{rest}", a::embed(&a::ecr_repository(name), Some("uri")))
}

/// A secret reference as the container's `valueFrom`: an SSM parameter's name, or a Secrets
/// Manager secret's partial ARN with the JSON key (`arn:…:secret:NAME:KEY::`: "Pass Secrets
/// Manager secrets through Amazon ECS environment variables").
fn value_from(catalog: &Catalog, reference: &str) -> String {
    if let Some(parameter) = reference.strip_prefix("ssm:") {
        return parameter.to_string();
    }
    let rest = reference
        .strip_prefix("secretsmanager:")
        .unwrap_or(reference);
    let (name, key) = rest.split_once('#').unwrap_or((rest, ""));
    format!(
        "{}:secretsmanager:{}:{}:secret:{name}:{key}::",
        catalog.partition.arn_prefix(),
        catalog.bp.metadata.region,
        catalog.names.account()
    )
}

/// The service's scalable target and its target-tracking policies: on its average CPU, and on
/// the load balancer's requests per task.
fn scaling(
    catalog: &mut Catalog,
    service: &EcsService,
    service_address: &str,
    target_group: Option<&str>,
    origin: &str,
) {
    let s = service.name.as_str();
    let count = service.count;
    let target = a::ecs("appautoscaling_target", s);
    catalog.push(
        Resource::new(
            &target,
            K::AppAutoScalingTarget,
            format!("service/{}/{s}", catalog.names.label("ecs")),
            format!("{origin}.count"),
        )
        .props(&ScalableTargetProps {
            cluster: CLUSTER.into(),
            service: service_address.into(),
            min_capacity: i64::from(count.min),
            max_capacity: i64::from(count.max),
        }),
    );
    let mut policies: Vec<(&str, &str, f64, Option<&str>)> = Vec::new();
    if let Some(cpu) = count.cpu_percent {
        policies.push((
            "cpu",
            "ECSServiceAverageCPUUtilization",
            f64::from(cpu),
            None,
        ));
    }
    if let (Some(requests), Some(tg)) = (count.requests_per_task, target_group) {
        policies.push((
            "requests",
            "ALBRequestCountPerTarget",
            f64::from(requests),
            Some(tg),
        ));
    }
    for (key, metric, value, tg) in policies {
        let name = catalog.names.label(&format!("ecs-{s}-{key}"));
        catalog.push(
            Resource::new(
                a::ecs("appautoscaling_policy", &format!("{s}-{key}")),
                K::AppAutoScalingPolicy,
                name.clone(),
                format!("{origin}.count"),
            )
            .props(&ScalingPolicyProps {
                name,
                target: target.clone(),
                metric: metric.into(),
                target_value: value,
                load_balancer: tg.map(|_| a::LOAD_BALANCER.to_string()),
                target_group: tg.map(str::to_string),
                scale_in_cooldown_seconds: COOLDOWN_SECONDS,
                scale_out_cooldown_seconds: COOLDOWN_SECONDS,
            }),
        );
    }
}
