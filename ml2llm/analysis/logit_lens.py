"""The logit lens: decode the residual stream after every layer as if it were the last.

A pre-norm transformer keeps one residual stream ``h`` that each block adds to:
``h_0 = embed(x)``, ``h_l = h_{l-1} + block_l(h_{l-1})``, and the output is
``logits = W_U · norm_f(h_L)``. The lens applies the same final norm and unembedding to every
intermediate ``h_l``:

.. math:: \\text{lens}_l = W_U \\, \\text{norm}_f(h_l), \\qquad l = 0, \\dots, L,

so ``lens_L`` is exactly the model's own logits and ``lens_0`` is what the embeddings alone
predict (for a tied model: roughly "the same token again"). :func:`residual_stream` captures
the ``h_l`` with forward hooks; :func:`logit_lens` decodes them; :func:`lens_loss` gives the
cross-entropy of each layer's decoded prediction.

Works with :class:`ml2llm.transformers.gpt.GPT` and :class:`ml2llm.transformers.llama.Mistral`.
What it does not do: a *tuned* lens (a learned affine map per layer).
"""

from __future__ import annotations


def model_parts(model):
    """``(blocks, final_norm, lm_head)`` of a GPT or Mistral model."""
    if hasattr(model, "transformer") and hasattr(model.transformer, "h"):
        return list(model.transformer.h), model.transformer.ln_f, model.lm_head
    if hasattr(model, "model") and hasattr(model.model, "layers"):
        return list(model.model.layers), model.model.norm, model.lm_head
    raise ValueError(
        f"model must be an ml2llm GPT or Mistral (blocks in .transformer.h or .model.layers), "
        f"got {type(model).__name__}"
    )


def residual_stream(model, idx):
    """``(n_layer + 1, B, T, C)`` tensor: the stream entering block 0, then after each block."""
    import torch

    blocks, _, _ = model_parts(model)
    idx = torch.as_tensor(idx, dtype=torch.long)
    if idx.dim() == 1:
        idx = idx[None]
    states = []
    hooks = [blocks[0].register_forward_pre_hook(lambda m, args: states.append(args[0]))]
    hooks += [b.register_forward_hook(lambda m, args, out: states.append(out)) for b in blocks]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(idx.to(next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return torch.stack(states)


def logit_lens(model, idx):
    """``(n_layer + 1, B, T, V)`` logits decoded from each layer's residual stream."""
    import torch

    _, norm, head = model_parts(model)
    hs = residual_stream(model, idx)
    with torch.no_grad():
        return head(norm(hs))


def lens_loss(model, idx, targets):
    """Mean cross-entropy (nats) of each layer's decoded prediction: shape ``(n_layer + 1,)``."""
    import torch
    import torch.nn.functional as F

    targets = torch.as_tensor(targets, dtype=torch.long)
    if targets.dim() == 1:
        targets = targets[None]
    lens = logit_lens(model, idx)
    if tuple(lens.shape[1:3]) != tuple(targets.shape):
        raise ValueError(
            f"targets must have shape {tuple(lens.shape[1:3])}, got {tuple(targets.shape)}"
        )
    t = targets.to(lens.device).reshape(-1)
    return torch.stack(
        [F.cross_entropy(layer.reshape(-1, layer.shape[-1]).float(), t) for layer in lens]
    ).cpu()
