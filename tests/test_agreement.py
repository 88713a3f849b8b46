"""Tests for qualcode.agreement.

Sources for the expected values:

* [K2011] Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
  Communication, University of Pennsylvania. https://repository.upenn.edu/asc_papers/43
* [WIKI-KAPPA] Wikipedia, "Cohen's kappa", section "Examples" (simple example with 50 grant
  proposals, and the two tables with the "same percentages but different numbers").
  https://en.wikipedia.org/wiki/Cohen%27s_kappa
* The reference implementation `krippendorff` (PyPI, https://github.com/pln-fing-udelar/fast-krippendorff)
  as an independent oracle on random data.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualcode import agreement
from qualcode.agreement import (
    MISSING_MARKERS,
    AgreementResult,
    ReliabilityData,
    code_agreement,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
    read_reliability_csv,
)
from qualcode.errors import AgreementError, InputFileError, QualcodeError

LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Fast and side-effect free: no example database written into the working tree.
FAST = settings(max_examples=100, deadline=None, database=None)
N = None

# [K2011], section "C. Nominal data, any number of observers, missing data" (4 observers x 12 units,
# values 1-5, "." = missing), reused by the paper for the ordinal, interval and ratio metrics.
# Here as units x observers (rows = units 1..12, columns = observers A, B, C, D).
K2011_UNITS: list[list[int | None]] = [
    [1, 1, N, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [N, 5, 5, 5],
    [N, N, 1, 1],
    [N, 3, N, N],
]
# Published alphas for that data in [K2011] (to 3 decimals). The `krippendorff` library agrees with
# all four (its own docstring quotes 0.743, 0.815 and 0.797 from the same paper); see
# test_library_agrees_with_publication.
K2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# [K2011], section "A. Binary or dichotomous data, two observers, no missing data": 10 units,
# observers A and B; the paper's result is alpha = 0.095.
K2011_BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
K2011_BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def library_alpha(units: list[list[object]], level: str) -> float:
    """The `krippendorff` library's alpha; it wants coders x units with NaN for missing."""
    width = max(len(u) for u in units)
    data = [
        [np.nan if c >= len(u) or u[c] is None else float(u[c]) for u in units]
        for c in range(width)
    ]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def distinct_pairable(units: list[list[object]]) -> int:
    return len({v for u in units if sum(v is not None for v in u) >= 2 for v in u if v is not None})


# --------------------------------------------------------------------------------------------------
# Published examples
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_k2011_worked_example(level: str) -> None:
    alpha = krippendorff_alpha(K2011_UNITS, level)
    assert alpha is not None
    assert round(alpha, 3) == K2011_ALPHA[level]


def test_k2011_nominal_exact_fraction() -> None:
    # Hand computation with [K2011]'s coincidence matrix: unit 12 is unpairable, leaving n = 40
    # values with marginals n_1..n_5 = 9, 13, 10, 5, 3. Off-diagonal coincidences: unit 2
    # (2,2,3,2) gives (16 - 10)/3 = 2, unit 6 (1,2,3,4) gives (16 - 4)/3 = 4, unit 8 (1,1,2,1) gives
    # 2; total 8. alpha = 1 - (n - 1) * 8 / (n^2 - sum n_c^2) = 1 - 39 * 8 / (1600 - 384) = 113/152.
    assert krippendorff_alpha(K2011_UNITS, "nominal") == float(Fraction(113, 152))


@pytest.mark.parametrize("level", LEVELS)
def test_library_agrees_with_publication(level: str) -> None:
    # Had the library and [K2011] disagreed, the publication would win (test above); they do not.
    assert round(library_alpha(K2011_UNITS, level), 3) == K2011_ALPHA[level]


def test_k2011_binary_example() -> None:
    units = [list(pair) for pair in zip(K2011_BINARY_A, K2011_BINARY_B, strict=True)]
    alpha = krippendorff_alpha(units)
    assert alpha is not None
    assert round(alpha, 3) == 0.095
    # Closed form from the paper: 1 - (n - 1) * o_01 / (n_0 * n_1) = 1 - 19 * 4 / (14 * 6).
    assert alpha == pytest.approx(1 - 19 * 4 / (14 * 6))


def test_k2011_example_is_order_of_units_and_coders_free() -> None:
    reordered = [list(reversed(u)) for u in reversed(K2011_UNITS)]
    for level in LEVELS:
        assert krippendorff_alpha(reordered, level) == krippendorff_alpha(K2011_UNITS, level)


def _table(both_yes: int, a_yes_b_no: int, a_no_b_yes: int, both_no: int) -> tuple[list, list]:
    a = ["yes"] * both_yes + ["yes"] * a_yes_b_no + ["no"] * a_no_b_yes + ["no"] * both_no
    b = ["yes"] * both_yes + ["no"] * a_yes_b_no + ["yes"] * a_no_b_yes + ["no"] * both_no
    return a, b


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # [WIKI-KAPPA] simple example: 50 proposals, 20 yes/yes, 5 A-yes/B-no, 10 A-no/B-yes,
        # 15 no/no: p_o = 0.7, p_e = 0.5, kappa = 0.4.
        ((20, 5, 10, 15), 0.4),
        # [WIKI-KAPPA] "same percentages but different numbers": 45/15/25/15 -> 0.1304 and
        # 25/35/5/35 -> 0.2593 (both with p_o = 0.60).
        ((45, 15, 25, 15), 0.1304),
        ((25, 35, 5, 35), 0.2593),
    ],
)
def test_cohen_kappa_published(cells: tuple[int, int, int, int], expected: float) -> None:
    a, b = _table(*cells)
    kappa = cohen_kappa(a, b)
    assert kappa is not None
    assert round(kappa, 4) == expected


def test_cohen_kappa_wiki_exact() -> None:
    a, b = _table(20, 5, 10, 15)
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-15)
    assert percent_agreement([list(p) for p in zip(a, b, strict=True)]) == pytest.approx(0.7)


# --------------------------------------------------------------------------------------------------
# krippendorff_alpha: edge cases and errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    "units",
    [
        [],
        [[]],
        [[1]],
        [[1, None], [None, 2]],  # no unit has two values
        [[3, 3], [3, 3, None]],  # no variation: D_e == 0
        [[2, 2], [1, None], [None, 5]],  # variation only in unpairable units
    ],
)
def test_alpha_undefined_is_none(units: list[list[object]], level: str) -> None:
    assert krippendorff_alpha(units, level) is None


def test_alpha_ignores_unpairable_units() -> None:
    base = [[1, 1], [2, 2], [1, 2]]
    assert krippendorff_alpha([*base, [5, None], [None, None, 7]]) == krippendorff_alpha(base)


def test_alpha_nominal_accepts_any_hashable() -> None:
    mapped = [[{1: "a", 2: ("b",), 3: True, 4: 4.5, 5: "e"}.get(v) for v in u] for u in K2011_UNITS]
    # 3 -> True; no other value equals True/1, so the categories stay distinct.
    assert krippendorff_alpha(mapped) == krippendorff_alpha(K2011_UNITS)


def test_alpha_perfect_disagreement_systematic() -> None:
    # Two coders who always disagree on a binary code: alpha = 1 - (n-1) * n / (n/2 * n/2 * 2) < 0.
    alpha = krippendorff_alpha([[0, 1], [1, 0], [0, 1], [1, 0]])
    assert alpha is not None
    assert alpha == pytest.approx(1 - 7 * 8 / (2 * 4 * 4))


def test_alpha_ordinal_uses_order_not_distance() -> None:
    units = [[1, 2], [2, 2], [3, 3], [1, 1], [2, 3]]
    stretched = [[{1: 1, 2: 10, 3: 1000}[v] for v in u] for u in units]
    assert krippendorff_alpha(units, "ordinal") == krippendorff_alpha(stretched, "ordinal")
    assert krippendorff_alpha(units, "interval") != krippendorff_alpha(stretched, "interval")


def test_alpha_ordinal_strings_sort_naturally() -> None:
    as_text = [[N if v is None else "abcde"[v - 1] for v in u] for u in K2011_UNITS]
    assert krippendorff_alpha(as_text, "ordinal") == krippendorff_alpha(K2011_UNITS, "ordinal")


def test_alpha_ratio_allows_zero() -> None:
    alpha = krippendorff_alpha([[0, 0], [0, 1], [2, 2], [4, 3]], "ratio")
    assert alpha == pytest.approx(library_alpha([[0, 0], [0, 1], [2, 2], [4, 3]], "ratio"))


@pytest.mark.parametrize(
    ("units", "level", "match"),
    [
        ([[1.0, float("nan")]], "nominal", "NaN"),
        ([[1.0, float("nan")]], "interval", "NaN"),
        ([[1, "2"]], "interval", "not a number"),
        ([[1, 2], [3, "x"]], "ratio", r"unit 2, coder 2"),
        ([[1, -2]], "ratio", "negative"),
        ([[1, float("inf")]], "interval", "finite"),
        ([[1, "a"], [2, "b"]], "ordinal", "sorted"),
        ([[[1], [2]]], "nominal", "list"),
        (["ab"], "nominal", "sequence"),
        ([[1, 2]], "cardinal", "level"),
    ],
)
def test_alpha_rejects_bad_input(units: list, level: str, match: str) -> None:
    with pytest.raises(AgreementError, match=match):
        krippendorff_alpha(units, level)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# krippendorff_alpha vs the krippendorff library on random data
# --------------------------------------------------------------------------------------------------


def matrices(values: st.SearchStrategy[object], max_units: int = 25) -> st.SearchStrategy:
    """Units x coders matrices (2-5 coders) with roughly a third of the cells missing."""
    cell = st.one_of(st.none(), values, values)
    return st.integers(2, 5).flatmap(
        lambda k: st.lists(st.lists(cell, min_size=k, max_size=k), min_size=1, max_size=max_units)
    )


LIBRARY_VALUES: dict[str, st.SearchStrategy[object]] = {
    "nominal": st.integers(1, 5),
    "ordinal": st.integers(-3, 6),
    # Floats stay well away from underflow: for values like 1e-201 the library's float64 squares
    # underflow to 0 and it returns NaN, while the exact computation here gives the right answer
    # (alpha = 0 for a single unit [0, 1e-201]). That is a float limitation of the oracle, not a
    # disagreement about the statistic.
    "interval": st.one_of(
        st.integers(-20, 20),
        st.integers(-10_000, 10_000).map(lambda i: i / 100),
        st.floats(1e-3, 1e6) | st.floats(-1e6, -1e-3),
    ),
    "ratio": st.one_of(
        st.integers(1, 30),
        st.integers(1, 10_000).map(lambda i: i / 100),
        st.floats(1e-3, 1e6),
    ),
}


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_krippendorff_library(level: str) -> None:
    @FAST
    @given(matrices(LIBRARY_VALUES[level]))
    def check(units: list[list[object]]) -> None:
        assume(distinct_pairable(units) >= 2)
        ours = krippendorff_alpha(units, level)  # type: ignore[arg-type]
        assert ours is not None
        assert math.isclose(ours, library_alpha(units, level), rel_tol=1e-9, abs_tol=1e-9)

    check()


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

POSITIVE_INTS = st.integers(1, 9)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_is_one_when_coders_agree(level: str) -> None:
    @FAST
    @given(
        st.integers(2, 5),
        st.lists(POSITIVE_INTS, min_size=2, max_size=20),
        st.integers(0, 2**100 - 1),
    )
    def check(k: int, truth: list[int], mask: int) -> None:
        # Every coder who codes unit u gives it truth[u]; some cells are missing.
        units = [
            [v if (mask >> ((u * k + c) % 100)) & 1 else None for c in range(k)]
            for u, v in enumerate(truth)
        ]
        assume(distinct_pairable(units) >= 2)
        assert krippendorff_alpha(units, level) == 1.0  # type: ignore[arg-type]

    check()


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_invariant_under_permutations(level: str) -> None:
    @FAST
    @given(st.data())
    def check(data: st.DataObject) -> None:
        units = data.draw(matrices(POSITIVE_INTS, max_units=15), label="units")
        k = len(units[0])
        coder_order = data.draw(st.permutations(range(k)), label="coders")
        permuted = data.draw(st.permutations([[u[c] for c in coder_order] for u in units]))
        assert krippendorff_alpha(permuted, level) == krippendorff_alpha(units, level)  # type: ignore[arg-type]
        assert percent_agreement(permuted) == percent_agreement(units)

    check()


@FAST
@given(matrices(st.integers(1, 4)), st.permutations(["p", "q", "r", "s"]))
def test_nominal_alpha_invariant_under_relabeling(units: list[list], labels: list[str]) -> None:
    relabeled = [[None if v is None else labels[v - 1] for v in u] for u in units]
    assert krippendorff_alpha(relabeled) == krippendorff_alpha(units)


@FAST
@given(matrices(st.integers(-5, 5)), st.integers(1, 7), st.integers(-10, 10))
def test_interval_alpha_invariant_under_affine_maps(units: list[list], a: int, b: int) -> None:
    mapped = [[None if v is None else a * v + b for v in u] for u in units]
    assert krippendorff_alpha(mapped, "interval") == krippendorff_alpha(units, "interval")
    # Ordinal alpha only sees the order, which an increasing map keeps.
    assert krippendorff_alpha(mapped, "ordinal") == krippendorff_alpha(units, "ordinal")


@FAST
@given(matrices(st.integers(0, 12)), st.sampled_from([2, 4, 0.5, 8]))
def test_ratio_alpha_invariant_under_scaling(units: list[list], factor: float) -> None:
    # Powers of two keep the floats exact, so the invariance must hold to the last bit.
    scaled = [[None if v is None else v * factor for v in u] for u in units]
    assert krippendorff_alpha(scaled, "ratio") == krippendorff_alpha(units, "ratio")


@FAST
@given(matrices(LIBRARY_VALUES["ratio"]))
def test_ratio_numpy_path_matches_pure_path(units: list[list]) -> None:
    # With many distinct values ratio D_e is summed with numpy; force that path on small data.
    pure = krippendorff_alpha(units, "ratio")
    original = agreement._RATIO_PURE_MAX_VALUES
    agreement._RATIO_PURE_MAX_VALUES = 0
    try:
        vectorised = krippendorff_alpha(units, "ratio")
    finally:
        agreement._RATIO_PURE_MAX_VALUES = original
    if pure is None:
        assert vectorised is None
    else:
        assert vectorised is not None
        assert math.isclose(pure, vectorised, rel_tol=1e-12, abs_tol=1e-12)


def test_ratio_large_data_numpy_path_matches_pure_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # (No library comparison here: `krippendorff` allocates units x V x V floats, ~10 GB for this.)
    rng = np.random.default_rng(7)
    truth = rng.uniform(1, 100, size=600)
    units = [
        [None if rng.random() < 0.2 else float(t * rng.uniform(0.8, 1.25)) for _ in range(3)]
        for t in truth
    ]
    assert distinct_pairable(units) > agreement._RATIO_PURE_MAX_VALUES
    alpha = krippendorff_alpha(units, "ratio")
    assert alpha is not None
    monkeypatch.setattr(agreement, "_RATIO_PURE_MAX_VALUES", 10**9)
    assert math.isclose(alpha, krippendorff_alpha(units, "ratio"), rel_tol=1e-12)  # type: ignore[arg-type]


def test_ratio_huge_values_do_not_overflow(monkeypatch: pytest.MonkeyPatch) -> None:
    units = [[1e308, 1.5e308], [1.7e308, 1.7e308], [2.0**1000, 2.0**1001]]
    # The ratio metric is scale-free and scaling by a power of two is exact.
    scaled = [[v / 2.0**900 for v in u] for u in units]
    expected = krippendorff_alpha(scaled, "ratio")
    assert expected is not None
    assert krippendorff_alpha(units, "ratio") == pytest.approx(expected, rel=1e-12)
    monkeypatch.setattr(agreement, "_RATIO_PURE_MAX_VALUES", 0)
    assert krippendorff_alpha(units, "ratio") == pytest.approx(expected, rel=1e-12)


def test_module_import_is_light() -> None:
    code = "import sys, qualcode.agreement; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(agreement.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_is_none_or_finite_and_at_most_one(level: str) -> None:
    @FAST
    @given(matrices(st.integers(0, 3), max_units=6))
    def check(units: list[list]) -> None:
        alpha = krippendorff_alpha(units, level)  # type: ignore[arg-type]
        if distinct_pairable(units) < 2:
            assert alpha is None
        else:
            assert alpha is not None
            assert math.isfinite(alpha)
            assert alpha <= 1.0

    check()


def brute_force_percent(units: list[list]) -> float | None:
    pairs = [
        x == y for u in units for x, y in itertools.combinations([v for v in u if v is not None], 2)
    ]
    return sum(pairs) / len(pairs) if pairs else None


@FAST
@given(matrices(st.sampled_from("abc"), max_units=12))
def test_percent_agreement_matches_pairwise_count(units: list[list]) -> None:
    result = percent_agreement(units)
    expected = brute_force_percent(units)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert 0.0 <= result <= 1.0
        assert result == pytest.approx(expected, abs=1e-12)


def test_percent_agreement_examples() -> None:
    assert percent_agreement([]) is None
    assert percent_agreement([[1, None], [None, 1]]) is None
    assert percent_agreement([[1, 1], [1, 2]]) == 0.5
    # Three coders, one unit: pairs (1,1) agree, (1,2) and (1,2) do not -> 1/3.
    assert percent_agreement([[1, 1, 2]]) == pytest.approx(1 / 3)
    # Missing values form no pairs.
    assert percent_agreement([[1, None, 1], [2, 2, None]]) == 1.0


def reference_kappa(a: list, b: list) -> float | None:
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    if not pairs:
        return None
    n = len(pairs)
    p_o = sum(x == y for x, y in pairs) / n
    cats = {x for x, _ in pairs} | {y for _, y in pairs}
    p_e = sum(
        (sum(x == c for x, _ in pairs) / n) * (sum(y == c for _, y in pairs) / n) for c in cats
    )
    if math.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1 - p_e)


coder_pairs = st.integers(0, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.one_of(st.none(), st.sampled_from("xyz")), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.sampled_from("xyz")), min_size=n, max_size=n),
    )
)


@FAST
@given(coder_pairs)
def test_cohen_kappa_symmetric_and_matches_definition(ab: tuple[list, list]) -> None:
    a, b = ab
    kappa = cohen_kappa(a, b)
    assert kappa == cohen_kappa(b, a)
    expected = reference_kappa(a, b)
    if expected is None:
        assert kappa is None
    else:
        assert kappa is not None
        assert math.isfinite(kappa)
        assert -1.0 <= kappa <= 1.0
        assert kappa == pytest.approx(expected, abs=1e-9)


def test_cohen_kappa_edge_cases() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([None, "a"], ["a", None]) is None  # no complete pair
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None  # p_e == 1
    assert cohen_kappa(["a", "b"], ["a", "b"]) == 1.0
    # A dropped pair does not count: same as the complete pairs alone.
    assert cohen_kappa(["a", "b", None, "a"], ["a", "b", "b", "b"]) == cohen_kappa(
        ["a", "b", "a"], ["a", "b", "b"]
    )
    with pytest.raises(AgreementError, match="2 and 1"):
        cohen_kappa(["a", "b"], ["a"])
    with pytest.raises(AgreementError, match="NaN"):
        cohen_kappa([float("nan")], [1.0])


# --------------------------------------------------------------------------------------------------
# code_agreement
# --------------------------------------------------------------------------------------------------


def by_code(results: list[AgreementResult]) -> dict[str | None, AgreementResult]:
    return {r.code: r for r in results}


def test_code_agreement_shape_and_order() -> None:
    decisions = {
        "ann": {"u1": {"x": True}, "u2": {"y": True}},
        "bob": {"u1": {"x": True}, "u2": {"y": True}},
    }
    results = code_agreement(decisions, ["y", "x", "z"], ["ann", "bob"])
    assert [r.code for r in results] == ["y", "x", "z", None]
    assert all(isinstance(r, AgreementResult) for r in results)
    with pytest.raises(dataclasses.FrozenInstanceError):
        results[0].alpha = 0.0  # type: ignore[misc]
    overall = results[-1]
    assert overall.n_units == 6  # 2 units x 3 codes, pooled
    assert overall.percent == 1.0
    assert overall.alpha == 1.0
    assert overall.kappa == 1.0


def test_missing_is_not_absent() -> None:
    # bob never reviewed u3: his silence must not count as "code absent".
    ann = {"u1": {"x": True}, "u2": {"x": False}, "u3": {"x": True}, "u4": {}}
    bob = {"u1": {"x": True}, "u2": {}, "u4": {"x": False}}
    r = by_code(code_agreement({"ann": ann, "bob": bob}, ["x"], ["ann", "bob"]))["x"]
    assert r.n_units == 3
    assert r.percent == 1.0
    assert r.alpha == 1.0
    assert r.kappa == 1.0
    # Had bob reviewed u3 without applying x (missing key = absent), agreement would drop.
    bob_reviewed = {**bob, "u3": {}}
    r2 = by_code(code_agreement({"ann": ann, "bob": bob_reviewed}, ["x"], ["ann", "bob"]))["x"]
    assert r2.n_units == 4
    assert r2.percent == 0.75
    assert r2.alpha is not None
    assert r2.alpha < 1.0


def test_explicit_none_is_missing_for_that_code_only() -> None:
    decisions = {
        "ann": {"u1": {"x": True, "y": True}, "u2": {"x": False, "y": False}},
        "bob": {"u1": {"x": None, "y": True}, "u2": {"x": False, "y": False}},
    }
    r = by_code(code_agreement(decisions, ["x", "y"], ["ann", "bob"]))
    assert r["x"].n_units == 1  # u1 missing for bob on x
    assert r["x"].percent == 1.0
    assert r["y"].n_units == 2
    assert r[None].n_units == 3


def test_one_coder_only() -> None:
    decisions = {"ann": {"u1": {"x": True}, "u2": {}}}
    for coders in (["ann"], ["ann", "bob"]):  # bob has no decisions at all
        for r in code_agreement(decisions, ["x"], coders):
            assert r.n_units == 0
            assert (r.percent, r.kappa, r.alpha) == (None, None, None)


def test_code_nobody_used() -> None:
    decisions = {"ann": {"u1": {"x": True}, "u2": {}}, "bob": {"u1": {"x": True}, "u2": {}}}
    r = by_code(code_agreement(decisions, ["x", "unused"], ["ann", "bob"]))["unused"]
    assert r.n_units == 2
    assert r.percent == 1.0
    assert r.alpha is None  # no variation: undefined, not NaN
    assert r.kappa is None


def test_overall_pools_unit_code_pairs() -> None:
    decisions = {
        "ann": {"u1": {"x": True}, "u2": {"y": True}, "u3": {"x": True, "y": True}},
        "bob": {"u1": {"x": True, "y": True}, "u2": {}, "u3": {"x": True}},
    }
    results = by_code(code_agreement(decisions, ["x", "y"], ["ann", "bob"]))
    pooled = [
        [True, True],  # u1 x
        [False, False],  # u2 x
        [True, True],  # u3 x
        [False, True],  # u1 y
        [True, False],  # u2 y
        [True, False],  # u3 y
    ]
    overall = results[None]
    assert overall.n_units == 6
    assert overall.alpha == krippendorff_alpha(pooled)
    assert overall.percent == percent_agreement(pooled) == 0.5
    assert overall.kappa == cohen_kappa([p[0] for p in pooled], [p[1] for p in pooled])


def test_kappa_only_for_two_coders() -> None:
    decisions = {c: {"u1": {"x": True}, "u2": {}} for c in ("ann", "bob", "cy")}
    r = by_code(code_agreement(decisions, ["x"], ["ann", "bob", "cy"]))["x"]
    assert r.kappa is None
    assert r.alpha == 1.0
    assert r.n_units == 2


def test_unselected_coders_are_ignored() -> None:
    decisions = {
        "ann": {"u1": {"x": True}, "u2": {}},
        "bob": {"u1": {"x": True}, "u2": {}},
        "eve": {"u1": {}, "u2": {"x": True}, "u9": {"x": True}},
    }
    r = by_code(code_agreement(decisions, ["x"], ["ann", "bob"]))["x"]
    assert (r.n_units, r.percent, r.alpha) == (2, 1.0, 1.0)


@pytest.mark.parametrize(
    ("decisions", "codes", "coders", "match"),
    [
        ({"ann": {"u1": {"x": "yes"}}}, ["x"], ["ann"], "True, False or None"),
        ({"ann": {"u1": {"x": 1}}}, ["x"], ["ann"], "True, False or None"),
        ({}, ["x"], ["ann", "ann"], "duplicate coder"),
        ({}, ["x", "x"], ["ann"], "duplicate code"),
    ],
)
def test_code_agreement_rejects_bad_input(
    decisions: dict, codes: list[str], coders: list[str], match: str
) -> None:
    with pytest.raises(AgreementError, match=match):
        code_agreement(decisions, codes, coders)


decision_value = st.sampled_from([True, False, None, "absent-key"])


@FAST
@given(
    st.lists(st.tuples(decision_value, decision_value), min_size=1, max_size=15),
    st.lists(st.booleans(), min_size=15, max_size=15),
)
def test_a_coder_with_partial_review_never_changes_agreement_among_others(
    rows: list[tuple[object, object]], reviewed_by_cy: list[bool]
) -> None:
    """Adding a third coder changes nothing on units he did not review."""

    def entry(value: object) -> dict[str, bool | None]:
        return {} if value == "absent-key" else {"x": value}  # type: ignore[dict-item]

    two = {
        "ann": {f"u{i}": entry(a) for i, (a, _) in enumerate(rows)},
        "bob": {f"u{i}": entry(b) for i, (_, b) in enumerate(rows)},
    }
    three = {**two, "cy": {}}
    base = by_code(code_agreement(two, ["x"], ["ann", "bob"]))["x"]
    unreviewed = by_code(code_agreement(three, ["x"], ["ann", "bob", "cy"]))["x"]
    assert (unreviewed.n_units, unreviewed.percent, unreviewed.alpha) == (
        base.n_units,
        base.percent,
        base.alpha,
    )
    for r in (base, unreviewed):
        for stat in (r.percent, r.kappa, r.alpha):
            assert stat is None or math.isfinite(stat)


# --------------------------------------------------------------------------------------------------
# read_reliability_csv
# --------------------------------------------------------------------------------------------------


def k2011_csv(missing: str = "") -> str:
    """[K2011]'s reliability data as a CSV with ``missing`` in the cells nobody coded."""
    return "unit,A,B,C,D\n" + "".join(
        f"{i},{','.join(missing if v is None else str(v) for v in u)}\n"
        for i, u in enumerate(K2011_UNITS, start=1)
    )


K2011_CSV = k2011_csv()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str | bytes], Path]:
    def _write(content: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path

    return _write


def test_read_good_file(write: Callable[..., Path]) -> None:
    path = write("unit,ann,bob\nu1,a,b\nu2, a ,\n")
    data, units = read_reliability_csv(path, "nominal")
    assert data == ReliabilityData(
        unit_ids=["u1", "u2"], coders=["ann", "bob"], values=[["a", "b"], ["a", None]]
    )
    assert units == [["a", "b"], ["a", None]]


@pytest.mark.parametrize("level", LEVELS)
def test_read_k2011_csv_reproduces_published_alpha(write: Callable[..., Path], level: str) -> None:
    data, units = read_reliability_csv(write(K2011_CSV), level)  # type: ignore[arg-type]
    assert data.coders == ["A", "B", "C", "D"]
    assert len(data.unit_ids) == 12
    alpha = krippendorff_alpha(units, level)  # type: ignore[arg-type]
    assert alpha is not None
    assert round(alpha, 3) == K2011_ALPHA[level]


def test_read_bom_and_crlf(write: Callable[..., Path]) -> None:
    path = write(b"\xef\xbb\xbfunit,ann,bob\r\nu1,1,2\r\nu2,3,\r\n")
    data, units = read_reliability_csv(path, "interval")
    assert data.coders == ["ann", "bob"]
    assert data.unit_ids == ["u1", "u2"]
    assert units == [[1.0, 2.0], [3.0, None]]


def test_read_semicolon_with_decimal_comma(write: Callable[..., Path]) -> None:
    path = write("unit;ann;bob\nu1;3,5;-2\nu2;1e1;\n")
    data, units = read_reliability_csv(path, "interval")
    assert data.coders == ["ann", "bob"]
    assert units == [[3.5, -2.0], [10.0, None]]


def test_read_quoted_fields(write: Callable[..., Path]) -> None:
    path = write('unit,"coder, one",bob\n"u,1", "a", b\n')
    data, _ = read_reliability_csv(path, "nominal")
    assert data.coders == ["coder, one", "bob"]
    assert data.unit_ids == ["u,1"]
    assert data.values == [["a", "b"]]


def test_read_ordinal_numeric_vs_lexicographic(write: Callable[..., Path]) -> None:
    _, numeric = read_reliability_csv(write("unit,a,b\nu1,9,10\nu2,2,\n"), "ordinal")
    assert numeric == [[9.0, 10.0], [2.0, None]]
    _, text = read_reliability_csv(write("unit,a,b\nu1,9,10\nu2,low,\n"), "ordinal")
    assert text == [["9", "10"], ["low", None]]


def test_read_ragged_row_reports_file_line(write: Callable[..., Path]) -> None:
    # Line 3 is blank (skipped), so the short row is file line 5, not record 4.
    path = write("unit,ann,bob\nu1,a,b\n\nu2,a,b\nu3,a\nu4,a,b\n")
    with pytest.raises(AgreementError) as info:
        read_reliability_csv(path, "nominal")
    err = info.value
    assert (err.path, err.line) == (str(path), 5)
    assert "2 cells" in err.message
    assert err.hint
    assert f"{path}:5:" in str(err)


def test_read_ragged_row_after_multiline_field(write: Callable[..., Path]) -> None:
    path = write('unit,ann,bob\n"u\n1",a,b\nu2,a,b,c\n')
    with pytest.raises(AgreementError) as info:
        read_reliability_csv(path, "nominal")
    assert info.value.line == 4
    # A bad record spanning lines 2-3 is reported at the line where it starts.
    with pytest.raises(AgreementError) as info:
        read_reliability_csv(write('unit,ann,bob\nu1,"a\nb"\nu2,a,b\n'), "nominal")
    assert info.value.line == 2


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_read_non_numeric_value(write: Callable[..., Path], level: str) -> None:
    path = write("unit,ann,bob,cy\nu1,1,2,3\nu2,4,abc,6\n")
    with pytest.raises(AgreementError) as info:
        read_reliability_csv(path, level)  # type: ignore[arg-type]
    err = info.value
    assert (err.path, err.line, err.column) == (str(path), 3, 3)
    assert "'abc'" in err.message
    assert "bob" in err.message
    assert err.hint
    assert str(err).startswith(f"{path}:3:3: ")


def test_read_ratio_rejects_negative(write: Callable[..., Path]) -> None:
    path = write("unit,ann,bob\nu1,1,2\nu2,-4,2\n")
    assert read_reliability_csv(path, "interval")[1] == [[1.0, 2.0], [-4.0, 2.0]]
    with pytest.raises(AgreementError, match="negative") as info:
        read_reliability_csv(path, "ratio")
    assert (info.value.line, info.value.column) == (3, 2)


@pytest.mark.parametrize(
    "cell", ["inf", "-inf", "1,5", "3.5.1", "--2", "1 000", "n.a.", "..", "NAN1"]
)
def test_read_rejects_non_numbers_for_interval(write: Callable[..., Path], cell: str) -> None:
    path = write(f'unit,ann,bob\nu1,1,"{cell}"\n')
    with pytest.raises(AgreementError, match="not a number"):
        read_reliability_csv(path, "interval")


@pytest.mark.parametrize("header", ["unit,ann", "unit", "unit;ann"])
def test_read_fewer_than_two_coders(write: Callable[..., Path], header: str) -> None:
    with pytest.raises(AgreementError, match="at least 2 coders") as info:
        read_reliability_csv(write(f"{header}\nu1,a\n"), "nominal")
    assert info.value.hint
    assert info.value.line == 1


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n  \n", b",,\n;;\n", b'""\n'])
def test_read_empty_file(write: Callable[..., Path], content: bytes) -> None:
    with pytest.raises(AgreementError, match="empty") as info:
        read_reliability_csv(write(content), "nominal")
    assert info.value.hint


@pytest.mark.parametrize("content", ["unit,a,b\n", "\nunit;a;b\n\n\n", "unit,a,b"])
@pytest.mark.parametrize("level", LEVELS)
def test_read_header_only_is_an_error(write: Callable[..., Path], content: str, level: str) -> None:
    # A header without unit rows is almost always a truncated export or the wrong file; reporting
    # "alpha undefined" with exit 0 would hide that.
    path = write(content)
    with pytest.raises(AgreementError, match="no units") as info:
        read_reliability_csv(path, level)  # type: ignore[arg-type]
    err = info.value
    assert err.path == str(path)
    assert err.hint
    assert "one row per unit" in err.hint
    assert str(err).startswith(f"{path}: no units")


@pytest.mark.parametrize(
    ("content", "match", "line", "column"),
    [
        ("unit,a,b\nu1,x,y\nu1,x,y\n", "duplicate unit id 'u1'.*line 2", 3, 1),
        ("unit,a,a\nu1,x,y\n", "duplicate coder", 1, 3),
        ("unit,a,b,\nu1,x,y,\n", "empty coder name", 1, 4),
        ("unit,a,b\n ,x,y\n", "empty unit id", 2, 1),
    ],
)
def test_read_structural_errors(
    write: Callable[..., Path], content: str, match: str, line: int, column: int
) -> None:
    with pytest.raises(AgreementError, match=match) as info:
        read_reliability_csv(write(content), "nominal")
    assert (info.value.line, info.value.column) == (line, column)


def test_read_unreadable_file(tmp_path: Path, write: Callable[..., Path]) -> None:
    with pytest.raises(InputFileError):
        read_reliability_csv(tmp_path / "missing.csv", "nominal")
    with pytest.raises(InputFileError, match="UTF-8") as info:
        read_reliability_csv(write(b"unit,a,b\nu1,\xff,x\n"), "nominal")
    assert info.value.line == 2
    assert issubclass(InputFileError, QualcodeError)


# -- missing-value markers ------------------------------------------------------------------------


def test_missing_markers_constant() -> None:
    # The set the CLI help documents (see test_agree_cli.py), stored case-folded.
    assert {"", ".", "*", "-", "?", "na", "n/a", "nan", "null", "none"} == MISSING_MARKERS
    assert all(m == m.strip().casefold() for m in MISSING_MARKERS)


@pytest.mark.parametrize("level", LEVELS)
def test_read_k2011_with_dot_markers_reproduces_published_alpha(
    write: Callable[..., Path], level: str
) -> None:
    # [K2011] prints its reliability data with "." for a missing value; read as a category, "."
    # gave nominal alpha 0.577 instead of the published 0.743.
    data, units = read_reliability_csv(write(k2011_csv(".")), level)  # type: ignore[arg-type]
    assert data == read_reliability_csv(write(K2011_CSV, "blank.csv"), level)[0]
    assert units == read_reliability_csv(write(K2011_CSV, "blank.csv"), level)[1]
    assert sum(v is None for row in data.values for v in row) == 7
    alpha = krippendorff_alpha(units, level)  # type: ignore[arg-type]
    assert alpha is not None
    assert round(alpha, 3) == K2011_ALPHA[level]


def test_read_k2011_with_dot_markers_nominal_exact(write: Callable[..., Path]) -> None:
    _, units = read_reliability_csv(write(k2011_csv(".")), "nominal")
    assert krippendorff_alpha(units, "nominal") == float(Fraction(113, 152))  # 0.743
    assert percent_agreement(units) == percent_agreement(K2011_UNITS)


@pytest.mark.parametrize(
    "marker",
    [".", "*", "-", "?", "NA", "na", "Na", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL",
     "None", "none", "NONE", " NA ", "\tn/a", " . "],
)  # fmt: skip
@pytest.mark.parametrize("level", LEVELS)
def test_read_markers_are_missing_at_every_level(
    write: Callable[..., Path], marker: str, level: str
) -> None:
    path = write(f'unit,a,b,c\nu1,1,"{marker}",2\nu2,"{marker}",3,3\nu3,2,2,"{marker}"\n')
    data, units = read_reliability_csv(path, level)  # type: ignore[arg-type]
    assert data.values == [["1", None, "2"], [None, "3", "3"], ["2", "2", None]]
    expected = [[1, None, 2], [None, 3, 3], [2, 2, None]]
    if level == "nominal":
        expected = [[None if v is None else str(v) for v in row] for row in expected]
    assert units == expected
    alpha = krippendorff_alpha(units, level)  # type: ignore[arg-type]
    assert alpha == krippendorff_alpha(expected, level)  # type: ignore[arg-type]


@pytest.mark.parametrize("marker", ["NA", "*"])
def test_read_na_and_star_markers_like_blank_cells(write: Callable[..., Path], marker: str) -> None:
    # R's write.csv writes NA, SPSS-style exports "*"; both must give the blank-cell result.
    blank = read_reliability_csv(write(K2011_CSV, "blank.csv"), "nominal")
    marked = read_reliability_csv(write(k2011_csv(marker)), "nominal")
    assert marked == blank
    alpha = krippendorff_alpha(marked[1], "nominal")
    assert alpha is not None
    assert round(alpha, 3) == 0.743


def test_read_interval_with_markers(write: Callable[..., Path]) -> None:
    # Mixed markers, numbers with signs and decimals: the markers are missing, not "not a number".
    path = write("unit,a,b,c\nu1,1.5,NA,2\nu2,.,-3,-2.5\nu3,4,4,?\nu4,-,*,N/A\nu5,1e1,9,null\n")
    data, units = read_reliability_csv(path, "interval")
    assert units == [[1.5, None, 2.0], [None, -3.0, -2.5], [4.0, 4.0, None], [None, None, None],
                     [10.0, 9.0, None]]  # fmt: skip
    assert data.unit_ids == ["u1", "u2", "u3", "u4", "u5"]
    alpha = krippendorff_alpha(units, "interval")
    assert alpha is not None
    assert alpha == pytest.approx(library_alpha(units, "interval"))
    # A marker next to a real non-number still reports the non-number, at its own column.
    with pytest.raises(AgreementError, match="'high'") as info:
        read_reliability_csv(write("unit,a,b,c\nu1,NA,high,.\n", "bad.csv"), "interval")
    assert (info.value.line, info.value.column) == (2, 3)
    assert "NA" in (info.value.hint or "")


def test_read_semicolon_file_with_markers(write: Callable[..., Path]) -> None:
    path = write("unit;a;b\nu1;3,5;NA\nu2;.;2\nu3;1;1\n")
    assert read_reliability_csv(path, "ratio")[1] == [[3.5, None], [None, 2.0], [1.0, 1.0]]


def test_read_ordinal_markers_do_not_force_string_order(write: Callable[..., Path]) -> None:
    # Were "." a value, the column would not be all-numeric and 10 would sort before 9.
    _, units = read_reliability_csv(write("unit,a,b\nu1,9,10\nu2,.,NA\nu3,2,?\n"), "ordinal")
    assert units == [[9.0, 10.0], [None, None], [2.0, None]]


def test_read_markers_only_in_coder_cells(write: Callable[..., Path]) -> None:
    # Unit ids and coder names are names, not values: "NA" there is kept as written.
    data, units = read_reliability_csv(write("unit,NA,None\nNA,x,y\n-,y,y\n"), "nominal")
    assert data.coders == ["NA", "None"]
    assert data.unit_ids == ["NA", "-"]
    assert units == [["x", "y"], ["y", "y"]]


def test_read_marker_lookalikes_are_values(write: Callable[..., Path]) -> None:
    # Only whole cells match: these are ordinary nominal categories.
    cells = ["n.a.", "NA1", "--", "..", "none of them", "0", "NIL"]
    path = write("unit,a,b\n" + "".join(f"u{i},{c},{c}\n" for i, c in enumerate(cells)))
    _, units = read_reliability_csv(path, "nominal")
    assert units == [[c, c] for c in cells]


def test_read_rejects_unknown_level(write: Callable[..., Path]) -> None:
    with pytest.raises(AgreementError, match="level"):
        read_reliability_csv(write(K2011_CSV), "cardinal")  # type: ignore[arg-type]


def test_exact_arithmetic_nominal() -> None:
    # Nominal alpha is a rational number computed exactly: compare with Fraction arithmetic.
    # [K2011] binary example: alpha = 1 - 76/84 = 2/21.
    units = [list(p) for p in zip(K2011_BINARY_A, K2011_BINARY_B, strict=True)]
    assert krippendorff_alpha(units) == float(Fraction(2, 21))
