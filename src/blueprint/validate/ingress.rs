//! `ingress`: listeners and their certificates and redirects, idle timeout against ShinyProxy's
//! heartbeat, stickiness, health check.

use super::Problems;
use super::metadata::is_region;
use crate::blueprint::model::{
    Blueprint, HealthCheck, Ingress, ListenerProtocol, LoadBalancerType, Stickiness, StickinessType,
};
use crate::blueprint::partition::partition;
use crate::blueprint::problem::{Problem, child, item};

const PATH: &str = "ingress";
/// Cookie names ELB reserves for its own stickiness cookies.
const RESERVED_COOKIE_PREFIXES: [&str; 3] = ["AWSALB", "AWSALBAPP", "AWSALBTG"];

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(ingress) = &bp.ingress else {
        return;
    };
    check_listeners(bp, ingress, out);
    check_domain(ingress, out);
    check_idle_timeout(bp, ingress, out);
    if let Some(sticky) = &ingress.stickiness {
        let alb = ingress.kind == LoadBalancerType::Alb;
        check_stickiness(sticky, alb, &child(PATH, "stickiness"), out);
    }
    check_health_check(&ingress.health_check, &child(PATH, "healthCheck"), out);
}

fn check_domain(ingress: &Ingress, out: &mut Problems) {
    if let Some(domain) = &ingress.domain
        && !super::text::is_hostname(domain)
    {
        out.push(
            Problem::new(
                child(PATH, "domain"),
                format!("`{domain}` is not a hostname"),
            )
            .hint("write the name users reach the platform at, e.g. `shiny.example.com` (lowercase, no scheme or path)"),
        );
    }
}

fn check_listeners(bp: &Blueprint, ingress: &Ingress, out: &mut Problems) {
    let base = child(PATH, "listeners");
    if ingress.listeners.is_empty() {
        out.push(
            Problem::new(&base, "the load balancer has no listeners")
                .hint("add one, e.g. `- {port: 443, protocol: HTTPS, certificateArn: ...}`"),
        );
    }
    let lb = match ingress.kind {
        LoadBalancerType::Alb => "an ALB",
        LoadBalancerType::Nlb => "an NLB",
    };
    for (i, listener) in ingress.listeners.iter().enumerate() {
        let path = item(&base, i);
        let protocol = listener.protocol.aws_name();
        if ingress.listeners[..i]
            .iter()
            .any(|l| l.port == listener.port)
        {
            out.push(
                Problem::new(
                    child(&path, "port"),
                    format!("port {} has two listeners", listener.port),
                )
                .hint("a load balancer listens once per port; remove or renumber one"),
            );
        }
        if listener.port == 0 {
            out.push(
                Problem::new(child(&path, "port"), "port 0 is not a port")
                    .hint("use 1 to 65535, e.g. 443"),
            );
        }
        let http_family = matches!(
            listener.protocol,
            ListenerProtocol::Http | ListenerProtocol::Https
        );
        if http_family != (ingress.kind == LoadBalancerType::Alb) {
            out.push(
                Problem::new(
                    child(&path, "protocol"),
                    format!("{lb} has no {protocol} listeners"),
                )
                .hint(match ingress.kind {
                    LoadBalancerType::Alb => {
                        "ALBs speak HTTP and HTTPS; use `type: nlb` for TCP or TLS"
                    }
                    LoadBalancerType::Nlb => {
                        "NLBs speak TCP and TLS; use `type: alb` for HTTP or HTTPS"
                    }
                }),
            );
        }
        match (&listener.certificate_arn, listener.protocol.needs_certificate()) {
            (None, true) => out.push(
                Problem::new(&path, format!("the {protocol} listener on port {} has no certificate", listener.port))
                    .hint(format!(
                        "add `certificateArn: {}:acm:{}:ACCOUNT:certificate/ID` (an ACM certificate in this region)",
                        partition(&bp.metadata.region).arn_prefix(),
                        bp.metadata.region
                    )),
            ),
            (Some(_), false) => out.push(
                Problem::new(child(&path, "certificateArn"), format!("a {protocol} listener takes no certificate"))
                    .hint("only HTTPS and TLS listeners use one: change the protocol or remove `certificateArn`"),
            ),
            (Some(arn), true) => check_certificate_arn(bp, arn, &child(&path, "certificateArn"), out),
            (None, false) => {}
        }
        if let Some(target) = listener.redirect_to {
            let target_is_https = ingress
                .listeners
                .iter()
                .any(|l| l.port == target && l.protocol == ListenerProtocol::Https);
            if listener.protocol != ListenerProtocol::Http {
                out.push(
                    Problem::new(child(&path, "redirectTo"), format!("a {protocol} listener cannot redirect"))
                        .hint("only HTTP listeners of an ALB redirect (typically port 80 to the HTTPS port)"),
                );
            } else if !target_is_https {
                let https: Vec<String> = ingress
                    .listeners
                    .iter()
                    .filter(|l| l.protocol == ListenerProtocol::Https)
                    .map(|l| l.port.to_string())
                    .collect();
                out.push(
                    Problem::new(
                        child(&path, "redirectTo"),
                        format!("port {target} is not an HTTPS listener of this load balancer"),
                    )
                    .hint(if https.is_empty() {
                        "add an HTTPS listener to redirect to, or remove `redirectTo`".to_string()
                    } else {
                        format!("redirect to the HTTPS listener port: {}", https.join(", "))
                    }),
                );
            }
        }
    }
}

/// `arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID`, or an IAM server certificate
/// `arn:PARTITION:iam::ACCOUNT:server-certificate/NAME` (common in the China regions).
fn check_certificate_arn(bp: &Blueprint, arn: &str, path: &str, out: &mut Problems) {
    let region = &bp.metadata.region;
    let expected = partition(region);
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = match fields.as_slice() {
        ["arn", _, "acm", r, account, resource] => {
            !r.is_empty()
                && is_account(account)
                && resource
                    .strip_prefix("certificate/")
                    .is_some_and(|id| !id.is_empty())
        }
        ["arn", _, "iam", "", account, resource] => {
            is_account(account)
                && resource
                    .strip_prefix("server-certificate/")
                    .is_some_and(|n| !n.is_empty())
        }
        _ => false,
    };
    if !well_formed {
        out.push(
            Problem::new(path, format!("`{arn}` is not an ACM certificate ARN")).hint(format!(
                "certificate ARNs look like `{}:acm:{region}:123456789012:certificate/ID`",
                expected.arn_prefix()
            )),
        );
        return;
    }
    // A bad region is reported once, at metadata.region.
    if !is_region(region) {
        return;
    }
    if fields[1] != expected.id() {
        out.push(
            Problem::new(path, format!("the certificate is in partition `{}`, but {region} is in `{}`", fields[1], expected.id()))
                .hint(format!(
                    "load balancers in {region} need a certificate whose ARN starts with `{}:`; import or request one there",
                    expected.arn_prefix()
                )),
        );
    } else if fields[2] == "acm" && fields[3] != region {
        out.push(
            Problem::new(
                path,
                format!(
                    "the certificate is in {}, but the load balancer is in {region}",
                    fields[3]
                ),
            )
            .hint(format!(
                "ACM certificates only work in their own region: request or import one in {region}"
            )),
        );
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_idle_timeout(bp: &Blueprint, ingress: &Ingress, out: &mut Problems) {
    let path = child(PATH, "idleTimeoutSeconds");
    let seconds = ingress.idle_timeout();
    // ALB idle timeout: 1..4000 s. NLB TCP idle timeout (listener attribute): 60..6000 s.
    let (range, lb) = match ingress.kind {
        LoadBalancerType::Alb => (1..=4000, "ALB"),
        LoadBalancerType::Nlb => (60..=6000, "NLB"),
    };
    if !range.contains(&seconds) {
        out.push(
            Problem::new(
                &path,
                format!(
                    "{seconds} s is outside the {lb} idle timeout range {}..{}",
                    range.start(),
                    range.end()
                ),
            )
            .hint("Shiny sessions are long-lived websockets: 3600 is a good value"),
        );
        return;
    }
    if let Some(proxy) = &bp.proxy
        && seconds < proxy.heartbeat_timeout_seconds
    {
        let needed = proxy.heartbeat_timeout_seconds;
        out.push(
            Problem::new(
                &path,
                format!("{seconds} s is shorter than ShinyProxy's heartbeat timeout ({needed} s): the load balancer would cut idle Shiny websockets"),
            )
            .hint(format!("set `idleTimeoutSeconds` to at least {needed}, or lower `proxy.heartbeatTimeoutSeconds`")),
        );
    }
    // An NLB's TLS listeners close idle connections after a fixed 350 s, whatever the setting.
    const NLB_TLS_IDLE: u32 = 350;
    if ingress.kind == LoadBalancerType::Nlb
        && let Some(proxy) = &bp.proxy
        && proxy.heartbeat_timeout_seconds > NLB_TLS_IDLE
    {
        for (i, listener) in ingress.listeners.iter().enumerate() {
            if listener.protocol == ListenerProtocol::Tls {
                out.push(
                    Problem::new(
                        child(&item(&child(PATH, "listeners"), i), "protocol"),
                        format!(
                            "NLB TLS listeners cut idle connections after {NLB_TLS_IDLE} s, before ShinyProxy's heartbeat timeout ({} s)",
                            proxy.heartbeat_timeout_seconds
                        ),
                    )
                    .hint(format!(
                        "lower `proxy.heartbeatTimeoutSeconds` to {NLB_TLS_IDLE} or less, or use a TCP listener (idle timeout up to 6000 s)"
                    )),
                );
            }
        }
    }
}

/// A target group's stickiness at `path` (the ingress's, or a server group's `http`).
pub(super) fn check_stickiness(sticky: &Stickiness, alb: bool, path: &str, out: &mut Problems) {
    let path = path.to_string();
    match sticky.kind {
        StickinessType::LbCookie | StickinessType::AppCookie if !alb => out.push(
            Problem::new(child(&path, "type"), "NLBs have no cookie stickiness")
                .hint("use `type: source_ip` on an NLB, or switch to `type: alb`"),
        ),
        StickinessType::SourceIp if alb => out.push(
            Problem::new(child(&path, "type"), "ALBs have no source_ip stickiness")
                .hint("use `type: lb_cookie` (the ALB's own cookie) or `app_cookie`"),
        ),
        _ => {}
    }
    match (&sticky.cookie_name, sticky.kind) {
        (None, StickinessType::AppCookie) => out.push(
            Problem::new(
                &path,
                "app_cookie stickiness needs the application's cookie name",
            )
            .hint("add `cookieName:`, e.g. the session cookie of ShinyProxy `JSESSIONID`"),
        ),
        (Some(name), StickinessType::AppCookie) => {
            if name.is_empty() || RESERVED_COOKIE_PREFIXES.iter().any(|p| name.starts_with(p)) {
                out.push(
                    Problem::new(child(&path, "cookieName"), format!("`{name}` is not an allowed cookie name"))
                        .hint("names starting with AWSALB, AWSALBAPP or AWSALBTG are reserved by the load balancer"),
                );
            }
        }
        (Some(_), _) => out.push(
            Problem::new(
                child(&path, "cookieName"),
                "only app_cookie stickiness uses a cookie name",
            )
            .hint("remove `cookieName`, or use `type: app_cookie`"),
        ),
        (None, _) => {}
    }
    if sticky.kind != StickinessType::SourceIp && !(1..=604_800).contains(&sticky.duration_seconds)
    {
        out.push(
            Problem::new(
                child(&path, "durationSeconds"),
                format!(
                    "{} s is outside 1..604800 (7 days)",
                    sticky.duration_seconds
                ),
            )
            .hint("a working day (28800) or one day (86400) suits most Shiny users"),
        );
    }
}

/// The route of a server group's or ECS service's `http` at `path`, which its listener rule
/// matches: `/`, or a path without a trailing slash or wildcards (`example`, such as `/app1`,
/// shows one in the hint).
pub(super) fn check_route(route: &str, example: &str, path: &str, out: &mut Problems) {
    let route_ok = route == "/"
        || (route.starts_with('/')
            && !route.ends_with('/')
            && route.len() <= 100
            && !route.contains(['*', '?', ' ']));
    if !route_ok {
        out.push(
            Problem::new(child(path, "path"), format!("`{route}` is not a route")).hint(format!(
                "`/` (the listeners' default) or a path without a trailing slash or wildcards, \
                 e.g. `{example}`: it routes `{example}` and `{example}/*`"
            )),
        );
    }
}

/// A target group's health check at `path` (the ingress's, or a server group's `http`).
pub(super) fn check_health_check(hc: &HealthCheck, path: &str, out: &mut Problems) {
    if !hc.path.starts_with('/') || hc.path.len() > 1024 {
        out.push(
            Problem::new(
                child(path, "path"),
                format!("`{}` is not an absolute URL path", hc.path),
            )
            .hint("start the path with `/`, e.g. `/login`"),
        );
    }
    let mut range = |key: &str, value: u32, lo: u32, hi: u32| {
        if !(lo..=hi).contains(&value) {
            out.push(
                Problem::new(child(path, key), format!("{value} is outside {lo}..{hi}")).hint(
                    format!("load balancer health checks accept {key} from {lo} to {hi}"),
                ),
            );
            false
        } else {
            true
        }
    };
    let interval_ok = range("intervalSeconds", hc.interval_seconds, 5, 300);
    let timeout_ok = range("timeoutSeconds", hc.timeout_seconds, 2, 120);
    range("healthyThreshold", hc.healthy_threshold, 2, 10);
    range("unhealthyThreshold", hc.unhealthy_threshold, 2, 10);
    if interval_ok && timeout_ok && hc.timeout_seconds >= hc.interval_seconds {
        out.push(
            Problem::new(
                child(path, "timeoutSeconds"),
                format!(
                    "the timeout ({} s) is not shorter than the interval ({} s)",
                    hc.timeout_seconds, hc.interval_seconds
                ),
            )
            .hint("a health check must time out before the next one starts: lower timeoutSeconds"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after, problems_after};
    use super::*;
    use crate::blueprint::model::{Listener, Stickiness};

    fn ing(bp: &mut Blueprint) -> &mut Ingress {
        bp.ingress.as_mut().unwrap()
    }

    #[test]
    fn listeners() {
        assert_one(
            |bp| ing(bp).listeners.clear(),
            "ingress.listeners",
            "no listeners",
        );
        assert_one(
            |bp| ing(bp).listeners[1].port = 443,
            "ingress.listeners[1].port",
            "two listeners",
        );
        assert_one(
            |bp| ing(bp).listeners[0].certificate_arn = None,
            "ingress.listeners[0]",
            "no certificate",
        );
        assert_one(
            |bp| {
                ing(bp).listeners[1].certificate_arn = ing(bp).listeners[0].certificate_arn.clone()
            },
            "ingress.listeners[1].certificateArn",
            "takes no certificate",
        );
        assert_one(
            |bp| ing(bp).listeners[1].redirect_to = Some(8443),
            "ingress.listeners[1].redirectTo",
            "not an HTTPS listener",
        );
        assert_one(
            |bp| ing(bp).listeners[0].redirect_to = Some(443),
            "ingress.listeners[0].redirectTo",
            "cannot redirect",
        );
    }

    #[test]
    fn protocols_match_the_load_balancer() {
        let found = problems_after(|bp| {
            ing(bp).kind = LoadBalancerType::Nlb;
            ing(bp).stickiness = None;
            bp.monitoring = None;
        });
        let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
        assert!(
            paths.contains(&"ingress.listeners[0].protocol"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"ingress.listeners[1].protocol"),
            "{paths:?}"
        );
        assert!(
            paths_after(|bp| {
                ing(bp).kind = LoadBalancerType::Nlb;
                ing(bp).stickiness = None;
                ing(bp).listeners = vec![Listener {
                    port: 443,
                    protocol: ListenerProtocol::Tcp,
                    certificate_arn: None,
                    redirect_to: None,
                }];
            })
            .is_empty()
        );
    }

    #[test]
    fn certificates_belong_to_the_partition_and_region() {
        let arn =
            |bp: &mut Blueprint, a: &str| ing(bp).listeners[0].certificate_arn = Some(a.into());
        assert_one(
            |bp| arn(bp, "arn:aws:acm:cn-northwest-1:123456789012:certificate/x"),
            "ingress.listeners[0].certificateArn",
            "partition `aws`",
        );
        assert_one(
            |bp| arn(bp, "arn:aws-cn:acm:cn-north-1:123456789012:certificate/x"),
            "ingress.listeners[0].certificateArn",
            "in cn-north-1",
        );
        assert_one(
            |bp| arn(bp, "my-cert"),
            "ingress.listeners[0].certificateArn",
            "not an ACM certificate ARN",
        );
        assert!(
            paths_after(|bp| arn(bp, "arn:aws-cn:iam::123456789012:server-certificate/shiny"))
                .is_empty()
        );
        assert!(
            paths_after(|bp| {
                bp.metadata.region = "eu-west-1".into();
                arn(bp, "arn:aws:acm:eu-west-1:123456789012:certificate/x");
            })
            .is_empty()
        );
    }

    #[test]
    fn idle_timeout_covers_the_heartbeat() {
        let found = problems_after(|bp| ing(bp).idle_timeout_seconds = Some(30));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, "ingress.idleTimeoutSeconds");
        assert!(found[0].hint.as_deref().unwrap().contains("at least 60"));
        assert_one(
            |bp| ing(bp).idle_timeout_seconds = Some(4001),
            "ingress.idleTimeoutSeconds",
            "1..4000",
        );
    }

    #[test]
    fn nlb_tls_listeners_have_a_fixed_idle_timeout() {
        let nlb_tls = |bp: &mut Blueprint| {
            ing(bp).kind = LoadBalancerType::Nlb;
            ing(bp).stickiness = None;
            ing(bp).listeners.truncate(1);
            ing(bp).listeners[0].protocol = ListenerProtocol::Tls;
        };
        assert!(paths_after(nlb_tls).is_empty());
        assert_one(
            |bp| {
                nlb_tls(bp);
                bp.proxy.as_mut().unwrap().heartbeat_timeout_seconds = 600;
            },
            "ingress.listeners[0].protocol",
            "after 350 s",
        );
    }

    #[test]
    fn stickiness() {
        let sticky = |bp: &mut Blueprint, kind, cookie: Option<&str>| {
            ing(bp).stickiness = Some(Stickiness {
                kind,
                duration_seconds: 3600,
                cookie_name: cookie.map(String::from),
            })
        };
        assert_one(
            |bp| sticky(bp, StickinessType::AppCookie, None),
            "ingress.stickiness",
            "cookie name",
        );
        assert_one(
            |bp| sticky(bp, StickinessType::AppCookie, Some("AWSALBX")),
            "ingress.stickiness.cookieName",
            "not an allowed",
        );
        assert_one(
            |bp| sticky(bp, StickinessType::LbCookie, Some("s")),
            "ingress.stickiness.cookieName",
            "only app_cookie",
        );
        assert_one(
            |bp| sticky(bp, StickinessType::SourceIp, None),
            "ingress.stickiness.type",
            "source_ip",
        );
        assert_one(
            |bp| ing(bp).stickiness.as_mut().unwrap().duration_seconds = 0,
            "ingress.stickiness.durationSeconds",
            "1..604800",
        );
    }

    #[test]
    fn health_check() {
        assert_one(
            |bp| ing(bp).health_check.path = "login".into(),
            "ingress.healthCheck.path",
            "absolute",
        );
        assert_one(
            |bp| ing(bp).health_check.interval_seconds = 1,
            "ingress.healthCheck.intervalSeconds",
            "5..300",
        );
        assert_one(
            |bp| ing(bp).health_check.healthy_threshold = 1,
            "ingress.healthCheck.healthyThreshold",
            "2..10",
        );
        assert_one(
            |bp| ing(bp).health_check.timeout_seconds = 15,
            "ingress.healthCheck.timeoutSeconds",
            "not shorter",
        );
    }

    #[test]
    fn a_route_is_slash_or_a_path_without_a_trailing_slash_or_wildcards() {
        let mut out = Vec::new();
        for route in ["/", "/app1", "/a/b"] {
            check_route(route, "/app1", "ecs.services[0].http", &mut out);
        }
        assert_eq!(out, []);
        for route in [
            "app1",
            "/app1/",
            "/app*",
            "/a b",
            &format!("/{}", "a".repeat(100)),
        ] {
            check_route(route, "/reports", "servers[0].http", &mut out);
        }
        assert_eq!(out.len(), 5);
        assert_eq!(out[1].path, "servers[0].http.path");
        assert_eq!(out[1].message, "`/app1/` is not a route");
        assert_eq!(
            out[1].hint.as_deref(),
            Some(
                "`/` (the listeners' default) or a path without a trailing slash or wildcards, \
                 e.g. `/reports`: it routes `/reports` and `/reports/*`"
            )
        );
    }
}
