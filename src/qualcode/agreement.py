"""Intercoder agreement: Krippendorff's alpha, Cohen's kappa and percent agreement.

Why this module exists: a paper that reports coded interviews must report how well independent
coders agreed. The statistics here are computed from plain Python data (no pandas, no numpy), so
they are cheap to import, easy to test against published worked examples, and identical on every
platform.

What is promised:

* Every statistic returns ``None`` when it is mathematically undefined (no pairable data, no
  variation in the data) and never ``NaN``; callers can print ``None`` as "n/a" without
  special-casing floats.
* ``None`` in the input always means *missing* (the coder did not code that unit). It is never a
  category of its own and never lowers agreement.
* Krippendorff's alpha follows the coincidence-matrix formulation of Krippendorff (2011), "Computing
  Krippendorff's Alpha-Reliability" (https://repository.upenn.edu/asc_papers/43). Nominal, ordinal
  and interval alpha are computed in exact rational arithmetic and rounded once at the end, so they
  do not depend on the order of units or coders; ratio alpha uses float sums that are made
  order-independent as well (``math.fsum``, or sorted values for large data).
* Invalid input (NaN, non-numbers for interval/ratio data, negative ratio values, unhashable or
  incomparable values) raises :class:`~qualcode.errors.AgreementError`, a user-facing error.

The only I/O is :func:`read_reliability_csv`.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal, get_args

from qualcode.errors import AgreementError, InputFileError

__all__ = [
    "MISSING_MARKERS",
    "AgreementResult",
    "Level",
    "ReliabilityData",
    "code_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
    "percent_agreement",
    "read_reliability_csv",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
_LEVELS: tuple[str, ...] = get_args(Level)

_NUMERIC = ("interval", "ratio")
_LEVEL_HINT = "use one of: " + ", ".join(_LEVELS)
_MISSING_HINT = "use None for a missing value"


# --------------------------------------------------------------------------------------------------
# Input validation shared by the statistics
# --------------------------------------------------------------------------------------------------


def _check_level(level: str) -> None:
    if level not in _LEVELS:
        raise AgreementError(f"unknown level of measurement {level!r}", hint=_LEVEL_HINT)


def _is_nan(value: object) -> bool:
    if isinstance(value, float | Decimal):
        return value != value  # NaN is the only value unequal to itself
    return False


def _check_value(value: object, where: str) -> None:
    """Reject values that cannot be categories: NaN (ambiguous with missing) and unhashables."""
    if _is_nan(value):
        raise AgreementError(f"{where}: NaN is not a value", hint=_MISSING_HINT)
    try:
        hash(value)
    except TypeError:
        raise AgreementError(
            f"{where}: {type(value).__name__} values cannot be compared as categories",
            hint="use strings, numbers or booleans",
        ) from None


def _to_number(value: object, where: str, level: str) -> Fraction:
    """An interval/ratio value as an exact rational number (floats convert exactly)."""
    if isinstance(value, numbers.Rational | float | Decimal):
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            raise AgreementError(f"{where}: {value!r} is not a finite number", hint=_MISSING_HINT)
        number = Fraction(value)
        if level == "ratio" and number < 0:
            raise AgreementError(
                f"{where}: ratio data cannot be negative ({value!r})",
                hint="ratio scales have an absolute zero; use level 'interval' for signed values",
            )
        return number
    raise AgreementError(
        f"{where}: {value!r} is not a number",
        hint=f"{level} data must be numeric; use level 'nominal' or 'ordinal' for categories",
    )


def _unit_values(units: Sequence[Sequence[object]], level: str = "nominal") -> list[list[object]]:
    """The non-missing values of each unit, validated (NaN and unhashables rejected).

    At interval/ratio level the values are converted to exact fractions (see ``_to_number``).
    """
    if isinstance(units, str | bytes):
        raise AgreementError("units must be a sequence of units, not a string")
    result: list[list[object]] = []
    for u, unit in enumerate(units, start=1):
        if isinstance(unit, str | bytes) or not isinstance(unit, Sequence):
            raise AgreementError(
                f"unit {u}: expected a sequence of coder values, got {type(unit).__name__}"
            )
        present: list[object] = []
        for c, value in enumerate(unit, start=1):
            if value is None:
                continue
            where = f"unit {u}, coder {c}"
            _check_value(value, where)
            present.append(_to_number(value, where, level) if level in _NUMERIC else value)
        result.append(present)
    return result


# --------------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------------


def krippendorff_alpha(
    units: Sequence[Sequence[Hashable | float | None]], level: Level = "nominal"
) -> float | None:
    """Krippendorff's alpha for a units x coders matrix with missing data.

    ``units[u][c]`` is the value coder ``c`` gave unit ``u``; ``None`` means the coder did not code
    that unit. Rows need not have equal length (a short row is a unit some trailing coders skipped).
    Only units with at least two values are *pairable*; the others are ignored, exactly as in
    Krippendorff (2011).

    The computation is the paper's coincidence-matrix one::

        alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o_ck d_ck / sum_ck n_c n_k d_ck

    where ``o_ck`` is the coincidence matrix (each unit contributes
    ``count_c * count_k / (m_u - 1)``, minus the self-pairs on the diagonal), ``n_c`` its
    marginals and ``n`` the number of pairable values. The difference functions ``d_ck`` are:

    * ``nominal``: 0 if equal, else 1 (values may be any hashable: strings, ints, bools ...);
    * ``ordinal``: ``(sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2`` over the ranks of the values in
      their natural sort order (the paper's marginal-frequency metric; only how values *sort*
      matters, not their size);
    * ``interval``: ``(c - k) ** 2`` (values must be real numbers);
    * ``ratio``: ``((c - k) / (c + k)) ** 2`` (values must be non-negative real numbers).

    Returns ``None`` when alpha is undefined: fewer than two pairable values, or expected
    disagreement ``D_e == 0``, which for every metric happens exactly when all pairable values are
    equal. Never returns NaN.

    Raises :class:`AgreementError` for an unknown level, NaN values (use ``None`` for missing),
    unhashable values, non-numbers at interval/ratio level, negative ratio values and ordinal
    values that cannot be sorted together (e.g. ``1`` and ``"a"``).

    Cost: linear in the number of values, except ratio alpha, which is O(V^2) in the number V of
    distinct values (with more than 1000 distinct values that sum is done with numpy, imported
    on demand).
    """
    _check_level(level)
    pairable = [Counter(v) for v in _unit_values(units, level) if len(v) >= 2]

    marginals: Counter[object] = Counter()
    for counts in pairable:
        marginals.update(counts)
    # Fewer than two distinct pairable values: no pairable data at all, or D_e == 0 (every metric
    # is zero only between equal values, and ordinal ranks give distinct values a positive gap).
    if len(marginals) < 2:
        return None
    n = sum(marginals.values())

    if level == "nominal":
        observed = _nominal_observed(pairable)
        expected = Fraction(n * n - sum(c * c for c in marginals.values()))
    elif level == "ordinal":
        position = _ordinal_positions(marginals)
        observed, expected = _squared_distance_sums(pairable, marginals, position)
    elif level == "interval":
        observed, expected = _squared_distance_sums(pairable, marginals, None)
    else:
        return _ratio_alpha(pairable, marginals, n)
    return float(1 - (n - 1) * observed / expected)


def _nominal_observed(pairable: list[Counter[object]]) -> Fraction:
    """Sum of the off-diagonal coincidences: each unit adds (m^2 - sum count^2) / (m - 1)."""
    total = Fraction(0)
    for counts in pairable:
        m = sum(counts.values())
        total += Fraction(m * m - sum(c * c for c in counts.values()), m - 1)
    return total


def _ordinal_positions(marginals: Counter[object]) -> dict[object, Fraction]:
    """Map each value to twice its mid-cumulative frequency.

    With ``C_j`` the cumulative marginal frequency up to rank j, Krippendorff's ordinal difference
    ``(sum_{g=i..j} n_g - (n_i + n_j)/2)^2`` equals ``(p_j - p_i)^2`` with ``p = C_{j-1} + n_j/2``.
    So ordinal alpha is interval alpha on these positions (doubled to stay integral; the common
    factor cancels in D_o / D_e).
    """
    try:
        ordered = sorted(marginals)
    except TypeError:
        raise AgreementError(
            "ordinal values cannot be sorted together: "
            + ", ".join(sorted({type(v).__name__ for v in marginals})),
            hint="ordinal data must be all numbers or all strings",
        ) from None
    position: dict[object, Fraction] = {}
    cumulative = 0
    for value in ordered:
        count = marginals[value]
        position[value] = Fraction(2 * cumulative + count)
        cumulative += count
    return position


def _squared_distance_sums(
    pairable: list[Counter[object]],
    marginals: Counter[object],
    position: Mapping[object, Fraction] | None,
) -> tuple[Fraction, Fraction]:
    """Exact sum_ck o_ck (x_c - x_k)^2 and sum_ck n_c n_k (x_c - x_k)^2.

    ``x`` is the ordinal position of a value, or the (fraction) value itself at interval level.
    """

    def x(value: object) -> Fraction:
        return position[value] if position is not None else value  # type: ignore[return-value]

    observed = Fraction(0)
    for counts in pairable:
        m = sum(counts.values())
        items = [(x(v), c) for v, c in counts.items()]
        unit_sum = Fraction(0)
        for i, (xi, ci) in enumerate(items):
            for xj, cj in items[i + 1 :]:
                unit_sum += ci * cj * (xi - xj) ** 2
        observed += 2 * unit_sum / (m - 1)
    # sum_{c,k} n_c n_k (x_c - x_k)^2 = 2 n sum n_c x_c^2 - 2 (sum n_c x_c)^2, exact in rationals.
    n = sum(marginals.values())
    s1 = sum((cnt * x(v) for v, cnt in marginals.items()), Fraction(0))
    s2 = sum((cnt * x(v) ** 2 for v, cnt in marginals.items()), Fraction(0))
    expected = 2 * n * s2 - 2 * s1 * s1
    return observed, expected


def _ratio_delta(a: float, b: float) -> float:
    total = a + b
    if math.isinf(total):  # huge values: halve both to keep the quotient finite
        a, b = a / 2, b / 2
        total = a + b
    if total == 0:  # both zero (or distinct values too tiny to tell apart as floats)
        return 0.0
    return ((a - b) / total) ** 2


# Ratio D_e has no closed form: it sums over all pairs of distinct values. Up to this many distinct
# values pure Python is fast enough (~0.3 s); beyond it (continuous measurements) numpy does it.
_RATIO_PURE_MAX_VALUES = 1000
_RATIO_CHUNK_ROWS = 256


def _ratio_expected_numpy(values: list[tuple[float, int]]) -> float:
    """sum_ck n_c n_k ((c - k) / (c + k))^2 with numpy, in row chunks to bound memory.

    Values are sorted first, so the float result does not depend on the input order.
    """
    import numpy as np  # deferred: importing numpy costs more than this module's users need

    values = sorted(values)
    x = np.array([v for v, _ in values], dtype=np.float64)
    w = np.array([c for _, c in values], dtype=np.float64)
    if x.max() > 1e307:  # keep c + k finite; halving is exact and the metric is scale-free
        x = x / 2
    partials: list[float] = []
    for start in range(0, len(x), _RATIO_CHUNK_ROWS):
        xi = x[start : start + _RATIO_CHUNK_ROWS, np.newaxis]
        wi = w[start : start + _RATIO_CHUNK_ROWS, np.newaxis]
        total = xi + x[np.newaxis, :]
        diff = np.divide(xi - x[np.newaxis, :], total, out=np.zeros(total.shape), where=total != 0)
        partials.append(float((wi * w[np.newaxis, :] * diff * diff).sum()))
    return math.fsum(partials)


def _ratio_alpha(
    pairable: list[Counter[object]], marginals: Counter[object], n: int
) -> float | None:
    as_float = {v: float(v) for v in marginals}  # type: ignore[arg-type]
    observed_terms: list[float] = []
    for counts in pairable:
        m = sum(counts.values())
        items = [(as_float[v], c) for v, c in counts.items()]
        for i, (a, ca) in enumerate(items):
            for b, cb in items[i + 1 :]:
                observed_terms.append(2 * ca * cb * _ratio_delta(a, b) / (m - 1))
    values = [(as_float[v], c) for v, c in marginals.items()]
    if len(values) > _RATIO_PURE_MAX_VALUES:
        expected = _ratio_expected_numpy(values)
    else:
        expected = math.fsum(
            2 * ca * cb * _ratio_delta(a, b)
            for i, (a, ca) in enumerate(values)
            for b, cb in values[i + 1 :]
        )
    if expected == 0:  # only if distinct values are indistinguishable as floats
        return None
    return 1 - (n - 1) * math.fsum(observed_terms) / expected


# --------------------------------------------------------------------------------------------------
# Cohen's kappa and percent agreement
# --------------------------------------------------------------------------------------------------


def cohen_kappa(a: Sequence[Hashable | None], b: Sequence[Hashable | None]) -> float | None:
    """Cohen's (1960) kappa for two coders who coded the same units in the same order.

    ``a[i]`` and ``b[i]`` are the two coders' categories for unit ``i``; a pair where either is
    ``None`` (missing) is dropped. ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the observed
    share of agreement and ``p_e`` the chance agreement from each coder's *own* marginals. Computed
    exactly as ``(N * agreements - S) / (N^2 - S)`` with ``S = sum_c a_c * b_c``.

    Returns ``None`` when undefined: no complete pair, or ``p_e == 1`` (both coders used one and
    the same category for every unit). Raises :class:`AgreementError` if the sequences differ in
    length or contain NaN / unhashable values.
    """
    if len(a) != len(b):
        raise AgreementError(
            f"the two coders have {len(a)} and {len(b)} values",
            hint="pass one value per unit for each coder, None where a unit was not coded",
        )
    pairs: list[tuple[object, object]] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True), start=1):
        if x is None or y is None:
            continue
        _check_value(x, f"unit {i}, coder 1")
        _check_value(y, f"unit {i}, coder 2")
        pairs.append((x, y))
    n = len(pairs)
    if n == 0:
        return None
    agreements = sum(1 for x, y in pairs if x == y)
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    chance = sum(count_a[c] * count_b.get(c, 0) for c in count_a)
    if chance == n * n:
        return None
    return float(Fraction(n * agreements - chance, n * n - chance))


def percent_agreement(units: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Share of agreeing coder pairs among all pairable coder pairs, pooled over units.

    Within a unit with ``m >= 2`` non-missing values there are ``m * (m - 1) / 2`` coder pairs; a
    pair agrees when both values are equal. The result is (agreeing pairs) / (all pairs) summed
    over units, so with two coders it is the familiar share of units coded identically, and with
    more coders a unit coded by more coders weighs more. Missing values (``None``) form no pairs.
    Returns ``None`` if no unit has two values. Result is always in ``[0, 1]``.
    """
    agreeing = 0
    total = 0
    for values in _unit_values(units):
        m = len(values)
        if m < 2:
            continue
        total += m * (m - 1) // 2
        agreeing += sum(c * (c - 1) // 2 for c in Counter(values).values())
    if total == 0:
        return None
    return agreeing / total


# --------------------------------------------------------------------------------------------------
# Per-code agreement from coding decisions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementResult:
    """Agreement on one code (or overall, ``code is None``) between the selected coders.

    ``n_units`` counts the units coded by at least two coders (for the overall row: the pooled
    (unit, code) items with at least two coders). ``kappa`` is only computed with exactly two
    coders. Every statistic is ``None`` when undefined, never NaN.
    """

    code: str | None
    n_units: int
    percent: float | None
    kappa: float | None
    alpha: float | None


def _decision_matrix(
    decisions: Mapping[str, Mapping[str, Mapping[str, bool | None]]],
    unit_ids: list[str],
    code: str,
    coders: Sequence[str],
) -> list[list[bool | None]]:
    rows: list[list[bool | None]] = []
    for unit_id in unit_ids:
        row: list[bool | None] = []
        for coder in coders:
            reviewed = decisions.get(coder, {})
            if unit_id not in reviewed:
                row.append(None)
                continue
            value = reviewed[unit_id].get(code, False)
            if value is not None and not isinstance(value, bool):
                raise AgreementError(
                    f"coder {coder!r}, unit {unit_id!r}, code {code!r}: "
                    f"decision must be True, False or None, got {value!r}"
                )
            row.append(value)
        rows.append(row)
    return rows


def _result(code: str | None, rows: list[list[bool | None]], n_coders: int) -> AgreementResult:
    n_units = sum(1 for row in rows if sum(v is not None for v in row) >= 2)
    kappa = None
    if n_coders == 2:
        kappa = cohen_kappa([row[0] for row in rows], [row[1] for row in rows])
    return AgreementResult(
        code=code,
        n_units=n_units,
        percent=percent_agreement(rows),
        kappa=kappa,
        alpha=krippendorff_alpha(rows, "nominal"),
    )


def code_agreement(
    decisions: Mapping[str, Mapping[str, Mapping[str, bool | None]]],
    codes: Sequence[str],
    coders: Sequence[str],
) -> list[AgreementResult]:
    """Per-code and overall agreement on whether each code applies to each unit.

    ``decisions[coder][unit_id][code]`` records one coder's decision. For each selected coder,
    unit and code the value entering the statistics is:

    * missing (``None``) if ``coder`` is not a key of ``decisions`` or ``unit_id`` is not a key of
      ``decisions[coder]``: the coder has not reviewed that unit at all;
    * missing if the unit is reviewed but ``decisions[coder][unit_id][code] is None``: the coder
      explicitly left this code undecided for this unit;
    * ``False`` (absent) if the unit is reviewed and ``code`` is not a key of
      ``decisions[coder][unit_id]``: reviewed, and the code was not applied;
    * ``True`` / ``False`` when the value is ``True`` / ``False``.

    Missing values form no coder pairs, so a coder who has not reviewed a unit never lowers (or
    raises) agreement on it; a unit counts once at least two coders are present for it.

    Units are the union of the unit ids reviewed by the selected ``coders``; coders in
    ``decisions`` but not in ``coders`` are ignored. Returns one :class:`AgreementResult` per code,
    in the order of ``codes``, with nominal alpha on the True/False values, percent agreement and
    (with exactly two coders) Cohen's kappa; then an overall result (``code=None``) that pools every
    (unit, code) pair as one unit. Raises :class:`AgreementError` for duplicate coders or codes and
    for decision values other than ``True``, ``False`` or ``None``.
    """
    for label, names in (("coder", coders), ("code", codes)):
        duplicates = sorted({name for name, k in Counter(names).items() if k > 1})
        if duplicates:
            raise AgreementError(f"duplicate {label}(s): {', '.join(map(repr, duplicates))}")
    unit_ids = list(
        dict.fromkeys(unit_id for coder in coders for unit_id in decisions.get(coder, {}))
    )
    results: list[AgreementResult] = []
    pooled: list[list[bool | None]] = []
    for code in codes:
        rows = _decision_matrix(decisions, unit_ids, code, coders)
        pooled.extend(rows)
        results.append(_result(code, rows, len(coders)))
    results.append(_result(None, pooled, len(coders)))
    return results


# --------------------------------------------------------------------------------------------------
# CSV reliability data
# --------------------------------------------------------------------------------------------------


# Cell texts that mean "this coder did not code this unit" in a reliability-data CSV, compared
# case-insensitively after stripping whitespace. Published and exported tables often write a marker
# instead of leaving the cell empty: Krippendorff (2011) prints "." for missing, R's write.csv
# writes NA, pandas NaN, SPSS and Stata exports "." or "*", hand-made tables "-", "?", "N/A", "null"
# or "None". Read as categories, markers form pairs and silently change alpha (the 2011 worked
# example gives 0.577 instead of the published 0.743 with "." as a category); at interval/ratio
# level they would be rejected as non-numbers. Keep the --reliability-data help text in
# qualcode/cli/agree.py in step with this set (tests/test_agree_cli.py checks it).
MISSING_MARKERS: frozenset[str] = frozenset(
    {"", ".", "*", "-", "?", "na", "n/a", "nan", "null", "none"}
)


def _is_missing_marker(cell: str) -> bool:
    return cell.strip().casefold() in MISSING_MARKERS


@dataclass(frozen=True)
class ReliabilityData:
    """A reliability-data CSV as read: unit ids, coder names and the stripped cells.

    ``values[u][c]`` is the stripped text of unit ``u`` for coder ``c``, ``None`` for a missing
    cell (empty, or one of :data:`MISSING_MARKERS` such as ``.`` or ``NA``).
    """

    unit_ids: list[str]
    coders: list[str]
    values: list[list[str | None]]


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def _parse_number(cell: str, decimal_comma: bool) -> float | None:
    if _NUMBER.fullmatch(cell):
        number = float(cell)
    elif decimal_comma and _DECIMAL_COMMA.fullmatch(cell):
        number = float(cell.replace(",", "."))
    else:
        return None
    return number if math.isfinite(number) else None


def _sniff_delimiter(text: str) -> str:
    """``;`` if the header splits into more fields on ``;`` than on ``,``; otherwise ``,``."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    widths = {d: len(next(csv.reader([header], delimiter=d), [])) for d in (",", ";")}
    return ";" if widths[";"] > widths[","] else ","


def read_reliability_csv(
    path: Path, level: Level
) -> tuple[ReliabilityData, list[list[Hashable | float | None]]]:
    """Read a units x coders CSV and convert its cells for ``krippendorff_alpha(..., level)``.

    Format: the first non-blank row is the header; its first column names the unit-id column and
    every further column is one coder. Each further row is one unit: a non-empty, unique unit id,
    then one cell per coder. Blank lines are skipped. The file must be UTF-8 (a byte-order mark is
    accepted); the delimiter is ``;`` when the header has more ``;``-separated than
    ``,``-separated fields, else ``,``.

    Missing values: a coder cell is missing (the coder did not code the unit; it forms no pairs)
    when, after stripping whitespace and ignoring case, it is empty or one of
    :data:`MISSING_MARKERS`: ``.`` (Krippendorff 2011, SPSS, Stata), ``*``, ``-``, ``?``, ``NA``
    (R's ``write.csv``), ``N/A``, ``NaN`` (pandas), ``null`` or ``None``. This holds at every
    level: a marker is never a nominal or ordinal category and never a "not a number" error at
    interval/ratio level. Recode a category spelled like a marker (e.g. ``?`` for "unsure")
    before reading. Unit ids are taken as written.

    Cell conversion, by level:

    * ``nominal``: the stripped strings, unchanged (so ``"1"`` and ``"1.0"`` are different
      categories);
    * ``ordinal``: if every non-missing cell is a number, floats (ordered numerically, so 9 < 10);
      otherwise the strings, ordered lexicographically (so ``"10" < "9"`` and ``"high" < "low"``;
      recode such labels as numbers to get the intended order);
    * ``interval`` / ``ratio``: floats; every non-missing cell must be a number such as ``3``,
      ``-2``, ``3.5`` or ``1e3`` (with ``;`` as delimiter a decimal comma, ``3,5``, is accepted
      too); ``ratio`` additionally rejects negative numbers.

    Returns the raw table and the converted units x coders matrix. Raises
    :class:`~qualcode.errors.InputFileError` if the file cannot be read or is not UTF-8, and
    :class:`AgreementError` (with path, 1-based file line and csv column where it applies, and a
    hint) for an empty file, a header row without any unit rows, fewer than two coder columns,
    empty or duplicate coder names, a row whose cell count differs from the header's, an empty or
    duplicate unit id, or a cell that is not a valid number for ``interval``/``ratio`` data.
    """
    _check_level(level)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(
            f"cannot read file: {exc.strerror or exc}", path=path, hint="check the path"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            "file is not valid UTF-8", path=path, line=line, hint="save the file as UTF-8 CSV"
        ) from None
    if not text.strip():
        raise AgreementError(
            "file is empty",
            path=path,
            hint="expected a header row (unit id column, then one column per coder) and data rows",
        )
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)

    header: list[str] | None = None
    unit_ids: list[str] = []
    cells: list[list[str | None]] = []
    lines: list[int] = []
    first_line_of: dict[str, int] = {}
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise AgreementError(
                f"malformed CSV: {exc}", path=path, line=start, hint="check quoting on this line"
            ) from None
        line, start = start, reader.line_num + 1
        if not row or (header is None and not any(cell.strip() for cell in row)):
            continue
        stripped = [cell.strip() for cell in row]
        if header is None:
            header = stripped
            _check_header(header, path, line)
            continue
        if len(stripped) != len(header):
            raise AgreementError(
                f"row has {len(stripped)} cells but the header has {len(header)}",
                path=path,
                line=line,
                hint="give every row a unit id and one cell per coder; leave a cell empty if "
                "a coder did not code the unit",
            )
        unit_id = stripped[0]
        if not unit_id:
            raise AgreementError(
                "empty unit id", path=path, line=line, column=1, hint="give every row a unit id"
            )
        if unit_id in first_line_of:
            raise AgreementError(
                f"duplicate unit id {unit_id!r} (first on line {first_line_of[unit_id]})",
                path=path,
                line=line,
                column=1,
                hint="each unit must appear on exactly one row",
            )
        first_line_of[unit_id] = line
        unit_ids.append(unit_id)
        cells.append([None if _is_missing_marker(cell) else cell for cell in stripped[1:]])
        lines.append(line)

    if header is None:  # only empty cells, e.g. ",,"
        raise AgreementError(
            "file is empty: no row has any content",
            path=path,
            hint="expected a header row (unit id column, then one column per coder) and data rows",
        )
    if not unit_ids:
        raise AgreementError(
            "no units: the file has a header row but no data rows",
            path=path,
            hint="add one row per unit: the unit id, then one cell per coder (leave a cell empty "
            "or write NA if a coder did not code the unit)",
        )
    data = ReliabilityData(unit_ids=unit_ids, coders=header[1:], values=cells)
    units = _convert_cells(data, level, path, lines, decimal_comma=delimiter == ";")
    return data, units


def _check_header(header: list[str], path: Path, line: int) -> None:
    if len(header) < 3:
        raise AgreementError(
            f"the header has {len(header)} column(s); need a unit id column and at least 2 coders",
            path=path,
            line=line,
            hint="first column: unit id, then one column per coder, separated by ',' or ';'",
        )
    seen: set[str] = set()
    for column, name in enumerate(header[1:], start=2):
        if not name:
            raise AgreementError(
                "empty coder name in the header",
                path=path,
                line=line,
                column=column,
                hint="name every coder column (is there a trailing delimiter?)",
            )
        if name in seen:
            raise AgreementError(
                f"duplicate coder {name!r} in the header",
                path=path,
                line=line,
                column=column,
                hint="each coder needs exactly one column",
            )
        seen.add(name)


def _convert_cells(
    data: ReliabilityData, level: str, path: Path, lines: list[int], *, decimal_comma: bool
) -> list[list[Hashable | float | None]]:
    if level == "nominal":
        return [list(row) for row in data.values]
    if level == "ordinal":
        parsed = [
            [None if c is None else _parse_number(c, decimal_comma) for c in row]
            for row in data.values
        ]
        all_numeric = all(
            p is not None
            for row, prow in zip(data.values, parsed, strict=True)
            for c, p in zip(row, prow, strict=True)
            if c is not None
        )
        if all_numeric:
            return [list(prow) for prow in parsed]
        return [list(row) for row in data.values]
    units: list[list[Hashable | float | None]] = []
    for row, line in zip(data.values, lines, strict=True):
        out: list[Hashable | float | None] = []
        for index, cell in enumerate(row):
            if cell is None:
                out.append(None)
                continue
            number = _parse_number(cell, decimal_comma)
            coder = data.coders[index]
            if number is None:
                raise AgreementError(
                    f"{cell!r} (coder {coder!r}) is not a number",
                    path=path,
                    line=line,
                    column=index + 2,
                    hint=f"{level} data must be numbers like 3, -2 or 3.5; leave the cell empty "
                    "(or write NA or .) if missing, or use level 'nominal'/'ordinal' for "
                    "categories",
                )
            if level == "ratio" and number < 0:
                raise AgreementError(
                    f"{cell!r} (coder {coder!r}) is negative",
                    path=path,
                    line=line,
                    column=index + 2,
                    hint="ratio data cannot be negative; use level 'interval' for signed values",
                )
            out.append(number)
        units.append(out)
    return units
