from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haucan.core.expressions import (
    Call,
    Chain,
    ExpressionError,
    Number,
    Operand,
    Power,
    Unary,
    format_operand,
    parse_expression,
)

A, B, C = Operand("a"), Operand("b"), Operand("c")


def ev(text: str, values: dict[Operand, float | None] | None = None, **kwargs: object) -> object:
    return parse_expression(text).evaluate(values or {}, **kwargs)  # type: ignore[arg-type]


def error_of(text: str, **kwargs: int) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, **kwargs)
    return info.value


# --- parsing and evaluating -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("3.5", 3.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("2+3*4^2", 50.0),
        ("-2^2", -4.0),
        ("(-2)^2", 4.0),
        ("2^3^2", 512.0),
        ("2^-1", 0.5),
        ("2^-1*4", 2.0),
        ("10 - 4 - 3", 3.0),
        ("48 / 4 / 2", 6.0),
        ("2 * (3 + 4)", 14.0),
        ("--3", 3.0),
        ("+3", 3.0),
        ("7 % 3", 1.0),
        ("-7 % 3", -1.0),  # the sign follows the dividend, as in Java
        ("1 / 0", None),
        ("1 % 0", None),
        ("0 ^ -1", None),
        ("(-8) ^ (1/3)", None),  # no real answer
        ("10 ^ 400", None),  # overflow
        ("1e300 * 1e300", None),
        ("1 < 2", True),
        ("2 <= 1", False),
        ("1 == 1.0", True),
        ("1 != 1", False),
        ("(1 < 2) + 1", 2.0),
        ("1 + 1 == 2", True),
        ("1 < 2 == 2 > 1", True),  # relational binds tighter than equality
        ("1 < 2 && 3 < 2", False),
        ("1 < 2 || 3 < 2", True),
        ("1 < 2 and not 3 < 2", True),
        ("!0", True),
        ("!1 == 0", True),  # DHIS2: ! binds like unary minus
        ("0 || 0 && 1", False),
        ("1 || 0 && 0", True),  # && binds tighter than ||
        ("if(1 > 2, 10, 20)", 20.0),
        ("if(1 < 2, if(0, 1, 2), 3)", 2.0),
        ("if(1, 5, 1/0)", 5.0),
        ("greatest(1, 5, 3)", 5.0),
        ("least(4, -2, 3)", -2.0),
        ("abs(-3.5)", 3.5),
        ("round(2.675, 2)", 2.68),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(1234.5, -2)", 1200.0),
        ("round(-0.4)", 0.0),
        ("round(1e300, 2)", 1e300),
        ("round(123456789012345678901234567890.5)", 1.2345678901234568e29),
        ("round(1.5, 1e300)", 1.5),
        ("removeZeros(0)", None),
        ("removeZeros(4)", 4.0),
        ("isNull(1/0)", True),
        ("firstNonNull(1/0, 7, 8)", 7.0),
    ],
)
def test_evaluate_literals(text: str, expected: object) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


def test_ratio_of_operands() -> None:
    expression = parse_expression("#{a.x} / #{b} * 100")
    assert expression.evaluate({Operand("a", "x"): 25, B: 50}) == 50.0
    assert expression.evaluate({Operand("a", "x"): 25, B: 0}) is None
    assert expression.operands() == {Operand("a", "x"), B}


def test_nested_if_with_operands() -> None:
    expression = parse_expression("if(#{a} > 100, 3, if(#{a} > 50, 2, 1))")
    assert [expression.evaluate({A: v}) for v in (120, 70, 10)] == [3.0, 2.0, 1.0]


def test_operand_forms_and_wildcards() -> None:
    root = parse_expression("#{de} + #{de.*} + #{de.coc} + #{de.coc.aoc} + #{de.*.aoc}").root
    assert isinstance(root, Chain)
    operands = [root.first, *(node for _op, node in root.rest)]
    assert operands == [
        Operand("de"),
        Operand("de"),
        Operand("de", "coc"),
        Operand("de", "coc", "aoc"),
        Operand("de", None, "aoc"),
    ]
    assert parse_expression("#{a-1_B}").root == Operand("a-1_B")
    assert parse_expression("#{" + "x" * 50 + "}").root == Operand("x" * 50)
    assert parse_expression("#{de.*.*}").root == Operand("de")


@pytest.mark.parametrize(
    ("operand", "text"),
    [
        (Operand("de"), "#{de}"),
        (Operand("de", "coc"), "#{de.coc}"),
        (Operand("de", "coc", "aoc"), "#{de.coc.aoc}"),
        (Operand("de", None, "aoc"), "#{de.*.aoc}"),
    ],
)
def test_format_operand(operand: Operand, text: str) -> None:
    assert format_operand(operand) == text
    assert parse_expression(text).root == operand


def test_missing_values_count_as_zero_by_default() -> None:
    assert ev("#{a} + 1") == 1.0
    assert ev("#{a} + 1", {A: None}) == 1.0
    assert ev("#{a} / #{b}", {A: 4}) is None  # 4 / 0
    assert ev("isNull(#{a})") is True
    assert ev("isNull(#{a})", {A: 0}) is False
    assert ev("isNotNull(#{a})") is False
    assert ev("firstNonNull(#{a}, #{b}, 9)", {B: 2}) == 2.0
    assert ev("firstNonNull(#{a}, #{b})") is None
    assert ev("if(isNull(#{a}), -1, #{a})") == -1.0


def test_missing_values_propagate_when_asked() -> None:
    assert ev("#{a} + 1", missing_as_zero=False) is None
    assert ev("#{a} + 1", {A: 2}, missing_as_zero=False) == 3.0
    assert ev("-#{a}", missing_as_zero=False) is None
    assert ev("#{a} > 1", missing_as_zero=False) is None
    assert ev("if(#{a} > 1, 1, 2)", missing_as_zero=False) is None
    assert ev("firstNonNull(#{a}, 5)", missing_as_zero=False) == 5.0
    assert ev("greatest(#{a}, 5, #{b})", {B: 7}, missing_as_zero=False) == 7.0
    assert ev("least(#{a}, #{b})", missing_as_zero=False) is None
    assert ev("abs(#{a})", missing_as_zero=False) is None
    # Kleene logic: a known false/true decides regardless of null.
    assert ev("#{a} > 1 && 0", missing_as_zero=False) is False
    assert ev("#{a} > 1 || 1", missing_as_zero=False) is True
    assert ev("#{a} > 1 && 1", missing_as_zero=False) is None
    assert ev("!(#{a} > 1)", missing_as_zero=False) is None


def test_constants() -> None:
    expression = parse_expression("#{a} * C{rate} + C{base}")
    assert expression.constants() == {"rate", "base"}
    assert expression.evaluate({A: 2}, constants={"rate": 1.5, "base": 1}) == 4.0
    with pytest.raises(ExpressionError) as info:
        expression.evaluate({A: 2}, constants={"rate": 1.5})
    assert "'base'" in info.value.message
    assert info.value.position == expression.text.index("C{base}")


def test_unknown_constant_is_reported_even_in_a_branch_not_taken() -> None:
    with pytest.raises(ExpressionError, match="missing"):
        parse_expression("if(1, 2, C{missing})").evaluate({})


def test_days() -> None:
    expression = parse_expression("#{a} / [days]")
    assert expression.uses_days
    assert not parse_expression("#{a}").uses_days
    assert expression.evaluate({A: 62}, days=31) == 2.0
    with pytest.raises(ExpressionError) as info:
        expression.evaluate({A: 62})
    assert info.value.position == 7


def test_words_and_symbols_build_the_same_tree() -> None:
    words = parse_expression("not #{a} and #{b} or #{c}").root
    symbols = parse_expression("!#{a} && #{b} || #{c}").root
    assert words == symbols


def test_long_sums_stay_flat() -> None:
    text = "+".join(f"#{{d{i}}}" for i in range(300))
    expression = parse_expression(text, max_length=5000)
    assert len(expression.operands()) == 300
    assert expression.evaluate({Operand(f"d{i}"): 1 for i in range(300)}) == 300.0
    assert isinstance(expression.root, Chain)
    assert len(expression.root.rest) == 299


def test_tree_shapes() -> None:
    assert parse_expression("-2^2").root == Unary("-", Power(Number(2), Number(2)))
    assert parse_expression("2^3^2").root == Power(Number(2), Power(Number(3), Number(2)))
    assert parse_expression("round(1, 2)").root == Call("round", (Number(1), Number(2)))


def test_whitespace_is_ignored() -> None:
    assert ev(" \t1 +\n 2 ") == 3.0


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("#{abc", 5, "Missing '}'"),
        ("1 + * 2", 4, "Unexpected '*'"),
        ("foo(1)", 0, "Unknown function 'foo'"),
        ("1 + foo(1)", 4, "Unknown function 'foo'"),
        ("(1 + 2))", 7, "Unexpected ')'"),
        ("(1 + 2", 6, "Missing ')'"),
        ("1 +", 3, "Unexpected end"),
        ("1 2", 2, "Unexpected '2'"),
        ("#{}", 2, "Missing identifier"),
        ("#{a..b}", 4, "Missing identifier"),
        ("#{a b}", 3, "Unexpected character ' '"),
        ("#{a.b.c.d}", 7, "at most three parts"),
        ("#{*}", 2, "wildcard"),
        ("#{a*}", 3, "'*'"),
        ("#{" + "x" * 51 + "}", 2, "longer than 50"),
        ("#abc", 1, "Expected '{'"),
        ("C{}", 2, "Missing identifier"),
        ("C{a.b}", 3, "Unexpected character '.'"),
        ("C", 0, "Unknown name 'C'"),
        ("[day]", 0, "[days]"),
        ("12abc", 0, "Invalid number"),
        ("1.2.3", 0, "Invalid number"),
        ("1e", 0, "Invalid number"),
        (".", 0, "Invalid number"),
        ("1e999", 0, "too large"),
        ("if(1, 2)", 0, "if() takes 3 argument(s), not 2"),
        ("round(1, 2, 3)", 0, "round() takes 1 to 2 argument(s), not 3"),
        ("greatest()", 0, "greatest() takes at least 1 argument(s), not 0"),
        ("least(1,)", 8, "Unexpected ')'"),
        ("abs(1 2)", 6, "Unexpected '2'"),
        ("1 and", 5, "Unexpected end"),
        ("and 1", 0, "Unexpected 'and'"),
        ("ISNULL(1)", 0, "Unknown function 'ISNULL'"),
        ("1 = 1", 2, "'=='"),
        ("1 & 1", 2, "'&&'"),
        ("1 | 1", 2, "'||'"),
    ],
)
def test_error_positions(text: str, position: int, fragment: str) -> None:
    error = error_of(text)
    assert error.position == position
    assert fragment in error.message
    assert str(error) == f"{error.message} at position {position}"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "Unknown function '__import__'"),
        ("__import__ ('os').system('ls')", "Unknown function '__import__'"),
        ("os.system('ls')", "Unknown name 'os'"),
        ("os.system", "Unknown name 'os'"),
        ("#{a}.real", "Invalid number"),
        ("(1).__class__", "Invalid number"),
        ("`ls`", "Unexpected character '`'"),
        ("'abc'", "Unexpected character"),
        ('"abc"', "Unexpected character"),
        ("2 ** 3", "'**' is not supported"),
        ("[1, 2]", "[days]"),
        ("{1: 2}", "Unexpected character '{'"),
        ("lambda: 1", "Unknown name 'lambda'"),
        ("x if 1 else 2", "Unknown name 'x'"),
        ("1; 2", "Unexpected character ';'"),
        ("#{a}[0]", "[days]"),
        ("abs", "Unknown name 'abs'"),
        ("١ + 1", "Unexpected character"),  # Arabic-Indic digit
        ("#{é}", "Unexpected character 'é'"),
    ],
)
def test_unsafe_or_foreign_input_is_rejected(text: str, fragment: str) -> None:
    assert fragment in error_of(text).message


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty(text: str) -> None:
    error = error_of(text)
    assert error.position == 0
    assert "empty" in error.message


def test_too_long() -> None:
    error = error_of("1+" * 1000 + "1")
    assert error.position == 2000
    assert "too long" in error.message
    assert parse_expression("1" * 10 + "+1", max_length=12).evaluate({}) == 1111111112.0


@pytest.mark.parametrize(
    "text",
    [
        "(" * 65 + "1" + ")" * 65,
        "-" * 200 + "1",
        "!" * 200 + "1",
        "2^" * 100 + "2",
        "abs(" * 70 + "1" + ")" * 70,
        "(" * 20000 + "1" + ")" * 20000,
    ],
)
def test_too_deep(text: str) -> None:
    error = error_of(text, max_length=100_000)
    assert "nested too deeply" in error.message


def test_depth_limit_is_adjustable() -> None:
    text = "(" * 10 + "1" + ")" * 10
    assert parse_expression(text).evaluate({}) == 1.0
    assert "nested too deeply" in error_of(text, max_depth=5).message


def test_huge_max_depth_never_leaks_recursion_error() -> None:
    text = "(" * 20000 + "1" + ")" * 20000
    error = error_of(text, max_length=100_000, max_depth=1_000_000)
    assert "nested too deeply" in error.message


def test_pointer() -> None:
    error = error_of("1 + * 2")
    assert error.pointer("1 + * 2") == "1 + * 2\n    ^"
    text = "1 +\n\t2 ) 3"
    error = error_of(text)
    assert error.pointer(text) == "\t2 ) 3\n\t  ^"
    end = error_of("#{abc")
    assert end.pointer("#{abc") == "#{abc\n     ^"


def test_error_pickles_and_is_a_value_error() -> None:
    error = error_of("1 + * 2")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert (copy.message, copy.position) == (error.message, error.position)
    assert isinstance(error, ValueError)


# --- properties -----------------------------------------------------------------------------

EXPRESSION_ALPHABET = "#{}C[]days().,*0123456789+-/%^=!<>&|eE abcdfgilnorstuvxyzNZ_\n"


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_fuzz_arbitrary_text_only_raises_expression_error(text: str) -> None:
    try:
        parse_expression(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)


@given(
    st.text(alphabet=EXPRESSION_ALPHABET, max_size=120),
    st.dictionaries(
        st.sampled_from([A, B, Operand("a", "b"), Operand("ab")]),
        st.none() | st.floats(allow_nan=False, allow_infinity=False),
    ),
    st.booleans(),
    st.none() | st.integers(min_value=1, max_value=366),
)
@settings(max_examples=500)
def test_fuzz_expression_like_text(
    text: str, values: dict[Operand, float | None], missing_as_zero: bool, days: int | None
) -> None:
    try:
        expression = parse_expression(text)
        result = expression.evaluate(
            values, constants={"a": 2.0}, days=days, missing_as_zero=missing_as_zero
        )
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        return
    assert result is None or isinstance(result, bool | float)
    if isinstance(result, float):
        assert math.isfinite(result)


# Arithmetic trees, independent of the module's own AST, with a reference evaluator.


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Neg:
    child: Tree


@dataclass(frozen=True)
class Bin:
    op: str
    left: Tree
    right: Tree


Tree: TypeAlias = Num | Var | Neg | Bin

leaves = st.one_of(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False).map(Num),
    st.integers(min_value=0, max_value=5).map(lambda v: Num(float(v))),
    st.sampled_from(["a", "b", "c"]).map(Var),
)
trees: st.SearchStrategy[Tree] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Neg, children),
        st.builds(Bin, st.sampled_from(["+", "-", "*", "/", "%", "^"]), children, children),
    ),
    max_leaves=25,
)


def show(tree: Tree) -> str:
    """Fully parenthesised text, so the parser's precedence rules cannot change the meaning."""
    if isinstance(tree, Num):
        return repr(tree.value)
    if isinstance(tree, Var):
        return f"#{{{tree.name}}}"
    if isinstance(tree, Neg):
        return f"(-{show(tree.child)})"
    return f"({show(tree.left)} {tree.op} {show(tree.right)})"


def reference(tree: Tree, values: dict[str, float | None], missing_as_zero: bool) -> float | None:
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Var):
        value = values.get(tree.name)
        return (0.0 if missing_as_zero else None) if value is None else value
    if isinstance(tree, Neg):
        inner = reference(tree.child, values, missing_as_zero)
        return None if inner is None else -inner
    x = reference(tree.left, values, missing_as_zero)
    y = reference(tree.right, values, missing_as_zero)
    if x is None or y is None:
        return None
    return reference_binary(tree.op, x, y)


def reference_binary(op: str, x: float, y: float) -> float | None:
    if op in "/%" and y == 0:
        return None
    try:
        results: dict[str, Callable[[], float | complex]] = {
            "+": lambda: x + y,
            "-": lambda: x - y,
            "*": lambda: x * y,
            "/": lambda: x / y,
            "%": lambda: math.fmod(x, y),  # Java semantics: the sign follows the dividend
            "^": lambda: x**y,
        }
        result = results[op]()
    except (ZeroDivisionError, OverflowError):
        return None
    if isinstance(result, complex) or not math.isfinite(result):
        return None
    return result


@given(
    trees,
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.none() | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    ),
    st.booleans(),
)
@settings(max_examples=500)
def test_printed_trees_evaluate_like_the_reference(
    tree: Tree, values: dict[str, float | None], missing_as_zero: bool
) -> None:
    text = show(tree)
    expression = parse_expression(text, max_length=100_000, max_depth=1000)
    operand_values = {Operand(name): value for name, value in values.items()}
    result = expression.evaluate(operand_values, missing_as_zero=missing_as_zero)
    assert result == reference(tree, values, missing_as_zero)
    assert expression.operands() <= {A, B, C}
