"""TrainConfig: defaults < YAML < overrides, validation with one-line errors, no code execution."""

import pytest

from ml2llm.training.config import ConfigError, TrainConfig, load_config, parse_overrides
from tests.training.tiny import ROOT, TINY_YAML


def test_layering_defaults_yaml_overrides():
    cfg = load_config(TINY_YAML, overrides=["--n_embd", "32", "--lr=1e-3", "--compile"])
    assert cfg.n_layer == 1  # from the YAML
    assert cfg.n_embd == 32 and cfg.lr == 1e-3 and cfg.compile is True  # overrides win
    assert cfg.beta1 == TrainConfig().beta1  # untouched default


def test_overrides_types_dashes_and_none():
    got = parse_overrides(["--max-steps", "1e3", "--min_lr", "none", "--progress", "false"])
    assert got == {"max_steps": 1000, "min_lr": None, "progress": False}


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (["--n_layer", "0"], "n_layer=0 is invalid: expected a positive integer"),
        (
            ["--n_embd", "30", "--n_head", "4"],
            "n_embd=30 is invalid: expected a multiple of n_head=4",
        ),
        (["--model", "rnn"], "model='rnn' is invalid: expected one of gpt, mistral"),
        (["--lr", "fast"], "lr='fast' is invalid: expected float"),
        (["--n_layers", "2"], "unknown config key 'n_layers' (did you mean n_layer?)"),
        (["--compile", "maybe"], "compile='maybe' is invalid: expected bool"),
        (["--min_lr", "1.0"], "min_lr=1.0 is invalid"),
        (["lr", "1"], "expected --key value"),
    ],
)
def test_bad_values_name_the_field(overrides, fragment):
    with pytest.raises(ConfigError) as exc:
        load_config(overrides=overrides)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_yaml_is_data_not_code(tmp_path):
    bad = tmp_path / "evil.yaml"
    bad.write_text("lr: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(lst)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "name",
    [
        "shakespeare_char_baby",
        "shakespeare_char",
        "shakespeare_bpe",
        "shakespeare_mistral_small",
        "tiny_test",
    ],
)
def test_shipped_configs_are_valid(name):
    cfg = load_config(ROOT / "configs" / f"{name}.yaml")
    assert cfg.max_steps >= 1


def test_baby_config_is_nanogpts():
    cfg = load_config(ROOT / "configs" / "shakespeare_char_baby.yaml")
    # nanoGPT README's CPU run: 4 layers, 4 heads, 128 wide, block 64, batch 12, 2000 iters,
    # lr 1e-3 decaying to 1e-4 over 2000 iters, no dropout
    assert (cfg.n_layer, cfg.n_head, cfg.n_embd, cfg.block_size, cfg.batch_size) == (
        4,
        4,
        128,
        64,
        12,
    )
    assert (cfg.max_steps, cfg.lr, cfg.final_lr, cfg.dropout) == (2000, 1e-3, 1e-4, 0.0)
