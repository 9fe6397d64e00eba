//! `monitoring`: alarm e-mail, Synthetics canaries and CloudWatch alarms, and whether each alarm's
//! metric has a source in this blueprint.

use super::Problems;
use super::text::{is_email, parse_duration, report_duplicates};
use crate::blueprint::model::{AlarmMetric, Blueprint, LoadBalancerType};
use crate::blueprint::problem::{Problem, child, item};

/// Synthetics canary names: the console and the Lambda function derived from the name allow 21.
const MAX_CANARY_NAME: usize = 21;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(monitoring) = &bp.monitoring else {
        return;
    };
    if let Some(email) = &monitoring.alarm_email
        && !is_email(email)
    {
        out.push(
            Problem::new(
                "monitoring.alarmEmail",
                format!("`{email}` is not an e-mail address"),
            )
            .hint("write one address such as `ops@example.com`; SNS sends it a confirmation link"),
        );
    }
    check_canaries(bp, out);
    check_alarms(bp, out);
}

fn check_canaries(bp: &Blueprint, out: &mut Problems) {
    let Some(monitoring) = &bp.monitoring else {
        return;
    };
    let base = "monitoring.canaries";
    if !monitoring.canaries.is_empty() && bp.ingress.is_none() {
        out.push(
            Problem::new(
                base,
                "canaries request paths of the ingress, but the blueprint has no `ingress`",
            )
            .hint("add an `ingress` section, or remove the canaries"),
        );
    }
    // Over HTTPS the certificate names the user's domain, never the load balancer's DNS name:
    // a canary requesting that name fails TLS forever and its alarm never clears.
    if let Some(ingress) = &bp.ingress
        && ingress.domain.is_none()
        && !monitoring.canaries.is_empty()
        && ingress
            .canary_listener()
            .is_some_and(|l| l.protocol.needs_certificate())
    {
        out.push(
            Problem::new(
                base,
                "the canaries request the ingress over HTTPS, but `ingress.domain` is not set: the \
                 certificate is for your domain, so the load balancer's own DNS name fails TLS",
            )
            .hint("set `ingress.domain` to the hostname the certificate is for (e.g. `shiny.example.com`) and point it at the load balancer with a CNAME"),
        );
    }
    report_duplicates(
        out,
        monitoring
            .canaries
            .iter()
            .enumerate()
            .map(|(i, c)| (child(&item(base, i), "name"), c.name.as_str())),
        "canary name",
    );
    for (i, canary) in monitoring.canaries.iter().enumerate() {
        let path = item(base, i);
        let name = &canary.name;
        let charset_ok = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if name.is_empty() || name.len() > MAX_CANARY_NAME || !charset_ok {
            out.push(
                Problem::new(
                    child(&path, "name"),
                    format!("`{name}` is not a valid canary name"),
                )
                .hint(format!(
                    "use 1 to {MAX_CANARY_NAME} lowercase letters, digits, hyphens and underscores"
                )),
            );
        }
        if !canary.path.starts_with('/') {
            out.push(
                Problem::new(
                    child(&path, "path"),
                    format!("`{}` is not an absolute URL path", canary.path),
                )
                .hint("start the path with `/`, e.g. `/login`"),
            );
        }
        // Synthetics schedules are rate(N minutes|hours): 1 minute to 1 hour, whole minutes.
        match parse_duration(&canary.every) {
            None => out.push(
                Problem::new(
                    child(&path, "every"),
                    format!("`{}` is not a duration", canary.every),
                )
                .hint("write a number and a unit: `5m`, `1h`"),
            ),
            Some(s) if !(60..=3600).contains(&s) || s % 60 != 0 => out.push(
                Problem::new(
                    child(&path, "every"),
                    format!(
                        "`{}` is outside a canary's 1m..1h in whole minutes",
                        canary.every
                    ),
                )
                .hint("canaries run every 1 to 60 minutes, e.g. `5m`"),
            ),
            Some(_) => {}
        }
    }
}

fn check_alarms(bp: &Blueprint, out: &mut Problems) {
    let Some(monitoring) = &bp.monitoring else {
        return;
    };
    for (i, alarm) in monitoring.alarms.iter().enumerate() {
        let path = item("monitoring.alarms", i);
        match parse_duration(&alarm.period) {
            None => out.push(
                Problem::new(child(&path, "period"), format!("`{}` is not a duration", alarm.period))
                    .hint("write a number and a unit: `60s`, `5m`, `1h`"),
            ),
            Some(s) if s == 0 || s % 60 != 0 || s > 86_400 => out.push(
                Problem::new(child(&path, "period"), format!("`{}` is not a whole number of minutes up to one day", alarm.period))
                    .hint("CloudWatch alarm periods on these metrics are multiples of 60 seconds, at most 1 day"),
            ),
            Some(_) => {}
        }
        if !alarm.threshold.is_finite() || alarm.threshold < 0.0 {
            out.push(
                Problem::new(
                    child(&path, "threshold"),
                    "the threshold is not a non-negative number",
                )
                .hint("write a number such as `1` or `80`"),
            );
        } else if matches!(
            alarm.metric,
            AlarmMetric::DatabaseCpu | AlarmMetric::CacheCpu
        ) && alarm.threshold > 100.0
        {
            out.push(
                Problem::new(
                    child(&path, "threshold"),
                    format!("{}% CPU can never be reached", alarm.threshold),
                )
                .hint("CPU utilisation is a percentage: use 0 to 100, e.g. `80`"),
            );
        }
        let missing = match alarm.metric {
            AlarmMetric::CanaryFailed => monitoring
                .canaries
                .is_empty()
                .then_some(("a canary", "add one under `monitoring.canaries`")),
            AlarmMetric::UnhealthyTargets => bp
                .ingress
                .is_none()
                .then_some(("an ingress", "add an `ingress` section")),
            AlarmMetric::Http5xx => (!bp
                .ingress
                .as_ref()
                .is_some_and(|i| i.kind == LoadBalancerType::Alb))
            .then_some((
                "an ALB ingress",
                "HTTP 5xx counts come from an ALB: use `ingress.type: alb`",
            )),
            AlarmMetric::DatabaseCpu => bp
                .database
                .is_none()
                .then_some(("a database", "add a `database` section")),
            AlarmMetric::CacheCpu => bp
                .cache
                .is_none()
                .then_some(("a cache", "add a `cache` section")),
        };
        if let Some((what, hint)) = missing {
            out.push(
                Problem::new(
                    child(&path, "metric"),
                    format!("this alarm's metric needs {what}, which the blueprint does not have"),
                )
                .hint(format!("{hint}, or remove this alarm")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use super::*;
    use crate::blueprint::model::{Alarm, Monitoring};

    fn mon(bp: &mut Blueprint) -> &mut Monitoring {
        bp.monitoring.as_mut().unwrap()
    }

    #[test]
    fn an_https_canary_needs_the_ingress_domain() {
        assert_one(
            |bp| bp.ingress.as_mut().unwrap().domain = None,
            "monitoring.canaries",
            "ingress.domain",
        );
        // Over plain HTTP the load balancer's own name serves.
        assert_eq!(
            paths_after(|bp| {
                let ingress = bp.ingress.as_mut().unwrap();
                ingress.domain = None;
                ingress.listeners.retain(|l| l.port == 80);
                ingress.listeners[0].redirect_to = None;
            }),
            Vec::<String>::new()
        );
        assert_one(
            |bp| bp.ingress.as_mut().unwrap().domain = Some("https://shiny.example.com".into()),
            "ingress.domain",
            "not a hostname",
        );
    }

    #[test]
    fn alarm_email() {
        assert_one(
            |bp| mon(bp).alarm_email = Some("ops at example".into()),
            "monitoring.alarmEmail",
            "not an e-mail",
        );
    }

    #[test]
    fn canaries() {
        assert_one(
            |bp| {
                bp.ingress = None;
                mon(bp).alarms.clear();
            },
            "monitoring.canaries",
            "no `ingress`",
        );
        assert_one(
            |bp| mon(bp).canaries[0].name = "Login".into(),
            "monitoring.canaries[0].name",
            "not a valid",
        );
        assert_one(
            |bp| mon(bp).canaries[0].name = "l".repeat(22),
            "monitoring.canaries[0].name",
            "not a valid",
        );
        assert_one(
            |bp| mon(bp).canaries[0].path = "login".into(),
            "monitoring.canaries[0].path",
            "absolute",
        );
        assert_one(
            |bp| mon(bp).canaries[0].every = "5 min".into(),
            "monitoring.canaries[0].every",
            "not a duration",
        );
        assert_one(
            |bp| mon(bp).canaries[0].every = "30s".into(),
            "monitoring.canaries[0].every",
            "1m..1h",
        );
        assert_one(
            |bp| mon(bp).canaries[0].every = "2h".into(),
            "monitoring.canaries[0].every",
            "1m..1h",
        );
        assert_one(
            |bp| {
                let again = mon(bp).canaries[0].clone();
                mon(bp).canaries.push(again);
            },
            "monitoring.canaries[1].name",
            "duplicate",
        );
    }

    #[test]
    fn alarms() {
        assert_one(
            |bp| mon(bp).alarms[0].period = "90s".into(),
            "monitoring.alarms[0].period",
            "whole number of minutes",
        );
        assert_one(
            |bp| mon(bp).alarms[0].period = "soon".into(),
            "monitoring.alarms[0].period",
            "not a duration",
        );
        assert_one(
            |bp| mon(bp).alarms[0].threshold = -1.0,
            "monitoring.alarms[0].threshold",
            "non-negative",
        );
        let alarm = |metric| Alarm {
            metric,
            threshold: 80.0,
            period: "5m".into(),
        };
        assert_one(
            |bp| {
                bp.cache = None;
                bp.proxy.as_mut().unwrap().replicas = 1;
                mon(bp).alarms.push(alarm(AlarmMetric::CacheCpu));
            },
            "monitoring.alarms[2].metric",
            "needs a cache",
        );
        assert_one(
            |bp| {
                mon(bp).canaries.clear();
            },
            "monitoring.alarms[0].metric",
            "needs a canary",
        );
        assert_one(
            |bp| {
                let mut a = alarm(AlarmMetric::DatabaseCpu);
                a.threshold = 150.0;
                mon(bp).alarms.push(a);
            },
            "monitoring.alarms[2].threshold",
            "never be reached",
        );
        assert!(paths_after(|bp| mon(bp).alarms.push(alarm(AlarmMetric::Http5xx))).is_empty());
    }
}
