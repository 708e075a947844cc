"""Analysis of a trained language model: what did pretraining change? (Project 15)

- :mod:`ml2llm.analysis.perplexity` — per-token loss, loss by position in the context,
  perplexity, loss broken down by Shakespeare play.
- :mod:`ml2llm.analysis.attention` — attention maps of every layer and head, and head scores:
  previous-token, induction (on repeated random sequences), positional-versus-content.
- :mod:`ml2llm.analysis.embeddings` — PCA, cosine similarity, nearest tokens, group structure.
- :mod:`ml2llm.analysis.logit_lens` — the residual stream after each layer, decoded to logits.
- :mod:`ml2llm.analysis.sampling` — next-token entropy and samples at several temperatures.
- :mod:`ml2llm.analysis.snapshots` — a short pretraining run that keeps weight snapshots.

Every function takes the project's GPT or Llama/Mistral models (:mod:`ml2llm.transformers`);
attention maps, the logit lens and the per-character perplexity also take Hugging Face Llama
causal LMs such as SmolLM2 (:func:`ml2llm.models.load_pretrained`). The head scores take plain
attention tensors. Import the submodules directly.
"""
