//! ShinyProxy's `application.yml`, as a JSON value (the YAML writer is in `render::workload`).
//! Every key is one ShinyProxy documents (`keys.rs`; a test rejects any other).

use serde_json::{Map, Value, json};

use crate::blueprint::Blueprint;
use crate::blueprint::model::{App, AuthenticationType, DatabaseEngine, Proxy};

use super::facts::PlatformFacts;
use super::secrets::{self, SecretValue};
use super::{ACTUATOR_PORT, PROXY_PORT, efs, rollout};

/// Fargate pods take a minute or more to be scheduled and pull their image.
const FARGATE_POD_WAIT_MS: u64 = 300_000;
const POD_WAIT_MS: u64 = 120_000;

pub(crate) fn application_yml(bp: &Blueprint, proxy: &Proxy, facts: &PlatformFacts) -> Value {
    let secret_values = secrets::needed(proxy, facts);
    let placeholder = |key: &str| {
        secret_values
            .iter()
            .find(|s| s.key == key)
            .map(SecretValue::placeholder)
    };

    let mut p = Map::new();
    p.insert("title".into(), json!(bp.metadata.name));
    p.insert("port".into(), json!(PROXY_PORT));
    p.insert("container-backend".into(), json!("kubernetes"));
    // Heartbeats keep idle websockets open through the load balancer: at least twice per idle
    // timeout, at most every 10 s (ShinyProxy's default).
    p.insert(
        "heartbeat-rate".into(),
        json!(rollout::heartbeat_rate_ms(bp)),
    );
    p.insert(
        "heartbeat-timeout".into(),
        json!(u64::from(proxy.heartbeat_timeout_seconds) * 1000),
    );
    let redis = facts.redis.as_ref().filter(|_| proxy.replicas > 1);
    if redis.is_some() {
        // Sessions and running apps live in Redis, so a restarted or other replica knows them.
        p.insert("store-mode".into(), json!("Redis"));
        p.insert("realm-id".into(), json!(bp.metadata.name));
        // containerproxy's ProxyService stops every proxy in the store on shutdown unless told
        // not to (`proxy.stop-proxies-on-shutdown`, default true, containerproxy 1.1.1); with the
        // shared Redis store that is every replica's apps, on each rollout, drain or eviction.
        // containerproxy warns about exactly this combination; the ShinyProxy operator's examples set
        // false.
        p.insert("stop-proxies-on-shutdown".into(), json!(false));
    }
    p.insert(
        "kubernetes".into(),
        json!({
            "namespace": proxy.app_namespace,
            "internal-networking": true,
            "pod-wait-time": if apps_on_fargate(bp, proxy) { FARGATE_POD_WAIT_MS } else { POD_WAIT_MS },
        }),
    );
    if proxy.log_as_json {
        // containerproxy `LoggingConfigurer` (`proxy.log-as-json`).
        p.insert("log-as-json".into(), json!(true));
    }
    if let Some(wait) = proxy.container_wait_seconds {
        // How long ShinyProxy's test strategy waits for the app to answer (ShinyProxy
        // `ShinyProxyTestStrategy`, default 20 s), after the pod is ready.
        p.insert("container-wait-time".into(), json!(u64::from(wait) * 1000));
    }
    if let Some(limit) = proxy.max_total_instances {
        p.insert("max-total-instances".into(), json!(limit));
    }
    authentication(proxy, &mut p, &placeholder);
    let database = facts
        .database
        .as_ref()
        .zip(secrets::usage_stats_user(proxy, facts));
    if let (Some((db, user)), Some(engine)) = (database, bp.database.as_ref().map(|d| d.engine)) {
        let scheme = match engine {
            DatabaseEngine::Postgres | DatabaseEngine::AuroraPostgresql => "postgresql",
            DatabaseEngine::Mysql | DatabaseEngine::AuroraMysql => "mysql",
        };
        p.insert(
            "usage-stats-url".into(),
            json!(format!(
                "jdbc:{scheme}://{}:{}/{}",
                db.host, db.port, db.name
            )),
        );
        // Its own least-privilege user (see `usage_stats_user.rs`), not the master user.
        p.insert("usage-stats-username".into(), json!(user.name));
        p.insert(
            "usage-stats-password".into(),
            json!(placeholder(secrets::DATABASE_PASSWORD)),
        );
    }
    let specs: Vec<Value> = proxy.apps.iter().map(|app| spec(bp, app, facts)).collect();
    p.insert("specs".into(), Value::Array(specs));

    let mut root = Map::new();
    root.insert("proxy".into(), Value::Object(p));
    let mut spring = Map::new();
    if !secret_values.is_empty() {
        spring.insert(
            "config".into(),
            json!({"import": format!("configtree:{}", secrets::MOUNT_PATH)}),
        );
    }
    if let Some(redis) = redis {
        // A replicated group's primary endpoint (validation refuses cluster mode behind the
        // proxy: containerproxy's seat store needs transactions).
        let mut r = Map::new();
        r.insert("host".into(), json!(redis.host));
        r.insert("port".into(), json!(redis.port));
        r.insert("ssl".into(), json!({"enabled": redis.tls}));
        // containerproxy makes Spring Session's repository indexed, whose default configure
        // action runs `CONFIG GET/SET notify-keyspace-events` at start-up; ElastiCache refuses
        // CONFIG, so start-up would fail. The cache's parameter group sets the events instead
        // (catalog `cache.rs`). Spring Boot 3.2 `spring.session.redis.configure-action`.
        spring.insert(
            "session".into(),
            json!({"store-type": "redis", "redis": {"configure-action": "none"}}),
        );
        spring.insert("data".into(), json!({"redis": Value::Object(r)}));
    }
    if !spring.is_empty() {
        root.insert("spring".into(), Value::Object(spring));
    }
    // Behind the load balancer: trust X-Forwarded-* for redirects (OIDC/SAML callbacks).
    let mut server = Map::new();
    server.insert("forward-headers-strategy".into(), json!("native"));
    if served_over_https(bp) {
        // Session cookies only over HTTPS (containerproxy `server.secure-cookies`; it warns
        // when set while reached over plain HTTP, so only with an HTTPS listener).
        server.insert("secure-cookies".into(), json!(true));
    }
    // ShinyProxy shows apps in frames of its own origin: allow those, refuse other sites'
    // (containerproxy `server.frame-options`, default `disable`; the ShinyProxy operator's examples
    // set `sameorigin`).
    server.insert("frame-options".into(), json!("sameorigin"));
    root.insert("server".into(), Value::Object(server));
    root.insert(
        "management".into(),
        json!({"server": {"port": ACTUATOR_PORT}}),
    );
    Value::Object(root)
}

/// Whether users reach ShinyProxy over HTTPS: the load balancer has an HTTPS listener (a plain
/// HTTP listener beside it only redirects, or the blueprint says so itself).
fn served_over_https(bp: &Blueprint) -> bool {
    use crate::blueprint::model::ListenerProtocol;
    bp.ingress.as_ref().is_some_and(|ingress| {
        ingress
            .listeners
            .iter()
            .any(|l| l.protocol == ListenerProtocol::Https)
    })
}

/// Whether a Fargate profile selects the apps' namespace (without label conditions).
fn apps_on_fargate(bp: &Blueprint, proxy: &Proxy) -> bool {
    bp.cluster.as_ref().is_some_and(|c| {
        c.fargate_profiles
            .iter()
            .flat_map(|f| &f.selectors)
            .any(|s| s.namespace == proxy.app_namespace && s.labels.is_empty())
    })
}

fn authentication(
    proxy: &Proxy,
    p: &mut Map<String, Value>,
    placeholder: &dyn Fn(&str) -> Option<String>,
) {
    let auth = &proxy.authentication;
    p.insert("authentication".into(), json!(auth.kind.key()));
    match auth.kind {
        AuthenticationType::None => {}
        AuthenticationType::Simple => {
            let users: Vec<Value> = auth
                .simple
                .iter()
                .flat_map(|s| &s.users)
                .enumerate()
                .map(|(i, user)| {
                    let mut u = Map::new();
                    u.insert("name".into(), json!(user.name));
                    u.insert(
                        "password".into(),
                        json!(placeholder(&secrets::user_password_key(i))),
                    );
                    if !user.groups.is_empty() {
                        u.insert("groups".into(), json!(user.groups));
                    }
                    Value::Object(u)
                })
                .collect();
            p.insert("users".into(), Value::Array(users));
        }
        AuthenticationType::Ldap => {
            if let Some(ldap) = &auth.ldap {
                let mut l = Map::new();
                l.insert("url".into(), json!(ldap.url));
                l.insert("user-dn-pattern".into(), json!(ldap.user_dn_pattern));
                insert_some(&mut l, "group-search-base", &ldap.group_search_base);
                insert_some(&mut l, "group-search-filter", &ldap.group_search_filter);
                insert_some(&mut l, "manager-dn", &ldap.manager_dn);
                insert_some(
                    &mut l,
                    "manager-password",
                    &placeholder(secrets::LDAP_MANAGER_PASSWORD),
                );
                p.insert("ldap".into(), Value::Object(l));
            }
        }
        AuthenticationType::Openid => {
            if let Some(openid) = &auth.openid {
                let mut o = Map::new();
                o.insert("auth-url".into(), json!(openid.auth_url));
                o.insert("token-url".into(), json!(openid.token_url));
                o.insert("jwks-url".into(), json!(openid.jwks_url));
                insert_some(&mut o, "logout-url", &openid.logout_url);
                o.insert("client-id".into(), json!(openid.client_id));
                insert_some(
                    &mut o,
                    "client-secret",
                    &placeholder(secrets::OPENID_CLIENT_SECRET),
                );
                insert_some(&mut o, "roles-claim", &openid.roles_claim);
                p.insert("openid".into(), Value::Object(o));
            }
        }
        AuthenticationType::Saml => {
            if let Some(saml) = &auth.saml {
                let mut s = Map::new();
                s.insert("idp-metadata-url".into(), json!(saml.idp_metadata_url));
                s.insert("app-entity-id".into(), json!(saml.app_entity_id));
                s.insert("app-base-url".into(), json!(saml.app_base_url));
                insert_some(&mut s, "roles-attribute", &saml.roles_attribute);
                p.insert("saml".into(), Value::Object(s));
            }
        }
    }
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

fn spec(bp: &Blueprint, app: &App, facts: &PlatformFacts) -> Value {
    let mut s = Map::new();
    s.insert("id".into(), json!(app.id));
    insert_some(&mut s, "display-name", &app.display_name);
    insert_some(&mut s, "description", &app.description);
    s.insert(
        "container-image".into(),
        json!(resolve_image(bp, &app.image, facts)),
    );
    if !app.env.is_empty() {
        s.insert("container-env".into(), json!(app.env));
    }
    if let Some(cpu) = &app.cpu {
        s.insert("container-cpu-request".into(), json!(cpu.request));
        s.insert("container-cpu-limit".into(), json!(cpu.limit));
    }
    if let Some(memory) = &app.memory {
        s.insert("container-memory-request".into(), json!(memory.request));
        s.insert("container-memory-limit".into(), json!(memory.limit));
    }
    s.insert("port".into(), json!(app.port));
    if !app.access_groups.is_empty() {
        s.insert("access-groups".into(), json!(app.access_groups));
    }
    if let Some(seats) = app.minimum_seats_available {
        s.insert("minimum-seats-available".into(), json!(seats));
        // Explicit, because containerproxy's default (`ProxySharingSpecExtension`,
        // allowContainerReUse = true) hands a container one user has left to the next one,
        // with what the first wrote in it (and its read-write mounts).
        s.insert(
            "allow-container-re-use".into(),
            json!(app.allow_container_re_use),
        );
    }
    if let Some(limit) = app.max_instances {
        s.insert("max-instances".into(), json!(limit));
    }
    if let Some(limit) = app.max_total_instances {
        s.insert("max-total-instances".into(), json!(limit));
    }
    if let Some(patches) = efs::pod_patches(app) {
        // ShinyProxy reads this string as a YAML list of JSON-patch operations.
        s.insert(
            "kubernetes-pod-patches".into(),
            json!(super::yaml::to_yaml(&patches)),
        );
    }
    Value::Object(s)
}

/// `registry:NAME:TAG` (or `registry:NAME@DIGEST`) becomes this blueprint's ECR repository URI;
/// anything else stays as written.
pub(crate) fn resolve_image(bp: &Blueprint, image: &str, facts: &PlatformFacts) -> String {
    let Some(rest) = image.strip_prefix(crate::blueprint::images::REGISTRY_PREFIX) else {
        return image.to_string();
    };
    let (name, version) = crate::blueprint::images::split_version(rest);
    let version = version.map_or_else(|| ":latest".to_string(), |v| v.suffix());
    let names = crate::plan::catalog::Names::new(&bp.metadata.name);
    format!(
        "{}/{}{version}",
        facts.registry_host,
        names.repository(name)
    )
}
