//! The application.yml keys ShinyProxy documents, and a check that a rendered configuration uses
//! nothing else (ShinyProxy silently ignores a misspelt key, so a typo would be a silent outage).
//!
//! Paths are dotted; `[]` stands for "any item of a list". Every key was checked against the
//! source of [`CHECKED_RELEASE`], ShinyProxy 3.2.0 (openanalytics/shinyproxy tag v3.2.0, its
//! `pom.xml`: containerproxy 1.2.0 on Spring Boot 3.4.5), the newest release its repository, the
//! operator's manifests (shinyproxy-operator 2.2.1 deploys `openanalytics/shinyproxy:3.2.0`) and the
//! image's Dockerfile (openanalytics/shinyproxy-docker 58c73b3, "Update Dockerfiles for new
//! release") show; containerproxy has 1.2.1/1.2.2 tags, but no ShinyProxy release built on them
//! is published in those sources. Where each key is read:
//! - openanalytics/shinyproxy v3.2.0: `ShinyProxySpecProvider` (the spec setters: `container-image`,
//!   `access-groups`, `port`, `max-instances`, ...), `ShinyProxyTestStrategy`
//!   (`proxy.container-wait-time`), `IndexController` (`proxy.landing-page`);
//! - openanalytics/containerproxy v1.2.0: `auth/impl/*` (`proxy.ldap.*`, `proxy.openid.*`,
//!   `proxy.saml.*`, simple users), `backend/kubernetes/KubernetesBackend` (`PROPERTY_*` under
//!   `proxy.kubernetes.`, `kubernetes-pod-patches`), `stat/StatCollectorFactory`
//!   (`usage-stats-url`/`-username`/`-password`), `ProxySharingSpecExtension` and
//!   `ProxySharingScaler` (`minimum-seats-available`, `allow-container-re-use`), `ProxyService`
//!   (`proxy.stop-proxies-on-shutdown`, `max-total-instances`), `ContainerProxyApplication`
//!   (`proxy.store-mode`, `spring.session.store-type`, the indexed Redis session repository,
//!   `server.secure-cookies`, `proxy.same-site-cookie`, management port 9090), `IdentifierService`
//!   (`proxy.realm-id`, and `proxy.version`, which the Deployment sets as `PROXY_VERSION`),
//!   `WebSecurityConfig` (`server.frame-options`), `util/LoggingConfigurer` (`proxy.log-as-json`),
//!   `service/hearbeat/ActiveProxiesService` (`proxy.heartbeat-rate`), `RuntimeValueService`
//!   (`proxy.heartbeat-timeout`), `AbstractContainerBackend` (`internal-networking`);
//! - Spring Boot 3.4 (what containerproxy 1.2.0 is built on): `spring.data.redis.*`,
//!   `spring.session.redis.configure-action`, `spring.config.import`,
//!   `server.forward-headers-strategy` (and the shinyproxy.io configuration reference for the
//!   last two behind a load balancer).
//!
//! Only the keys shinyctl may render are listed, not every key ShinyProxy knows.

#[cfg(test)]
use serde_json::Value;

/// The ShinyProxy release the keys below and the rendered Deployment were checked against;
/// validation warns about an older `proxy.version`.
pub(crate) const CHECKED_RELEASE: &str = "3.2.0";

#[cfg(test)]
pub(crate) const KNOWN_KEYS: &[&str] = &[
    // Core (containerproxy "proxy.*", shinyproxy "proxy.*").
    "proxy.title",
    "proxy.port",
    "proxy.bind-address",
    "proxy.landing-page",
    "proxy.container-backend",
    "proxy.heartbeat-rate",
    "proxy.heartbeat-timeout",
    "proxy.container-wait-time",
    "proxy.log-as-json",
    "proxy.max-total-instances",
    "proxy.default-stop-proxy-on-logout",
    "proxy.store-mode",
    "proxy.realm-id",
    "proxy.recover-running-proxies",
    "proxy.stop-proxies-on-shutdown",
    "proxy.same-site-cookie",
    "proxy.admin-groups",
    // Kubernetes back-end (AbstractContainerBackend / KubernetesBackend PROPERTY_*).
    "proxy.kubernetes.namespace",
    "proxy.kubernetes.internal-networking",
    "proxy.kubernetes.pod-wait-time",
    "proxy.kubernetes.image-pull-policy",
    // Authentication.
    "proxy.authentication",
    "proxy.users[].name",
    "proxy.users[].password",
    "proxy.users[].groups[]",
    "proxy.ldap.url",
    "proxy.ldap.user-dn-pattern",
    "proxy.ldap.group-search-base",
    "proxy.ldap.group-search-filter",
    "proxy.ldap.manager-dn",
    "proxy.ldap.manager-password",
    "proxy.openid.auth-url",
    "proxy.openid.token-url",
    "proxy.openid.jwks-url",
    "proxy.openid.logout-url",
    "proxy.openid.client-id",
    "proxy.openid.client-secret",
    "proxy.openid.roles-claim",
    "proxy.saml.idp-metadata-url",
    "proxy.saml.app-entity-id",
    "proxy.saml.app-base-url",
    "proxy.saml.roles-attribute",
    // Usage statistics (StatCollectorFactory).
    "proxy.usage-stats-url",
    "proxy.usage-stats-username",
    "proxy.usage-stats-password",
    // App specs (ShinyProxySpecProvider setters and spec extensions).
    "proxy.specs[].id",
    "proxy.specs[].display-name",
    "proxy.specs[].description",
    "proxy.specs[].container-image",
    "proxy.specs[].container-env.*",
    "proxy.specs[].container-cpu-request",
    "proxy.specs[].container-cpu-limit",
    "proxy.specs[].container-memory-request",
    "proxy.specs[].container-memory-limit",
    "proxy.specs[].port",
    "proxy.specs[].access-groups[]",
    "proxy.specs[].heartbeat-timeout",
    "proxy.specs[].minimum-seats-available",
    "proxy.specs[].allow-container-re-use",
    "proxy.specs[].max-instances",
    "proxy.specs[].max-total-instances",
    "proxy.specs[].kubernetes-pod-patches",
    // Spring Boot 3 (ContainerProxyApplication, RedisSessionConfig, test configurations).
    "spring.session.store-type",
    "spring.session.redis.configure-action",
    "spring.data.redis.host",
    "spring.data.redis.port",
    "spring.data.redis.ssl.enabled",
    "spring.config.import",
    "server.forward-headers-strategy",
    "server.secure-cookies",
    "server.frame-options",
    "management.server.port",
    "logging.level.root",
];

/// Every leaf path of `config` that is not in [`KNOWN_KEYS`], sorted.
#[cfg(test)]
pub(crate) fn unknown_keys(config: &Value) -> Vec<String> {
    let mut leaves = Vec::new();
    collect_leaves(config, String::new(), &mut leaves);
    let mut unknown: Vec<String> = leaves.into_iter().filter(|p| !is_known(p)).collect();
    unknown.sort();
    unknown.dedup();
    unknown
}

#[cfg(test)]
fn is_known(path: &str) -> bool {
    KNOWN_KEYS
        .iter()
        .any(|known| match known.strip_suffix(".*") {
            // A map whose keys are the user's own (environment variables).
            Some(prefix) => path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.') && !rest[1..].contains('.')),
            None => *known == path,
        })
}

#[cfg(test)]
fn collect_leaves(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_leaves(child, child_path, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                collect_leaves(item, format!("{path}[]"), out);
            }
        }
        _ => out.push(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn misspelt_and_invented_keys_are_found() {
        let config = json!({
            "proxy": {
                "title": "x",
                "heartbeat-timout": 1,
                "specs": [{"id": "a", "container-env": {"A": "1"}, "container-imag": "x"}],
                "kubernetes": {"namespace": "apps", "nodes": 3}
            },
            "spring": {"data": {"redis": {"host": "h", "port": 6379}}}
        });
        assert_eq!(
            unknown_keys(&config),
            [
                "proxy.heartbeat-timout",
                "proxy.kubernetes.nodes",
                "proxy.specs[].container-imag"
            ]
        );
    }

    #[test]
    fn user_maps_take_any_key_but_only_one_level() {
        assert!(is_known("proxy.specs[].container-env.ANYTHING"));
        assert!(!is_known("proxy.specs[].container-env.A.B"));
    }
}
