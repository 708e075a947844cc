"""Checks for Project 12 — GPT from parts (heads, causal attention, pre-norm block,
parameter count, next-token loss, top-k) and the assembled forward pass.

References: :mod:`ml2llm.transformers.functional`; ``p12.gpt_forward`` is compared with
Hugging Face's ``GPT2LMHeadModel`` holding the same (random) weights."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ml2llm.checks import Case, Check, Mistake, register
from ml2llm.transformers import functional as ref


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------ split_heads
def _split_cases():
    return [
        Case((torch.arange(12.0).view(1, 2, 6), 3), label="x = arange(12).view(1, 2, 6), n_head=3"),
        Case((torch.randn(2, 5, 8, generator=_gen(0)), 2), label="x of shape (2, 5, 8), n_head=2"),
        Case(
            (torch.randn(3, 4, 12, generator=_gen(1)), 4), label="x of shape (3, 4, 12), n_head=4"
        ),
    ]


register(
    Check(
        "p12.split_heads",
        reference=ref.split_heads,
        cases=_split_cases,
        hint="view x as (B, T, n_head, C // n_head), then transpose(1, 2) to (B, n_head, T, head_dim).",
        mistakes=[
            Mistake(
                "view only",
                lambda x, n: x.view(x.shape[0], n, x.shape[1], x.shape[2] // n),
                "a bare view to (B, n_head, T, d) mixes time steps into heads: view as "
                "(B, T, n_head, d) first, then transpose(1, 2).",
            ),
            Mistake(
                "no transpose",
                lambda x, n: x.view(x.shape[0], x.shape[1], n, x.shape[2] // n),
                "you stopped at (B, T, n_head, d): transpose(1, 2) so heads come before time.",
            ),
            Mistake(
                "heads last",
                lambda x, n: x.view(x.shape[0], x.shape[1], x.shape[2] // n, n).permute(0, 3, 1, 2),
                "head h owns the contiguous features h*d … h*d+d-1: view as (B, T, n_head, d), not (B, T, d, n_head).",
            ),
        ],
    )
)


# ------------------------------------------------------------------ causal attention
def _attn_cases():
    g = _gen(2)
    return [
        Case(
            tuple(torch.randn(1, 1, 4, 8, generator=g) for _ in range(3)),
            label="q, k, v of shape (1, 1, 4, 8)",
        ),
        Case(
            tuple(torch.randn(2, 3, 6, 4, generator=g) for _ in range(3)),
            label="q, k, v of shape (2, 3, 6, 4)",
        ),
        Case(
            tuple(torch.randn(1, 2, 1, 16, generator=g) for _ in range(3)),
            label="a single position (T=1)",
        ),
    ]


def _masked(diag, scale=True, dim=-1):
    def wrong(q, k, v):
        T = q.shape[-2]
        s = q @ k.transpose(-2, -1)
        if scale:
            s = s / math.sqrt(q.shape[-1])
        keep = torch.ones(T, T, dtype=torch.bool).tril(diag)
        return torch.softmax(s.masked_fill(~keep, float("-inf")), dim=dim) @ v

    return wrong


register(
    Check(
        "p12.causal_attention",
        reference=ref.causal_attention,
        cases=_attn_cases,
        rtol=1e-5,
        atol=1e-6,
        hint="scores = q @ kᵀ / √d; set scores above the diagonal to -inf; softmax over the last axis; @ v.",
        mistakes=[
            Mistake(
                "future peek",
                _masked(1),
                "your mask is off by one: position t may see keys 0 … t (tril with diagonal=0), not t+1.",
            ),
            Mistake(
                "no self",
                _masked(-1),
                "your mask is off by one: each position must also attend to itself (keep the diagonal).",
            ),
            Mistake(
                "no scale",
                _masked(0, scale=False),
                "divide the scores by √d (d = head dimension) before the softmax.",
            ),
            Mistake(
                "wrong softmax axis",
                _masked(0, dim=-2),
                "softmax over the keys (last axis): each query's weights must sum to 1.",
            ),
            Mistake(
                "no mask",
                lambda q, k, v: (
                    torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), -1) @ v
                ),
                "apply the causal mask: a token must not attend to later tokens.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ pre-norm block
class _Mix(nn.Module):
    """A deterministic stand-in sub-layer: tanh(x W) (mixes features, not the identity)."""

    def __init__(self, C, seed):
        super().__init__()
        self.w = torch.randn(C, C, generator=_gen(seed)) / math.sqrt(C)

    def forward(self, x):
        return torch.tanh(x @ self.w)


def _block_cases():
    out = []
    for seed, (B, T, C) in enumerate([(1, 3, 4), (2, 5, 8)]):
        x = torch.randn(B, T, C, generator=_gen(10 + seed)) * 2 + 1
        ln1, ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        with torch.no_grad():
            for j, ln in enumerate((ln1, ln2)):
                ln.weight.copy_(torch.rand(C, generator=_gen(seed + 50 * j)) + 0.5)
                ln.bias.copy_(torch.randn(C, generator=_gen(seed + 50 * j + 5)))
        out.append(
            Case(
                (x, ln1, _Mix(C, seed), ln2, _Mix(C, seed + 100)),
                label=f"x of shape {(B, T, C)}, LayerNorms and two sub-layers",
            )
        )
    return out


register(
    Check(
        "p12.block_forward",
        reference=lambda x, ln_1, attn, ln_2, mlp: ref.block_forward(
            x, ln_1, attn, ln_2, mlp
        ).detach(),
        cases=_block_cases,
        rtol=1e-5,
        atol=1e-6,
        hint="pre-norm: x = x + attn(ln_1(x)), then x = x + mlp(ln_2(x)).",
        mistakes=[
            Mistake(
                "post-norm",
                lambda x, l1, a, l2, m: l2((y := l1(x + a(x))) + m(y)),
                "that is post-norm (normalise after adding). GPT-2 is pre-norm: x + attn(ln_1(x)).",
            ),
            Mistake(
                "no attn residual",
                lambda x, l1, a, l2, m: (y := a(l1(x))) + m(l2(y)),
                "missing residual: add the attention output to x (x = x + attn(ln_1(x))).",
            ),
            Mistake(
                "no mlp residual",
                lambda x, l1, a, l2, m: m(l2(x + a(l1(x)))),
                "missing residual: add the MLP output to its input (x = x + mlp(ln_2(x))).",
            ),
            Mistake(
                "swapped norms",
                lambda x, l1, a, l2, m: (y := x + a(l2(x))) + m(l1(y)),
                "ln_1 goes before attention and ln_2 before the MLP.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ parameter count
def _count_cases():
    return [
        Case((65, 256, 6, 384)),
        Case((50257, 1024, 12, 768), hint="GPT-2 small has 124,439,808 parameters."),
        Case((10, 8, 1, 4)),
    ]


def _count(tied=True, pos=True, bias=True, final_ln=True, mlp_mult=4):
    def wrong(V, T, L, C):
        b = 1 if bias else 0
        per = 2 * (2 * C if bias else C)
        per += 3 * C * C + b * 3 * C + C * C + b * C
        per += 2 * mlp_mult * C * C + b * (mlp_mult * C + C)
        total = (
            V * C + (T * C if pos else 0) + L * per + ((2 * C if bias else C) if final_ln else 0)
        )
        return total + (0 if tied else V * C)

    return wrong


register(
    Check(
        "p12.num_params",
        reference=ref.gpt_num_params,
        cases=_count_cases,
        rtol=0,
        atol=0,
        hint="sum the embeddings, L × (two LayerNorms + attention + MLP) and the final LayerNorm.",
        mistakes=[
            Mistake(
                "untied",
                _count(tied=False),
                "the output projection is tied to the token embedding: count V·C once.",
            ),
            Mistake(
                "no positions",
                _count(pos=False),
                "add the position embedding table (block_size × n_embd).",
            ),
            Mistake(
                "no biases",
                _count(bias=False),
                "every Linear and LayerNorm here has a bias (LayerNorm: weight and bias, 2·C).",
            ),
            Mistake("no final ln", _count(final_ln=False), "add the final LayerNorm ln_f (2·C)."),
            Mistake("mlp 1x", _count(mlp_mult=1), "the MLP's hidden layer is 4 × n_embd wide."),
        ],
    )
)


# ------------------------------------------------------------------------ next-token loss
def _loss_cases():
    g = _gen(20)
    return [
        Case(
            (torch.randn(1, 4, 5, generator=g), torch.tensor([[0, 3, 1, 4]])),
            label="logits (1, 4, 5), idx [[0, 3, 1, 4]]",
        ),
        Case(
            (torch.randn(2, 6, 7, generator=g), torch.randint(0, 7, (2, 6), generator=g)),
            label="logits (2, 6, 7), random idx",
        ),
        Case(
            (torch.randn(3, 2, 3, generator=g), torch.randint(0, 3, (3, 2), generator=g)),
            label="T = 2: one prediction per row",
        ),
    ]


register(
    Check(
        "p12.next_token_loss",
        reference=ref.next_token_loss,
        cases=_loss_cases,
        rtol=1e-5,
        atol=1e-6,
        hint="the prediction at position t is scored against the token at t+1: logits[:, :-1] vs idx[:, 1:].",
        mistakes=[
            Mistake(
                "no shift",
                lambda lg, idx: F.cross_entropy(lg.reshape(-1, lg.shape[-1]), idx.reshape(-1)),
                "off by one: logits at t predict token t+1, so compare logits[:, :-1] with idx[:, 1:].",
            ),
            Mistake(
                "wrong shift",
                lambda lg, idx: F.cross_entropy(
                    lg[:, 1:].reshape(-1, lg.shape[-1]), idx[:, :-1].reshape(-1)
                ),
                "shifted the wrong way: logits[:, :-1] (all but the last) predict idx[:, 1:] (all but the first).",
            ),
            Mistake(
                "sum",
                lambda lg, idx: F.cross_entropy(
                    lg[:, :-1].reshape(-1, lg.shape[-1]), idx[:, 1:].reshape(-1), reduction="sum"
                ),
                "average over all predicted positions, do not sum.",
            ),
        ],
    )
)


# ------------------------------------------------------------------------ top-k filter
def _topk_cases():
    g = _gen(30)
    return [
        Case((torch.tensor([[1.0, 3.0, 2.0, 0.5]]), 2)),
        Case((torch.randn(3, 10, generator=g), 4), label="logits (3, 10), k=4"),
        Case(
            (torch.tensor([[0.1, -0.2, 0.3]]), 3),
            hint="k equal to the vocabulary size keeps everything.",
        ),
        Case((torch.randn(2, 6, generator=g), 1), label="logits (2, 6), k=1 (greedy)"),
    ]


def _topk_plus_one(logits, k):
    kth = torch.topk(logits, min(k + 1, logits.shape[-1]), dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


register(
    Check(
        "p12.top_k_logits",
        reference=ref.top_k_logits,
        cases=_topk_cases,
        hint="find the k-th largest value per row (torch.topk) and set everything below it to -inf.",
        mistakes=[
            Mistake("k+1", _topk_plus_one, "off by one: keep exactly k logits per row."),
            Mistake(
                "smallest",
                lambda lg, k: lg.masked_fill(
                    lg > torch.topk(lg, k, largest=False).values[..., -1:], float("-inf")
                ),
                "keep the k LARGEST logits (torch.topk returns the largest by default).",
            ),
            Mistake(
                "probs",
                lambda lg, k: torch.softmax(ref.top_k_logits(lg, k), dim=-1),
                "return filtered logits, not probabilities: the softmax comes later, in sampling.",
            ),
            Mistake(
                "zero fill",
                lambda lg, k: lg.masked_fill(lg < torch.topk(lg, k).values[..., -1:], 0.0),
                "fill with -inf, not 0: a logit of 0 still has probability e⁰ > 0.",
            ),
        ],
    )
)


# ------------------------------------------------------------------ the whole forward pass
def _random_gpt(seed: int, **cfg):
    """A small GPT with every parameter random (LayerNorms included), so a misplaced norm shows."""
    from ml2llm.transformers.config import GPTConfig
    from ml2llm.transformers.gpt import GPT

    torch.manual_seed(seed)
    model = GPT(GPTConfig(**cfg)).eval()
    g = _gen(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    return model


def _gpt_cases():
    out = []
    for seed, (V, T, L, H, C, B, n) in enumerate(
        [(23, 16, 2, 2, 16, 2, 7), (31, 12, 3, 4, 32, 1, 12)]
    ):
        model = _random_gpt(seed, vocab_size=V, block_size=T, n_layer=L, n_head=H, n_embd=C)
        idx = torch.randint(0, V, (B, n), generator=_gen(70 + seed))
        out.append(
            Case(
                (model, idx),
                label=f"a random GPT (n_layer={L}, n_head={H}, n_embd={C}) and idx of shape {(B, n)}",
            )
        )
    return out


def _hf_logits(model, idx):
    """The independent reference: Hugging Face's GPT2LMHeadModel with the same weights."""
    from ml2llm.transformers.hf import gpt_to_hf

    with torch.no_grad():
        return gpt_to_hf(model).eval()(idx).logits.detach()


def _assembled(residual=True, prenorm=True, diagonal=0, final_norm=True, positions=True):
    """A GPT forward pass built from the functional references, with one part wrong."""

    def forward(model, idx):
        tr = model.transformer
        T = idx.shape[1]
        x = tr.wte(idx) + (tr.wpe(torch.arange(T)) if positions else 0)
        for blk in tr.h:
            a = blk.attn

            def attn(h, a=a):
                q, k, v = a.c_attn(h).split(h.shape[-1], dim=2)
                q, k, v = (ref.split_heads(t, a.n_head) for t in (q, k, v))
                s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
                allowed = torch.ones(T, T, dtype=torch.bool).tril(diagonal)
                y = s.masked_fill(~allowed, float("-inf")).softmax(-1) @ v
                return a.c_proj(y.transpose(1, 2).reshape(h.shape))

            if not residual:
                x = attn(blk.ln_1(x))
                x = x + blk.mlp(blk.ln_2(x))
            elif not prenorm:
                x = blk.ln_1(x + attn(x))
                x = blk.ln_2(x + blk.mlp(x))
            else:
                x = ref.block_forward(x, blk.ln_1, attn, blk.ln_2, blk.mlp)
        return model.lm_head(tr.ln_f(x) if final_norm else x)

    return forward


register(
    Check(
        "p12.gpt_forward",
        reference=_hf_logits,
        cases=_gpt_cases,
        call=lambda fn, case: _detached(fn(*case.args)),
        rtol=1e-4,
        atol=1e-4,
        hint="embeddings (token + position) → every block (your split_heads, causal_attention "
        "and block_forward) → ln_f → lm_head; compare each step with the library's GPT.",
        mistakes=[
            Mistake(
                "no residual",
                _assembled(residual=False),
                "missing residual: each block adds attention to x (x = x + attn(ln_1(x))).",
            ),
            Mistake(
                "post-norm",
                _assembled(prenorm=False),
                "wrong norm placement: GPT-2 normalises the input of each sub-layer "
                "(pre-norm), not the sum after it.",
            ),
            Mistake(
                "mask off by one",
                _assembled(diagonal=1),
                "mask off by one: position t may attend to positions ≤ t only (tril, diagonal 0).",
            ),
            Mistake(
                "no ln_f",
                _assembled(final_norm=False),
                "apply the final LayerNorm ln_f before lm_head.",
            ),
            Mistake(
                "no positions",
                _assembled(positions=False),
                "add the position embeddings wpe(arange(T)) to the token embeddings.",
            ),
        ],
    )
)


def _detached(out):
    if isinstance(out, tuple):  # (logits, loss) like the library's forward
        out = out[0]
    return out.detach() if isinstance(out, torch.Tensor) else out
