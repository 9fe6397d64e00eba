//! `shinyctl kubeconfig -f FILE [--out PATH] [--context NAME]`: a kubeconfig entry for the
//! blueprint's EKS cluster whose credential plugin is shinyctl itself (`shinyctl token`), merged
//! into an existing file (by default `$KUBECONFIG`'s first file, else `~/.kube/config`) without
//! touching its other entries, and made the current context.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::aws_args::{AwsArgs, block_on};
use super::{Colour, Outcome, load_or_report, output};
use shinyctl::plan::ResourceKind;
use shinyctl::plan::catalog::BLUEPRINT_TAG;
use shinyctl::render::kubeconfig::{ClusterEntry, merge};

/// Write a kubeconfig entry for the blueprint's EKS cluster (no AWS CLI needed).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// The kubeconfig file to write (default: the first file of `KUBECONFIG`, else ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// The name of the context (and its cluster and user entries); default: the cluster's ARN,
    /// as `aws eks update-kubeconfig` names it.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let metadata = &loaded.blueprint.metadata;
    let Some(cluster) = loaded
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::EksCluster)
    else {
        output::stderr(&format!(
            "error: {} has no `cluster` section: there is no EKS cluster to reach\n",
            loaded.source.name
        ))?;
        return Ok(Outcome::Failure);
    };
    let mut target = args.aws.target();
    let region = target
        .region
        .get_or_insert_with(|| metadata.region.clone())
        .clone();
    let described = block_on(async {
        let conn = shinyctl::aws::connect(&target)
            .await
            .map_err(|e| e.to_string())?;
        shinyctl::aws::eks_token::describe_endpoint(&conn, &cluster.name).await
    })?;
    let endpoint = match described {
        Ok(Some(endpoint)) => endpoint,
        Ok(None) => {
            output::stderr(&format!(
                "error: EKS cluster {} does not exist in {region}: run `shinyctl apply -f {}` first\n",
                cluster.name, loaded.source.name
            ))?;
            return Ok(Outcome::Failure);
        }
        Err(e) => {
            output::stderr(&format!("error: {e}\n"))?;
            return Ok(Outcome::Failure);
        }
    };
    // Only the blueprint's own cluster: a cluster of the same name made by someone else is not it.
    if endpoint.tags.get(BLUEPRINT_TAG) != Some(&metadata.name) {
        output::stderr(&format!(
            "error: EKS cluster {} in {region} is not blueprint {:?}'s (its {BLUEPRINT_TAG} tag \
             is {}): not writing a kubeconfig entry for it\n",
            cluster.name,
            metadata.name,
            endpoint
                .tags
                .get(BLUEPRINT_TAG)
                .map_or("missing".to_string(), |t| format!("{t:?}")),
        ))?;
        return Ok(Outcome::Failure);
    }
    let entry = ClusterEntry {
        context: args.context.clone().unwrap_or(endpoint.arn),
        cluster: cluster.name.clone(),
        region,
        endpoint: endpoint.endpoint,
        certificate_authority_data: endpoint.certificate_authority_data,
        profile: args.aws.profile.clone(),
        command: "shinyctl".into(),
    };
    let path = match &args.out {
        Some(path) => path.clone(),
        None => default_path()?,
    };
    let existing = read_existing(&path)?;
    let merged = merge(existing, &entry).with_context(|| format!("{}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_private(&path, &shinyctl::workload::yaml::to_yaml(&merged))?;
    output::stdout(&format!(
        "wrote context {:?} for EKS cluster {} to {} (current context; tokens from `shinyctl token`)\n",
        entry.context,
        entry.cluster,
        path.display()
    ))?;
    Ok(Outcome::Success)
}

/// kubectl's own default: the first file of `KUBECONFIG`, else `~/.kube/config`.
fn default_path() -> anyhow::Result<PathBuf> {
    if let Some(list) = std::env::var_os("KUBECONFIG")
        && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    let home = std::env::var_os("HOME").context("HOME is not set: pass --out")?;
    Ok(PathBuf::from(home).join(".kube").join("config"))
}

/// The existing kubeconfig as a JSON value, `None` when there is no file or it is empty.
fn read_existing(path: &Path) -> anyhow::Result<Option<serde_json::Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    shinyctl::render::kubeconfig::parse_existing(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a kubeconfig shinyctl can merge into: {e}",
            path.display()
        )
    })
}

/// Writes the file readable by its owner only (it names credentials' profile and cluster CAs),
/// as kubectl and the AWS CLI create kubeconfig files.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}
