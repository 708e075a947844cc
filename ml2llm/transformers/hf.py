"""Convert between this package's models and Hugging Face ``transformers`` models.

- :func:`gpt_from_hf` / :func:`gpt_to_hf`: :class:`~ml2llm.transformers.gpt.GPT` ↔
  ``GPT2LMHeadModel``. HF keeps the attention/MLP projections as ``Conv1D`` (weight shape
  ``(in, out)``), so those four matrices are transposed on the way.
- :func:`mistral_from_hf` / :func:`mistral_to_hf`: :class:`~ml2llm.transformers.llama.Llama`
  ↔ ``MistralForCausalLM`` or ``LlamaForCausalLM`` (same parameter names, no transposes).
- :func:`from_hf` / :func:`to_hf` dispatch on the model type.

Everything runs offline: models are built from configs, never downloaded. Unsupported HF
options (another activation, RoPE scaling, biases in Llama attention …) raise ``ValueError``
instead of converting silently into a different model.
"""

from __future__ import annotations

import torch

from ml2llm.transformers.config import GPTConfig, LlamaConfig
from ml2llm.transformers.gpt import GPT
from ml2llm.transformers.llama import Llama

_CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def load_weights(model: torch.nn.Module, state: dict, source: str = "state dict") -> None:
    """``model.load_state_dict(state)`` with one clear ``ValueError`` on any mismatch."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(
            f"{source} does not match the model: missing keys {missing[:5]}, "
            f"unexpected keys {unexpected[:5]}"
        )
    for key, value in state.items():
        if tuple(value.shape) != tuple(own[key].shape):
            raise ValueError(
                f"{source} does not match the model config: {key} has shape "
                f"{tuple(value.shape)}, the model expects {tuple(own[key].shape)}"
            )
    with torch.no_grad():
        for key, value in state.items():
            own[key].copy_(value)


# ------------------------------------------------------------------------------ GPT-2
def gpt_config_from_hf(hf_config) -> GPTConfig:
    """A :class:`GPTConfig` equal to a ``transformers.GPT2Config``."""
    if hf_config.activation_function not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ValueError(
            f"activation_function must be 'gelu_new' (tanh GELU), got {hf_config.activation_function!r}"
        )
    for flag in ("scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"):
        if getattr(hf_config, flag, False):
            raise ValueError(f"GPT2Config.{flag}=True is not supported")
    if not getattr(hf_config, "scale_attn_weights", True):
        raise ValueError("GPT2Config.scale_attn_weights=False is not supported")
    return GPTConfig(
        vocab_size=hf_config.vocab_size,
        block_size=hf_config.n_positions,
        n_layer=hf_config.n_layer,
        n_head=hf_config.n_head,
        n_embd=hf_config.n_embd,
        dropout=float(hf_config.resid_pdrop),
        bias=True,
        layer_norm_eps=hf_config.layer_norm_epsilon,
    )


def gpt_from_hf(hf_model, config: GPTConfig | None = None) -> GPT:
    """Copy a ``GPT2LMHeadModel`` into a new :class:`GPT` (``config`` must match if given)."""
    derived = gpt_config_from_hf(hf_model.config)
    if config is not None:
        diff = {k: v for k, v in derived.diff(config).items() if k != "attn_impl"}
        if diff:
            raise ValueError(f"config does not match the Hugging Face model: {diff} (ours, given)")
        derived = config
    model = GPT(derived)
    state = {}
    for key, value in hf_model.state_dict().items():
        if key.endswith(".attn.bias") or key.endswith(".attn.masked_bias"):
            continue  # old checkpoints store the causal mask as a buffer
        if key.endswith(_CONV1D):
            value = value.t()
        state[key] = value
    state.setdefault("lm_head.weight", state["transformer.wte.weight"])
    load_weights(model, state, "the Hugging Face GPT-2 weights")
    return model


def gpt_to_hf(model: GPT, **hf_kwargs):
    """A ``GPT2LMHeadModel`` with the same weights (``bias=False`` becomes zero biases)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = model.config
    hf_kwargs.setdefault("bos_token_id", None)
    hf_kwargs.setdefault("eos_token_id", None)
    hf_config = GPT2Config(
        vocab_size=cfg.vocab_size,
        n_positions=cfg.block_size,
        n_ctx=cfg.block_size,  # mlx_lm reads the context length from n_ctx
        n_embd=cfg.n_embd,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        resid_pdrop=cfg.dropout,
        embd_pdrop=cfg.dropout,
        attn_pdrop=cfg.dropout,
        layer_norm_epsilon=cfg.layer_norm_eps,
        activation_function="gelu_new",
        tie_word_embeddings=True,
        **hf_kwargs,
    )
    hf = GPT2LMHeadModel(hf_config)
    ours = model.state_dict()
    target = hf.state_dict()
    new = {}
    for key, ref in target.items():
        if key in ours:
            value = ours[key]
            new[key] = value.t() if key.endswith(_CONV1D) else value
        elif key.endswith(".bias"):  # bias=False: a zero bias is the same function
            new[key] = torch.zeros_like(ref)
        else:
            raise ValueError(f"cannot map Hugging Face parameter {key}")
    hf.load_state_dict(new, strict=False)
    hf.tie_weights()
    return hf.eval()


# ---------------------------------------------------------------------- Mistral/Llama
def mistral_config_from_hf(hf_config) -> LlamaConfig:
    """A :class:`LlamaConfig` equal to a ``MistralConfig``/``LlamaConfig`` from transformers."""
    if hf_config.hidden_act != "silu":
        raise ValueError(f"hidden_act must be 'silu', got {hf_config.hidden_act!r}")
    for flag in ("attention_bias", "mlp_bias"):
        if getattr(hf_config, flag, False):
            raise ValueError(f"{flag}=True is not supported")
    rope = getattr(hf_config, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") != "default":
        raise ValueError(f"only default RoPE is supported, got rope_type={rope.get('rope_type')!r}")
    theta = rope.get("rope_theta", getattr(hf_config, "rope_theta", 10000.0))
    head_dim = (
        getattr(hf_config, "head_dim", None)
        or hf_config.hidden_size // hf_config.num_attention_heads
    )
    if head_dim * hf_config.num_attention_heads != hf_config.hidden_size:
        raise ValueError(
            f"head_dim * num_attention_heads must equal hidden_size, got {head_dim} * "
            f"{hf_config.num_attention_heads} != {hf_config.hidden_size}"
        )
    return LlamaConfig(
        vocab_size=hf_config.vocab_size,
        block_size=hf_config.max_position_embeddings,
        n_layer=hf_config.num_hidden_layers,
        n_head=hf_config.num_attention_heads,
        n_kv_head=hf_config.num_key_value_heads,
        n_embd=hf_config.hidden_size,
        intermediate_size=hf_config.intermediate_size,
        rope_theta=float(theta),
        rms_norm_eps=hf_config.rms_norm_eps,
        sliding_window=getattr(hf_config, "sliding_window", None),
        tie_word_embeddings=bool(hf_config.tie_word_embeddings),
        dropout=float(getattr(hf_config, "attention_dropout", 0.0)),
    )


def mistral_from_hf(hf_model, config: LlamaConfig | None = None) -> Llama:
    """Copy a ``MistralForCausalLM`` or ``LlamaForCausalLM`` into a new :class:`Llama`."""
    derived = mistral_config_from_hf(hf_model.config)
    if config is not None:
        diff = {k: v for k, v in derived.diff(config).items() if k != "attn_impl"}
        if diff:
            raise ValueError(f"config does not match the Hugging Face model: {diff} (ours, given)")
        derived = config
    model = Llama(derived)
    state = dict(hf_model.state_dict())
    if derived.tie_word_embeddings:
        state.setdefault("lm_head.weight", state["model.embed_tokens.weight"])
    load_weights(model, state, "the Hugging Face weights")
    return model


def mistral_to_hf(model: Llama, arch: str = "mistral", **hf_kwargs):
    """A ``MistralForCausalLM`` (``arch="mistral"``) or ``LlamaForCausalLM`` (``"llama"``)."""
    import transformers

    cfg = model.config
    if arch not in ("mistral", "llama"):
        raise ValueError(f"arch must be 'mistral' or 'llama', got {arch!r}")
    if arch == "llama" and cfg.sliding_window is not None:
        raise ValueError("arch='llama' has no sliding window: use arch='mistral'")
    if getattr(cfg, "qk_norm", False) or getattr(cfg, "mlp", "swiglu") != "swiglu":
        raise ValueError(
            "model: qk_norm=True or mlp='relu2' has no Hugging Face Llama/Mistral equivalent"
        )
    kwargs = dict(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.n_embd,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.n_layer,
        num_attention_heads=cfg.n_head,
        num_key_value_heads=cfg.n_kv_head,
        head_dim=cfg.head_dim,
        max_position_embeddings=cfg.block_size,
        rms_norm_eps=cfg.rms_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": float(cfg.rope_theta)},
        tie_word_embeddings=cfg.tie_word_embeddings,
        attention_dropout=cfg.dropout,
        hidden_act="silu",
    )
    hf_kwargs.setdefault("bos_token_id", None)
    hf_kwargs.setdefault("eos_token_id", None)
    if arch == "mistral":
        kwargs["sliding_window"] = cfg.sliding_window
        hf_config = transformers.MistralConfig(**kwargs, **hf_kwargs)
        hf = transformers.MistralForCausalLM(hf_config)
    else:
        hf_config = transformers.LlamaConfig(**kwargs, **hf_kwargs)
        hf = transformers.LlamaForCausalLM(hf_config)
    state = model.state_dict()
    load_weights(hf, {k: v for k, v in state.items() if k in hf.state_dict()}, "our weights")
    return hf.eval()


# ----------------------------------------------------------------------------- dispatch
def from_hf(hf_model):
    """Our model equal to ``hf_model`` (GPT-2, Mistral or Llama causal LM)."""
    model_type = getattr(hf_model.config, "model_type", None)
    if model_type == "gpt2":
        return gpt_from_hf(hf_model)
    if model_type in ("mistral", "llama"):
        return mistral_from_hf(hf_model)
    raise ValueError(
        f"hf_model must be a GPT-2, Mistral or Llama causal LM, got model_type={model_type!r}"
    )


def to_hf(model, **kwargs):
    """The Hugging Face model equal to ``model`` (:class:`GPT` or :class:`Llama`)."""
    if isinstance(model, GPT):
        return gpt_to_hf(model, **kwargs)
    if isinstance(model, Llama):
        return mistral_to_hf(model, **kwargs)
    raise ValueError(f"model must be an ml2llm GPT or Mistral, got {type(model).__name__}")
