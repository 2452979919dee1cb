"""Lesson 19 checks: a right answer passes, each named misconception gets its message, a blank one is 'not
attempted', NaN is wrong."""

import itertools

import numpy as np
import pandas as pd

from unsuplab.checks import lesson19


def _todo(*args):
    raise NotImplementedError()


def _measures(baskets, antecedent, consequent, mistake=None):
    pick = (lambda cols: baskets[cols].any(axis=1)) if mistake == "any" else (lambda cols: baskets[cols].all(axis=1))
    has_a, has_c = pick(antecedent), pick(consequent)
    if mistake == "any consequent":  # issue 28: passed while every test rule had a one-item consequent
        has_c = baskets[consequent].any(axis=1)
    s_a, s_c, s_ac = has_a.mean(), has_c.mean(), (has_a & has_c).mean()
    support, confidence, lift = s_ac, s_ac / s_a, s_ac / (s_a * s_c)
    if mistake == "counts":
        return (has_a & has_c).sum(), confidence, lift
    if mistake == "antecedent support":
        return s_a, confidence, lift
    if mistake == "over consequent":
        return support, s_ac / s_c, s_ac / s_c / s_c
    if mistake == "lift over antecedent":
        return support, confidence, confidence / s_a
    if mistake == "added":
        return support, confidence, s_ac / (s_a + s_c)
    if mistake == "order":
        return confidence, support, lift
    if mistake == "series":
        return has_a & has_c, confidence, lift
    if mistake == "two":
        return support, confidence
    return support, confidence, lift


def _wrong(mistake):
    feedback = lesson19.rule_measures(lambda b, a, c: _measures(b, a, c, mistake))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_rule_measures_right():
    assert lesson19.rule_measures(_measures)
    assert lesson19.rule_measures(lambda b, a, c: list(_measures(b, a, c)))
    assert lesson19.rule_measures(lambda b, a, c: np.array(_measures(b, a, c)))

    def with_counts(baskets, antecedent, consequent):   # another right way: counts, then divide
        n = len(baskets)
        n_a = int(baskets[antecedent].all(axis=1).sum())
        n_c = int(baskets[consequent].all(axis=1).sum())
        n_ac = int(baskets[antecedent + consequent].all(axis=1).sum())
        return n_ac / n, n_ac / n_a, n_ac * n / (n_a * n_c)

    assert lesson19.rule_measures(with_counts)


def test_rule_measures_agrees_with_mlxtend():
    baskets = lesson19.toy_baskets()
    for antecedent, consequent in lesson19.RULES:
        np.testing.assert_allclose(_measures(baskets, list(antecedent), list(consequent)),
                                   lesson19.mlxtend_measures(baskets, antecedent, consequent), rtol=1e-12)


def test_rule_measures_misconceptions():
    assert "divide the count by the number of baskets" in _wrong("counts")
    assert ".all(axis=1), not .any" in _wrong("any")
    assert "any* item of the consequent" in _wrong("any consequent")
    assert "one side only" in _wrong("antecedent support")
    assert "divides by the consequent's support" in _wrong("over consequent")
    assert "divides the confidence by the antecedent's support" in _wrong("lift over antecedent")
    assert "adds the two supports" in _wrong("added")
    assert "wrong order" in _wrong("order")
    assert "take its .mean()" in _wrong("series")
    assert "got an array of shape (2,)" in _wrong("two")
    assert "returns None" in lesson19.rule_measures(lambda b, a, c: None).message
    assert "not a dict" in lesson19.rule_measures(lambda b, a, c: {"support": 1}).message


def test_rule_measures_waits_for_unfinished_and_never_passes_nan(capsys):
    assert lesson19.rule_measures(_todo).status == "todo"
    assert lesson19.rule_measures(lambda b, a, c: (float("nan"), 0.5, 1.0)).status == "wrong"
    with np.errstate(invalid="ignore"):
        assert lesson19.rule_measures(lambda b, a, c: (0.0, 0.0 / np.float64(0.0), 1.0)).status == "wrong"
    assert lesson19.rule_measures(lambda b, a, c: (0.2, 0.5, float("inf"))).status == "wrong"
    assert "[ok]" not in capsys.readouterr().out


def _candidates(frequent, mistake=None):
    frequent = {frozenset(s) for s in frequent}
    found = set()
    for a, b in itertools.product(frequent, repeat=2):
        union = a | b
        if len(union) != len(a) + 1:
            continue
        if mistake == "no prune" or all(union - {x} in frequent for x in union):
            found.add(union)
    if mistake == "with input":
        found |= frequent
    if mistake == "tuples":
        return [tuple(sorted(c)) for c in found]
    if mistake == "first only":
        return set(sorted(found, key=sorted)[:1])
    return found


def _wrong_candidates(mistake):
    feedback = lesson19.next_candidates(lambda frequent: _candidates(frequent, mistake))
    assert feedback.status == "wrong", feedback
    return feedback.message


def test_next_candidates_right():
    assert lesson19.next_candidates(_candidates)
    assert lesson19.next_candidates(lambda f: _candidates(f, "tuples"))   # tuples of items are itemsets too
    assert lesson19.next_candidates(lesson19.reference_candidates)


def test_reference_candidates_on_the_supermarket_pattern():
    pairs = [{"a", "b"}, {"a", "c"}, {"b", "c"}, {"b", "d"}, {"c", "d"}, {"c", "e"}]
    assert lesson19.reference_candidates(pairs) == {frozenset("abc"), frozenset("bcd")}
    assert lesson19.reference_candidates([{"a"}, {"b"}]) == {frozenset("ab")}
    assert lesson19.reference_candidates([]) == set()


def test_next_candidates_misconceptions():
    assert "downward closure" in _wrong_candidates("no prune")
    assert "must have k+1" in _wrong_candidates("with input")
    assert "Apriori must count it" in _wrong_candidates("first only")
    assert "returns None" in lesson19.next_candidates(lambda f: None).message
    assert "each candidate must be an itemset" in lesson19.next_candidates(lambda f: ["bread milk"]).message
    assert "nothing to extend" in lesson19.next_candidates(
        lambda f: _candidates(f) if f else {frozenset({"bread", "milk"})}).message


def test_next_candidates_waits_for_unfinished_and_never_passes_nan():
    assert lesson19.next_candidates(_todo).status == "todo"
    assert lesson19.next_candidates(lambda f: float("nan")).status == "wrong"
    assert lesson19.next_candidates(lambda f: np.full(3, np.nan)).status == "wrong"


def test_toy_baskets_are_boolean_and_seeded():
    baskets = lesson19.toy_baskets()
    assert isinstance(baskets, pd.DataFrame) and set(baskets.dtypes) == {np.dtype(bool)}
    assert baskets.equals(lesson19.toy_baskets())
