//! The AWS questions `shinyctl doctor` asks (the judging is in `ops::doctor`). Each answer is
//! plain data; nothing here prints, and no secret value leaves [`secret_readable`].
//!
//! - who the credentials are: STS `GetCallerIdentity`;
//! - which services the region offers: the public SSM parameters
//!   `/aws/service/global-infrastructure/regions/<region>/services/<id>` (AWS Systems Manager user
//!   guide, "Calling AWS service, Region, and endpoint information using Parameter Store"),
//!   `GetParameters`, 10 names per call, missing ones in `InvalidParameters`;
//! - quotas: Service Quotas `GetServiceQuota` (the applied value), falling back to
//!   `GetAWSDefaultServiceQuota` when it answers `NoSuchResourceException` (Service Quotas API
//!   reference: the applied value exists only for some quotas), and what is used: the service's
//!   own list calls;
//! - permissions: IAM `SimulatePrincipalPolicy` for the caller's user or role;
//! - certificates: ACM `DescribeCertificate` (`Status`, `DomainName`, `SubjectAlternativeNames`);
//! - secrets: Secrets Manager `GetSecretValue` / SSM `GetParameter` with decryption — the only
//!   proof that the caller can read the value (KMS included); the value is dropped at once.

use std::collections::BTreeMap;

use aws_sdk_servicequotas::error::ProvideErrorMetadata;

use crate::apply::StepError;

use super::Connection;
use super::errors::step_error;
use super::secrets::{Reference, json_field, parse};

/// The caller's ARN (`arn:aws:sts::123456789012:assumed-role/Deploy/session`, `...:user/ci`).
pub(crate) async fn caller_arn(conn: &Connection) -> Result<String, StepError> {
    let out = conn
        .clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(step_error)?;
    Ok(out.arn().unwrap_or_default().to_string())
}

/// Of `services` (global-infrastructure ids: `eks`, `rds`, `elb`, ...), those the region does not
/// list.
pub(crate) async fn services_missing(
    conn: &Connection,
    services: &[&str],
) -> Result<Vec<String>, StepError> {
    let name = |s: &str| {
        format!(
            "/aws/service/global-infrastructure/regions/{}/services/{s}",
            conn.region
        )
    };
    let mut missing = Vec::new();
    for chunk in services.chunks(10) {
        let out = conn
            .clients
            .ssm
            .get_parameters()
            .set_names(Some(chunk.iter().map(|s| name(s)).collect()))
            .send()
            .await
            .map_err(step_error)?;
        for invalid in out.invalid_parameters() {
            if let Some(id) = invalid.rsplit('/').next() {
                missing.push(id.to_string());
            }
        }
    }
    Ok(missing)
}

/// A quota's value and name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuotaValue {
    pub(crate) name: String,
    pub(crate) value: f64,
    /// The account's applied value (`false`: AWS's default, no applied value was answered).
    pub(crate) applied: bool,
}

/// The quota `service/code` for the account in the connection's region; `None` when Service
/// Quotas knows no such quota.
pub(crate) async fn quota(
    conn: &Connection,
    service: &str,
    code: &str,
) -> Result<Option<QuotaValue>, StepError> {
    let sq = &conn.clients.servicequotas;
    let value = |q: Option<&aws_sdk_servicequotas::types::ServiceQuota>, applied| {
        q.map(|q| QuotaValue {
            name: q.quota_name().unwrap_or(code).to_string(),
            value: q.value().unwrap_or(0.0),
            applied,
        })
    };
    match sq
        .get_service_quota()
        .service_code(service)
        .quota_code(code)
        .send()
        .await
    {
        Ok(out) => return Ok(value(out.quota(), true)),
        Err(e) if e.code() == Some("NoSuchResourceException") => {}
        Err(e) => return Err(step_error(e)),
    }
    match sq
        .get_aws_default_service_quota()
        .service_code(service)
        .quota_code(code)
        .send()
        .await
    {
        Ok(out) => Ok(value(out.quota(), false)),
        Err(e) if e.code() == Some("NoSuchResourceException") => Ok(None),
        Err(e) => Err(step_error(e)),
    }
}

/// What a quota counts, read from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Usage {
    Vpcs,
    InternetGateways,
    ElasticIps,
    /// NAT gateways (`pending` or `available`) per availability zone.
    NatGatewaysPerZone,
    EksClusters,
    DbInstances,
    DbClusters,
    ApplicationLoadBalancers,
    NetworkLoadBalancers,
}

/// How many exist in the region, by zone for [`Usage::NatGatewaysPerZone`] (else under `""`).
pub(crate) async fn usage(
    conn: &Connection,
    what: Usage,
) -> Result<BTreeMap<String, u64>, StepError> {
    let c = &conn.clients;
    let all = |n: usize| BTreeMap::from([(String::new(), n as u64)]);
    match what {
        Usage::Vpcs => Ok(all(all_items!(c.ec2.describe_vpcs(), vpcs).len())),
        Usage::InternetGateways => {
            let gateways = all_items!(c.ec2.describe_internet_gateways(), internet_gateways);
            Ok(all(gateways.len()))
        }
        Usage::ElasticIps => {
            let out = c
                .ec2
                .describe_addresses()
                .send()
                .await
                .map_err(step_error)?;
            Ok(all(out.addresses().len()))
        }
        Usage::NatGatewaysPerZone => {
            let subnets: Vec<String> = all_items!(
                c.ec2.describe_nat_gateways().filter(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("state")
                        .values("pending")
                        .values("available")
                        .build(),
                ),
                nat_gateways
            )
            .into_iter()
            .filter_map(|nat| nat.subnet_id().map(str::to_string))
            .collect();
            let mut zones: BTreeMap<String, u64> = BTreeMap::new();
            if subnets.is_empty() {
                return Ok(zones);
            }
            let mut unique = subnets.clone();
            unique.sort();
            unique.dedup();
            let out = c
                .ec2
                .describe_subnets()
                .set_subnet_ids(Some(unique))
                .send()
                .await
                .map_err(step_error)?;
            let zone_of: BTreeMap<&str, &str> = out
                .subnets()
                .iter()
                .filter_map(|s| Some((s.subnet_id()?, s.availability_zone()?)))
                .collect();
            for subnet in &subnets {
                let zone = zone_of.get(subnet.as_str()).copied().unwrap_or("unknown");
                *zones.entry(zone.to_string()).or_default() += 1;
            }
            Ok(zones)
        }
        Usage::EksClusters => Ok(all(all_items!(c.eks.list_clusters(), clusters).len())),
        Usage::DbInstances => {
            let instances = all_items!(c.rds.describe_db_instances(), db_instances);
            Ok(all(instances.len()))
        }
        Usage::DbClusters => {
            let clusters = all_items!(c.rds.describe_db_clusters(), db_clusters);
            Ok(all(clusters.len()))
        }
        Usage::ApplicationLoadBalancers | Usage::NetworkLoadBalancers => {
            let wanted = if what == Usage::ApplicationLoadBalancers {
                "application"
            } else {
                "network"
            };
            Ok(all(all_items!(
                c.elbv2.describe_load_balancers(),
                load_balancers
            )
            .into_iter()
            .filter(|lb| lb.r#type().map(|t| t.as_str()) == Some(wanted))
            .count()))
        }
    }
}

/// One decision of the policy simulator: the action and `allowed`, `explicitDeny` or
/// `implicitDeny`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub(crate) action: String,
    pub(crate) decision: String,
}

/// `SimulatePrincipalPolicy` for `principal` (an IAM user, role or group ARN) on `actions`, every
/// resource (`*`), all pages.
pub(crate) async fn simulate(
    conn: &Connection,
    principal: &str,
    actions: &[String],
) -> Result<Vec<Decision>, StepError> {
    let mut out = Vec::new();
    // The simulator answers per action; keep each request modest.
    for chunk in actions.chunks(50) {
        // The SDK's paginator follows `Marker`, which IAM answers only while `IsTruncated` is true
        // (IAM API reference, SimulatePrincipalPolicy response: "When IsTruncated is true, this
        // element is present").
        out.extend(
            all_items!(
                conn.clients
                    .iam
                    .simulate_principal_policy()
                    .policy_source_arn(principal)
                    .set_action_names(Some(chunk.to_vec())),
                evaluation_results
            )
            .into_iter()
            .map(|r| Decision {
                action: r.eval_action_name().to_string(),
                decision: r.eval_decision().as_str().to_string(),
            }),
        );
    }
    Ok(out)
}

/// What ACM says about a certificate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Certificate {
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, ...
    pub(crate) status: String,
    /// The domain name and every subject alternative name.
    pub(crate) domains: Vec<String>,
}

/// The certificate `arn`, `None` when ACM does not have it (in this region and account).
pub(crate) async fn certificate(
    conn: &Connection,
    arn: &str,
) -> Result<Option<Certificate>, StepError> {
    match conn
        .clients
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(out) => {
            let Some(c) = out.certificate() else {
                return Ok(None);
            };
            let mut domains: Vec<String> =
                c.domain_name().into_iter().map(str::to_string).collect();
            for san in c.subject_alternative_names() {
                if !domains.contains(san) {
                    domains.push(san.clone());
                }
            }
            Ok(Some(Certificate {
                status: c.status().map_or("UNKNOWN", |s| s.as_str()).to_string(),
                domains,
            }))
        }
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(step_error(e)),
    }
}

/// Why a referenced secret cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SecretProblem {
    /// Not `secretsmanager:…` or `ssm:…` (the blueprint's checks refuse these already).
    Malformed,
    /// The secret or parameter does not exist.
    Missing,
    /// It exists but is not JSON with the named key.
    NoKey(String),
    /// AWS refused to give it (its code: `AccessDeniedException`, a KMS error, ...).
    Refused { code: String, message: String },
}

/// Whether the secret `reference` names can be read by these credentials. The value is read
/// (nothing else proves it can be decrypted) and dropped here.
pub(crate) async fn secret_readable(
    conn: &Connection,
    reference: &str,
) -> Result<(), SecretProblem> {
    let refused = |e: StepError| {
        if e.code == "ResourceNotFoundException" || e.code == "ParameterNotFound" {
            SecretProblem::Missing
        } else {
            SecretProblem::Refused {
                code: e.code,
                message: e.message,
            }
        }
    };
    match parse(reference).ok_or(SecretProblem::Malformed)? {
        Reference::Parameter { name } => crate::aws::secrets::get_parameter_value(conn, &name)
            .await
            .map(drop)
            .map_err(refused),
        Reference::SecretsManager { id, json_key } => {
            let value = crate::aws::secrets::get_secret_string(conn, &id)
                .await
                .map_err(refused)?;
            match json_key {
                None => Ok(()),
                Some(key) => {
                    // The key as the workload's resolve reads it (the field is dropped here).
                    let field = value.as_deref().and_then(|text| json_field(text, &key));
                    if field.is_some() {
                        Ok(())
                    } else {
                        Err(SecretProblem::NoKey(key))
                    }
                }
            }
        }
    }
}
