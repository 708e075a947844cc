"""Site staging: folder links become README links, notebooks and guides are staged, and the
generated MkDocs config lists every ready project. (CI builds the site itself with --strict.)"""

import yaml

from ml2llm.manifest import load_manifest
from ml2llm.site import _config, _fix_folder_links, stage


def test_folder_links_point_at_readmes():
    text = "[P1](projects/x/) [ext](https://a.b/) [doc](docs/GLOSSARY.md#lora)"
    assert (
        _fix_folder_links(text)
        == "[P1](projects/x/README.md) [ext](https://a.b/) [doc](docs/GLOSSARY.md#lora)"
    )


def test_stage_and_config(tmp_path):
    info = stage(tmp_path / "content", executed_dir=None)
    cur = load_manifest()
    assert set(info["learner"]) == {p.id for p in cur.ready()}
    assert (tmp_path / "content" / "index.md").exists()
    assert (tmp_path / "content" / "docs" / "GLOSSARY.md").exists()
    for p in cur.ready():
        assert (tmp_path / "content" / p.folder / p.notebook).exists()
    config = yaml.safe_load(_config(cur))
    flat = str(config["nav"])
    for p in cur.ready():
        assert f"{p.folder}/{p.notebook}" in flat
    assert config["theme"]["font"] is False  # offline
