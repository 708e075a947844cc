"""Feedback quality: a wrong value no catalogued mistake explains still gets a specific line.

For every check, the reference's output is spoiled in one place (its first number changed,
or a name added to a list of names) and the message must say what was expected and what came
back, and for an array where it differs; never only "wrong".
"""

import copy

import numpy as np
import pytest

from ml2llm.checks import all_check_ids, get_check, run_check


def _spoil(x):
    """(spoiled copy of x, True) with its first number changed, or (x, False)."""
    if isinstance(x, bool) or isinstance(x, np.bool_):
        return (not x), True
    if isinstance(x, (int, float, np.integer, np.floating)):
        return x + 1 + abs(x), True
    if isinstance(x, np.ndarray) and x.size and x.dtype.kind in "biuf":
        y = x.copy()
        flat = y.reshape(-1)
        flat[0] = (not flat[0]) if y.dtype == bool else flat[0] + 1 + abs(flat[0])
        return y, True
    if type(x).__module__ == "torch" and x.numel():
        import torch

        y = x.detach().clone().contiguous()
        flat = y.view(-1)
        if y.dtype == torch.bool:
            flat[0] = ~flat[0]
        else:
            flat[0] = flat[0] + 1 + flat[0].abs()
        return y, True
    if isinstance(x, list) and not any(_spoil(v)[1] for v in x):  # names, pairs: add one
        return [*x, "spoiled"], True
    if isinstance(x, (tuple, list)):
        out = list(x)
        for i, v in enumerate(out):
            new, done = _spoil(v)
            if done:
                out[i] = new
                return (tuple(out) if isinstance(x, tuple) else out), True
        return x, False
    if isinstance(x, dict):
        out = dict(x)
        for k, v in out.items():
            new, done = _spoil(v)
            if done:
                out[k] = new
                return out, True
    return x, False


@pytest.mark.parametrize("check_id", all_check_ids())
def test_unexplained_wrong_value_names_expected_and_got(check_id):
    chk = get_check(check_id)
    spoiled_any = []

    def spoiled(*args, **kwargs):
        out, done = _spoil(copy.copy(chk.reference(*args, **kwargs)))
        spoiled_any.append(done)
        return out

    with np.errstate(all="ignore"):
        r = run_check(chk, spoiled)
    if not any(spoiled_any):
        pytest.skip(f"{check_id}: its output has no number to spoil")
    if r.passed:  # a spoiled value that the check accepts must be within its tolerance
        pytest.fail(f"{check_id} accepted an output whose first number was changed: {r.message}")
    msg = r.message.lower()
    assert "expected" in msg and "got" in msg, r.message
    assert "\n" not in r.message
