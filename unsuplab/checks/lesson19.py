"""Check cells of lesson 19 (association rules): plain pandas and Python, no Keras (the course's non-neural lesson).

The reference numbers come from mlxtend's ``apriori`` and ``association_rules`` (Agrawal and Srikant, 1994).
"""

import itertools

import numpy as np

from . import Wrong, exercise, expect_close


def toy_baskets(n=400, seed=0):
    """A small one-hot basket table (``pandas.DataFrame`` of bool) with associations built in: butter comes with
    bread, jam with bread and butter together, and tea buyers buy less coffee (a lift below 1)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    u = rng.random((6, n))
    bread, milk, tea, eggs = u[0] < 0.6, u[1] < 0.5, u[2] < 0.3, u[3] < 0.25
    butter = np.where(bread, u[4] < 0.5, u[4] < 0.1)
    jam = np.where(bread & butter, u[5] < 0.6, u[5] < 0.15)
    coffee = np.where(tea, rng.random(n) < 0.2, rng.random(n) < 0.4)
    return pd.DataFrame({"bread": bread, "milk": milk, "butter": butter, "jam": jam, "tea": tea, "coffee": coffee,
                         "eggs": eggs})


def mlxtend_measures(baskets, antecedent, consequent):
    """(support, confidence, lift) of the rule ``antecedent -> consequent`` as mlxtend computes them."""
    from mlxtend.frequent_patterns import apriori, association_rules

    frequent = apriori(baskets, min_support=0.5 / len(baskets), use_colnames=True)
    rules = association_rules(frequent, metric="confidence", min_threshold=0.0)
    row = rules[(rules["antecedents"] == frozenset(antecedent)) & (rules["consequents"] == frozenset(consequent))]
    return tuple(float(row[c].iloc[0]) for c in ("support", "confidence", "lift"))


def _three_numbers(result):
    if result is None:
        raise Wrong("your function returns None; return the three numbers: return support, confidence, lift.")
    if isinstance(result, dict):
        raise Wrong("return a tuple (support, confidence, lift), not a dict.")
    try:
        values = np.asarray(result, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise Wrong(f"return three numbers (support, confidence, lift); got {type(result).__name__} ({exc}). "
                    "A pandas Series of one value per basket is a step: take its .mean().") from exc
    if values.shape != (3,):
        raise Wrong(f"return three numbers (support, confidence, lift), got an array of shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise Wrong(f"your numbers are {values.tolist()}: NaN or infinity; look for a division by 0.")
    return values


def _diagnose(got, baskets, antecedent, consequent):
    """The named mistake behind a wrong (support, confidence, lift), or None."""
    n = len(baskets)
    has_a, has_c = baskets[list(antecedent)].all(axis=1), baskets[list(consequent)].all(axis=1)
    s_a, s_c, s_ac = has_a.mean(), has_c.mean(), (has_a & has_c).mean()
    any_a = baskets[list(antecedent)].any(axis=1)
    s_any_a, s_any_ac = any_a.mean(), (any_a & has_c).mean()
    right = np.array([s_ac, s_ac / s_a, s_ac / (s_a * s_c)])

    def close(a, b):
        return np.isclose(a, b, rtol=1e-6, atol=1e-9)

    rule = f"{{{', '.join(antecedent)}}} -> {{{', '.join(consequent)}}}"
    if close(got[0], s_ac * n) or close(got[0], s_a * n):
        return (f"for {rule} your support is {got[0]:g}, a count of baskets: support is a share, divide the count "
                f"by the number of baskets ({n}).")
    if close(got[0], s_any_ac) and not close(s_any_ac, s_ac):
        return (f"for {rule} you counted baskets that hold *any* item of the antecedent: a basket holds "
                "{" + ", ".join(antecedent) + "} only when it holds all of them, so use .all(axis=1), not .any.")
    if close(got[0], s_a) or close(got[0], s_c):
        return (f"for {rule} your support {got[0]:.4f} is the support of one side only: the support of a rule is "
                "the share of baskets that hold every item of both sides, antecedent and consequent together.")
    if np.allclose(np.sort(got), np.sort(right), rtol=1e-6):
        return "the three numbers are right but in the wrong order: return (support, confidence, lift)."
    if close(got[0], s_ac) and close(got[1], s_ac / s_c):
        return (f"for {rule} your confidence {got[1]:.4f} divides by the consequent's support: confidence is "
                "P(consequent | antecedent) = support(antecedent and consequent) / support(antecedent).")
    if close(got[0], s_ac) and close(got[1], right[1]) and close(got[2], right[1] / s_a):
        return (f"for {rule} your lift {got[2]:.4f} divides the confidence by the antecedent's support: lift = "
                "confidence / support(consequent), how much the antecedent raises the chance of the consequent.")
    if close(got[0], s_ac) and close(got[1], right[1]) and close(got[2], s_ac / (s_a + s_c)):
        return f"for {rule} your lift adds the two supports: lift = support(A and C) / (support(A) * support(C))."
    if close(got[0], s_any_ac) or close(got[1], s_any_ac / s_any_a):
        return "a basket holds the antecedent only when it holds all of its items: use .all(axis=1), not .any."
    any_c = baskets[list(consequent)].any(axis=1)
    if close(got[0], (has_a & any_c).mean()) and not close((has_a & any_c).mean(), s_ac):
        return (f"for {rule} you counted baskets that hold *any* item of the consequent: a basket holds "
                "{" + ", ".join(consequent) + "} only when it holds all of them, so use .all(axis=1), not .any.")
    return None


# The last rule has a two-item consequent, so that .any on the consequent is caught too (issue 28).
RULES = ((("bread", "butter"), ("jam",)), (("tea",), ("coffee",)), (("bread",), ("butter",)),
         (("bread",), ("butter", "jam")))


@exercise("Exercise 1 (support, confidence and lift of one rule)")
def rule_measures(student_fn):
    """``student_fn(baskets, antecedent, consequent)`` -> (support, confidence, lift) of the rule, from a one-hot
    basket table and two lists of item names, checked against mlxtend's ``association_rules`` on toy baskets."""
    baskets = toy_baskets()
    found = []
    for antecedent, consequent in RULES:
        got = _three_numbers(student_fn(baskets.copy(), list(antecedent), list(consequent)))
        want = np.array(mlxtend_measures(baskets, antecedent, consequent))
        if not np.allclose(got, want, rtol=1e-6, atol=1e-9):
            rule = f"{{{', '.join(antecedent)}}} -> {{{', '.join(consequent)}}}"
            raise Wrong(_diagnose(got, baskets, antecedent, consequent)
                        or f"for {rule} you give (support, confidence, lift) = ({got[0]:.4f}, {got[1]:.4f}, "
                           f"{got[2]:.4f}), mlxtend gives ({want[0]:.4f}, {want[1]:.4f}, {want[2]:.4f}).")
        found.append(got)
    (s, c, lift), (_, _, lift_tea) = found[0], found[1]
    return (f"{{bread, butter}} -> {{jam}}: support {s:.3f}, confidence {c:.3f}, lift {lift:.2f}, as mlxtend "
            f"computes them; and {{tea}} -> {{coffee}} has lift {lift_tea:.2f} < 1: tea buyers take coffee less "
            "often than the average basket.")


def reference_candidates(frequent):
    """Apriori's candidate step, by brute force: every (k+1)-itemset whose k-subsets are all in ``frequent``."""
    frequent = {frozenset(s) for s in frequent}
    if not frequent:
        return set()
    k = len(next(iter(frequent)))
    items = sorted(set().union(*frequent))
    return {frozenset(c) for c in itertools.combinations(items, k + 1)
            if all(frozenset(s) in frequent for s in itertools.combinations(c, k))}


def _itemsets(result):
    if result is None:
        raise Wrong("your function returns None; return the set of candidate itemsets (frozensets).")
    if isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        raise Wrong(f"return a set (or list) of itemsets, each a frozenset of item names; got "
                    f"{type(result).__name__}.")
    found = set()
    for candidate in result:
        if isinstance(candidate, str) or not hasattr(candidate, "__iter__"):
            raise Wrong(f"each candidate must be an itemset (a frozenset of item names), got {candidate!r}.")
        found.add(frozenset(candidate))
    return found


def _show(itemset):
    return "{" + ", ".join(sorted(itemset)) + "}"


CANDIDATE_CASES = (
    [{"bread"}, {"milk"}, {"jam"}],
    [{"bread", "milk"}, {"bread", "jam"}, {"milk", "jam"}, {"milk", "tea"}, {"jam", "tea"}, {"jam", "eggs"}],
    [{"bread", "milk", "jam"}, {"bread", "milk", "tea"}, {"bread", "jam", "tea"}, {"milk", "jam", "tea"},
     {"bread", "milk", "eggs"}, {"bread", "jam", "eggs"}],
    [],
)


@exercise("Exercise 2 (the candidates Apriori must count)")
def next_candidates(student_fn):
    """``student_fn(frequent)`` -> every (k+1)-itemset whose k-subsets are all frequent, given the frequent
    k-itemsets (a list of frozensets, all of size k): the downward-closure pruning of Apriori."""
    for case in CANDIDATE_CASES:
        frequent = [frozenset(s) for s in case]
        want = reference_candidates(frequent)
        got = _itemsets(student_fn(list(frequent)))
        if not frequent:
            if got:
                raise Wrong(f"with no frequent itemsets there is nothing to extend, yet you return {len(got)}.")
            continue
        k = len(frequent[0])
        sizes = sorted({len(c) for c in got if len(c) != k + 1})
        if sizes:
            odd = next(c for c in got if len(c) != k + 1)
            raise Wrong(f"from frequent {k}-itemsets each candidate must have k+1 = {k + 1} items; {_show(odd)} has "
                        f"{len(odd)}. Join two frequent itemsets that differ in one item.")
        extra = sorted(got - want, key=sorted)
        if extra:
            subset = next(frozenset(s) for s in itertools.combinations(sorted(extra[0]), k)
                          if frozenset(s) not in frequent) if set().union(*extra) <= set().union(*frequent) else None
            why = (f"its subset {_show(subset)} is not frequent, so neither is it: Apriori skips it without "
                   "counting (downward closure). Keep only candidates whose every k-subset is frequent."
                   if subset is not None else "it holds an item that is in no frequent itemset.")
            raise Wrong(f"from {[_show(s) for s in frequent]} you propose {_show(extra[0])}, but {why}")
        missing = sorted(want - got, key=sorted)
        if missing:
            raise Wrong(f"from {[_show(s) for s in frequent]} you miss {_show(missing[0])}: all its {k}-subsets are "
                        "frequent, so Apriori must count it.")
    pairs = [frozenset(s) for s in CANDIDATE_CASES[1]]
    triples = len(list(itertools.combinations(set().union(*pairs), 3)))
    return (f"Only itemsets whose every subset is frequent get counted: from the {len(pairs)} frequent pairs of the "
            f"second example, {len(reference_candidates(pairs))} of the {triples} possible triples.")


@exercise("Exercise 1 (support, confidence and lift of one rule), hidden cases")
def hidden_rule_measures(student_fn):
    """Other baskets (250, another seed) and other rules, one with two items on the right."""
    baskets = toy_baskets(n=250, seed=3)
    for antecedent, consequent in ((("milk",), ("bread",)), (("bread",), ("butter", "jam"))):
        got = _three_numbers(student_fn(baskets.copy(), list(antecedent), list(consequent)))
        expect_close(got, mlxtend_measures(baskets, antecedent, consequent),
                     f"(support, confidence, lift) of {antecedent} -> {consequent}", rtol=1e-6, atol=1e-9)


@exercise("Exercise 2 (the candidates Apriori must count), hidden cases")
def hidden_next_candidates(student_fn):
    """Frequent 3-itemsets over five items, and a single frequent itemset (nothing to join)."""
    for case in ([{"a", "b", "c"}, {"a", "b", "d"}, {"a", "c", "d"}, {"b", "c", "d"}, {"a", "b", "e"},
                  {"a", "c", "e"}], [{"a", "b"}]):
        frequent = [frozenset(s) for s in case]
        got, want = _itemsets(student_fn(list(frequent))), reference_candidates(frequent)
        if got != want:
            raise Wrong(f"from {[_show(s) for s in frequent]} the candidates are {[_show(s) for s in want]}, "
                        f"you give {[_show(s) for s in got]}.")
