"""Mutation scoring of the exercise checks: does a check reject code that is *almost* right?

For a check, :func:`mutants` rewrites the AST of its reference implementation one small
change at a time (a "mutant"), the way learners slip:

- ``+``↔``-``, ``*``↔``/``, ``<``↔``<=`` (and ``>``↔``>=``);
- a numeric constant c → 0, 1, c+1, c−1, 2c (this covers ``axis`` 0↔1 and −1↔−2);
- ``keepdims=True`` dropped, ``.mean``↔``.sum``;
- a call dropped (``exp``, ``log``, ``sqrt``, ``abs``, ``max``/``min``, ``maximum``/``minimum``,
  ``clip``, ``transpose``/``swapaxes``) and ``.T`` dropped;
- two neighbouring call arguments swapped, and the operands of ``-``, ``/``, ``@`` swapped;
- one term of a sum removed;
- ``return`` of an intermediate variable instead of the result.

When the reference is a thin wrapper (a lambda or function in ``ml2llm.checks`` that adapts
a library call, or a library function of at most two statements), the ``ml2llm`` functions
it calls are mutated too, two calls deep at most, and so are the methods of the ``ml2llm``
classes it instantiates (through a subclass that overrides the mutated method). Each mutant
runs through the check under a short deadline (:func:`ml2llm.checks.core.run_check`). A
mutant the check passes is compared with the reference on 20 fresh random inputs made by
perturbing the check's own cases (:func:`fresh_cases`; a check may supply its own
``Check.random_case``): equal on all of them, it is *equivalent* and not counted; if fewer
than 20 distinct fresh inputs can be made, it is counted as surviving (never assumed
equivalent). Score = killed / (killed + surviving non-equivalent).

``ml2llm dev mutate [ID ...]`` prints the table and the survivors; ``--record`` writes the
floors that ``tests/checks/test_mutation_floors.py`` enforces.

Not handled: classes as references, code reached only through non-thin helpers, and mutants
that hang inside one C call (the deadline is a signal, checked between bytecodes).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import io
import json
import pickle
import textwrap
import time
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml2llm.checks.core import Case, Check, CheckTimeout, call_with_deadline, run_check

N_FRESH = 20
MIN_DISTINCT = N_FRESH  # "equivalent" means equal on all 20 fresh inputs
MUTANT_TIME_LIMIT = 2.0  # seconds at least; a mutant past 20 × the reference's time is killed
DROP_CALLS = {
    "exp", "log", "sqrt", "abs", "max", "min", "maximum", "minimum", "clip", "transpose",
    "swapaxes", "log1p", "expm1", "square", "absolute", "amax", "amin",
}  # fmt: skip
MODULE_NAMES = {"np", "numpy", "torch", "math", "F", "nn", "scipy", "sp", "mx"}


@dataclass
class Mutant:
    """One rewrite of one target function."""

    target: str  # qualified name of the mutated function
    where: str  # "file.py:LINE"
    what: str  # e.g. "`+` → `-`"
    fn: Callable | None = None  # the learner-style function that runs the mutant
    status: str = ""  # "killed" | "equivalent" | "survived" | "invalid"
    message: str = ""

    def describe(self) -> str:
        return f"{self.where} in {self.target}: {self.what}"


@dataclass
class Score:
    """Mutation result of one check."""

    check_id: str
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status):
        return sum(m.status == status for m in self.mutants)

    @property
    def n(self):
        return sum(m.status != "invalid" for m in self.mutants)

    @property
    def killed(self):
        return self.count("killed")

    @property
    def equivalent(self):
        return self.count("equivalent")

    @property
    def survived(self):
        return self.count("survived")

    @property
    def timeouts(self):
        """Killed by the deadline (an infinite loop, or 20 × slower than the reference)."""
        return sum(
            m.status == "killed" and "did not return within" in m.message for m in self.mutants
        )

    @property
    def score(self) -> float:
        denom = self.killed + self.survived
        return 1.0 if denom == 0 else self.killed / denom


# ----------------------------------------------------------------- sources and targets
def _unwrap(fn):
    while hasattr(fn, "func") and not inspect.isfunction(fn):  # functools.partial
        fn = fn.func
    return inspect.unwrap(fn) if inspect.isfunction(fn) else fn


def _function_ast(fn) -> ast.FunctionDef | None:
    """The ``def`` of ``fn`` (a lambda becomes a def), with decorators removed."""
    try:
        lines, _ = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    if fn.__name__ != "<lambda>":
        try:
            tree = ast.parse(textwrap.dedent("".join(lines)))
        except SyntaxError:
            return None
        node = tree.body[0] if tree.body else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        node.decorator_list = []
        return node
    try:
        tree = ast.parse(Path(inspect.getsourcefile(fn)).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, TypeError):
        return None
    line = fn.__code__.co_firstlineno
    argnames = list(fn.__code__.co_varnames[: fn.__code__.co_argcount])
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Lambda)
        and n.lineno == line
        and [a.arg for a in n.args.args] == argnames
    ]
    if len(found) != 1:
        return None
    lam = found[0]
    node = ast.FunctionDef(
        name="_lambda", args=lam.args, body=[ast.Return(lam.body)], decorator_list=[]
    )
    ast.copy_location(node, lam)
    return ast.fix_missing_locations(node)


def _globals_of(fn) -> dict:
    g = dict(fn.__globals__)
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            with contextlib.suppress(ValueError):
                g[name] = cell.cell_contents
    return g


def _is_library_function(obj) -> bool:
    mod = getattr(obj, "__module__", "") or ""
    return (
        inspect.isfunction(obj)
        and mod.startswith("ml2llm.")
        and not mod.startswith("ml2llm.checks")
    )


def _is_library_class(obj) -> bool:
    mod = getattr(obj, "__module__", "") or ""
    return (
        inspect.isclass(obj) and mod.startswith("ml2llm.") and not mod.startswith("ml2llm.checks")
    )


def _methods(cls) -> Iterator[tuple[str, Callable]]:
    """Methods a subclass can override with a mutant (no zero-argument ``super()``)."""
    for name, meth in vars(cls).items():
        if not inspect.isfunction(meth) or "__class__" in meth.__code__.co_freevars:
            continue
        if name.startswith("__") and name not in ("__init__", "__call__"):
            continue
        yield name, meth


def _callees(fn, tree) -> list[tuple[str, str | None, Callable]]:
    """Library functions a checks-module wrapper calls: (global name, attribute, function)."""
    g, out, seen = fn.__globals__, [], set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            mod = g.get(f.value.id)
            obj = getattr(mod, f.attr, None) if isinstance(mod, types.ModuleType) else None
            key = (f.value.id, f.attr)
        elif isinstance(f, ast.Name):
            obj, key = g.get(f.id), (f.id, None)
        else:
            continue
        if (
            obj is not None
            and key not in seen
            and (_is_library_function(obj) or _is_library_class(obj))
        ):
            seen.add(key)
            out.append((key[0], key[1], obj))
    return out


def _rebind(fn, name, attr, replacement):
    """A copy of ``fn`` whose global ``name`` (or ``name.attr``) is ``replacement``."""
    g = _globals_of(fn)
    if attr is None:
        g[name] = replacement
    else:
        proxy = types.SimpleNamespace(**vars(g[name]))
        setattr(proxy, attr, replacement)
        g[name] = proxy
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _compile(fn, tree: ast.FunctionDef, g: dict | None = None) -> Callable:
    g = _globals_of(fn) if g is None else g
    module = ast.fix_missing_locations(ast.Module(body=[tree], type_ignores=[]))
    code = compile(module, inspect.getsourcefile(fn) or "<mutant>", "exec")
    ns = dict(g)
    exec(code, ns)
    new = ns[tree.name]
    if fn.__qualname__ == fn.__name__:
        ns[fn.__name__] = new  # a recursive function calls its mutant
    return new


# ----------------------------------------------------------------- mutation operators
_SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_SYM = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}  # fmt: skip


def _skip_nodes(tree) -> set[int]:
    """ids of nodes inside docstrings, raise/assert statements and warnings."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.Assert)):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "warn":
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.update(id(n) for n in ast.walk(first))
    # defaults of the mutated function are the caller's business, not the body's
    if isinstance(tree, ast.FunctionDef):
        for d in [*tree.args.defaults, *tree.args.kw_defaults]:
            if d is not None:
                skip.update(id(n) for n in ast.walk(d))
    return skip


def _assigned_names(tree, before_line) -> list[str]:
    names = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and node.lineno < before_line and n.id not in names:
                    names.append(n.id)
    return names


def _edits(tree) -> Iterator[tuple[int, str, Callable]]:
    """(node index in ast.walk order, description, edit(node, parent) -> new node)."""
    skip = _skip_nodes(tree)
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op in _SWAP_BIN:
                new = _SWAP_BIN[op]
                yield i, f"`{_SYM[op]}` → `{_SYM[new]}`", _set_op(new)
            if op in (ast.Sub, ast.Div, ast.MatMult):
                yield i, f"operands of `{_SYM[op]}` swapped", _swap_operands
            if op in (ast.Add, ast.Sub):
                yield i, f"right term of `{_SYM[op]}` removed", lambda n, p: n.left
                if op is ast.Add:
                    yield i, "left term of `+` removed", lambda n, p: n.right
        elif isinstance(node, ast.Compare):
            for k, cop in enumerate(node.ops):
                if type(cop) in _SWAP_CMP:
                    new = _SWAP_CMP[type(cop)]
                    yield i, f"`{_SYM[type(cop)]}` → `{_SYM[new]}`", _set_cmp(k, new)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            c = node.value
            for v in dict.fromkeys([0, 1, c + 1, c - 1, 2 * c]):
                if v != c:
                    v = type(c)(v)
                    yield i, f"constant {c!r} → {v!r}", _set_const(v)
        elif isinstance(node, ast.Call):
            for k, kw in enumerate(node.keywords):
                if (
                    kw.arg == "keepdims"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value is True
                ):
                    yield i, "`keepdims=True` dropped", _drop_keyword(k)
            name = _call_name(node)
            if name in DROP_CALLS:
                module_call = isinstance(node.func, ast.Name) or (
                    isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in MODULE_NAMES
                )
                if module_call and node.args and not isinstance(node.args[0], ast.Starred):
                    yield i, f"call `{name}(…)` dropped", lambda n, p: n.args[0]
                elif not module_call and isinstance(node.func, ast.Attribute):
                    yield i, f"call `.{name}(…)` dropped", lambda n, p: n.func.value
            args = node.args
            for k in range(len(args) - 1):
                if not isinstance(args[k], ast.Starred) and not isinstance(
                    args[k + 1], ast.Starred
                ):
                    if ast.dump(args[k]) != ast.dump(args[k + 1]):
                        yield i, f"arguments {k + 1} and {k + 2} of `{name}` swapped", _swap_args(k)
        elif isinstance(node, ast.Attribute):
            if node.attr in ("mean", "sum") and isinstance(node.ctx, ast.Load):
                other = "sum" if node.attr == "mean" else "mean"
                yield i, f"`.{node.attr}` → `.{other}`", _set_attr(other)
            elif node.attr == "T" and isinstance(node.ctx, ast.Load):
                yield i, "`.T` dropped", lambda n, p: n.value
        elif isinstance(node, ast.Return) and node.value is not None:
            returned = node.value.id if isinstance(node.value, ast.Name) else None
            names = [n for n in _assigned_names(tree, node.lineno) if n != returned]
            for name in names[-8:]:
                yield i, f"`return {name}` (an intermediate)", _return_name(name)


def _call_name(node):
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)


def _set_op(new):
    def edit(n, p):
        n.op = new()
        return n

    return edit


def _swap_operands(n, p):
    n.left, n.right = n.right, n.left
    return n


def _set_cmp(k, new):
    def edit(n, p):
        n.ops[k] = new()
        return n

    return edit


def _set_const(v):
    def edit(n, p):
        n.value = v
        return n

    return edit


def _drop_keyword(k):
    def edit(n, p):
        del n.keywords[k]
        return n

    return edit


def _swap_args(k):
    def edit(n, p):
        n.args[k], n.args[k + 1] = n.args[k + 1], n.args[k]
        return n

    return edit


def _set_attr(name):
    def edit(n, p):
        n.attr = name
        return n

    return edit


def _return_name(name):
    def edit(n, p):
        n.value = ast.Name(id=name, ctx=ast.Load())
        return n

    return edit


def _apply(tree, index, edit):
    """A deep copy of ``tree`` with node ``index`` (ast.walk order) edited."""
    new = copy.deepcopy(tree)
    nodes = list(ast.walk(new))
    target = nodes[index]
    parent = None
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            if child is target:
                parent = node
                break
        if parent is not None:
            break
    replacement = edit(target, parent)
    if replacement is not target:
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, replacement)
            elif isinstance(value, list):
                for k, item in enumerate(value):
                    if item is target:
                        value[k] = replacement
    return ast.fix_missing_locations(new)


# ----------------------------------------------------------------- building mutants
def _target_mutants(fn, tree, make) -> Iterator[Mutant]:
    """Mutants of ``fn`` (whose AST is ``tree``); ``make(mutant_fn)`` -> learner function."""
    file = Path(inspect.getsourcefile(fn) or "?").name
    first = fn.__code__.co_firstlineno
    offset = first - tree.lineno
    qual = f"{fn.__module__}.{fn.__qualname__}"
    for index, what, edit in _edits(tree):
        node = list(ast.walk(tree))[index]
        line = getattr(node, "lineno", tree.lineno) + offset
        m = Mutant(qual, f"{file}:{line}", what)
        try:
            mutated = _apply(tree, index, edit)
            m.fn = make(_compile(fn, mutated))
        except Exception as exc:  # a mutant that does not compile is not a mutant
            m.status, m.message = "invalid", repr(exc)
        yield m


def _is_thin(fn, tree) -> bool:
    """A wrapper: a checks-module function or lambda, or a body of at most two statements."""
    body = [
        st
        for st in tree.body
        if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))
    ]
    return (
        (fn.__module__ or "").startswith("ml2llm.checks")
        or fn.__name__ == "<lambda>"
        or len(body) <= 2
    )


def _all_targets(fn, make, depth=0) -> Iterator[Mutant]:
    tree = _function_ast(fn)
    if tree is None:
        return
    yield from _target_mutants(fn, tree, make)
    if depth < 2 and _is_thin(fn, tree):
        for name, attr, callee in _callees(fn, tree):
            if inspect.isclass(callee):  # mutate its methods through a subclass
                for mname, meth in _methods(callee):
                    mtree = _function_ast(meth)
                    if mtree is None:
                        continue
                    yield from _target_mutants(
                        meth,
                        mtree,
                        lambda m, n=name, a=attr, c=callee, k=mname: make(
                            _rebind(fn, n, a, type(c.__name__, (c,), {k: m}))
                        ),
                    )
                continue
            yield from _all_targets(
                callee, lambda m, n=name, a=attr: make(_rebind(fn, n, a, m)), depth + 1
            )


def mutants(check: Check) -> list[Mutant]:
    """Every mutant of ``check``'s reference (and, through wrappers, of the library
    functions it delegates to, two calls deep at most)."""
    ref = _unwrap(check.reference)
    if not inspect.isfunction(ref):
        return []
    seen, unique = set(), []
    for m in _all_targets(ref, lambda m: m):
        key = (m.target, m.where, m.what)  # the same rewrite reached twice counts once
        if key not in seen:
            seen.add(key)
            unique.append(m)
    return unique


# ----------------------------------------------------------------- fresh random inputs
def _perturb(x, rng):
    """A random value shaped like ``x`` (same type, shape, dtype and rough range)."""
    if isinstance(x, np.ndarray):
        if x.dtype == bool or x.size == 0:
            return x.copy()
        values = np.unique(x)
        if x.size > 3 and values.size <= 3:  # labels in {−1, +1}, flags in {0, 1}: keep the set
            return rng.choice(values, size=x.shape).astype(x.dtype)
        if x.dtype.kind in "iu" and x.min() < 0 <= x.max():  # ignore ids (-100, -1) stay put
            out, ok = x.copy(), x >= 0
            out[ok] = rng.integers(int(x[ok].min()), int(x[ok].max()) + 1, size=int(ok.sum()))
            return out
        if x.dtype.kind in "iu":
            lo, hi = int(x.min()), int(x.max())
            return rng.integers(lo, hi + 1, size=x.shape).astype(x.dtype)
        if x.dtype.kind == "f":
            finite = x[np.isfinite(x)]
            if finite.size == 0:
                return x.copy()
            lo, hi = float(finite.min()), float(finite.max())
            if lo >= 0 and hi <= 1:
                new = rng.random(x.shape)
                if x.ndim >= 1 and x.shape[-1] > 1 and np.allclose(x.sum(-1), 1.0):
                    new = new / new.sum(-1, keepdims=True)
                return new.astype(x.dtype)
            mean, std = float(finite.mean()), float(finite.std()) or 1.0
            new = rng.normal(mean, std, size=x.shape)
            if lo >= 0:
                new = np.abs(new)
            return new.astype(x.dtype)
        return x.copy()
    if type(x).__name__ == "DataFrame" and hasattr(x, "mask"):  # pandas: shuffle, add gaps
        shuffled = x.sample(frac=1.0, random_state=int(rng.integers(2**31)))
        return shuffled.mask(rng.random(x.shape) < 0.2).reset_index(drop=True)
    if type(x).__module__ == "torch":
        import torch

        arr = _perturb(x.detach().cpu().numpy(), rng)
        return torch.as_tensor(arr, dtype=x.dtype).requires_grad_(bool(x.requires_grad))
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, float):
        return x * float(rng.uniform(0.5, 1.5)) if x else x
    if isinstance(x, int):
        return max(x + int(rng.integers(-3, 25)), min(x, 1)) if rng.random() < 0.7 else x
    if isinstance(x, str):  # half the time: an option name ("macro") must stay valid
        if len(x) < 2 or rng.random() < 0.5:
            return x
        chars = list(x)
        rng.shuffle(chars)
        return "".join(chars)
    if isinstance(x, tuple):
        return tuple(_perturb(v, rng) for v in x)
    if isinstance(x, list):
        if x and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x):
            arr = _perturb(np.asarray(x), rng)
            return arr.tolist()
        return [_perturb(v, rng) for v in x]
    if isinstance(x, dict):
        return {k: _perturb(v, rng) for k, v in x.items()}
    return x


def _fingerprint(case: Case) -> bytes:
    try:
        return pickle.dumps((case.args, case.kwargs))
    except Exception:
        return repr((case.args, case.kwargs)).encode()


def fresh_cases(check: Check, n: int = N_FRESH, seed: int = 12345) -> list[Case]:
    """Up to ``n`` random inputs on which the reference runs, all differing from the cases."""
    rng = np.random.default_rng(seed)
    base = check.get_cases()
    known = {_fingerprint(c) for c in base}
    random_case = getattr(check, "random_case", None)
    out = []
    for k in range(8 * n):
        if len(out) >= n or not base:
            break
        if random_case is not None:
            case = random_case(rng)
        else:
            src = base[k % len(base)]
            case = Case(_perturb(src.args, rng), _perturb(src.kwargs, rng), src.label)
        fp = _fingerprint(case)
        if fp in known:
            continue
        try:
            with _quiet():
                call_with_deadline(lambda c=case: check.run(check.reference, c), 5.0)
        except (Exception, CheckTimeout):
            continue
        known.add(fp)
        out.append(case)
    return out


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


def _equal_everywhere(check: Check, fn, fresh: list[Case], limit: float) -> bool:
    deadline = time.monotonic() + limit
    for case in fresh:
        try:
            expected = check.run(check.reference, case)
            got = call_with_deadline(
                lambda c=case: check.run(fn, c), max(deadline - time.monotonic(), 1e-3)
            )
            check.assert_same(expected, got)
        except (Exception, CheckTimeout):
            return False
    return True


# ----------------------------------------------------------------- scoring
def score_check(check: Check, limit: int | None = None, seed: int = 0) -> Score:
    """Run every mutant of ``check`` (or a deterministic sample of ``limit`` of them)."""
    start = time.monotonic()
    all_mutants = mutants(check)
    if not all_mutants:  # e.g. a reference that is a Hugging Face model: nothing to rewrite
        return Score(check.id, [], time.monotonic() - start)
    with _quiet():
        run_check(check, check.reference)
    ref_time = time.monotonic() - start
    per_mutant = max(MUTANT_TIME_LIMIT, 20 * ref_time)
    chosen = all_mutants
    if limit is not None and len(all_mutants) > limit:
        rng = np.random.default_rng(seed)
        keep = sorted(rng.choice(len(all_mutants), size=limit, replace=False))
        chosen = [all_mutants[k] for k in keep]
    fresh = None
    for m in chosen:
        if m.status == "invalid":
            continue
        try:
            with _quiet():
                result = run_check(check, m.fn, time_limit=per_mutant)
        except Exception as exc:  # `check()` would print "check crashed": a ✗ all the same
            m.status, m.message = "killed", f"check crashed: {exc!r}"
            continue
        if not result.passed:
            m.status, m.message = "killed", result.message
            continue
        if fresh is None:
            with _quiet():
                fresh = fresh_cases(check)
        if len(fresh) < MIN_DISTINCT:
            m.status = "survived"
            m.message = f"only {len(fresh)} fresh inputs could be made: not judged equivalent"
            continue
        with _quiet():
            same = _equal_everywhere(check, m.fn, fresh, per_mutant * 10)
        m.status = "equivalent" if same else "survived"
    return Score(check.id, chosen, time.monotonic() - start)


# ----------------------------------------------------------------- floors and tables
def floors_path() -> Path:
    from ml2llm.paths import repo_root

    return repo_root() / "tests" / "checks" / "mutation_floors.json"


def load_floors(path: Path | None = None) -> dict:
    path = floors_path() if path is None else path
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def record_floors(scores: list[Score], path: Path | None = None) -> Path:
    """Write each score (rounded down to 0.1 %) as its check's floor; reasons are kept."""
    path = floors_path() if path is None else path
    floors = load_floors(path)
    for s in scores:
        entry = floors.get(s.check_id, {})
        entry["floor"] = int(s.score * 1000) / 1000
        entry["mutants"] = s.n
        if s.score >= 0.9:
            entry.pop("reason", None)
        elif "reason" not in entry:
            entry["reason"] = "TODO: say which surviving mutant class cannot be caught, and why"
        floors[s.check_id] = entry
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(dict(sorted(floors.items())), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def table(scores: list[Score], floors: dict | None = None) -> str:
    floors = floors or {}
    lines = [
        f"{'check':32} {'mutants':>7} {'killed':>6} {'equiv':>5} {'surv':>4} {'score':>6} {'floor':>6}"
    ]
    for s in scores:
        fl = floors.get(s.check_id, {}).get("floor")
        lines.append(
            f"{s.check_id:32} {s.n:7d} {s.killed:6d} {s.equivalent:5d} {s.survived:4d} "
            f"{s.score:6.1%} {'' if fl is None else f'{fl:.1%}':>6}"
        )
    return "\n".join(lines)


def project_table(scores: list[Score]) -> str:
    """Markdown table per project: checks, mutants, killed, equivalent, score."""
    groups: dict[str, list[Score]] = {}
    for s in scores:
        groups.setdefault(s.check_id.split(".")[0], []).append(s)
    rows = [
        "| project | checks | mutants | killed | equivalent | surviving | score | lowest check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name, group):
        killed, surv = sum(s.killed for s in group), sum(s.survived for s in group)
        n = sum(s.n for s in group)
        scored = [s.score for s in group if s.n]
        score = f"{killed / (killed + surv):.1%}" if killed + surv else "—"
        low = f"{min(scored):.1%}" if scored else "—"
        return (
            f"| {name} | {len(group)} | {n} | {killed} | {sum(s.equivalent for s in group)} | "
            f"{surv} | {score} | {low} |"
        )

    for prefix, group in sorted(groups.items(), key=lambda kv: _project_key(kv[0])):
        rows.append(row(_project_name(prefix), group))
    rows.append(row("**all**", scores))
    return "\n".join(rows)


def _project_name(prefix: str) -> str:
    """'p04_5' → '04.5', 'pp1' → 'P1' (the README's project ids)."""
    if prefix.startswith("pp"):
        return "P" + prefix[2:]
    return prefix[1:].replace("_", ".")


def _project_key(prefix: str):
    if prefix.startswith("pp"):
        return (1, float(prefix[2:]))
    return (0, float(prefix[1:].replace("_", ".")))
