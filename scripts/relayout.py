#!/usr/bin/env python3
"""Move the flat ``qa`` package into stage packages and rewrite every reference to the moved modules.

Run once, from the repository root, on a clean work tree (everything committed)::

    python3 scripts/relayout.py            # moves (git mv), rewrites, stages the changes; then review and commit
    python3 scripts/relayout.py --dry-run  # prints what it would move, changes nothing

It refuses to run twice (a stage folder exists) or on a dirty tree. Stopped part-way, it is undone
with ``git reset --hard && git clean -fd qa``. Afterwards reinstall (``pip install -e .``) so that the
``qa`` command points at ``qa.apps.cli:main``.

The target layout (``TARGET``) puts each module in the stage it belongs to; data flows one way,
``modeling`` -> ``ingest`` -> ``store`` -> ``answer`` -> ``pipeline`` -> ``eval`` -> ``train`` ->
``apps`` (``tests/test_architecture.py`` checks it)::

    qa/modeling/  hf.py base_encoder.py        model loading shared by every stage
    qa/ingest/    loading/ splitting.py        files -> documents -> passages
    qa/store/     index.py keywords.py embedding.py int8.py families.py   passages -> vectors, BM25, the index
    qa/answer/    retrieval.py reading.py verify.py followup.py questions.py roles.py citing.py
    qa/pipeline.py                             build_index (ingest -> store) and QA (store -> answer)
    qa/cluster.py                              the Ray backend of indexing (load, split, embed)
    qa/eval/      evaluation.py report.py squad.py
    qa/train/     training.py distill.py
    qa/apps/      cli.py webapp.py server.py serving.py accounts.py discovery.py   what people run
    qa/models/ qa/data/                        shipped files, where they are

A module moves under its own name (``qa.reading`` becomes ``qa.answer.reading``), so every
reference is a prefix rewrite: ``import``/``from`` lines (absolute; relative ones whose meaning
would change are made absolute), ``qa.reading.X`` attribute chains where ``qa`` is the package,
dotted names and ``qa/...`` paths in strings and comments of Python files (``mock.patch("qa.reading.Y")``,
``monkeypatch.setattr("qa.pipeline.X", ...)``, ``:mod:`qa.int8```) and in the project's text files
(README, ``pyproject.toml``'s ``qa = "qa.cli:main"``, shell scripts: ``python -m qa.cli``). In a
moved module, ``Path(__file__).parent...`` chains that leave its old folder get one more ``.parent``.

Modules this script does not know: a new file or folder inside ``qa/loading`` moves with the
folder; a new module at the top of ``qa`` is left where it is, with a warning (add it to
``TARGET`` and run again from a clean checkout, or move it by hand). Data folders (``tests/data``,
``seeds``, ``bench/data``) are not touched.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

PACKAGE = "qa"

# stage package -> what it holds (docstring of its __init__.py)
STAGES = {
    "modeling": "Model loading shared by every stage: Hugging Face models, the base encoder's parts.",
    "ingest": "Ingest: files into documents (loading) and documents into passages (splitting).",
    "store": "Store: passages into vectors (embedding, int8) and the index that keeps them (index, keywords).",
    "answer": "Answer: a question into spans: retrieval, reading, answer checks and follow-up questions.",
    "eval": "Evaluation: EM, F1, no-answer accuracy, recall@k; SQuAD files; HTML reports.",
    "train": "Training readers: fine-tuning, LoRA, distillation.",
    "apps": "What people run: the command line, the chat page, the REST server.",
}

# name inside qa/ (a module file or a package folder) -> stage package it moves into
TARGET = {
    "hf.py": "modeling",
    "base_encoder.py": "modeling",
    "loading": "ingest",
    "splitting.py": "ingest",
    "index.py": "store",
    "keywords.py": "store",
    "embedding.py": "store",
    "int8.py": "store",
    "families.py": "store",  # near-duplicate document families (branch textkinds)
    "retrieval.py": "answer",
    "reading.py": "answer",
    "verify.py": "answer",
    "followup.py": "answer",
    "questions.py": "answer",
    "roles.py": "answer",
    "citing.py": "answer",  # how answers name their source (branch serve)
    "evaluation.py": "eval",
    "report.py": "eval",
    "squad.py": "eval",
    "training.py": "train",
    "distill.py": "train",
    "cli.py": "apps",
    "webapp.py": "apps",
    "server.py": "apps",  # the REST server and what serves it (branch serve)
    "serving.py": "apps",
    "accounts.py": "apps",
    "discovery.py": "apps",
}

# names inside qa/ that stay where they are
STAY = {"__init__.py", "pipeline.py", "cluster.py", "models", "data", "py.typed", "__pycache__"} | set(STAGES)

TEXT_SUFFIXES = {".md", ".rst", ".toml", ".cfg", ".ini", ".sh", ".yml", ".yaml"}
TEXT_NAMES = {"Dockerfile", "Makefile", "Procfile"}
DATA_DIRS = {"data", "seeds", "fixtures", ".git", ".venv"}


def run(*cmd: str) -> str:
    """Run a command in the current folder; its standard output (raises on failure)."""
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def module_name(item: str) -> str:
    """``loading`` or ``reading.py`` -> ``loading`` / ``reading``."""
    return item.removesuffix(".py")


def plan(root: Path) -> tuple[dict[str, str], list[str]]:
    """What moves: ``{old dotted name: new dotted name}`` for the top-level names found, and warnings."""
    pkg = root / PACKAGE
    renames: dict[str, str] = {}
    warnings = []
    for entry in sorted(pkg.iterdir()):
        name = entry.name
        if name in STAY or name.startswith("."):
            continue
        if name in TARGET:
            renames[f"{PACKAGE}.{module_name(name)}"] = f"{PACKAGE}.{TARGET[name]}.{module_name(name)}"
        elif entry.suffix == ".py" or (entry.is_dir() and (entry / "__init__.py").exists()):
            warnings.append(f"warning: {PACKAGE}/{name} is not in relayout.TARGET: left where it is "
                            "(move it by hand, or add it to TARGET and run again from a clean checkout)")
        elif entry.is_dir() or entry.suffix != ".pyc":
            warnings.append(f"warning: {PACKAGE}/{name} is not a module this script knows: left where it is")
    return renames, warnings


class Renamer:
    """Rewrites dotted module names and ``qa/...`` paths after the moves in ``renames``."""

    def __init__(self, renames: dict[str, str]):
        self.renames = renames
        olds = sorted((old.split(".", 1)[1] for old in renames), key=len, reverse=True)
        alternatives = "|".join(re.escape(o) for o in olds)
        self.dotted = re.compile(rf"(?<![\w.]){PACKAGE}\.({alternatives})(?![\w])")
        self.path = re.compile(rf"(?<![\w.-]){PACKAGE}/({alternatives})(?=/|\.py\b|(?![\w.-]))")

    def module(self, name: str) -> str:
        """The new dotted name of module ``name`` (unchanged when it did not move)."""
        for old, new in self.renames.items():
            if name == old or name.startswith(old + "."):
                return new + name[len(old):]
        return name

    def text(self, text: str) -> str:
        """Dotted names and paths of moved modules rewritten in free text."""
        text = self.dotted.sub(lambda m: self.module(f"{PACKAGE}.{m.group(1)}"), text)
        return self.path.sub(lambda m: self.module(f"{PACKAGE}.{m.group(1)}").replace(".", "/"), text)


def _offsets(source: str) -> list[int]:
    """Character offset of the start of each line (1-based index: ``_offsets(s)[lineno]``)."""
    starts = [0, 0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _char_col(lines: list[str], lineno: int, byte_col: int) -> int:
    """The character column of an AST node's UTF-8 byte column."""
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module a ``from .x import y`` in ``module`` names."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    here = here[: len(here) - (level - 1)]
    return ".".join(here + ([target] if target else []))


def rewrite_python(source: str, renamer: Renamer, old_module: str | None, new_module: str | None,
                   is_package: bool, known: set[str]) -> tuple[str, list[str]]:
    """``source`` with references to moved modules rewritten; and warnings.

    ``old_module``/``new_module``: this file's dotted name before and after the move (None
    outside the package); ``known``: every module of the package before the move.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = _offsets(source)
    edits: list[tuple[int, int, str]] = []
    warnings: list[str] = []

    def span(node: ast.AST) -> tuple[int, int]:
        a = starts[node.lineno] + _char_col(lines, node.lineno, node.col_offset)
        b = starts[node.end_lineno] + _char_col(lines, node.end_lineno, node.end_col_offset)
        return a, b

    binds_package = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.asname is None and (a.name == PACKAGE or a.name.startswith(PACKAGE + "."))
                   for a in node.names):
                binds_package = True
            if any(renamer.module(a.name) != a.name for a in node.names):
                a, b = span(node)
                edits.append((a, b, renamer.dotted.sub(
                    lambda m: renamer.module(f"{PACKAGE}.{m.group(1)}"), source[a:b])))
        elif isinstance(node, ast.ImportFrom):
            a, b = span(node)
            edit = _rewrite_from(node, renamer, old_module, new_module, is_package, known, source[a:b])
            if edit is not None:
                indent = lines[node.lineno - 1][: len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())]
                edits.append((a, b, edit.replace("\n", "\n" + indent)))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == PACKAGE
                and renamer.module(f"{PACKAGE}.{node.attr}") != f"{PACKAGE}.{node.attr}"):
            if binds_package:
                a, b = span(node)
                edits.append((a, b, renamer.module(f"{PACKAGE}.{node.attr}")))
            else:
                warnings.append(f"line {node.lineno}: {PACKAGE}.{node.attr} where {PACKAGE} is not the "
                                "package: left as it is")
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            new = renamer.text(tok.string)
            if new != tok.string:
                a = starts[tok.start[0]] + tok.start[1]
                b = starts[tok.end[0]] + tok.end[1]
                edits.append((a, b, new))
    edits.sort()
    out, at = [], 0
    for a, b, new in edits:
        if a < at:
            warnings.append(f"overlapping rewrites at character {a}: the second left out")
            continue
        out.append(source[at:a])
        out.append(new)
        at = b
    out.append(source[at:])
    return "".join(out), warnings


def _rewrite_from(node: ast.ImportFrom, renamer: Renamer, old_module: str | None, new_module: str | None,
                  is_package: bool, known: set[str], source: str | None = None) -> str | None:
    """The new text of a ``from ... import ...`` statement (``source``: its text), or None when it
    stays as it is."""
    if node.level:
        if old_module is None:
            return None
        base = _resolve_relative(old_module, is_package, node.level, node.module)
    else:
        base = node.module or ""
    if base != PACKAGE and not base.startswith(PACKAGE + "."):
        return None
    groups: dict[str, list[ast.alias]] = {}
    for alias in node.names:
        full = f"{base}.{alias.name}"
        target = renamer.module(full).rpartition(".")[0] if full in known else renamer.module(base)
        groups.setdefault(target, []).append(alias)
    if node.level:
        assert new_module is not None
        still = _resolve_relative(new_module, is_package, node.level, node.module)
        if list(groups) == [still] and renamer.module(base) == still:
            return None  # the relative import means the same after the move
    elif list(groups) == [base]:
        return None
    elif list(groups) == [renamer.module(base)] and source is not None:
        # only the module moved: keep the statement's own layout and comments
        return renamer.dotted.sub(lambda m: renamer.module(f"{PACKAGE}.{m.group(1)}"), source)
    statements = []
    for target, aliases in groups.items():
        names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in aliases)
        line = f"from {target} import {names}"
        if len(line) > 110:
            line = f"from {target} import (\n    " + ",\n    ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in aliases) + ",\n)"
        statements.append(line)
    return "\n".join(statements)


_PARENTS = re.compile(r"Path\(__file__\)(\.resolve\(\))?((?:\.parent\b)+|\.parents\[(\d+)\])")


def fix_file_paths(source: str, depth_inside: int, delta: int) -> tuple[str, list[str]]:
    """``Path(__file__).parent`` chains that leave the moved folder (more than ``depth_inside``
    levels up) go ``delta`` levels further; other uses of ``__file__`` are reported."""
    def sub(m: re.Match) -> str:
        ups = int(m.group(3)) + 1 if m.group(3) is not None else m.group(2).count(".parent")
        if ups <= depth_inside:
            return m.group(0)
        ups += delta
        tail = f".parents[{ups - 1}]" if m.group(3) is not None else ".parent" * ups
        return f"Path(__file__){m.group(1) or ''}{tail}"

    new = _PARENTS.sub(sub, source)
    warnings = []
    rest = _PARENTS.sub("", new)
    if "__file__" in rest:
        warnings.append("uses __file__ in a way this script does not rewrite: check its paths")
    return new, warnings


def tracked_files() -> list[Path]:
    """The files git tracks, as paths relative to the repository root."""
    return [Path(p) for p in run("git", "ls-files", "-z").split("\0") if p]


def is_text_target(path: Path) -> bool:
    """A project text file whose module references are rewritten (not data, not this script)."""
    if any(part in DATA_DIRS for part in path.parts[:-1]):
        return False
    if path.resolve() == Path(__file__).resolve():
        return False
    if path.suffix == ".py" or path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
        return True
    if path.suffix:
        return False
    with open(path, "rb") as f:  # an executable script without a suffix (.ci/run)
        return f.read(2) == b"#!"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the plan; move and change nothing")
    ap.add_argument("--allow-dirty", action="store_true", help="run even with uncommitted changes (tests)")
    args = ap.parse_args(argv)
    root = Path.cwd()
    if not (root / PACKAGE / "__init__.py").exists() or not (root / "pyproject.toml").exists():
        print(f"run from the repository root (no {PACKAGE}/__init__.py or pyproject.toml here)", file=sys.stderr)
        return 2
    done = [s for s in STAGES if (root / PACKAGE / s).exists()]
    if done:
        print(f"already laid out ({', '.join(f'{PACKAGE}/{s}' for s in done)} exist): nothing to do", file=sys.stderr)
        return 1
    if not args.allow_dirty and not args.dry_run and run("git", "status", "--porcelain", "--untracked-files=all"):
        print("the work tree has uncommitted changes: commit or stash them first", file=sys.stderr)
        return 1
    renames, warnings = plan(root)
    if not renames:
        print("nothing to move", file=sys.stderr)
        return 1
    known = _modules(root / PACKAGE)
    for w in warnings:
        print(w)
    for old, new in renames.items():
        suffix = "" if (root / Path(*old.split("."))).is_dir() else ".py"
        print(f"move {old.replace('.', '/')}{suffix} -> {new.replace('.', '/')}{suffix}")
    if args.dry_run:
        return 0

    for stage in sorted({new.split(".")[1] for new in renames.values()}):
        folder = root / PACKAGE / stage
        folder.mkdir()
        (folder / "__init__.py").write_text(f'"""{STAGES[stage]}"""\n', encoding="utf-8")
        run("git", "add", str(folder / "__init__.py"))
    moved_files: dict[Path, tuple[str, str, bool, int]] = {}  # new path -> (old module, new module, package?, depth)
    for old, new in renames.items():
        src = root / Path(*old.split("."))
        src = src if src.is_dir() else src.with_suffix(".py")
        dest = root / Path(*new.split("."))
        dest = dest if src.is_dir() else dest.with_suffix(".py")
        tracked = run("git", "ls-files", "-z", "--", str(src.relative_to(root))).split("\0")
        if src.is_dir():
            for f in [Path(t) for t in tracked if t.endswith(".py")]:
                inner = f.relative_to(src.relative_to(root))
                mod = ".".join(inner.with_suffix("").parts)
                is_pkg = f.name == "__init__.py"
                mod = mod.removesuffix("__init__").rstrip(".")
                old_mod = old + ("." + mod if mod else "")
                new_mod = new + ("." + mod if mod else "")
                moved_files[dest.relative_to(root) / inner] = (old_mod, new_mod, is_pkg, len(inner.parts))
        else:
            moved_files[dest.relative_to(root)] = (old, new, False, 0)
        run("git", "mv", str(src.relative_to(root)), str(dest.relative_to(root)))
        if src.is_dir():
            shutil.rmtree(src, ignore_errors=True)  # what git did not track: caches
    renamer = Renamer(renames)
    changed = []
    for path in tracked_files():
        if not path.is_file() or not is_text_target(path):
            continue
        source = path.read_text(encoding="utf-8")
        notes: list[str] = []
        if path.suffix == ".py":
            old_mod, new_mod, is_pkg, depth = moved_files.get(path, (None, None, False, 0))
            if old_mod is None and path.parts[0] == PACKAGE:
                parts = list(path.with_suffix("").parts)
                is_pkg = parts[-1] == "__init__"
                old_mod = new_mod = ".".join(parts[:-1] if is_pkg else parts)
            try:
                new_source, notes = rewrite_python(source, renamer, old_mod, new_mod, is_pkg, known)
            except SyntaxError as e:
                print(f"warning: {path}: not valid Python ({e.msg}); rewritten as text")
                new_source = renamer.text(source)
            if path in moved_files:
                new_source, more = fix_file_paths(new_source, depth, 1)
                notes += more
            elif re.search(r"\b(?!qa\b)\w+\.__file__", new_source):
                notes.append("takes a module's __file__: check the paths it builds from it")
        else:
            new_source = renamer.text(source)
        for note in notes:
            print(f"warning: {path}: {note}")
        if new_source != source:
            path.write_text(new_source, encoding="utf-8")
            changed.append(path)
    sort_imports([p for p in changed if p.suffix == ".py"])
    if changed:
        run("git", "add", "--", *map(str, changed))
    print(f"rewrote references in {len(changed)} files; changes staged. Next: ruff check ., pytest, git commit")
    return 0


def sort_imports(files: list[Path]) -> None:
    """Put the rewritten import blocks back in order (ruff's isort rule, I001), where ruff is installed."""
    ruff = shutil.which("ruff") or next((str(p) for p in (Path(".venv/bin/ruff"), Path(sys.executable).parent / "ruff")
                                         if p.exists()), None)
    if not files:
        return
    if ruff is None:
        print("warning: ruff not found: run 'ruff check --select I001 --fix .' to sort the rewritten imports")
        return
    subprocess.run([ruff, "check", "--quiet", "--select", "I001", "--fix", "--", *map(str, files)], check=False)


def _modules(pkg: Path) -> set[str]:
    """Every module (and package) of ``pkg`` as a dotted name."""
    out = set()
    for f in pkg.rglob("*.py"):
        parts = list(f.relative_to(pkg.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.add(".".join(parts))
    return out


if __name__ == "__main__":
    sys.exit(main())
