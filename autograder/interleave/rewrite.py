"""Insert scheduling points into the student's source, at the places races live.

CPython 3.10+ only switches threads at calls and backward jumps, so the window
between reading ``total`` and writing it back is never split by the interpreter
itself. The rewrite makes such windows explicit, at the source level (the same on
every Python version, unlike bytecode), inside every function of the module:

* a point before every statement;
* ``x += v`` on shared state (a ``global``/``nonlocal`` name, an attribute, an
  item) becomes read, point, compute, write, with the read and the write traced;
* ``shared = expr`` computes ``expr``, then a point, then the store;
* the shared values an ``if``/``while`` test reads are traced (check-then-act).

Line numbers are kept, so tracebacks and reports point at the student's lines.
Module-level code is left alone: it runs at import, outside any controlled run.
"""

from __future__ import annotations

import ast
from typing import Any

POINT = "__kit_point__"
READ = "__kit_read__"
WROTE = "__kit_wrote__"
TMP, OBJ, IDX = "__kit_v", "__kit_o", "__kit_i"


def _call(func: str, *args: ast.expr) -> ast.stmt:
    return ast.Expr(ast.Call(ast.Name(func, ast.Load()), list(args), []))


def _const(value: Any) -> ast.expr:
    return ast.Constant(value)


def _load(node: ast.expr) -> ast.expr:
    """A load of the same target expression (fresh nodes)."""
    new = ast.parse(ast.unparse(node), mode="eval").body
    return new


def _store_name(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def _shared_declared(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return names


class _Instrument:
    def __init__(self) -> None:
        self.points = 0

    # ----------------------------------------------------------- entry points
    def module(self, tree: ast.Module) -> ast.Module:
        tree.body = [self._outside(stmt) for stmt in tree.body]
        return tree

    def _outside(self, stmt: ast.stmt) -> ast.stmt:
        """Module or class level: only recurse into definitions (and blocks holding them)."""
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self._function(stmt)
        if isinstance(stmt, ast.ClassDef):
            stmt.body = [self._outside(s) for s in stmt.body]
            return stmt
        for attr in ("body", "orelse", "finalbody"):
            block = getattr(stmt, attr, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, attr, [self._outside(s) for s in block])
        for handler in getattr(stmt, "handlers", []) or []:
            handler.body = [self._outside(s) for s in handler.body]
        return stmt

    def _function(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt:
        if isinstance(func, ast.AsyncFunctionDef):
            return func  # coroutines are not scheduled by threads; leave them alone
        shared = _shared_declared(func)
        body = func.body
        doc: list[ast.stmt] = []
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            doc, body = body[:1], body[1:]
        func.body = doc + self._block(body, shared) or [ast.Pass()]
        return func

    # ------------------------------------------------------------- statements
    def _block(self, stmts: list[ast.stmt], shared: set[str]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, (ast.Global, ast.Nonlocal)):
                out.append(stmt)
                continue
            out.extend(self._located(stmt, [_call(POINT, _const(stmt.lineno))]))
            self.points += 1
            out.extend(self._statement(stmt, shared))
        return out

    def _located(self, like: ast.stmt, nodes: list[ast.stmt]) -> list[ast.stmt]:
        for node in nodes:
            for sub in ast.walk(node):
                if "lineno" in sub._attributes:
                    sub.lineno = like.lineno
                    sub.col_offset = like.col_offset
                    sub.end_lineno = like.lineno
                    sub.end_col_offset = like.col_offset
        return nodes

    def _statement(self, stmt: ast.stmt, shared: set[str]) -> list[ast.stmt]:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return [self._function(stmt)]
        if isinstance(stmt, ast.ClassDef):
            stmt.body = [self._outside(s) for s in stmt.body]
            return [stmt]
        if isinstance(stmt, ast.AugAssign) and self._is_shared(stmt.target, shared):
            return self._located(stmt, self._aug_assign(stmt))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and self._is_shared(stmt.targets[0], shared):
            return self._located(stmt, self._assign(stmt, stmt.targets[0], stmt.value, shared))
        if isinstance(stmt, ast.AnnAssign) and stmt.value is not None and self._is_shared(stmt.target, shared):
            return self._located(stmt, self._assign(stmt, stmt.target, stmt.value, shared))
        pre: list[ast.stmt] = []
        if isinstance(stmt, (ast.If, ast.While)):
            pre = self._located(stmt, self._trace_reads(stmt.test, shared, stmt.lineno))
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) and stmt.value is not None:
            pre = self._located(stmt, self._trace_reads(stmt.value, shared, stmt.lineno))
        for attr in ("body", "orelse", "finalbody"):
            block = getattr(stmt, attr, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, attr, self._block(block, shared))
        for handler in getattr(stmt, "handlers", []) or []:
            handler.body = self._block(handler.body, shared) or [ast.Pass()]
        for case in getattr(stmt, "cases", []) or []:
            case.body = self._block(case.body, shared) or [ast.Pass()]
        return pre + [stmt]

    @staticmethod
    def _is_shared(target: ast.expr, shared: set[str]) -> bool:
        if isinstance(target, ast.Name):
            return target.id in shared
        return isinstance(target, (ast.Attribute, ast.Subscript))

    def _aug_assign(self, stmt: ast.AugAssign) -> list[ast.stmt]:
        """``t op= v`` -> read t, point, compute, write t (the window a lost update needs)."""
        target, line = stmt.target, stmt.lineno
        label = ast.unparse(target)
        out: list[ast.stmt] = []
        if isinstance(target, ast.Name):
            load: ast.expr = ast.Name(target.id, ast.Load())
            store: ast.expr = ast.Name(target.id, ast.Store())
        elif isinstance(target, ast.Attribute):
            out.append(ast.Assign([_store_name(OBJ)], _load(target.value)))
            load = ast.Attribute(ast.Name(OBJ, ast.Load()), target.attr, ast.Load())
            store = ast.Attribute(ast.Name(OBJ, ast.Load()), target.attr, ast.Store())
        else:
            assert isinstance(target, ast.Subscript)
            out.append(ast.Assign([_store_name(OBJ)], _load(target.value)))
            out.append(ast.Assign([_store_name(IDX)], _load(target.slice)))
            load = ast.Subscript(ast.Name(OBJ, ast.Load()), ast.Name(IDX, ast.Load()), ast.Load())
            store = ast.Subscript(ast.Name(OBJ, ast.Load()), ast.Name(IDX, ast.Load()), ast.Store())
        out.append(ast.Assign([_store_name(TMP)], load))
        out.append(_call(READ, _const(label), ast.Name(TMP, ast.Load()), _const(line), _const(True)))
        out.append(ast.AugAssign(_store_name(TMP), stmt.op, stmt.value))
        out.append(ast.Assign([store], ast.Name(TMP, ast.Load())))
        out.append(_call(WROTE, _const(label), ast.Name(TMP, ast.Load()), _const(line)))
        return out

    def _assign(self, stmt: ast.stmt, target: ast.expr, value: ast.expr, shared: set[str]) -> list[ast.stmt]:
        """``t = expr`` -> compute expr, point, write t."""
        label, line = ast.unparse(target), stmt.lineno
        out = self._trace_reads(value, shared, line, only=label)
        out.append(ast.Assign([_store_name(TMP)], value))
        out.append(_call(POINT, _const(line)))
        out.append(ast.Assign([target], ast.Name(TMP, ast.Load())))
        out.append(_call(WROTE, _const(label), ast.Name(TMP, ast.Load()), _const(line)))
        return out

    def _trace_reads(self, expr: ast.expr, shared: set[str], line: int, only: str | None = None) -> list[ast.stmt]:
        """Trace (without a point) the shared values ``expr`` reads: ``self.balance``, globals."""
        seen: dict[str, ast.expr] = {}
        for node in ast.walk(expr):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                    and isinstance(node.value, ast.Name):
                seen.setdefault(ast.unparse(node), node)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in shared:
                seen.setdefault(node.id, node)
        out: list[ast.stmt] = []
        for label, node in seen.items():
            if only is not None and label != only:
                continue
            if only is None and isinstance(node, ast.Attribute) and callable_like(label):
                continue
            out.append(self._guarded_read(label, node, line))
        return out

    @staticmethod
    def _guarded_read(label: str, node: ast.expr, line: int) -> ast.stmt:
        """``try: __kit_read__(label, <node>, line, False) except Exception: pass``."""
        return ast.Try(
            body=[_call(READ, _const(label), _load(node), _const(line), _const(False))],
            handlers=[ast.ExceptHandler(ast.Name("Exception", ast.Load()), None, [ast.Pass()])],
            orelse=[], finalbody=[])


def callable_like(label: str) -> bool:
    """``threading.Thread``, ``q.empty``: module members and methods are not shared data."""
    head = label.split(".", 1)[0]
    return head in {"threading", "time", "queue", "os", "sys", "math", "random"}


def instrument(source: str, filename: str) -> tuple[Any, int]:
    """Compile ``source`` with scheduling points; returns (code object, number of statement points)."""
    tree = ast.parse(source, filename)
    worker = _Instrument()
    tree = worker.module(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec", dont_inherit=True), worker.points
