"""curriculum.toml: complete (DESIGN §2), valid, and consistent with the repository."""

import pytest

from ml2llm.manifest import ManifestError, load_manifest, normalize_id

CUR = load_manifest()
DESIGN_IDS = (
    "01 02 03 04 04.5 05 06 06.5 07 07.5 07.8 08 09 10 11 11.5 11.75 "
    "12.1 12.25 12 12.5 13 13.5 14 15 16 17 P1 P2 P3 P4"
).split()


def test_every_design_project_is_listed_once_in_order():
    assert [p.id for p in CUR.projects] == DESIGN_IDS


def test_seed_notebook_path_is_kept():
    p = CUR.get("01")
    assert str(p.notebook_path().relative_to(p.path().parents[2])) == (
        "projects/phase1_classical_ml/project01_linear_regression/linear_regression_from_scratch.ipynb"
    )


@pytest.mark.parametrize("project", CUR.projects, ids=[p.id for p in CUR.projects])
def test_entry_fields(project):
    assert project.title and project.summary and project.hours > 0
    assert project.modules, "every project names its library modules"
    name = project.folder.rsplit("/", 1)[1]
    assert name.startswith("project" + project.id.replace(".", "_") + "_")
    for pre in project.prerequisites:
        assert DESIGN_IDS.index(pre) < DESIGN_IDS.index(project.id), "prerequisites come first"


@pytest.mark.parametrize("project", CUR.ready(), ids=[p.id for p in CUR.ready()])
def test_ready_projects_exist_on_disk(project):
    assert (project.path() / "README.md").exists()
    assert project.source_path().exists() and project.notebook_path().exists()
    import importlib

    for module in project.modules:
        importlib.import_module(module)


@pytest.mark.parametrize(
    "given,expected",
    [
        ("1", "01"),
        ("01", "01"),
        ("4.5", "04.5"),
        ("p01", "01"),
        ("p1", "P1"),
        ("P3", "P3"),
        ("p04_5", "04.5"),
        ("11.75", "11.75"),
    ],
)
def test_id_normalisation(given, expected):
    assert normalize_id(given) == expected


def test_unknown_id_lists_valid_ones():
    with pytest.raises(KeyError, match="valid ids: 01, 02"):
        CUR.get("42")


@pytest.mark.parametrize(
    "mutation,message",
    [
        (('status = "ready"', 'status = "done"'), "status"),
        (('id = "02"', 'id = "2x"'), "id"),
        (('prerequisites = ["01"]', 'prerequisites = ["99"]'), "unknown prerequisite"),
        (('phase = "phase1_classical_ml"', 'phase = "phase9"'), "phase"),
    ],
)
def test_malformed_manifest_is_reported(tmp_path, mutation, message):
    text = (CUR.get("01").path().parents[2] / "curriculum.toml").read_text()
    old, new = mutation
    assert old in text
    bad = tmp_path / "curriculum.toml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ManifestError, match=message):
        load_manifest(bad)
