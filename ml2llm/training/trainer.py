"""The pretraining loop: evaluation, accumulation, clipping, AMP, compile, DDP, checkpoints.

:class:`Trainer` turns a :class:`~ml2llm.training.config.TrainConfig` into a run folder:

- data tokenised once into ``<out_dir>/data`` (memory-mapped ``.bin`` files);
- AdamW with decay on matrices only and the configured LR schedule (set each step);
- ``grad_accum`` micro-batches per step (DDP gradient sync only on the last one), global
  norm clipping, AMP (bf16 autocast on CUDA; fp16 autocast with a ``GradScaler`` where bf16
  is missing), optional ``torch.compile``; attention runs through SDPA (flash kernels on GPU);
- train/val loss every ``eval_interval`` steps on fixed validation batches, a short sample,
  ``loss_curve.png`` and ``history.json`` in the run folder, a tqdm bar with loss, tokens/s
  and an MFU estimate (known GPUs; ``peak_flops`` for others);
- a checkpoint (see :mod:`ml2llm.training.checkpoint`) every ``checkpoint_interval`` steps,
  at the end and on Ctrl-C; ``resume=True`` continues bit-for-bit on CPU (same RNG, same
  data position, same optimizer state);
- multi-process data parallelism under ``torchrun`` (NCCL on CUDA, gloo on CPU): every
  process draws the same global batch and trains on its own slice, so N processes equal one
  process with an N-times larger batch;
- optional MLflow tracking (``mlflow=True``) to a local SQLite store ``<out_dir>/mlflow.db``.

What it does not do: tensor/pipeline parallelism, FSDP, or early stopping.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from ml2llm.io import atomic_write_text
from ml2llm.training.checkpoint import (
    CheckpointError,
    RunLock,
    find_checkpoint,
    read_state,
    remove_orphans,
    restore_run,
    save_run,
    unwrap,
)
from ml2llm.training.config import TrainConfig
from ml2llm.training.data import TokenBatches, load_tokenizer, prepare_data, read_text
from ml2llm.training.models import (
    build_model,
    count_params,
    estimate_mfu,
    flops_per_token,
    peak_flops_for,
)
from ml2llm.training.optim import apply_gradients, build_optimizer, lr_at, seq_len_at, set_lr


class TrainingError(ValueError):
    """The run cannot start or continue: bad device, unwritable output folder, unusable
    data, another run holding the folder, a loss that became NaN ..."""


class _Diverged(Exception):
    """Internal: the loss became non-finite (turned into :class:`TrainingError`)."""


def checkpoint_step(run_dir) -> int:
    """The step of the checkpoint in ``run_dir`` (raises :class:`CheckpointError` if none)."""
    return read_state(run_dir)["step"]


def default_prompt(tokenizer) -> str:
    """A newline when the tokenizer knows it, else its first token (data without newlines)."""
    try:
        if tokenizer.encode("\n"):
            return "\n"
    except (ValueError, KeyError):
        pass
    return tokenizer.decode([0])


# ---------------------------------------------------------------------- environment
def resolve_device(requested: str = "auto", local_rank: int = 0):
    """``auto`` follows :mod:`ml2llm.device` (CUDA, then MPS, then CPU); an explicit device
    that this machine lacks raises :class:`TrainingError`."""
    import torch

    from ml2llm.device import BackendError, available_backends, backend_name

    torch_backends = [b for b in available_backends() if b != "mlx"]
    if requested == "auto":
        try:
            name = backend_name()
        except BackendError as exc:
            raise TrainingError(str(exc)) from None
        name = name if name in torch_backends else torch_backends[0]
    else:
        name = requested
        if name not in torch_backends:
            raise TrainingError(
                f"device={name!r} was requested but is not available; available: {', '.join(torch_backends)}"
            )
    if name == "cuda":
        return torch.device("cuda", local_rank)
    return torch.device(name)


def resolve_dtype(requested: str, device) -> str:
    """``auto``: bfloat16 on CUDA (float16 if the GPU lacks bf16), float32 elsewhere."""
    import torch

    if requested != "auto":
        return requested
    if device.type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"


@dataclass
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_hint: str = "auto") -> DistInfo:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE`` > 1)."""
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0)), world)
    if not dist.is_initialized():
        use_nccl = torch.cuda.is_available() and device_hint in ("auto", "cuda")
        if use_nccl:
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend="nccl" if use_nccl else "gloo")
    return info


def check_writable(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise TrainingError(
            f"output directory {out_dir} is not writable ({exc.strerror or exc})"
        ) from None


# ---------------------------------------------------------------------- results
@dataclass
class TrainResult:
    """What a call to :meth:`Trainer.train` did."""

    step: int
    losses: list = field(default_factory=list)  # [(step, train loss of that step)]
    evals: list = field(default_factory=list)  # [{"step", "train", "val"}]
    samples: list = field(default_factory=list)  # [(step, text)]
    interrupted: bool = False
    ms_per_step: float = float("nan")
    tokens_per_s: float = float("nan")
    mfu: float | None = None
    out_dir: str = ""

    @property
    def best_val(self) -> float:
        vals = [e["val"] for e in self.evals]
        return min(vals) if vals else float("nan")

    @property
    def final_val(self) -> float:
        return self.evals[-1]["val"] if self.evals else float("nan")


def save_loss_curve(losses, evals, path: str | Path, title: str = "") -> Path:
    """Plot train (per step, smoothed) and eval losses to a PNG (no pyplot state touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    if losses:
        steps, values = zip(*losses)
        ax.plot(steps, values, color="tab:blue", alpha=0.3, lw=0.8, label="train (step)")
    if evals:
        ax.plot(
            [e["step"] for e in evals],
            [e["train"] for e in evals],
            "o-",
            color="tab:blue",
            label="train (eval)",
        )
        ax.plot(
            [e["step"] for e in evals],
            [e["val"] for e in evals],
            "o-",
            color="tab:orange",
            label="val (eval)",
        )
    ax.set(xlabel="step", ylabel="cross-entropy loss (nats/token)", title=title or "loss")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)
    return path


class _Tracker:
    """MLflow logging to a local store, or nothing."""

    def __init__(self, cfg: TrainConfig, out_dir: Path, enabled: bool):
        self.mlflow = None
        if not (enabled and cfg.mlflow):
            return
        import mlflow

        # a local SQLite store (MLflow 3 retired the plain file store)
        mlflow.set_tracking_uri(cfg.mlflow_uri or f"sqlite:///{(out_dir / 'mlflow.db').resolve()}")
        mlflow.set_experiment("ml2llm-pretrain")
        mlflow.start_run(run_name=out_dir.name)
        mlflow.log_params({k: v for k, v in cfg.to_dict().items() if v is not None})
        self.mlflow = mlflow

    def metrics(self, values: dict, step: int) -> None:
        if self.mlflow is not None:
            self.mlflow.log_metrics(
                {k: float(v) for k, v in values.items() if v is not None}, step=step
            )

    def artifact(self, path: Path) -> None:
        if self.mlflow is not None and path.exists():
            self.mlflow.log_artifact(str(path))

    def close(self) -> None:
        if self.mlflow is not None:
            self.mlflow.end_run()
            self.mlflow = None


# ---------------------------------------------------------------------- the trainer
class Trainer:
    """Build data, model and optimizer from ``cfg``; :meth:`train` runs (or resumes) the loop.

    Parameters
    ----------
    cfg : TrainConfig
    text : str, optional
        Training text given directly (else ``cfg.data`` or the Shakespeare corpus).
    log : callable
        Where progress lines go (``print`` by default; the tqdm bar is separate).
    """

    def __init__(self, cfg: TrainConfig, text: str | None = None, log=print):
        self.cfg = cfg = cfg.validate()
        self.log = log
        self.dist = setup_distributed(cfg.device)
        self.device = resolve_device(cfg.device, self.dist.local_rank)
        self.dtype = resolve_dtype(cfg.dtype, self.device)
        self.out_dir = Path(cfg.out_dir)
        self._lock = RunLock(self.out_dir)
        if self.dist.is_main:
            check_writable(self.out_dir)
            # one writer per run folder: a second `pretrain` on it is refused, not corrupted
            self._lock.acquire()
            try:
                self._init_rest(text)
            except BaseException:
                self._lock.release()
                raise
        else:
            self._init_rest(text)

    def _init_rest(self, text) -> None:
        import torch

        cfg = self.cfg
        if self.dist.is_main:
            remove_orphans(self.out_dir)  # what a SIGKILL during a save left behind
            # imported now so that a Ctrl-C can never land in the middle of this import later
            import matplotlib.backends.backend_agg  # noqa: F401
        # data: tokenised once, by the main process
        data_dir = self.out_dir / "data"
        if self.dist.is_main:
            if text is None:
                text = read_text(cfg.data)
            self.meta = prepare_data(
                data_dir,
                text=text,
                data_path=cfg.data,
                tokenizer=cfg.tokenizer,
                bpe_vocab_size=cfg.bpe_vocab_size,
                val_fraction=cfg.val_fraction,
                block_size=cfg.block_size,
            )
        self._barrier()
        self.batches = TokenBatches(
            data_dir,
            cfg.batch_size,
            cfg.block_size,
            cfg.grad_accum,
            seed=cfg.seed,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )
        self.meta = self.batches.meta
        self.tokenizer = load_tokenizer(data_dir / "tokenizer.json", cfg.tokenizer)
        self.vocab_size = int(self.meta["vocab_size"])
        # model and optimizer
        torch.manual_seed(cfg.seed)
        self.raw_model = build_model(cfg, self.vocab_size).to(self.device)
        self.optimizer = build_optimizer(
            self.raw_model,
            cfg.lr,
            cfg.weight_decay,
            (cfg.beta1, cfg.beta2),
            self.device.type,
            optimizer=cfg.optimizer,
            muon_lr=cfg.muon_lr,
            muon_momentum=cfg.muon_momentum,
        )
        ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
            self.dtype
        ]
        self.autocast = (
            contextlib.nullcontext()
            if self.dtype == "float32"
            else torch.autocast(device_type=self.device.type, dtype=ptdtype)
        )
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == "float16")
        self.step = 0
        self.losses, self.evals, self.samples = [], [], []
        if cfg.resume or cfg.resume_or_start:
            self._resume()
        self.model = self.raw_model
        if cfg.compile:
            self.model = torch.compile(self.model)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.dist.local_rank] if self.device.type == "cuda" else None
            self.model = DDP(self.model, device_ids=ids)
        self.n_params = count_params(self.raw_model, non_embedding=True)
        self.flops_token = flops_per_token(self.n_params, cfg.n_layer, cfg.n_embd, cfg.block_size)
        self.peak_flops = cfg.peak_flops or peak_flops_for(self.device)

    # -- helpers ------------------------------------------------------------------------
    def _barrier(self) -> None:
        if self.dist.enabled:
            import torch.distributed as dist

            dist.barrier()

    def _expected_model(self) -> dict:
        return dict(self.cfg.model_dict(), vocab_size=self.vocab_size)

    def _resume(self) -> None:
        try:
            find_checkpoint(self.out_dir)
        except CheckpointError:
            if not self.cfg.resume_or_start:
                raise TrainingError(
                    f"resume: there is no checkpoint in {self.out_dir} to continue; drop "
                    "--resume to start a new run (or pass --resume_or_start)"
                ) from None
            if self.dist.is_main:
                self.log(f"no checkpoint in {self.out_dir}: starting a new run")
            return
        meta = restore_run(
            self.out_dir,
            self.raw_model,
            self.optimizer,
            self.scaler,
            self.batches.generator,
            expected_model=self._expected_model(),
        )
        if "step" not in meta:
            raise CheckpointError(f"checkpoint {meta['path']} is corrupt: state.json has no step")
        self.step = int(meta["step"])
        hist = meta.get("history", {})
        try:
            self.losses = [tuple(x) for x in hist.get("losses", [])]
            self.evals = [dict(e, step=int(e["step"])) for e in hist.get("evals", [])]
            self.samples = [tuple(x) for x in hist.get("samples", [])]
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint {meta['path']} is corrupt: bad loss history in state.json ({exc})"
            ) from None
        if self.dist.is_main:
            self.log(f"resumed from {meta['path']} at step {self.step}")

    def _to_device(self, t):
        if self.device.type == "cuda":
            return t.pin_memory().to(self.device, non_blocking=True)
        return t.to(self.device)

    def save(self) -> Path | None:
        """Write the checkpoint (main process only) and the history files."""
        if not self.dist.is_main:
            return None
        state = {
            "step": self.step,
            "config": self.cfg.to_dict(),
            "model_config": self._expected_model(),
            "model_type": self.cfg.model,
            "tokenizer": self.cfg.tokenizer,
            "history": {"losses": self.losses, "evals": self.evals, "samples": self.samples},
        }
        path = save_run(
            self.out_dir, self.raw_model, self.optimizer, state, self.scaler, self.batches.generator
        )
        # the tokenizer travels with the run so `ml2llm sample/export` need nothing else
        tok_src = self.out_dir / "data" / "tokenizer.json"
        atomic_write_text(self.out_dir / "tokenizer.json", tok_src.read_text(encoding="utf-8"))
        try:
            self.write_history()
        except Exception as exc:  # the checkpoint is safe; a plot must not crash the run
            self._emit(f"warning: could not write history.json/loss_curve.png ({exc!r})")
        return path

    def write_history(self) -> None:
        if not self.dist.is_main:
            return
        atomic_write_text(
            self.out_dir / "history.json",
            json.dumps({"losses": self.losses, "evals": self.evals, "samples": self.samples}),
        )
        save_loss_curve(
            self.losses,
            self.evals,
            self.out_dir / "loss_curve.png",
            title=f"{self.cfg.model} {self.cfg.n_layer}x{self.cfg.n_embd} on {self.meta['source']}",
        )

    # -- evaluation -----------------------------------------------------------------------
    def estimate_loss(self) -> dict:
        """Mean loss over ``eval_iters`` fixed batches of each split (same batches every call)."""
        import torch

        model = self.raw_model
        was_training = model.training
        model.eval()
        out = {}
        with torch.no_grad():
            for split in ("train", "val"):
                gen = torch.Generator().manual_seed(self.cfg.seed + (1 if split == "train" else 2))
                total = 0.0
                for _ in range(self.cfg.eval_iters):
                    ix = self.batches.offsets(split, self.cfg.batch_size, gen)
                    x, y = self.batches.windows(split, ix)
                    with self.autocast:
                        _, loss = model(self._to_device(x), self._to_device(y))
                    total += float(loss)
                out[split] = total / self.cfg.eval_iters
        model.train(was_training)
        return out

    def sample(
        self, max_new_tokens: int | None = None, prompt: str | None = None, seed: int = 0, **kwargs
    ) -> str:
        """A text sample from the current weights (temperature 0.8, top-k 200 by default).

        ``prompt=None`` starts from a newline, or from the first character of the training
        text when the data has no newline (a char vocabulary then lacks ``"\\n"``).
        """
        from ml2llm.training.sampling import sample_text

        if prompt is None:
            prompt = default_prompt(self.tokenizer)
        n = self.cfg.sample_tokens if max_new_tokens is None else max_new_tokens
        kwargs.setdefault("temperature", 0.8)
        kwargs.setdefault("top_k", 200)
        return sample_text(
            self.raw_model, self.tokenizer, prompt, n, seed=seed, device=self.device, **kwargs
        )

    # -- one optimisation step ------------------------------------------------------------
    def forward_backward(self):
        """Accumulate this process's gradients for one step; returns the mean loss (tensor)."""
        micro = self.batches.get("train")
        T = seq_len_at(
            self.step, self.cfg.block_size, self.cfg.seq_len_start, self.cfg.seq_len_warmup
        )
        if T < self.cfg.block_size:  # sequence-length schedule: the first T tokens of each row
            micro = [(x[:, :T], y[:, :T]) for x, y in micro]
        total = 0.0
        n = len(micro)
        for m, (x, y) in enumerate(micro):
            x, y = self._to_device(x), self._to_device(y)
            last = m == n - 1
            sync = (
                contextlib.nullcontext()
                if (last or not self.dist.enabled)
                else self.model.no_sync()
            )
            with sync:
                with self.autocast:
                    _, loss = self.model(x, y)
                    loss = loss / n
                self.scaler.scale(loss).backward()
            total = total + loss.detach()
        return total

    def train_step(self):
        """LR for this step, forward/backward, clip, optimizer step. Returns (loss, grad_norm)."""
        set_lr(self.optimizer, lr_at(self.step, self.cfg))
        loss = self.forward_backward()
        norm = apply_gradients(
            self.optimizer, self.raw_model.parameters(), self.cfg.grad_clip, self.scaler
        )
        self.step += 1
        return loss, norm

    # -- the loop ---------------------------------------------------------------------------
    def _evaluate(self, tracker) -> None:
        losses = self.estimate_loss()
        if not all(math.isfinite(v) for v in losses.values()):
            self._diverged(f"the evaluation loss is {losses['val']}")
        entry = {"step": self.step, "train": losses["train"], "val": losses["val"]}
        self.evals.append(entry)
        line = f"step {self.step}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}"
        self._emit(line)
        if self.cfg.sample_tokens > 0 and self.dist.is_main:
            text = self.sample()  # its own generator: the training RNG stream is untouched
            self.samples.append((self.step, text))
            self._emit("sample: " + text.strip().replace("\n", " / ")[:160])
        tracker.metrics({"train_loss_eval": losses["train"], "val_loss": losses["val"]}, self.step)

    def _emit(self, line: str) -> None:
        if not self.dist.is_main:
            return
        bar = getattr(self, "_bar", None)
        if bar is not None and not bar.disable:
            bar.write(line)
        else:
            self.log(line)

    def train(self, stop_at: int | None = None) -> TrainResult:
        """Train until ``cfg.max_steps`` (or ``stop_at``), evaluating and checkpointing.

        Ctrl-C saves a checkpoint at the last completed step and returns a result with
        ``interrupted=True`` instead of raising.
        """
        cfg, main = self.cfg, self.dist.is_main
        end = cfg.max_steps if stop_at is None else min(stop_at, cfg.max_steps)
        ckpt_every = cfg.checkpoint_interval or cfg.eval_interval
        tracker = _Tracker(cfg, self.out_dir, main)
        bar = self._make_bar(end)
        tokens_step = cfg.tokens_per_step * self.dist.world_size
        timed_steps, timed_s, interrupted = 0, 0.0, False
        mfu = None
        self._stop_requested = False
        previous_handler = self._install_sigint_handler()
        if main:
            self._lock.acquire()  # held until this call ends (re-entrant in this process)
        diverged = None
        try:
            while self.step < end:
                if self._should_stop():
                    raise KeyboardInterrupt
                if (
                    self.step % cfg.eval_interval == 0
                    and main
                    and not self._evaluated_at(self.step)
                ):
                    self._evaluate(tracker)
                t0 = time.perf_counter()
                loss, norm = self.train_step()
                record = self.step % cfg.log_interval == 0 or self.step == end
                if record or self.device.type == "cpu":
                    value = float(loss)
                    if not math.isfinite(value):
                        self._diverged(f"the training loss is {value}")
                    if record:
                        self.losses.append((self.step, value))
                dt = time.perf_counter() - t0
                if self.step > 1 or cfg.resume:  # the very first step pays for compilation
                    timed_steps += 1
                    timed_s += dt
                if record and timed_steps:
                    tps = tokens_step * timed_steps / timed_s
                    mfu = estimate_mfu(tps, self.flops_token, self.peak_flops)
                    metrics = {"loss": self.losses[-1][1], "tok/s": f"{tps:,.0f}"}
                    if mfu is not None:
                        metrics["mfu"] = f"{100 * mfu:.1f}%"
                    if bar is not None:
                        bar.set_postfix(metrics, refresh=False)
                    tracker.metrics(
                        {
                            "train_loss": self.losses[-1][1],
                            "tokens_per_s": tps,
                            "lr": lr_at(self.step - 1, cfg),
                            "grad_norm": float(norm) if norm is not None else None,
                        },
                        self.step,
                    )
                if bar is not None:
                    bar.update(1)
                if self.step % ckpt_every == 0 and self.step < end:
                    self.save()
            if self.step == cfg.max_steps and main and not self._evaluated_at(self.step):
                self._evaluate(tracker)
        except _Diverged as exc:
            diverged = str(exc)
        except KeyboardInterrupt:
            interrupted = True
            self.optimizer.zero_grad(set_to_none=True)
            self._emit(
                f"interrupted: saving a checkpoint at step {self.step} (resume with --resume)"
            )
        finally:
            self._restore_sigint_handler(previous_handler)
            if bar is not None:
                bar.close()
            self._bar = None
        if diverged is not None:
            # the weights are NaN/inf: never checkpoint them, keep the last good checkpoint
            tracker.close()
            self._lock.release()
            raise TrainingError(diverged)
        try:
            self.save()
        finally:
            self._lock.release()
        self._barrier()
        tracker.artifact(self.out_dir / "loss_curve.png")
        tracker.close()
        ms = 1000 * timed_s / timed_steps if timed_steps else float("nan")
        tps = tokens_step * timed_steps / timed_s if timed_steps else float("nan")
        return TrainResult(
            self.step,
            list(self.losses),
            list(self.evals),
            list(self.samples),
            interrupted,
            ms,
            tps,
            mfu,
            str(self.out_dir),
        )

    # -- Ctrl-C: finish the current step, then save and stop -------------------------------
    def _install_sigint_handler(self):
        """First Ctrl-C: stop at the next step boundary (the checkpoint is then consistent:
        an interrupt inside ``optimizer.step()`` would leave half-updated weights). A second
        Ctrl-C interrupts at once. Only possible in the main thread; elsewhere, no change."""
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True
            self._emit(
                "Ctrl-C: finishing this step, then saving a checkpoint (Ctrl-C again to abort)"
            )

        try:
            return signal.signal(signal.SIGINT, handler)
        except ValueError:
            return None

    @staticmethod
    def _restore_sigint_handler(previous) -> None:
        import signal

        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    def _should_stop(self) -> bool:
        """The stop flag, agreed by every process (any one interrupted stops them all)."""
        if not self.dist.enabled:
            return self._stop_requested
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1.0 if self._stop_requested else 0.0], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    def _diverged(self, what: str):
        """Stop the run: a non-finite loss means the weights are (about to be) NaN."""
        try:
            kept = f"the last checkpoint (step {int(checkpoint_step(self.out_dir))}) is kept"
        except CheckpointError:
            kept = "no checkpoint was written"
        raise _Diverged(
            f"training diverged at step {self.step}: {what} (lr={self.cfg.lr:g}); {kept}. "
            "Lower --lr, raise --warmup_steps or set --grad_clip"
        )

    def _evaluated_at(self, step: int) -> bool:
        return bool(self.evals) and self.evals[-1]["step"] == step

    def _make_bar(self, end: int):
        self._bar = None
        if not (self.cfg.progress and self.dist.is_main):
            return None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        self._bar = tqdm(
            total=end, initial=self.step, desc="pretrain", unit="step", dynamic_ncols=True
        )
        return self._bar

    def close(self) -> None:
        """Release the run folder and leave the process group (call once at the end)."""
        self._lock.release()
        if self.dist.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                # subtle: without this barrier a rank that finishes first tears down its gloo
                # connections while a peer still uses them, and the peer aborts
                # ("terminate called without an active exception").
                dist.barrier()
                dist.destroy_process_group()


def load_run(run_dir: str | Path, device="cpu"):
    """``(model, tokenizer, state)`` of a finished or interrupted run (weights from its checkpoint)."""
    from ml2llm.training.checkpoint import read_state
    from ml2llm.training.config import TrainConfig

    run_dir = Path(run_dir)
    state = read_state(run_dir)
    try:
        known = {f.name for f in fields(TrainConfig)}
        cfg = TrainConfig(**{k: v for k, v in state["config"].items() if k in known})
        vocab_size = int(state["model_config"]["vocab_size"])
        model = build_model(cfg, vocab_size)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(
            f"checkpoint {state['path']} is corrupt: state.json has no usable run config ({exc})"
        ) from None
    restore_run(run_dir, model, restore_rng=False, expected_model=state["model_config"])
    ckpt = Path(state["path"])
    tok_path = next(
        (
            p
            for p in (ckpt.parent / "tokenizer.json", ckpt.parent / "data" / "tokenizer.json")
            if p.exists()
        ),
        ckpt.parent / "tokenizer.json",
    )
    tokenizer = load_tokenizer(tok_path, state.get("tokenizer", cfg.tokenizer))
    return unwrap(model).to(device).eval(), tokenizer, state
