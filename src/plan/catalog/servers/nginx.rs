//! nginx's site for a server group: one `server` block on the group's `listen` port, each
//! location forwarded to a local port. Written to `/etc/nginx/conf.d/`, which both families'
//! packaged `nginx.conf` include inside `http` (Debian/Ubuntu and Amazon Linux alike).

use crate::blueprint::model::Nginx;

/// Where the site is written on a server.
pub(crate) fn site_path(group: &str) -> String {
    format!("/etc/nginx/conf.d/shinyctl-{group}.conf")
}

/// The site's text. Websocket upgrades pass through (Shiny-style apps and consoles use them);
/// the ALB's own `X-Forwarded-*` headers are passed on, not replaced, so the product sees the
/// client's address and scheme.
pub(crate) fn site(group: &str, blueprint: &str, nginx: &Nginx) -> String {
    let mut text = format!(
        "# Written by shinyctl for server group `{group}` of blueprint `{blueprint}`: a change here is overwritten.\n\
         map $http_upgrade $shinyctl_{ident}_connection {{\n    default upgrade;\n    ''      close;\n}}\n\n\
         server {{\n    listen {port} default_server;\n    server_name _;\n",
        ident = group.replace('-', "_"),
        port = nginx.listen,
    );
    for location in &nginx.locations {
        text.push_str(&format!(
            "\n    location {path} {{\n        proxy_pass http://127.0.0.1:{to};\n        proxy_http_version 1.1;\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $shinyctl_{ident}_connection;\n        proxy_read_timeout 300s;\n    }}\n",
            path = location.path,
            to = location.to,
            ident = group.replace('-', "_"),
        ));
    }
    text.push_str("}\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::model::NginxLocation;

    fn seed() -> Nginx {
        Nginx {
            listen: 8200,
            locations: vec![
                NginxLocation {
                    path: "/UserService/".into(),
                    to: 22345,
                },
                NginxLocation {
                    path: "/app_e/".into(),
                    to: 8005,
                },
            ],
        }
    }

    #[test]
    fn the_seeds_routes_render() {
        insta::assert_snapshot!(site("app", "lowcode", &seed()));
    }

    /// Debian's nginx checks the rendered site (`nginx -t`), inside an `http` block as the
    /// packaged `nginx.conf` includes it. `.ci/run` installs nginx; without it the test says so
    /// and fails rather than passing unchecked.
    #[test]
    fn nginx_accepts_the_rendered_site() {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("nginx is installed (Debian's `nginx` package; .ci/run installs it)");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("site.conf"),
            site("app", "lowcode", &seed()),
        )
        .unwrap();
        let main = format!(
            "pid {0}/nginx.pid;\nerror_log {0}/error.log;\nevents {{}}\nhttp {{\n    include {0}/site.conf;\n}}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let out = std::process::Command::new(nginx)
            .arg("-t")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "nginx -t refused the site:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
