"""Validates a directory of rendered manifests (`shinyctl render --out DIR`, DIR/manifests/*.yaml).

    python validate.py --kubernetes-version 1.31 DIR/manifests

1. Every object against the upstream Kubernetes schemas of that version (kubernetes-validate,
   strict: unknown fields fail). Custom resources have no upstream schema; those listed in
   CUSTOM_SCHEMAS are checked against a schema kept in schemas/ (from the CRD), any other fails.
2. checkov --framework kubernetes over the directory, offline (BC_SKIP_MAPPING=TRUE,
   --skip-download): any failed check fails. Skips must be annotations on the objects themselves.

Prints one line per problem and a closing `N passed, N failed` line; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

import jsonschema
import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
CUSTOM_SCHEMAS = {
    ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding"): HERE / "schemas" / "targetgroupbinding-elbv2.k8s.aws-v1beta1.json",
}


def validate_schemas(files: list[pathlib.Path], version: str) -> tuple[int, list[str]]:
    passed, problems = 0, []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            key = (doc.get("apiVersion"), doc.get("kind"))
            try:
                if key in CUSTOM_SCHEMAS:
                    schema = json.loads(CUSTOM_SCHEMAS[key].read_text())
                    jsonschema.validate(doc, schema)
                else:
                    kubernetes_validate.validate(doc, version, strict=True)
                passed += 1
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{path.name}: no schema for {key[1]} ({key[0]}) in Kubernetes {version}")
            except kubernetes_validate.ValidationError as err:
                where = "/".join(str(p) for p in getattr(err, "path", []))
                problems.append(f"{path.name}: {where}: {getattr(err, 'message', err)}")
            except jsonschema.ValidationError as err:
                where = "/".join(str(p) for p in err.absolute_path)
                problems.append(f"{path.name}: {where}: {err.message}")
            except Exception as err:  # kubernetes-validate raises several types; report, never crash
                problems.append(f"{path.name}: {type(err).__name__}: {err}")
    return passed, problems


def run_checkov(directory: pathlib.Path) -> tuple[int, list[str], list[str]]:
    checkov = pathlib.Path(sys.executable).with_name("checkov")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
           "LOG_LEVEL": "ERROR"}
    env.pop("BC_API_KEY", None)
    out = subprocess.run(
        [str(checkov), "--framework", "kubernetes", "--directory", str(directory), "--output", "json",
         "--skip-download", "--compact"],
        capture_output=True, text=True, env=env, check=False, timeout=600)
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        return 0, [f"checkov did not answer JSON (exit {out.returncode}): {out.stderr.strip()[-2000:]}"], []
    reports = report if isinstance(report, list) else [report]
    passed, problems, skipped = 0, [], []
    for rep in reports:
        results = rep.get("results", {})
        summary = rep.get("summary", {})
        passed += summary.get("passed", 0)
        for check in results.get("failed_checks", []):
            problems.append(f"checkov {check['check_id']} ({check['check_name']}) on {check['resource']} "
                            f"in {pathlib.Path(check['file_path']).name}")
        for check in results.get("skipped_checks", []):
            comment = (check.get("check_result") or {}).get("suppress_comment", "")
            skipped.append(f"checkov {check['check_id']} skipped on {check['resource']}: {comment}")
    return passed, problems, skipped


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetes-version", required=True, help="e.g. 1.31")
    parser.add_argument("directory", type=pathlib.Path)
    args = parser.parse_args()
    files = sorted(args.directory.glob("*.yaml"))
    if not files:
        print(f"no *.yaml files in {args.directory}")
        print("0 passed, 1 failed")
        return 1
    version = args.kubernetes_version
    if version.count(".") == 1:
        version += ".0"
    schema_passed, problems = validate_schemas(files, version)
    checkov_passed, checkov_problems, skipped = run_checkov(args.directory)
    problems += checkov_problems
    for line in skipped:
        print(line)
    for line in problems:
        print(f"FAIL {line}")
    print(f"schemas: {schema_passed} objects valid; checkov: {checkov_passed} checks passed, {len(skipped)} skipped")
    print(f"{schema_passed + checkov_passed} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
