//! The live plan: connect, read what exists for the blueprint (in AWS, and the workload on its
//! cluster), diff it against the blueprint.

use crate::aws::pricing::Prefetched;
use crate::aws::{self, Connection, LiveState, Target};
use crate::blueprint::Problem;
use crate::blueprint::model::AvailabilityZones;
use crate::load::Loaded;
use crate::plan::zones::{self, Zones};
use crate::plan::{Note, NoteLevel, Plan};
use crate::workload;

use super::workload::{
    ClusterState, add_asked_secret_versions, facts, full_plan, read_cluster, secret_versions,
};
use super::{Error, Result, target_for};

/// A plan made against AWS, with what it was made from (for apply to execute it).
#[derive(Debug, Clone)]
pub struct LivePlan {
    pub live: LiveState,
    pub plan: Plan,
    /// Warnings about the workload (its cluster could not be read).
    pub notes: Vec<String>,
}

/// `shinyctl plan -f F`: what would change in AWS to make it match `loaded`. Changes nothing.
pub async fn plan_live(loaded: &Loaded, target: Target) -> Result<LivePlan> {
    let (conn, target) = connect_unzoned(loaded, target).await?;
    let zoning = Zoning::Ask {
        loaded,
        strict: true,
    };
    let read = read_plan(&conn, &target, zoning).await?;
    let PlanRead {
        live,
        mut plan,
        cluster,
        prices,
        ..
    } = read;
    let mut notes: Vec<String> = cluster.note().into_iter().collect();
    notes.extend(price(&conn, &mut plan, prices).await);
    Ok(LivePlan { live, plan, notes })
}

/// Adds the plan's monthly cost by the AWS Price List (or the cache, or the shipped table when
/// the Price List cannot be asked: then a warning says so). `prices`: those asked beside the
/// read (the blueprint's own); only a price they lack is asked now.
pub(crate) async fn price(
    conn: &Connection,
    plan: &mut Plan,
    prices: Prefetched,
) -> Option<String> {
    let keys = crate::plan::cost::needed(plan);
    let priced = aws::pricing::complete(conn, &plan.region, &keys, prices).await;
    plan.cost = Some(crate::plan::cost::estimate(plan, &priced.book));
    priced.note.map(|note| format!("warning: {note}"))
}

/// Connects to the blueprint's region (see [`target_for`]); the target is kept for the cluster's
/// token, which is signed with the same credentials. The blueprint comes back with its resources
/// derived for the connection's account ([`Loaded::in_account`]: global bucket names hold it).
/// The subnets go into the zones EC2 lists for the account ([`crate::plan::zones::choose`]);
/// zones that do not fit the account stop the command.
pub(crate) async fn connect(
    loaded: &Loaded,
    target: Target,
) -> Result<(Connection, Target, Loaded)> {
    let (conn, target) = connect_unzoned(loaded, target).await?;
    let loaded = zoned(&conn, loaded, true).await?;
    Ok((conn, target, loaded))
}

/// [`connect`] without the zones: a live read asks for them beside its own calls
/// ([`Zoning::Ask`]) rather than before them.
pub(crate) async fn connect_unzoned(
    loaded: &Loaded,
    target: Target,
) -> Result<(Connection, Target)> {
    let target = target_for(&loaded.blueprint, target)?;
    let conn = aws::connect(&target).await?;
    Ok((conn, target))
}

/// `loaded` derived for the connection's account in the zones chosen from EC2's answer (see
/// [`live_zones`]; the assumed zones where none are chosen).
pub(crate) async fn zoned(conn: &Connection, loaded: &Loaded, strict: bool) -> Result<Loaded> {
    Ok(match live_zones(conn, loaded, strict).await? {
        Some(zones) => loaded.live(&conn.account, zones),
        None => loaded.in_account(&conn.account),
    })
}

/// The zones chosen from EC2's answer; `None` without subnets, when the credentials may not
/// ask (the assumed zones stay, and the plan's note says so), or (not `strict`) when they do
/// not fit.
async fn live_zones(conn: &Connection, loaded: &Loaded, strict: bool) -> Result<Option<Zones>> {
    let (Some(assumed), true) = (&loaded.zones, loaded.has_subnets()) else {
        return Ok(None);
    };
    let Some(offered) = aws::zones::offered(conn).await? else {
        return Ok(None);
    };
    let bp = &loaded.blueprint;
    let asked = bp
        .network
        .as_ref()
        .map(|n| n.availability_zones.clone())
        .unwrap_or_else(|| AvailabilityZones::Count(assumed.names.len() as u8));
    match zones::choose(&bp.metadata.region, &asked, bp.cluster.is_some(), &offered) {
        Ok(zones) => Ok(Some(zones)),
        Err(_) if !strict => Ok(None),
        Err(problems) => Err(Error::Zones(problems.iter().map(problem_line).collect())),
    }
}

fn problem_line(p: &Problem) -> String {
    match &p.hint {
        Some(hint) => format!("  {}: {} ({hint})", p.path, p.message),
        None => format!("  {}: {}", p.path, p.message),
    }
}

/// Where the blueprint's zones stand when a live read starts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zoning<'a> {
    /// Known: the blueprint derived for the account ([`connect`]).
    Known(&'a Loaded),
    /// To be asked of EC2 beside the read (`strict`: zones that do not fit the account stop the
    /// command, as [`connect`]; otherwise the assumed zones stay, as destroy wants: it finds
    /// what exists by its tags):
    /// the blueprint as loaded. The read starts with it in the zones it assumes, which no
    /// reader consults (`aws::reader::read_found`), and what it finds is matched to the
    /// blueprint in the chosen zones.
    Ask { loaded: &'a Loaded, strict: bool },
}

impl Zoning<'_> {
    /// The blueprint in the account's zones: asked, or known.
    pub(crate) async fn settle(self, conn: &Connection) -> Result<Loaded> {
        match self {
            Zoning::Known(loaded) => Ok(loaded.clone()),
            Zoning::Ask { loaded, strict } => zoned(conn, loaded, strict).await,
        }
    }

    /// What the read starts with: the blueprint in the account, in the zones known or assumed.
    pub(crate) fn start(self, account: &str) -> Loaded {
        match self {
            Zoning::Known(loaded) => loaded.clone(),
            Zoning::Ask { loaded, .. } => loaded.in_account(account),
        }
    }
}

/// What a live read gives: the state found, the plan, the workload's cluster, the blueprint
/// in the account's zones, and the prices asked beside it.
#[derive(Debug)]
pub(crate) struct PlanRead {
    pub(crate) live: LiveState,
    pub(crate) plan: Plan,
    pub(crate) cluster: ClusterState,
    pub(crate) loaded: Loaded,
    pub(crate) prices: Prefetched,
}

/// Reads what exists for the blueprint (AWS, then the workload on its cluster when there is a
/// proxy) and plans the changes that make it match.
///
/// Every question whose answer the plan needs and that needs no answer of the read is asked
/// beside it, so the command's AWS calls take as many round trips as the read's own chain
/// (`aws::services::stages`): the zones (when [`Zoning::Ask`]), AWS's versions, the secrets'
/// versions that roll ShinyProxy, the blueprint's prices (`plan::cost::needed_by`) and whether
/// the workload's images are in its ECR.
pub(crate) async fn read_plan(
    conn: &Connection,
    target: &Target,
    zoning: Zoning<'_>,
) -> Result<PlanRead> {
    // `zoned`: the blueprint in the account's zones, once known (what apply goes on with);
    // `loaded`: what the read starts with and the plan is made of.
    let mut loaded = zoning.start(&conn.account);
    let mut zoned = match zoning {
        Zoning::Known(known) => Some(known.clone()),
        Zoning::Ask { .. } => None,
    };
    // Unset versions: the newest AWS offers that shinyctl supports, by AWS's own listings,
    // asked beside the zones (the read's resources carry the versions chosen).
    if !loaded.unpinned.is_empty() {
        let (choices, settled) = futures::join!(
            aws::versions::choices(conn, &loaded.blueprint, &loaded.unpinned),
            zoning.settle(conn),
        );
        let settled = settled?;
        loaded = settled.choosing(&choices, &conn.account);
        zoned = Some(settled);
    }
    let ask_zones = zoned.is_none();
    let start = loaded;
    let bp = &start.blueprint;
    let name = bp.metadata.name.as_str();
    // AWS's answer on the pinned versions, the zones, the secrets' versions, the prices and the
    // read start together (none waits for another's answer); nothing is planned on a version AWS
    // does not offer. The command's buckets: the executor that may follow spends from the same
    // ones.
    // The read first: its calls leave one at a time, and only its own wait for answers.
    let (found, judged, settled, secrets, prices, images) = futures::join!(
        aws::reader::read_found(conn, name, &start.resources, false),
        aws::versions::check(conn, bp, crate::plan::catalog::CANARY_RUNTIME),
        async {
            if ask_zones {
                zoning.settle(conn).await.map(Some)
            } else {
                Ok(None)
            }
        },
        secret_versions(conn, bp),
        aws::pricing::prefetch(
            conn,
            &conn.region,
            crate::plan::cost::needed_by(&start.resources)
        ),
        super::workload::ask_images(conn, bp),
    );
    let loaded = match settled? {
        Some(settled) => {
            zoned = Some(settled.clone());
            settled
        }
        None => start.clone(),
    };
    let zoned = zoned.unwrap_or_else(|| loaded.clone());
    let judged = judged?;
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
        judged.into_iter().partition(Problem::is_error);
    if !errors.is_empty() {
        return Err(Error::UnsupportedVersions(
            errors.iter().map(problem_line).collect(),
        ));
    }
    let live = aws::reader::assemble(name, &conn.region, &loaded.resources, found?);
    // Read even without a proxy: what shinyctl applied earlier is then listed, to be deleted.
    let cluster = read_cluster(conn, target, name, &live).await;
    // An unset version is the one the existing resource runs: never an unasked upgrade (the
    // proxy's, the version its Deployment runs).
    let proxy_running = if loaded.unpinned.iter().any(|c| c.path == "proxy.version") {
        workload::render(&loaded.blueprint, &facts(&loaded.blueprint, conn, &live))
            .and_then(|desired| running_proxy_version(&desired.objects, cluster.objects()))
    } else {
        None
    };
    let loaded = &loaded.keeping_running(&live.observed, proxy_running.as_deref(), &conn.account);
    let bp = &loaded.blueprint;
    let facts = facts(bp, conn, &live);
    let mut rendered = workload::render(bp, &facts);
    let mut secret_warning = None;
    if let Some(rendered) = rendered.as_mut() {
        // A new secret value (a rotation) rolls the pods: its version is on the pod template.
        if let Err(e) = add_asked_secret_versions(conn, bp, &facts, rendered, secrets).await {
            secret_warning = Some(e);
        }
        // The running version where nothing rolls out; `(known after apply)` where apply will.
        workload::rollout::plan_version(&mut rendered.objects, cluster.objects());
    }
    let mut plan = full_plan(loaded, &live.observed, rendered.as_ref(), &cluster);
    add_blueprint_warnings(&mut plan, loaded, &warnings);
    if rendered.is_some() {
        // Images missing from repositories that exist: apply would stop at them.
        plan.notes
            .extend(super::workload::image_notes(conn, loaded, &facts, images).await);
    }
    if let Some(why) = secret_warning {
        plan.notes.push(Note {
            level: NoteLevel::Warning,
            about: "proxy".into(),
            message: format!(
                "could not read the versions of the secrets ShinyProxy reads ({why}); they show \
                 as (known after apply)"
            ),
            hint: None,
        });
    }
    // Doctor's cheap checks, for what this plan's changes will use (none for a no-change plan).
    super::doctor::plan_checks(conn, bp, &mut plan).await;
    Ok(PlanRead {
        live,
        plan,
        cluster,
        loaded: zoned,
        prices,
    })
}

/// The image of the proxy's Deployment among `objects` (its container).
fn proxy_image_in(objects: &[serde_json::Value]) -> Option<&str> {
    objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == crate::workload::NAME)?
        ["spec"]["template"]["spec"]["containers"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == crate::workload::NAME)?["image"]
        .as_str()
}

/// The ShinyProxy version the running proxy keeps while `proxy.version` is unset: the tag its
/// Deployment's image has, when that image is the one `desired` (the workload rendered at the
/// chosen version) names at another tag — the same repository, so a `proxy.image` changed in
/// the blueprint still rolls out — and the tag is a ShinyProxy version (`3.1.1`).
pub(crate) fn running_proxy_version(
    desired: &[serde_json::Value],
    running: &[serde_json::Value],
) -> Option<String> {
    use crate::blueprint::images::{Version, split_version};
    let (want_repository, want) = split_version(proxy_image_in(desired)?);
    let (have_repository, have) = split_version(proxy_image_in(running)?);
    match (want, have) {
        (Some(Version::Tag(want)), Some(Version::Tag(have)))
            if want_repository == have_repository
                && want != have
                && have.split('.').count() == 3
                && have
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Some(have)
        }
        _ => None,
    }
}

/// Puts the blueprint's warnings (its load's, and AWS's own `judged` ones, which replace the
/// offline table's for the same value) in front of the plan's notes.
pub fn add_blueprint_warnings(plan: &mut Plan, loaded: &Loaded, judged: &[Problem]) {
    let from_aws = judged
        .iter()
        .map(|p| (p.path.as_str(), &p.message, &p.hint));
    let from_load = loaded
        .warnings
        .iter()
        .filter(|w| !judged.iter().any(|p| p.path == w.path))
        .map(|w| (w.path.as_str(), &w.message, &w.hint));
    let mut notes: Vec<Note> = from_load
        .chain(from_aws)
        .map(|(path, message, hint)| Note {
            level: NoteLevel::Warning,
            about: path.to_string(),
            message: message.clone(),
            hint: hint.clone(),
        })
        .collect();
    // Assumed zones (offline), or zones a live plan left out.
    notes.extend(loaded.zones.as_ref().and_then(zones::note));
    notes.append(&mut plan.notes);
    plan.notes = notes;
}

/// Warnings about resources that carry an address another resource already has (left by a
/// crash outside shinyctl's idempotency, or copied by hand): they are not managed, so say so.
pub fn duplicate_warnings(live: &LiveState) -> Vec<String> {
    live.duplicates
        .iter()
        .map(|(address, id)| {
            format!(
                "warning: {id} also carries the address {address}; shinyctl manages only one of \
                 them and leaves {id} alone (delete it by hand if it is a leftover)"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(image: &str) -> Vec<serde_json::Value> {
        vec![serde_json::json!({
            "kind": "Deployment",
            "metadata": {"name": crate::workload::NAME},
            "spec": {"template": {"spec": {"containers": [
                {"name": crate::workload::NAME, "image": image}
            ]}}}
        })]
    }

    #[test]
    fn the_running_proxy_version_is_its_images_tag_in_the_same_repository() {
        let want = deployment("openanalytics/shinyproxy:3.2.0");
        assert_eq!(
            running_proxy_version(&want, &deployment("openanalytics/shinyproxy:3.1.1")),
            Some("3.1.1".into())
        );
        // The same version, another repository (a `proxy.image` changed), a tag that is not a
        // version, nothing running: nothing to keep.
        assert_eq!(
            running_proxy_version(&want, &deployment("openanalytics/shinyproxy:3.2.0")),
            None
        );
        assert_eq!(
            running_proxy_version(&want, &deployment("mirror.example.com/shinyproxy:3.1.1")),
            None
        );
        assert_eq!(
            running_proxy_version(&want, &deployment("openanalytics/shinyproxy:latest")),
            None
        );
        assert_eq!(running_proxy_version(&want, &[]), None);
    }
    use crate::blueprint::Date;
    use crate::load::load_str_on;
    use crate::plan::{ObservedState, diff};

    #[test]
    fn aws_answers_replace_the_tables_warning_for_the_same_value() {
        let text = include_str!("../../blueprints/shinyproxy-eks.yaml")
            .replace("version: \"1.35\"", "version: \"1.34\"");
        let loaded = load_str_on("b.yaml", &text, Date::parse("2026-12-05").unwrap()).unwrap();
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        let plan = || diff(&loaded.resources, &ObservedState::empty("analytics", "x"));

        let mut offline = plan();
        add_blueprint_warnings(&mut offline, &loaded, &[]);
        assert_eq!(offline.notes.len(), 2, "the version, and the assumed zones");
        assert!(offline.notes[0].message.contains("shinyctl's table"));
        assert_eq!(
            offline.notes[1].message,
            "zones assumed, not asked of AWS: cn-northwest-1a, cn-northwest-1b"
        );

        let from_eks = Problem::warning(
            "cluster.version",
            "EKS 1.34 is in extended support (according to EKS)",
        );
        let mut live = plan();
        add_blueprint_warnings(&mut live, &loaded, &[from_eks]);
        assert_eq!(live.notes.len(), 2);
        assert!(live.notes[0].message.contains("according to EKS"));
        assert_eq!(live.notes[0].level, NoteLevel::Warning);
    }
}
