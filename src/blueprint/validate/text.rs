//! Small, pure recognisers for the value formats blueprints use: names, durations, Kubernetes
//! quantities, secret references, URLs. Hand-written so the checks need no regex engine.

use super::Problems;
use crate::blueprint::problem::Problem;

/// `[a-z0-9-]`, starting with a letter or digit and not ending with a hyphen: a Kubernetes
/// DNS-1123 label when at most 63 long.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A fully qualified hostname: two or more DNS labels joined by dots, at most 253 characters,
/// lowercase (`shiny.example.com`).
pub(crate) fn is_hostname(s: &str) -> bool {
    s.len() <= 253 && s.split('.').count() >= 2 && s.split('.').all(is_dns_label)
}

/// Letters, digits and underscores, starting with a letter (RDS database and user names).
pub(crate) fn is_sql_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Digits only, at least one.
pub(crate) fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `N.N` or `N.N.N` (`parts` lists the allowed numbers of dot-separated numbers).
pub(crate) fn is_dotted_version(s: &str, parts: &[usize]) -> bool {
    let pieces: Vec<&str> = s.split('.').collect();
    parts.contains(&pieces.len()) && pieces.iter().all(|p| is_number(p))
}

/// Seconds in a duration such as `30s`, `5m`, `1h` or `1d`; `None` when it is not one.
pub(crate) fn parse_duration(s: &str) -> Option<u64> {
    let unit = s.chars().last()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let number = &s[..s.len() - 1];
    if !is_number(number) || number.len() > 9 {
        return None;
    }
    number.parse::<u64>().ok().map(|n| n * factor)
}

/// The value of a Kubernetes quantity (`500m`, `0.5`, `2`, `1Gi`, `512M`, `1e3`) in base units,
/// or `None` when it is not one.
pub(crate) fn parse_quantity(s: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 14] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(suffix, factor)| s.strip_suffix(suffix).map(|n| (n, *factor)))
        .or_else(|| s.strip_suffix('E').map(|n| (n, 1e18)))
        .unwrap_or((s, 1.0));
    let number = number.strip_prefix('+').unwrap_or(number);
    let plain = |n: &str| {
        let mut halves = n.splitn(2, '.');
        let whole = halves.next().unwrap_or("");
        let fraction = halves.next();
        let whole_ok = whole.is_empty() || is_number(whole);
        let fraction_ok = fraction.is_none_or(|f| f.is_empty() || is_number(f));
        whole_ok && fraction_ok && !(whole.is_empty() && fraction.is_none_or(str::is_empty))
    };
    let valid = match number.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            factor == 1.0 && plain(mantissa) && is_number(exponent)
        }
        None => plain(number),
    };
    if !valid {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(value * factor)
}

/// Shell-style match with `*` (any run) and `?` (one character), as EKS Fargate selectors allow.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The closest candidate to `name`, when one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or a list of what exists, for a dangling reference.
pub(crate) fn reference_hint<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    if let Some(close) = did_you_mean(name, candidates.clone()) {
        return format!("did you mean `{close}`?");
    }
    let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
    if all.is_empty() {
        format!("the blueprint defines no {what}")
    } else {
        format!("the blueprint defines these {what}: {}", all.join(", "))
    }
}

/// Reports every name that occurs more than once (at its second and later occurrences).
pub(crate) fn report_duplicates<'a>(
    out: &mut Problems,
    names: impl IntoIterator<Item = (String, &'a str)>,
    what: &str,
) {
    let mut seen: Vec<&str> = Vec::new();
    for (path, name) in names {
        if seen.contains(&name) {
            out.push(
                Problem::new(path, format!("duplicate {what} `{name}`")).hint(format!(
                    "each {what} must be unique; rename or remove this one"
                )),
            );
        } else {
            seen.push(name);
        }
    }
}

/// Checks a reference to a secret: `secretsmanager:NAME` or `ssm:/PARAMETER`; never the secret itself.
pub(crate) fn check_secret_ref(out: &mut Problems, path: &str, value: &str) {
    const HINT: &str = "store the secret in AWS Secrets Manager and write `secretsmanager:NAME`, \
                        or in SSM Parameter Store and write `ssm:/PARAMETER/PATH`";
    if let Some(name) = value.strip_prefix("secretsmanager:") {
        let ok = !name.is_empty()
            && name.len() <= 512
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if !ok {
            out.push(
                Problem::new(
                    path,
                    format!("`{name}` is not a valid Secrets Manager secret name"),
                )
                .hint("secret names use letters, digits and /_+=.@- (at most 512 characters)"),
            );
        }
    } else if let Some(parameter) = value.strip_prefix("ssm:") {
        let ok = parameter.starts_with('/')
            && parameter.len() > 1
            && parameter.len() <= 2048
            && parameter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c));
        if !ok {
            out.push(
                Problem::new(path, format!("`{parameter}` is not a valid SSM parameter path"))
                    .hint("write a full parameter path with letters, digits and /_.-, e.g. `ssm:/shiny/ldap-password`"),
            );
        }
    } else {
        // Never echo what may be a real secret into logs and CI output.
        out.push(
            Problem::new(
                path,
                "not a secret reference; this looks like the secret itself, which must never be in the blueprint",
            )
            .hint(HINT),
        );
    }
}

/// An `https://host...` URL with a host.
pub(crate) fn is_https_url(s: &str) -> bool {
    url_host(s, &["https"]).is_some()
}

/// The host of a `scheme://host[:port][/...]` URL whose scheme is one of `schemes`.
pub(crate) fn url_host<'a>(s: &'a str, schemes: &[&str]) -> Option<&'a str> {
    let (scheme, rest) = s.split_once("://")?;
    if !schemes.contains(&scheme) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    let valid = !host.is_empty()
        && !s.chars().any(char::is_whitespace)
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    valid.then_some(host)
}

/// A plausible e-mail address: `local@domain.tld`, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(30));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("1d"), Some(86_400));
        for bad in ["", "m", "5", "5 m", "-5m", "1.5h", "5min", "99999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("0.5"), Some(0.5));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("1Gi"), Some(1_073_741_824.0));
        assert_eq!(parse_quantity("512M"), Some(512e6));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity(".5"), Some(0.5));
        for bad in [
            "", "Gi", "1GB", "one", "1.2.3", "-1", ".", "1e", "1e3Gi", "1 Gi",
        ] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("shiny-apps", "shiny-apps"));
        assert!(glob_match("shiny-*", "shiny-apps"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("shiny?apps", "shiny-apps"));
        assert!(!glob_match("shiny-*", "shinyproxy"));
        assert!(!glob_match("apps", "shiny-apps"));
    }

    #[test]
    fn names_and_versions() {
        assert!(is_dns_label("shiny-apps"));
        assert!(!is_dns_label("Shiny"));
        assert!(!is_dns_label("apps-"));
        assert!(is_sql_identifier("shiny_db"));
        assert!(!is_sql_identifier("shiny-db"));
        assert!(!is_sql_identifier("1db"));
        assert!(is_dotted_version("16.4", &[1, 2]));
        assert!(!is_dotted_version("16.x", &[1, 2]));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("shared-dta", ["shared-data", "logs"]),
            Some("shared-data")
        );
        assert_eq!(did_you_mean("zzz", ["shared-data"]), None);
    }

    #[test]
    fn secret_refs() {
        let mut out = Vec::new();
        check_secret_ref(&mut out, "p", "secretsmanager:analytics/oidc");
        check_secret_ref(&mut out, "p", "ssm:/shiny/ldap");
        assert!(out.is_empty(), "{out:?}");
        check_secret_ref(&mut out, "p", "hunter2");
        check_secret_ref(&mut out, "p", "ssm:shiny");
        check_secret_ref(&mut out, "p", "secretsmanager:");
        assert_eq!(out.len(), 3);
        assert!(!out[0].message.contains("hunter2"));
    }

    #[test]
    fn urls_and_emails() {
        assert_eq!(
            url_host("https://login.example.com/x", &["https"]),
            Some("login.example.com")
        );
        assert_eq!(
            url_host("ldaps://ldap:636/dc=x", &["ldap", "ldaps"]),
            Some("ldap")
        );
        assert!(!is_https_url("http://login.example.com"));
        assert!(!is_https_url("https://"));
        assert!(is_email("ops@example.com"));
        assert!(!is_email("ops@example"));
        assert!(!is_email("ops example.com"));
    }
}
