use serde_json::Value;

use super::*;
use crate::blueprint::model::{AuthenticationType, LdapAuth, SimpleAuth, SimpleUser, UsageStats};

fn example() -> Blueprint {
    crate::load::shipped("shinyproxy-eks.yaml").blueprint
}

fn rendered(bp: &Blueprint) -> Workload {
    render(bp, &PlatformFacts::placeholders(bp)).expect("the blueprint has a proxy")
}

fn find<'a>(w: &'a Workload, kind: &str, name: &str) -> &'a Value {
    w.objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn no_proxy_no_workload() {
    let mut bp = example();
    bp.proxy = None;
    // A cluster behind an ingress still gets the load balancer controller, alone.
    let controller = render(&bp, &PlatformFacts::placeholders(&bp)).expect("the controller");
    assert!(controller.application_yml.is_null());
    assert!(controller.objects.iter().all(controllers::is_controller));
    bp.ingress = None;
    assert!(render(&bp, &PlatformFacts::placeholders(&bp)).is_none());
}

#[test]
fn application_yml_uses_only_documented_keys() {
    let mut bp = example();
    assert_eq!(
        keys::unknown_keys(&rendered(&bp).application_yml),
        Vec::<String>::new()
    );
    // Every authentication type, too.
    let proxy = bp.proxy.as_mut().unwrap();
    proxy.authentication.kind = AuthenticationType::Simple;
    proxy.authentication.simple = Some(SimpleAuth {
        users: vec![SimpleUser {
            name: "jack".into(),
            password_ref: "secretsmanager:jack".into(),
            groups: vec!["analysts".into()],
        }],
    });
    assert_eq!(
        keys::unknown_keys(&rendered(&bp).application_yml),
        Vec::<String>::new()
    );
    let proxy = bp.proxy.as_mut().unwrap();
    proxy.authentication.kind = AuthenticationType::Ldap;
    proxy.authentication.ldap = Some(LdapAuth {
        url: "ldaps://ldap.example.com:636/dc=example,dc=com".into(),
        user_dn_pattern: "uid={0},ou=people".into(),
        group_search_base: Some("ou=groups".into()),
        group_search_filter: Some("(member={0})".into()),
        manager_dn: Some("cn=admin".into()),
        manager_password_ref: Some("ssm:/ldap/manager".into()),
    });
    let config = rendered(&bp).application_yml;
    assert_eq!(keys::unknown_keys(&config), Vec::<String>::new());
    assert_eq!(
        config["proxy"]["ldap"]["manager-password"],
        "${SHINYCTL_LDAP_MANAGER_PASSWORD}"
    );
}

#[test]
fn secrets_are_placeholders_with_sources_never_values() {
    let bp = example();
    let w = rendered(&bp);
    let proxy = &w.application_yml["proxy"];
    assert_eq!(
        proxy["openid"]["client-secret"],
        "${SHINYCTL_OPENID_CLIENT_SECRET}"
    );
    assert_eq!(
        proxy["usage-stats-password"],
        "${SHINYCTL_DATABASE_PASSWORD}"
    );
    let secret = find(&w, "Secret", secrets::SECRET_NAME);
    assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
    let sources: Value = serde_json::from_str(
        secret["metadata"]["annotations"]["shinyctl.dev/secret-sources"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        sources["SHINYCTL_OPENID_CLIENT_SECRET"],
        "secretsmanager:analytics/oidc-client-secret"
    );
    // Usage statistics are written as their own user, with its own password: never the
    // RDS-managed master secret.
    assert_eq!(
        sources["SHINYCTL_DATABASE_PASSWORD"],
        "secretsmanager:analytics/usage-stats-password"
    );
    assert_eq!(proxy["usage-stats-username"], "shinyproxy_usage");
    // ShinyProxy's objects never name the master secret: only the usage-statistics user's Job
    // and its short-lived Secret do.
    let text = serde_json::to_string(
        &w.objects
            .iter()
            .filter(|o| !usage_user::is_job_object(o))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        !text.contains("rds!"),
        "the master secret is referenced: {text}"
    );
    assert_eq!(
        w.application_yml["spring"]["config"]["import"],
        "configtree:/etc/shinyproxy/secrets/"
    );
}

#[test]
fn redis_store_follows_replicas_and_tls_and_survives_restarts() {
    let mut bp = example();
    let w = rendered(&bp);
    let proxy = &w.application_yml["proxy"];
    assert_eq!(proxy["store-mode"], "Redis");
    // A restarted replica must not stop every user's app (containerproxy's default is true).
    assert_eq!(proxy["stop-proxies-on-shutdown"], false);
    let redis = &w.application_yml["spring"]["data"]["redis"];
    assert_eq!(redis["host"], "analytics-cache.offline.invalid");
    assert_eq!(redis["port"], 6379);
    assert_eq!(redis["ssl"]["enabled"], true);
    // ElastiCache refuses CONFIG: Spring Session must not configure keyspace events itself.
    let session = &w.application_yml["spring"]["session"];
    assert_eq!(session["store-type"], "redis");
    assert_eq!(session["redis"]["configure-action"], "none");
    bp.proxy.as_mut().unwrap().replicas = 1;
    let w = rendered(&bp);
    assert!(w.application_yml["proxy"].get("store-mode").is_none());
    assert!(
        w.application_yml["proxy"]
            .get("stop-proxies-on-shutdown")
            .is_none()
    );
    assert!(w.application_yml["spring"].get("data").is_none());
}

#[test]
fn cookies_are_secure_behind_https_and_frames_same_origin() {
    let mut bp = example();
    let server = rendered(&bp).application_yml["server"].clone();
    assert_eq!(server["secure-cookies"], true);
    assert_eq!(server["frame-options"], "sameorigin");
    let ingress = bp.ingress.as_mut().unwrap();
    ingress
        .listeners
        .retain(|l| l.protocol != crate::blueprint::model::ListenerProtocol::Https);
    for listener in &mut ingress.listeners {
        listener.redirect_to = None;
    }
    let server = rendered(&bp).application_yml["server"].clone();
    assert!(server.get("secure-cookies").is_none());
}

#[test]
fn the_proxy_may_start_apps_and_read_events_but_not_touch_claims_or_services() {
    let w = rendered(&example());
    let role = find(&w, "Role", "shinyproxy");
    let rules = role["rules"].as_array().unwrap();
    let granted = |resource: &str, verb: &str| {
        rules.iter().any(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == resource)
                && r["verbs"].as_array().unwrap().iter().any(|x| x == verb)
        })
    };
    assert!(granted("pods", "create") && granted("pods", "delete"));
    assert!(granted("pods/log", "get"));
    assert!(granted("events", "list") && granted("events", "get"));
    assert!(!granted("persistentvolumeclaims", "delete"));
    assert!(!granted("persistentvolumeclaims", "create"));
    assert!(!granted("services", "create"));
    // containerproxy 1.2.0 reads the headless Service it puts app pods under; shinyctl renders
    // it, so reading that one Service is all ShinyProxy may do with Services.
    let services: Vec<&Value> = rules
        .iter()
        .filter(|r| r["resources"][0] == "services")
        .collect();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0]["verbs"], serde_json::json!(["get"]));
    assert_eq!(
        services[0]["resourceNames"],
        serde_json::json!([manifests::HEADLESS_SERVICE])
    );
    let headless = find(&w, "Service", manifests::HEADLESS_SERVICE);
    assert_eq!(headless["metadata"]["namespace"], "shiny-apps");
    assert_eq!(headless["spec"]["clusterIP"], "None");
}

#[test]
fn heartbeat_keeps_websockets_inside_the_idle_timeout() {
    let mut bp = example();
    bp.ingress.as_mut().unwrap().idle_timeout_seconds = Some(12);
    let w = rendered(&bp);
    assert_eq!(w.application_yml["proxy"]["heartbeat-rate"], 6000);
    assert_eq!(w.application_yml["proxy"]["heartbeat-timeout"], 60000);
}

#[test]
fn apps_get_ecr_images_resources_groups_volumes_and_seats() {
    let bp = example();
    let w = rendered(&bp);
    let spec = &w.application_yml["proxy"]["specs"][0];
    assert_eq!(
        spec["container-image"],
        "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn/analytics/shiny/covid19-tracker:1.4.0"
    );
    assert_eq!(spec["container-memory-limit"], "2Gi");
    assert_eq!(spec["access-groups"][0], "analysts");
    assert_eq!(spec["minimum-seats-available"], 1);
    let patches = spec["kubernetes-pod-patches"].as_str().unwrap();
    assert!(patches.starts_with("- op: add\n  path: /spec/volumes\n"));
    assert!(patches.contains("claimName: efs-shared-data"));
    let pv = find(&w, "PersistentVolume", "analytics-efs-shared-data");
    assert_eq!(
        pv["spec"]["csi"]["volumeHandle"],
        "fs-offline-analytics-efs::fsap-offline-analytics-shared-data"
    );
    assert_eq!(pv["spec"]["accessModes"][0], "ReadWriteMany");
    let pvc = find(&w, "PersistentVolumeClaim", "efs-shared-data");
    assert_eq!(pvc["metadata"]["namespace"], "shiny-apps");
}

#[test]
fn every_object_is_labelled_for_pruning() {
    let w = rendered(&example());
    for object in &w.objects {
        let labels = &object["metadata"]["labels"];
        assert_eq!(labels[MANAGED_BY.0], MANAGED_BY.1, "{}", object_id(object));
        assert_eq!(
            labels[BLUEPRINT_LABEL],
            "analytics",
            "{}",
            object_id(object)
        );
    }
}

#[test]
fn shinyproxy_is_never_cluster_admin() {
    let w = rendered(&example());
    assert!(
        !w.objects
            .iter()
            .filter(|o| !controllers::is_controller(o))
            .any(|o| o["kind"] == "ClusterRole" || o["kind"] == "ClusterRoleBinding")
    );
    let role = find(&w, "Role", NAME);
    assert_eq!(role["metadata"]["namespace"], "shiny-apps");
    let text = role.to_string();
    assert!(!text.contains("\"*\"") && !text.contains("secrets"));
}

#[test]
fn a_config_change_rolls_the_deployment() {
    let mut bp = example();
    let hash = |bp: &Blueprint| {
        rendered(bp)
            .objects
            .iter()
            .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == NAME)
            .map(|d| {
                d["spec"]["template"]["metadata"]["annotations"][manifests::CONFIG_HASH].clone()
            })
            .unwrap()
    };
    let before = hash(&bp);
    assert_eq!(before, hash(&bp));
    bp.proxy.as_mut().unwrap().heartbeat_timeout_seconds = 120;
    assert_ne!(before, hash(&bp));
}

#[test]
fn deployment_is_locked_down() {
    let w = rendered(&example());
    let d = find(&w, "Deployment", NAME);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["image"],
        "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn/analytics/openanalytics/shinyproxy:3.2.0"
    );
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "management");
}

#[test]
fn target_group_binding_points_at_the_catalogs_target_group() {
    let w = rendered(&example());
    let tgb = find(&w, "TargetGroupBinding", NAME);
    assert_eq!(tgb["spec"]["targetType"], "ip");
    assert!(
        tgb["spec"]["targetGroupARN"]
            .as_str()
            .unwrap()
            .contains(":targetgroup/analytics-proxy/")
    );
}

#[test]
fn without_usage_stats_there_is_no_jdbc_and_no_database_secret() {
    let mut bp = example();
    let proxy = bp.proxy.as_mut().unwrap();
    proxy.usage_stats = UsageStats::None;
    let w = rendered(&bp);
    assert!(w.application_yml["proxy"].get("usage-stats-url").is_none());
    let secret = find(&w, "Secret", secrets::SECRET_NAME).to_string();
    assert!(!secret.contains("DATABASE"));
}

#[test]
fn object_ids_are_stable() {
    let w = rendered(&example());
    let ids: Vec<String> = w.objects.iter().map(object_id).collect();
    assert!(ids.contains(&"apps/v1/Deployment/shinyproxy/shinyproxy".to_string()));
    assert!(ids.contains(&"v1/Namespace//shiny-apps".to_string()));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn optional_proxy_settings_and_explicit_container_re_use() {
    let mut bp = example();
    let w = rendered(&bp);
    let proxy = &w.application_yml["proxy"];
    for key in ["log-as-json", "container-wait-time", "max-total-instances"] {
        assert!(
            proxy.get(key).is_none(),
            "{key} only when the blueprint says"
        );
    }
    // The example keeps a seat ready: re-use is written, and off unless asked for.
    assert_eq!(proxy["specs"][0]["allow-container-re-use"], false);
    let p = bp.proxy.as_mut().unwrap();
    p.log_as_json = true;
    p.container_wait_seconds = Some(240);
    p.max_total_instances = Some(50);
    p.apps[0].allow_container_re_use = true;
    p.apps[0].max_instances = Some(2);
    p.apps[0].max_total_instances = Some(20);
    let w = rendered(&bp);
    let proxy = &w.application_yml["proxy"];
    assert_eq!(proxy["log-as-json"], true);
    assert_eq!(proxy["container-wait-time"], 240_000);
    assert_eq!(proxy["max-total-instances"], 50);
    let spec = &proxy["specs"][0];
    assert_eq!(spec["allow-container-re-use"], true);
    assert_eq!(spec["max-instances"], 2);
    assert_eq!(spec["max-total-instances"], 20);
    assert!(crate::workload::keys::unknown_keys(&w.application_yml).is_empty());
}

/// Issue 19: the China example pulls every image from its own ECR (ShinyProxy's copied there by
/// `shinyctl images mirror`), none from Docker Hub; without `proxy.image` ShinyProxy's comes from
/// Docker Hub, tagged with the version.
#[test]
fn every_image_of_the_china_example_is_in_its_ecr() {
    let bp = example();
    let facts = PlatformFacts::placeholders(&bp);
    let w = rendered(&bp);
    let mut images: Vec<String> = w
        .objects
        .iter()
        .flat_map(|o| {
            let spec = &o["spec"]["template"]["spec"];
            ["initContainers", "containers"]
                .into_iter()
                .flat_map(|key| spec[key].as_array().cloned().unwrap_or_default())
                .collect::<Vec<_>>()
        })
        .map(|c| c["image"].as_str().unwrap().to_string())
        .collect();
    let specs = w.application_yml["proxy"]["specs"].as_array().unwrap();
    images.extend(
        specs
            .iter()
            .map(|s| s["container-image"].as_str().unwrap().to_string()),
    );
    assert!(images.len() >= 2, "{images:?}");
    // The load balancer controller comes from EKS's own registry in the region (reachable from
    // nodes in China), everything else from the blueprint's ECR.
    let eks = super::controllers::registry::eks_registry(&bp.metadata.region);
    for image in &images {
        assert!(
            image.starts_with(&format!("{}/analytics/", facts.registry_host))
                || image.starts_with(&format!("{eks}/")),
            "{image} is neither in the blueprint's ECR nor in EKS's registry of the region"
        );
    }
    let mut upstream = bp.clone();
    upstream.proxy.as_mut().unwrap().image = None;
    let w = rendered(&upstream);
    let d = find(&w, "Deployment", NAME);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "openanalytics/shinyproxy:3.2.0"
    );
}

/// Item 10: the 3.2 image's command sets the JVM's memory flags (`-XX:MaxRAMPercentage=50`),
/// which win over JAVA_TOOL_OPTIONS: shinyctl sets no JVM flags of its own.
#[test]
fn the_image_keeps_its_own_jvm_flags() {
    let w = rendered(&example());
    let text = find(&w, "Deployment", NAME).to_string();
    assert!(!text.contains("JAVA_TOOL_OPTIONS"), "{text}");
    assert!(!text.contains("MaxRAMPercentage"), "{text}");
}

/// Item 6: a rollout never routes a request to a pod the ALB still sends traffic to, nor stops
/// an old pod before the new one is healthy in the target group.
#[test]
fn rollouts_drain_behind_the_readiness_gate() {
    let bp = example();
    let w = rendered(&bp);
    let proxy = bp.proxy.as_ref().unwrap();
    let namespace = find(&w, "Namespace", &proxy.namespace);
    assert_eq!(
        namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"],
        "enabled"
    );
    // The apps' namespace has no load balancer in front: no gate there.
    let apps = find(&w, "Namespace", &proxy.app_namespace);
    assert!(
        apps["metadata"]["labels"]
            .get("elbv2.k8s.aws/pod-readiness-gate-inject")
            .is_none()
    );
    let drain = rollout::drain_seconds(&bp);
    // idleTimeoutSeconds 3600 in the example: heartbeats every 10 s, so two of them, 20 s.
    assert_eq!(drain, 20);
    let pod = &find(&w, "Deployment", NAME)["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(
        c["lifecycle"]["preStop"]["exec"]["command"],
        serde_json::json!(["sleep", "20"])
    );
    assert_eq!(
        pod["terminationGracePeriodSeconds"],
        drain + rollout::SHUTDOWN_SECONDS
    );
    // The target group holds a draining pod's connections exactly as long.
    let tg = crate::plan::catalog::desired(&bp)
        .into_iter()
        .find(|r| r.kind == crate::plan::ResourceKind::TargetGroup)
        .unwrap();
    assert_eq!(tg.properties["deregistrationDelaySeconds"], drain);
    // Offline, PROXY_VERSION is a number ShinyProxy accepts; apply stamps the real one.
    assert_eq!(
        rollout::version_of(find(&w, "Deployment", NAME)),
        Some(rollout::OFFLINE_VERSION)
    );
}

#[test]
fn the_drain_follows_the_heartbeat() {
    let mut bp = example();
    bp.ingress.as_mut().unwrap().idle_timeout_seconds = Some(4);
    // Heartbeats every 2 s: two of them are 4 s, less than the controller needs.
    assert_eq!(rollout::drain_seconds(&bp), 15);
    bp.ingress = None;
    assert_eq!(rollout::drain_seconds(&bp), 20);
}

/// Item 4: a new version of any secret the pods read rolls them (its version, never its value,
/// is on the pod template), and so does a changed reference.
#[test]
fn a_new_secret_version_rolls_the_pods() {
    let bp = example();
    let facts = PlatformFacts::placeholders(&bp);
    let keys: Vec<String> = secrets::needed(bp.proxy.as_ref().unwrap(), &facts)
        .into_iter()
        .map(|s| s.key)
        .collect();
    let template = |versions: &[(&str, &str)]| {
        let mut w = rendered(&bp);
        let versions = versions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        rollout::set_secret_versions(&mut w.objects, &keys, &versions);
        find(&w, "Deployment", NAME)["spec"]["template"]["metadata"]["annotations"].clone()
    };
    let before = template(&[
        ("SHINYCTL_OPENID_CLIENT_SECRET", "v1"),
        ("SHINYCTL_DATABASE_PASSWORD", "v1"),
    ]);
    let same = template(&[
        ("SHINYCTL_OPENID_CLIENT_SECRET", "v1"),
        ("SHINYCTL_DATABASE_PASSWORD", "v1"),
    ]);
    let rotated = template(&[
        ("SHINYCTL_OPENID_CLIENT_SECRET", "v1"),
        ("SHINYCTL_DATABASE_PASSWORD", "v2"),
    ]);
    assert_eq!(before, same);
    assert_ne!(
        before[rollout::SECRET_VERSIONS],
        rotated[rollout::SECRET_VERSIONS]
    );
    // A new template: apply gives the new pods a new PROXY_VERSION too.
    assert_ne!(
        before[rollout::TEMPLATE_HASH],
        rotated[rollout::TEMPLATE_HASH]
    );
    assert!(
        !rotated.to_string().contains("v2"),
        "a fingerprint, not the versions"
    );
}

/// Item 4: the usage-statistics user is made by a Job before ShinyProxy's Deployment, reading the
/// master credentials from a Secret that holds no value when rendered; the Job holds none either.
#[test]
fn the_usage_statistics_user_is_made_by_a_job_before_shinyproxy() {
    let bp = example();
    let w = rendered(&bp);
    let position = |kind: &str, name: &str| {
        w.objects
            .iter()
            .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    };
    let job_at = position("Job", usage_user::JOB_NAME);
    assert!(position("Secret", usage_user::ADMIN_SECRET) < job_at);
    assert!(job_at < position("Deployment", NAME));
    let job = find(&w, "Job", usage_user::JOB_NAME);
    assert_eq!(job["metadata"]["namespace"], "shinyproxy");
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["automountServiceAccountToken"], false);
    let container = &pod["containers"][0];
    // The China example's client image is a copy in its ECR (`images mirror`).
    assert_eq!(
        container["image"],
        "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn/analytics/postgres:17.5-alpine"
    );
    assert_eq!(container["securityContext"]["runAsNonRoot"], true);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert!(container.get("envFrom").is_none());
    assert!(
        !container["env"].to_string().contains("secretKeyRef"),
        "secrets as files only"
    );
    let script = container["command"][2].as_str().unwrap();
    assert!(script.contains("analytics-db.offline.invalid"), "{script}");
    assert!(script.contains("GRANT USAGE, CREATE ON SCHEMA usage_stats"));
    // The Secret says where its values come from; the master secret's keys by name.
    let secret = find(&w, "Secret", usage_user::ADMIN_SECRET);
    assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
    let sources: serde_json::Map<String, Value> = serde_json::from_str(
        secret["metadata"]["annotations"][manifests::SECRET_SOURCES]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        sources[usage_user::ADMIN_PASSWORD],
        "secretsmanager:arn:aws-cn:secretsmanager:cn-northwest-1:000000000000:secret:rds!analytics-db-offline#password"
    );
    assert_eq!(
        sources[secrets::DATABASE_PASSWORD],
        "secretsmanager:analytics/usage-stats-password"
    );
    // ShinyProxy's Secret carries what the user is made for, the Job the same.
    let marker =
        &find(&w, "Secret", secrets::SECRET_NAME)["metadata"]["annotations"][usage_user::MARKER];
    assert_eq!(marker, &job["metadata"]["annotations"][usage_user::MARKER]);
    assert!(marker.as_str().unwrap().ends_with(".offline"));
    // Without usage statistics in the database: no Job.
    let mut none = bp.clone();
    none.proxy.as_mut().unwrap().usage_stats = UsageStats::None;
    assert!(
        !rendered(&none)
            .objects
            .iter()
            .any(usage_user::is_job_object)
    );
}

/// The Job runs only while the cluster's ShinyProxy Secret says the user was made for something
/// else (another password version, another database).
#[test]
fn the_job_runs_until_the_user_is_made_for_this_password() {
    let bp = example();
    let mut w = rendered(&bp);
    usage_user::set_password_version(&mut w.objects, Some("v1"));
    let marked = find(&w, "Secret", secrets::SECRET_NAME).clone();
    let job_marker = find(&w, "Job", usage_user::JOB_NAME)["metadata"]["annotations"]
        [usage_user::MARKER]
        .clone();
    assert_eq!(
        marked["metadata"]["annotations"][usage_user::MARKER],
        job_marker
    );
    assert!(!job_marker.as_str().unwrap().ends_with(".offline"));
    // Nothing on the cluster yet, or a Secret made for another version: the Job runs.
    let mut objects = w.objects.clone();
    usage_user::settle(&mut objects, &[]);
    assert!(objects.iter().any(usage_user::is_job_object));
    let mut older = w.clone();
    usage_user::set_password_version(&mut older.objects, Some("v0"));
    let live_older = find(&older, "Secret", secrets::SECRET_NAME).clone();
    usage_user::settle(&mut objects, std::slice::from_ref(&live_older));
    assert!(objects.iter().any(usage_user::is_job_object));
    // Made for this version: neither the Job nor the master credentials' Secret.
    usage_user::settle(&mut objects, std::slice::from_ref(&marked));
    assert!(!objects.iter().any(usage_user::is_job_object));
    assert!(
        objects
            .iter()
            .any(|o| o["metadata"]["name"] == secrets::SECRET_NAME)
    );
}

/// Both scripts are valid sh (Debian's `sh -n`), and neither puts a password on a command line.
#[test]
fn the_job_scripts_are_valid_sh() {
    let scripts = [
        usage_user::postgres_script("db.example.invalid", 5432, "shinyproxy", "shinyproxy_usage"),
        usage_user::mysql_script("db.example.invalid", 3306, "shinyproxy", "shinyproxy_usage"),
    ];
    for script in scripts {
        let out = std::process::Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!script.contains("-p$") && !script.contains("--password"));
    }
}

/// The Job's image: Docker's official client for the engine by default, `registry:NAME` tagged as
/// the default unless it says a tag.
#[test]
fn the_job_image_follows_the_engine_and_the_blueprint() {
    use crate::blueprint::images::{MYSQL_CLIENT_IMAGE, usage_stats_user_image};
    use crate::blueprint::model::DatabaseEngine;
    let mut bp = example();
    assert_eq!(
        usage_stats_user_image(&bp).unwrap().image,
        "registry:postgres:17.5-alpine"
    );
    bp.proxy
        .as_mut()
        .unwrap()
        .usage_stats_user
        .as_mut()
        .unwrap()
        .image = None;
    bp.database.as_mut().unwrap().engine = DatabaseEngine::AuroraMysql;
    assert_eq!(
        usage_stats_user_image(&bp).unwrap().image,
        MYSQL_CLIENT_IMAGE
    );
    let w = rendered(&bp);
    let script = find(&w, "Job", usage_user::JOB_NAME)["spec"]["template"]["spec"]["containers"][0]
        ["command"][2]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        script.contains("GRANT CREATE, INSERT ON `shinyproxy`.`event`"),
        "{script}"
    );
}
