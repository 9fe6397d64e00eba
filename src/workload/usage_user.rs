//! The usage-statistics database user, made by a Kubernetes Job (issue 19 item 4).
//!
//! ShinyProxy writes usage statistics as a user of its own (`proxy.usageStatsUser`), never the
//! RDS master user. The database is in private subnets, so shinyctl cannot connect to it; the
//! cluster's pods can (the database's security group lets the cluster in). So apply runs a Job in
//! ShinyProxy's namespace that connects once with the master credentials, creates the user (or
//! sets its password again) and grants it only what containerproxy's JDBC collector uses, and
//! then deletes the Job and the short-lived Secret holding the master credentials.
//!
//! What the collector needs, from containerproxy 1.2.0 (`stat/impl/JDBCCollector.java`, the
//! release ShinyProxy 3.2.0 is built on): at start-up `create table if not exists event(
//! event_time timestamp, username varchar(128), type varchar(128), data text)` (the table is
//! `usage-stats-table-name`, default `event`: `StatCollectorFactory`), then `INSERT INTO event
//! (event_time, username, type, data) VALUES (?,?,?,?)` per event; `ALTER TABLE ... ADD` and
//! `getColumns` only with `usage-stats-attributes`, which shinyctl does not render. So:
//! - PostgreSQL: `LOGIN`, `CONNECT` on the database, and `USAGE, CREATE` on a schema
//!   `usage_stats` (owned by the master user) as its `search_path`: `create table if not exists`
//!   checks CREATE on the schema before it looks for the table; the user owns the table it makes,
//!   so it may insert. Nothing on any other schema.
//! - MySQL: `CREATE, INSERT` on `<database>.event` only (MySQL reference manual, GRANT: "MySQL
//!   enables you to grant privileges on databases or tables that do not exist. For tables, the
//!   privileges to be granted must include the CREATE privilege").
//!
//! The SQL is idempotent (a PostgreSQL `DO` block that creates the role when `pg_roles` lacks it;
//! MySQL's `CREATE USER IF NOT EXISTS`, then `ALTER USER ... IDENTIFIED BY` either way), so a new
//! password version just runs it again. No secret is in the Job: the master credentials (copied
//! at apply from the RDS-managed secret into the Secret [`ADMIN_SECRET`], values only in memory)
//! and the user's password are files of a secret volume, read by the script into the client's
//! environment or standard input — never into a command line, the pod spec or a log line.
//!
//! When it runs: the Secret `shinyproxy-secrets` carries [`MARKER`], a fingerprint of what the user
//! was made for (engine, endpoint, database, user name, the master secret's ARN — a new database
//! has a new one — and the version of the user's password). A live plan or apply keeps the Job
//! and [`ADMIN_SECRET`] only while the cluster's Secret has another marker ([`settle`]); the
//! marker is applied with ShinyProxy's Secret after the Job succeeded, so a failed Job runs again
//! at the next apply.

use serde_json::{Map, Value, json};

use crate::blueprint::Blueprint;
use crate::blueprint::model::{DatabaseEngine, Proxy};

use super::facts::{KNOWN_AFTER_APPLY, PlatformFacts};
use super::manifests::SECRET_SOURCES;
use super::secrets::{self, DATABASE_PASSWORD};
use super::{Meta, checkov_skip, fingerprint};

/// The Job that creates the user.
pub(crate) const JOB_NAME: &str = "shinyproxy-usage-stats-user";
/// The short-lived Secret with the master credentials (and the user's password) the Job reads.
pub(crate) const ADMIN_SECRET: &str = "shinyproxy-database-admin";
/// Annotation of `shinyproxy-secrets` (and the Job): what the user was last made for.
pub const MARKER: &str = "shinyctl.dev/usage-stats-user";
/// The master user's name and password, from the RDS-managed secret's JSON.
pub const ADMIN_USERNAME: &str = "SHINYCTL_DATABASE_ADMIN_USERNAME";
pub const ADMIN_PASSWORD: &str = "SHINYCTL_DATABASE_ADMIN_PASSWORD";
/// The PostgreSQL schema the user writes to.
pub(crate) const SCHEMA: &str = "usage_stats";
/// The table containerproxy's JDBC collector writes (its default `usage-stats-table-name`).
pub(crate) const TABLE: &str = "event";
/// Where the Job's pod reads the Secret's files.
const MOUNT: &str = "/etc/shinyctl/database";
/// Runs as this unprivileged user (the clients need no particular one).
const RUN_AS: u32 = 10_001;
/// What the marker's version part is before the password's version is known.
const OFFLINE: &str = "offline";

/// The Job and its Secret (Secret first), when ShinyProxy writes usage statistics to the
/// blueprint's database; empty otherwise.
pub(super) fn objects(bp: &Blueprint, proxy: &Proxy, facts: &PlatformFacts) -> Vec<Value> {
    let (Some(user), Some(db), Some(image), Some(engine)) = (
        secrets::usage_stats_user(proxy, facts),
        facts.database.as_ref(),
        crate::blueprint::images::usage_stats_user_image(bp),
        bp.database.as_ref().map(|d| d.engine),
    ) else {
        return Vec::new();
    };
    let meta = Meta {
        blueprint: &bp.metadata.name,
    };
    let image = super::shinyproxy::resolve_image(bp, &image.image, facts);
    let marker = marker(bp, &user.name, facts, unknown_version(facts));
    let master = &db.credentials_secret;
    let sources = json!({
        ADMIN_USERNAME: format!("secretsmanager:{master}#username"),
        ADMIN_PASSWORD: format!("secretsmanager:{master}#password"),
        DATABASE_PASSWORD: user.password_ref,
    });
    let mut secret_meta = meta.namespaced(ADMIN_SECRET, &proxy.namespace);
    secret_meta["annotations"] = json!({SECRET_SOURCES: sources.to_string()});
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": secret_meta, "type": "Opaque"});
    let script = match engine {
        DatabaseEngine::Postgres | DatabaseEngine::AuroraPostgresql => {
            postgres_script(&db.host, db.port, &db.name, &user.name)
        }
        DatabaseEngine::Mysql | DatabaseEngine::AuroraMysql => {
            mysql_script(&db.host, db.port, &db.name, &user.name)
        }
    };
    let mut job_meta = meta.namespaced(JOB_NAME, &proxy.namespace);
    job_meta["annotations"] = json!({MARKER: marker});
    let mut pod_labels = meta.labels();
    pod_labels.insert("app.kubernetes.io/name".into(), json!(JOB_NAME));
    let mut job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": job_meta,
        "spec": {
            // A database that is still coming up gets two more tries; a wrong password does not
            // get better.
            "backoffLimit": 2,
            "activeDeadlineSeconds": 300,
            // Apply deletes it; should apply be stopped first, Kubernetes does an hour later
            // (and the Secret with it: apply makes the Job its owner).
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": Value::Object(pod_labels)},
                "spec": {
                    "restartPolicy": "Never",
                    // The Job talks to the database only.
                    "automountServiceAccountToken": false,
                    "securityContext": super::restricted_pod(RUN_AS),
                    "containers": [{
                        "name": "create-user",
                        "image": image,
                        "imagePullPolicy": "Always",
                        "command": ["sh", "-c", script],
                        "env": [{"name": "HOME", "value": "/tmp"}],
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "64Mi"},
                            "limits": {"cpu": "500m", "memory": "256Mi"},
                        },
                        "securityContext": super::restricted_container(RUN_AS),
                        "volumeMounts": [
                            {"name": "credentials", "mountPath": MOUNT, "readOnly": true},
                            {"name": "tmp", "mountPath": "/tmp"},
                        ],
                    }],
                    "volumes": [
                        // 0440: readable by the pod's group (fsGroup), nobody else.
                        {"name": "credentials", "secret": {"secretName": ADMIN_SECRET, "defaultMode": 0o440}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
                    ],
                },
            },
        },
    });
    checkov_skip(
        &mut job,
        "CKV_K8S_43",
        "the database client image is pinned by its release tag (or the digest usageStatsUser.image names); resolving a tag to a digest needs the registry, which rendering does not reach",
    );
    vec![secret, job]
}

/// The version part of a marker rendered before the password's version is read.
fn unknown_version(facts: &PlatformFacts) -> &'static str {
    if facts.offline {
        OFFLINE
    } else {
        KNOWN_AFTER_APPLY
    }
}

/// `<what the user is made for>.<the password's version>`, both fingerprints (the version part is
/// `offline` or `(known after apply)` until [`set_password_version`]).
fn marker(bp: &Blueprint, user: &str, facts: &PlatformFacts, version: &str) -> String {
    let engine = bp
        .database
        .as_ref()
        .map(|d| d.engine.aws_name())
        .unwrap_or_default();
    let db = facts.database.as_ref();
    let base = fingerprint(&format!(
        "{engine}\n{}\n{}\n{}\n{user}\n{}",
        db.map(|d| d.host.as_str()).unwrap_or_default(),
        db.map(|d| d.port).unwrap_or_default(),
        db.map(|d| d.name.as_str()).unwrap_or_default(),
        db.map(|d| d.credentials_secret.as_str())
            .unwrap_or_default(),
    ));
    format!("{base}.{version}")
}

/// Puts the marker on ShinyProxy's Secret (the Job carries the same).
pub(super) fn mark_secret(objects: &mut [Value]) {
    let Some(marker) = job(objects).and_then(job_marker).map(str::to_string) else {
        return;
    };
    for secret in objects.iter_mut().filter(|o| is_proxy_secret(o)) {
        secret["metadata"]["annotations"][MARKER] = json!(marker);
    }
}

/// The marker with the current version of the user's password (from Secrets Manager or SSM,
/// never the value): on the Job and ShinyProxy's Secret.
pub(crate) fn set_password_version(objects: &mut [Value], version: Option<&str>) {
    let version = version.map_or_else(|| "?".to_string(), fingerprint);
    for object in objects.iter_mut() {
        let is_marked = object["kind"] == "Job" || is_proxy_secret(object);
        let Some(current) = object["metadata"]["annotations"][MARKER].as_str() else {
            continue;
        };
        if !is_marked {
            continue;
        }
        let base = current.split_once('.').map_or(current, |(base, _)| base);
        let value = format!("{base}.{version}");
        object["metadata"]["annotations"][MARKER] = json!(value);
    }
}

/// Leaves the Job and its Secret out when the cluster's `shinyproxy-secrets` says the user was
/// already made for exactly this (see the module comment): nothing to run.
pub(crate) fn settle(objects: &mut Vec<Value>, live: &[Value]) {
    let Some(wanted) = job(objects).and_then(job_marker).map(str::to_string) else {
        return;
    };
    let done = live
        .iter()
        .filter(|o| is_proxy_secret(o))
        .any(|o| o["metadata"]["annotations"][MARKER].as_str() == Some(wanted.as_str()));
    if done {
        objects.retain(|o| !is_job_object(o));
    }
}

/// The Job or its Secret.
pub(crate) fn is_job_object(object: &Value) -> bool {
    let name = object["metadata"]["name"].as_str();
    (object["kind"] == "Job" && name == Some(JOB_NAME))
        || (object["kind"] == "Secret" && name == Some(ADMIN_SECRET))
}

fn job(objects: &[Value]) -> Option<&Value> {
    objects
        .iter()
        .find(|o| o["kind"] == "Job" && o["metadata"]["name"] == JOB_NAME)
}

fn job_marker(job: &Value) -> Option<&str> {
    job["metadata"]["annotations"][MARKER].as_str()
}

fn is_proxy_secret(object: &Value) -> bool {
    object["kind"] == "Secret" && object["metadata"]["name"] == secrets::SECRET_NAME
}

/// `'text'` for sh, whatever it holds.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The PostgreSQL script: psql with the master credentials from the files, the SQL on standard
/// input. The user's password goes from its file into a psql variable (`\set` runs `cat`), from
/// there into a setting of this session only, which the `DO` block reads: no statement text the
/// server might log holds it, apart from that `set_config` call's.
pub fn postgres_script(host: &str, port: u16, database: &str, user: &str) -> String {
    format!(
        r#"set -eu
d={MOUNT}
export PGHOST={host} PGPORT={port} PGDATABASE={database} PGSSLMODE=require PGCONNECT_TIMEOUT=10
PGUSER="$(cat "$d/{ADMIN_USERNAME}")"
PGPASSWORD="$(cat "$d/{ADMIN_PASSWORD}")"
export PGUSER PGPASSWORD
psql -X -q -v ON_ERROR_STOP=1 -v user={user_arg} -v db={database} <<'SQL'
\set password `cat {MOUNT}/{DATABASE_PASSWORD}`
SELECT set_config('shinyctl.user', :'user', false), set_config('shinyctl.password', :'password', false), set_config('shinyctl.database', :'db', false) \g /dev/null
\unset password
DO $do$
DECLARE
  u text := current_setting('shinyctl.user');
  p text := current_setting('shinyctl.password');
  d text := current_setting('shinyctl.database');
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = u) THEN
    EXECUTE format('CREATE ROLE %I LOGIN', u);
  END IF;
  EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', u, p);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', d, u);
  EXECUTE 'CREATE SCHEMA IF NOT EXISTS {SCHEMA}';
  EXECUTE format('GRANT USAGE, CREATE ON SCHEMA {SCHEMA} TO %I', u);
  EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = {SCHEMA}', u, d);
END
$do$;
SELECT set_config('shinyctl.password', '', false) \g /dev/null
SQL
echo "database user {user} is ready"
"#,
        host = sh_quote(host),
        database = sh_quote(database),
        user_arg = sh_quote(user),
    )
}

/// The MySQL script: the master credentials in an option file of the pod's own `/tmp` (mode
/// 0600), the SQL on standard input. The user's password travels hex-encoded into a user
/// variable and `QUOTE()` makes the literal of the prepared `CREATE USER`/`ALTER USER`, so no
/// character of it needs escaping by hand.
pub(crate) fn mysql_script(host: &str, port: u16, database: &str, user: &str) -> String {
    format!(
        r#"set -eu
d={MOUNT}
umask 077
escape() {{ sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }}
{{
  printf '[client]\n'
  printf 'user="%s"\n' "$(escape < "$d/{ADMIN_USERNAME}")"
  printf 'password="%s"\n' "$(escape < "$d/{ADMIN_PASSWORD}")"
}} > /tmp/admin.cnf
password_hex="$(printf '%s' "$(cat "$d/{DATABASE_PASSWORD}")" | od -An -v -tx1 | tr -d ' \n')"
{{
  printf "SET @pw = CONVERT(X'%s' USING utf8mb4);\n" "$password_hex"
  cat <<'SQL'
SET @s = CONCAT('CREATE USER IF NOT EXISTS ''{user}''@''%'' IDENTIFIED BY ', QUOTE(@pw));
PREPARE st FROM @s; EXECUTE st; DEALLOCATE PREPARE st;
SET @s = CONCAT('ALTER USER ''{user}''@''%'' IDENTIFIED BY ', QUOTE(@pw));
PREPARE st FROM @s; EXECUTE st; DEALLOCATE PREPARE st;
SET @pw = NULL, @s = NULL;
GRANT CREATE, INSERT ON `{db}`.`{TABLE}` TO '{user}'@'%';
SQL
}} | mysql --defaults-extra-file=/tmp/admin.cnf --host={host} --port={port} --ssl-mode=REQUIRED --connect-timeout=10 --batch
rm -f /tmp/admin.cnf
echo "database user {user} is ready"
"#,
        host = sh_quote(host),
        db = database,
    )
}

/// The keys of the Secret's sources (for resolving them at apply).
pub(crate) fn sources(objects: &[Value]) -> Map<String, Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == "Secret" && o["metadata"]["name"] == ADMIN_SECRET)
        .filter_map(|o| o["metadata"]["annotations"][SECRET_SOURCES].as_str())
        .filter_map(|s| serde_json::from_str::<Map<String, Value>>(s).ok())
        .flatten()
        .collect()
}
