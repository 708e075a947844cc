"""The CLI bad-input table (issues 22 and 25): hostile input to every ``ml2llm`` subcommand.

Each row of :data:`CASES` builds one hostile input and asserts what every CLI error must
do: exit code 2, exactly one line on stderr (``ml2llm...: error: ...`` naming the problem),
no traceback, and every file saved before the command (checkpoints, models, data, progress)
byte-for-byte unchanged. A few hostile-but-valid inputs (text without a newline, NUL bytes,
one repeated character; extra or NaN CSV columns) must instead work, and are tested below the
table. Everything runs in-process on tiny data: a 4-step run of ``configs/tiny_test.yaml``,
an untrained 1-layer char model exported to Hugging Face format, and a penguins model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ml2llm.cli import main
from tests.training.tiny import ROOT, TINY_YAML, text

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# ----------------------------------------------------------------- shared tiny artefacts
@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """A corpus slice, a finished 4-step run, a HF model folder, instruction data, a penguins
    model. Built once; each case copies what it will damage."""
    import torch

    from ml2llm.classical import penguins as pg
    from ml2llm.classical.softmax_regression import SoftmaxRegression
    from ml2llm.finetune.backends import export_with_template, pretrain_char_model
    from ml2llm.finetune.data import write_splits
    from ml2llm.finetune.lora import apply_lora, save_adapter
    from ml2llm.training.trainer import Trainer
    from tests.training.tiny import tiny_config

    root = tmp_path_factory.mktemp("bad_input")
    corpus = root / "corpus.txt"
    corpus.write_text(text(20_000), encoding="utf-8")
    run = root / "run"
    trainer = Trainer(
        tiny_config(run, data=str(corpus), max_steps=4, sample_tokens=0), log=lambda *_: None
    )
    trainer.train()
    trainer.close()

    records = [
        {"prompt": f"Uppercase: {w}", "completion": w.upper(), "task": "upper"}
        for w in ("romeo", "juliet", "tybalt", "mercutio", "benvolio", "capulet")
    ]
    chars = "".join(sorted({c for r in records for c in r["prompt"] + r["completion"]}))
    torch.manual_seed(0)
    model, tok, _ = pretrain_char_model(
        "ROMEO: But soft, what light?\n" * 8,
        extra_chars=chars + "QA:\n",
        steps=0,
        n_layer=1,
        n_embd=16,
        n_head=2,
        block_size=32,
    )
    hf = export_with_template(model, tok, root / "hf")
    apply_lora(model, ("q_proj", "v_proj"), r=2, alpha=4)
    adapter = save_adapter(model, root / "adapter", base_model_name_or_path=str(hf))
    data = write_splits({"train": records, "valid": records, "test": records}, root / "data")

    df = pg.load_penguins()
    penguin_model = root / "penguins.json"
    pg.save_model(
        pg.make_pipeline(SoftmaxRegression()).fit(df[pg.FEATURES], df[pg.TARGET]), penguin_model
    )
    rows = root / "rows.csv"
    rows.write_text(
        "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,island,sex\n"
        "39.1,18.7,181,3750,Torgersen,male\n"
    )
    return {
        "root": root,
        "corpus": corpus,
        "run": run,
        "hf": hf,
        "adapter": adapter,
        "data": data,
        "penguin_model": penguin_model,
        "rows": rows,
    }


@pytest.fixture
def progress_dir(tmp_path, monkeypatch):
    """``.ml2llm/`` of a throw-away learner (never the repo's own progress file)."""
    state = tmp_path / ".ml2llm"
    state.mkdir()
    monkeypatch.setattr("ml2llm.progress.state_dir", lambda: state)
    return state


def _readonly_dir(tmp_path: Path) -> Path:
    """A folder this process cannot write into, also as root (then ``/sys``, a read-only fs)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        target = Path("/sys/ml2llm-readonly-test")
        try:
            target.mkdir()
        except OSError:
            return target / "out"
        target.rmdir()
        pytest.skip("no read-only folder available as root")
    d = tmp_path / "readonly"
    d.mkdir()
    d.chmod(0o500)
    return d / "out"


# ----------------------------------------------------------------- the case table
@dataclass
class Ctx:
    tmp: Path
    assets: dict
    monkeypatch: pytest.MonkeyPatch
    progress: Path
    protect: list  # files that must be byte-for-byte unchanged afterwards

    def copy_run(self) -> Path:
        dst = self.tmp / "run"
        shutil.copytree(self.assets["run"], dst)
        return dst

    def copy_hf(self) -> Path:
        dst = self.tmp / "hf"
        shutil.copytree(self.assets["hf"], dst)
        return dst

    def copy_data(self) -> Path:
        dst = self.tmp / "data"
        shutil.copytree(self.assets["data"], dst)
        return dst

    def write(self, name: str, content) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def pretrain(self, *extra, out=None, data=None):
        return [
            "pretrain",
            "--config",
            str(TINY_YAML),
            "--data",
            str(data or self.assets["corpus"]),
            "--out_dir",
            str(out or self.tmp / "new_run"),
            "--progress",
            "false",
            *extra,
        ]


@dataclass
class Case:
    id: str
    build: Callable[[Ctx], list]  # returns argv; may add to ctx.protect
    fragment: str  # must appear in the error line
    why: str = ""  # the issue bullet it covers


def _edit_state(ctx: Ctx, change, keep_checksum=True) -> Path:
    run = ctx.copy_run()
    path = run / "checkpoint" / "state.json"
    state = json.loads(path.read_text())
    if not keep_checksum:
        state.pop("state_sha256", None)
    change(state)
    path.write_text(json.dumps(state))
    ctx.protect += sorted((run / "checkpoint").iterdir())
    return run


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if how == "truncate" else b"\0" * len(data))


def _resume_with_full_disk(ctx: Ctx, error) -> list:
    """Every safetensors writer fails as on a full disk, wherever ml2llm imported it from."""
    import safetensors.torch

    import ml2llm.training.trainer  # noqa: F401  (load the writers before patching them)

    run = ctx.copy_run()
    ctx.protect += sorted((run / "checkpoint").iterdir())

    def full(*args, **kwargs):
        raise error

    for name in ("save_file", "save_model"):
        original = getattr(safetensors.torch, name)
        for module in [safetensors.torch, *sys.modules.values()]:
            if getattr(module, "__name__", "").startswith(("ml2llm", "safetensors.torch")):
                if getattr(module, name, None) is original:
                    ctx.monkeypatch.setattr(module, name, full)
    return ctx.pretrain("--resume", "--max_steps", "8", out=run)


def _damaged_hf(ctx: Ctx, how: str) -> Path:
    hf = ctx.copy_hf()
    _damage(hf / "model.safetensors", how)
    return hf


def _tampered_penguins(ctx: Ctx, model) -> list:
    from ml2llm.classical import penguins as pg

    doc = {
        "format": pg.FORMAT,
        "format_version": pg.FORMAT_VERSION,
        "versions": pg._versions(),
        "metadata": {},
    }
    text_ = json.dumps(doc)[:-1] + ',"model":' + model + "}"
    path = ctx.write("tampered.json", text_)
    ctx.protect.append(path)
    return ["penguins", "predict", "--model", str(path), "--input", str(ctx.assets["rows"])]


def _popen_via_allowed_module():
    # the old prefix check let any class reachable from an allowed module through
    return json.dumps(
        {
            "__object__": "ml2llm.finetune.backends:subprocess.Popen",
            "state": {"args": ["touch", "/tmp/ml2llm-pwned"]},
        }
    )


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def _progress(ctx: Ctx, content) -> None:
    path = ctx.progress / "progress.json"
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
        ctx.protect.append(path)
    else:
        path.write_text(content)
        ctx.protect.append(path)


def _locked_run(ctx: Ctx) -> list:
    """Another process holds the run's lock (as a live ``pretrain`` would)."""
    run = ctx.copy_run()
    ctx.protect += sorted((run / "checkpoint").iterdir())
    code = (
        "import sys, time\n"
        "from ml2llm.training.checkpoint import RunLock\n"
        "RunLock(sys.argv[1]).acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    ctx.monkeypatch.setattr(ctx, "holder", proc, raising=False)
    assert proc.stdout.readline().strip() == "locked"
    return ctx.pretrain("--resume", "--max_steps", "8", out=run)


def _protect_all(ctx: Ctx, *paths):
    for p in paths:
        p = Path(p)
        ctx.protect += sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]


CASES = [
    # ---- pretrain: values (issue 25 "tracebacks" and "silent wrong results")
    Case("pretrain-lr-inf", lambda c: c.pretrain("--lr", "inf"), "lr='inf' is invalid"),
    Case(
        "pretrain-lr-1e30-diverges",
        lambda c: c.pretrain("--lr", "1e30", "--warmup_steps", "0"),
        "training diverged",
        "NaN loss: stop cleanly, never checkpoint non-finite weights",
    ),
    Case("pretrain-huge-seed", lambda c: c.pretrain("--seed", "9" * 30), "seed="),
    Case(
        "pretrain-yaml-max-steps-inf",
        lambda c: ["pretrain", "--config", str(c.write("c.yaml", "max_steps: .inf\n"))],
        "max_steps=inf is invalid",
    ),
    Case(
        "pretrain-yaml-n-layer-1.5",
        lambda c: ["pretrain", "--config", str(c.write("c.yaml", "n_layer: 1.5\n"))],
        "n_layer=1.5 is invalid",
    ),
    Case("pretrain-cli-n-layer-1.5", lambda c: c.pretrain("--n_layer", "1.5"), "n_layer='1.5'"),
    Case(
        "pretrain-yaml-syntax-error",
        lambda c: ["pretrain", "--config", str(c.write("c.yaml", "n_layer: [1,\n"))],
        "is not valid YAML",
    ),
    Case(
        "pretrain-yaml-unknown-key",
        lambda c: ["pretrain", "--config", str(c.write("c.yaml", "n_layers: 2\n"))],
        "did you mean n_layer?",
    ),
    Case(
        "pretrain-yaml-binary",
        lambda c: ["pretrain", "--config", str(c.write("c.yaml", b"\xff\xfe\x00n_layer"))],
        "is not valid YAML",
    ),
    Case("pretrain-out-dir-empty", lambda c: c.pretrain("--out_dir", ""), "out_dir=''"),
    Case(
        "pretrain-out-dir-readonly",
        lambda c: c.pretrain(out=_readonly_dir(c.tmp)),
        "is not writable",
    ),
    Case("pretrain-device-absent", lambda c: c.pretrain("--device", "tpu"), "device='tpu'"),
    Case(
        "pretrain-data-is-a-folder",
        lambda c: c.pretrain(data=c.tmp),
        "data file not found",
    ),
    Case(
        "pretrain-data-zero-bytes",
        lambda c: c.pretrain(data=c.write("z.txt", b"")),
        "is empty",
    ),
    # ---- pretrain: resume and checkpoints
    Case(
        "pretrain-resume-without-checkpoint",
        lambda c: c.pretrain("--resume"),
        "no checkpoint",
        "--resume with no checkpoint is refused (--resume_or_start starts fresh)",
    ),
    Case(
        "pretrain-resume-state-hand-edited",
        lambda c: c.pretrain(
            "--resume", "--max_steps", "8", out=_edit_state(c, lambda s: s.update(step=-1))
        ),
        "state.json does not match its checksum",
    ),
    Case(
        "pretrain-resume-state-string-step",
        lambda c: c.pretrain(
            "--resume",
            "--max_steps",
            "8",
            out=_edit_state(c, lambda s: s.update(step="7"), keep_checksum=False),
        ),
        "step='7'",
    ),
    Case(
        "pretrain-resume-state-missing-step",
        lambda c: c.pretrain(
            "--resume",
            "--max_steps",
            "8",
            out=_edit_state(c, lambda s: s.pop("step"), keep_checksum=False),
        ),
        "has no step",
    ),
    Case(
        "pretrain-resume-state-bad-rng",
        lambda c: c.pretrain(
            "--resume",
            "--max_steps",
            "8",
            out=_edit_state(c, lambda s: s["rng"].update(torch="AAAA"), keep_checksum=False),
        ),
        "RNG or loss-scaler state cannot be restored",
    ),
    Case(
        "pretrain-disk-full-safetensors",
        lambda c: _resume_with_full_disk(
            c,
            __import__("safetensors").SafetensorError(
                'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })'
            ),
        ),
        "no space left on device",
    ),
    Case(
        "pretrain-disk-full-oserror",
        lambda c: _resume_with_full_disk(c, OSError(28, "No space left on device")),
        "no space left on device",
    ),
    Case(
        "pretrain-second-run-same-out-dir",
        _locked_run,
        "is in use by another run",
        "two runs on one out_dir: lock file",
    ),
    # ---- sample / export
    Case(
        "sample-temperature-nan",
        lambda c: ["sample", str(c.assets["run"]), "--temperature", "nan"],
        "--temperature must be >= 0 and finite",
    ),
    Case(
        "sample-truncated-checkpoint",
        lambda c: [
            "sample",
            str(
                (r := c.copy_run())
                and _damage(r / "checkpoint" / "model.safetensors", "truncate")
                or r
            ),
        ],
        "does not match its checksum",
    ),
    Case(
        "export-zeroed-checkpoint",
        lambda c: [
            "export",
            str(
                (r := c.copy_run()) and _damage(r / "checkpoint" / "model.safetensors", "zero") or r
            ),
            "--out",
            str(c.tmp / "hf_out"),
        ],
        "does not match its checksum",
    ),
    Case(
        "export-into-non-empty-folder",
        lambda c: [
            "export",
            str(c.assets["run"]),
            "--out",
            str(_protected(c, c.write("existing/keep.txt", "mine").parent)),
        ],
        "pass --force",
    ),
    Case(
        "export-out-is-a-file",
        lambda c: ["export", str(c.assets["run"]), "--out", str(_protected(c, c.write("f", "x")))],
        "is a file",
    ),
    Case(
        "sample-device-absent",
        lambda c: ["sample", str(c.assets["run"]), "--device", "tpu"],
        "device='tpu' was requested but is not available",
    ),
    # ---- finetune
    Case(
        "finetune-rank-not-an-integer",
        lambda c: ["finetune", "--model", str(c.assets["hf"]), "--rank", "abc"],
        "argument --rank: invalid int value",
    ),
    Case(
        "finetune-make-data-readonly",
        lambda c: ["finetune", "--make-data", str(_readonly_dir(c.tmp))],
        "cannot use",
    ),
    Case(
        "finetune-truncated-model",
        lambda c: [
            "finetune",
            "--model",
            str(_damaged_hf(c, "truncate")),
            "--data",
            str(c.assets["data"]),
        ],  # fmt: skip
        "model.safetensors is truncated",
    ),
    Case(
        "finetune-zeroed-model",
        lambda c: [
            "finetune",
            "--model",
            str(_damaged_hf(c, "zero")),
            "--data",
            str(c.assets["data"]),
        ],  # fmt: skip
        "is not a safetensors file",
    ),
    Case(
        "finetune-alpha-inf",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(c.assets["data"]),
            "--alpha",
            "inf",
        ],  # fmt: skip
        "--alpha and --lr must be > 0",
    ),
    Case(
        "finetune-binary-jsonl",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(
                (d := c.copy_data())
                and c.write("data/train.jsonl", b'{"prompt": "a"}\n\xff\xfe\x00\x01')
                and d
            ),
        ],  # fmt: skip
        "train.jsonl:2: not UTF-8 text",
    ),
    Case(
        "finetune-empty-record",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(
                (d := c.copy_data())
                and c.write(
                    "data/valid.jsonl",
                    '{"prompt":"a","completion":"b"}\n{"prompt":"","completion":" "}\n',
                )
                and d
            ),
        ],  # fmt: skip
        "valid.jsonl:2: the prompt and the completion are both empty",
    ),
    Case(
        "finetune-invalid-json-line",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(
                (d := c.copy_data())
                and c.write("data/train.jsonl", '{"prompt": "a", "completion": "b"}\n{oops\n')
                and d
            ),
        ],  # fmt: skip
        "train.jsonl:2: not valid JSON",
    ),
    Case(
        "finetune-zero-byte-jsonl",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str((d := c.copy_data()) and c.write("data/train.jsonl", b"") and d),
        ],  # fmt: skip
        "holds no records",
    ),
    Case(
        "finetune-max-len-2-leaves-no-answer",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(c.assets["data"]),
            "--out",
            str(c.tmp / "ft"),
            "--steps",
            "2",
            "--batch-size",
            "2",
            "--max-len",
            "2",
        ],  # fmt: skip
        "2 tokens",
        "finetune --max-len 2 printed val loss nan and exit 0",
    ),
    Case(
        "finetune-alpha-1e300-nan-loss",
        lambda c: [
            "finetune",
            "--model",
            str(c.assets["hf"]),
            "--data",
            str(c.assets["data"]),
            "--out",
            str(c.tmp / "ft"),
            "--steps",
            "2",
            "--batch-size",
            "2",
            "--alpha",
            "1e300",
        ],  # fmt: skip
        "nan",
        "a non-finite fine-tuning loss is an error",
    ),
    Case(
        "finetune-missing-data-folder",
        lambda c: ["finetune", "--model", str(c.assets["hf"]), "--data", str(c.tmp / "nope")],
        "does not exist",
    ),
    # ---- evaluate / compare
    Case(
        "evaluate-truncated-model",
        lambda c: [
            "evaluate",
            str(_damaged_hf(c, "truncate")),
            "--data",
            str(c.assets["data"]),
            "--heldout",
            "none",
        ],  # fmt: skip
        "model.safetensors is truncated",
    ),
    Case(
        "evaluate-truncated-adapter",
        lambda c: [
            "evaluate",
            str(
                (a := Path(shutil.copytree(c.assets["adapter"], c.tmp / "adapter")))
                and _damage(a / "adapter_model.safetensors", "truncate")
                or a
            ),
            "--data",
            str(c.assets["data"]),
            "--heldout",
            "none",
        ],  # fmt: skip
        "adapter_model.safetensors is truncated",
    ),
    Case(
        "compare-zeroed-tuned-model",
        lambda c: [
            "compare",
            str(c.assets["hf"]),
            str(_damaged_hf(c, "zero")),
            "--data",
            str(c.assets["data"]),
            "--heldout",
            "none",
        ],  # fmt: skip
        "is not a safetensors file",
    ),
    Case(
        "evaluate-data-empty-folder",
        lambda c: [
            "evaluate",
            str(c.assets["hf"]),
            "--data",
            str((c.tmp / "empty").mkdir() or c.tmp / "empty"),
        ],  # fmt: skip
        "has no test.jsonl",
        "names the split's file, not train.jsonl",
    ),
    Case(
        "evaluate-heldout-empty-file",
        lambda c: [
            "evaluate",
            str(c.assets["hf"]),
            "--data",
            str(c.assets["data"]),
            "--heldout",
            str(c.write("empty.txt", "")),
        ],  # fmt: skip
        "empty.txt is empty",
    ),
    Case(
        "evaluate-data-binary-file",
        lambda c: [
            "evaluate",
            str(c.assets["hf"]),
            "--data",
            str(c.write("b.jsonl", bytes(range(256)))),
            "--heldout",
            "none",
        ],  # fmt: skip
        "b.jsonl:2: not UTF-8 text",
    ),
    Case(
        "evaluate-prompt-longer-than-the-context",
        lambda c: [
            "evaluate",
            str(c.assets["hf"]),
            "--data",
            str(c.write("long.jsonl", '{"prompt": "%s", "completion": "a"}\n' % ("to be " * 20))),
            "--heldout",
            "none",
        ],  # fmt: skip
        "long.jsonl: records[0]: the prompt is",
        "a prompt over the context was silently cut to its last tokens",
    ),
    Case(
        "evaluate-data-deeply-nested-json",
        lambda c: [
            "evaluate",
            str(c.assets["hf"]),
            "--data",
            str(c.write("deep.jsonl", _deep(100_000))),
            "--heldout",
            "none",
        ],  # fmt: skip
        "deep.jsonl:1: JSON nested too deeply",
    ),
    # ---- penguins
    Case(
        "penguins-popen-via-allowed-module",
        lambda c: _tampered_penguins(c, _popen_via_allowed_module()),
        "refusing to load class ml2llm.finetune.backends:subprocess.Popen",
        "allow-list bypass",
    ),
    Case(
        "penguins-unknown-class",
        lambda c: _tampered_penguins(c, json.dumps({"__object__": "os:system", "state": {}})),
        "refusing to load class os:system",
    ),
    Case(
        "penguins-empty-steps",
        lambda c: _tampered_penguins(
            c,
            json.dumps(
                {
                    "__object__": "sklearn.pipeline:Pipeline",
                    "state": {"steps": [], "memory": None, "verbose": False},
                }
            ),
        ),
        "pipeline has no steps",
    ),
    Case(
        "penguins-100k-deep-nesting",
        lambda c: _tampered_penguins(c, _deep(100_000)),
        "nested too deeply",
    ),
    Case(
        "penguins-method-overwritten",
        lambda c: _tampered_penguins(
            c,
            json.dumps(
                {"__object__": "sklearn.pipeline:Pipeline", "state": {"predict": "x", "steps": []}}
            ),
        ),
        "refusing attribute 'predict'",
    ),
    Case(
        "penguins-model-binary",
        lambda c: [
            "penguins",
            "predict",
            "--model",
            str(c.write("m.json", b"\x89PNG\xff\x00")),
            "--input",
            str(c.assets["rows"]),
        ],  # fmt: skip
        "not UTF-8",
    ),
    Case(
        "penguins-csv-binary",
        lambda c: [
            "penguins",
            "predict",
            "--model",
            str(c.assets["penguin_model"]),
            "--input",
            str(c.write("r.csv", b"\xff\xfe\x00\x81" * 50)),
        ],  # fmt: skip
        "r.csv",
    ),
    Case(
        "penguins-csv-zero-bytes",
        lambda c: [
            "penguins",
            "predict",
            "--model",
            str(c.assets["penguin_model"]),
            "--input",
            str(c.write("r.csv", b"")),
        ],  # fmt: skip
        "cannot read",
    ),
    Case(
        "penguins-csv-is-a-folder",
        lambda c: [
            "penguins",
            "predict",
            "--model",
            str(c.assets["penguin_model"]),
            "--input",
            str(c.tmp),
        ],  # fmt: skip
        "is a directory",
    ),
    Case(
        "penguins-output-readonly",
        lambda c: [
            "penguins",
            "predict",
            "--model",
            str(c.assets["penguin_model"]),
            "--input",
            str(c.assets["rows"]),
            "--output",
            str(_readonly_dir(c.tmp)),
        ],  # fmt: skip
        "cannot write",
    ),
    Case(
        "penguins-train-out-readonly",
        lambda c: ["penguins", "train", "--out", str(_readonly_dir(c.tmp))],
        "cannot write",
    ),
    # ---- learner state: progress file, notebooks, solution
    Case(
        "status-progress-invalid-json",
        lambda c: _progress(c, "{not json") or ["status"],
        "is not valid JSON",
    ),
    Case(
        "status-progress-binary",
        lambda c: _progress(c, b"\x00\xff\xfe binary") or ["status"],
        "is not UTF-8 text",
    ),
    Case(
        "status-progress-is-a-folder",
        lambda c: _progress(c, "DIR") or ["status"],
        "cannot read progress file",
    ),
    Case(
        "status-progress-wrong-shape",
        lambda c: _progress(c, '{"projects": {"01": 5}}') or ["status"],
        "damaged 'projects' entry",
    ),
    Case(
        "progress-note-with-corrupt-progress",
        lambda c: _progress(c, "[1, 2") or ["progress", "01", "--note", "did it"],
        "is not valid JSON",
    ),
    Case(
        "check-notebook-invalid-json",
        lambda c: ["check", "01", "--notebook", str(_protected(c, c.write("nb.ipynb", "{oops")))],
        "cannot read notebook",
    ),
    Case(
        "check-notebook-deleted",
        lambda c: ["check", "01", "--notebook", str(c.tmp / "deleted.ipynb")],
        "notebook not found",
    ),
    Case(
        "solution-out-readonly",
        lambda c: ["solution", "01", "--out", str(_readonly_dir(c.tmp) / "s.ipynb")],
        "cannot use",
    ),
]


def _protected(ctx: Ctx, path: Path) -> Path:
    _protect_all(ctx, path)
    return path


def _snapshot(paths):
    return {str(p): Path(p).read_bytes() for p in paths if Path(p).is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_keeps_saved_files(
    case, assets, tmp_path, monkeypatch, progress_dir, capsys
):
    ctx = Ctx(tmp_path, assets, monkeypatch, progress_dir, [])
    monkeypatch.chdir(tmp_path)  # nothing may land in the repo, whatever the case does
    # inputs shared by all cases must survive every case, too
    shared = [
        p
        for key in ("run", "hf", "adapter", "data")
        for p in sorted(assets[key].rglob("*"))
        if p.is_file()
    ] + [assets["corpus"], assets["penguin_model"], assets["rows"]]
    argv = case.build(ctx)
    before = _snapshot(ctx.protect + shared)
    assert before, "the case protects nothing"
    capsys.readouterr()
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors exit directly
            code = exc.code
    finally:
        holder = getattr(ctx, "holder", None)
        if holder is not None:
            holder.kill()
            holder.wait()
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert code == 2, f"exit {code}; stderr: {err!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("ml2llm") and "error:" in lines[0], lines[0]
    assert case.fragment in lines[0], lines[0]
    assert _snapshot(before) == before, "a file saved before the command changed"


def test_table_has_one_row_per_case():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 50


# ----------------------------------------------------------------- what must keep working
def test_diverged_run_keeps_no_non_finite_checkpoint(assets, tmp_path, capsys):
    import torch
    from safetensors.torch import load_file

    run = tmp_path / "run"
    shutil.copytree(assets["run"], run)
    cmd = [
        "pretrain", "--config", str(TINY_YAML), "--data", str(assets["corpus"]),
        "--out_dir", str(run), "--resume", "--max_steps", "12", "--lr", "1e30",
        "--warmup_steps", "0", "--progress", "false",
    ]  # fmt: skip
    assert main(cmd) == 2
    assert "training diverged" in capsys.readouterr().err
    weights = load_file(str(run / "checkpoint" / "model.safetensors"))
    assert all(torch.isfinite(t).all() for t in weights.values())
    assert json.loads((run / "checkpoint" / "state.json").read_text())["step"] == 4


@pytest.mark.parametrize(
    "name,content",
    [
        ("no-newline", "to be or not to be that is the question " * 60),
        ("one-repeated-character", "a" * 3000),
        ("nul-bytes", "hello\x00world " * 300),
    ],
)
def test_text_without_newlines_trains_and_samples(name, content, tmp_path, capsys):
    data = tmp_path / f"{name}.txt"
    data.write_text(content, encoding="utf-8")
    run = tmp_path / "run"
    cmd = [
        "pretrain", "--config", str(TINY_YAML), "--data", str(data), "--out_dir", str(run),
        "--max_steps", "4", "--progress", "false",
    ]  # fmt: skip
    assert main(cmd) == 0, capsys.readouterr().err
    assert main(["sample", str(run), "--max-new-tokens", "5"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_resume_or_start_starts_a_new_run(assets, tmp_path, capsys):
    cmd = [
        "pretrain", "--config", str(TINY_YAML), "--data", str(assets["corpus"]),
        "--out_dir", str(tmp_path / "run"), "--max_steps", "2", "--resume_or_start",
        "--progress", "false",
    ]  # fmt: skip
    assert main(cmd) == 0
    assert "starting a new run" in capsys.readouterr().out


def test_orphan_temporary_checkpoint_is_removed_on_the_next_start(assets, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(assets["run"], run)
    orphan = run / ".checkpoint.abc123.tmp"  # what a SIGKILL during a save leaves
    orphan.mkdir()
    (orphan / "model.safetensors").write_bytes(b"half")
    cmd = [
        "pretrain", "--config", str(TINY_YAML), "--data", str(assets["corpus"]),
        "--out_dir", str(run), "--resume", "--max_steps", "5", "--progress", "false",
    ]  # fmt: skip
    assert main(cmd) == 0
    assert not orphan.exists()


def test_lock_is_free_after_a_run_and_refused_while_held(tmp_path):
    from ml2llm.training.checkpoint import CheckpointError, RunLock

    code = (
        "import sys\nfrom ml2llm.training.checkpoint import RunLock\n"
        "RunLock(sys.argv[1]).acquire()\nprint('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert out.stdout.strip() == "ok", out.stderr  # the first process's lock died with it
    proc = subprocess.Popen(
        [sys.executable, "-c", code + "import time; time.sleep(60)\n", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "ok"
        with pytest.raises(CheckpointError, match="in use by another run"):
            RunLock(tmp_path).acquire()
    finally:
        proc.kill()
        proc.wait()
    deadline = time.time() + 30
    while True:  # the holder is gone: the lock is free again
        try:
            RunLock(tmp_path).acquire().release()
            break
        except CheckpointError:
            assert time.time() < deadline
            time.sleep(0.1)


def test_atomic_writes_respect_the_umask(tmp_path):
    from ml2llm.io import atomic_write_text

    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "a.txt", "x")
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)  # an existing file keeps its mode
        atomic_write_text(path, "y")
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    "row,expected_code,message",
    [
        ("39.1,18.7,181,3750,Torgersen,male,extra-value", 0, ""),  # extra column: ignored
        ("39.1,,181,3750,Torgersen,", 0, ""),  # NaN / empty: imputed
        ("39.1,deep,181,3750,Torgersen,male", 1, "bill_depth_mm='deep' is not a number"),
        ("39.1,18.7,181,1e308,Torgersen,male", 1, "outside the plausible range"),
        ("39.1,18.7,181,3750,Atlantis,male", 1, "island='Atlantis' is not one of"),
    ],
    ids=["extra-column", "nan-values", "wrong-type", "implausible-1e308", "unknown-island"],
)
def test_penguins_rows_extra_nan_wrong_type_out_of_range(
    assets, tmp_path, capsys, row, expected_code, message
):
    header = "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,island,sex"
    if row.count(",") == 6:
        header += ",note"
    path = tmp_path / "rows.csv"
    path.write_text(f"{header}\n{row}\n")
    code = main(
        ["penguins", "predict", "--model", str(assets["penguin_model"]), "--input", str(path)]
    )
    err = capsys.readouterr().err
    assert code == expected_code, err
    assert message in err and "Traceback" not in err


def test_unknown_characters_are_counted_on_one_warning_line(assets, tmp_path, capsys):
    import argparse

    from ml2llm.commands.finetune import _warn_unknown_characters

    data = tmp_path / "data"
    shutil.copytree(assets["data"], data)
    with open(data / "train.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"prompt": "Uppercase: romeo é", "completion": "ROMEO é ½"}) + "\n")
    _warn_unknown_characters(argparse.Namespace(model=str(assets["hf"]), data=str(data)))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: ")
    # é and ½ are not in the tiny model's vocabulary; the other characters are
    assert "3 characters" in err[0] and "2 distinct" in err[0]
    assert "'é' x2" in err[0] and "'½' x1" in err[0]
    _warn_unknown_characters(argparse.Namespace(model=str(assets["hf"]), data=str(assets["data"])))
    assert capsys.readouterr().err == ""  # clean data: no warning


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")
def test_ctrl_c_during_check_of_an_endless_notebook_is_one_line_exit_130(tmp_path):
    import signal

    import nbformat

    marker = tmp_path / "looping"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').close()\nwhile True:\n    pass")
    ]
    path = tmp_path / "endless.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ml2llm.cli", "check", "01", "--notebook", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # a terminal's Ctrl-C signals the whole foreground group
    )
    try:
        deadline = time.time() + 180
        while not marker.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the endless cell never started"
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err == "ml2llm: interrupted\n"


def test_a_full_disk_during_an_atomic_write_names_the_file(tmp_path, monkeypatch):
    import ml2llm.io as io_mod
    from ml2llm.errors import one_line

    def full(fd):
        raise OSError(28, "No space left on device")

    target = tmp_path / "history.json"
    target.write_text("old")
    monkeypatch.setattr(io_mod.os, "fsync", full)
    with pytest.raises(OSError) as info:
        io_mod.atomic_write_text(target, "new")
    assert one_line(info.value) == f"cannot use {target}: no space left on device"
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]


def test_checkpoint_folder_gets_the_usual_mode(tmp_path):
    from ml2llm.training.checkpoint import save_run
    from ml2llm.training.config import TrainConfig
    from ml2llm.training.models import build_model

    old = os.umask(0o022)
    try:
        model = build_model(TrainConfig(n_layer=1, n_head=2, n_embd=8, block_size=4), 10)
        path = save_run(tmp_path, model, None, {"step": 0})
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o755
    assert (path / "state.json").stat().st_mode & 0o777 == 0o644


def _class_specs(module):
    """Every way a file could name a class reachable from ``module``."""
    import inspect as insp

    specs = set()
    for name, obj in vars(module).items():
        if insp.isclass(obj):
            specs.add(f"{module.__name__}:{name}")
            specs.add(f"{obj.__module__}:{obj.__qualname__}")
        elif insp.ismodule(obj):
            for sub, cls in vars(obj).items():
                if insp.isclass(cls):
                    specs.add(f"{module.__name__}:{name}.{sub}")  # attribute walking
    return specs


def test_penguins_decoder_refuses_every_class_outside_the_allow_list():
    import builtins
    import importlib

    import sklearn.base
    import sklearn.pipeline

    from ml2llm.classical import penguins as pg

    allowed = pg._allowed_classes()
    modules = [builtins, os, subprocess, sklearn.base, sklearn.pipeline, pg]
    modules += [importlib.import_module(m) for m in ("ml2llm.finetune.backends", "ml2llm.cli")]
    specs = set().union(*(_class_specs(m) for m in modules)) - set(allowed)
    # the exploit, and walks to functions and through allowed classes
    specs |= {
        "ml2llm.finetune.backends:subprocess.Popen",
        "ml2llm.finetune.backends:os.system",
        "sklearn.pipeline:Pipeline.__init__.__globals__",
        "ml2llm.classical.svm:KernelSVM.fit",
    }
    assert len(specs) > 200
    for spec in sorted(specs):
        with pytest.raises(ValueError, match="refusing to load class"):
            pg._decode({"__object__": spec, "state": {}})
    for spec, cls in allowed.items():  # and every allowed class is rebuilt
        assert type(pg._decode({"__object__": spec, "state": {}})) is cls
    with pytest.raises(ValueError, match="refusing attribute '__class__'"):
        pg._decode({"__object__": "sklearn.pipeline:Pipeline", "state": {"__class__": 1}})
