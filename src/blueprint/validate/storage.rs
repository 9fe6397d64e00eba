//! `storage.efs`: access point names, root directories and permissions.

use super::Problems;
use super::text::{is_dns_label, report_duplicates};
use crate::blueprint::model::Blueprint;
use crate::blueprint::problem::{Problem, child, item};

/// EFS access point root directories: at most 100 characters and 4 subdirectories.
const MAX_PATH_LEN: usize = 100;
const MAX_PATH_DEPTH: usize = 4;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(efs) = bp.storage.as_ref().and_then(|s| s.efs.as_ref()) else {
        return;
    };
    let base = "storage.efs.accessPoints";
    report_duplicates(
        out,
        efs.access_points
            .iter()
            .enumerate()
            .map(|(i, a)| (child(&item(base, i), "name"), a.name.as_str())),
        "access point name",
    );
    for (i, point) in efs.access_points.iter().enumerate() {
        let path = item(base, i);
        if !is_dns_label(&point.name) {
            out.push(
                Problem::new(child(&path, "name"), format!("`{}` is not a valid access point name", point.name))
                    .hint("use up to 63 lowercase letters, digits and hyphens; apps refer to it in `mounts`"),
            );
        }
        check_root_path(&point.path, &child(&path, "path"), out);
        let permissions = &point.permissions;
        if !(3..=4).contains(&permissions.len())
            || !permissions.bytes().all(|b| (b'0'..=b'7').contains(&b))
        {
            out.push(
                Problem::new(
                    child(&path, "permissions"),
                    format!("`{permissions}` is not an octal permission mode"),
                )
                .hint("write 3 or 4 octal digits, quoted, e.g. `\"0755\"` or `\"750\"`"),
            );
        }
    }
}

fn check_root_path(dir: &str, path: &str, out: &mut Problems) {
    if !dir.starts_with('/') {
        out.push(
            Problem::new(path, format!("`{dir}` is not an absolute path")).hint(format!(
                "start the path with `/`, e.g. `/{}`",
                dir.trim_start_matches("./")
            )),
        );
        return;
    }
    let parts: Vec<&str> = dir.split('/').skip(1).collect();
    let trailing_only = parts.len() == 1 && parts[0].is_empty();
    if !trailing_only
        && parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        out.push(
            Problem::new(
                path,
                format!("`{dir}` has an empty, `.` or `..` component or a trailing slash"),
            )
            .hint("write a plain absolute path such as `/shiny/data`"),
        );
    } else if dir.len() > MAX_PATH_LEN || parts.len() > MAX_PATH_DEPTH {
        out.push(
            Problem::new(
                path,
                format!("`{dir}` is too long or too deep for an EFS access point"),
            )
            .hint(format!(
                "EFS allows at most {MAX_PATH_LEN} characters and {MAX_PATH_DEPTH} subdirectories"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use crate::blueprint::model::{AccessPoint, Blueprint};

    fn ap(bp: &mut Blueprint) -> &mut Vec<AccessPoint> {
        &mut bp
            .storage
            .as_mut()
            .unwrap()
            .efs
            .as_mut()
            .unwrap()
            .access_points
    }

    #[test]
    fn access_points() {
        assert_one(
            |bp| {
                let mut again = ap(bp)[0].clone();
                again.path = "/other".into();
                ap(bp).push(again);
            },
            "storage.efs.accessPoints[1].name",
            "duplicate",
        );
        assert_one(
            |bp| ap(bp)[0].path = "shiny/data".into(),
            "storage.efs.accessPoints[0].path",
            "absolute",
        );
        assert_one(
            |bp| ap(bp)[0].path = "/shiny/../data".into(),
            "storage.efs.accessPoints[0].path",
            "`..`",
        );
        assert_one(
            |bp| ap(bp)[0].path = "/a/b/c/d/e".into(),
            "storage.efs.accessPoints[0].path",
            "too deep",
        );
        assert_one(
            |bp| ap(bp)[0].permissions = "0789".into(),
            "storage.efs.accessPoints[0].permissions",
            "octal",
        );
        assert_one(
            |bp| ap(bp)[0].permissions = "rwx".into(),
            "storage.efs.accessPoints[0].permissions",
            "octal",
        );
        assert_one(
            |bp| {
                ap(bp)[0].name = "Shared Data".into();
                bp.proxy.as_mut().unwrap().apps[0].mounts.clear();
            },
            "storage.efs.accessPoints[0].name",
            "not a valid",
        );
        assert!(paths_after(|bp| ap(bp)[0].path = "/".into()).is_empty());
    }
}
