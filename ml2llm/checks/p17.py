"""Checks for Project 17 — base vs tuned (token F1, bootstrap CI, McNemar, perplexity,
repetition rate). References are in :mod:`ml2llm.evaluation`."""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.special import logsumexp

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.evaluation import behaviour, metrics
from ml2llm.evaluation import stats as ref_stats

# ------------------------------------------------------------------------ token F1


def _f1_cases():
    return [
        Case(("Romeo and Juliet", "Romeo and Juliet")),
        Case(("Romeo", "Romeo and Juliet"), hint="precision 1, recall 1/3 -> F1 = 0.5."),
        Case(("hamlet!", "Hamlet"), hint="normalise first: lower-case, drop punctuation."),
        Case(("the king", "King Lear"), hint="articles (a, an, the) are dropped before counting."),
        Case(
            ("to be to be", "to be or not to be"),
            hint="a shared token counts as often as it occurs in both.",
        ),
        Case(("", ""), hint="two empty answers agree: F1 = 1."),
        Case(("", "Othello"), hint="an empty answer against a real one scores 0."),
        Case(("Brutus", "Caesar")),
    ]


def _f1_no_norm(p, r):
    p, r = p.split(), r.split()
    if not p or not r:
        return float(p == r)
    k = sum((Counter(p) & Counter(r)).values())
    return 0.0 if k == 0 else 2 * k / (len(p) + len(r))


def _f1_set(p, r):
    p, r = metrics.normalize_answer(p).split(), metrics.normalize_answer(r).split()
    if not p or not r:
        return float(p == r)
    k = len(set(p) & set(r))
    return 0.0 if k == 0 else 2 * (k / len(p)) * (k / len(r)) / (k / len(p) + k / len(r))


def _f1_recall(p, r):
    p, r = metrics.normalize_answer(p).split(), metrics.normalize_answer(r).split()
    if not p or not r:
        return float(p == r)
    return sum((Counter(p) & Counter(r)).values()) / len(r)


register(
    Check(
        "p17.token_f1",
        reference=metrics.token_f1,
        cases=_f1_cases,
        hint="normalise both answers, count shared tokens with Counter(a) & Counter(b), then F1 = 2PR/(P+R).",
        mistakes=[
            Mistake(
                "no normalisation",
                _f1_no_norm,
                "normalise both answers first (lower-case, no punctuation, no articles).",
            ),
            Mistake(
                "set overlap", _f1_set, "count shared tokens as a multiset (Counter &), not a set."
            ),
            Mistake("recall only", _f1_recall, "F1 combines precision AND recall: 2PR/(P+R)."),
        ],
    )
)

# ------------------------------------------------------------------------ bootstrap CI


def _bootstrap_ref(values, resample_idx, confidence):
    means = np.asarray(values, float)[resample_idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.percentile(means, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


def _boot_cases():
    rng = np.random.default_rng(17)
    out = []
    for n, B, conf in [(20, 200, 0.95), (50, 500, 0.9), (8, 100, 0.8)]:
        x = (rng.random(n) < 0.6).astype(float)
        idx = rng.integers(0, n, (B, n))
        out.append(
            Case(
                (x, idx, conf),
                label=f"values: {n} 0/1 scores, resample_idx: ({B}, {n}), confidence={conf}",
            )
        )
    f1 = rng.random(30)
    out.append(
        Case(
            (f1, rng.integers(0, 30, (300, 30)), 0.95),
            label="values: 30 F1 scores, resample_idx: (300, 30)",
        )
    )
    return out


def _boot_normal(values, idx, conf):
    from scipy.stats import norm

    means = values[idx].mean(axis=1)
    z = norm.ppf(0.5 + conf / 2)
    return float(values.mean() - z * means.std()), float(values.mean() + z * means.std())


def _boot_no_halving(values, idx, conf):
    means = values[idx].mean(axis=1)
    low, high = np.percentile(means, [100 * (1 - conf), 100 * conf])
    return float(low), float(high)


def _boot_of_values(values, idx, conf):
    alpha = (1 - conf) / 2
    low, high = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


register(
    Check(
        "p17.bootstrap_ci",
        reference=_bootstrap_ref,
        cases=_boot_cases,
        hint="mean of each resample (values[resample_idx].mean(axis=1)), then the (1±confidence)/2 percentiles.",
        mistakes=[
            Mistake(
                "normal approximation",
                _boot_normal,
                "use the percentiles of the resampled means, not mean ± z·SE.",
            ),
            Mistake(
                "alpha not halved",
                _boot_no_halving,
                "split alpha = 1 - confidence between the two tails: percentiles alpha/2 and 1 - alpha/2.",
            ),
            Mistake(
                "percentiles of the data",
                _boot_of_values,
                "take percentiles of the statistic of each resample, not of the raw values.",
            ),
        ],
    )
)

# ------------------------------------------------------------------------ McNemar


def _mcnemar_ref(a_correct, b_correct):
    return ref_stats.mcnemar(a_correct, b_correct, exact=True).pvalue


def _mc_cases():
    rng = np.random.default_rng(3)
    a = rng.random(40) < 0.5
    b = np.where(rng.random(40) < 0.3, ~a, a)
    return [
        Case((np.array([1, 1, 0, 0, 1, 0, 1, 1]), np.array([1, 0, 0, 1, 1, 1, 1, 1]))),
        Case((np.array([1, 0, 0, 0, 0, 0]), np.array([0, 1, 1, 1, 1, 1]))),
        Case(
            (np.array([1, 0, 1, 0]), np.array([0, 1, 1, 0])),
            hint="b = c: no evidence either way, p = 1 (cap it).",
        ),
        Case((np.array([1, 1, 0]), np.array([1, 1, 0])), hint="no discordant pair: p = 1."),
        Case((a, b), label="two models, 40 paired 0/1 outcomes"),
    ]


def _mc_core(b, c, n=None, two_sided=True, cap=True):
    from scipy.stats import binom

    n = b + c if n is None else n
    if b + c == 0:
        return 1.0
    p = binom.cdf(min(b, c), n, 0.5) * (2 if two_sided else 1)
    return float(min(1.0, p) if cap else p)


def _bc(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return int(np.sum(a & ~b)), int(np.sum(~a & b))


register(
    Check(
        "p17.mcnemar",
        reference=_mcnemar_ref,
        cases=_mc_cases,
        hint="b = #(a right, b wrong), c = #(a wrong, b right); p = min(1, 2·BinomCDF(min(b, c); b + c, 1/2)).",
        mistakes=[
            Mistake(
                "one-sided",
                lambda a, b: _mc_core(*_bc(a, b), two_sided=False),
                "the test is two-sided: double the tail probability.",
            ),
            Mistake(
                "all pairs",
                lambda a, b: _mc_core(*_bc(a, b), n=len(a)),
                "only discordant pairs count: n = b + c, not all examples.",
            ),
            Mistake(
                "no cap",
                lambda a, b: _mc_core(*_bc(a, b), cap=False),
                "a p-value cannot exceed 1: cap it with min(1, ...).",
            ),
        ],
    )
)

# ------------------------------------------------------------------------ perplexity


def _ppl_ref(logits, targets):
    logp = logits - logsumexp(logits, axis=-1, keepdims=True)
    nll = -logp[np.arange(len(targets)), targets]
    return float(np.exp(nll.mean()))


def _ppl_cases():
    rng = np.random.default_rng(5)
    return [
        Case(
            (np.zeros((4, 5)), np.array([0, 1, 2, 3])),
            hint="uniform logits over V classes: perplexity = V.",
        ),
        Case((rng.normal(size=(6, 10)), rng.integers(0, 10, 6))),
        Case((np.array([[4.0, 0.0, 0.0], [0.0, 3.0, 1.0]]), np.array([0, 2]))),
        Case(
            (800 + rng.normal(size=(3, 7)), rng.integers(0, 7, 3)),
            hint="large logits: subtract the max before exp (log-sum-exp).",
        ),
    ]


def _ppl_unstable(logits, targets):
    with np.errstate(all="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return float(np.exp(-np.log(p[np.arange(len(targets)), targets]).mean()))


def _ppl_sum(logits, targets):
    logp = logits - logsumexp(logits, axis=-1, keepdims=True)
    return float(np.exp(-logp[np.arange(len(targets)), targets].sum()))


def _ppl_no_exp(logits, targets):
    logp = logits - logsumexp(logits, axis=-1, keepdims=True)
    return float(-logp[np.arange(len(targets)), targets].mean())


def _ppl_base2(logits, targets):
    logp = logits - logsumexp(logits, axis=-1, keepdims=True)
    return float(2 ** (-logp[np.arange(len(targets)), targets].mean()))


register(
    Check(
        "p17.perplexity",
        reference=_ppl_ref,
        cases=_ppl_cases,
        hint="PPL = exp(mean over tokens of -log softmax(logits)[target]), with a stable log-softmax.",
        mistakes=[
            Mistake(
                "unstable softmax",
                _ppl_unstable,
                "exp of large logits overflows: subtract the max (log-sum-exp) first.",
            ),
            Mistake(
                "sum", _ppl_sum, "average the NLL over tokens before exponentiating, don't sum."
            ),
            Mistake("no exp", _ppl_no_exp, "that is the mean NLL: perplexity is exp of it."),
            Mistake("base 2", _ppl_base2, "natural log NLL -> use exp, not 2**."),
        ],
    )
)

# ------------------------------------------------------------------------ repetition rate


def _rep_cases():
    return [
        Case(("the the the the", 2)),
        Case(("to be or not to be", 2)),
        Case(("to be or not to be", 1)),
        Case(("Hamlet", 2), hint="fewer than n words: no n-grams, return 0.0."),
        Case(("", 3), hint="an empty answer has no n-grams: return 0.0."),
        Case(("O Romeo Romeo wherefore art thou Romeo", 1)),
    ]


def _rep_inverted(text, n):
    w = text.split()
    g = [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]
    return len(set(g)) / len(g) if g else 0.0


def _rep_chars(text, n):
    g = [text[i : i + n] for i in range(len(text) - n + 1)]
    return 1 - len(set(g)) / len(g) if g else 0.0


def _rep_off_by_one(text, n):
    w = text.split()
    g = [tuple(w[i : i + n]) for i in range(len(w) - n)]
    return 1 - len(set(g)) / len(g) if g else 0.0


register(
    Check(
        "p17.repetition_rate",
        reference=behaviour.repetition_rate,
        cases=_rep_cases,
        hint="word n-grams: grams = [tuple(words[i:i+n]) for i in range(len(words) - n + 1)]; 1 - len(set(grams)) / len(grams).",
        mistakes=[
            Mistake(
                "unique fraction",
                _rep_inverted,
                "that is the distinct fraction: repetition is 1 minus it.",
            ),
            Mistake(
                "characters", _rep_chars, "use word n-grams (text.split()), not character n-grams."
            ),
            Mistake(
                "off by one", _rep_off_by_one, "off by one: there are len(words) - n + 1 n-grams."
            ),
        ],
    )
)
