#!/usr/bin/env python3
"""Library items `pub(crate)` unless the binary, the integration tests or xtask use them (issue 13).

Deterministic and rerunnable on any tree (std only, Python 3.9+):

    export CARGO_TARGET_DIR=…                # required: the worktree's warm target dir
    python3 scripts/visibility.py            # rewrite, restore, fmt, report (the steps below)
    python3 scripts/visibility.py rewrite    # one step (or several, in the order given)

1. rewrite: every `pub` visibility (a `pub` not followed by `(`: `pub(crate)`, `pub(super)` and
   `pub(in …)` are left alone) in the library's files becomes `pub(crate)`. The library's files are
   `src/**/*.rs` except `src/main.rs` and the binary's own module tree (the `mod x;` of main.rs:
   `src/cli/`, where `pub` already means the binary crate). Comments, string, raw-string, byte
   and char literals are skipped by a small Rust lexer; `pub` inside `macro_rules!` bodies is code
   (the expansion is then `pub(crate)` too). Nothing is `#[macro_export]`ed in this crate.
2. restore: `cargo check --workspace --all-targets -j 1 --message-format=json` (CARGO_TARGET_DIR
   must be set: the worktree's warm target dir); for each privacy error (E0603
   private item, E0624 private method, E0616 private field, E0451 private field in a
   constructor, E0364/E0365 private re-export, E0446 private type in a public interface) and
   each `private_interfaces`/`private_bounds` warning, the definitions the diagnostic names
   ("... is defined here", "... only usable at visibility `pub(crate)`") get their `pub(crate)`
   back to `pub`. E0616/E0451 name no definition's span: the field is found by name in the
   struct the message names. Repeat until no such diagnostic is left (each round only restores;
   the loop ends because each round turns at least one `pub(crate)` back into `pub`). Before
   the loop, what xtask reads of the library files it compiles as its own modules (`#[path]`:
   `xtask/src/bench/round_trips.rs` includes `src/aws/services/stages.rs`) is made `pub` with
   the modules on the way, since no compiler error names it.
3. fmt: `cargo xtask fmt` (lines that grew are wrapped again; adapter files included).
4. report: `cargo check` again; every `dead_code` warning in the library (the items `pub`
   hid) is printed as `file:line: message`. They are removed by hand (or gated `#[cfg(test)]`
   when only unit tests use them): not by this script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

PRIVACY_ERRORS = {"E0603", "E0624", "E0616", "E0451", "E0364", "E0365", "E0446"}
PRIVACY_LINTS = {"private_interfaces", "private_bounds"}


# ---------------------------------------------------------------------------------------------
# A small Rust lexer: code tokens only (identifiers and single punctuation bytes), with byte
# offsets; comments and literals are skipped.


def _skip_string(src: bytes, i: int) -> int:
    """`src[i]` is the opening `"`; returns the offset after the closing one."""
    i += 1
    while i < len(src):
        c = src[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x22:
            return i + 1
        i += 1
    return i


def _skip_raw_string(src: bytes, i: int) -> int | None:
    """`src[i]` is the `r` of `r"…"`/`r#"…"#`; None if it is not a raw string."""
    j = i + 1
    hashes = 0
    while j < len(src) and src[j] == 0x23:
        hashes += 1
        j += 1
    if j >= len(src) or src[j] != 0x22:
        return None
    end = b'"' + b"#" * hashes
    k = src.find(end, j + 1)
    return len(src) if k < 0 else k + len(end)


CHAR = re.compile(rb"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n]|[\xc0-\xff][\x80-\xbf]+)'")
BYTE_CHAR = re.compile(rb"'(\\(x[0-9a-fA-F]{2}|.)|[^\\'])'")


def tokens(src: bytes) -> list[tuple[int, int, bytes]]:
    """Code tokens as (start, end, text)."""
    out: list[tuple[int, int, bytes]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in b" \t\r\n":
            i += 1
        elif src.startswith(b"//", i):
            k = src.find(b"\n", i)
            i = n if k < 0 else k + 1
        elif src.startswith(b"/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith(b"/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith(b"*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == 0x22:
            i = _skip_string(src, i)
        elif c == 0x27:  # char literal or lifetime
            m = CHAR.match(src, i)
            if m:
                i = m.end()
            else:  # a lifetime or label: the quote then the identifier
                i += 1
        elif c == 0x5F or chr(c).isalpha() or c >= 0x80:
            # raw strings r"…" / r#"…"#, byte strings b"…", br"…", byte chars b'…'
            if c == 0x72 or src.startswith(b"br", i):
                end = _skip_raw_string(src, i if c == 0x72 else i + 1)
                if end is not None:
                    i = end
                    continue
            if c == 0x62 and i + 1 < n and src[i + 1] == 0x22:
                i = _skip_string(src, i + 1)
                continue
            if c == 0x62 and i + 1 < n and src[i + 1] == 0x27:
                m = BYTE_CHAR.match(src, i + 1)
                if m:
                    i = m.end()
                    continue
            j = i
            while j < n and (src[j] == 0x5F or chr(src[j]).isalnum() or src[j] >= 0x80):
                j += 1
            if i >= 2 and src[i - 2 : i] == b"r#":
                out.append((i - 2, j, src[i - 2 : j]))  # a raw identifier: never a keyword
            else:
                out.append((i, j, src[i:j]))
            i = j
        elif chr(c).isdigit():
            j = i
            while j < n and (src[j] == 0x5F or chr(src[j]).isalnum()):
                j += 1
            i = j
        else:
            out.append((i, i + 1, src[i : i + 1]))
            i += 1
    return out


def visibilities(toks: list[tuple[int, int, bytes]]) -> list[tuple[int, int, str]]:
    """Every visibility as (start, end, "pub" | "pub(crate)" | "other"), `end` after it."""
    out = []
    for k, (s, e, t) in enumerate(toks):
        if t != b"pub":
            continue
        if k + 1 < len(toks) and toks[k + 1][2] == b"(":
            if k + 3 < len(toks) and toks[k + 2][2] == b"crate" and toks[k + 3][2] == b")":
                out.append((s, toks[k + 3][1], "pub(crate)", k + 4))
            else:
                out.append((s, e, "other", k + 1))
        else:
            out.append((s, e, "pub", k + 1))
    return out


# ---------------------------------------------------------------------------------------------
# 1. rewrite


def binary_files() -> set[Path]:
    """src/main.rs and the modules it declares (`mod cli;` → src/cli.rs or src/cli/**)."""
    main = SRC / "main.rs"
    files = {main}
    for name in re.findall(rb"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", main.read_bytes()):
        name = name.decode()
        files.add(SRC / f"{name}.rs")
        files.update((SRC / name).rglob("*.rs"))
    return files


def library_files() -> list[Path]:
    skip = binary_files()
    return sorted(p for p in SRC.rglob("*.rs") if p not in skip)


def rewrite() -> int:
    changed = 0
    for path in library_files():
        src = path.read_bytes()
        vis = [v for v in visibilities(tokens(src)) if v[2] == "pub"]
        if not vis:
            continue
        out, last = [], 0
        for s, e, _, _ in vis:
            out.append(src[last:e])
            out.append(b"(crate)")
            last = e
        out.append(src[last:])
        path.write_bytes(b"".join(out))
        changed += len(vis)
    print(f"rewrite: {changed} `pub` → `pub(crate)`", file=sys.stderr)
    return changed


# ---------------------------------------------------------------------------------------------
# 2. restore


def cargo() -> list[dict]:
    """The diagnostics of `cargo check --workspace --all-targets -j 1`, each with its target's
    kind and whether that unit was compiled as a test (the library's unit tests)."""
    if not os.environ.get("CARGO_TARGET_DIR"):
        sys.exit("set CARGO_TARGET_DIR (the build machine's rule: one warm target dir per worktree)")
    cmd = ["cargo", "check", "--workspace", "--all-targets", "-j", "1", "--message-format=json"]
    run = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # With one job, each unit's messages come before its artifact, which says whether the unit
    # was compiled as a test or not.
    messages, pending = [], []
    for line in run.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-message":
            msg["message"]["target_kind"] = msg["target"]["kind"]
            pending.append(msg["message"])
        elif msg.get("reason") == "compiler-artifact":
            for m in pending:
                m["test"] = msg["profile"]["test"]
            messages += pending
            pending = []
    return messages + pending


def _spans(diag: dict):
    for span in diag.get("spans", []):
        yield diag.get("message", ""), span
    for child in diag.get("children", []):
        yield from _spans(child)


DEF_NOTE = re.compile(r"defined here|only usable at visibility|is private, and cannot be re-exported"
                      r"|consider marking|declared private|is only usable")


def definition_spans(diag: dict) -> list[tuple[Path, int, int]]:
    """(file, byte_start, byte_end) of the definitions a privacy diagnostic names."""
    out = []
    for message, span in _spans(diag):
        label = span.get("label") or ""
        if not (DEF_NOTE.search(message) or DEF_NOTE.search(label)):
            continue
        # A span inside a macro expansion: the definition is where the macro was written.
        while span.get("expansion") and not (ROOT / span["file_name"]).resolve().is_relative_to(SRC):
            span = span["expansion"]["span"]
        path = (ROOT / span["file_name"]).resolve()
        if path.is_relative_to(SRC) and path not in binary_files():
            out.append((path, span["byte_start"], span["byte_end"]))
    return out


FIELD_MSG = re.compile(r"fields? (.*) of (?:struct|union) `(?:[\w:]+::)?(\w+)(?:<[^`]*>)?` (?:is|are) private")


def field_definitions(diag: dict) -> list[tuple[Path, int, int]]:
    """E0616/E0451 name the field and its struct but no span of the definition: find it."""
    m = FIELD_MSG.search(diag.get("message", ""))
    if not m:
        return []
    fields = {f.encode() for f in re.findall(r"`(\w+)`", m.group(1))}
    struct = m.group(2).encode()
    out = []
    for path in library_files():
        src = path.read_bytes()
        toks = tokens(src)
        for k, (_, _, t) in enumerate(toks):
            if t != b"struct" or k + 1 >= len(toks) or toks[k + 1][2] != struct:
                continue
            # the body: the first `{` at depth 0 after the name (generics may come first)
            j, depth = k + 2, 0
            while j < len(toks) and not (toks[j][2] == b"{" and depth == 0):
                depth += toks[j][2] == b"<"
                depth -= toks[j][2] == b">"
                if toks[j][2] == b";":
                    break
                j += 1
            if j >= len(toks) or toks[j][2] != b"{":
                continue
            level = 0
            for jj in range(j, len(toks)):
                tt = toks[jj][2]
                level += tt in (b"{", b"(", b"[")
                level -= tt in (b"}", b")", b"]")
                if level == 0:
                    break
                if level == 1 and tt in fields and jj + 1 < len(toks) and toks[jj + 1][2] == b":":
                    out.append((path, toks[jj][0], toks[jj][1]))
    return out


def module_of(path: Path) -> list[str]:
    """The library module path of a file: src/plan/mod.rs → [plan], src/plan/diff.rs → [plan, diff]."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return parts


def module_file(module: list[str]) -> Path | None:
    if not module:
        return SRC / "lib.rs"
    for candidate in (SRC.joinpath(*module).with_suffix(".rs"), SRC.joinpath(*module, "mod.rs")):
        if candidate.exists():
            return candidate
    return None


ITEM_KEYWORDS = {b"struct", b"enum", b"fn", b"type", b"trait", b"const", b"static", b"mod",
                 b"union", b"async", b"unsafe", b"extern", b"\"C\""}


def reexported_definitions(diag: dict) -> list[tuple[Path, int, int]]:
    """E0364/E0365 (`X` is only public within the crate, and cannot be re-exported outside) name
    the re-export but not the definition: the `use` path is followed to the module that
    defines (or itself re-exports) the name."""
    out = []
    for span in diag.get("spans", []):
        if not span.get("is_primary"):
            continue
        path = (ROOT / span["file_name"]).resolve()
        if not path.is_relative_to(SRC):
            continue
        src = path.read_bytes()
        toks = tokens(src)
        at = max(k for k, t in enumerate(toks) if t[0] <= span["byte_start"])
        start = max(k for k in range(at + 1) if toks[k][2] == b"use")
        # The use tree from `use` to the span: the prefix at the span's position.
        stack, current = [], []
        for k in range(start + 1, len(toks)):
            s, e, t = toks[k]
            if s >= span["byte_end"]:
                break
            if t == b"{":
                stack.append(list(current))
            elif t == b",":
                current = list(stack[-1]) if stack else []
            elif t == b"}":
                current = stack.pop() if stack else []
            elif t not in (b":", b"as") and not t.startswith(b"::"):
                current.append(t.decode())
        if not current:
            continue
        *segments, name = current
        module = module_of(path)
        if segments and segments[0] == "crate":
            module, segments = [], segments[1:]
        while segments and segments[0] in ("self", "super"):
            if segments.pop(0) == "super":
                module = module[:-1]
        target = module_file(module + segments)
        if target is None:
            continue
        tsrc = target.read_bytes()
        ttoks = tokens(tsrc)
        for s, e, kind, k in visibilities(ttoks):
            if kind != "pub(crate)":
                continue
            j = k
            while j < len(ttoks) and ttoks[j][2] in ITEM_KEYWORDS:
                j += 1
            if j < len(ttoks) and ttoks[j][2] == name.encode() and j > k:
                out.append((target, ttoks[j][0], ttoks[j][1]))
            elif k < len(ttoks) and ttoks[k][2] == b"use":
                # a re-export of the name: `pub(crate) use x::{…, Name, …};`
                j = k
                while j < len(ttoks) and ttoks[j][2] != b";":
                    if ttoks[j][2] == name.encode() and ttoks[j + 1][2] in (b",", b"}", b";"):
                        out.append((target, ttoks[j][0], ttoks[j][1]))
                    j += 1
    return out


def owner(src: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The `pub(crate)` of the item whose definition spans [start, end): the first within the
    span, else the last before it with only the item's header between (no `;`, and no braces
    unless it is a `use`)."""
    toks = tokens(src)
    vis = [v for v in visibilities(toks) if v[2] == "pub(crate)"]
    inside = [v for v in vis if start <= v[0] < end]
    if inside:
        first = inside[0]
        between = [t for (s, _, t) in toks if start <= s < first[0]]
        if not any(t in (b";", b"{", b"}") for t in between):
            return first[0], first[1]
    before = [v for v in vis if v[1] <= start]
    if not before:
        return None
    s, e, _, k = before[-1]
    is_use = k < len(toks) and toks[k][2] == b"use"
    for (ts, _, t) in toks[k:]:
        if ts >= start:
            break
        if t == b";" or (t in (b"{", b"}") and not is_use):
            return None
    return s, e


def restore_round() -> tuple[int, list[str]]:
    """One compile; restores what its privacy diagnostics name. (restored, unhandled)"""
    targets: dict[Path, set[tuple[int, int]]] = {}
    unhandled = []
    errors = 0
    for diag in cargo():
        code = (diag.get("code") or {}).get("code")
        if diag.get("level") == "error":
            errors += 1
        if code not in PRIVACY_ERRORS and code not in PRIVACY_LINTS:
            if diag.get("level") == "error" and not diag["message"].startswith("aborting"):
                unhandled.append(diag.get("rendered") or diag["message"])
            continue
        defs = definition_spans(diag)
        if code in ("E0616", "E0451"):
            defs += field_definitions(diag)
        if code in ("E0364", "E0365"):
            defs += reexported_definitions(diag)
        found = False
        for path, s, e in defs:
            src = path.read_bytes()
            o = owner(src, s, e)
            if o:
                targets.setdefault(path, set()).add(o)
                found = True
        if not found:
            unhandled.append(diag.get("rendered") or diag["message"])
    restored = 0
    for path in sorted(targets):
        src = path.read_bytes()
        for s, e in sorted(targets[path], reverse=True):
            assert src[s:e].replace(b" ", b"") == b"pub(crate)", (path, s, src[s:e])
            src = src[:s] + b"pub" + src[e:]
            restored += 1
        path.write_bytes(src)
    print(f"restore: {errors} errors, {restored} `pub` restored", file=sys.stderr)
    return restored, unhandled


XTASK = ROOT / "xtask" / "src"


def xtask_includes() -> int:
    """xtask compiles some library files as its own modules (`#[path = "…/src/x.rs"] mod m;`):
    what it reads of them (`m::NAME`) is `pub`, with the library modules on the way to the file,
    or the library would see it as dead outside tests. No compiler error says so: found here."""
    restored = 0
    for xfile in sorted(XTASK.rglob("*.rs")):
        text = xfile.read_text()
        for rel, module in re.findall(r'#\[path = "([^"]+)"\](?:\s*#\[[^\]]*\])*\s*mod (\w+);', text):
            target = (xfile.parent / rel).resolve()
            if not target.is_relative_to(SRC):
                continue
            names = set(re.findall(rf"\b{module}::(\w+)", text))
            chain = module_of(target)
            wanted = [(module_file(chain[:i]), chain[i].encode(), {b"mod"}) for i in range(len(chain))]
            wanted += [(target, name.encode(), ITEM_KEYWORDS - {b"mod"}) for name in sorted(names)]
            for path, name, kinds in wanted:
                if path is None:
                    continue
                src = path.read_bytes()
                toks = tokens(src)
                for s, e, kind, k in reversed(visibilities(toks)):
                    j = k
                    while j < len(toks) and toks[j][2] in ITEM_KEYWORDS:
                        j += 1
                    keywords = {t for (_, _, t) in toks[k:j]}
                    if kind == "pub(crate)" and j < len(toks) and toks[j][2] == name and keywords & kinds:
                        src = src[:s] + b"pub" + src[e:]
                        restored += 1
                path.write_bytes(src)
    print(f"restore: {restored} `pub` restored for what xtask includes", file=sys.stderr)
    return restored


def restore() -> bool:
    xtask_includes()
    rounds = 0
    while True:
        rounds += 1
        restored, unhandled = restore_round()
        if restored == 0:
            for text in unhandled:
                print(text, file=sys.stderr)
            print(f"restore: done after {rounds} rounds; {len(unhandled)} diagnostics not handled",
                  file=sys.stderr)
            return not unhandled


# ---------------------------------------------------------------------------------------------
# 3. report


def dead_code(messages: list[dict], test: bool) -> set[str]:
    lines = set()
    for diag in messages:
        if (diag.get("code") or {}).get("code") != "dead_code" or "lib" not in diag["target_kind"]:
            continue
        if diag.get("test") != test:
            continue
        for span in diag.get("spans", []):
            if span.get("is_primary"):
                name = span["text"][0]["text"][span["text"][0]["highlight_start"] - 1:
                                               span["text"][0]["highlight_end"] - 1]
                lines.add(f"{span['file_name']}:{span['line_start']}: `{name}` ({diag['message']})")
    return lines


def report() -> None:
    """Dead code of the library, in two lists: unused even by the unit tests (delete), and used
    only by them (`#[cfg(test)]`)."""
    messages = cargo()
    production = dead_code(messages, test=False)
    with_tests = dead_code(messages, test=True)
    unused = {line.split(" (")[0] for line in with_tests}
    tests_only = sorted(line for line in production if line.split(" (")[0] not in unused)
    for line in sorted(with_tests):
        print(f"unused: {line}")
    for line in tests_only:
        print(f"tests only: {line}")
    print(f"report: {len(with_tests)} unused, {len(tests_only)} used only by unit tests",
          file=sys.stderr)


def fmt() -> None:
    """`cargo xtask fmt`: lines that grew by `(crate)` are wrapped again."""
    subprocess.run(["cargo", "xtask", "fmt"], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    steps = argv[1:] or ["rewrite", "restore", "fmt", "report"]
    ok = True
    for step in steps:
        if step == "rewrite":
            rewrite()
        elif step == "restore":
            ok = restore() and ok
        elif step == "fmt":
            fmt()
        elif step == "report":
            report()
        else:
            print(__doc__, file=sys.stderr)
            return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
