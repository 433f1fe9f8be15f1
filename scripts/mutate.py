"""Mutation testing of one module with the standard library only: would the tests notice if the code were wrong?

Each mutant is one small change to the module: a flipped comparison (``==``/``!=``, ``<``/``<=``, ``>``/``>=``,
``in``/``not in``, ``is``/``is not``), ``and`` for ``or`` and back, a dropped ``not``, an integer constant one up or
one down (``limit(1)`` -> ``limit(0)``; ``-1`` counts as one constant), ``True`` for ``False`` and back,
``.is_()`` for ``.is_not()`` and ``and_()`` for ``or_()`` (SQLAlchemy), and back. f-strings are left alone. The
mutant is written over the module, the given tests run (``pytest -x``), and the original is written back — always,
also on Ctrl+C or SIGTERM, and checked to be byte-identical (and its mtime restored) before the next mutant. A
mutant is *killed* when the tests fail (or time out twice: the second time with twice the time), and *survives*
when they pass.

Usage (from the repository root):

    .venv/bin/python scripts/mutate.py MODULE TEST [TEST ...] [-f FUNCTION ...] [-k EXPR]
        [--timeout SECONDS] [--equivalents FILE] [--copy] [--list] [--fail-under PERCENT] [-v]

    MODULE          the file to mutate, e.g. engine/access.py
    TEST            test files or node ids given to pytest
    -f FUNCTION     only mutants inside these functions (a class method is Class.method; repeatable)
    -k EXPR         passed to pytest, to run only the tests that cover the module
    --equivalents   known-equivalent mutants, one per line: ``path:line:description | reason``; they are run
                    and listed separately as "equivalent (excluded)", never counted and never hidden
                    (default: scripts/mutation_equivalents.txt)
    --copy          mutate a private copy of the checkout (without .git, .venv, node_modules, instance and
                    caches) instead of the working tree, so that nobody else working in it ever sees a mutant
    --list          only list the mutants
    --only KEY      run only this mutant (``line:description`` or ``path:line:description``, as listed; repeatable),
                    e.g. to check that new tests kill the survivors of a full run

Tests run on SQLite only (TEST_DATABASE_URL is removed from their environment) and never write bytecode, so a
mutant cannot leave a stale .pyc behind. The exit status is 1 when the baseline fails or the score is below
--fail-under, 0 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.txt"

_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_OP_TEXT: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}
_METHOD_SWAPS = {"is_": "is_not", "is_not": "is_", "isnot": "is_"}  # SQLAlchemy IS NULL / IS NOT NULL
_CALL_SWAPS = {"and_": "or_", "or_": "and_"}  # SQLAlchemy conjunctions


@dataclass
class Mutant:
    function: str  # outermost enclosing function (Class.method), or "<module>"
    line: int
    description: str
    start: int  # byte offsets of the replaced source span
    end: int
    replacement: bytes
    context: str = ""  # the original source line, for the report
    status: str = ""  # killed | timeout | survived | skipped
    detail: str = ""

    def key(self, module: str) -> str:
        return f"{module}:{self.line}:{self.description}"


# -- finding mutants ---------------------------------------------------------------------------------------

class _Finder(ast.NodeVisitor):
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.scope: list[str] = []
        self.found: list[Mutant] = []

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col  # ast columns are UTF-8 byte offsets

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def add(self, node: ast.AST, description: str, replacement: bytes, span_of: ast.AST | None = None) -> None:
        start, end = self.span(span_of or node)
        line = node.lineno  # type: ignore[attr-defined]
        function = self.scope[0] if self.scope else "<module>"
        context = self.lines[line - 1].decode("utf-8", "replace").strip()
        self.found.append(Mutant(function, line, description, start, end, replacement, context))

    def add_unparsed(self, node: ast.AST, mutated: ast.AST, description: str) -> None:
        self.add(node, description, b"(" + ast.unparse(mutated).encode() + b")")

    # Scopes: a mutant belongs to its outermost function; a method is Class.method.
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, name: str, method: bool = False) -> None:
        outer = list(self.scope)
        if not self.scope or method:
            self.scope = [name]
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_arguments(node.args)
        for stmt in node.body:
            self.visit(stmt)
        self.scope = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        if self.scope:  # a class inside a function: part of that function
            for stmt in node.body:
                self.visit(stmt)
            return
        self.scope = [node.name]
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, f"{node.name}.{stmt.name}", method=True)
                self.scope = [node.name]
            else:
                self.visit(stmt)
        self.scope = []

    def _visit_arguments(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)  # annotations are skipped: with postponed evaluation they never run

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, node.name)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node, node.name)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # f-string positions are unreliable before Python 3.12: leave them alone

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            flipped = _FLIPS.get(type(op))
            if flipped is None:
                continue
            mutated = copy.deepcopy(node)
            mutated.ops[i] = flipped()
            self.add_unparsed(node, mutated, f"{_OP_TEXT[type(op)]} -> {_OP_TEXT[flipped]}")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        mutated = copy.deepcopy(node)
        mutated.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self.add_unparsed(node, mutated, "and -> or" if isinstance(node.op, ast.And) else "or -> and")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        operand = node.operand
        if isinstance(node.op, ast.USub) and isinstance(operand, ast.Constant) and type(operand.value) is int:
            for new in (-operand.value + 1, -operand.value - 1):  # -1 is one constant: -1 -> 0, -1 -> -2
                self.add(node, f"-{operand.value} -> {new}", f"({new})".encode())
            return
        if isinstance(node.op, ast.Not):
            start, end = self.span(node.operand)
            self.add(node, "remove not", b"(" + self.source[start:end] + b")")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self.add(node, f"{value} -> {not value}", str(not value).encode())
        elif isinstance(value, int):
            for new in (value + 1, value - 1):
                self.add(node, f"{value} -> {new}", f"({new})".encode())

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _METHOD_SWAPS:
            start, end = self.span(func.value)
            new = _METHOD_SWAPS[func.attr]
            self.add(node, f".{func.attr}() -> .{new}()", b"(" + self.source[start:end] + b")." + new.encode(),
                     span_of=func)
        elif isinstance(func, ast.Name) and func.id in _CALL_SWAPS:
            self.add(node, f"{func.id}() -> {_CALL_SWAPS[func.id]}()", _CALL_SWAPS[func.id].encode(), span_of=func)
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        self.generic_visit(node)


def find_mutants(source: bytes, functions: list[str] | None = None) -> list[Mutant]:
    """Return the module's mutants (those inside ``functions`` only, when given), each checked to compile."""
    finder = _Finder(source)
    finder.visit(ast.parse(source))
    mutants = sorted(finder.found, key=lambda m: (m.start, m.end, m.description))
    if functions:
        wanted = set(functions)
        mutants = [m for m in mutants if m.function in wanted or m.function.split(".")[-1] in wanted]
    seen: dict[tuple[int, str], int] = defaultdict(int)
    for m in mutants:
        seen[(m.line, m.description)] += 1
        if seen[(m.line, m.description)] > 1:
            m.description += f" #{seen[(m.line, m.description)]}"
        try:
            compile(apply(source, m), "<mutant>", "exec")
        except SyntaxError as exc:
            m.status, m.detail = "skipped", f"does not compile: {exc.msg}"
    return mutants


def apply(source: bytes, mutant: Mutant) -> bytes:
    return source[:mutant.start] + mutant.replacement + source[mutant.end:]


# -- running ------------------------------------------------------------------------------------------------

class Interrupted(Exception):
    pass


def _on_stop_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _write(path: Path, data: bytes) -> None:
    """Replace the file's content atomically: a concurrent reader sees the old or the new text, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".mutant")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Module:
    """The file under mutation; the original is always written back and verified."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.original = path.read_bytes()
        self.digest = hashlib.sha256(self.original).hexdigest()
        stat = path.stat()
        self.times = (stat.st_atime_ns, stat.st_mtime_ns)

    def write_mutant(self, data: bytes) -> None:
        current = self.path.read_bytes()
        if current != self.original:
            raise Interrupted(f"{self.path} changed on disk under the run (someone else edited or moved it); "
                              "stopped without touching it")
        _write(self.path, data)

    def restore(self) -> None:
        # A second Ctrl+C must not interrupt the restore itself: hold the stop signals until it is done.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        try:
            if self.path.read_bytes() != self.original:
                _write(self.path, self.original)
            os.utime(self.path, ns=self.times)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        after = self.path.read_bytes()
        if after != self.original or hashlib.sha256(after).hexdigest() != self.digest:
            raise SystemExit(f"FATAL: {self.path} is not byte-identical to the original after restoring")


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def run_tests(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[str, str, float]:
    """Run the tests in their own process group; return (outcome, first failure line, seconds)."""
    began = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", f"no answer in {timeout:.0f}s", time.monotonic() - began
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    text = out.decode("utf-8", "replace")
    first = next((ln for ln in text.splitlines() if ln.startswith(("FAILED", "ERROR"))), "")
    if proc.returncode == 0:
        return "passed", "", time.monotonic() - began
    if proc.returncode == 5:
        return "no-tests", text[-2000:], time.monotonic() - began
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return "failed", first or last, time.monotonic() - began


def read_equivalents(path: Path | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if path is None or not path.exists():
        return found
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition("|")
        found[key.strip()] = reason.strip()
    return found


# Left out of --copy: version control, environments, caches and run-time state. Everything else is copied, also
# ignored build outputs the tests read (compiled translation catalogues, front-end packages).
_NOT_COPIED = {".git", ".venv", "venv", "node_modules", "instance", "__pycache__", ".mypy_cache", ".ruff_cache",
               ".pytest_cache", ".hypothesis", ".import_linter_cache", "artifacts"}


def _copy_checkout(root: Path, into: Path) -> None:
    shutil.copytree(root, into, symlinks=True, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if n in _NOT_COPIED or n.endswith(".mutant")])


def mutate(args: argparse.Namespace) -> int:
    root = Path.cwd()  # the repository root: module and test paths are relative to it
    module_rel = Path(os.path.relpath(Path(args.module).resolve(), root))
    source = (root / module_rel).read_bytes()
    mutants = find_mutants(source, args.function)
    if args.only:
        wanted = {k if k.startswith(f"{module_rel}:") else f"{module_rel}:{k}" for k in args.only}
        unknown = wanted - {m.key(str(module_rel)) for m in mutants}
        if unknown:
            print("no such mutant: " + ", ".join(sorted(unknown)))
            return 1
        mutants = [m for m in mutants if m.key(str(module_rel)) in wanted]
    if args.list:
        for m in mutants:
            print(f"{m.key(str(module_rel))}    [{m.function}] {m.context}")
        print(f"{len(mutants)} mutants")
        return 0
    equivalents = read_equivalents(Path(args.equivalents) if args.equivalents else None)
    workdir = Path(tempfile.mkdtemp(prefix="mutate-")) if args.copy else root
    try:
        if args.copy:
            _copy_checkout(root, workdir)
        env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPATH"] = os.pathsep.join([str(workdir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        where = subprocess.run([args.python, "-c", f"import {_module_name(module_rel)} as m; print(m.__file__)"],
                               cwd=workdir, env=env, capture_output=True, text=True)
        if where.returncode != 0 or Path(where.stdout.strip()).resolve() != (workdir / module_rel).resolve():
            print(f"the tests would not import {workdir / module_rel}: {where.stdout}{where.stderr}")
            return 1
        cmd = [args.python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args.pytest_arg,
               *(["-k", args.k] if args.k else []), *args.tests]
        outcome, detail, seconds = run_tests(cmd, workdir, env, timeout=args.baseline_timeout)
        if outcome != "passed":
            print(f"baseline: the tests do not pass on the original module ({outcome}): {detail}")
            return 1
        timeout = args.timeout or max(30.0, 3 * seconds)
        print(f"{module_rel}: {len(mutants)} mutants; baseline {seconds:.1f}s, timeout {timeout:.0f}s per mutant"
              + (f"; in a private copy ({workdir})" if args.copy else ""), flush=True)
        module = Module(workdir / module_rel)
        # Ctrl+C, a closed terminal or a kill all end up in the finally blocks that restore the module (SIGINT
        # is handled even when the shell started us with it ignored, as in a background job).
        stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, _on_stop_signal) for sig in stops}
        try:
            for n, m in enumerate(mutants, 1):
                if m.status == "skipped":
                    continue
                try:
                    module.write_mutant(apply(source, m))
                    outcome, detail, seconds = run_tests(cmd, workdir, env, timeout)
                    if outcome == "timeout":  # a busy machine is not a killed mutant: once more, with twice the time
                        outcome, detail, seconds = run_tests(cmd, workdir, env, 2 * timeout)
                finally:
                    module.restore()
                if outcome == "no-tests":
                    print(f"pytest collected no tests: {detail}")
                    return 1
                m.status = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
                m.detail = detail
                if args.verbose:
                    print(f"  [{n}/{len(mutants)}] {m.status:8} {seconds:5.1f}s {m.key(str(module_rel))}  {detail}",
                          flush=True)
        except KeyboardInterrupt:
            print("interrupted: the original module is restored", file=sys.stderr)
            return 130
        except Interrupted as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        if args.copy:
            shutil.rmtree(workdir, ignore_errors=True)
    return report(str(module_rel), mutants, equivalents, args.fail_under, partial=bool(args.only))


def report(module: str, mutants: list[Mutant], equivalents: dict[str, str], fail_under: float | None,
           partial: bool = False) -> int:
    counted = [m for m in mutants if m.status in ("killed", "timeout", "survived")
               and m.key(module) not in equivalents]
    excluded = [m for m in mutants if m.key(module) in equivalents]
    per_function: dict[str, list[Mutant]] = defaultdict(list)
    for m in counted:
        per_function[m.function].append(m)
    width = max([len(f) for f in per_function] + [8])
    print(f"\n{'function':<{width}}  killed/total  score")
    for function, ms in sorted(per_function.items(), key=lambda kv: min(m.line for m in kv[1])):
        killed = sum(m.status != "survived" for m in ms)
        print(f"{function:<{width}}  {killed:>6}/{len(ms):<5}  {100 * killed / len(ms):5.1f}%")
    killed = sum(m.status != "survived" for m in counted)
    score = 100 * killed / len(counted) if counted else 100.0
    timeouts = sum(m.status == "timeout" for m in counted)
    print(f"{'TOTAL':<{width}}  {killed:>6}/{len(counted):<5}  {score:5.1f}%"
          + (f"  ({timeouts} killed by timeout)" if timeouts else ""))
    survivors = [m for m in counted if m.status == "survived"]
    if survivors:
        print("\nsurviving mutants:")
        for m in survivors:
            print(f"  {m.key(module)}    [{m.function}] {m.context}")
    if excluded:
        print("\nequivalent (excluded from the score):")
        for m in excluded:
            note = "" if m.status == "survived" else f"  [{m.status.upper()}: not equivalent after all?]"
            print(f"  {m.key(module)}    [{m.function}] {m.context}\n      reason: {equivalents[m.key(module)]}{note}")
    stale = [k for k in equivalents if k.startswith(f"{module}:") and k not in {m.key(module) for m in mutants}
             and not partial]
    if stale:
        print("\nexclusions naming no mutant of this run (stale, or outside the -f filter):")
        for k in stale:
            print(f"  {k}")
    skipped = [m for m in mutants if m.status == "skipped"]
    if skipped:
        print(f"\n{len(skipped)} mutants skipped (they do not compile)")
    return 1 if fail_under is not None and score < fail_under else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module")
    parser.add_argument("tests", nargs="+")
    parser.add_argument("-f", "--function", action="append", help="only mutants in this function (repeatable)")
    parser.add_argument("-k", help="pytest -k expression")
    parser.add_argument("--pytest-arg", action="append", default=[], help="another pytest argument (repeatable)")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the baseline, >= 30)")
    parser.add_argument("--baseline-timeout", type=float, default=900)
    parser.add_argument("--equivalents", default=str(DEFAULT_EQUIVALENTS))
    parser.add_argument("--copy", action="store_true", help="mutate a private copy of the checkout")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--only", action="append", help="run only this mutant (line:description; repeatable)")
    parser.add_argument("--fail-under", type=float, help="exit 1 when the score is below this percentage")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each mutant's outcome as it runs")
    return mutate(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
