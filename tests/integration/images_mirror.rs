//! `shinyctl images mirror` through the real binary, against two local OCI registries on
//! 127.0.0.1 (Debian's `docker-registry`, each on a free port with its own temporary storage):
//! a "public" source seeded with a small multi-architecture index, and the account's ECR (the
//! emulator's `GetAuthorizationToken` answers it as `proxyEndpoint`). Then `shinyproxy-eks`
//! (China) applies with ShinyProxy's image from its ECR. No traffic leaves 127.0.0.1.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use oci_client::client::{ClientConfig, ClientProtocol, ImageLayer};
use oci_client::manifest::{OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::{Value, json};

use super::e2e::{Account, plant_secrets, with_emulator_certificate};
use super::emulator;
use super::support::repo_root;

const REGION: &str = "cn-northwest-1";
const NAME: &str = "mirrored";
const SOURCE_REPOSITORY: &str = "openanalytics/shinyproxy";
const TAG: &str = "3.2.0";

/// A `docker-registry` serving on a free 127.0.0.1 port from a temporary directory; stopped
/// when dropped.
struct LocalRegistry {
    host: String,
    child: Child,
    _storage: tempfile::TempDir,
}

impl LocalRegistry {
    fn start() -> LocalRegistry {
        let storage = tempfile::tempdir().expect("a temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let host = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}\n",
                storage.path().join("data").display()
            ),
        )
        .expect("write the registry's config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Debian's docker-registry (apt-get install docker-registry): see README's test prerequisites");
        let registry = LocalRegistry {
            host,
            child,
            _storage: storage,
        };
        let endpoint = format!("http://{}", registry.host);
        for _ in 0..200 {
            if emulator::http(&endpoint, "GET", "/v2/").is_ok_and(|(status, _)| status == 200) {
                return registry;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("docker-registry on {} never answered", registry.host);
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(hosts: &[&str]) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new(ClientConfig {
        protocol: ClientProtocol::HttpsExcept(hosts.iter().map(|h| h.to_string()).collect()),
        ..ClientConfig::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Bytes as oci-client pushes them (a layer, a config, or a manifest to take the digest of).
fn blob(data: Vec<u8>) -> ImageLayer {
    ImageLayer::new(data, OCI_IMAGE_MEDIA_TYPE.into(), None)
}

/// An image config for linux/`arch` with no layers' diff ids (the registry does not check them).
fn config_blob(arch: &str) -> ImageLayer {
    blob(
        json!({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
            .to_string()
            .into_bytes(),
    )
}

/// An OCI image manifest naming `config` and `layers`.
fn image_manifest(config: &ImageLayer, layers: &[&ImageLayer]) -> String {
    let descriptor = |b: &ImageLayer, media_type: &str| json!({"mediaType": media_type, "digest": b.sha256_digest(), "size": b.data.len()});
    let layers: Vec<_> = layers
        .iter()
        .map(|layer| descriptor(layer, "application/vnd.oci.image.layer.v1.tar+gzip"))
        .collect();
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MEDIA_TYPE,
        "config": descriptor(config, "application/vnd.oci.image.config.v1+json"),
        "layers": layers,
    })
    .to_string()
}

/// Pushes a two-platform index (linux/amd64, linux/arm64) sharing one layer to
/// `host/openanalytics/shinyproxy:3.2.0`; returns the index's digest.
async fn seed_multi_arch_index(host: &str) -> String {
    let oci = client(&[host]);
    let at = |reference: &str| -> Reference {
        format!("{host}/{SOURCE_REPOSITORY}{reference}")
            .parse()
            .unwrap()
    };
    let tagged = at(&format!(":{TAG}"));
    oci.store_auth_if_needed(host, &RegistryAuth::Anonymous)
        .await;
    let shared = blob(b"shared layer: the JVM".to_vec());
    oci.push_blob(&tagged, shared.data.clone(), &shared.sha256_digest())
        .await
        .expect("push the shared layer");
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let own = blob(format!("{arch} layer").into_bytes());
        let config = config_blob(arch);
        for b in [&own, &config] {
            oci.push_blob(&tagged, b.data.clone(), &b.sha256_digest())
                .await
                .expect("push a blob");
        }
        let manifest = image_manifest(&config, &[&shared, &own]);
        let digest = blob(manifest.clone().into_bytes()).sha256_digest();
        oci.push_manifest_raw(
            &at(&format!("@{digest}")),
            manifest.clone().into_bytes(),
            OCI_IMAGE_MEDIA_TYPE.parse().unwrap(),
        )
        .await
        .expect("push a platform's manifest");
        children.push(
            json!({"mediaType": OCI_IMAGE_MEDIA_TYPE, "digest": digest, "size": manifest.len(),
                             "platform": {"architecture": arch, "os": "linux"}}),
        );
    }
    let index =
        json!({"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE, "manifests": children})
            .to_string()
            .into_bytes();
    let digest = blob(index.clone()).sha256_digest();
    oci.push_manifest_raw(&tagged, index, OCI_IMAGE_INDEX_MEDIA_TYPE.parse().unwrap())
        .await
        .expect("push the index");
    digest
}

/// The PostgreSQL client the usage-statistics user's Job runs (`usageStatsUser.image`).
const CLIENT_REPOSITORY: &str = "library/postgres";
const CLIENT_TAG: &str = "17.5-alpine";

/// Pushes a one-platform image (a config and a layer) to `host/library/postgres:17.5-alpine`.
async fn seed_client_image(host: &str) {
    let oci = client(&[host]);
    let tagged: Reference = format!("{host}/{CLIENT_REPOSITORY}:{CLIENT_TAG}")
        .parse()
        .unwrap();
    oci.store_auth_if_needed(host, &RegistryAuth::Anonymous)
        .await;
    let layer = blob(b"psql".to_vec());
    let config = config_blob("amd64");
    for b in [&layer, &config] {
        oci.push_blob(&tagged, b.data.clone(), &b.sha256_digest())
            .await
            .expect("push a blob");
    }
    let manifest = image_manifest(&config, &[&layer]);
    oci.push_manifest_raw(
        &tagged,
        manifest.into_bytes(),
        OCI_IMAGE_MEDIA_TYPE.parse().unwrap(),
    )
    .await
    .expect("push the client's manifest");
}

/// The shipped China blueprint with Docker Hub replaced by the local "public" registry `host`.
fn from_local_registry(shipped: &str, host: &str) -> String {
    let mut text = shipped.to_string();
    for repository in [SOURCE_REPOSITORY, CLIENT_REPOSITORY] {
        let upstream = format!("mirrorOf: docker.io/{repository}");
        assert!(
            text.contains(&upstream),
            "the blueprint mirrors {repository}"
        );
        text = text.replacen(&upstream, &format!("mirrorOf: {host}/{repository}"), 1);
    }
    text
}

/// What `reference` (`host/repo:tag`) names in its registry: the digest, the manifest, and for an
/// index whether every platform's manifest and blob is there too.
async fn read_back(host: &str, reference: &str) -> (String, Value, bool) {
    let oci = client(&[host]);
    oci.store_auth_if_needed(host, &RegistryAuth::Anonymous)
        .await;
    let reference: Reference = reference.parse().unwrap();
    let types = [OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE];
    let (body, digest) = oci
        .pull_manifest_raw(&reference, &RegistryAuth::Anonymous, &types)
        .await
        .unwrap_or_else(|e| panic!("{reference} is not there: {e}"));
    let index: Value = serde_json::from_slice(&body).unwrap();
    let mut complete = true;
    for child in index["manifests"].as_array().into_iter().flatten() {
        let child_ref = reference.clone_with_digest(child["digest"].as_str().unwrap().into());
        let (body, _) = oci
            .pull_manifest_raw(&child_ref, &RegistryAuth::Anonymous, &types)
            .await
            .unwrap_or_else(|e| panic!("{child_ref} is not there: {e}"));
        let manifest: Value = serde_json::from_slice(&body).unwrap();
        let layers = manifest["layers"].as_array().unwrap().iter();
        for blob in std::iter::once(&manifest["config"]).chain(layers) {
            complete &= oci
                .blob_exists(&child_ref, blob["digest"].as_str().unwrap())
                .await
                .unwrap();
        }
    }
    (digest, index, complete)
}

/// The JSON event lines of a `--output json` run.
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The image of ShinyProxy's Deployment as the Kubernetes stand-in holds it.
fn deployed_proxy_image(account: &Account) -> String {
    let objects = super::e2e_workload::workload_objects_of(account, NAME);
    let deployment = objects
        .iter()
        .find(|o| o.types.as_ref().is_some_and(|t| t.kind == "Deployment"))
        .expect("ShinyProxy's Deployment");
    deployment.data["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .expect("an image")
        .to_string()
}

#[test]
fn the_china_example_applies_with_shinyproxy_from_its_ecr_after_mirroring() {
    let source = LocalRegistry::start();
    let ecr = LocalRegistry::start();
    let rt = runtime();
    let seeded = rt.block_on(seed_multi_arch_index(&source.host));
    rt.block_on(seed_client_image(&source.host));

    let account = Account::new();
    put_ecr_registry(&account, &format!("http://{}", ecr.host));

    // The shipped China blueprint, with Docker Hub replaced by the local "public" registry.
    let shipped = std::fs::read_to_string(repo_root().join("blueprints/shinyproxy-eks.yaml"))
        .expect("blueprint");
    assert!(shipped.contains("image: registry:openanalytics/shinyproxy"));
    let text = from_local_registry(&shipped, &source.host).replacen(
        "  name: analytics ",
        &format!("  name: {NAME} "),
        1,
    );
    let runnable = with_emulator_certificate(&account, &text, REGION);
    plant_secrets(&account, &runnable, REGION, "mirror-test-secret");
    let blueprint = account.write("shinyproxy.yaml", &runnable);

    // First run: the index, both platforms and their blobs are copied, digests unchanged.
    let mirrored = account.run(&["images", "mirror", "-f", &blueprint, "--output", "json"]);
    assert_eq!(mirrored.code, 0, "{mirrored}");
    let lines = events(&mirrored.stdout);
    let destination = format!("{}/{NAME}/{SOURCE_REPOSITORY}:{TAG}", ecr.host);
    let finished: Vec<&Value> = lines
        .iter()
        .filter(|e| e["type"] == "image_finished")
        .collect();
    // ShinyProxy's image, and the PostgreSQL client of the usage-statistics user's Job.
    assert_eq!(finished.len(), 2, "{}", mirrored.stdout);
    let client = finished
        .iter()
        .position(|e| e["destination"] == format!("{}/{NAME}/postgres:{CLIENT_TAG}", ecr.host))
        .expect("the client image is copied");
    assert_eq!(finished[client]["outcome"], "copied");
    let finished: Vec<&Value> = finished
        .into_iter()
        .filter(|e| e["destination"] != format!("{}/{NAME}/postgres:{CLIENT_TAG}", ecr.host))
        .collect();
    assert_eq!(
        finished[0]["source"],
        format!("{}/{SOURCE_REPOSITORY}:{TAG}", source.host)
    );
    assert_eq!(finished[0]["destination"], destination);
    assert_eq!(finished[0]["outcome"], "copied");
    assert_eq!(finished[0]["digest"], seeded);
    assert_eq!(finished[0]["manifests"], 3, "the index and two platforms");
    // 2 configs + 2 own layers + the shared layer once; its second mention is already there.
    assert_eq!(finished[0]["blobs_copied"], 5);
    assert_eq!(finished[0]["blobs_present"], 1);
    assert_eq!(
        lines.iter().filter(|e| e["type"] == "blob_copied").count(),
        5 + 2,
        "progress for every blob (the client's config and layer too)"
    );
    assert!(lines.iter().all(|e| e["format_version"] == "1"));
    let (digest, index, complete) = rt.block_on(read_back(&ecr.host, &destination));
    assert_eq!(digest, seeded, "the index keeps its digest");
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    assert!(complete, "every platform's manifest and blob is in the ECR");

    // Second run: nothing is sent.
    let again = account.run(&["images", "mirror", "-f", &blueprint]);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("already there"), "{again}");
    assert!(!again.stdout.contains("copied blob"), "{again}");
    assert!(
        again
            .stdout
            .contains("Mirrored: 0 copied, 2 already there, 0 failed."),
        "{again}"
    );

    // The platform applies with ShinyProxy's image from its ECR, and the image is there.
    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "{applied}");
    let image = deployed_proxy_image(&account);
    assert_eq!(
        image,
        format!(
            "{}.dkr.ecr.{REGION}.amazonaws.com.cn/{NAME}/{SOURCE_REPOSITORY}:{TAG}",
            account.id
        )
    );
    let in_ecr = image.replacen(
        &format!("{}.dkr.ecr.{REGION}.amazonaws.com.cn", account.id),
        &ecr.host,
        1,
    );
    assert_eq!(rt.block_on(read_back(&ecr.host, &in_ecr)).0, seeded);
}

#[test]
fn a_missing_source_image_fails_the_run_naming_it() {
    let source = LocalRegistry::start();
    let ecr = LocalRegistry::start();
    let account = Account::new();
    put_ecr_registry(&account, &format!("http://{}", ecr.host));
    let text = from_local_registry(
        &std::fs::read_to_string(repo_root().join("blueprints/shinyproxy-eks.yaml"))
            .expect("blueprint"),
        &source.host,
    );
    let blueprint = account.write("shinyproxy.yaml", &text);
    let run = account.run(&["images", "mirror", "-f", &blueprint]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains(&format!(
            "reading {}/{SOURCE_REPOSITORY}:{TAG}",
            source.host
        )),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("Mirrored: 0 copied, 0 already there, 2 failed."),
        "{run}"
    );
}

/// Points the account's ECR registry (`proxyEndpoint`) at `endpoint`.
fn put_ecr_registry(account: &Account, endpoint: &str) {
    super::emulator::put(
        &format!("/_emulator/ecr/registry?account={}", account.id),
        &json!({"endpoint": endpoint}).to_string(),
    );
}

#[test]
fn another_region_than_the_blueprints_is_refused() {
    let run = super::support::shinyctl(&[
        "images",
        "mirror",
        "-f",
        &repo_root()
            .join("blueprints/shinyproxy-eks.yaml")
            .to_string_lossy(),
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("metadata.region is cn-northwest-1, but --region says eu-west-1"),
        "{run}"
    );
}
