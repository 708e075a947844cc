"""GPT models whose attention heads are set by hand, so their head scores are known.

Every embedding is a sum of "codes": a code sets one coordinate to +1 and its neighbour to -1,
so each residual vector has mean zero and a fixed norm and LayerNorm is only a constant
rescaling (a = sqrt(C / nonzeros)). Layout of the C = 2T + 4V coordinates:

- position p:           [2p] = +1, [2p + 1] = -1                  (p < T)
- token v:              [2T + 2v] = +1, [2T + 2v + 1] = -1        (v < V)
- previous token v:     [2T + 2V + 2v] = +1, [... + 1] = -1       (written by layer 0, head 0)

All other weights are zero (no MLP, no biases), so a head with zero query and key weights
attends uniformly over the causal window.
"""

from __future__ import annotations

import torch

from ml2llm.transformers.config import GPTConfig
from ml2llm.transformers.gpt import GPT

STRENGTH = 20.0  # query scale: attention logits of ~20+ make the chosen key take ~all the mass


def _blank(V, T, n_layer):
    C = 2 * T + 4 * V
    model = GPT(
        GPTConfig(vocab_size=V, block_size=T, n_layer=n_layer, n_head=2, n_embd=C, bias=False)
    )
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.fill_(1.0 if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) else 0.0)
        for p in range(T):
            model.transformer.wpe.weight[p, 2 * p] = 1.0
            model.transformer.wpe.weight[p, 2 * p + 1] = -1.0
        for v in range(V):
            model.transformer.wte.weight[v, 2 * T + 2 * v] = 1.0
            model.transformer.wte.weight[v, 2 * T + 2 * v + 1] = -1.0
    return model.eval(), C


def _previous_token_head(attn, T, C, head=0):
    """Query of position t reads code t; key of position s reads code s and writes it at s+1."""
    hd = C // 2
    W = attn.c_attn.weight
    for j in range(T):
        W[head * hd + j, 2 * j] = STRENGTH
    for j in range(1, T):
        W[C + head * hd + j, 2 * (j - 1)] = 1.0


def _same_token_head(attn, T, V, C, head=1):
    """Attend to positions holding the same token as the query (a content head)."""
    hd = C // 2
    W = attn.c_attn.weight
    for v in range(V):
        W[head * hd + v, 2 * T + 2 * v] = STRENGTH
        W[C + head * hd + v, 2 * T + 2 * v] = 1.0


def one_layer(V=8, T=32, second="uniform"):
    """1 layer, 2 heads: head 0 previous-token; head 1 ``"uniform"`` or ``"same_token"``."""
    model, C = _blank(V, T, 1)
    with torch.no_grad():
        attn = model.transformer.h[0].attn
        _previous_token_head(attn, T, C)
        if second == "same_token":
            _same_token_head(attn, T, V, C)
        elif second != "uniform":
            raise ValueError(second)
    return model


def induction_circuit(V=16, T=32):
    """2 layers: L0H0 previous-token head copying the previous token into its own code;
    L1H0 induction head whose query (current token) matches keys (their previous token).
    L0H1 and L1H1 are uniform."""
    model, C = _blank(V, T, 2)
    hd = C // 2
    with torch.no_grad():
        a0 = model.transformer.h[0].attn
        _previous_token_head(a0, T, C)
        for j in range(2 * V):  # value: the key's token code; output: the previous-token code
            a0.c_attn.weight[2 * C + j, 2 * T + j] = 1.0
            a0.c_proj.weight[2 * T + 2 * V + j, j] = 1.0
        a1 = model.transformer.h[1].attn
        for v in range(V):
            a1.c_attn.weight[v, 2 * T + 2 * v] = STRENGTH
            a1.c_attn.weight[C + v, 2 * T + 2 * V + 2 * v] = 1.0
    assert hd >= T
    return model
