"""Project 12 checks pass correct code and catch typical wrong code with the right hint."""

import math

import torch
import torch.nn.functional as F

from tests.checks.helpers import (
    assert_catches,
    assert_passes,
    parametrize_mistakes,
    parametrize_references,
)


# --- correct implementations, written independently of ml2llm ---------------------------
def split_heads(x, n_head):
    B, T, C = x.shape
    return x.reshape(B, T, n_head, -1).permute(0, 2, 1, 3)


def causal_attention(q, k, v):
    T = q.shape[-2]
    bias = torch.full((T, T), float("-inf")).triu(1)
    w = torch.einsum("bhid,bhjd->bhij", q, k) * q.shape[-1] ** -0.5 + bias
    return torch.einsum("bhij,bhjd->bhid", w.softmax(-1), v)


def causal_attention_sdpa(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def block_forward(x, ln_1, attn, ln_2, mlp):
    h = attn(ln_1(x)) + x
    return mlp(ln_2(h)) + h


def num_params(vocab_size, block_size, n_layer, n_embd):
    C = n_embd
    block = 12 * C * C + 13 * C  # attn 4C²+4C, mlp 8C²+5C, two LayerNorms 4C
    return (vocab_size + block_size) * C + n_layer * block + 2 * C


def next_token_loss(logits, idx):
    logp = logits.log_softmax(-1)[:, :-1]
    return -logp.gather(-1, idx[:, 1:, None]).mean()


def top_k_logits(logits, k):
    vals, pos = logits.sort(dim=-1, descending=True)
    out = torch.full_like(logits, float("-inf"))
    return out.scatter(-1, pos[..., :k], vals[..., :k])


REFERENCES = {
    "p12.split_heads": split_heads,
    "p12.causal_attention": causal_attention,
    "p12.block_forward": block_forward,
    "p12.num_params": num_params,
    "p12.next_token_loss": next_token_loss,
    "p12.top_k_logits": top_k_logits,
}


def test_sdpa_solution_also_passes():
    assert_passes("p12.causal_attention", causal_attention_sdpa)


# --- typical mistakes ------------------------------------------------------------------
def split_view_only(x, n_head):
    B, T, C = x.shape
    return x.view(B, n_head, T, C // n_head)


def split_no_transpose(x, n_head):
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head)


def attn_mask_off_by_one(q, k, v):
    T = q.shape[-2]
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=2), float("-inf"))
    return s.softmax(-1) @ v


def attn_no_scale(q, k, v):
    T = q.shape[-2]
    s = (q @ k.transpose(-2, -1)).masked_fill(torch.ones(T, T).triu(1).bool(), float("-inf"))
    return s.softmax(-1) @ v


def attn_no_mask(q, k, v):
    return (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1) @ v


def block_post_norm(x, ln_1, attn, ln_2, mlp):
    x = ln_1(x + attn(x))
    return ln_2(x + mlp(x))


def block_missing_residual(x, ln_1, attn, ln_2, mlp):
    x = attn(ln_1(x))
    return x + mlp(ln_2(x))


def block_missing_mlp_residual(x, ln_1, attn, ln_2, mlp):
    return mlp(ln_2(x + attn(ln_1(x))))


def params_untied(vocab_size, block_size, n_layer, n_embd):
    return num_params(vocab_size, block_size, n_layer, n_embd) + vocab_size * n_embd


def params_no_wpe(vocab_size, block_size, n_layer, n_embd):
    return num_params(vocab_size, block_size, n_layer, n_embd) - block_size * n_embd


def params_no_biases(vocab_size, block_size, n_layer, n_embd):
    C = n_embd
    return (vocab_size + block_size) * C + n_layer * (12 * C * C + 2 * C) + C


def loss_no_shift(logits, idx):
    return F.cross_entropy(logits.flatten(0, 1), idx.flatten())


def loss_wrong_shift(logits, idx):
    return F.cross_entropy(logits[:, 1:].flatten(0, 1), idx[:, :-1].flatten())


def topk_k_plus_one(logits, k):
    return top_k_logits(logits, min(k + 1, logits.shape[-1]))


def topk_smallest(logits, k):
    kth = logits.sort(-1).values[..., k - 1 : k]
    return logits.masked_fill(logits > kth, float("-inf"))


def topk_softmax(logits, k):
    return top_k_logits(logits, k).softmax(-1)


MISTAKES = {
    "p12.split_heads": [(split_view_only, "bare view"), (split_no_transpose, "transpose(1, 2)")],
    "p12.causal_attention": [
        (attn_mask_off_by_one, "off by one"),
        (attn_no_scale, "√d"),
        (attn_no_mask, "causal mask"),
    ],
    "p12.block_forward": [
        (block_post_norm, "post-norm"),
        (block_missing_residual, "missing residual"),
        (block_missing_mlp_residual, "missing residual"),
    ],
    "p12.num_params": [
        (params_untied, "tied"),
        (params_no_wpe, "position embedding"),
        (params_no_biases, "bias"),
    ],
    "p12.next_token_loss": [(loss_no_shift, "off by one"), (loss_wrong_shift, "wrong way")],
    "p12.top_k_logits": [
        (topk_k_plus_one, "exactly k"),
        (topk_smallest, "largest"),
        (topk_softmax, "not probabilities"),
    ],
}


# --- the assembled forward pass (p12.gpt_forward), written independently ----------------
def gpt_forward(model, idx):
    tr = model.transformer
    B, T = idx.shape
    x = tr.wte(idx) + tr.wpe(torch.arange(T))
    for blk in tr.h:
        C = x.shape[-1]
        h = blk.ln_1(x)
        q, k, v = blk.attn.c_attn(h).split(C, dim=2)
        q, k, v = (split_heads(t, blk.attn.n_head) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + blk.attn.c_proj(y.transpose(1, 2).reshape(B, T, C))
        x = x + blk.mlp(blk.ln_2(x))
    return model.lm_head(tr.ln_f(x))


def gpt_forward_library(model, idx):
    return model(idx)  # (logits, loss): the check accepts the library's return shape too


def _wrong_gpt(residual=True, prenorm=True, diagonal=0):
    def forward(model, idx):
        tr = model.transformer
        B, T = idx.shape
        x = tr.wte(idx) + tr.wpe(torch.arange(T))
        C = x.shape[-1]
        for blk in tr.h:

            def attn(h, blk=blk):
                q, k, v = blk.attn.c_attn(h).split(C, dim=2)
                q, k, v = (split_heads(t, blk.attn.n_head) for t in (q, k, v))
                mask = torch.ones(T, T, dtype=torch.bool).tril(diagonal)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                return blk.attn.c_proj(y.transpose(1, 2).reshape(B, T, C))

            if not residual:
                x = attn(blk.ln_1(x))
                x = x + blk.mlp(blk.ln_2(x))
            elif not prenorm:
                x = blk.ln_1(x + attn(x))
                x = blk.ln_2(x + blk.mlp(x))
            else:
                x = x + attn(blk.ln_1(x))
                x = x + blk.mlp(blk.ln_2(x))
        return model.lm_head(tr.ln_f(x))

    return forward


REFERENCES["p12.gpt_forward"] = gpt_forward
MISTAKES["p12.gpt_forward"] = [
    (_wrong_gpt(residual=False), "missing residual"),
    (_wrong_gpt(prenorm=False), "norm placement"),
    (_wrong_gpt(diagonal=1), "off by one"),
]


def test_library_forward_also_passes():
    assert_passes("p12.gpt_forward", gpt_forward_library)


@parametrize_references(REFERENCES)
def test_reference_passes(check_id, fn):
    assert_passes(check_id, fn)


@parametrize_mistakes(MISTAKES)
def test_mistake_is_caught_with_hint(check_id, fn, hint):
    assert_catches(check_id, fn, hint)
