//! Logging in to the account's ECR registry for the OCI distribution API (`shinyctl images
//! mirror`), as `docker login` does with `aws ecr get-login-password`: ECR
//! `GetAuthorizationToken` answers a base64 `user:password` (user `AWS`) valid for 12 hours and
//! the registry URL to use it with, `proxyEndpoint` (`https://<account>.dkr.ecr.<region>.
//! amazonaws.com`, `.amazonaws.com.cn` in China). Source: the botocore model of ECR 2015-09-21
//! (`AuthorizationData`), ECR user guide "Private registry authentication".

use std::fmt;

use aws_smithy_types::base64;

use super::Connection;
use super::errors::step_error;

/// Credentials for one registry. The password is never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RegistryLogin {
    /// `scheme://host[:port]` as `proxyEndpoint` says it.
    pub(crate) endpoint: String,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl RegistryLogin {
    /// The registry's host (and port), without the scheme.
    pub(crate) fn host(&self) -> &str {
        self.endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, host)| host)
            .trim_end_matches('/')
    }

    /// Whether the registry speaks plain HTTP (only a local stand-in does; ECR is HTTPS).
    pub(crate) fn plain_http(&self) -> bool {
        self.endpoint.starts_with("http://")
    }
}

impl fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// The account's registry login, from `GetAuthorizationToken`.
pub(crate) async fn registry_login(conn: &Connection) -> Result<RegistryLogin, String> {
    let answer = conn
        .clients
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| format!("ECR GetAuthorizationToken: {}", step_error(e)))?;
    let data = answer
        .authorization_data()
        .first()
        .ok_or("ECR GetAuthorizationToken answered no authorization data")?;
    let endpoint = data
        .proxy_endpoint()
        .ok_or("ECR GetAuthorizationToken answered no proxyEndpoint")?;
    let token = data
        .authorization_token()
        .ok_or("ECR GetAuthorizationToken answered no authorizationToken")?;
    parse_login(endpoint, token)
}

/// `token` is base64 of `user:password`.
fn parse_login(endpoint: &str, token: &str) -> Result<RegistryLogin, String> {
    let decoded = base64::decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or("ECR's authorization token is not base64 text")?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or("ECR's authorization token is not `user:password`")?;
    Ok(RegistryLogin {
        endpoint: endpoint.to_string(),
        username: username.to_string(),
        password: password.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_user_and_password_and_never_printed() {
        let token = base64::encode("AWS:secret-value");
        let login = parse_login(
            "https://123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
            &token,
        )
        .unwrap();
        assert_eq!(login.username, "AWS");
        assert_eq!(login.password, "secret-value");
        assert_eq!(
            login.host(),
            "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"
        );
        assert!(!login.plain_http());
        assert!(!format!("{login:?}").contains("secret-value"));
        assert!(parse_login("https://x", "not base64!").is_err());
        assert!(parse_login("https://x", &base64::encode("no-colon")).is_err());
        let local = parse_login("http://127.0.0.1:5000", &token).unwrap();
        assert!(local.plain_http());
        assert_eq!(local.host(), "127.0.0.1:5000");
    }
}
