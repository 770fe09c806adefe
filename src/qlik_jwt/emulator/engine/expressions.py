"""Chart expressions: the subset of Qlik's expression syntax the emulator evaluates.

Supported: numbers, ``+ - * /``, parentheses, unary minus, and the aggregations ``Sum``,
``Count``, ``Avg``, ``Min``, ``Max`` (function names in any case), each optionally with
``DISTINCT``, over a field or an arithmetic expression of fields. Fields are written bare
(``Sales``), in brackets (``[Unit Price]``) or in double quotes. A leading ``=`` is allowed.

Qlik's semantics kept here: an empty ``Sum`` is 0; ``Count`` counts non-null values, text
included; ``Avg``/``Min``/``Max`` of nothing, arithmetic with null, division by zero and a
result too large for a float are null (``None``), so no infinity ever reaches a JSON answer.
Text in arithmetic is null.

Anything else (other functions, set analysis, nested aggregations, fields outside an
aggregation) raises :class:`ExpressionError` with the position and a fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qlik_jwt.emulator.engine.apps import Field, Value

__all__ = ["AGGREGATIONS", "MAX_DEPTH", "Expression", "ExpressionError", "compile_expression"]

AGGREGATIONS = ("Sum", "Count", "Avg", "Min", "Max")
# Evaluating recurses once per level of the tree, and Python stops near 1,000 frames.
MAX_DEPTH = 200
_AGG_BY_KEY = {name.lower(): name for name in AGGREGATIONS}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | \[(?P<bracketed>[^\]]*)\]
      | "(?P<quoted>[^"]*)"
      | (?P<op>[-+*/(),])
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """An expression the emulator cannot evaluate; the message says where and what to do."""


@dataclass(frozen=True)
class _Token:
    kind: str  # number | name | field | op | end
    text: str
    position: int


@dataclass(frozen=True)
class _Number:
    value: float


@dataclass(frozen=True)
class _FieldRef:
    name: str


@dataclass(frozen=True)
class _Negate:
    operand: _Node


@dataclass(frozen=True)
class _Binary:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Aggregate:
    function: str
    distinct: bool
    argument: _Node


_Node = _Number | _FieldRef | _Negate | _Binary | _Aggregate


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            where = len(text) - len(text[position:].lstrip())
            hint = "; set analysis is not supported by the emulator" if text[where] == "{" else ""
            raise ExpressionError(f"unexpected {text[where]!r} at character {where + 1}{hint}")
        group = match.lastgroup or "op"
        kind = "field" if group in ("bracketed", "quoted") else group
        tokens.append(_Token(kind, match.group(group), match.start(group) + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    """Recursive descent: expr := term (('+'|'-') term)*; term := unary (('*'|'/') unary)*."""

    def __init__(self, text: str, fields: Mapping[str, Field]) -> None:
        self.tokens = _tokenize(text)
        self.at = 0
        self.fields = fields
        self.in_aggregation = False

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.at + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.at += 1
        return token

    def expect(self, op: str) -> None:
        token = self.take()
        if token.text != op or token.kind != "op":
            found = repr(token.text) if token.kind != "end" else "the end"
            raise ExpressionError(f"expected {op!r} at character {token.position}, found {found}")

    def parse(self) -> _Node:
        node = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r} at character {token.position}")
        return node

    def expression(self) -> _Node:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            node = _Binary(op, node, self.term())
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            node = _Binary(op, node, self.unary())
        return node

    def unary(self) -> _Node:
        token = self.peek()
        if token.kind == "op" and token.text in "+-":
            self.take()
            operand = self.unary()
            return _Negate(operand) if token.text == "-" else operand
        return self.primary()

    def primary(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            number = float(token.text)
            if not math.isfinite(number):
                raise ExpressionError(
                    f"the number at character {token.position} is too large to compute with"
                )
            return _Number(number)
        if token.kind == "op" and token.text == "(":
            node = self.expression()
            self.expect(")")
            return node
        if token.kind == "name" and self.peek().text == "(" and self.peek().kind == "op":
            return self.aggregate(token)
        if token.kind in ("name", "field"):
            return self.field_ref(token)
        found = repr(token.text) if token.kind != "end" else "the end"
        raise ExpressionError(f"expected a value at character {token.position}, found {found}")

    def aggregate(self, token: _Token) -> _Node:
        function = _AGG_BY_KEY.get(token.text.lower())
        if function is None:
            raise ExpressionError(
                f"function {token.text}() at character {token.position} is not supported by "
                f"the emulator; use one of {', '.join(AGGREGATIONS)}"
            )
        if self.in_aggregation:
            raise ExpressionError(
                f"{function}() at character {token.position} is nested in another aggregation;"
                " nested aggregations need Aggr(), which the emulator does not support"
            )
        self.expect("(")
        distinct = False
        nxt = self.peek()
        if nxt.kind == "name" and nxt.text.lower() == "distinct" and self.peek(1).text != ")":
            self.take()
            distinct = True
        self.in_aggregation = True
        argument = self.expression()
        self.in_aggregation = False
        self.expect(")")
        return _Aggregate(function, distinct, argument)

    def field_ref(self, token: _Token) -> _Node:
        if token.text not in self.fields:
            known = ", ".join(sorted(self.fields))
            raise ExpressionError(
                f"field {token.text!r} at character {token.position} does not exist; "
                f"the app's fields are {known}"
            )
        if not self.in_aggregation:
            raise ExpressionError(
                f"field {token.text!r} at character {token.position} is outside an "
                f"aggregation; wrap it, e.g. Sum([{token.text}])"
            )
        return _FieldRef(token.text)


Row = Mapping[str, Value]


def _row_value(node: _Node, row: Row) -> Value | None:
    """A node's value for one row (inside an aggregation)."""
    if isinstance(node, _Number):
        return node.value
    if isinstance(node, _FieldRef):
        return row.get(node.name)
    if isinstance(node, _Negate):
        value = _row_value(node.operand, row)
        return -value if isinstance(value, float) else None
    if isinstance(node, _Binary):
        return _arithmetic(node.op, _row_value(node.left, row), _row_value(node.right, row))
    raise AssertionError(f"aggregation inside a row expression: {node}")  # parser forbids it


def _arithmetic(op: str, left: Value | None, right: Value | None) -> float | None:
    if not isinstance(left, float) or not isinstance(right, float):
        return None
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    elif right != 0:
        result = left / right
    else:
        return None
    return result if math.isfinite(result) else None


def _sum(numbers: list[float]) -> float | None:
    """The exact sum, or null when it overflows (``math.fsum`` raises then)."""
    try:
        return math.fsum(numbers)
    except OverflowError:
        return None


def _distinct(values: Iterable[Value]) -> list[Value]:
    return list(dict.fromkeys(values))


def _aggregate(node: _Aggregate, rows: Sequence[Row]) -> float | None:
    values = [v for v in (_row_value(node.argument, row) for row in rows) if v is not None]
    if node.distinct:
        values = _distinct(values)
    if node.function == "Count":
        return float(len(values))
    numbers = [v for v in values if isinstance(v, float)]
    if node.function == "Sum":
        return _sum(numbers)
    if not numbers:
        return None
    if node.function == "Avg":
        total = _sum(numbers)
        return None if total is None else total / len(numbers)
    return min(numbers) if node.function == "Min" else max(numbers)


def _evaluate(node: _Node, rows: Sequence[Row]) -> float | None:
    if isinstance(node, _Number):
        return node.value
    if isinstance(node, _Aggregate):
        return _aggregate(node, rows)
    if isinstance(node, _Negate):
        value = _evaluate(node.operand, rows)
        return None if value is None else -value
    if isinstance(node, _Binary):
        return _arithmetic(node.op, _evaluate(node.left, rows), _evaluate(node.right, rows))
    raise AssertionError(f"field outside an aggregation: {node}")  # parser forbids it


@dataclass(frozen=True)
class Expression:
    """A compiled chart expression; ``evaluate(rows)`` gives its value over a set of rows."""

    text: str
    _root: _Node

    def evaluate(self, rows: Sequence[Row]) -> float | None:
        """The expression's value over ``rows``; ``None`` is Qlik's null."""
        return _evaluate(self._root, rows)


def _depth(root: _Node) -> int:
    deepest, pending = 0, [(root, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(node, _Negate):
            pending.append((node.operand, level + 1))
        elif isinstance(node, _Aggregate):
            pending.append((node.argument, level + 1))
        elif isinstance(node, _Binary):
            pending += [(node.left, level + 1), (node.right, level + 1)]
    return deepest


def compile_expression(text: str, fields: Mapping[str, Field]) -> Expression:
    """Parse ``text`` against an app's fields; raise :class:`ExpressionError` if unsupported.

    An expression nested more than :data:`MAX_DEPTH` levels deep is refused, so evaluating
    a compiled one never exhausts the stack.
    """
    # Blank out a leading "=" rather than cut it, so positions in messages match ``text``.
    start = len(text) - len(text.lstrip())
    source = text[:start] + " " + text[start + 1 :] if text[start:].startswith("=") else text
    if not source.strip():
        raise ExpressionError("the expression is empty; write one such as Sum(Sales)")
    try:
        root = _Parser(source, fields).parse()
    except RecursionError:  # hundreds of nested parentheses or signs
        root = None
    if root is None or _depth(root) > MAX_DEPTH:
        raise ExpressionError(
            f"the expression nests too deeply (more than {MAX_DEPTH} levels); simplify it"
        )
    return Expression(text, root)
