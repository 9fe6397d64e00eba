//! Secret references resolved to values for the workload's Kubernetes Secret:
//! `secretsmanager:NAME` (or an ARN), `secretsmanager:NAME#jsonKey` (one key of a JSON secret,
//! as the RDS-managed master-user secret holds `username` and `password`) and `ssm:/PARAMETER`
//! (a SecureString, decrypted). Values live only in the returned map, which goes straight to
//! `workload::deploy`; no error, log line or Debug output here contains one.

use std::collections::BTreeMap;

use super::Connection;
use super::errors::step_error;
use crate::apply::StepError;

/// Where one value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    SecretsManager {
        id: String,
        json_key: Option<String>,
    },
    Parameter {
        name: String,
    },
}

/// Parses a reference; `None` for anything else (the blueprint's checks refuse those).
pub(crate) fn parse(reference: &str) -> Option<Reference> {
    if let Some(rest) = reference.strip_prefix("secretsmanager:") {
        let (id, json_key) = match rest.rsplit_once('#') {
            Some((id, key)) if !key.is_empty() => (id, Some(key.to_string())),
            _ => (rest, None),
        };
        return (!id.is_empty()).then(|| Reference::SecretsManager {
            id: id.to_string(),
            json_key,
        });
    }
    let name = reference.strip_prefix("ssm:")?;
    (!name.is_empty()).then(|| Reference::Parameter {
        name: name.to_string(),
    })
}

/// The value of every `key -> reference` in `sources`, or a sentence naming the first key that
/// could not be resolved and why (AWS's error code and message, never a value).
pub(crate) async fn resolve(
    conn: &Connection,
    sources: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    // One read per secret: the database's username and password come from the same one.
    let mut secret_strings: BTreeMap<String, String> = BTreeMap::new();
    let mut values = BTreeMap::new();
    for (key, source) in sources {
        let reference = parse(source)
            .ok_or_else(|| format!("secret {key}: {source:?} is not secretsmanager:… or ssm:…"))?;
        let value = match reference {
            Reference::Parameter { name } => parameter(conn, &name)
                .await
                .map_err(|e| format!("secret {key}: {e}"))?,
            Reference::SecretsManager { id, json_key } => {
                if !secret_strings.contains_key(&id) {
                    let text = secret_string(conn, &id)
                        .await
                        .map_err(|e| format!("secret {key}: {e}"))?;
                    secret_strings.insert(id.clone(), text);
                }
                let text = secret_strings.get(&id).map(String::as_str).unwrap_or("");
                match json_key {
                    None => text.to_string(),
                    Some(field) => json_field(text, &field).ok_or_else(|| {
                        format!("secret {key}: secret {id} is not JSON with a string {field:?}")
                    })?,
                }
            }
        };
        values.insert(key.clone(), value);
    }
    Ok(values)
}

/// The current version of every `key -> reference` in `sources`, without reading a value:
/// a Secrets Manager secret's version id staged `AWSCURRENT` (ListSecrets, one call per 100
/// secrets, `SecretVersionsToStages`), an SSM parameter's version number (DescribeParameters
/// with an `Equals` name filter, one call per 50 parameters; botocore `ssm`
/// ParameterStringFilter: at most 50 values). A value changes only with a new version, so the
/// versions tell a plan that ShinyProxy's pods must roll (`workload::rollout`). Keys whose
/// secret or parameter does not exist are left out (apply then names them when it resolves).
pub(crate) async fn versions(
    conn: &Connection,
    sources: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    let mut secret_names = Vec::new();
    let mut parameter_names = Vec::new();
    for source in sources.values() {
        match parse(source) {
            Some(Reference::SecretsManager { id, .. }) => secret_names.push(id),
            Some(Reference::Parameter { name }) => parameter_names.push(name),
            None => {}
        }
    }
    secret_names.sort();
    secret_names.dedup();
    parameter_names.sort();
    parameter_names.dedup();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for names in secret_names.chunks(100) {
        let pages = conn
            .clients
            .secretsmanager
            .list_secrets()
            .filters(
                aws_sdk_secretsmanager::types::Filter::builder()
                    .key(aws_sdk_secretsmanager::types::FilterNameStringType::Name)
                    .set_values(Some(names.to_vec()))
                    .build(),
            )
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| format!("cannot list secrets: {}", step_error(e)))?;
        for secret in pages.iter().flat_map(|page| page.secret_list()) {
            // The name filter matches prefixes: keep exact names only.
            let Some(name) = secret.name().filter(|n| names.iter().any(|x| x == n)) else {
                continue;
            };
            let version = secret.secret_versions_to_stages().and_then(|stages| {
                stages
                    .iter()
                    .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
                    .map(|(id, _)| id.clone())
            });
            if let Some(version) = version {
                current.insert(format!("secretsmanager:{name}"), version);
            }
        }
    }
    for names in parameter_names.chunks(50) {
        let pages = conn
            .clients
            .ssm
            .describe_parameters()
            .parameter_filters(
                aws_sdk_ssm::types::ParameterStringFilter::builder()
                    .key("Name")
                    .option("Equals")
                    .set_values(Some(names.to_vec()))
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| format!("cannot describe parameters: {}", step_error(e)))?;
        for parameter in pages.iter().flat_map(|page| page.parameters()) {
            if let Some(name) = parameter.name() {
                current.insert(format!("ssm:{name}"), parameter.version().to_string());
            }
        }
    }
    Ok(sources
        .iter()
        .filter_map(|(key, source)| {
            let base = match parse(source)? {
                Reference::SecretsManager { id, .. } => format!("secretsmanager:{id}"),
                Reference::Parameter { name } => format!("ssm:{name}"),
            };
            current.get(&base).map(|v| (key.clone(), v.clone()))
        })
        .collect())
}

/// `field` of a JSON object, as a string (numbers too); `None` otherwise.
pub(crate) fn json_field(text: &str, field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

async fn secret_string(conn: &Connection, id: &str) -> Result<String, String> {
    let value = get_secret_string(conn, id)
        .await
        .map_err(|e| format!("cannot read secret {id}: {e}"))?;
    value.ok_or_else(|| {
        format!("secret {id} has no string value (binary secrets are not supported)")
    })
}

async fn parameter(conn: &Connection, name: &str) -> Result<String, String> {
    let value = get_parameter_value(conn, name)
        .await
        .map_err(|e| format!("cannot read parameter {name}: {e}"))?;
    value.ok_or_else(|| format!("parameter {name} has no value"))
}

/// A secret's string value (GetSecretValue); `None` for a binary secret.
pub(crate) async fn get_secret_string(
    conn: &Connection,
    id: &str,
) -> Result<Option<String>, StepError> {
    let out = conn
        .clients
        .secretsmanager
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(step_error)?;
    Ok(out.secret_string)
}

/// A parameter's value, decrypted where it is a SecureString (GetParameter).
pub(crate) async fn get_parameter_value(
    conn: &Connection,
    name: &str,
) -> Result<Option<String>, StepError> {
    let out = conn
        .clients
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(step_error)?;
    Ok(out.parameter.and_then(|p| p.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(
            parse("secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x#password"),
            Some(Reference::SecretsManager {
                id: "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-x".into(),
                json_key: Some("password".into())
            })
        );
        assert_eq!(
            parse("secretsmanager:oidc"),
            Some(Reference::SecretsManager {
                id: "oidc".into(),
                json_key: None
            })
        );
        assert_eq!(
            parse("ssm:/shiny/ldap"),
            Some(Reference::Parameter {
                name: "/shiny/ldap".into()
            })
        );
        assert_eq!(parse("plain"), None);
        assert_eq!(parse("ssm:"), None);
        assert_eq!(parse("secretsmanager:"), None);
    }

    #[test]
    fn json_fields_are_read_without_echoing_the_text() {
        assert_eq!(
            json_field(r#"{"username": "u", "port": 5432}"#, "username"),
            Some("u".into())
        );
        assert_eq!(json_field(r#"{"port": 5432}"#, "port"), Some("5432".into()));
        assert_eq!(json_field("not json", "username"), None);
    }
}
