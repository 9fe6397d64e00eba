//! `shinyctl doctor`: before an apply, everything AWS would refuse it for, at once, each with what
//! to do. Changes nothing. Checks, in order:
//!
//! 1. credentials and partition (`sts:GetCallerIdentity`);
//! 2. the services the blueprint needs exist in its region (the global-infrastructure parameters);
//! 3. versions AWS offers ([`crate::aws::versions::check`], as the live plan does);
//! 4. service quotas the plan's creates need against what is used ([`quotas`]);
//! 5. IAM permissions for exactly the actions the plan's steps call ([`permissions`],
//!    `iam:SimulatePrincipalPolicy` on the caller's user or role);
//! 6. HTTPS/TLS listeners' certificates exist in the region, are issued and cover the domain;
//! 7. referenced secrets exist and are readable.
//!
//! The blueprint holds no AMI ids: node groups run EKS's own AMI type for the cluster's version,
//! which EKS checks itself, so there is no AMI or Marketplace subscription to look up.
//!
//! [`plan_checks`] is the cheap part `plan` runs on its own (certificates and secrets, only when
//! the plan's changes will use them).

pub(crate) mod permissions;
pub(crate) mod quotas;

use crate::aws::doctor::{self as ask, SecretProblem};
use crate::aws::{self, Connection, Target};
use crate::blueprint::Problem;
use crate::blueprint::model::Blueprint;
use crate::load::Loaded;
use crate::plan::{Action, Note, NoteLevel, ObservedState, Plan, ResourceKind, diff};

use super::{Result, target_for};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// The check passed.
    Ok,
    /// Worth acting on, but apply would go ahead (or it could not be checked).
    Warning,
    /// Apply would fail on this.
    Error,
}

/// One thing found, with what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// `credentials`, `services`, `versions`, `quotas`, `permissions`, `certificates`, `secrets`.
    pub(crate) check: &'static str,
    pub(crate) level: Level,
    /// A YAML path, a quota code, an action or a service.
    pub(crate) about: String,
    pub(crate) message: String,
    /// What to do (for errors and warnings).
    pub(crate) fix: Option<String>,
}

impl Finding {
    fn new(
        check: &'static str,
        level: Level,
        about: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            check,
            level,
            about: about.into(),
            message: message.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub(crate) blueprint: String,
    pub(crate) region: String,
    pub(crate) account: Option<String>,
    /// The caller's ARN, when the credentials work.
    pub(crate) caller: Option<String>,
    pub(crate) findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count()
    }

    pub(crate) fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count()
    }

    /// 0 when nothing would stop an apply, 3 when something would (`docs/ci.md`).
    pub fn exit_code(&self) -> u8 {
        if self.errors() > 0 { 3 } else { 0 }
    }
}

/// Runs every check for `loaded` in its region.
pub async fn doctor(loaded: &Loaded, target: Target) -> Result<Report> {
    let bp = &loaded.blueprint;
    let target = target_for(bp, target)?;
    let mut report = Report {
        blueprint: bp.metadata.name.clone(),
        region: bp.metadata.region.clone(),
        account: None,
        caller: None,
        findings: Vec::new(),
    };
    let conn = match aws::connect(&target).await {
        Ok(conn) => conn,
        Err(e) => {
            report.findings.push(
                Finding::new("credentials", Level::Error, "credentials", e.to_string()).fix(
                    "configure credentials for the account (environment, `--profile`, SSO: \
                     `aws sso login`), then run doctor again; nothing else can be checked without them",
                ),
            );
            return Ok(report);
        }
    };
    let loaded = loaded.in_account(&conn.account);
    report.account = Some(conn.account.clone());
    let f = &mut report.findings;
    let caller = credentials(&conn, f).await;
    report.caller = caller.clone();
    services(&conn, bp, f).await;
    versions(&conn, bp, f).await;
    let plan = match aws::read(&conn, &bp.metadata.name, &loaded.resources).await {
        Ok(live) => diff(&loaded.resources, &live.observed),
        Err(e) => {
            f.push(
                Finding::new("quotas", Level::Warning, "read", format!("could not read what exists ({e})"))
                    .fix("quotas and permissions are judged as for a first apply; allow the reads to see the real plan"),
            );
            diff(
                &loaded.resources,
                &ObservedState::empty(&bp.metadata.name, &bp.metadata.region),
            )
        }
    };
    quota_findings(&conn, &plan, &loaded, f).await;
    if let Some(caller) = &caller {
        permission_findings(&conn, caller, &plan, f).await;
    }
    f.extend(certificates(&conn, bp).await);
    f.extend(secrets(&conn, bp).await);
    Ok(report)
}

/// The checks `plan` runs itself: certificates when the plan creates or changes a listener,
/// secrets when it deploys the workload — both only matter then, and a no-change plan makes no
/// extra call. Their problems become the plan's warnings.
pub(crate) async fn plan_checks(conn: &Connection, bp: &Blueprint, plan: &mut Plan) {
    let changes = |kind: ResourceKind| {
        plan.changes.iter().any(|c| {
            c.kind == kind && matches!(c.action, Action::Create | Action::Update | Action::Replace)
        })
    };
    let mut found = Vec::new();
    if changes(ResourceKind::Listener) {
        found.extend(certificates(conn, bp).await);
    }
    if changes(ResourceKind::KubernetesObject) {
        found.extend(secrets(conn, bp).await);
    }
    plan.notes.extend(
        found
            .into_iter()
            .filter(|f| f.level != Level::Ok)
            .map(|f| Note {
                level: NoteLevel::Warning,
                about: f.about,
                message: f.message,
                hint: f.fix,
            }),
    );
}

async fn credentials(conn: &Connection, f: &mut Vec<Finding>) -> Option<String> {
    let part = conn.partition;
    match ask::caller_arn(conn).await {
        Ok(arn) => {
            f.push(Finding::new(
                "credentials",
                Level::Ok,
                "credentials",
                format!(
                    "account {} as {arn}, partition {} (matches region {})",
                    conn.account,
                    part.id(),
                    conn.region
                ),
            ));
            Some(arn)
        }
        Err(e) => {
            f.push(
                Finding::new(
                    "credentials",
                    Level::Error,
                    "credentials",
                    format!("sts:GetCallerIdentity failed: {e}"),
                )
                .fix("check the credentials (`aws sts get-caller-identity` with the same profile)"),
            );
            None
        }
    }
}

/// The global-infrastructure service ids the blueprint's sections use.
pub(crate) fn services_needed(bp: &Blueprint) -> Vec<&'static str> {
    let mut out = vec!["sts", "iam", "resourcegroupstaggingapi"];
    if bp.network.is_some() {
        out.push("ec2");
    }
    if bp.cluster.is_some() {
        out.extend(["eks", "ec2"]);
    }
    if let Some(storage) = &bp.storage {
        if storage.efs.is_some() {
            out.push("efs");
        }
        if !storage.buckets.is_empty() {
            out.push("s3");
        }
    }
    if bp.database.is_some() {
        out.push("rds");
    }
    if bp.cache.is_some() {
        out.push("elasticache");
    }
    if bp.registry.is_some() {
        out.push("ecr");
    }
    if let Some(ingress) = &bp.ingress {
        out.push("elb");
        if ingress
            .listeners
            .iter()
            .any(|l| l.certificate_arn.is_some())
        {
            out.push("acm");
        }
    }
    for group in &bp.servers {
        out.extend(["ec2", "ssm"]);
        if group.count.is_some() {
            out.push("autoscaling");
        }
        if group.workbench.is_some() {
            // The generated cookie key; the servers read the database's secret.
            out.push("secretsmanager");
        }
    }
    if let Some(ecs) = &bp.ecs {
        out.extend(["ecs", "logs", "application-autoscaling"]);
        if !ecs.capacity.fargate {
            out.extend(["ec2", "autoscaling"]);
        }
        if ecs.services.iter().any(|s| !s.secrets.is_empty()) {
            out.push("secretsmanager");
        }
    }
    if let Some(monitoring) = &bp.monitoring {
        out.extend(["cloudwatch", "sns"]);
        if !monitoring.canaries.is_empty() {
            out.extend(["synthetics", "lambda"]);
        }
    }
    for reference in secret_references(bp) {
        out.push(if reference.1.starts_with("ssm:") {
            "ssm"
        } else {
            "secretsmanager"
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|s| seen.insert(*s));
    out
}

async fn services(conn: &Connection, bp: &Blueprint, f: &mut Vec<Finding>) {
    let needed = services_needed(bp);
    match ask::services_missing(conn, &needed).await {
        Ok(missing) if missing.is_empty() => f.push(Finding::new(
            "services",
            Level::Ok,
            "services",
            format!("{} offers every service the blueprint uses ({})", conn.region, needed.join(", ")),
        )),
        Ok(missing) => {
            for service in missing {
                f.push(
                    Finding::new(
                        "services",
                        Level::Error,
                        service.clone(),
                        format!("{} does not offer {service}", conn.region),
                    )
                    .fix(format!(
                        "move the blueprint to a region that offers {service} (metadata.region), or \
                         remove the section that needs it"
                    )),
                );
            }
        }
        Err(e) => f.push(
            Finding::new("services", Level::Warning, "services", format!("could not ask which services {} offers ({e})", conn.region))
                .fix("allow ssm:GetParameters on the public parameters arn:*:ssm:*::parameter/aws/service/global-infrastructure/*"),
        ),
    }
}

async fn versions(conn: &Connection, bp: &Blueprint, f: &mut Vec<Finding>) {
    match aws::versions::check(conn, bp, crate::plan::catalog::CANARY_RUNTIME).await {
        Ok(problems) if problems.is_empty() => f.push(Finding::new(
            "versions",
            Level::Ok,
            "versions",
            "AWS offers every version the blueprint pins",
        )),
        Ok(problems) => f.extend(problems.iter().map(version_finding)),
        Err(e) => f.push(
            Finding::new("versions", Level::Warning, "versions", format!("could not ask AWS which versions it offers ({e})"))
                .fix("allow the describe-versions calls (eks:DescribeClusterVersions, rds:DescribeDBEngineVersions, ...)"),
        ),
    }
}

fn version_finding(p: &Problem) -> Finding {
    let level = if p.is_error() {
        Level::Error
    } else {
        Level::Warning
    };
    let finding = Finding::new("versions", level, p.path.clone(), p.message.clone());
    match &p.hint {
        Some(hint) => finding.fix(hint.clone()),
        None => finding,
    }
}

async fn quota_findings(conn: &Connection, plan: &Plan, loaded: &Loaded, f: &mut Vec<Finding>) {
    for need in quotas::needs(plan, &loaded.resources) {
        let about = format!("{}/{}", need.service, need.code);
        let value = match ask::quota(conn, need.service, need.code).await {
            Ok(Some(value)) => value,
            Ok(None) => {
                f.push(
                    Finding::new(
                        "quotas",
                        Level::Warning,
                        about,
                        "Service Quotas does not know this quota here",
                    )
                    .fix("check the service's quota page for this region"),
                );
                continue;
            }
            Err(e) => {
                f.push(Finding::new("quotas", Level::Warning, about, format!("could not read the quota ({e})"))
                    .fix("allow servicequotas:GetServiceQuota and servicequotas:GetAWSDefaultServiceQuota"));
                continue;
            }
        };
        let used = match need.usage {
            None => Default::default(),
            Some(what) => match ask::usage(conn, what).await {
                Ok(used) => used,
                Err(e) => {
                    f.push(
                        Finding::new(
                            "quotas",
                            Level::Warning,
                            about,
                            format!("{}: could not count what is used ({e})", value.name),
                        )
                        .fix("allow the service's describe/list calls"),
                    );
                    continue;
                }
            },
        };
        let over = quotas::exceeded(&need, &used, value.value);
        if over.is_empty() {
            let created: u64 = need.creates.values().sum();
            let in_use: u64 = used.values().sum();
            let what = if need.usage.is_some() {
                format!("{in_use} used + {created} new")
            } else {
                format!("{created} in the cluster")
            };
            f.push(Finding::new(
                "quotas",
                Level::Ok,
                about,
                format!("{}: {what}, quota {}", value.name, value.value),
            ));
            continue;
        }
        for (zone, in_use, created, total) in over {
            let place = if zone.is_empty() {
                String::new()
            } else {
                format!(" in {zone}")
            };
            f.push(
                Finding::new(
                    "quotas",
                    Level::Error,
                    about.clone(),
                    format!(
                        "{}{place}: {in_use} used + {created} the plan creates = {total}, over the quota of {}",
                        value.name, value.value
                    ),
                )
                .fix(format!(
                    "free {} or ask for more: aws service-quotas request-service-quota-increase \
                     --service-code {} --quota-code {} --desired-value {total} --region {}",
                    total as f64 - value.value,
                    need.service,
                    need.code,
                    conn.region
                )),
            );
        }
    }
}

/// The IAM principal the simulator takes for a caller ARN: a role for an assumed-role session
/// (IAM API reference, SimulatePrincipalPolicy: "the ARN of a user, group, or role"; a session's
/// role path is not in its ARN, so a role under a path is asked about without it), the user for
/// a user; `None` for the root user and federated users, which the simulator cannot take.
pub(crate) fn simulation_principal(caller: &str) -> Option<String> {
    let mut parts = caller.splitn(6, ':');
    let (_, part, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let role = rest.split('/').next()?;
        return Some(format!("arn:{part}:iam::{account}:role/{role}"));
    }
    if let Some(user) = resource.strip_prefix("user/") {
        return Some(format!("arn:{part}:iam::{account}:user/{user}"));
    }
    if resource.starts_with("role/") {
        return Some(format!("arn:{part}:iam::{account}:{resource}"));
    }
    None
}

async fn permission_findings(conn: &Connection, caller: &str, plan: &Plan, f: &mut Vec<Finding>) {
    let actions = permissions::needed(plan);
    let Some(principal) = simulation_principal(caller) else {
        f.push(
            Finding::new("permissions", Level::Warning, caller, "the policy simulator cannot judge this caller (root or federated user)")
                .fix("use an IAM role or user for shinyctl; the root user can do everything and should not be used"),
        );
        return;
    };
    match ask::simulate(conn, &principal, &actions).await {
        Ok(decisions) => {
            let denied: Vec<&ask::Decision> = decisions
                .iter()
                .filter(|d| d.decision != "allowed")
                .collect();
            if denied.is_empty() {
                f.push(Finding::new(
                    "permissions",
                    Level::Ok,
                    principal.clone(),
                    format!(
                        "allowed every one of the {} actions the plan calls",
                        actions.len()
                    ),
                ));
            }
            for d in denied {
                let (why, fix) = if d.decision == "explicitDeny" {
                    (
                        "explicitly denied",
                        format!(
                            "remove or narrow the Deny statement that names {} in {principal}'s policies",
                            d.action
                        ),
                    )
                } else {
                    (
                        "not allowed by any policy",
                        format!("add {} to a policy attached to {principal}", d.action),
                    )
                };
                f.push(
                    Finding::new(
                        "permissions",
                        Level::Error,
                        d.action.clone(),
                        format!("{principal}: {} is {why}", d.action),
                    )
                    .fix(fix),
                );
            }
        }
        Err(e) => f.push(
            Finding::new(
                "permissions",
                Level::Warning,
                principal.clone(),
                format!(
                    "could not simulate the plan's {} actions ({e})",
                    actions.len()
                ),
            )
            .fix(format!(
                "allow iam:SimulatePrincipalPolicy on {principal} to let doctor check permissions"
            )),
        ),
    }
}

/// Whether `pattern` (`shiny.example.com` or `*.example.com`: one label) covers `domain`,
/// as ACM's domain names and subject alternative names do (ACM user guide, "Domain names").
pub(crate) fn covers(pattern: &str, domain: &str) -> bool {
    let (pattern, domain) = (pattern.to_ascii_lowercase(), domain.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(parent) => domain
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => pattern == domain,
    }
}

async fn certificates(conn: &Connection, bp: &Blueprint) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(ingress) = &bp.ingress else {
        return out;
    };
    for (i, listener) in ingress.listeners.iter().enumerate() {
        let Some(arn) = &listener.certificate_arn else {
            continue;
        };
        let about = format!("ingress.listeners[{i}].certificateArn");
        let region = arn.split(':').nth(3).unwrap_or("");
        if region != conn.region {
            out.push(
                Finding::new(
                    "certificates",
                    Level::Error,
                    about,
                    format!(
                        "{arn} is in {region:?}, not in the load balancer's region {}",
                        conn.region
                    ),
                )
                .fix(format!(
                    "request or import the certificate in {} (ACM certificates are regional)",
                    conn.region
                )),
            );
            continue;
        }
        match ask::certificate(conn, arn).await {
            Ok(None) => out.push(
                Finding::new("certificates", Level::Error, about, format!("certificate {arn} does not exist in this account and region"))
                    .fix(format!("request one: aws acm request-certificate --domain-name {} --validation-method DNS --region {}",
                        ingress.domain.as_deref().unwrap_or("<domain>"), conn.region)),
            ),
            Ok(Some(cert)) if cert.status != "ISSUED" => out.push(
                Finding::new("certificates", Level::Error, about, format!("certificate {arn} is {}, not ISSUED", cert.status))
                    .fix(if cert.status == "PENDING_VALIDATION" {
                        "finish its validation: create the DNS records `aws acm describe-certificate` lists under DomainValidationOptions".to_string()
                    } else {
                        "request a new certificate (an expired, revoked or failed one cannot be used) and put its ARN here".to_string()
                    }),
            ),
            Ok(Some(cert)) => match &ingress.domain {
                Some(domain) if !cert.domains.iter().any(|d| covers(d, domain)) => out.push(
                    Finding::new("certificates", Level::Error, about, format!("certificate {arn} is for {}, not {domain}", cert.domains.join(", ")))
                        .fix(format!("request a certificate for {domain} (or a wildcard of its parent) and put its ARN here")),
                ),
                _ => out.push(Finding::new("certificates", Level::Ok, about, format!("{arn} is issued for {}", cert.domains.join(", ")))),
            },
            Err(e) => out.push(
                Finding::new("certificates", Level::Warning, about, format!("could not read certificate {arn} ({e})"))
                    .fix("allow acm:DescribeCertificate"),
            ),
        }
    }
    out
}

/// Every secret reference in the blueprint: (YAML path, reference).
pub(crate) fn secret_references(bp: &Blueprint) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // Workbench's licence and a cookie key the team keeps itself: the servers read them at run
    // time, so a missing one fails every server's configuration.
    for (i, group) in bp.servers.iter().enumerate() {
        let Some(wb) = &group.workbench else { continue };
        let at = format!("servers[{i}].workbench");
        let references = [
            (
                "secureCookieKey",
                Some(&wb.secure_cookie_key).filter(|k| *k != "generated"),
            ),
            ("licenseFileRef", wb.license_file_ref.as_ref()),
            ("licenseKeyRef", wb.license_key_ref.as_ref()),
        ];
        for (key, reference) in references {
            if let Some(reference) = reference {
                out.push((format!("{at}.{key}"), reference.clone()));
            }
        }
    }
    for (i, service) in bp.ecs.iter().flat_map(|e| e.services.iter().enumerate()) {
        for (key, reference) in &service.secrets {
            // The secret, without the JSON key the variable takes (`#KEY`).
            let secret = reference
                .split_once('#')
                .map_or(reference.as_str(), |(s, _)| s);
            out.push((
                format!("ecs.services[{i}].secrets.{key}"),
                secret.to_string(),
            ));
        }
    }
    let Some(auth) = bp.proxy.as_ref().map(|p| &p.authentication) else {
        return out;
    };
    if let Some(simple) = &auth.simple {
        for (i, user) in simple.users.iter().enumerate() {
            out.push((
                format!("proxy.authentication.simple.users[{i}].passwordRef"),
                user.password_ref.clone(),
            ));
        }
    }
    if let Some(reference) = auth
        .ldap
        .as_ref()
        .and_then(|l| l.manager_password_ref.clone())
    {
        out.push((
            "proxy.authentication.ldap.managerPasswordRef".into(),
            reference,
        ));
    }
    if let Some(openid) = &auth.openid {
        out.push((
            "proxy.authentication.openid.clientSecretRef".into(),
            openid.client_secret_ref.clone(),
        ));
    }
    out
}

async fn secrets(conn: &Connection, bp: &Blueprint) -> Vec<Finding> {
    let mut out = Vec::new();
    for (about, reference) in secret_references(bp) {
        let finding = match ask::secret_readable(conn, &reference).await {
            Ok(()) => Finding::new("secrets", Level::Ok, about, format!("{reference} exists and is readable")),
            Err(SecretProblem::Malformed) => Finding::new("secrets", Level::Error, about, format!("{reference:?} is not secretsmanager:… or ssm:…"))
                .fix("name a Secrets Manager secret (secretsmanager:NAME) or an SSM parameter (ssm:/NAME)"),
            Err(SecretProblem::Missing) => {
                let fix = match reference.strip_prefix("ssm:") {
                    Some(name) => format!("create it: aws ssm put-parameter --name {name} --type SecureString --value … --region {}", conn.region),
                    None => format!(
                        "create it: aws secretsmanager create-secret --name {} --secret-string … --region {}",
                        reference.trim_start_matches("secretsmanager:").split('#').next().unwrap_or(""),
                        conn.region
                    ),
                };
                Finding::new("secrets", Level::Error, about, format!("{reference} does not exist in {}", conn.region)).fix(fix)
            }
            Err(SecretProblem::NoKey(key)) => Finding::new("secrets", Level::Error, about, format!("{reference}: the secret is not JSON with a string {key:?}"))
                .fix(format!("store the secret as JSON with the key {key:?}")),
            Err(SecretProblem::Refused { code, message }) => Finding::new("secrets", Level::Error, about, format!("{reference} cannot be read: {code}: {message}"))
                .fix("allow secretsmanager:GetSecretValue (or ssm:GetParameter) on it, and kms:Decrypt on its key"),
        };
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_simulated_as_their_role() {
        assert_eq!(
            simulation_principal("arn:aws:sts::123456789012:assumed-role/Deploy/ci-run").as_deref(),
            Some("arn:aws:iam::123456789012:role/Deploy")
        );
        assert_eq!(
            simulation_principal("arn:aws-cn:iam::123456789012:user/ci").as_deref(),
            Some("arn:aws-cn:iam::123456789012:user/ci")
        );
        // moto's default caller is an STS user ARN.
        assert_eq!(
            simulation_principal("arn:aws:sts::123456789012:user/moto").as_deref(),
            Some("arn:aws:iam::123456789012:user/moto")
        );
        assert_eq!(simulation_principal("arn:aws:iam::123456789012:root"), None);
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.com", "shiny.example.com"));
        assert!(covers("Shiny.Example.com", "shiny.example.com"));
        assert!(!covers("*.example.com", "a.shiny.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("other.example.com", "shiny.example.com"));
    }

    #[test]
    fn the_example_needs_these_services() {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let services = services_needed(&loaded.blueprint);
        for s in [
            "ec2",
            "eks",
            "rds",
            "elasticache",
            "elb",
            "acm",
            "secretsmanager",
        ] {
            assert!(services.contains(&s), "{s} in {services:?}");
        }
        assert_eq!(
            secret_references(&loaded.blueprint),
            vec![(
                "proxy.authentication.openid.clientSecretRef".to_string(),
                "secretsmanager:analytics/oidc-client-secret".to_string()
            )]
        );
    }

    #[test]
    fn a_workbench_group_needs_its_services_and_its_licence_secret() {
        let bp = crate::plan::catalog::tests::rstudio_lb();
        let services = services_needed(&bp);
        for s in [
            "ec2",
            "ssm",
            "autoscaling",
            "secretsmanager",
            "rds",
            "efs",
            "elb",
        ] {
            assert!(services.contains(&s), "{s} in {services:?}");
        }
        assert_eq!(
            secret_references(&bp),
            vec![(
                "servers[0].workbench.licenseFileRef".to_string(),
                "secretsmanager:rsw/license-file".to_string()
            )]
        );
    }

    #[test]
    fn an_ecs_blueprint_needs_its_services_and_each_service_secret() {
        let mut bp = crate::load::shipped("saas-ecs.yaml").blueprint;
        let services = services_needed(&bp);
        for s in [
            "ecs",
            "logs",
            "application-autoscaling",
            "autoscaling",
            "ec2",
            "elb",
            "ecr",
        ] {
            assert!(services.contains(&s), "{s} in {services:?}");
        }
        assert!(!services.contains(&"secretsmanager"), "{services:?}");
        let ecs = bp.ecs.as_mut().expect("an ecs section");
        ecs.services[1].secrets.insert(
            "DB_PASSWORD".into(),
            "secretsmanager:erp/db#password".into(),
        );
        assert!(services_needed(&bp).contains(&"secretsmanager"));
        // The secret itself, without the JSON key the variable takes.
        assert_eq!(
            secret_references(&bp),
            vec![(
                "ecs.services[1].secrets.DB_PASSWORD".to_string(),
                "secretsmanager:erp/db".to_string()
            )]
        );
    }
}
