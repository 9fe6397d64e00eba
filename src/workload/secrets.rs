//! Secret values ShinyProxy needs, by reference only. application.yml names each one as a
//! placeholder (`${SHINYCTL_OPENID_CLIENT_SECRET}`); the Kubernetes Secret `shinyproxy-secrets`
//! holds the values under the same keys, and is mounted as files that Spring reads as a
//! config tree (`spring.config.import: configtree:...`), so the values are neither in the
//! ConfigMap nor in environment variables. Rendering never sees a value: the Secret carries
//! the references and apply resolves them (Secrets Manager / SSM) when it deploys.

use crate::blueprint::model::{AuthenticationType, Proxy, UsageStats};

use super::facts::PlatformFacts;

/// The Kubernetes Secret holding every value below.
pub const SECRET_NAME: &str = "shinyproxy-secrets";
/// Where the Secret is mounted; Spring reads each file as a property named after the file.
pub const MOUNT_PATH: &str = "/etc/shinyproxy/secrets/";

/// One secret value: its key in the Kubernetes Secret (also the placeholder's name) and where
/// apply reads it (`secretsmanager:NAME`, `secretsmanager:ARN#jsonKey`, `ssm:/PARAMETER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue {
    pub key: String,
    pub source: String,
}

impl SecretValue {
    fn new(key: impl Into<String>, source: impl Into<String>) -> Self {
        SecretValue {
            key: key.into(),
            source: source.into(),
        }
    }

    /// `${KEY}`: what application.yml says instead of the value.
    pub fn placeholder(&self) -> String {
        format!("${{{}}}", self.key)
    }
}

pub const OPENID_CLIENT_SECRET: &str = "SHINYCTL_OPENID_CLIENT_SECRET";
pub const LDAP_MANAGER_PASSWORD: &str = "SHINYCTL_LDAP_MANAGER_PASSWORD";
pub const DATABASE_USERNAME: &str = "SHINYCTL_DATABASE_USERNAME";
pub const DATABASE_PASSWORD: &str = "SHINYCTL_DATABASE_PASSWORD";

/// `SHINYCTL_USER_1_PASSWORD` for the first simple user (numbered: user names are free text).
pub fn user_password_key(index: usize) -> String {
    format!("SHINYCTL_USER_{}_PASSWORD", index + 1)
}

/// Every secret value the proxy section needs, in a fixed order.
pub fn needed(proxy: &Proxy, facts: &PlatformFacts) -> Vec<SecretValue> {
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
    let database = facts
        .database
        .as_ref()
        .filter(|_| proxy.usage_stats == UsageStats::Database);
    if let Some(db) = database {
        let secret = format!("secretsmanager:{}", db.credentials_secret);
        out.push(SecretValue::new(
            DATABASE_USERNAME,
            format!("{secret}#username"),
        ));
        out.push(SecretValue::new(
            DATABASE_PASSWORD,
            format!("{secret}#password"),
        ));
    }
    out
}
