"""The subset of ADQL the archive emulator understands, evaluated with polars.

``SELECT [DISTINCT] [TOP n] cols | * | COUNT(*) [AS a] FROM table [[AS] t]
[WHERE predicate] [ORDER BY col [ASC|DESC], ...]``, where predicates are comparisons
(``= != <> < <= > >=``), ``[NOT] IN (...)``, ``[NOT] LIKE``/``ILIKE``, ``IS [NOT] NULL`` and
``[NOT] BETWEEN``, combined with ``AND``, ``OR``, ``NOT`` and parentheses. Keywords are
case-insensitive; unquoted identifiers match columns case-insensitively, ``"quoted"`` ones
exactly. That is enough for what daxa asks (``SELECT TOP 9999999 ... FROM t``,
``SELECT COUNT(*) AS n FROM t WHERE ...``) and catches malformed queries the way a real TAP
service would: with an error naming the problem.

>>> import polars as pl
>>> frame = pl.DataFrame({"obsid": [1, 2, 3], "name": ["Crab", "M87", None]})
>>> q = parse("SELECT TOP 5 obsid FROM chanmaster WHERE name LIKE 'M%' OR name IS NULL")
>>> execute(q, frame).frame["obsid"].to_list()
[2, 3]
>>> execute(parse("select count(*) as n from chanmaster"), frame).frame.row(0)
(3,)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError


class ADQLError(InputError):
    """A query the emulator cannot run: bad syntax, unknown table or column, type mismatch."""


# ---------------------------------------------------------------------------------------------
# syntax tree


@dataclass(frozen=True)
class Column:
    """A column reference; ``quoted`` names match exactly, others case-insensitively."""

    name: str
    quoted: bool = False
    qualifier: str | None = None


@dataclass(frozen=True)
class Literal:
    value: Any  # str, int, float or None


Operand = Column | Literal


@dataclass(frozen=True)
class Compare:
    left: Operand
    op: str
    right: Operand


@dataclass(frozen=True)
class InList:
    operand: Operand
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    operand: Operand
    pattern: str
    negated: bool = False
    case_insensitive: bool = False


@dataclass(frozen=True)
class IsNull:
    operand: Operand
    negated: bool = False


@dataclass(frozen=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand
    negated: bool = False


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" or "OR"
    left: Predicate
    right: Predicate


@dataclass(frozen=True)
class Not:
    operand: Predicate


Predicate = Compare | InList | Like | IsNull | Between | BoolOp | Not


@dataclass(frozen=True)
class SelectItem:
    """One output column: a column reference or ``COUNT(*)``, with an optional alias."""

    column: Column | None  # None means COUNT(*)
    alias: str | None = None


@dataclass(frozen=True)
class Query:
    """A parsed ``SELECT``; ``items`` is empty for ``SELECT *``."""

    table: str
    schema: str | None = None
    alias: str | None = None
    items: tuple[SelectItem, ...] = ()
    top: int | None = None
    distinct: bool = False
    where: Predicate | None = None
    order_by: tuple[tuple[Column | int, bool], ...] = field(default=())  # (key, descending)

    @property
    def is_count(self) -> bool:
        return any(item.column is None for item in self.items)


# ---------------------------------------------------------------------------------------------
# tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<qident>"(?:[^"]|"")+")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<punct>[(),.*;+-])
    """,
    re.VERBOSE,
)

_KEYWORDS = frozenset(
    {
        *("SELECT", "TOP", "DISTINCT", "ALL", "FROM", "WHERE", "AND", "OR", "NOT", "IN"),
        *("LIKE", "ILIKE", "IS", "NULL", "ORDER", "BY", "ASC", "DESC", "AS", "BETWEEN"),
        *("GROUP", "HAVING", "JOIN", "UNION", "OFFSET"),
    }
)


_UNSUPPORTED = {
    "GROUP": "GROUP BY",
    "HAVING": "HAVING",
    "JOIN": "JOIN",
    "UNION": "UNION",
    "OFFSET": "OFFSET",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, qident, ident, keyword, op, punct, end
    text: str
    pos: int


def _tokenize(sql: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(sql):
        match = _TOKEN.match(sql, pos)
        if not match:
            raise ADQLError(f"unexpected character {sql[pos]!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "ident" and text.upper() in _KEYWORDS:
            kind, text = "keyword", text.upper()
        if kind != "ws":
            tokens.append(_Token(kind, text, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(sql)))
    return tokens


# ---------------------------------------------------------------------------------------------
# parser


class _Parser:
    def __init__(self, sql: str) -> None:
        self.tokens = _tokenize(sql)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def error(self, expected: str) -> ADQLError:
        tok = self.tok
        found = "end of query" if tok.kind == "end" else repr(tok.text)
        return ADQLError(
            f"syntax error at position {tok.pos + 1}: expected {expected}, found {found}"
        )

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str | None = None, what: str | None = None) -> _Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.error(what or text or kind)
        return tok

    def keyword(self, *words: str) -> bool:
        start = self.i
        for word in words:
            if not self.accept("keyword", word):
                self.i = start
                return False
        return True

    # -- grammar ------------------------------------------------------------------------------

    def query(self) -> Query:
        self.expect("keyword", "SELECT")
        distinct = self.keyword("DISTINCT")
        self.keyword("ALL")
        top = None
        if self.keyword("TOP"):
            top = int(self.expect("number", what="a row count after TOP").text.split(".")[0])
        items = self.select_list()
        self.expect("keyword", "FROM")
        schema, table = self.table_name()
        alias = None
        if self.keyword("AS") or self.tok.kind in ("ident", "qident"):
            alias = self.identifier("a table alias")
        where = None
        if self.keyword("WHERE"):
            where = self.predicate()
        order: list[tuple[Column | int, bool]] = []
        if self.keyword("ORDER", "BY"):
            while True:
                key: Column | int
                if self.tok.kind == "number":
                    key = int(self.expect("number").text)
                else:
                    key = self.column()
                descending = bool(self.keyword("DESC"))
                if not descending:
                    self.keyword("ASC")
                order.append((key, descending))
                if not self.accept("punct", ","):
                    break
        if self.tok.kind == "keyword" and self.tok.text in _UNSUPPORTED:
            raise ADQLError(f"{_UNSUPPORTED[self.tok.text]} is not supported by this service")
        self.accept("punct", ";")
        if self.tok.kind != "end":
            raise self.error("end of query")
        return Query(
            table=table,
            schema=schema,
            alias=alias,
            items=items,
            top=top,
            distinct=distinct,
            where=where,
            order_by=tuple(order),
        )

    def select_list(self) -> tuple[SelectItem, ...]:
        if self.accept("punct", "*"):
            return ()
        items: list[SelectItem] = []
        while True:
            column: Column | None
            if self.tok.kind == "ident" and self.tok.text.upper() == "COUNT":
                self.i += 1
                self.expect("punct", "(")
                self.expect("punct", "*", what="* in COUNT(*)")
                self.expect("punct", ")")
                column = None
            elif self.tok.kind in ("ident", "qident"):
                column = self.column()
            else:
                raise self.error("a column name, * or COUNT(*)")
            alias = None
            if self.keyword("AS"):
                alias = self.identifier("an alias")
            items.append(SelectItem(column, alias))
            if not self.accept("punct", ","):
                return tuple(items)

    def identifier(self, what: str) -> str:
        tok = self.accept("ident") or self.accept("qident")
        if tok is None:
            raise self.error(what)
        return tok.text[1:-1].replace('""', '"') if tok.kind == "qident" else tok.text

    def table_name(self) -> tuple[str | None, str]:
        first = self.identifier("a table name")
        if self.accept("punct", "."):
            return first, self.identifier("a table name after the schema")
        return None, first

    def column(self) -> Column:
        tok = self.accept("ident") or self.accept("qident")
        if tok is None:
            raise self.error("a column name")
        if self.accept("punct", "."):
            inner = self.accept("ident") or self.accept("qident")
            if inner is None:
                raise self.error("a column name after the qualifier")
            return Column(_unquote(inner), inner.kind == "qident", qualifier=_unquote(tok))
        return Column(_unquote(tok), tok.kind == "qident")

    def predicate(self) -> Predicate:
        left = self.conjunction()
        while self.keyword("OR"):
            left = BoolOp("OR", left, self.conjunction())
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.keyword("AND"):
            left = BoolOp("AND", left, self.negation())
        return left

    def negation(self) -> Predicate:
        if self.keyword("NOT"):
            return Not(self.negation())
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.i += 1
            inner = self.predicate()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def operand(self) -> Operand:
        tok = self.tok
        if tok.kind in ("ident", "qident"):
            return self.column()
        if tok.kind == "string":
            self.i += 1
            return Literal(tok.text[1:-1].replace("''", "'"))
        if tok.kind == "keyword" and tok.text == "NULL":
            self.i += 1
            return Literal(None)
        sign = 1
        if self.accept("punct", "-"):
            sign = -1
        elif self.accept("punct", "+"):
            pass
        num = self.accept("number")
        if num is None:
            raise self.error("a column name or a literal")
        text = num.text
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        return Literal(sign * value)

    def comparison(self) -> Predicate:
        left = self.operand()
        negated = self.keyword("NOT")
        if self.keyword("IN"):
            self.expect("punct", "(")
            values: list[Literal] = []
            while True:
                value = self.operand()
                if not isinstance(value, Literal):
                    raise ADQLError("IN (...) takes literal values only")
                values.append(value)
                if not self.accept("punct", ","):
                    break
            self.expect("punct", ")")
            return InList(left, tuple(values), negated)
        if self.tok.kind == "keyword" and self.tok.text in ("LIKE", "ILIKE"):
            insensitive = self.expect("keyword").text == "ILIKE"
            pattern = self.expect("string", what="a quoted LIKE pattern").text
            return Like(left, pattern[1:-1].replace("''", "'"), negated, insensitive)
        if self.keyword("BETWEEN"):
            low = self.operand()
            self.expect("keyword", "AND")
            return Between(left, low, self.operand(), negated)
        if negated:
            raise self.error("IN, LIKE or BETWEEN after NOT")
        if self.keyword("IS"):
            is_not = self.keyword("NOT")
            self.expect("keyword", "NULL")
            return IsNull(left, is_not)
        op = self.accept("op")
        if op is None:
            raise self.error("a comparison operator")
        return Compare(left, "!=" if op.text == "<>" else op.text, self.operand())


def _unquote(tok: _Token) -> str:
    return tok.text[1:-1].replace('""', '"') if tok.kind == "qident" else tok.text


def parse(sql: str) -> Query:
    """Parse one ADQL ``SELECT`` into a :class:`Query`.

    >>> parse('SELECT TOP 10 ra, "dec" FROM xsa.v_all_observations').schema
    'xsa'
    >>> try:
    ...     parse("SELECT * FROM t WHERE")
    ... except ADQLError as exc:
    ...     print(exc)
    syntax error at position 22: expected a column name or a literal, found end of query
    """
    if not sql or not sql.strip():
        raise ADQLError("empty query")
    return _Parser(sql).query()


# ---------------------------------------------------------------------------------------------
# evaluation


@dataclass(frozen=True)
class Result:
    """Rows a query returns, and whether a row cap cut them short (TAP ``OVERFLOW``)."""

    frame: pl.DataFrame
    overflow: bool = False


def execute(
    query: Query,
    frame: pl.DataFrame,
    *,
    limit: int | None = None,
    sample: np.random.Generator | None = None,
) -> Result:
    """Run ``query`` on ``frame`` (the table it names).

    Without ``TOP``, at most ``limit`` rows come back: a random subset drawn with ``sample``
    when given and the query has no ``ORDER BY`` (what HEASARC does), else the first ones.
    """
    resolver = _Resolver(query, frame)
    lazy = frame.lazy()
    if query.where is not None:
        lazy = lazy.filter(resolver.predicate(query.where))
    if query.is_count:
        if len(query.items) != 1:
            raise ADQLError("COUNT(*) cannot be mixed with columns (GROUP BY is not supported)")
        name = query.items[0].alias or "count"
        counted = _collect(lazy.select(pl.len().cast(pl.Int64).alias(name)))
        return Result(counted)
    if query.items:
        exprs = [
            pl.col(resolver.name(item.column)).alias(item.alias or resolver.name(item.column))
            for item in query.items
            if item.column is not None
        ]
        out_names = [e.meta.output_name() for e in exprs]
        if len(set(out_names)) != len(out_names):
            raise ADQLError(f"duplicate output column names: {', '.join(out_names)}")
    else:
        exprs = [pl.col(c) for c in frame.columns]
        out_names = list(frame.columns)
    if query.order_by:
        keys, descending = [], []
        for key, desc in query.order_by:
            keys.append(resolver.order_key(key, query, out_names))
            descending.append(desc)
        lazy = lazy.sort(keys, descending=descending, nulls_last=True, maintain_order=True)
    lazy = lazy.select(exprs)
    if query.distinct:
        lazy = lazy.unique(maintain_order=True)
    if query.top is not None:
        return Result(_collect(lazy.head(query.top)))
    rows = _collect(lazy)
    if limit is None or rows.height <= limit:
        return Result(rows)
    if sample is not None and not query.order_by:
        keep = np.sort(sample.choice(rows.height, size=limit, replace=False))
        return Result(rows[keep], overflow=True)
    return Result(rows.head(limit), overflow=True)


def _collect(lazy: pl.LazyFrame) -> pl.DataFrame:
    try:
        return lazy.collect()
    except pl.exceptions.PolarsError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ADQLError(f"the query could not be evaluated: {message}") from None


_NUMERIC = {
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
}


class _Resolver:
    """Turns syntax-tree nodes into polars expressions against one table."""

    def __init__(self, query: Query, frame: pl.DataFrame) -> None:
        self.query = query
        self.schema = frame.schema
        self.lower: dict[str, str] = {}
        for name in frame.columns:
            self.lower.setdefault(name.lower(), name)

    def name(self, column: Column) -> str:
        q = self.query
        if column.qualifier is not None and column.qualifier.lower() not in {
            q.table.lower(),
            (q.alias or q.table).lower(),
        }:
            raise ADQLError(
                f"unknown table or alias {column.qualifier!r} in {column.qualifier}.{column.name}"
            )
        if column.quoted:
            if column.name in self.schema:
                return column.name
        elif column.name.lower() in self.lower:
            return self.lower[column.name.lower()]
        shown = ", ".join(list(self.schema)[:40])
        raise ADQLError(
            f"unknown column {column.name!r} in table {q.table}; its columns are: {shown}"
        )

    def order_key(self, key: Column | int, query: Query, out_names: list[str]) -> pl.Expr:
        """A sort key: a column, a select-list alias or a 1-based select-list position."""
        if isinstance(key, int):
            if not 1 <= key <= len(out_names):
                raise ADQLError(f"ORDER BY position {key} is not in the select list")
            item = query.items[key - 1] if query.items else None
            key = item.column if item and item.column else Column(out_names[key - 1], True)
        else:
            for item in query.items:  # an alias from the select list
                alias = item.alias
                if alias and item.column is not None and alias.lower() == key.name.lower():
                    key = item.column
                    break
        return self.expr(key)

    def dtype(self, operand: Operand) -> pl.DataType | None:
        return self.schema[self.name(operand)] if isinstance(operand, Column) else None

    def expr(self, operand: Operand, other: pl.DataType | None = None) -> pl.Expr:
        if isinstance(operand, Column):
            name = self.name(operand)
            col = pl.col(name)
            if self.schema[name].base_type() in (pl.Float32, pl.Float64):
                return col.fill_nan(None)  # a database NULL is sent as NaN: treat NaN as NULL
            return col
        return self.literal(operand.value, other)

    def literal(self, value: Any, dtype: pl.DataType | None) -> pl.Expr:
        if value is None:
            return pl.lit(None)
        base = dtype.base_type() if dtype is not None else None
        if base in _NUMERIC and isinstance(value, str):
            raise ADQLError(f"cannot compare a numeric column with the string '{value}'")
        if base in (pl.String, pl.Categorical, pl.Enum) and not isinstance(value, str):
            raise ADQLError(f"cannot compare a text column with the number {value}")
        if dtype is not None and base in (pl.Datetime, pl.Date) and isinstance(value, str):
            try:
                parsed = pl.Series([value]).str.to_datetime(time_zone="UTC")[0]
            except pl.exceptions.PolarsError:
                raise ADQLError(f"{value!r} is not a date or timestamp") from None
            return pl.lit(parsed).cast(dtype)
        if base in (pl.Datetime, pl.Date):
            raise ADQLError(f"compare time columns with quoted timestamps, not {value!r}")
        if base == pl.Boolean and isinstance(value, int | float):
            return pl.lit(bool(value))
        return pl.lit(value)

    def pair(self, left: Operand, right: Operand) -> tuple[pl.Expr, pl.Expr]:
        return self.expr(left, self.dtype(right)), self.expr(right, self.dtype(left))

    def predicate(self, node: Predicate) -> pl.Expr:
        if isinstance(node, BoolOp):
            left, right = self.predicate(node.left), self.predicate(node.right)
            return left & right if node.op == "AND" else left | right
        if isinstance(node, Not):
            return ~self.predicate(node.operand)
        if isinstance(node, Compare):
            if (isinstance(node.left, Literal) and node.left.value is None) or (
                isinstance(node.right, Literal) and node.right.value is None
            ):
                return pl.lit(None, dtype=pl.Boolean)  # comparing with NULL is never true
            left, right = self.pair(node.left, node.right)
            ops = {
                "=": left.eq(right),
                "!=": left.ne(right),
                "<": left.lt(right),
                "<=": left.le(right),
                ">": left.gt(right),
                ">=": left.ge(right),
            }
            return ops[node.op]
        if isinstance(node, IsNull):
            test = self.expr(node.operand).is_null()
            return ~test if node.negated else test
        if isinstance(node, InList):
            dtype = self.dtype(node.operand)
            target = self.expr(node.operand)
            hits = [
                target.eq(self.literal(v.value, dtype)) for v in node.values if v.value is not None
            ]
            found = pl.any_horizontal(hits) if hits else pl.lit(False)
            found = pl.when(target.is_null()).then(None).otherwise(found)
            return ~found if node.negated else found
        if isinstance(node, Like):
            dtype = self.dtype(node.operand)
            if dtype is not None and dtype.base_type() not in (pl.String, pl.Categorical, pl.Enum):
                raise ADQLError(f"LIKE needs a text column, not {node.operand}")
            target = self.expr(node.operand).cast(pl.String)
            flags = "(?si)" if node.case_insensitive else "(?s)"
            matched = target.str.contains(flags + "^" + _like_regex(node.pattern) + "$")
            return ~matched if node.negated else matched
        if isinstance(node, Between):
            value = self.expr(node.operand)
            low = self.expr(node.low, self.dtype(node.operand))
            high = self.expr(node.high, self.dtype(node.operand))
            inside = value.ge(low) & value.le(high)
            return ~inside if node.negated else inside
        raise ADQLError(f"unsupported predicate {node!r}")


def _like_regex(pattern: str) -> str:
    """SQL LIKE pattern to a regular expression (``%`` any run, ``_`` one character).

    >>> _like_regex("a%b_c.")
    'a.*b.c\\\\.'
    """
    return "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
