"""Every check of every ready project is registered and tested against >= 2 wrong versions."""

import importlib
import pkgutil

import pytest

import tests.checks as pkg
from ml2llm.checks import all_check_ids
from ml2llm.manifest import load_manifest

READY = load_manifest().ready()


def _catalogues():
    refs, mistakes = {}, {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("test_p") and info.name.endswith("_checks"):
            mod = importlib.import_module(f"tests.checks.{info.name}")
            refs.update(getattr(mod, "REFERENCES", {}))
            mistakes.update(getattr(mod, "MISTAKES", {}))
    return refs, mistakes


REFS, MISTAKES = _catalogues()


@pytest.mark.parametrize("project", READY, ids=[p.id for p in READY])
def test_ready_project_checks_are_registered_and_tested(project):
    registered = set(all_check_ids())
    assert project.checks, f"project {project.id} is ready but lists no checks"
    for cid in project.checks:
        assert cid in registered, f"{cid} is in curriculum.toml but not registered"
        assert cid in REFS, f"{cid} has no correct implementation in tests/checks"
        assert len(MISTAKES.get(cid, [])) >= 2, f"{cid} is tested against < 2 wrong versions"


def test_every_registered_check_belongs_to_a_project():
    listed = {cid for p in load_manifest().projects for cid in p.checks}
    orphans = sorted(set(all_check_ids()) - listed)
    assert not orphans, f"registered checks missing from curriculum.toml: {orphans}"
