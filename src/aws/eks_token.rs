//! Access to an EKS cluster's Kubernetes API, as `aws eks get-token` and kubeconfig give it: the
//! endpoint and certificate authority from DescribeCluster, and a bearer token that is
//! `k8s-aws-v1.` + base64url (no padding) of an STS GetCallerIdentity URL presigned with SigV4
//! (query-string signature, 60 s) that signs the header `x-k8s-aws-id: <cluster>`. EKS's
//! authenticator replays the URL to learn who is calling. Tokens are good for about 15 minutes.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::errors::step_error;
use super::{Connection, Target};

/// What a Kubernetes client needs to talk to one cluster.
#[derive(Clone)]
pub struct ClusterAccess {
    /// `https://...eks.amazonaws.com` (the emulator's stand-in: `http://127.0.0.1:P/_k8s/...`).
    pub endpoint: String,
    /// The cluster's certificate authority as DescribeCluster gives it (base64 of PEM), which is
    /// also kubeconfig's `certificate-authority-data`.
    pub certificate_authority_data: Option<String>,
    /// The bearer token; never printed.
    pub token: String,
}

impl std::fmt::Debug for ClusterAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterAccess")
            .field("endpoint", &self.endpoint)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// An EKS cluster as a kubeconfig needs it.
#[derive(Debug, Clone)]
pub struct ClusterEndpoint {
    pub arn: String,
    /// `https://...eks.amazonaws.com` (the emulator's stand-in: `http://127.0.0.1:P/_k8s/...`).
    pub endpoint: String,
    /// Base64 of the PEM certificate authority, kubeconfig's `certificate-authority-data`.
    pub certificate_authority_data: Option<String>,
    /// The cluster's tags (ownership is checked by the caller).
    pub tags: std::collections::HashMap<String, String>,
}

/// Cluster `name` as DescribeCluster answers it; `Ok(None)` when it does not exist. Errors are
/// sentences.
pub async fn describe_endpoint(
    conn: &Connection,
    name: &str,
) -> Result<Option<ClusterEndpoint>, String> {
    let described = match conn.clients.eks.describe_cluster().name(name).send().await {
        Ok(described) => described,
        Err(e) => {
            let e = step_error(e);
            if e.code == "ResourceNotFoundException" {
                return Ok(None);
            }
            return Err(format!(
                "cannot describe EKS cluster {name}: {}: {}",
                e.code, e.message
            ));
        }
    };
    let cluster = described
        .cluster()
        .ok_or_else(|| format!("EKS cluster {name} has no description"))?;
    let endpoint = cluster
        .endpoint()
        .ok_or_else(|| format!("EKS cluster {name} has no endpoint yet (is it ACTIVE?)"))?
        .to_string();
    Ok(Some(ClusterEndpoint {
        arn: cluster.arn().unwrap_or(name).to_string(),
        endpoint,
        certificate_authority_data: cluster
            .certificate_authority()
            .and_then(|c| c.data())
            .map(str::to_string),
        tags: cluster.tags().cloned().unwrap_or_default(),
    }))
}

/// The endpoint, CA and a fresh token for cluster `name`; `target` is what `conn` was made from
/// (the token is signed with the same credentials). Errors are sentences.
pub async fn cluster_access(
    conn: &Connection,
    target: &Target,
    name: &str,
) -> Result<ClusterAccess, String> {
    let cluster = describe_endpoint(conn, name)
        .await?
        .ok_or_else(|| format!("EKS cluster {name} does not exist"))?;
    access_at(
        conn,
        target,
        name,
        cluster.endpoint,
        cluster.certificate_authority_data,
    )
    .await
}

/// [`cluster_access`] for a cluster whose endpoint and certificate authority are known already
/// (the live read's DescribeCluster answered them): no AWS call.
pub(crate) async fn access_at(
    conn: &Connection,
    target: &Target,
    name: &str,
    endpoint: String,
    certificate_authority_data: Option<String>,
) -> Result<ClusterAccess, String> {
    let credentials = credentials(target).await?;
    let token = token(
        &credentials,
        &conn.region,
        conn.partition.dns_suffix(),
        name,
        SystemTime::now(),
    )?;
    Ok(ClusterAccess {
        endpoint,
        certificate_authority_data,
        token,
    })
}

/// A token as `shinyctl token` hands it to kubectl.
pub struct IssuedToken {
    pub token: String,
    /// RFC 3339, UTC: when kubectl should ask again.
    pub expires: String,
}

/// How long kubectl may reuse a token: EKS accepts one for 15 minutes after signing; 14 leaves a
/// minute of clock skew, as `aws eks get-token` does (awscli `customizations/eks/get_token.py`,
/// `TOKEN_EXPIRATION_MINS = 14`).
const TOKEN_REUSE: Duration = Duration::from_secs(14 * 60);

/// A fresh token for cluster `cluster`, signed with `target`'s credentials for its region (or the
/// credential chain's region). Makes no AWS call: the token is a presigned URL. Errors are
/// sentences.
pub async fn issue_token(target: &Target, cluster: &str) -> Result<IssuedToken, String> {
    let sdk = sdk_config(target).await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region: pass --region or set AWS_REGION")?;
    let credentials = match &target.static_keys {
        Some(_) => credentials(target).await?,
        None => provide(&sdk).await?,
    };
    let partition = crate::plan::catalog::partition::partition(&region);
    let now = SystemTime::now();
    let token = token(&credentials, &region, partition.dns_suffix(), cluster, now)?;
    let expires = aws_smithy_types::DateTime::from(now + TOKEN_REUSE)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map_err(|e| format!("cannot write the token's expiry: {e}"))?;
    Ok(IssuedToken { token, expires })
}

/// The standard chain's configuration for `target` (region and profile applied).
async fn sdk_config(target: &Target) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(super::config::http_client());
    if let Some(region) = &target.region {
        loader = loader.region(aws_types::region::Region::new(region.clone()));
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile.clone());
    }
    loader.load().await
}

async fn provide(sdk: &aws_config::SdkConfig) -> Result<Credentials, String> {
    let provider = sdk
        .credentials_provider()
        .ok_or("no AWS credentials to sign the EKS token with")?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials to sign the EKS token with: {e}"))
}

/// The credentials `config::connect` uses for `target`: its static keys, else the standard chain
/// (environment, profile, SSO, process, instance role). The SDK clients do not hand theirs out.
async fn credentials(target: &Target) -> Result<Credentials, String> {
    if let Some((key, secret)) = &target.static_keys {
        return Ok(Credentials::new(
            key.clone(),
            secret.clone(),
            None,
            None,
            "shinyctl-static",
        ));
    }
    provide(&sdk_config(target).await).await
}

/// The token for `cluster`, signed at `now` (pure: tests pin the time).
pub(crate) fn token(
    credentials: &Credentials,
    region: &str,
    dns_suffix: &str,
    cluster: &str,
    now: SystemTime,
) -> Result<String, String> {
    let host = format!("sts.{region}.{dns_suffix}");
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign the EKS token: {e}"))?
        .into();
    let headers = [("host", host.as_str()), ("x-k8s-aws-id", cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("cannot sign the EKS token: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("cannot sign the EKS token: {e}"))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .body(())
        .map_err(|e| format!("cannot build the EKS token URL: {e}"))?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    let encoded = aws_smithy_types::base64::encode(presigned.as_bytes())
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_string();
    Ok(format!("k8s-aws-v1.{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(token: &str) -> String {
        let payload = token.strip_prefix("k8s-aws-v1.").expect("prefix");
        let mut standard = payload.replace('-', "+").replace('_', "/");
        while standard.len() % 4 != 0 {
            standard.push('=');
        }
        String::from_utf8(aws_smithy_types::base64::decode(&standard).unwrap()).unwrap()
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_url() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = token(
            &credentials,
            "cn-northwest-1",
            "amazonaws.com.cn",
            "analytics",
            now,
        )
        .unwrap();
        assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
        let url = decode(&token);
        assert!(
            url.starts_with("https://sts.cn-northwest-1.amazonaws.com.cn/?Action=GetCallerIdentity&Version=2011-06-15&"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"));
        assert!(url.contains(
            "X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fcn-northwest-1%2Fsts%2Faws4_request"
        ));
        assert!(url.contains("X-Amz-Expires=60"));
        assert!(url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"));
        assert!(url.contains("X-Amz-Signature="));
        // Same inputs, same token; another cluster, another signature.
        let again = super::token(
            &credentials,
            "cn-northwest-1",
            "amazonaws.com.cn",
            "analytics",
            now,
        );
        assert_eq!(again.unwrap(), token);
        let other = super::token(
            &credentials,
            "cn-northwest-1",
            "amazonaws.com.cn",
            "other",
            now,
        );
        assert_ne!(other.unwrap(), token);
    }
}
