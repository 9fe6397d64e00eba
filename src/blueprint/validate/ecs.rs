//! `ecs`: container services (seed 003) — the capacity, each service's task size against it,
//! its image, environment and secrets, its route and its scaling.

use super::Problems;
use super::servers::check_instance_type;
use super::text::{check_secret_ref, is_dns_label, report_duplicates};
use crate::blueprint::model::{Blueprint, Ecs, EcsCapacity, EcsService, LoadBalancerType};
use crate::blueprint::problem::{Problem, child, item};

const PATH: &str = "ecs";
/// What a service's name is part of: its target group's name (`<blueprint>-ecs-<service>`, at
/// most 32 characters, botocore elbv2 `TargetGroupName`); the name checks after planning hold the
/// whole names to AWS's limits.
const MAX_SERVICE_NAME: usize = 20;
/// An Auto Scaling group's largest size here (as for server groups).
const MAX_INSTANCES: u32 = 100;
/// Memory the instance keeps for itself and the ECS agent: the agent's `ECS_RESERVED_MEMORY`
/// that shinyctl sets, and the operating system's share the agent does not register ("Container
/// instance memory management", Amazon ECS developer guide).
pub(crate) const RESERVED_MEMORY_MIB: u32 = 512;
/// The smallest container memory limit ECS takes: 6 MiB (botocore `ecs` ContainerDefinition
/// `memory`: "The Docker 20.10.0 or later daemon reserves a minimum of 6 MiB").
const MIN_MEMORY_MIB: u32 = 6;
/// Rules on one ALB listener (Elastic Load Balancing quotas, "Rules per Application Load
/// Balancer": 100, default actions not counted).
pub(crate) const MAX_LISTENER_RULES: usize = 100;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(ecs) = &bp.ecs else { return };
    check_capacity(&ecs.capacity, &child(PATH, "capacity"), out);
    let base = child(PATH, "services");
    if ecs.services.is_empty() {
        out.push(
            Problem::new(&base, "no services").hint(
                "add one: `{name: web, image: registry:erp/web:v1, port: 80, memory: 512, count: {min: 2, max: 4}}`",
            ),
        );
    }
    report_duplicates(
        out,
        ecs.services
            .iter()
            .enumerate()
            .map(|(i, s)| (child(&item(&base, i), "name"), s.name.as_str())),
        "service name",
    );
    for (i, service) in ecs.services.iter().enumerate() {
        check_service(bp, ecs, service, &item(&base, i), out);
    }
    if bp.network.is_none() {
        out.push(
            Problem::new(PATH, "services need a network, and the blueprint has none")
                .hint("add a `network` section: the tasks run in its private subnets"),
        );
    }
}

fn check_capacity(capacity: &EcsCapacity, path: &str, out: &mut Problems) {
    let ec2 =
        !capacity.instance_types.is_empty() || capacity.min.is_some() || capacity.max.is_some();
    if capacity.fargate == ec2 {
        out.push(
            Problem::new(path, "give either EC2 capacity (`instanceTypes`, `min`, `max`) or `fargate: true`, exactly one")
                .hint("`capacity: {instanceTypes: [m6i.large], min: 2, max: 8}` or `capacity: {fargate: true}`"),
        );
        return;
    }
    if capacity.fargate {
        return;
    }
    if capacity.instance_types.is_empty() {
        out.push(
            Problem::new(child(path, "instanceTypes"), "no instance types")
                .hint("name at least one, e.g. `instanceTypes: [m6i.large]`"),
        );
    }
    for (i, t) in capacity.instance_types.iter().enumerate() {
        check_instance_type(t, &item(&child(path, "instanceTypes"), i), out);
    }
    match (capacity.min, capacity.max) {
        (Some(min), Some(max)) if min <= max && (1..=MAX_INSTANCES).contains(&max) => {}
        (Some(min), Some(max)) => out.push(
            Problem::new(path, format!("min {min}, max {max} is not a size")).hint(format!(
                "min ≤ max, max from 1 to {MAX_INSTANCES}, e.g. `min: 2, max: 8`"
            )),
        ),
        _ => out.push(
            Problem::new(path, "EC2 capacity needs `min` and `max` instances")
                .hint("e.g. `min: 2, max: 8`: ECS scales the instances between them"),
        ),
    }
    if !(1..=100).contains(&capacity.target_capacity_percent) {
        out.push(
            Problem::new(
                child(path, "targetCapacityPercent"),
                format!("{}% is outside 1..100", capacity.target_capacity_percent),
            )
            .hint("100 fills the instances; 90 keeps room for a task to start at once"),
        );
    }
}

fn check_service(bp: &Blueprint, ecs: &Ecs, service: &EcsService, path: &str, out: &mut Problems) {
    if !is_dns_label(&service.name) || service.name.len() > MAX_SERVICE_NAME {
        out.push(
            Problem::new(child(path, "name"), format!("`{}` is not a valid service name", service.name))
                .hint(format!("use up to {MAX_SERVICE_NAME} lowercase letters, digits and hyphens: the name is part of the target group's name")),
        );
    }
    check_image(bp, &service.image, &child(path, "image"), out);
    check_size(ecs, service, path, out);
    for (key, value) in &service.env {
        check_variable_name(key, &child(&child(path, "env"), key), out);
        if value.contains('\n') {
            out.push(
                Problem::new(
                    child(&child(path, "env"), key),
                    "a value over several lines",
                )
                .hint("keep an environment value on one line"),
            );
        }
    }
    for (key, reference) in &service.secrets {
        let at = child(&child(path, "secrets"), key);
        check_variable_name(key, &at, out);
        if service.env.contains_key(key) {
            out.push(
                Problem::new(&at, format!("`{key}` is also in `env`"))
                    .hint("a variable comes from `env` or from `secrets`, not both"),
            );
        }
        // `secretsmanager:NAME#KEY` takes one key of a JSON secret.
        let without_key = reference
            .strip_prefix("secretsmanager:")
            .and_then(|rest| rest.split_once('#'))
            .map_or(reference.clone(), |(name, _)| {
                format!("secretsmanager:{name}")
            });
        check_secret_ref(out, &at, &without_key);
    }
    check_count(service, path, out);
    match &service.http {
        Some(http) => {
            let at = child(path, "http");
            if service.port.is_none() {
                out.push(
                    Problem::new(
                        child(path, "port"),
                        "`http` routes to the container's port, and none is given",
                    )
                    .hint("add `port: 80` (the port the container listens on)"),
                );
            }
            match bp.ingress.as_ref().map(|i| i.kind) {
                None => out.push(
                    Problem::new(&at, "`http` routes the load balancer's traffic, and the blueprint has no `ingress`")
                        .hint("add an `ingress` section with `type: alb`, or remove `http`"),
                ),
                Some(LoadBalancerType::Nlb) => out.push(
                    Problem::new(&at, "an NLB cannot route by path to services")
                        .hint("use `ingress.type: alb`"),
                ),
                Some(LoadBalancerType::Alb) => {}
            }
            super::ingress::check_route(&http.path, "/app1", &at, out);
            super::ingress::check_health_check(&http.health_check, &child(&at, "healthCheck"), out);
            if let Some(sticky) = &http.stickiness {
                super::ingress::check_stickiness(sticky, true, &child(&at, "stickiness"), out);
            }
        }
        None if service.count.requests_per_task.is_some() => out.push(
            Problem::new(
                child(&child(path, "count"), "requestsPerTask"),
                "requests per task are counted at the load balancer, and the service has no `http`",
            )
            .hint("add `http: {path: /x}`, or scale on `cpuPercent`"),
        ),
        None => {}
    }
}

/// `registry:NAME:TAG` of the blueprint's ECR or a tagged image (as the proxy's apps); `:latest`
/// is a warning: the task definition never changes, so a new image never rolls out.
fn check_image(bp: &Blueprint, image: &str, path: &str, out: &mut Problems) {
    super::proxy::check_image(bp, image, path, out);
    let last = image.rsplit('/').next().unwrap_or(image);
    if !last.contains('@') && last.split_once(':').is_some_and(|(_, tag)| tag == "latest") {
        out.push(
            Problem::warning(path, format!("`{image}` follows `latest`: the task definition never changes, so a new image is never rolled out"))
                .hint("pin a tag or a digest, e.g. `:v1`, and change it to roll out"),
        );
    }
}

/// Fargate's task sizes ("Task CPU and memory", Amazon ECS developer guide: each CPU value's
/// memory range and step in MiB).
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16_384, 1024),
    (4096, 8192, 30_720, 1024),
    (8192, 16_384, 61_440, 4096),
    (16_384, 32_768, 122_880, 8192),
];

/// Whether Fargate runs a task of `cpu` units and `memory` MiB.
pub(crate) fn fargate_size_ok(cpu: u32, memory: u32) -> bool {
    FARGATE_SIZES.iter().any(|(c, low, high, step)| {
        // 256 CPU units take 512, 1024 or 2048 MiB.
        let on_step = if *c == 256 {
            [512, 1024, 2048].contains(&memory)
        } else {
            (memory - low.min(&memory)) % step == 0
        };
        cpu == *c && (*low..=*high).contains(&memory) && on_step
    })
}

fn check_size(ecs: &Ecs, service: &EcsService, path: &str, out: &mut Problems) {
    if service.memory < MIN_MEMORY_MIB {
        out.push(
            Problem::new(
                child(path, "memory"),
                format!("{} MiB is below ECS's 6 MiB", service.memory),
            )
            .hint("give the task's memory in MiB, e.g. `memory: 512`"),
        );
        return;
    }
    if ecs.capacity.fargate {
        match service.cpu {
            None => out.push(
                Problem::new(child(path, "cpu"), "Fargate needs the task's CPU")
                    .hint("add `cpu: 256` (a quarter vCPU) or another Fargate size"),
            ),
            Some(cpu) if !fargate_size_ok(cpu, service.memory) => out.push(
                Problem::new(path, format!("Fargate has no task of {cpu} CPU units and {} MiB", service.memory))
                    .hint("pick a Fargate size: 256 CPU with 512, 1024 or 2048 MiB; 512 with 1–4 GiB; 1024 with 2–8 GiB; 2048 with 4–16 GiB; 4096 with 8–30 GiB (in 1 GiB steps)"),
            ),
            Some(_) => {}
        }
        return;
    }
    // On EC2: the task fits at least one of the capacity's instance types.
    let sizes: Vec<(&str, u32, u32)> = ecs
        .capacity
        .instance_types
        .iter()
        .filter_map(|t| instance_size(t).map(|(vcpu, mib)| (t.as_str(), vcpu, mib)))
        .collect();
    if sizes.is_empty() || sizes.len() < ecs.capacity.instance_types.len() {
        return; // a type shinyctl has no size for: EC2 decides at placement.
    }
    let fits = sizes.iter().any(|(_, vcpu, mib)| {
        service.memory + RESERVED_MEMORY_MIB <= *mib
            && service.cpu.is_none_or(|cpu| cpu <= vcpu * 1024)
    });
    if !fits {
        let largest = sizes.iter().map(|(_, _, mib)| *mib).max().unwrap_or(0);
        out.push(
            Problem::new(
                path,
                format!(
                    "a task of {} MiB{} fits on none of {}",
                    service.memory,
                    service.cpu.map(|c| format!(" and {c} CPU units")).unwrap_or_default(),
                    sizes.iter().map(|(t, _, _)| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint(format!(
                "an instance keeps {RESERVED_MEMORY_MIB} MiB for itself and the ECS agent: at most {} MiB here; use a larger instance type or a smaller task",
                largest.saturating_sub(RESERVED_MEMORY_MIB)
            )),
        );
    }
}

/// `(vCPUs, MiB)` of the general-purpose, compute and memory families shinyctl knows ("Amazon
/// EC2 instance type specifications": m 4 GiB, c 2 GiB, r 8 GiB per vCPU; t3 by size).
pub(crate) fn instance_size(instance_type: &str) -> Option<(u32, u32)> {
    let (family, size) = instance_type.split_once('.')?;
    if family == "t3" || family == "t3a" {
        let (vcpu, gib) = match size {
            "micro" => (2, 1),
            "small" => (2, 2),
            "medium" => (2, 4),
            "large" => (2, 8),
            "xlarge" => (4, 16),
            "2xlarge" => (8, 32),
            _ => return None,
        };
        return Some((vcpu, gib * 1024));
    }
    let per_vcpu_gib = match family.chars().next()? {
        'm' => 4,
        'c' => 2,
        'r' => 8,
        _ => return None,
    };
    let generation_ok = matches!(
        family,
        "m4" | "m5"
            | "m5a"
            | "m6i"
            | "m6a"
            | "m7i"
            | "m7a"
            | "c4"
            | "c5"
            | "c5a"
            | "c6i"
            | "c6a"
            | "c7i"
            | "c7a"
            | "r4"
            | "r5"
            | "r5a"
            | "r6i"
            | "r6a"
            | "r7i"
            | "r7a"
    );
    if !generation_ok {
        return None;
    }
    let vcpu = match size {
        "large" => 2,
        "xlarge" => 4,
        other => 4 * other.strip_suffix("xlarge")?.parse::<u32>().ok()?,
    };
    Some((vcpu, vcpu * per_vcpu_gib * 1024))
}

fn check_variable_name(key: &str, path: &str, out: &mut Problems) {
    let ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        out.push(
            Problem::new(path, format!("`{key}` is not an environment variable name"))
                .hint("letters, digits and `_`, not starting with a digit, e.g. `DB_PASSWORD`"),
        );
    }
}

fn check_count(service: &EcsService, path: &str, out: &mut Problems) {
    let at = child(path, "count");
    let count = service.count;
    if count.max == 0 || count.min > count.max {
        out.push(
            Problem::new(
                &at,
                format!("min {}, max {} is not a size", count.min, count.max),
            )
            .hint("min ≤ max and max at least 1, e.g. `{min: 2, max: 10, cpuPercent: 60}`"),
        );
    }
    if count.min < count.max && count.cpu_percent.is_none() && count.requests_per_task.is_none() {
        out.push(Problem::new(&at, "a range with nothing to scale on").hint(
            "add `cpuPercent: 60` or `requestsPerTask: 1000`, or make `min` and `max` equal",
        ));
    }
    if let Some(cpu) = count.cpu_percent
        && !(1..=100).contains(&cpu)
    {
        out.push(
            Problem::new(
                child(&at, "cpuPercent"),
                format!("{cpu}% is outside 1..100"),
            )
            .hint("the average CPU the service is kept at, e.g. 60"),
        );
    }
    if count.requests_per_task == Some(0) {
        out.push(
            Problem::new(child(&at, "requestsPerTask"), "0 requests per task")
                .hint("the requests per task per minute the service is kept at, e.g. 1000"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::validate::validate;

    /// Seed 003's shape, as `blueprints/saas-ecs.yaml`.
    const SAAS: &str = r#"{
      "apiVersion": "shinyctl.dev/v1alpha1", "kind": "Blueprint",
      "metadata": {"name": "erp", "region": "us-east-1"},
      "network": {"cidr": "10.40.0.0/16", "availabilityZones": 2},
      "registry": {"repositories": [{"name": "erp/web-app"}]},
      "ingress": {"type": "alb", "listeners": [{"port": 80, "protocol": "HTTP"}]},
      "ecs": {
        "capacity": {"instanceTypes": ["m6i.large"], "min": 2, "max": 8, "targetCapacityPercent": 90},
        "services": [
          {"name": "web", "image": "registry:erp/web-app:v1", "port": 80, "memory": 512,
           "count": {"min": 2, "max": 10, "cpuPercent": 60, "requestsPerTask": 1000},
           "http": {"path": "/", "healthCheck": {"path": "/index.php"}}},
          {"name": "app1", "image": "registry:erp/web-app:v1", "port": 80, "memory": 512,
           "env": {"APP": "app1"}, "secrets": {"DB_PASSWORD": "secretsmanager:erp/db#password"},
           "count": {"min": 2, "max": 6, "cpuPercent": 60},
           "http": {"path": "/app1", "healthCheck": {"path": "/app1/index.php"}}}
        ]
      }
    }"#;

    fn found(change: impl FnOnce(&mut Blueprint)) -> Vec<(String, String, bool)> {
        let mut bp: Blueprint = serde_json::from_str(SAAS).expect("the fixture parses");
        change(&mut bp);
        validate(&bp)
            .into_iter()
            .map(|p| (p.path.clone(), p.message.clone(), p.is_error()))
            .collect()
    }

    fn errors(change: impl FnOnce(&mut Blueprint)) -> Vec<(String, String)> {
        found(change)
            .into_iter()
            .filter(|(_, _, e)| *e)
            .map(|(p, m, _)| (p, m))
            .collect()
    }

    fn ecs(bp: &mut Blueprint) -> &mut Ecs {
        bp.ecs.as_mut().unwrap()
    }

    #[test]
    fn seed_003_is_valid() {
        assert_eq!(found(|_| {}), Vec::<(String, String, bool)>::new());
    }

    #[test]
    fn two_services_on_one_path_are_refused() {
        let e = errors(|bp| ecs(bp).services[1].http.as_mut().unwrap().path = "/".into());
        assert!(e.iter().any(|(_, m)| m.contains("route")), "{e:?}");
    }

    #[test]
    fn a_task_that_fits_no_instance_is_refused() {
        let e = errors(|bp| ecs(bp).services[0].memory = 8192);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].1.contains("fits on none of `m6i.large`"), "{e:?}");
        // 8 GiB less the reservation.
        assert!(errors(|bp| ecs(bp).services[0].memory = 8192 - RESERVED_MEMORY_MIB).is_empty());
    }

    #[test]
    fn fargate_needs_one_of_its_sizes() {
        let fargate = |bp: &mut Blueprint| {
            let capacity = &mut ecs(bp).capacity;
            capacity.fargate = true;
            capacity.instance_types.clear();
            capacity.min = None;
            capacity.max = None;
        };
        let e = errors(|bp| fargate(bp));
        assert_eq!(
            e.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            ["ecs.services[0].cpu", "ecs.services[1].cpu"]
        );
        let e = errors(|bp| {
            fargate(bp);
            for s in &mut ecs(bp).services {
                s.cpu = Some(256);
                s.memory = 4096;
            }
        });
        assert!(
            e[0].1
                .contains("Fargate has no task of 256 CPU units and 4096 MiB"),
            "{e:?}"
        );
        assert!(fargate_size_ok(256, 512) && fargate_size_ok(1024, 3072));
        assert!(!fargate_size_ok(1024, 1024) && !fargate_size_ok(512, 1536));
        let mixed = errors(|bp| ecs(bp).capacity.fargate = true);
        assert!(mixed[0].1.contains("exactly one"), "{mixed:?}");
    }

    #[test]
    fn requests_per_task_need_http_and_latest_is_a_warning() {
        let e = errors(|bp| ecs(bp).services[0].http = None);
        assert!(
            e.iter()
                .any(|(p, _)| p == "ecs.services[0].count.requestsPerTask"),
            "{e:?}"
        );
        let all = found(|bp| ecs(bp).services[1].image = "registry:erp/web-app:latest".into());
        assert!(
            all.iter().any(|(p, m, error)| !error
                && p == "ecs.services[1].image"
                && m.contains("never rolled out")),
            "{all:?}"
        );
        let untagged = errors(|bp| ecs(bp).services[1].image = "httpd".into());
        assert!(
            untagged[0].1.contains("has no tag or digest"),
            "{untagged:?}"
        );
    }

    #[test]
    fn secrets_are_references_and_names_are_variables() {
        let e = errors(|bp| {
            let s = &mut ecs(bp).services[1];
            s.secrets.insert("PASSWORD".into(), "hunter2".into());
            s.env.insert("1BAD".into(), "x".into());
        });
        let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "ecs.services[1].env.1BAD",
                "ecs.services[1].secrets.PASSWORD"
            ],
            "{e:?}"
        );
        assert!(!e[1].1.contains("hunter2"));
    }

    #[test]
    fn instance_sizes_follow_the_families() {
        assert_eq!(instance_size("m6i.large"), Some((2, 8192)));
        assert_eq!(instance_size("c6i.2xlarge"), Some((8, 16_384)));
        assert_eq!(instance_size("r5.xlarge"), Some((4, 32_768)));
        assert_eq!(instance_size("t3.medium"), Some((2, 4096)));
        assert_eq!(instance_size("m4.large"), Some((2, 8192)));
        assert_eq!(instance_size("x2idn.large"), None);
        assert_eq!(instance_size("m6i.metal"), None);
    }
}
