//! `proxy`: ShinyProxy itself (what it needs from the other sections, authentication, secrets by
//! reference) and its apps (ids, images resolving to the registry, resources, EFS mounts).

use super::Problems;
use super::text::{
    check_secret_ref, is_dns_label, is_dotted_version, is_https_url, parse_quantity,
    reference_hint, report_duplicates, url_host,
};
use crate::blueprint::model::{
    App, Authentication, AuthenticationType, Blueprint, ClusterMode, Proxy, UsageStats,
};
use crate::blueprint::problem::{Problem, child, item};
use crate::workload::keys::CHECKED_RELEASE;

const PATH: &str = "proxy";
/// ShinyProxy pre-initialises this many containers at most per app; more is almost surely a typo.
const MAX_SEATS: u32 = 100;

/// Whether dotted version `a` is before `b` (numerically, part by part).
fn is_before(a: &str, b: &str) -> bool {
    let parts = |s: &str| -> Vec<u64> { s.split('.').filter_map(|p| p.parse().ok()).collect() };
    parts(a) < parts(b)
}

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(proxy) = &bp.proxy else {
        return;
    };
    check_needs(bp, proxy, out);
    check_limits(proxy, out);
    if !is_dotted_version(&proxy.version, &[3]) {
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!("`{}` is not a ShinyProxy version", proxy.version),
            )
            .hint("write it quoted, e.g. `version: \"3.2.0\"`"),
        );
    } else if is_before(&proxy.version, CHECKED_RELEASE) {
        out.push(
            Problem::warning(
                child(PATH, "version"),
                format!(
                    "ShinyProxy {} is older than {CHECKED_RELEASE}, the release shinyctl's \
                     configuration is checked against",
                    proxy.version
                ),
            )
            .hint(format!(
                "use `version: \"{CHECKED_RELEASE}\"`: older images lack settings shinyctl renders \
                 (the 3.2 image sets its own JVM memory flags, for one)"
            )),
        );
    }
    for (key, namespace) in [
        ("namespace", &proxy.namespace),
        ("appNamespace", &proxy.app_namespace),
    ] {
        if !is_dns_label(namespace) {
            out.push(
                Problem::new(child(PATH, key), format!("`{namespace}` is not a Kubernetes namespace name"))
                    .hint("use up to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"),
            );
        }
    }
    if proxy.heartbeat_timeout_seconds == 0 {
        out.push(
            Problem::new(
                child(PATH, "heartbeatTimeoutSeconds"),
                "a heartbeat timeout of 0 s would stop every app at once",
            )
            .hint("ShinyProxy's default is 60"),
        );
    }
    check_authentication(&proxy.authentication, out);
    check_apps(bp, proxy, out);
}

/// What ShinyProxy needs from the rest of the blueprint.
/// Longest wait for an app to answer that still makes sense: a user looks at a spinner meanwhile.
const MAX_CONTAINER_WAIT_SECONDS: u32 = 1800;

/// Limits on app instances and the proxy's own waits.
fn check_limits(proxy: &Proxy, out: &mut Problems) {
    if let Some(wait) = proxy.container_wait_seconds
        && !(1..=MAX_CONTAINER_WAIT_SECONDS).contains(&wait)
    {
        out.push(
            Problem::new(
                child(PATH, "containerWaitSeconds"),
                format!("{wait} s to wait for an app to answer"),
            )
            .hint(format!(
                "use 1 to {MAX_CONTAINER_WAIT_SECONDS} s (ShinyProxy's default is 20; heavy apps \
                 on Fargate may need a few minutes)"
            )),
        );
    }
    if proxy.max_total_instances == Some(0) {
        out.push(
            Problem::new(
                child(PATH, "maxTotalInstances"),
                "0 containers in total would start no app at all",
            )
            .hint("use 1 or more, or leave it out for no limit"),
        );
    }
}

/// An app's instance limits and container re-use (containerproxy 1.1.1
/// `ProxySharingSpecExtension`: re-use applies to pre-started containers only).
fn check_instances(proxy: &Proxy, app: &App, path: &str, out: &mut Problems) {
    for (key, value) in [
        ("maxInstances", app.max_instances),
        ("maxTotalInstances", app.max_total_instances),
    ] {
        if value == Some(0) {
            out.push(
                Problem::new(
                    child(path, key),
                    "0 instances would make the app impossible to start",
                )
                .hint("use 1 or more, or leave it out"),
            );
        }
    }
    let limit = app.max_total_instances.or(proxy.max_total_instances);
    if let (Some(seats), Some(limit)) = (app.minimum_seats_available, limit)
        && limit > 0
        && seats > limit
    {
        out.push(
            Problem::new(
                child(path, "minimumSeatsAvailable"),
                format!("{seats} pre-started containers, but at most {limit} containers may run"),
            )
            .hint("lower minimumSeatsAvailable or raise maxTotalInstances"),
        );
    }
    if app.allow_container_re_use && app.minimum_seats_available.is_none() {
        out.push(
            Problem::new(
                child(path, "allowContainerReUse"),
                "container re-use applies only to pre-started containers",
            )
            .hint("set minimumSeatsAvailable, or remove allowContainerReUse"),
        );
    }
}

fn check_needs(bp: &Blueprint, proxy: &Proxy, out: &mut Problems) {
    if bp.cluster.is_none() {
        out.push(
            Problem::new(
                PATH,
                "ShinyProxy runs on EKS, but the blueprint has no `cluster`",
            )
            .hint("add a `cluster` section with a node group or a Fargate profile"),
        );
    }
    if proxy.replicas == 0 {
        out.push(
            Problem::new(
                child(PATH, "replicas"),
                "0 replicas would leave nobody to serve the apps",
            )
            .hint("use 1, or 2 and more with a `cache` for high availability"),
        );
    } else if proxy.replicas > 1 && bp.cache.is_none() {
        out.push(
            Problem::new(
                child(PATH, "replicas"),
                format!("{} replicas need a `cache`: ShinyProxy keeps sessions and app state in Redis when it runs more than once", proxy.replicas),
            )
            .hint("add a `cache` section (Redis), or set `replicas: 1`"),
        );
    }
    if bp.proxy_state_in_cache() {
        check_cache_for_proxy(bp, out);
    }
    if proxy.usage_stats == UsageStats::Database && bp.database.is_none() {
        out.push(
            Problem::new(
                child(PATH, "usageStats"),
                "usage statistics go to the blueprint's database, but there is no `database`",
            )
            .hint("add a `database` section, or set `usageStats: none`"),
        );
    }
    if proxy.usage_stats == UsageStats::Database && bp.database.is_some() {
        check_usage_stats_user(proxy, out);
    }
}

/// Usage statistics are written as a user of their own (never the master user, whose password
/// RDS rotates), with a name PostgreSQL and MySQL both take unquoted.
fn check_usage_stats_user(proxy: &Proxy, out: &mut Problems) {
    let Some(user) = &proxy.usage_stats_user else {
        out.push(
            Problem::new(
                child(PATH, "usageStatsUser"),
                "usage statistics need a database user of their own",
            )
            .hint(
                "add `usageStatsUser: {passwordRef: secretsmanager:NAME}` (a secret holding the \
                 password of a user `shinyproxy_usage`; docs/workload.md, \"Usage statistics\", \
                 says how to create it)",
            ),
        );
        return;
    };
    let path = child(PATH, "usageStatsUser");
    let name = &user.name;
    let valid = name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        out.push(
            Problem::new(
                child(&path, "name"),
                format!("`{name}` is not a database user name shinyctl can create"),
            )
            .hint("use up to 32 lowercase letters, digits and underscores, starting with a letter"),
        );
    }
    check_secret_ref(out, &child(&path, "passwordRef"), &user.password_ref);
}

/// What a Redis shared by ShinyProxy replicas must be. containerproxy's Redis seat store claims
/// seats with WATCH/MULTI/EXEC (`RedisSeatStore.UnclaimedSeatRemover`, containerproxy 1.1.1), which
/// Spring Data Redis refuses on a cluster connection, so pre-initialised containers would never
/// be removed; and Spring Session's indexed sessions expire through keyspace events.
fn check_cache_for_proxy(bp: &Blueprint, out: &mut Problems) {
    let Some(cache) = &bp.cache else {
        return;
    };
    if cache.cluster_mode == ClusterMode::Enabled {
        out.push(
            Problem::new(
                "cache.clusterMode",
                "ShinyProxy cannot keep its state in Redis in cluster mode: its seat store uses \
                 transactions (WATCH/MULTI/EXEC), which cluster mode refuses",
            )
            .hint(
                "set `clusterMode: disabled` (one shard) with `replicasPerShard: 1` or more: a \
                 primary with replicas and automatic failover",
            ),
        );
    }
    if let Some(events) = cache.parameters.get("notify-keyspace-events") {
        let has = |c: char| events.contains(c);
        if !has('E') || !(has('A') || (has('g') && has('x'))) {
            out.push(
                Problem::new(
                    "cache.parameters.notify-keyspace-events",
                    format!(
                        "ShinyProxy's sessions expire through keyspace events, but \
                         {events:?} lacks E (keyevent) with g and x (generic, expired)"
                    ),
                )
                .hint("remove the override (shinyctl sets \"Egx\") or include E, g and x"),
            );
        }
    }
}

fn check_authentication(auth: &Authentication, out: &mut Problems) {
    let base = child(PATH, "authentication");
    let blocks = [
        (AuthenticationType::Simple, auth.simple.is_some()),
        (AuthenticationType::Ldap, auth.ldap.is_some()),
        (AuthenticationType::Openid, auth.openid.is_some()),
        (AuthenticationType::Saml, auth.saml.is_some()),
    ];
    for (kind, present) in blocks {
        let key = kind.key();
        if kind == auth.kind && !present {
            out.push(
                Problem::new(&base, format!("`type: {key}` needs its `{key}:` block")).hint(
                    format!("add `{key}:` with its settings under `authentication`"),
                ),
            );
        } else if kind != auth.kind && present {
            out.push(
                Problem::new(
                    child(&base, key),
                    format!(
                        "`{key}:` is set, but the authentication type is `{}`",
                        auth.kind.key()
                    ),
                )
                .hint(format!("set `type: {key}`, or remove the `{key}:` block")),
            );
        }
    }
    if let Some(simple) = &auth.simple {
        let users = child(&child(&base, "simple"), "users");
        if simple.users.is_empty() {
            out.push(
                Problem::new(&users, "no users").hint("add at least one user with a `passwordRef`"),
            );
        }
        report_duplicates(
            out,
            simple
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (child(&item(&users, i), "name"), u.name.as_str())),
            "user name",
        );
        for (i, user) in simple.users.iter().enumerate() {
            check_secret_ref(
                out,
                &child(&item(&users, i), "passwordRef"),
                &user.password_ref,
            );
        }
    }
    if let Some(ldap) = &auth.ldap {
        let path = child(&base, "ldap");
        if url_host(&ldap.url, &["ldap", "ldaps"]).is_none() {
            out.push(
                Problem::new(
                    child(&path, "url"),
                    format!("`{}` is not an LDAP URL", ldap.url),
                )
                .hint("write `ldaps://HOST:636/BASE-DN` (or `ldap://` on a trusted network)"),
            );
        }
        match (&ldap.manager_dn, &ldap.manager_password_ref) {
            (Some(_), None) => out.push(
                Problem::new(&path, "`managerDn` without `managerPasswordRef`").hint(
                    "add `managerPasswordRef: secretsmanager:NAME` for the manager's password",
                ),
            ),
            (None, Some(_)) => out.push(
                Problem::new(
                    child(&path, "managerPasswordRef"),
                    "`managerPasswordRef` without `managerDn`",
                )
                .hint("add the manager's `managerDn`, or remove the password reference"),
            ),
            _ => {}
        }
        if let Some(secret) = &ldap.manager_password_ref {
            check_secret_ref(out, &child(&path, "managerPasswordRef"), secret);
        }
    }
    if let Some(openid) = &auth.openid {
        let path = child(&base, "openid");
        let urls = [
            ("authUrl", Some(&openid.auth_url)),
            ("tokenUrl", Some(&openid.token_url)),
            ("jwksUrl", Some(&openid.jwks_url)),
            ("logoutUrl", openid.logout_url.as_ref()),
        ];
        for (key, url) in urls {
            if let Some(url) = url {
                check_https(out, &child(&path, key), url);
            }
        }
        check_secret_ref(
            out,
            &child(&path, "clientSecretRef"),
            &openid.client_secret_ref,
        );
    }
    if let Some(saml) = &auth.saml {
        let path = child(&base, "saml");
        check_https(out, &child(&path, "idpMetadataUrl"), &saml.idp_metadata_url);
        check_https(out, &child(&path, "appBaseUrl"), &saml.app_base_url);
    }
}

fn check_https(out: &mut Problems, path: &str, url: &str) {
    if !is_https_url(url) {
        out.push(
            Problem::new(path, format!("`{url}` is not an https:// URL"))
                .hint("identity providers must be reached over HTTPS: tokens and secrets travel on this connection"),
        );
    }
}

fn check_apps(bp: &Blueprint, proxy: &Proxy, out: &mut Problems) {
    let base = child(PATH, "apps");
    report_duplicates(
        out,
        proxy
            .apps
            .iter()
            .enumerate()
            .map(|(i, a)| (child(&item(&base, i), "id"), a.id.as_str())),
        "app id",
    );
    for (i, app) in proxy.apps.iter().enumerate() {
        let path = item(&base, i);
        if !is_dns_label(&app.id) {
            out.push(
                Problem::new(child(&path, "id"), format!("`{}` is not a valid app id", app.id))
                    .hint("app ids appear in URLs and pod names: use lowercase letters, digits and hyphens, starting with a letter or digit"),
            );
        }
        check_image(bp, &app.image, &child(&path, "image"), out);
        if app.port == 0 {
            out.push(
                Problem::new(child(&path, "port"), "port 0 is not a port")
                    .hint("Shiny apps usually listen on 3838"),
            );
        }
        check_resources(app, &path, out);
        check_mounts(bp, app, &path, out);
        check_instances(proxy, app, &path, out);
        if let Some(seats) = app.minimum_seats_available
            && seats > MAX_SEATS
        {
            out.push(
                Problem::new(
                    child(&path, "minimumSeatsAvailable"),
                    format!("{seats} pre-started containers per app"),
                )
                .hint(format!(
                    "keep at most {MAX_SEATS}: every seat is a running container"
                )),
            );
        }
        for (j, group) in app.access_groups.iter().enumerate() {
            if group.trim().is_empty() {
                out.push(
                    Problem::new(item(&child(&path, "accessGroups"), j), "empty group name")
                        .hint("remove it or name a group"),
                );
            }
        }
        for key in app.env.keys() {
            let ok = key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                out.push(
                    Problem::new(
                        child(&child(&path, "env"), key),
                        format!("`{key}` is not an environment variable name"),
                    )
                    .hint("use letters, digits and underscores, not starting with a digit")
                    .at_key(),
                );
            }
        }
    }
}

/// `registry:NAME:TAG` names a repository of this blueprint; any other image needs a tag or digest.
pub(super) fn check_image(bp: &Blueprint, image: &str, path: &str, out: &mut Problems) {
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        out.push(
            Problem::new(
                path,
                format!("`{image}` is not a container image reference"),
            )
            .hint("write `registry:NAME:TAG` for this blueprint's ECR, or `REGISTRY/IMAGE:TAG`"),
        );
        return;
    }
    if let Some(reference) = image.strip_prefix("registry:") {
        let (name, version) = match reference.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => match reference.rsplit_once(':') {
                Some((name, tag)) => (name, Some(tag)),
                None => (reference, None),
            },
        };
        let names: Vec<&str> = bp
            .registry
            .iter()
            .flat_map(|r| &r.repositories)
            .map(|r| r.name.as_str())
            .collect();
        if !names.contains(&name) {
            out.push(
                Problem::new(
                    path,
                    format!("repository `{name}` is not in `registry.repositories`"),
                )
                .hint(reference_hint(name, names.iter().copied(), "repositories")),
            );
        }
        if version.is_none_or(|v| !is_tag(v) && !v.starts_with("sha256:")) {
            out.push(
                Problem::new(path, format!("`{image}` has no valid tag")).hint(format!(
                    "write `registry:{name}:TAG`, e.g. `registry:{name}:1.0.0`"
                )),
            );
        }
        return;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let has_version = match last.split_once('@') {
        Some((_, digest)) => digest.starts_with("sha256:") && digest.len() > 7,
        None => last.split_once(':').is_some_and(|(_, tag)| is_tag(tag)),
    };
    if !has_version {
        out.push(
            Problem::new(path, format!("`{image}` has no tag or digest"))
                .hint(format!("pin a version, e.g. `{image}:1.0.0` or `{image}@sha256:...`; an untagged image changes under you")),
        );
    }
}

/// Docker tag: up to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
fn is_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn check_resources(app: &App, path: &str, out: &mut Problems) {
    for (key, limits) in [("cpu", &app.cpu), ("memory", &app.memory)] {
        let Some(limits) = limits else {
            continue;
        };
        let base = child(path, key);
        let request = parse_quantity(&limits.request);
        let limit = parse_quantity(&limits.limit);
        for (field, text, value) in [
            ("request", &limits.request, request),
            ("limit", &limits.limit, limit),
        ] {
            let field_path = child(&base, field);
            match value {
                None => out.push(
                    Problem::new(
                        &field_path,
                        format!("`{text}` is not a Kubernetes quantity"),
                    )
                    .hint(if key == "cpu" {
                        "write CPUs as `\"0.5\"`, `500m` or `2`"
                    } else {
                        "write memory as `512Mi`, `1Gi` or `2G`"
                    }),
                ),
                Some(v) if v <= 0.0 => out.push(
                    Problem::new(&field_path, format!("`{text}` is zero"))
                        .hint(format!("give the app some {key}, or leave `{key}` out")),
                ),
                Some(_) if key == "memory" && text.ends_with('m') => out.push(
                    Problem::new(
                        &field_path,
                        format!(
                            "`{text}` means {} millibytes, less than one byte",
                            text.trim_end_matches('m')
                        ),
                    )
                    .hint(format!("did you mean `{}Mi`?", text.trim_end_matches('m'))),
                ),
                Some(_) => {}
            }
        }
        if let (Some(r), Some(l)) = (request, limit)
            && r > l
        {
            out.push(
                Problem::new(child(&base, "request"), format!("the request ({}) is greater than the limit ({})", limits.request, limits.limit))
                    .hint("Kubernetes rejects pods whose request exceeds their limit: lower the request or raise the limit"),
            );
        }
    }
}

fn check_mounts(bp: &Blueprint, app: &App, path: &str, out: &mut Problems) {
    let names: Vec<&str> = bp
        .storage
        .iter()
        .filter_map(|s| s.efs.as_ref())
        .flat_map(|e| &e.access_points)
        .map(|a| a.name.as_str())
        .collect();
    let base = child(path, "mounts");
    for (i, mount) in app.mounts.iter().enumerate() {
        let mount_path = item(&base, i);
        if !names.contains(&mount.access_point.as_str()) {
            out.push(
                Problem::new(
                    child(&mount_path, "accessPoint"),
                    format!(
                        "access point `{}` is not in `storage.efs.accessPoints`",
                        mount.access_point
                    ),
                )
                .hint(reference_hint(
                    &mount.access_point,
                    names.iter().copied(),
                    "EFS access points",
                )),
            );
        }
        if !mount.path.starts_with('/') {
            out.push(
                Problem::new(
                    child(&mount_path, "path"),
                    format!("`{}` is not an absolute path", mount.path),
                )
                .hint("mount paths inside the container start with `/`, e.g. `/srv/data`"),
            );
        } else if app.mounts[..i]
            .iter()
            .any(|m| m.path.trim_end_matches('/') == mount.path.trim_end_matches('/'))
        {
            out.push(
                Problem::new(
                    child(&mount_path, "path"),
                    format!("`{}` is mounted twice in this app", mount.path),
                )
                .hint("give each mount its own path"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after, problems_after};
    use super::*;
    use crate::blueprint::model::{LdapAuth, Mount, RequestLimit, SimpleAuth, SimpleUser};

    fn proxy(bp: &mut Blueprint) -> &mut Proxy {
        bp.proxy.as_mut().unwrap()
    }
    fn app(bp: &mut Blueprint) -> &mut App {
        &mut proxy(bp).apps[0]
    }

    #[test]
    fn needs_of_the_proxy() {
        let found = problems_after(|bp| bp.cache = None);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, "proxy.replicas");
        assert!(found[0].message.contains("need a `cache`"));
        assert_one(|bp| proxy(bp).replicas = 0, "proxy.replicas", "0 replicas");
        assert_one(
            |bp| {
                bp.database = None;
            },
            "proxy.usageStats",
            "no `database`",
        );
        assert_one(
            |bp| bp.cache.as_mut().unwrap().cluster_mode = ClusterMode::Enabled,
            "cache.clusterMode",
            "cluster mode refuses",
        );
        // One ShinyProxy keeps nothing in Redis: any cache will do.
        assert!(
            paths_after(|bp| {
                bp.cache.as_mut().unwrap().cluster_mode = ClusterMode::Enabled;
                proxy(bp).replicas = 1;
            })
            .is_empty()
        );
        for (events, fine) in [("Egx", true), ("KEA", true), ("Ex", false), ("gx", false)] {
            let found = paths_after(|bp| {
                let parameters = &mut bp.cache.as_mut().unwrap().parameters;
                parameters.insert("notify-keyspace-events".into(), events.into());
            });
            assert_eq!(found.is_empty(), fine, "{events}: {found:?}");
        }
        let without_cluster = paths_after(|bp| bp.cluster = None);
        assert!(
            without_cluster.contains(&"proxy".to_string()),
            "{without_cluster:?}"
        );
    }

    #[test]
    fn instance_limits_waits_and_re_use() {
        assert_one(
            |bp| proxy(bp).container_wait_seconds = Some(0),
            "proxy.containerWaitSeconds",
            "0 s to wait",
        );
        assert!(paths_after(|bp| proxy(bp).container_wait_seconds = Some(300)).is_empty());
        assert_one(
            |bp| proxy(bp).max_total_instances = Some(0),
            "proxy.maxTotalInstances",
            "start no app",
        );
        assert_one(
            |bp| app(bp).max_instances = Some(0),
            "proxy.apps[0].maxInstances",
            "impossible to start",
        );
        // The fixture's app keeps one seat ready: a limit below it cannot be kept.
        assert_one(
            |bp| {
                app(bp).minimum_seats_available = Some(3);
                proxy(bp).max_total_instances = Some(2);
            },
            "proxy.apps[0].minimumSeatsAvailable",
            "at most 2 containers",
        );
        assert!(
            paths_after(|bp| {
                app(bp).minimum_seats_available = Some(3);
                proxy(bp).max_total_instances = Some(2);
                app(bp).max_total_instances = Some(5);
            })
            .is_empty()
        );
        assert_one(
            |bp| {
                app(bp).minimum_seats_available = None;
                app(bp).allow_container_re_use = true;
            },
            "proxy.apps[0].allowContainerReUse",
            "only to pre-started",
        );
    }

    #[test]
    fn version_and_namespaces() {
        assert_one(
            |bp| proxy(bp).version = "3.1".into(),
            "proxy.version",
            "not a ShinyProxy version",
        );
        // Older than the release the rendered configuration is checked against: a warning.
        let older = problems_after(|bp| proxy(bp).version = "3.1.1".into());
        assert_eq!(older.len(), 1, "{older:#?}");
        assert!(!older[0].is_error());
        assert!(older[0].message.contains("older than 3.2.0"), "{older:#?}");
        assert!(problems_after(|bp| proxy(bp).version = "3.10.0".into()).is_empty());
        assert_one(
            |bp| proxy(bp).app_namespace = "Shiny_Apps".into(),
            "proxy.appNamespace",
            "namespace",
        );
    }

    #[test]
    fn authentication_blocks_match_the_type() {
        assert_one(
            |bp| {
                proxy(bp).authentication.kind = AuthenticationType::Saml;
                proxy(bp).authentication.openid = None;
            },
            "proxy.authentication",
            "`type: saml` needs",
        );
        let found = paths_after(|bp| proxy(bp).authentication.kind = AuthenticationType::None);
        assert_eq!(found, ["proxy.authentication.openid"]);
        assert_one(
            |bp| {
                proxy(bp).authentication.openid.as_mut().unwrap().token_url =
                    "http://login.example.com/token".into()
            },
            "proxy.authentication.openid.tokenUrl",
            "https://",
        );
        assert_one(
            |bp| {
                proxy(bp)
                    .authentication
                    .openid
                    .as_mut()
                    .unwrap()
                    .client_secret_ref = "s3cr3t-value".into()
            },
            "proxy.authentication.openid.clientSecretRef",
            "not a secret reference",
        );
    }

    #[test]
    fn ldap_and_simple() {
        let ldap = |url: &str| LdapAuth {
            url: url.into(),
            user_dn_pattern: "uid={0},ou=people".into(),
            group_search_base: None,
            group_search_filter: None,
            manager_dn: Some("cn=admin".into()),
            manager_password_ref: Some("ssm:/shiny/ldap".into()),
        };
        let use_ldap = |bp: &mut Blueprint, l| {
            let auth = &mut proxy(bp).authentication;
            auth.kind = AuthenticationType::Ldap;
            auth.openid = None;
            auth.ldap = Some(l);
        };
        assert!(
            paths_after(|bp| use_ldap(bp, ldap("ldaps://ldap.example.com:636/dc=example")))
                .is_empty()
        );
        assert_one(
            |bp| use_ldap(bp, ldap("https://ldap.example.com")),
            "proxy.authentication.ldap.url",
            "not an LDAP URL",
        );
        let mut no_password = ldap("ldap://ldap");
        no_password.manager_password_ref = None;
        assert_one(
            |bp| use_ldap(bp, no_password),
            "proxy.authentication.ldap",
            "without `managerPasswordRef`",
        );

        let user = |name: &str| SimpleUser {
            name: name.into(),
            password_ref: "secretsmanager:u".into(),
            groups: vec![],
        };
        assert_one(
            |bp| {
                let auth = &mut proxy(bp).authentication;
                auth.kind = AuthenticationType::Simple;
                auth.openid = None;
                auth.simple = Some(SimpleAuth {
                    users: vec![user("ann"), user("ann")],
                });
            },
            "proxy.authentication.simple.users[1].name",
            "duplicate",
        );
    }

    #[test]
    fn app_ids() {
        assert_one(
            |bp| {
                let again = app(bp).clone();
                proxy(bp).apps.push(again);
            },
            "proxy.apps[1].id",
            "duplicate",
        );
        assert_one(
            |bp| app(bp).id = "Covid_19".into(),
            "proxy.apps[0].id",
            "not a valid app id",
        );
    }

    #[test]
    fn images() {
        let found =
            problems_after(|bp| app(bp).image = "registry:shiny/covid19-trackr:1.4.0".into());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, "proxy.apps[0].image");
        assert_eq!(
            found[0].hint.as_deref(),
            Some("did you mean `shiny/covid19-tracker`?")
        );
        assert_one(
            |bp| app(bp).image = "registry:shiny/covid19-tracker".into(),
            "proxy.apps[0].image",
            "no valid tag",
        );
        assert_one(
            |bp| app(bp).image = "ghcr.io/openanalytics/shinyproxy-demo".into(),
            "proxy.apps[0].image",
            "no tag or digest",
        );
        assert_one(
            |bp| app(bp).image = "localhost:5000/demo".into(),
            "proxy.apps[0].image",
            "no tag or digest",
        );
        for good in [
            "ghcr.io/openanalytics/shinyproxy-demo:latest",
            "localhost:5000/demo:1",
            "ghcr.io/r/x@sha256:abc",
            "registry:shiny/covid19-tracker@sha256:ab",
        ] {
            assert!(
                paths_after(|bp| app(bp).image = good.into()).is_empty(),
                "{good}"
            );
        }
        // (`proxy.image` names the registry too.)
        let no_registry: Vec<_> = problems_after(|bp| bp.registry = None)
            .into_iter()
            .filter(|p| p.path == "proxy.apps[0].image")
            .collect();
        assert_eq!(no_registry.len(), 1);
        assert!(
            no_registry[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("no repositories")
        );
    }

    #[test]
    fn resources() {
        let rl = |r: &str, l: &str| {
            Some(RequestLimit {
                request: r.into(),
                limit: l.into(),
            })
        };
        assert_one(
            |bp| app(bp).cpu = rl("2", "1"),
            "proxy.apps[0].cpu.request",
            "greater than the limit",
        );
        assert_one(
            |bp| app(bp).memory = rl("1GB", "2Gi"),
            "proxy.apps[0].memory.request",
            "not a Kubernetes quantity",
        );
        assert_one(
            |bp| app(bp).memory = rl("512m", "2Gi"),
            "proxy.apps[0].memory.request",
            "millibytes",
        );
        assert_one(
            |bp| app(bp).cpu = rl("0", "1"),
            "proxy.apps[0].cpu.request",
            "zero",
        );
        assert!(paths_after(|bp| app(bp).cpu = rl("500m", "1")).is_empty());
    }

    #[test]
    fn mounts() {
        let found = problems_after(|bp| app(bp).mounts[0].access_point = "shared-dta".into());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, "proxy.apps[0].mounts[0].accessPoint");
        assert_eq!(
            found[0].hint.as_deref(),
            Some("did you mean `shared-data`?")
        );
        assert_one(
            |bp| app(bp).mounts[0].path = "srv/data".into(),
            "proxy.apps[0].mounts[0].path",
            "absolute",
        );
        assert_one(
            |bp| {
                app(bp).mounts.push(Mount {
                    access_point: "shared-data".into(),
                    path: "/srv/data/".into(),
                    read_only: true,
                })
            },
            "proxy.apps[0].mounts[1].path",
            "twice",
        );
    }

    #[test]
    fn seats_port_and_env() {
        assert_one(
            |bp| app(bp).minimum_seats_available = Some(101),
            "proxy.apps[0].minimumSeatsAvailable",
            "101",
        );
        assert_one(|bp| app(bp).port = 0, "proxy.apps[0].port", "port 0");
        assert_one(
            |bp| _ = app(bp).env.insert("1BAD".into(), "x".into()),
            "proxy.apps[0].env.1BAD",
            "environment variable",
        );
    }
}
