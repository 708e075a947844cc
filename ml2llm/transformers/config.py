"""Configuration dataclasses for the project's decoder-only transformers.

:class:`GPTConfig` describes a GPT-2-architecture model (learned positions, LayerNorm, GELU
MLP, multi-head attention). :class:`LlamaConfig` describes a Llama/Mistral-architecture
model (RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, optional sliding window);
``MistralConfig`` is the same class under the other name.

Both validate themselves on construction and raise ``ValueError`` naming the argument and
what was expected (for example ``n_embd`` not divisible by ``n_head``). Both round-trip
through plain dicts (:meth:`to_dict` / :meth:`from_dict`) so checkpoints store them as JSON.

>>> cfg = GPTConfig(vocab_size=65, block_size=32, n_layer=2, n_head=4, n_embd=64)
>>> cfg.head_dim
16
>>> GPTConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

ATTN_IMPLS = ("sdpa", "manual")
MLP_TYPES = ("swiglu", "relu2")


def _positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_common(cfg) -> None:
    for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
        _positive_int(name, getattr(cfg, name))
    if cfg.n_embd % cfg.n_head != 0:
        raise ValueError(
            f"n_embd must be divisible by n_head, got n_embd={cfg.n_embd} and n_head={cfg.n_head}"
        )
    if not 0.0 <= float(cfg.dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {cfg.dropout!r}")
    if cfg.attn_impl not in ATTN_IMPLS:
        raise ValueError(f"attn_impl must be one of {ATTN_IMPLS}, got {cfg.attn_impl!r}")


class _DictMixin:
    def to_dict(self) -> dict:
        """The fields as a plain JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        """Build a config from :meth:`to_dict` output; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; expected some of {sorted(names)}"
            )
        return cls(**data)

    def diff(self, other) -> dict:
        """``{field: (self_value, other_value)}`` for every field that differs."""
        if type(other) is not type(self):
            return {"type": (type(self).__name__, type(other).__name__)}
        out = {}
        for f in dataclasses.fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a != b:
                out[f.name] = (a, b)
        return out


@dataclass
class GPTConfig(_DictMixin):
    """GPT-2 architecture.

    Parameters
    ----------
    vocab_size : int
        Number of token ids.
    block_size : int
        Context length: the longest sequence the model accepts (learned positions).
    n_layer, n_head, n_embd : int
        Depth, attention heads per layer, width. ``n_embd`` must be divisible by ``n_head``.
    dropout : float
        Dropout on embeddings, attention probabilities and residual branches.
    bias : bool
        Whether Linear and LayerNorm layers have biases (GPT-2: True).
    layer_norm_eps : float
        LayerNorm epsilon (GPT-2: 1e-5).
    attn_impl : {"sdpa", "manual"}
        ``"sdpa"`` uses ``torch.nn.functional.scaled_dot_product_attention`` (flash kernels
        where available); ``"manual"`` spells out ``softmax(QKᵀ/√d + mask) V``. Both give the
        same numbers; attention maps (``return_attn=True``) always use the manual path.
    """

    vocab_size: int = 50304
    block_size: int = 256
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    dropout: float = 0.0
    bias: bool = True
    layer_norm_eps: float = 1e-5
    attn_impl: str = "sdpa"

    def __post_init__(self):
        _check_common(self)

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


@dataclass
class LlamaConfig(_DictMixin):
    """Llama/Mistral architecture.

    Parameters
    ----------
    vocab_size, block_size, n_layer, n_head, n_embd, dropout, attn_impl
        As in :class:`GPTConfig` (``block_size`` is the longest accepted sequence).
    n_kv_head : int or None
        Key/value heads for grouped-query attention; ``n_head`` must be a multiple of it.
        ``None`` means ``n_head`` (plain multi-head attention).
    intermediate_size : int or None
        Hidden width of the SwiGLU MLP; ``None`` means ``int(8 * n_embd / 3)`` rounded up
        to a multiple of 32 (the Llama recipe: about as many parameters as a 4x GELU MLP).
    rope_theta : float
        RoPE base frequency.
    rms_norm_eps : float
        RMSNorm epsilon.
    sliding_window : int or None
        When set, each token attends only to the last ``sliding_window`` positions
        (itself included), as in Mistral.
    tie_word_embeddings : bool
        Share the input embedding with the output projection.
    qk_norm : bool
        RMS-normalise each head's queries and keys (learned gain per head dimension) before
        RoPE, as in OLMo 2 / Qwen 3 / the modded-nanoGPT speedrun: bounded attention logits.
    mlp : {"swiglu", "relu2"}
        ``"swiglu"`` (Llama); ``"relu2"`` is ``down(relu(up(x))²)`` with hidden width
        ``4 * n_embd`` (about as many parameters; the modded-nanoGPT speedrun's MLP).
    """

    vocab_size: int = 32000
    block_size: int = 256
    n_layer: int = 6
    n_head: int = 8
    n_embd: int = 512
    n_kv_head: int | None = None
    intermediate_size: int | None = None
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6
    sliding_window: int | None = None
    tie_word_embeddings: bool = False
    dropout: float = 0.0
    attn_impl: str = "sdpa"
    qk_norm: bool = False
    mlp: str = "swiglu"

    def __post_init__(self):
        _check_common(self)
        if self.mlp not in MLP_TYPES:
            raise ValueError(f"mlp must be one of {MLP_TYPES}, got {self.mlp!r}")
        if self.n_kv_head is None:
            self.n_kv_head = self.n_head
        _positive_int("n_kv_head", self.n_kv_head)
        if self.n_head % self.n_kv_head != 0:
            raise ValueError(
                f"n_head must be a multiple of n_kv_head, got n_head={self.n_head} "
                f"and n_kv_head={self.n_kv_head}"
            )
        if self.head_dim % 2 != 0:
            raise ValueError(
                f"RoPE needs an even head dimension n_embd // n_head, got {self.head_dim}"
            )
        if self.intermediate_size is None and self.mlp == "relu2":
            self.intermediate_size = 4 * self.n_embd
        if self.intermediate_size is None:
            self.intermediate_size = -(-int(8 * self.n_embd / 3) // 32) * 32
        _positive_int("intermediate_size", self.intermediate_size)
        if self.sliding_window is not None:
            _positive_int("sliding_window", self.sliding_window)
        if not float(self.rope_theta) > 0:
            raise ValueError(f"rope_theta must be > 0, got {self.rope_theta!r}")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


MistralConfig = LlamaConfig  # Mistral = Llama + the optional sliding window
