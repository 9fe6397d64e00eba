//! `servers`: EC2 app server groups — their zones, image, nginx routes, files, connections and
//! the load balancer's routing to them. No SSH anywhere: port 22 is refused with a pointer to
//! Session Manager.

use std::collections::BTreeSet;

use super::Problems;
use super::ingress::{check_health_check, check_route, check_stickiness};
use super::text::{is_dns_label, report_duplicates};
use crate::blueprint::defaults::zone_names;
use crate::blueprint::model::{
    Blueprint, LoadBalancerType, Nginx, Route, ServerConnection, ServerGroup, ServerHttp,
};
use crate::blueprint::problem::{Problem, child, item};

const PATH: &str = "servers";
/// What a server group's name is part of: the target group's name (`<blueprint>-<group>`, at
/// most 32 characters, botocore elbv2 `TargetGroupName`) and the launch template's; the name
/// checks after planning hold the whole names to AWS's limits.
const MAX_GROUP_NAME: usize = 20;
/// gp3 volume sizes (EBS user guide, "General Purpose SSD volumes": 1 GiB–16 TiB); an AMI's own
/// snapshot is at least 8 GiB for the families offered here.
const ROOT_VOLUME_GIB: std::ops::RangeInclusive<u32> = 8..=16_384;
/// SSH's port: never opened (Session Manager reaches every server).
const SSH_PORT: u16 = 22;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    // Routes are checked with the services' (`ecs`), whichever the blueprint has.
    check_routes(bp, out);
    if bp.servers.is_empty() {
        return;
    }
    report_duplicates(
        out,
        bp.servers
            .iter()
            .enumerate()
            .map(|(i, g)| (child(&item(PATH, i), "name"), g.name.as_str())),
        "server group name",
    );
    for (i, group) in bp.servers.iter().enumerate() {
        let path = item(PATH, i);
        check_group(bp, group, &path, out);
    }
}

fn check_group(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    if !is_dns_label(&group.name) || group.name.len() > MAX_GROUP_NAME {
        out.push(
            Problem::new(child(path, "name"), format!("`{}` is not a valid server group name", group.name))
                .hint(format!("use up to {MAX_GROUP_NAME} lowercase letters, digits and hyphens: the name is part of the target group's and launch template's names")),
        );
    }
    check_instances(bp, group, path, out);
    check_image(group, path, out);
    if !ROOT_VOLUME_GIB.contains(&group.root_volume_gib) {
        out.push(
            Problem::new(
                child(path, "rootVolumeGib"),
                format!(
                    "{} GiB is outside {}..{}",
                    group.root_volume_gib,
                    ROOT_VOLUME_GIB.start(),
                    ROOT_VOLUME_GIB.end()
                ),
            )
            .hint(
                "the root volume holds the image's own 8 GiB or more; gp3 volumes go up to 16 TiB",
            ),
        );
    }
    check_mounts(bp, group, path, out);
    check_connect(bp, group, path, out);
    if let Some(nginx) = &group.nginx {
        check_nginx(nginx, &child(path, "nginx"), out);
    }
    check_files(bp, group, path, out);
    for (i, command) in group.run.iter().enumerate() {
        if command.trim().is_empty() {
            out.push(
                Problem::new(item(&child(path, "run"), i), "an empty command")
                    .hint("remove the entry, or write the shell command to run"),
            );
        }
    }
    if let Some(http) = &group.http {
        check_http(bp, group, http, &child(path, "http"), out);
    }
    if let Some(drain) = &group.drain {
        super::workbench::check_drain(drain, &child(path, "drain"), out);
    }
    if let Some(workbench) = &group.workbench {
        super::workbench::check(bp, group, workbench, &child(path, "workbench"), out);
    }
}

/// An Auto Scaling group's largest size (botocore `autoscaling` MaxSize is an int; this bound is
/// shinyctl's, far above an app-server group and below EC2's default On-Demand vCPU quotas).
const MAX_GROUP_SIZE: u32 = 100;

fn check_instances(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    let base = child(path, "instances");
    match (&group.count, group.instances.is_empty()) {
        (None, true) => out.push(
            Problem::new(&base, "no servers").hint("add one entry per server, e.g. `instances: [{zone: a}, {zone: b}]`, or `count: {min: 2, desired: 2, max: 4}` for an Auto Scaling group"),
        ),
        (Some(_), false) => out.push(
            Problem::new(path, "both `instances` and `count`: a group is fixed servers or an Auto Scaling group")
                .hint("keep `instances` for servers that hold local state, or `count` for disposable ones"),
        ),
        (Some(count), true) => {
            let at = child(path, "count");
            if !(count.min <= count.desired && count.desired <= count.max)
                || count.max == 0
                || count.max > MAX_GROUP_SIZE
            {
                out.push(
                    Problem::new(&at, format!("min {}, desired {}, max {} is not a size", count.min, count.desired, count.max))
                        .hint(format!("min ≤ desired ≤ max, max from 1 to {MAX_GROUP_SIZE}, e.g. `{{min: 2, desired: 2, max: 4}}`")),
                );
            } else if count.min < 2 && group.http.is_some() {
                out.push(
                    Problem::warning(child(&at, "min"), format!("min {}: a replacement or a zone outage leaves the load balancer without a server", count.min))
                        .hint("`min: 2` keeps one server serving while another is replaced"),
                );
            }
        }
        (None, false) => {}
    }
    let region = &bp.metadata.region;
    let zones = network_zones(bp);
    for (i, server) in group.instances.iter().enumerate() {
        let full = if server.zone.starts_with(region.as_str()) {
            server.zone.clone()
        } else {
            format!("{region}{}", server.zone)
        };
        if !zones.contains(&full) {
            let keys: Vec<String> = zones
                .iter()
                .map(|z| z.strip_prefix(region.as_str()).unwrap_or(z).to_string())
                .collect();
            out.push(
                Problem::new(
                    child(&item(&base, i), "zone"),
                    format!(
                        "`{}` is not one of the network's availability zones",
                        server.zone
                    ),
                )
                .hint(format!(
                    "use one of {} (`network.availabilityZones`)",
                    keys.join(", ")
                )),
            );
        }
    }
    if !group.instances.is_empty()
        && group.instances.iter().all(|s| !s.in_service)
        && group.http.is_some()
    {
        out.push(
            Problem::warning(&base, "every server has `inService: false`: the load balancer has nowhere to send this group's traffic")
                .hint("set `inService: true` on a server once it is set up"),
        );
    }
}

/// The network's zone names, as the catalog lays them out.
fn network_zones(bp: &Blueprint) -> Vec<String> {
    let azs = bp
        .network
        .as_ref()
        .map(|n| n.availability_zones.clone())
        .unwrap_or_else(crate::blueprint::defaults::availability_zones);
    zone_names(&bp.metadata.region, &azs)
}

fn check_image(group: &ServerGroup, path: &str, out: &mut Problems) {
    let ami_path = child(path, "ami");
    match (&group.ami.id, group.ami.family) {
        (Some(_), Some(_)) | (None, None) => out.push(
            Problem::new(&ami_path, "give either an AMI `id` or a `family`, exactly one").hint(
                "`ami: {id: ami-0123456789abcdef0}` or `ami: {family: amazon-linux-2023}` (or `ubuntu-22.04`)",
            ),
        ),
        (Some(id), None) if !is_ami_id(id) => out.push(
            Problem::new(child(&ami_path, "id"), format!("`{id}` is not an AMI id"))
                .hint("an AMI id is `ami-` and 8 or 17 hexadecimal digits, e.g. `ami-0123456789abcdef0`"),
        ),
        _ => {}
    }
    check_instance_type(&group.instance_type, &child(path, "instanceType"), out);
}

/// A family and a size, `m6i.large`.
pub(super) fn check_instance_type(instance_type: &str, path: &str, out: &mut Problems) {
    if !is_instance_type(instance_type) {
        out.push(
            Problem::new(
                path,
                format!("`{instance_type}` is not an EC2 instance type"),
            )
            .hint("write a family and a size, e.g. `t3.medium` or `m6i.large`"),
        );
    }
}

fn is_ami_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

fn is_instance_type(t: &str) -> bool {
    let Some((family, size)) = t.split_once('.') else {
        return false;
    };
    family.len() >= 2
        && family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !size.is_empty()
        && size
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn check_mounts(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    let base = child(path, "mounts");
    let has_efs = bp.storage.as_ref().is_some_and(|s| s.efs.is_some());
    if !group.mounts.is_empty() && !has_efs {
        out.push(
            Problem::new(
                &base,
                "mounts need a file system, and the blueprint has none",
            )
            .hint("add `storage: {efs: {}}`, or remove `mounts`"),
        );
    }
    report_duplicates(
        out,
        group
            .mounts
            .iter()
            .enumerate()
            .map(|(i, m)| (child(&item(&base, i), "path"), m.path.as_str())),
        "mount path",
    );
    for (i, mount) in group.mounts.iter().enumerate() {
        let at = item(&base, i);
        check_absolute(&mount.efs_path, &child(&at, "efsPath"), out);
        check_absolute(&mount.path, &child(&at, "path"), out);
        if mount.path == "/" {
            out.push(
                Problem::new(
                    child(&at, "path"),
                    "the file system cannot be mounted over the server's root",
                )
                .hint("mount it on a directory of its own, e.g. `/share`"),
            );
        }
    }
}

/// A path on a server, written into the configuration script quoted and into `/etc/fstab`:
/// absolute, without `.`/`..`, white space, quotes or the characters fstab and the shell read.
pub(super) fn check_absolute(value: &str, path: &str, out: &mut Problems) {
    let parts_ok = value.split('/').skip(1).all(|p| p != "." && p != "..");
    let plain = !value.contains(|c: char| c.is_whitespace() || "'\"#$`\\;".contains(c));
    if !value.starts_with('/') || !parts_ok || !plain {
        out.push(
            Problem::new(path, format!("`{value}` is not a plain absolute path"))
                .hint("write an absolute path without spaces, quotes, `#`, `$`, `;` or backslashes, such as `/share`"),
        );
    }
}

fn check_connect(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    let base = child(path, "connect");
    let mut seen = BTreeSet::new();
    for (i, connection) in group.connect.iter().enumerate() {
        let at = item(&base, i);
        if !seen.insert(*connection) {
            out.push(Problem::new(&at, "named twice").hint("remove the repeated entry"));
        }
        let (present, section) = match connection {
            ServerConnection::Database => (bp.database.is_some(), "database"),
            ServerConnection::Cache => (bp.cache.is_some(), "cache"),
        };
        if !present {
            out.push(
                Problem::new(
                    &at,
                    format!("the blueprint has no `{section}` section to connect to"),
                )
                .hint(format!(
                    "add a `{section}` section, or remove `{section}` from `connect`"
                )),
            );
        }
    }
}

fn check_nginx(nginx: &Nginx, path: &str, out: &mut Problems) {
    check_not_ssh(nginx.listen, &child(path, "listen"), out);
    let base = child(path, "locations");
    if nginx.locations.is_empty() {
        out.push(
            Problem::new(&base, "no locations: nginx would forward nothing")
                .hint("add `{path: /, to: 8080}` with the product's port"),
        );
    }
    report_duplicates(
        out,
        nginx
            .locations
            .iter()
            .enumerate()
            .map(|(i, l)| (child(&item(&base, i), "path"), l.path.as_str())),
        "location path",
    );
    for (i, location) in nginx.locations.iter().enumerate() {
        let at = item(&base, i);
        if !location.path.starts_with('/')
            || location.path.contains(|c: char| {
                c.is_whitespace() || c == ';' || c == '{' || c == '}' || c == '"' || c == '\''
            })
        {
            out.push(
                Problem::new(child(&at, "path"), format!("`{}` is not a URL path prefix", location.path))
                    .hint("start it with `/` and leave out spaces, quotes, `;` and braces, e.g. `/UserService/`"),
            );
        }
        check_not_ssh(location.to, &child(&at, "to"), out);
        if location.to == nginx.listen {
            out.push(
                Problem::new(
                    child(&at, "to"),
                    format!(
                        "port {} is nginx's own `listen` port: requests would loop",
                        location.to
                    ),
                )
                .hint("forward to the port the product itself listens on"),
            );
        }
    }
}

fn check_not_ssh(port: u16, path: &str, out: &mut Problems) {
    if port == SSH_PORT {
        out.push(
            Problem::new(path, "port 22 (SSH) is never opened: shinyctl makes servers without SSH")
                .hint("reach a server with `aws ssm start-session --target <instance id>` (Session Manager), and a local port with `--document-name AWS-StartPortForwardingSession`"),
        );
    } else if port == 0 {
        out.push(Problem::new(path, "port 0 is not a port").hint("use a port from 1 to 65535"));
    }
}

fn check_files(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    let base = child(path, "files");
    let buckets = bucket_names(bp);
    report_duplicates(
        out,
        group
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (child(&item(&base, i), "path"), f.path.as_str())),
        "file path",
    );
    for (i, file) in group.files.iter().enumerate() {
        let at = item(&base, i);
        check_absolute(&file.path, &child(&at, "path"), out);
        check_bucket_source(&buckets, &file.source, &child(&at, "source"), out);
    }
}

/// `bucket:NAME/KEY` naming one of the blueprint's buckets (`buckets`).
pub(super) fn check_bucket_source(buckets: &[&str], source: &str, path: &str, out: &mut Problems) {
    match crate::blueprint::model::bucket_source(source) {
        None => out.push(
            Problem::new(path, format!("`{source}` is not a `bucket:NAME/KEY` source"))
                .hint("name a bucket of `storage.buckets` and the object's key, e.g. `bucket:assets/fonts/msyh.ttc`"),
        ),
        Some((bucket, _)) if !buckets.contains(&bucket) => out.push(
            Problem::new(path, format!("the blueprint has no bucket `{bucket}`"))
                .hint(if buckets.is_empty() {
                    "add it under `storage.buckets`".to_string()
                } else {
                    format!("the buckets are {} (`storage.buckets`)", buckets.join(", "))
                }),
        ),
        Some(_) => {}
    }
}

/// The names of the blueprint's buckets (`storage.buckets`).
pub(super) fn bucket_names(bp: &Blueprint) -> Vec<&str> {
    bp.storage
        .iter()
        .flat_map(|s| &s.buckets)
        .map(|b| b.name.as_str())
        .collect()
}

fn check_http(
    bp: &Blueprint,
    group: &ServerGroup,
    http: &ServerHttp,
    path: &str,
    out: &mut Problems,
) {
    check_not_ssh(http.port, &child(path, "port"), out);
    match bp.ingress.as_ref().map(|i| i.kind) {
        None => out.push(
            Problem::new(
                path,
                "`http` routes the load balancer's traffic, and the blueprint has no `ingress`",
            )
            .hint("add an `ingress` section with `type: alb`, or remove `http`"),
        ),
        Some(LoadBalancerType::Nlb) => out.push(
            Problem::new(path, "an NLB cannot route by path to server groups")
                .hint("use `ingress.type: alb`"),
        ),
        Some(LoadBalancerType::Alb) => {}
    }
    if let Some(nginx) = &group.nginx
        && nginx.listen != http.port
    {
        out.push(
            Problem::new(
                child(path, "port"),
                format!(
                    "the load balancer sends to port {}, but nginx listens on {}",
                    http.port, nginx.listen
                ),
            )
            .hint(format!(
                "make `http.port` and `nginx.listen` the same: `port: {}`",
                nginx.listen
            )),
        );
    }
    check_route(&http.path, "/reports", path, out);
    let hc_path = child(path, "healthCheck");
    check_health_check(&http.health_check, &hc_path, out);
    if let Some(nginx) = &group.nginx
        && !under_a_location(nginx, &http.health_check.path)
    {
        out.push(
            Problem::new(
                child(&hc_path, "path"),
                format!("`{}` falls under none of nginx's locations: the health check would get 404 and every server be unhealthy", http.health_check.path),
            )
            .hint(format!("check a path under one of {}", location_list(nginx))),
        );
    }
    if let Some(sticky) = &http.stickiness {
        check_stickiness(sticky, true, &child(path, "stickiness"), out);
    }
}

fn under_a_location(nginx: &Nginx, request: &str) -> bool {
    nginx.locations.iter().any(|l| request.starts_with(&l.path))
}

fn location_list(nginx: &Nginx) -> String {
    nginx
        .locations
        .iter()
        .map(|l| format!("`{}`", l.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The server group a request path reaches: the longest route it falls under, when that is a
/// server group's (not a service's).
pub(crate) fn route_of<'a>(bp: &'a Blueprint, request: &str) -> Option<&'a ServerGroup> {
    let best = bp
        .routes()
        .into_iter()
        .filter(|r| {
            r.path == "/"
                || request == r.path
                || request
                    .strip_prefix(r.path)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|r| r.path.len())?;
    match best.target {
        crate::blueprint::model::RouteTarget::Servers(group) => Some(group),
        crate::blueprint::model::RouteTarget::Service(_) => None,
    }
}

/// Routes unique; `/` belongs to exactly one owner (ShinyProxy's target group when the
/// blueprint has a cluster, else one server group); canaries reach an nginx location.
fn check_routes(bp: &Blueprint, out: &mut Problems) {
    let routed = bp.routes();
    if routed.is_empty() {
        return;
    }
    report_duplicates(
        out,
        routed.iter().map(|r| (child(&r.at, "path"), r.path)),
        "route",
    );
    let roots: Vec<&Route> = routed.iter().filter(|r| r.path == "/").collect();
    if bp.cluster.is_some() {
        for root in roots {
            out.push(
                Problem::new(
                    child(&root.at, "path"),
                    "`/` is ShinyProxy's: the cluster's target group is the listeners' default",
                )
                .hint(format!(
                    "route `{}` under a path of its own, e.g. `/reports`",
                    root.name()
                )),
            );
        }
    } else if roots.is_empty() {
        out.push(
            Problem::new(
                child(&routed[0].at, "path"),
                "no server group or service takes `/`: the listeners' default action needs one",
            )
            .hint("give one server group or service `path: /`"),
        );
    }
    let rules = routed.iter().filter(|r| r.path != "/").count();
    if rules > super::ecs::MAX_LISTENER_RULES {
        out.push(
            Problem::new(
                child(&routed[0].at, "path"),
                format!("{rules} routes: a listener takes at most {} rules", super::ecs::MAX_LISTENER_RULES),
            )
            .hint("an ALB listener's rules quota is 100 (Elastic Load Balancing quotas); split the services over two blueprints with their own load balancers"),
        );
    }
    for (i, canary) in bp
        .monitoring
        .iter()
        .flat_map(|m| m.canaries.iter())
        .enumerate()
    {
        let Some(group) = route_of(bp, &canary.path) else {
            continue;
        };
        if let Some(nginx) = &group.nginx
            && !under_a_location(nginx, &canary.path)
        {
            out.push(
                Problem::new(
                    child(&item("monitoring.canaries", i), "path"),
                    format!("`{}` reaches server group `{}`, where it falls under none of nginx's locations: the canary would always fail", canary.path, group.name),
                )
                .hint(format!("request a path under one of {}", location_list(nginx))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::model::NatGateway;
    use crate::blueprint::validate::validate;

    /// Seed 001's shape: two servers behind an ALB, nginx routes, EFS, MySQL, Redis, a canary.
    const SERVERS: &str = r#"{
      "apiVersion": "shinyctl.dev/v1alpha1", "kind": "Blueprint",
      "metadata": {"name": "lowcode", "region": "cn-northwest-1"},
      "network": {"cidr": "10.20.0.0/16", "availabilityZones": 2, "natGateway": "perAz"},
      "storage": {"efs": {}, "buckets": [{"name": "assets"}]},
      "database": {"engine": "mysql", "version": "8.4", "instanceClass": "db.t3.medium", "databaseName": "app"},
      "cache": {"version": "7.1", "nodeType": "cache.t3.medium"},
      "ingress": {"type": "alb", "listeners": [{"port": 80, "protocol": "HTTP"}]},
      "monitoring": {"canaries": [{"name": "login", "path": "/UserService/Login"}]},
      "servers": [{
        "name": "app", "instances": [{"zone": "a"}, {"zone": "cn-northwest-1b", "inService": false}],
        "instanceType": "t3.medium", "ami": {"family": "ubuntu-22.04"},
        "mounts": [{"path": "/share"}], "connect": ["database", "cache"],
        "nginx": {"listen": 8200, "locations": [{"path": "/UserService/", "to": 22345}, {"path": "/app_e/", "to": 8005}]},
        "files": [{"path": "/usr/share/fonts/msyh.ttc", "source": "bucket:assets/fonts/msyh.ttc"}],
        "run": ["fc-cache -f"],
        "http": {"port": 8200, "healthCheck": {"path": "/UserService/ManagementPage/LoginPage"}}
      }]
    }"#;

    fn servers() -> Blueprint {
        serde_json::from_str(SERVERS).expect("the servers fixture parses")
    }

    fn problems(change: impl FnOnce(&mut Blueprint)) -> Vec<(String, String)> {
        let mut bp = servers();
        change(&mut bp);
        validate(&bp)
            .into_iter()
            .filter(|p| p.is_error())
            .map(|p| (p.path, p.message))
            .collect()
    }

    fn one(change: impl FnOnce(&mut Blueprint), path: &str, says: &str) {
        let found = problems(change);
        assert!(
            found.iter().any(|(p, m)| p == path && m.contains(says)),
            "expected `{says}` at {path}, got {found:?}"
        );
    }

    #[test]
    fn the_seed_shape_is_valid() {
        assert_eq!(problems(|_| {}), vec![]);
    }

    #[test]
    fn ssh_is_refused_with_a_pointer_to_session_manager() {
        let mut bp = servers();
        bp.servers[0].nginx.as_mut().unwrap().locations[0].to = 22;
        let found = validate(&bp);
        let ssh = found
            .iter()
            .find(|p| p.path == "servers[0].nginx.locations[0].to")
            .expect("port 22 refused");
        assert!(
            ssh.hint
                .as_deref()
                .unwrap_or("")
                .contains("aws ssm start-session")
        );
    }

    #[test]
    fn nginx_listen_equals_the_target_groups_port() {
        one(
            |bp| bp.servers[0].http.as_mut().unwrap().port = 80,
            "servers[0].http.port",
            "nginx listens on 8200",
        );
    }

    #[test]
    fn health_check_and_canary_paths_fall_under_a_location() {
        one(
            |bp| bp.servers[0].http.as_mut().unwrap().health_check.path = "/login".into(),
            "servers[0].http.healthCheck.path",
            "none of nginx's locations",
        );
        one(
            |bp| bp.monitoring.as_mut().unwrap().canaries[0].path = "/ManagementPage".into(),
            "monitoring.canaries[0].path",
            "none of nginx's locations",
        );
    }

    #[test]
    fn locations_are_unique_and_zones_exist() {
        one(
            |bp| bp.servers[0].nginx.as_mut().unwrap().locations[1].path = "/UserService/".into(),
            "servers[0].nginx.locations[1].path",
            "location path",
        );
        one(
            |bp| bp.servers[0].instances[0].zone = "c".into(),
            "servers[0].instances[0].zone",
            "not one of",
        );
    }

    #[test]
    fn no_nat_connect_mounts_and_files_need_what_they_name() {
        one(
            |bp| bp.network.as_mut().unwrap().nat_gateway = NatGateway::None,
            "network.natGateway",
            "servers",
        );
        one(
            |bp| bp.cache = None,
            "servers[0].connect[1]",
            "no `cache` section",
        );
        one(
            |bp| bp.storage.as_mut().unwrap().efs = None,
            "servers[0].mounts",
            "file system",
        );
        one(
            |bp| bp.storage.as_mut().unwrap().buckets.clear(),
            "servers[0].files[0].source",
            "no bucket `assets`",
        );
        one(
            |bp| bp.servers[0].files[0].source = "s3://x/y".into(),
            "servers[0].files[0].source",
            "bucket:NAME/KEY",
        );
    }

    #[test]
    fn a_group_is_fixed_servers_or_a_count() {
        use crate::blueprint::model::ServerCount;
        let count = |min, desired, max| Some(ServerCount { min, desired, max });
        one(
            |bp| bp.servers[0].count = count(2, 2, 4),
            "servers[0]",
            "both `instances` and `count`",
        );
        one(
            |bp| {
                bp.servers[0].instances.clear();
                bp.servers[0].count = count(3, 2, 4);
            },
            "servers[0].count",
            "not a size",
        );
        assert_eq!(
            problems(|bp| {
                bp.servers[0].instances.clear();
                bp.servers[0].count = count(2, 2, 4);
            }),
            vec![]
        );
    }

    #[test]
    fn paths_on_servers_are_plain() {
        one(
            |bp| bp.servers[0].mounts[0].path = "/share's".into(),
            "servers[0].mounts[0].path",
            "plain absolute path",
        );
        one(
            |bp| bp.servers[0].files[0].path = "/etc/x#y".into(),
            "servers[0].files[0].path",
            "plain absolute path",
        );
    }

    #[test]
    fn image_and_instance_type() {
        one(
            |bp| bp.servers[0].ami.id = Some("ami-1".into()),
            "servers[0].ami",
            "exactly one",
        );
        one(
            |bp| {
                bp.servers[0].ami.family = None;
                bp.servers[0].ami.id = Some("ami-XYZ".into());
            },
            "servers[0].ami.id",
            "not an AMI id",
        );
        one(
            |bp| bp.servers[0].instance_type = "medium".into(),
            "servers[0].instanceType",
            "instance type",
        );
    }

    #[test]
    fn routing_needs_an_alb_and_one_owner_of_the_root() {
        one(|bp| bp.ingress = None, "servers[0].http", "no `ingress`");
        one(
            |bp| bp.servers[0].http.as_mut().unwrap().path = "/app".into(),
            "servers[0].http.path",
            "no server group or service takes `/`",
        );
        one(
            |bp| bp.servers[0].http.as_mut().unwrap().path = "/app/".into(),
            "servers[0].http.path",
            "not a route",
        );
    }

    #[test]
    fn routes_pick_the_longest_match() {
        let mut bp = servers();
        let mut reports = bp.servers[0].clone();
        reports.name = "reports".into();
        reports.http.as_mut().unwrap().path = "/reports".into();
        bp.servers.push(reports);
        assert_eq!(route_of(&bp, "/reports/x").unwrap().name, "reports");
        assert_eq!(route_of(&bp, "/reports").unwrap().name, "reports");
        assert_eq!(route_of(&bp, "/reportsx").unwrap().name, "app");
    }
}
