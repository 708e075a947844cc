"""curriculum.toml: valid, and consistent with the repository.

The manifest is the single source of truth (see its header and the README): adding a project
is an entry there plus its folder, so nothing here lists the project ids again. The tests
derive everything from the manifest and the folders on disk.
"""

from pathlib import Path

import pytest

from ml2llm.manifest import ManifestError, load_manifest, normalize_id

CUR = load_manifest()
IDS = [p.id for p in CUR.projects]
ROOT = Path(CUR.get("01").path()).parents[2]


def test_ids_are_unique_and_normalised():
    assert len(IDS) == len(set(IDS))
    assert all(normalize_id(i) == i for i in IDS)


def test_every_project_folder_on_disk_has_one_entry_and_back():
    on_disk = {
        str(p.relative_to(ROOT)) for p in (ROOT / "projects").glob("*/project*") if p.is_dir()
    }
    listed = {p.folder for p in CUR.projects}
    assert on_disk - listed == set(), "a project folder without a curriculum.toml entry"
    ready = {p.folder for p in CUR.ready()}
    assert ready - on_disk == set(), "a ready entry whose folder does not exist"


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
        assert IDS.index(pre) < IDS.index(project.id), "prerequisites come first"


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
