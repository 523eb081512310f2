"""A safe expression language for indicators and validation rules (a DHIS2 subset).

Expressions are typed in by administrators, so they are never handed to Python: a hand-written
tokenizer and a Pratt parser turn the text into an immutable tree of frozen dataclasses, and a
small interpreter evaluates that tree.

Syntax
    numbers ``12``, ``3.5``, ``.5``, ``1e3``; ``+ - * / %`` and ``^`` (power, right-associative,
    binds tighter than unary minus so ``-2^2`` is -4); comparisons ``== != < <= > >=``; logic
    ``&& || !`` or ``and or not``; parentheses.

    ``#{de}``, ``#{de.coc}``, ``#{de.coc.aoc}``: a data element total, or one category option
    combo / attribute option combo of it (``*`` for "any"); ``C{constant}``; ``[days]``, the
    number of days in the period.

    Functions: ``if(c, a, b)``, ``isNull(x)``, ``isNotNull(x)``, ``firstNonNull(a, ...)``,
    ``greatest(a, ...)``, ``least(a, ...)``, ``removeZeros(x)``, ``abs(x)``, ``round(x[, d])``.

Precedence follows DHIS2's grammar, tightest first: ``^``; unary ``- + ! not``; ``* / %``;
``+ -``; ``< <= > >=``; ``== !=``; ``&& and``; ``|| or``.

Values are floats, booleans (from comparisons and logic; True counts as 1 in arithmetic) or
None (no value). Arithmetic that has no finite answer (division by zero, overflow, a negative
number to a fractional power) gives None instead of raising.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal, NamedTuple, TypeAlias

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _django_gettext


def _(message: str) -> str:
    """Translate `message`; outside a configured Django (plain scripts, bare pytest) keep it."""
    try:
        return _django_gettext(message)
    except ImproperlyConfigured:
        return message


def gettext_noop(message: str) -> str:
    """Mark a msgid for makemessages without translating (Django's own needs settings)."""
    return message


class ExpressionError(ValueError):
    """The expression is malformed, or cannot be evaluated (for example an unknown constant).

    `position` is a 0-based character offset into the expression text.
    """

    def __init__(self, message: str, position: int = 0) -> None:
        # Both go to args so the exception survives pickling (e.g. across task workers).
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return _("%(message)s at position %(position)d") % {
            "message": self.message,
            "position": self.position,
        }

    def pointer(self, text: str) -> str:
        """The line of `text` holding the error, with a caret under the offending character."""
        line_start = text.rfind("\n", 0, self.position) + 1
        line_end = text.find("\n", self.position)
        line = text[line_start : len(text) if line_end == -1 else line_end]
        # Keep tabs so the caret lines up however wide the terminal draws them.
        padding = "".join("\t" if ch == "\t" else " " for ch in text[line_start : self.position])
        return f"{line}\n{padding}^"


# --- the tree -------------------------------------------------------------------------------


class Operand(NamedTuple):
    """``#{de.coc.aoc}``; None (written ``*`` or left out) means "total / any"."""

    # A tuple, not a dataclass: operands key the values of every unit and period an evaluation
    # reads (millions of look-ups in a full alert evaluation), and a tuple's hash and equality
    # run in C where a dataclass's ran Python code on every look-up.
    data_element: str
    category_option_combo: str | None = None
    attribute_option_combo: str | None = None


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class ConstantRef:
    name: str
    # Where it was written, for evaluation errors; not part of the value.
    position: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Days:
    position: int = field(default=0, compare=False, repr=False)


UnaryOp: TypeAlias = Literal["-", "+", "!"]


@dataclass(frozen=True)
class Unary:
    op: UnaryOp
    operand: Node


@dataclass(frozen=True)
class Power:
    base: Node
    exponent: Node


@dataclass(frozen=True)
class Chain:
    """Left-associative operators of one precedence level: ``a + b - c`` is
    ``Chain(a, (("+", b), ("-", c)))``.

    Flattening keeps the tree shallow however many terms a sum has, so nothing that walks it
    (evaluation, equality, repr) can hit Python's recursion limit.
    """

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


Node: TypeAlias = Number | Operand | ConstantRef | Days | Unary | Power | Chain | Call

Value: TypeAlias = float | bool | None

# --- tokens ---------------------------------------------------------------------------------

TokenKind: TypeAlias = Literal[
    "number", "operand", "constant", "days", "name", "op", "(", ")", ",", "end"
]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str
    position: int
    node: Node | None = None

    @property
    def operator(self) -> str:
        """The symbol an operator token stands for: "and" is "&&"."""
        return _WORD_OPERATORS.get(self.text, self.text)


_NUMBER_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_ID_CHARS = _NAME_CHARS | frozenset("-")
_ID_MAX_LENGTH = 50
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "^", "!")
_WORD_OPERATORS = {"and": "&&", "or": "||", "not": "!"}
# Operators people bring from other languages, with the message that points them home.
_FOREIGN_OPERATORS = {
    "**": gettext_noop("'**' is not supported; use '^' for powers"),
    "=": gettext_noop("'=' is not supported; use '==' to compare"),
    "&": gettext_noop("'&' is not supported; use '&&' or 'and'"),
    "|": gettext_noop("'|' is not supported; use '||' or 'or'"),
}


class _Lexer:
    """Produces tokens on demand, so errors are reported in reading order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0

    def next_token(self) -> _Token:
        text = self.text
        while self.index < len(text) and text[self.index].isspace():
            self.index += 1
        start = self.index
        if start >= len(text):
            return _Token("end", "", start)
        char = text[start]
        if char == "#":
            return self._operand(start)
        if char == "C" and text.startswith("C{", start):
            return self._constant(start)
        if char == "[":
            return self._days(start)
        if char.isascii() and (char.isdigit() or char == "."):
            return self._number(start)
        if char.isascii() and (char.isalpha() or char == "_"):
            return self._name(start)
        if char in "(),":
            self.index += 1
            kind: TokenKind = "(" if char == "(" else ")" if char == ")" else ","
            return _Token(kind, char, start)
        return self._operator(start)

    def _operator(self, start: int) -> _Token:
        for foreign, message in _FOREIGN_OPERATORS.items():
            if self.text.startswith(foreign, start) and not any(
                op.startswith(foreign) and self.text.startswith(op, start)
                for op in _OPERATORS
                if len(op) > len(foreign)
            ):
                raise ExpressionError(_(message), start)
        for op in _OPERATORS:
            if self.text.startswith(op, start):
                self.index += len(op)
                return _Token("op", op, start)
        raise ExpressionError(
            _("Unexpected character %(char)s") % {"char": repr(self.text[start])}, start
        )

    def _number(self, start: int) -> _Token:
        match = _NUMBER_RE.match(self.text, start)
        end = match.end() if match else start
        # "12abc", "1.2.3" and "1e" are typos, not a number followed by something else.
        if match is None or (end < len(self.text) and self.text[end] in _NAME_CHARS | {"."}):
            raise ExpressionError(_("Invalid number"), start)
        value = float(match.group())
        if not math.isfinite(value):
            raise ExpressionError(_("Number is too large"), start)
        self.index = end
        return _Token("number", match.group(), start, Number(value))

    def _name(self, start: int) -> _Token:
        match = _NAME_RE.match(self.text, start)
        assert match is not None  # the caller saw a letter or underscore
        self.index = match.end()
        kind: TokenKind = "op" if match.group() in _WORD_OPERATORS else "name"
        return _Token(kind, match.group(), start)

    def _days(self, start: int) -> _Token:
        if not self.text.startswith("[days]", start):
            raise ExpressionError(_("Expected '[days]'"), start)
        self.index = start + len("[days]")
        return _Token("days", "[days]", start, Days(start))

    def _braced(self, start: int, allowed: frozenset[str], what: str) -> tuple[str, int]:
        """The text between ``X{`` at `start` and its ``}``, and where that text begins."""
        if not self.text.startswith("{", start + 1):
            raise ExpressionError(_("Expected '{' after '#'"), start + 1)
        body_start = index = start + 2
        while index < len(self.text) and self.text[index] in allowed:
            index += 1
        if index >= len(self.text):
            raise ExpressionError(_("Missing '}' to close the %(what)s") % {"what": what}, index)
        if self.text[index] != "}":
            raise ExpressionError(
                _("Unexpected character %(char)s in the %(what)s")
                % {"char": repr(self.text[index]), "what": what},
                index,
            )
        self.index = index + 1
        return self.text[body_start:index], body_start

    def _operand(self, start: int) -> _Token:
        body, body_start = self._braced(start, _ID_CHARS | {".", "*"}, _("operand"))
        parts = body.split(".")
        if len(parts) > 3:
            offset = body_start + len(".".join(parts[:3]))
            raise ExpressionError(
                _("An operand has at most three parts: #{element.combo.attribute}"), offset
            )
        offset = body_start
        for index, part in enumerate(parts):
            _check_identifier(part, offset, wildcard_allowed=index > 0)
            offset += len(part) + 1
        combos = [None if part == "*" else part for part in parts[1:]] + [None, None]
        operand = Operand(parts[0], combos[0], combos[1])
        return _Token("operand", self.text[start : self.index], start, operand)

    def _constant(self, start: int) -> _Token:
        body, body_start = self._braced(start, _ID_CHARS, _("constant"))
        _check_identifier(body, body_start, wildcard_allowed=False)
        return _Token("constant", self.text[start : self.index], start, ConstantRef(body, start))


def _check_identifier(part: str, position: int, *, wildcard_allowed: bool) -> None:
    if part == "*":
        if wildcard_allowed:
            return
        raise ExpressionError(_("The data element cannot be the wildcard '*'"), position)
    if not part:
        raise ExpressionError(_("Missing identifier"), position)
    if len(part) > _ID_MAX_LENGTH:
        raise ExpressionError(
            _("Identifier is longer than %(max)d characters") % {"max": _ID_MAX_LENGTH}, position
        )
    if "*" in part:
        raise ExpressionError(
            _("'*' may only stand alone, for a category or attribute option combo"),
            position + part.index("*"),
        )


# --- parsing --------------------------------------------------------------------------------

# Binding powers (left, right); left-associative levels use right = left + 1.
_INFIX: dict[str, tuple[int, int]] = {
    "||": (1, 2),
    "&&": (3, 4),
    "==": (5, 6),
    "!=": (5, 6),
    "<": (7, 8),
    "<=": (7, 8),
    ">": (7, 8),
    ">=": (7, 8),
    "+": (9, 10),
    "-": (9, 10),
    "*": (11, 12),
    "/": (11, 12),
    "%": (11, 12),
    "^": (16, 15),  # right-associative, and tighter than the prefix operators
}
_PREFIX_POWER = 13

# Arity as (minimum, maximum); None means any number.
_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "isNull": (1, 1),
    "isNotNull": (1, 1),
    "firstNonNull": (1, None),
    "greatest": (1, None),
    "least": (1, None),
    "removeZeros": (1, 1),
    "abs": (1, 1),
    "round": (1, 2),
}


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return _("Unexpected end of expression")
    return _("Unexpected '%(token)s'") % {"token": token.text}


class _Parser:
    def __init__(self, text: str, max_depth: int) -> None:
        self.lexer = _Lexer(text)
        self.max_depth = max_depth
        self.depth = 0
        self.token = self.lexer.next_token()

    def advance(self) -> _Token:
        token = self.token
        self.token = self.lexer.next_token()
        return token

    def expect(self, kind: TokenKind) -> _Token:
        if kind == ")" and self.token.kind == "end":
            raise ExpressionError(_("Missing ')'"), self.token.position)
        if self.token.kind != kind:
            raise ExpressionError(_describe(self.token), self.token.position)
        return self.advance()

    def parse(self) -> Node:
        node, _height = self.expression(0)
        if self.token.kind != "end":
            raise ExpressionError(_describe(self.token), self.token.position)
        return node

    def _check_depth(self, height: int, position: int) -> None:
        # Both the parser's own recursion and the height of the tree it builds are bounded,
        # so neither parsing nor walking the tree can reach Python's recursion limit.
        if self.depth > self.max_depth or height > self.max_depth:
            raise ExpressionError(
                _("The expression is nested too deeply (more than %(max)d levels)")
                % {"max": self.max_depth},
                position,
            )

    def expression(self, min_power: int) -> tuple[Node, int]:
        """Parse while operators bind at least `min_power`; return the node and its height."""
        self.depth += 1
        self._check_depth(0, self.token.position)
        left, height = self.prefix()
        while self.token.kind == "op" and self.token.operator in _INFIX:
            op = self.token.operator
            left_power, right_power = _INFIX[op]
            if left_power < min_power:
                break
            position = self.advance().position
            right, right_height = self.expression(right_power)
            left, height = _combine(op, left, height, right, right_height)
            self._check_depth(height, position)
        self.depth -= 1
        return left, height

    def prefix(self) -> tuple[Node, int]:
        token = self.token
        if token.kind in ("number", "operand", "constant", "days"):
            self.advance()
            assert token.node is not None
            return token.node, 1
        if token.kind == "(":
            self.advance()
            node, height = self.expression(0)
            self.expect(")")
            return node, height
        if token.kind == "name":
            return self.name()
        if token.kind == "op" and token.operator in ("-", "+", "!"):
            return self.unary(token, _unary_op(token.operator))
        raise ExpressionError(_describe(token), token.position)

    def unary(self, token: _Token, op: UnaryOp) -> tuple[Node, int]:
        self.advance()
        operand, height = self.expression(_PREFIX_POWER)
        self._check_depth(height + 1, token.position)
        return Unary(op, operand), height + 1

    def name(self) -> tuple[Node, int]:
        token = self.token
        # Look at the raw text rather than the next token: in "os.system" the next token
        # would be a malformed number, and the better message is about the name.
        if not self.lexer.text[self.lexer.index :].lstrip().startswith("("):
            raise ExpressionError(
                _("Unknown name '%(name)s'; functions are called like if(a, b, c)")
                % {"name": token.text},
                token.position,
            )
        if token.text not in _FUNCTIONS:
            raise ExpressionError(
                _("Unknown function '%(name)s'") % {"name": token.text}, token.position
            )
        self.advance()
        return self.call(token)

    def call(self, name: _Token) -> tuple[Node, int]:
        self.expect("(")
        args: list[Node] = []
        height = 0
        if self.token.kind != ")":
            while True:
                arg, arg_height = self.expression(0)
                args.append(arg)
                height = max(height, arg_height)
                if self.token.kind != ",":
                    break
                self.advance()
        self.expect(")")
        _check_arity(name, len(args))
        self._check_depth(height + 1, name.position)
        return Call(name.text, tuple(args)), height + 1


def _unary_op(text: str) -> UnaryOp:
    return "-" if text == "-" else "+" if text == "+" else "!"


def _group(op: str) -> int:
    return _INFIX[op][0]


def _combine(
    op: str, left: Node, left_height: int, right: Node, right_height: int
) -> tuple[Node, int]:
    if op == "^":
        return Power(left, right), max(left_height, right_height) + 1
    # Extending the left chain is exact: a chain is evaluated as a left fold, which is what
    # the nested left-associative tree would compute.
    if isinstance(left, Chain) and _group(left.rest[0][0]) == _group(op):
        return Chain(left.first, (*left.rest, (op, right))), max(left_height, right_height + 1)
    return Chain(left, ((op, right),)), max(left_height, right_height) + 1


def _check_arity(name: _Token, count: int) -> None:
    minimum, maximum = _FUNCTIONS[name.text]
    if count < minimum or (maximum is not None and count > maximum):
        if maximum is None:
            expected = _("at least %(n)d") % {"n": minimum}
        elif minimum == maximum:
            expected = str(minimum)
        else:
            expected = _("%(min)d to %(max)d") % {"min": minimum, "max": maximum}
        raise ExpressionError(
            _("%(name)s() takes %(expected)s argument(s), not %(count)d")
            % {"name": name.text, "expected": expected, "count": count},
            name.position,
        )


def parse_expression(text: str, *, max_length: int = 2000, max_depth: int = 64) -> Expression:
    """Parse `text` into an Expression; raise ExpressionError for anything malformed."""
    if not isinstance(text, str):
        raise ExpressionError(_("The expression must be text"), 0)
    if not text.strip():
        raise ExpressionError(_("The expression is empty"), 0)
    if len(text) > max_length:
        raise ExpressionError(
            _("The expression is too long (%(length)d characters; the limit is %(max)d)")
            % {"length": len(text), "max": max_length},
            max_length,
        )
    try:
        root = _Parser(text, max_depth).parse()
    except RecursionError:
        # Only reachable when a caller raises max_depth far above the default.
        raise ExpressionError(_("The expression is nested too deeply"), 0) from None
    return Expression(text, root)


# --- the expression -------------------------------------------------------------------------


def _walk(root: Node) -> Iterator[Node]:
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Power):
            stack.extend((node.base, node.exponent))
        elif isinstance(node, Chain):
            stack.append(node.first)
            stack.extend(operand for _op, operand in node.rest)
        elif isinstance(node, Call):
            stack.extend(node.args)


@dataclass(frozen=True)
class Expression:
    text: str
    root: Node

    def __str__(self) -> str:
        return self.text

    def operands(self) -> frozenset[Operand]:
        return frozenset(node for node in _walk(self.root) if isinstance(node, Operand))

    def constants(self) -> frozenset[str]:
        return frozenset(node.name for node in _walk(self.root) if isinstance(node, ConstantRef))

    @property
    def uses_days(self) -> bool:
        return any(isinstance(node, Days) for node in _walk(self.root))

    def evaluate(
        self,
        values: Mapping[Operand, float | None],
        *,
        constants: Mapping[str, float] | None = None,
        days: int | None = None,
        missing_as_zero: bool = True,
    ) -> Value:
        """Compute the expression.

        With `missing_as_zero`, an operand without a value counts as 0, except inside
        isNull/isNotNull/firstNonNull, whose arguments see it as null. Without it, a missing
        operand is null and makes any arithmetic around it null. Unknown constants, or
        ``[days]`` without `days`, raise ExpressionError whichever branch they sit in.
        """
        constants = constants or {}
        self._check_inputs(constants, days)
        context = _Context(values, constants, days, missing_as_zero)
        try:
            return context.evaluate(self.root, nulls=not missing_as_zero)
        except RecursionError:
            raise ExpressionError(_("The expression is nested too deeply"), 0) from None

    def _check_inputs(self, constants: Mapping[str, float], days: int | None) -> None:
        for node in _walk(self.root):
            if isinstance(node, ConstantRef) and node.name not in constants:
                raise ExpressionError(
                    _("Unknown constant '%(name)s'") % {"name": node.name}, node.position
                )
            if isinstance(node, Days) and days is None:
                raise ExpressionError(
                    _("[days] needs the number of days in the period"), node.position
                )


def format_operand(operand: Operand) -> str:
    """The expression text for `operand`: ``#{de}``, ``#{de.coc}``, ``#{de.*.aoc}``..."""
    parts = [operand.data_element]
    if operand.category_option_combo is not None or operand.attribute_option_combo is not None:
        parts.append(operand.category_option_combo or "*")
    if operand.attribute_option_combo is not None:
        parts.append(operand.attribute_option_combo)
    return "#{" + ".".join(parts) + "}"


# --- evaluation -----------------------------------------------------------------------------

# Functions whose arguments see missing operands as null even when missing_as_zero is on.
_NULL_AWARE = frozenset({"isNull", "isNotNull", "firstNonNull"})


def _number(value: Value) -> float | None:
    if value is None:
        return None
    return float(value)


def _finite(value: float | complex) -> float | None:
    # A complex result means a negative base with a fractional exponent: no real answer.
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return value


def _arithmetic(op: str, a: Value, b: Value) -> float | None:
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    try:
        if op == "+":
            return _finite(x + y)
        if op == "-":
            return _finite(x - y)
        if op == "*":
            return _finite(x * y)
        if op == "/":
            return None if y == 0 else _finite(x / y)
        if op == "%":
            # fmod, like DHIS2's Java: the sign follows the dividend.
            return None if y == 0 else _finite(math.fmod(x, y))
        return _finite(x**y)
    except (ZeroDivisionError, OverflowError):
        return None


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: Value, b: Value) -> bool | None:
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    return _COMPARISONS[op](x, y)


def _truth(value: Value) -> bool | None:
    return None if value is None else bool(value)


def _logical(op: str, values: list[Value]) -> bool | None:
    # Three-valued (Kleene) logic: null && false is false, null || true is true.
    truths = [_truth(v) for v in values]
    decisive = op == "||"
    if decisive in truths:
        return decisive
    if None in truths:
        return None
    return not decisive


# Enough digits for any finite float (up to ~1.8e308) plus the 15 decimals we keep.
_ROUNDING_CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP)


def _round(value: float, digits: float) -> float:
    # Half away from zero on the decimal text, as people round by hand: round(2.675, 2) is 2.68.
    places = max(-15, min(15, int(digits)))
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(repr(value)).quantize(quantum, context=_ROUNDING_CONTEXT)
    return float(rounded) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class _Context:
    values: Mapping[Operand, float | None]
    constants: Mapping[str, float]
    days: int | None
    missing_as_zero: bool

    def evaluate(self, node: Node, *, nulls: bool) -> Value:
        """`nulls`: whether a missing operand is null here (else it counts as zero)."""
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Operand):
            value = self.values.get(node)
            if value is None or not math.isfinite(value):
                return None if nulls else 0.0
            return float(value)
        if isinstance(node, ConstantRef):
            return _finite(float(self.constants[node.name]))
        if isinstance(node, Days):
            return float(self.days) if self.days is not None else None
        if isinstance(node, Unary):
            return self.unary(node, nulls=nulls)
        if isinstance(node, Power):
            base = self.evaluate(node.base, nulls=nulls)
            return _arithmetic("^", base, self.evaluate(node.exponent, nulls=nulls))
        if isinstance(node, Chain):
            return self.chain(node, nulls=nulls)
        return self.call(node, nulls=nulls)

    def unary(self, node: Unary, *, nulls: bool) -> Value:
        value = self.evaluate(node.operand, nulls=nulls)
        if node.op == "!":
            truth = _truth(value)
            return None if truth is None else not truth
        number = _number(value)
        if number is None:
            return None
        return -number if node.op == "-" else number

    def chain(self, node: Chain, *, nulls: bool) -> Value:
        values = [self.evaluate(node.first, nulls=nulls)]
        values.extend(self.evaluate(operand, nulls=nulls) for _op, operand in node.rest)
        first_op = node.rest[0][0]
        if first_op in ("&&", "||"):
            return _logical(first_op, values)
        result = values[0]
        for (op, _operand), value in zip(node.rest, values[1:], strict=True):
            if op in ("+", "-", "*", "/", "%"):
                result = _arithmetic(op, result, value)
            else:
                result = _compare(op, result, value)
        return result

    def call(self, node: Call, *, nulls: bool) -> Value:
        name = node.function
        if name == "if":
            condition = _truth(self.evaluate(node.args[0], nulls=nulls))
            if condition is None:
                return None
            return self.evaluate(node.args[1] if condition else node.args[2], nulls=nulls)
        args = [self.evaluate(arg, nulls=nulls or name in _NULL_AWARE) for arg in node.args]
        if name == "isNull":
            return args[0] is None
        if name == "isNotNull":
            return args[0] is not None
        if name == "firstNonNull":
            return next((arg for arg in args if arg is not None), None)
        if name in ("greatest", "least"):
            # Like SQL's GREATEST/LEAST in PostgreSQL: nulls are skipped, not contagious.
            numbers = [n for n in map(_number, args) if n is not None]
            if not numbers:
                return None
            return max(numbers) if name == "greatest" else min(numbers)
        number = _number(args[0])
        if number is None:
            return None
        if name == "removeZeros":
            return None if number == 0 else args[0]
        if name == "abs":
            return abs(number)
        digits = _number(args[1]) if len(args) > 1 else 0.0
        return None if digits is None else _finite(_round(number, digits))
