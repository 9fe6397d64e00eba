//! The usage-statistics user's Job script (`workload::usage_user::postgres_script`, issue 19 item
//! 4) against a real PostgreSQL server on 127.0.0.1 (Debian's `postgresql`, a throwaway cluster
//! in a temporary directory on a free port): run as a master user that is no superuser but may
//! create roles and owns the database (as RDS's master user is), twice (it is idempotent), and
//! again after a new password. The user it makes can run exactly what containerproxy 1.2.0's
//! `JDBCCollector` runs (`create table if not exists event(...)`, `INSERT INTO event ...`) and
//! nothing on the `public` schema. Only the script's mount path and `PGSSLMODE` are changed: the
//! test server has no TLS.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use shinyctl::workload::usage_user;

const DATABASE: &str = "shinyproxy";
const USER: &str = "shinyproxy_usage";
const MASTER: &str = "master";
const MASTER_PASSWORD: &str = "m@st\"er'pass";

/// The directory of PostgreSQL's server programs: on the PATH, else Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn server_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|dir| dir.join("initdb").exists());
    on_path.or(debian).expect(
        "PostgreSQL's server programs (Debian: apt-get install postgresql): see README's test prerequisites",
    )
}

/// PostgreSQL refuses to run as root: then the server runs as `nobody`.
fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let bin = server_bin();
        let dir = tempfile::tempdir().expect("a temporary directory");
        // The server's user (nobody when the tests run as root) owns its directory.
        let _ = Command::new("chown")
            .args(["-R", "nobody"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let initdb = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .output()
            .expect("initdb");
        assert!(initdb.status.success(), "{initdb:?}");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = as_server_user(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-k")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres");
        let server = Server { child, port, dir };
        for _ in 0..100 {
            if server.admin("postgres", "SELECT 1").status.success() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("PostgreSQL on 127.0.0.1:{port} never answered");
    }

    /// `sql` as the superuser in `database`, over the server's socket (trusted).
    fn admin(&self, database: &str, sql: &str) -> Output {
        Command::new("psql")
            .arg("-h")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-X", "-v"])
            .arg("ON_ERROR_STOP=1")
            .args(["-d", database, "-c", sql])
            .output()
            .expect("psql")
    }

    /// `sql` as `user` with `password` over TCP (password authentication).
    fn run_as(&self, user: &str, password: &str, database: &str, sql: &str) -> Output {
        Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", user])
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql])
            .env("PGPASSWORD", password)
            .output()
            .expect("psql")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_postgres_script_makes_a_least_privilege_user_that_the_jdbc_collector_can_use() {
    let server = Server::start();
    // The superuser's own database, then RDS's shape: a master that may create roles and owns
    // the database, and something of the master's that the usage user must not read.
    let make = server.admin("postgres", &format!("CREATE DATABASE {DATABASE}"));
    assert!(make.status.success(), "{}", stderr(&make));
    let master = server.admin(DATABASE, &format!(
        "CREATE ROLE {MASTER} LOGIN CREATEROLE PASSWORD '{}'; ALTER DATABASE {DATABASE} OWNER TO {MASTER}; \
         CREATE TABLE public.private(x int); REVOKE ALL ON SCHEMA public FROM PUBLIC",
        MASTER_PASSWORD.replace('\'', "''")
    ));
    assert!(master.status.success(), "{}", stderr(&master));

    let secrets = tempfile::tempdir().expect("a directory for the Secret's files");
    let write = |key: &str, value: &str| {
        std::fs::write(secrets.path().join(key), value).expect("a Secret file");
    };
    write(usage_user::ADMIN_USERNAME, MASTER);
    write(usage_user::ADMIN_PASSWORD, MASTER_PASSWORD);
    let first_password = "it's a \\ \"password\" $1";
    write(
        shinyctl::workload::secrets::DATABASE_PASSWORD,
        first_password,
    );
    let script = usage_user::postgres_script("127.0.0.1", server.port, DATABASE, USER)
        .replace(
            "/etc/shinyctl/database",
            &secrets.path().display().to_string(),
        )
        .replace("PGSSLMODE=require", "PGSSLMODE=disable");
    let run_script = || {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{}", stderr(&out));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(
            !said.contains(MASTER_PASSWORD) && !said.contains("password\""),
            "{said}"
        );
    };
    run_script();
    run_script();

    // What containerproxy 1.2.0's JDBCCollector runs, as the new user.
    let create = "create table if not exists event( event_time timestamp, username varchar(128), type varchar(128), data text)";
    for sql in [
        create,
        create,
        "INSERT INTO event (event_time, username, type, data) VALUES (now(), 'jack', 'Login', null)",
    ] {
        let out = server.run_as(USER, first_password, DATABASE, sql);
        assert!(out.status.success(), "{sql}: {}", stderr(&out));
    }
    // Nothing else: not the master's tables, not the public schema.
    for sql in [
        "SELECT * FROM public.private",
        "CREATE TABLE public.x(a int)",
    ] {
        let out = server.run_as(USER, first_password, DATABASE, sql);
        assert!(!out.status.success(), "{sql} was allowed");
        assert!(
            stderr(&out).contains("permission denied"),
            "{}",
            stderr(&out)
        );
    }

    // A new password version: the script sets it, the old one stops working.
    let second_password = "second-password-9";
    write(
        shinyctl::workload::secrets::DATABASE_PASSWORD,
        second_password,
    );
    run_script();
    let out = server.run_as(
        USER,
        second_password,
        DATABASE,
        "SELECT count(*) FROM event",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = server.run_as(USER, first_password, DATABASE, "SELECT 1");
    assert!(
        stderr(&out).contains("password authentication failed"),
        "{}",
        stderr(&out)
    );
}
