use serde_json::Value;

use super::*;
use crate::blueprint::load_str;
use crate::blueprint::model::{AuthenticationType, LdapAuth, SimpleAuth, SimpleUser, UsageStats};

fn example() -> Blueprint {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/blueprints/shinyproxy-eks.yaml"
    ))
    .expect("the example blueprint is shipped");
    load_str("shinyproxy-eks.yaml", &text)
        .expect("the example is valid")
        .blueprint
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
    assert!(
        sources["SHINYCTL_DATABASE_PASSWORD"]
            .as_str()
            .unwrap()
            .ends_with("#password")
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
}

#[test]
fn heartbeat_keeps_websockets_inside_the_idle_timeout() {
    let mut bp = example();
    bp.ingress.as_mut().unwrap().idle_timeout_seconds = 12;
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
    assert_eq!(c["image"], "openanalytics/shinyproxy:3.1.1");
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
fn operator_options_and_explicit_container_re_use() {
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
