"""Project 17 checks pass correct code and catch typical wrong code with the right hint."""

import math
import re
import string
from collections import Counter

import numpy as np
from scipy import stats

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def _norm(s):
    s = s.lower()
    s = "".join(c for c in s if c not in string.punctuation)
    return re.sub(r"\b(a|an|the)\b", " ", s).split()


def token_f1(prediction, reference):
    p, r = _norm(prediction), _norm(reference)
    if len(p) == 0 or len(r) == 0:
        return 1.0 if p == r else 0.0
    common = sum(min(Counter(p)[t], Counter(r)[t]) for t in set(p))
    if common == 0:
        return 0.0
    return 2 * common / (len(p) + len(r))  # = 2PR/(P+R)


def bootstrap_ci(values, resample_idx, confidence):
    means = np.array([np.mean(values[row]) for row in resample_idx])
    q = (1 - confidence) / 2
    return tuple(float(v) for v in np.quantile(means, [q, 1 - q]))


def mcnemar(a_correct, b_correct):
    a, b = np.asarray(a_correct) == 1, np.asarray(b_correct) == 1
    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    if n01 + n10 == 0:
        return 1.0
    return stats.binomtest(n01, n01 + n10, 0.5).pvalue


def perplexity(logits, targets):
    m = logits.max(axis=1, keepdims=True)
    logz = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    nll = logz - logits[np.arange(len(targets)), targets]
    return math.exp(float(np.mean(nll)))


def repetition_rate(text, n):
    words = text.split()
    grams = list(zip(*[words[i:] for i in range(n)]))
    return 0.0 if not grams else 1.0 - len(set(grams)) / len(grams)


REFERENCES = {
    "p17.token_f1": token_f1,
    "p17.bootstrap_ci": bootstrap_ci,
    "p17.mcnemar": mcnemar,
    "p17.perplexity": perplexity,
    "p17.repetition_rate": repetition_rate,
}


# --- typical mistakes ------------------------------------------------------------------
def f1_case_sensitive(prediction, reference):
    p, r = prediction.split(), reference.split()
    if not p or not r:
        return float(p == r)
    common = sum((Counter(p) & Counter(r)).values())
    return 2 * common / (len(p) + len(r))


def f1_unique_tokens(prediction, reference):
    p, r = _norm(prediction), _norm(reference)
    if not p or not r:
        return float(p == r)
    common = len(set(p) & set(r))
    prec, rec = common / len(p), common / len(r)
    return 0.0 if common == 0 else 2 * prec * rec / (prec + rec)


def f1_is_recall(prediction, reference):
    p, r = _norm(prediction), _norm(reference)
    if not p or not r:
        return float(p == r)
    return sum((Counter(p) & Counter(r)).values()) / len(r)


def ci_mean_pm_two_se(values, resample_idx, confidence):
    se = values[resample_idx].mean(axis=1).std()
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(values.mean() - z * se), float(values.mean() + z * se)


def ci_full_alpha(values, resample_idx, confidence):
    means = values[resample_idx].mean(axis=1)
    return tuple(float(v) for v in np.percentile(means, [100 * (1 - confidence), 100 * confidence]))


def ci_of_raw_values(values, resample_idx, confidence):
    q = (1 - confidence) / 2
    return tuple(float(v) for v in np.percentile(values, [100 * q, 100 * (1 - q)]))


def mc_one_sided(a_correct, b_correct):
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    return 1.0 if n01 + n10 == 0 else float(stats.binom.cdf(min(n01, n10), n01 + n10, 0.5))


def mc_all_pairs(a_correct, b_correct):
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    if n01 + n10 == 0:
        return 1.0
    return float(min(1.0, 2 * stats.binom.cdf(min(n01, n10), len(a), 0.5)))


def mc_uncapped(a_correct, b_correct):
    a, b = np.asarray(a_correct, bool), np.asarray(b_correct, bool)
    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    return 1.0 if n01 + n10 == 0 else float(2 * stats.binom.cdf(min(n01, n10), n01 + n10, 0.5))


def ppl_naive_softmax(logits, targets):
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        p = e[np.arange(len(targets)), targets] / e.sum(axis=1)
        return float(np.exp(-np.mean(np.log(p))))


def ppl_summed(logits, targets):
    m = logits.max(1, keepdims=True)
    nll = m[:, 0] + np.log(np.exp(logits - m).sum(1)) - logits[np.arange(len(targets)), targets]
    return float(np.exp(nll.sum()))


def ppl_mean_nll(logits, targets):
    m = logits.max(1, keepdims=True)
    nll = m[:, 0] + np.log(np.exp(logits - m).sum(1)) - logits[np.arange(len(targets)), targets]
    return float(nll.mean())


def rep_distinct(text, n):
    words = text.split()
    grams = list(zip(*[words[i:] for i in range(n)]))
    return len(set(grams)) / len(grams) if grams else 0.0


def rep_characters(text, n):
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def rep_missing_last(text, n):
    words = text.split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


MISTAKES = {
    "p17.token_f1": [
        (f1_case_sensitive, "normalise both answers"),
        (f1_unique_tokens, "multiset"),
        (f1_is_recall, "precision AND recall"),
    ],
    "p17.bootstrap_ci": [
        (ci_mean_pm_two_se, "not mean ± z·SE"),
        (ci_full_alpha, "split alpha"),
        (ci_of_raw_values, "not of the raw values"),
    ],
    "p17.mcnemar": [
        (mc_one_sided, "two-sided"),
        (mc_all_pairs, "only discordant pairs"),
        (mc_uncapped, "cannot exceed 1"),
    ],
    "p17.perplexity": [
        (ppl_naive_softmax, "subtract the max"),
        (ppl_summed, "average the NLL"),
        (ppl_mean_nll, "exp of it"),
    ],
    "p17.repetition_rate": [
        (rep_distinct, "1 minus"),
        (rep_characters, "word n-grams"),
        (rep_missing_last, "off by one"),
    ],
}


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
