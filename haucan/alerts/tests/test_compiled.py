"""The compiled expressions give exactly what the interpreter gives (an invariant)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from haucan.alerts.evaluation.compiled import compile_expression
from haucan.core.expressions import Operand, parse_expression

A, B = Operand("A"), Operand("B")
CONSTANTS = {"K": 15.0}
atoms = st.sampled_from(["#{A}", "#{B}", "C{K}", "[days]", "2", "0", "0.5", "-3"])
ops = st.sampled_from(["+", "-", "*", "/", "%", "^", "<", ">=", "==", "!="])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(atoms)
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    text = f"({left} {draw(ops)} {right})"
    return f"-{text}" if draw(st.booleans()) else text


numbers = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.just(0.0))


@settings(max_examples=400, deadline=None)
@given(expressions(), numbers, numbers, st.integers(1, 366))
def test_compiled_equals_the_interpreter(
    text: str, a: float | None, b: float | None, days: int
) -> None:
    expression = parse_expression(text)
    values = {A: a, B: b}
    expected = expression.evaluate(values, constants=CONSTANTS, days=days)
    got = compile_expression(expression, CONSTANTS)(values, days)
    if isinstance(expected, float) and isinstance(got, float):
        assert got == expected or (math.isnan(got) and math.isnan(expected))
    else:
        assert got == expected


def test_functions_fall_back_to_the_interpreter() -> None:
    expression = parse_expression("if(isNull(#{A}), 1, greatest(#{A}, #{B}))")
    fn = compile_expression(expression, {})
    assert fn({A: None, B: 3.0}, 30) == 1
    assert fn({A: 2.0, B: 3.0}, 30) == 3.0
