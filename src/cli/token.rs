//! `shinyctl token --cluster NAME [--region R]`: the credential plugin `shinyctl kubeconfig` writes
//! into kubeconfig. Prints an `ExecCredential` with a fresh EKS token (a presigned STS URL, the
//! token `aws eks get-token` makes, China included) — no AWS CLI needed.

use super::output;
use super::{Outcome, aws_args::block_on};
use shinyctl::aws::Target;

/// Print an EKS token for kubectl (the exec credential plugin in shinyctl's kubeconfig entries).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The EKS cluster's name.
    #[arg(long, value_name = "NAME")]
    pub cluster: String,
    /// The cluster's region (default: the credential chain's, `AWS_REGION`).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The shared-config profile whose credentials sign the token.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let target = Target {
        region: args.region.clone(),
        profile: args.profile.clone(),
        ..Target::default()
    };
    match block_on(shinyctl::aws::eks_token::issue_token(
        &target,
        &args.cluster,
    ))? {
        Ok(issued) => {
            output::stdout(&shinyctl::render::kubeconfig::exec_credential(
                &issued.token,
                &issued.expires,
            ))?;
            Ok(Outcome::Success)
        }
        Err(e) => {
            output::stderr(&format!("error: {e}\n"))?;
            Ok(Outcome::Failure)
        }
    }
}
