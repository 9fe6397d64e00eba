//! The serving certificate of a controller's admission webhook, made by shinyctl instead of
//! cert-manager: a CA and a certificate it signs for the webhook Service's DNS names, as the
//! controller's Helm chart does without cert-manager (`genCA` and `genSignedCert`, 3650 days).
//!
//! The rendered Secret has no values; it is marked with [`CERTIFICATE_FOR`] (the DNS names), and
//! the webhook configurations that trust it with [`CA_FROM`] (`namespace/name` of the Secret).
//! Apply ([`fill`]) keeps the certificate already on the cluster while it has more than
//! [`RENEW_BEFORE`] left and names the same hosts, else issues a new one; either way it puts the
//! Secret's `data` and every webhook's `caBundle` in before applying. The key never leaves the
//! Secret: plans drop Secret data, and errors never include it.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// Annotation of a rendered Secret that apply fills with a webhook certificate: the DNS names.
pub(crate) const CERTIFICATE_FOR: &str = "shinyctl.dev/webhook-certificate-for";
/// Annotation of a webhook configuration: the Secret (`namespace/name`) whose CA it trusts.
pub(crate) const CA_FROM: &str = "shinyctl.dev/webhook-ca-from";
/// Annotation apply adds to the Secret: when the certificate expires (Unix seconds).
pub(crate) const NOT_AFTER: &str = "shinyctl.dev/webhook-certificate-not-after";
/// How long a certificate is valid (the chart's 3650 days).
pub(crate) const VALIDITY: Duration = Duration::from_secs(3650 * 24 * 3600);
/// A certificate with less than this left is replaced (cert-manager's default in the chart: 720h).
pub(crate) const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// A CA and the serving certificate it signed, PEM encoded.
pub(crate) struct Issued {
    pub(crate) ca_pem: String,
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) not_after: OffsetDateTime,
}

/// Issues a CA named `ca_name` and a serving certificate for `dns_names` (the first is the
/// subject), both valid from `now` for [`VALIDITY`].
pub(crate) fn issue(
    ca_name: &str,
    dns_names: &[String],
    now: OffsetDateTime,
) -> Result<Issued, String> {
    let fail = |e: rcgen::Error| format!("cannot make the webhook certificate: {e}");
    let not_after = now + VALIDITY;
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now;
    ca.not_after = not_after;
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;

    let key = KeyPair::generate().map_err(fail)?;
    let mut leaf = CertificateParams::new(dns_names.to_vec()).map_err(fail)?;
    if let Some(first) = dns_names.first() {
        leaf.distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = now;
    leaf.not_after = not_after;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let cert = leaf.signed_by(&key, &issuer).map_err(fail)?;
    Ok(Issued {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_after,
    })
}

/// `namespace/name` of an object.
pub(crate) fn secret_ref(object: &Value) -> String {
    let meta = &object["metadata"];
    format!(
        "{}/{}",
        meta["namespace"].as_str().unwrap_or_default(),
        meta["name"].as_str().unwrap_or_default()
    )
}

/// The Secrets among `objects` that apply fills with a certificate, as `namespace/name`.
pub(crate) fn generated_secrets(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .filter(|o| {
            o["kind"] == "Secret" && o["metadata"]["annotations"][CERTIFICATE_FOR].is_string()
        })
        .map(secret_ref)
        .collect()
}

/// `objects` with every generated Secret's `data` and every trusting webhook's `caBundle` filled:
/// the certificate in `existing` (the Secret on the cluster by `namespace/name`, if any) while it
/// is good for [`RENEW_BEFORE`] more and names the same hosts, else a new one issued at `now`.
pub(crate) fn fill(
    objects: &[Value],
    existing: &BTreeMap<String, Value>,
    now: OffsetDateTime,
) -> Result<Vec<Value>, String> {
    let mut out = objects.to_vec();
    let mut bundles: BTreeMap<String, String> = BTreeMap::new();
    for object in out.iter_mut() {
        let Some(hosts) = object["metadata"]["annotations"][CERTIFICATE_FOR].as_str() else {
            continue;
        };
        if object["kind"] != "Secret" {
            continue;
        }
        let hosts = hosts.to_string();
        let key = secret_ref(object);
        let (data, not_after) = match existing.get(&key).and_then(|s| reusable(s, &hosts, now)) {
            Some(kept) => kept,
            None => {
                let names: Vec<String> = hosts.split(',').map(str::to_string).collect();
                let issued = issue(&format!("{key} CA"), &names, now)?;
                let data = json!({
                    "ca.crt": STANDARD.encode(&issued.ca_pem),
                    "tls.crt": STANDARD.encode(&issued.cert_pem),
                    "tls.key": STANDARD.encode(&issued.key_pem),
                });
                (data, issued.not_after.unix_timestamp())
            }
        };
        bundles.insert(key, data["ca.crt"].as_str().unwrap_or_default().to_string());
        object["data"] = data;
        object["metadata"]["annotations"][NOT_AFTER] = json!(not_after.to_string());
    }
    for object in out.iter_mut() {
        let Some(from) = object["metadata"]["annotations"][CA_FROM].as_str() else {
            continue;
        };
        let bundle = bundles
            .get(from)
            .ok_or_else(|| format!("{from}, the webhook's certificate, is not rendered"))?
            .clone();
        if let Some(webhooks) = object["webhooks"].as_array_mut() {
            for webhook in webhooks {
                webhook["clientConfig"]["caBundle"] = json!(bundle);
            }
        }
    }
    Ok(out)
}

/// The data and expiry of a Secret on the cluster, when it holds a certificate for `hosts` good
/// for [`RENEW_BEFORE`] more.
fn reusable(secret: &Value, hosts: &str, now: OffsetDateTime) -> Option<(Value, i64)> {
    let annotations = &secret["metadata"]["annotations"];
    if annotations[CERTIFICATE_FOR].as_str() != Some(hosts) {
        return None;
    }
    let not_after: i64 = annotations[NOT_AFTER].as_str()?.parse().ok()?;
    if not_after < (now + RENEW_BEFORE).unix_timestamp() {
        return None;
    }
    let data = &secret["data"];
    let complete = ["ca.crt", "tls.crt", "tls.key"]
        .iter()
        .all(|k| data[*k].as_str().is_some_and(|v| !v.is_empty()));
    complete.then(|| (data.clone(), not_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                   "metadata": {"name": "tls", "namespace": "kube-system",
                                "annotations": {CERTIFICATE_FOR: "svc.kube-system.svc,svc.kube-system.svc.cluster.local"}}}),
            json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                   "metadata": {"name": "hook", "annotations": {CA_FROM: "kube-system/tls"}},
                   "webhooks": [{"name": "a.example.com", "clientConfig": {"service": {"name": "svc", "namespace": "kube-system"}}},
                                {"name": "b.example.com", "clientConfig": {"service": {"name": "svc", "namespace": "kube-system"}}}]}),
        ]
    }

    fn pem(data: &Value, key: &str) -> String {
        String::from_utf8(STANDARD.decode(data[key].as_str().unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn a_new_certificate_fills_the_secret_and_every_webhook_trusts_its_ca() {
        let now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let filled = fill(&rendered(), &BTreeMap::new(), now).unwrap();
        let data = &filled[0]["data"];
        assert!(pem(data, "ca.crt").starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pem(data, "tls.crt").starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pem(data, "tls.key").contains("PRIVATE KEY-----"));
        assert_ne!(pem(data, "ca.crt"), pem(data, "tls.crt"));
        for webhook in filled[1]["webhooks"].as_array().unwrap() {
            assert_eq!(webhook["clientConfig"]["caBundle"], data["ca.crt"]);
        }
        let not_after = filled[0]["metadata"]["annotations"][NOT_AFTER]
            .as_str()
            .unwrap();
        assert_eq!(
            not_after.parse::<i64>().unwrap(),
            (now + VALIDITY).unix_timestamp()
        );
    }

    #[test]
    fn a_certificate_on_the_cluster_is_kept_until_it_is_about_to_expire() {
        let issued_at = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let first = fill(&rendered(), &BTreeMap::new(), issued_at).unwrap();
        let on_cluster: BTreeMap<String, Value> =
            [("kube-system/tls".to_string(), first[0].clone())].into();
        let later = issued_at + Duration::from_secs(365 * 24 * 3600);
        let again = fill(&rendered(), &on_cluster, later).unwrap();
        assert_eq!(again[0]["data"], first[0]["data"]);
        assert_eq!(again[1], first[1]);
        // Within 30 days of the end: a new one.
        let late = issued_at + VALIDITY - Duration::from_secs(3600);
        let renewed = fill(&rendered(), &on_cluster, late).unwrap();
        assert_ne!(renewed[0]["data"]["ca.crt"], first[0]["data"]["ca.crt"]);
        // Other hosts: a new one.
        let mut moved = rendered();
        moved[0]["metadata"]["annotations"][CERTIFICATE_FOR] = json!("other.kube-system.svc");
        let reissued = fill(&moved, &on_cluster, later).unwrap();
        assert_ne!(reissued[0]["data"]["ca.crt"], first[0]["data"]["ca.crt"]);
    }

    #[test]
    fn a_webhook_trusting_a_secret_that_is_not_rendered_is_an_error() {
        let objects = vec![rendered().remove(1)];
        let err = fill(&objects, &BTreeMap::new(), OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert!(err.contains("kube-system/tls"), "{err}");
    }
}
