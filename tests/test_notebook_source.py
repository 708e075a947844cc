"""The source → learner/solution transformation on small synthetic sources."""

import pytest

from ml2llm.notebooks.source import SourceError, dumps, read_source, render

SRC = '''# %% [markdown]
# ### Exercise 2.1 — Double it

# %%
def double(x):
    """Return 2x."""
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION


check("p02.double", double)
'''


def _write(tmp_path, text):
    path = tmp_path / "nb.py"
    path.write_text(text)
    return read_source(path)


def test_learner_gets_named_stub_and_solution_keeps_code(tmp_path):
    nb = _write(tmp_path, SRC)
    learner = render(nb, learner=True).cells[1].source
    solution = render(nb, learner=False).cells[1].source
    assert 'raise NotImplementedError("Exercise 2.1: Double it")' in learner
    assert "y = 2 * x" not in learner and '"""Return 2x."""' in learner
    assert "    raise NotImplementedError" in learner  # indentation kept
    assert "y = 2 * x" in solution and "BEGIN SOLUTION" not in solution


def test_generation_is_deterministic_and_output_free(tmp_path):
    nb = _write(tmp_path, SRC)
    assert dumps(render(nb, True)) == dumps(render(_write(tmp_path, SRC), True))
    out = render(nb, True)
    assert all(not c.get("outputs") for c in out.cells if c.cell_type == "code")
    assert out.metadata["kernelspec"]["name"] == "ml-learning"


@pytest.mark.parametrize(
    "bad", [SRC.replace("    ### END SOLUTION\n", ""), SRC.replace("    ### BEGIN SOLUTION\n", "")]
)
def test_unbalanced_markers_are_reported(tmp_path, bad):
    with pytest.raises(SourceError, match="SOLUTION"):
        render(_write(tmp_path, bad), learner=True)
