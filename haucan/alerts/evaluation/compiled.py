"""Expressions turned into Python closures once per evaluation, for the hot loop.

A full evaluation computes the same few expressions for thousands of units. The interpreter in
haucan.core.expressions walks the tree and checks its inputs on every call; here the common
node types (numbers, operands, constants, [days], unary +/-, powers, arithmetic and comparison
chains) become nested closures with the very same semantics (missing operands count as zero,
no finite answer is None). An expression using anything else (functions, logic) is evaluated by
the interpreter, so the answer is always the interpreter's (tests/test_compiled.py checks it).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping

from haucan.core.expressions import (
    Chain,
    ConstantRef,
    Days,
    Expression,
    Node,
    Number,
    Operand,
    Power,
    Unary,
    Value,
)

Values = Mapping[Operand, float | None]
Compiled = Callable[[Values, int], Value]

_ARITHMETIC = {"+", "-", "*", "/", "%"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Unsupported(Exception):
    pass


def _finite(value: float | complex) -> float | None:
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return value


def _arith(op: str, x: Value, y: Value) -> float | None:
    if x is None or y is None:
        return None
    a, b = float(x), float(y)
    try:
        if op == "+":
            return _finite(a + b)
        if op == "-":
            return _finite(a - b)
        if op == "*":
            return _finite(a * b)
        if op == "/":
            return None if b == 0 else _finite(a / b)
        if op == "%":
            return None if b == 0 else _finite(math.fmod(a, b))
        return _finite(a**b)
    except (ZeroDivisionError, OverflowError):
        return None


_PLAIN = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _binary(op: str) -> Callable[[Value, Value], Value]:
    """The operator as a function, chosen once: +, - and * of floats never raise, so they skip
    _arith's dispatch and guards (the same answers: None in, or no finite result, is None)."""
    if op in _PLAIN:
        apply = _PLAIN[op]

        def plain(x: Value, y: Value) -> float | None:
            if x is None or y is None:
                return None
            result: float = apply(float(x), float(y))
            return result if math.isfinite(result) else None

        return plain
    if op in _ARITHMETIC:
        return lambda x, y: _arith(op, x, y)
    return lambda x, y: _cmp(op, x, y)


def _cmp(op: str, x: Value, y: Value) -> bool | None:
    if x is None or y is None:
        return None
    a, b = float(x), float(y)
    return {
        "==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b
    }[op]  # fmt: skip


def _node(node: Node, constants: Mapping[str, float]) -> Compiled:
    if isinstance(node, Number):
        value = node.value
        return lambda values, days: value
    if isinstance(node, Operand):
        operand = node

        def read(values: Values, days: int) -> Value:
            v = values.get(operand)
            return 0.0 if v is None or not math.isfinite(v) else float(v)

        return read
    if isinstance(node, ConstantRef):
        if node.name not in constants:
            raise _Unsupported  # the interpreter raises its own clear error
        constant = _finite(float(constants[node.name]))
        return lambda values, days: constant
    if isinstance(node, Days):
        return lambda values, days: float(days)
    if isinstance(node, Unary) and node.op in ("-", "+"):
        inner = _node(node.operand, constants)
        negate = node.op == "-"

        def unary(values: Values, days: int) -> Value:
            v = inner(values, days)
            if v is None:
                return None
            return -float(v) if negate else float(v)

        return unary
    if isinstance(node, Power):
        base, exponent = _node(node.base, constants), _node(node.exponent, constants)
        return lambda values, days: _arith("^", base(values, days), exponent(values, days))
    if isinstance(node, Chain) and all(op in _ARITHMETIC | _COMPARE for op, _n in node.rest):
        first = _node(node.first, constants)
        rest = [(_binary(op), _node(n, constants)) for op, n in node.rest]

        def chain(values: Values, days: int) -> Value:
            result = first(values, days)
            for apply, part in rest:
                result = apply(result, part(values, days))
            return result

        return chain
    raise _Unsupported


def compile_expression(expression: Expression, constants: Mapping[str, float]) -> Compiled:
    """A function (values, days) -> the expression's value, as Expression.evaluate gives it."""
    try:
        return _node(expression.root, constants)
    except _Unsupported:
        return lambda values, days: expression.evaluate(values, constants=constants, days=days)
