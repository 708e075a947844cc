"""The harness's KV-cached greedy completion (our models) equals uncached greedy decoding."""

import torch

from ml2llm.evaluation import CausalLMAdapter
from ml2llm.finetune.data import ChatTemplate
from ml2llm.nlp import CharTokenizer
from ml2llm.transformers import Mistral, MistralConfig
from ml2llm.transformers.generation import generate


def test_cached_completion_equals_uncached_generate():
    tok = CharTokenizer(sorted(set("abcdefgh QA:\n?")), special_tokens=["<eos>"])
    torch.manual_seed(0)
    cfg = MistralConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=2, n_head=4, n_embd=32)
    model = Mistral(cfg).eval()
    lm = CausalLMAdapter(model, tok, template=ChatTemplate())
    prompts = ["abc?", "bad", "cafe?", "hedge"]
    got = lm.complete(prompts, 10)
    for p, c in zip(prompts, got):
        x = torch.tensor([lm.encode(ChatTemplate().prompt(p))])
        ids = generate(model, x, 10, temperature=0, use_cache=False)[0, x.shape[1] :].tolist()
        eos = lm.codec.eos_id
        want = ids[: ids.index(eos)] if eos in ids else ids
        assert c.text == lm.decode(want).strip()
        assert c.stopped == (eos in ids)
