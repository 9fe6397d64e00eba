//! References embedded inside strings: `${address}` (the resource's `id`) or
//! `${address#attribute}`, anywhere in a string value or an object key — for values AWS builds
//! from an id, such as an IRSA trust policy's condition key
//! `${cluster.iam_oidc_provider#issuerHost}:sub`.
//!
//! The catalog turns each into a dependency (only when the address is one of its resources, so
//! IAM policy variables like `${aws:username}` stay text); the plan shows them as written; an
//! adapter resolves them before its call (`AwsStep::resolve_embedded`); the live reader turns the
//! observed values back into the same tokens ([`unresolve`]) so an unchanged resource diffs clean.
//! A whole value that is only a reference is written without `${}` (`"vpc": "network.vpc"`).

use serde_json::{Map, Value};

/// One `${...}` in a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Embedded<'a> {
    pub(crate) address: &'a str,
    /// `None` means the resource's `id`.
    pub(crate) attribute: Option<&'a str>,
}

impl Embedded<'_> {
    /// The output key the reference names.
    pub(crate) fn output_key(&self) -> &str {
        self.attribute.unwrap_or("id")
    }
}

/// `${address}` or `${address#attribute}`.
pub(crate) fn token(address: &str, attribute: Option<&str>) -> String {
    match attribute {
        Some(attribute) => format!("${{{address}#{attribute}}}"),
        None => format!("${{{address}}}"),
    }
}

enum Piece<'a> {
    Text(&'a str),
    /// What is between `${` and `}`.
    Reference(&'a str),
}

/// Splits `text` into literal text and embedded references, in order.
fn scan(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        pieces.push(Piece::Text(&rest[..start]));
        pieces.push(Piece::Reference(&after[..end]));
        rest = &after[end + 1..];
    }
    pieces.push(Piece::Text(rest));
    pieces
}

fn parse(inner: &str) -> Embedded<'_> {
    match inner.split_once('#') {
        Some((address, attribute)) => Embedded {
            address,
            attribute: Some(attribute),
        },
        None => Embedded {
            address: inner,
            attribute: None,
        },
    }
}

/// Every embedded reference in `text`, in order.
pub(crate) fn references_in(text: &str) -> Vec<Embedded<'_>> {
    scan(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Reference(inner) => Some(parse(inner)),
            Piece::Text(_) => None,
        })
        .collect()
}

/// Every embedded reference in `value`'s strings and keys.
pub(crate) fn references_in_value(value: &Value) -> Vec<Embedded<'_>> {
    let mut found = Vec::new();
    walk(value, &mut |text| found.extend(references_in(text)));
    found
}

fn walk<'a>(value: &'a Value, f: &mut impl FnMut(&'a str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            f(k);
            walk(v, f);
        }),
        _ => {}
    }
}

/// `text` with each embedded reference replaced by what `resolve` gives (`None` keeps the
/// token as written).
pub(crate) fn substitute<E>(
    text: &str,
    mut resolve: impl FnMut(Embedded<'_>) -> Result<Option<String>, E>,
) -> Result<String, E> {
    if !text.contains("${") {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    for piece in scan(text) {
        match piece {
            Piece::Text(literal) => out.push_str(literal),
            Piece::Reference(inner) => match resolve(parse(inner))? {
                Some(value) => out.push_str(&value),
                None => {
                    out.push_str("${");
                    out.push_str(inner);
                    out.push('}');
                }
            },
        }
    }
    Ok(out)
}

/// `value` with every string and object key passed through `f`.
pub(crate) fn map_strings<E>(
    value: &Value,
    f: &mut impl FnMut(&str) -> Result<String, E>,
) -> Result<Value, E> {
    Ok(match value {
        Value::String(s) => Value::String(f(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| map_strings(v, f))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(f(k)?, map_strings(v, f)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The reader's direction: each occurrence of a known value in `text` becomes its token.
/// `values` are (observed value, token) pairs; at each position the longest value wins, so an
/// ARN is not cut by a shorter value it contains (the OIDC provider's ARN holds its issuer host).
pub(crate) fn unresolve(text: &str, values: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = values.iter().filter(|(v, _)| !v.is_empty()).collect();
    if sorted.is_empty() {
        return text.to_string();
    }
    sorted.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < text.len() {
        for (value, token) in &sorted {
            if text[i..].starts_with(value.as_str()) {
                out.push_str(token);
                i += value.len();
                continue 'outer;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// [`unresolve`] over every string and key of `value`.
pub(crate) fn unresolve_value(value: &Value, values: &[(String, String)]) -> Value {
    let mut f = |s: &str| Ok::<_, std::convert::Infallible>(unresolve(s, values));
    match map_strings(value, &mut f) {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOST: &str = "${cluster.iam_oidc_provider#issuerHost}";

    #[test]
    fn tokens_parse_back() {
        assert_eq!(
            references_in(&format!("{HOST}:sub and ${{network.vpc}}")),
            vec![
                Embedded {
                    address: "cluster.iam_oidc_provider",
                    attribute: Some("issuerHost"),
                },
                Embedded {
                    address: "network.vpc",
                    attribute: None,
                },
            ]
        );
        assert_eq!(token("a.b", Some("c")), "${a.b#c}");
        assert_eq!(token("a.b", None), "${a.b}");
        // Unclosed or absent: plain text.
        assert!(references_in("50% of ${nothing").is_empty());
        assert!(references_in("plain").is_empty());
    }

    #[test]
    fn keys_and_values_are_found() {
        let doc = json!({"Condition": {"StringEquals": {format!("{HOST}:aud"): "sts.amazonaws.com"}},
                         "Principal": {"Federated": "${cluster.iam_oidc_provider}"}});
        let mut addresses: Vec<_> = references_in_value(&doc)
            .iter()
            .map(|r| r.output_key().to_string())
            .collect();
        addresses.sort();
        assert_eq!(addresses, ["id", "issuerHost"]);
    }

    #[test]
    fn substitute_resolves_known_and_keeps_the_rest() {
        let out = substitute(&format!("{HOST}:sub ${{aws:username}}"), |r| {
            Ok::<_, ()>(
                (r.address == "cluster.iam_oidc_provider").then(|| "oidc.example/id/X".to_string()),
            )
        });
        assert_eq!(out.unwrap(), "oidc.example/id/X:sub ${aws:username}");
        let failed = substitute(HOST, |_| Err::<Option<String>, _>("not known yet"));
        assert_eq!(failed, Err("not known yet"));
    }

    #[test]
    fn both_directions_round_trip_through_keys() {
        let arn = "arn:aws:iam::1:oidc-provider/oidc.example/id/X";
        let host = "oidc.example/id/X";
        let written = json!({
            "Principal": {"Federated": "${cluster.iam_oidc_provider}"},
            "Condition": {"StringEquals": {
                format!("{HOST}:sub"): "system:serviceaccount:kube-system:x",
                format!("{HOST}:aud"): "sts.amazonaws.com"
            }}
        });
        let mut resolve = |s: &str| {
            substitute(s, |r| {
                Ok::<_, ()>(Some(match r.output_key() {
                    "issuerHost" => host.to_string(),
                    _ => arn.to_string(),
                }))
            })
        };
        let sent = map_strings(&written, &mut resolve).unwrap();
        assert_eq!(sent["Principal"]["Federated"], arn);
        assert_eq!(
            sent["Condition"]["StringEquals"][format!("{host}:sub")],
            "system:serviceaccount:kube-system:x"
        );
        // The reader's way back: the ARN (which contains the host) stays one token.
        let values = vec![
            (host.to_string(), HOST.to_string()),
            (arn.to_string(), "${cluster.iam_oidc_provider}".to_string()),
        ];
        assert_eq!(unresolve_value(&sent, &values), written);
    }

    #[test]
    fn unresolve_handles_multibyte_text_and_empty_values() {
        let values = vec![
            (String::new(), "${x}".to_string()),
            ("é".into(), "${e}".into()),
        ];
        assert_eq!(unresolve("aéb→", &values), "a${e}b→");
    }
}
