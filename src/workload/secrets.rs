//! Secret values ShinyProxy needs, by reference only. application.yml names each one as a
//! placeholder (`${SHINYCTL_OPENID_CLIENT_SECRET}`); the Kubernetes Secret `shinyproxy-secrets`
//! holds the values under the same keys, and is mounted as files that Spring reads as a
//! config tree (`spring.config.import: configtree:...`), so the values are neither in the
//! ConfigMap nor in environment variables. Rendering never sees a value: the Secret carries
//! the references and apply resolves them (Secrets Manager / SSM) when it deploys.

use crate::blueprint::model::{AuthenticationType, Proxy, UsageStats, UsageStatsUser};

use super::facts::PlatformFacts;

/// The Kubernetes Secret holding every value below.
pub(crate) const SECRET_NAME: &str = "shinyproxy-secrets";
/// Where the Secret is mounted; Spring reads each file as a property named after the file.
pub(crate) const MOUNT_PATH: &str = "/etc/shinyproxy/secrets/";

/// One secret value: its key in the Kubernetes Secret (also the placeholder's name) and where
/// apply reads it (`secretsmanager:NAME`, `secretsmanager:ARN#jsonKey`, `ssm:/PARAMETER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretValue {
    pub(crate) key: String,
    pub(crate) source: String,
}

impl SecretValue {
    fn new(key: impl Into<String>, source: impl Into<String>) -> Self {
        SecretValue {
            key: key.into(),
            source: source.into(),
        }
    }

    /// `${KEY}`: what application.yml says instead of the value.
    pub(crate) fn placeholder(&self) -> String {
        format!("${{{}}}", self.key)
    }
}

pub(crate) const OPENID_CLIENT_SECRET: &str = "SHINYCTL_OPENID_CLIENT_SECRET";
pub(crate) const LDAP_MANAGER_PASSWORD: &str = "SHINYCTL_LDAP_MANAGER_PASSWORD";
pub const DATABASE_PASSWORD: &str = "SHINYCTL_DATABASE_PASSWORD";

/// `SHINYCTL_USER_1_PASSWORD` for the first simple user (numbered: user names are free text).
pub(crate) fn user_password_key(index: usize) -> String {
    format!("SHINYCTL_USER_{}_PASSWORD", index + 1)
}

/// Every secret value the proxy section needs, in a fixed order.
pub(crate) fn needed(proxy: &Proxy, facts: &PlatformFacts) -> Vec<SecretValue> {
    let auth = &proxy.authentication;
    let mut out = Vec::new();
    match auth.kind {
        AuthenticationType::Simple => {
            for (i, user) in auth.simple.iter().flat_map(|s| &s.users).enumerate() {
                out.push(SecretValue::new(
                    user_password_key(i),
                    user.password_ref.clone(),
                ));
            }
        }
        AuthenticationType::Ldap => {
            if let Some(source) = auth
                .ldap
                .as_ref()
                .and_then(|l| l.manager_password_ref.clone())
            {
                out.push(SecretValue::new(LDAP_MANAGER_PASSWORD, source));
            }
        }
        AuthenticationType::Openid => {
            if let Some(openid) = &auth.openid {
                out.push(SecretValue::new(
                    OPENID_CLIENT_SECRET,
                    openid.client_secret_ref.clone(),
                ));
            }
        }
        AuthenticationType::None | AuthenticationType::Saml => {}
    }
    if let Some(user) = usage_stats_user(proxy, facts) {
        // The usage-statistics user's own password: never the master secret, which RDS
        // rotates (every 7 days by default) and which may do anything in the database.
        out.push(SecretValue::new(
            DATABASE_PASSWORD,
            user.password_ref.clone(),
        ));
    }
    out
}

/// The usage-statistics user, when ShinyProxy writes them to the blueprint's database.
pub(crate) fn usage_stats_user<'a>(
    proxy: &'a Proxy,
    facts: &PlatformFacts,
) -> Option<&'a UsageStatsUser> {
    (proxy.usage_stats == UsageStats::Database && facts.database.is_some())
        .then_some(proxy.usage_stats_user.as_ref())
        .flatten()
}
