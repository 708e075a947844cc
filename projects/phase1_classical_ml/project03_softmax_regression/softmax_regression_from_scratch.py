# %% [markdown]
# # Project 03 — Softmax regression from scratch
#
# Logistic regression answers a yes/no question. Softmax regression answers "which of $K$?"
# — which digit is this, which word comes next. Its output layer, a linear map followed by a
# **softmax**, and its loss, the **cross-entropy** with one-hot targets, are *literally* the
# last layer and the training loss of the GPT you will build in Project 12: there $K$ is the
# vocabulary size and $x$ is the transformer's hidden state.
#
# **You will:**
# 1. write a softmax and a log-softmax that survive logits of ±1000 (the log-sum-exp trick);
# 2. build one-hot targets, the cross-entropy and its gradient, $\frac1n X^\top(P - Y)$;
# 3. train on 8×8 handwritten digits, look at the learned weights as images, and read a
#    confusion matrix;
# 4. prove your estimator equals scikit-learn's multinomial `LogisticRegression`.
#
# **Prerequisites:** Project 02 (sigmoid, binary cross-entropy, its gradient).
# **Time:** about 6 hours.
#
# Each exercise is a function with a `raise NotImplementedError`; the `check(...)` line under
# it prints `✓` or the first failing input with a hint. `ml2llm check 03` runs the notebook
# from a terminal and records your progress.

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import warnings

import matplotlib.pyplot as plt
import numpy as np

from ml2llm import check, is_quick
from ml2llm.classical import softmax_regression as reference
from ml2llm.classical.softmax_regression import SoftmaxRegression
from ml2llm.viz import plot_decision_boundary, plot_loss_curves
from utils.data_generators import make_blobs
from utils.device import ensure_seed

from threadpoolctl import threadpool_limits

threadpool_limits(1)  # our matrices are small: one BLAS thread is fastest, and fair on shared CPUs
ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The softmax and the log-sum-exp trick
#
# Give each class $k$ its own weight vector: logits $z_k = x^\top W_{:,k} + b_k$, i.e.
# $Z = XW + b$ with $W \in \mathbb R^{d\times K}$. The softmax turns a row of logits into a
# probability distribution:
#
# $$p_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^K e^{z_j}} .$$
#
# With $K = 2$ it is the sigmoid of $z_1 - z_0$: softmax generalises Project 02. Adding the
# same constant $c$ to every logit changes nothing ($e^{z_k + c}/\sum_j e^{z_j + c} = p_k$), and
# that invariance is the whole numerical trick: subtract $m = \max_j z_j$ from each row, so the
# largest exponent is $e^0 = 1$ and nothing overflows. For the *log* of the softmax, which the
# loss needs, use the **log-sum-exp** identity
#
# $$\log p_k = z_k - \operatorname{logsumexp}(z), \qquad
#   \operatorname{logsumexp}(z) = m + \log\sum_j e^{z_j - m},$$
#
# which stays finite even when $p_k$ itself underflows to 0.

# %%
Z_demo = np.array([[1000.0, 1001.0, 999.0]])
with np.errstate(over="ignore", invalid="ignore"):
    print("naive softmax of [1000, 1001, 999]:", np.exp(Z_demo) / np.exp(Z_demo).sum())

# %% [markdown]
# ### Exercise 3.1 — A stable softmax
#
# Return the row-wise softmax of `Z` (shape `(n, K)`): subtract **each row's** maximum
# (`keepdims=True`), exponentiate, divide each row by its sum.

# %%
def softmax(Z):
    ### BEGIN SOLUTION
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
    ### END SOLUTION


check("p03.softmax", softmax)

# %% [markdown]
# ### Exercise 3.2 — Log-softmax with log-sum-exp
#
# Return $\log \mathrm{softmax}(Z)$ row-wise, computed as $Z - \operatorname{logsumexp}(Z)$
# (never as `np.log(softmax(Z))`, which gives `-inf` once a probability underflows).

# %%
def log_softmax(Z):
    ### BEGIN SOLUTION
    m = Z.max(axis=1, keepdims=True)
    return Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    ### END SOLUTION


check("p03.log_softmax", log_softmax)

# %% [markdown]
# ## 2. One-hot targets and the cross-entropy
#
# Encode label $y_i = k$ as the row $Y_{i,:} = e_k$ (a 1 in column $k$). The negative
# log-likelihood of the labels under the model is the **cross-entropy** between the one-hot
# rows and the predicted distributions:
#
# $$L = -\frac1n\sum_{i=1}^n\sum_{k=1}^K Y_{ik}\log p_{ik} = -\frac1n\sum_i \log p_{i, y_i}.$$
#
# Only the probability of the correct class counts. A uniform guess costs $\log K$
# (2.30 for ten digits): the number to beat, and the first loss you will see when a language
# model starts training ($\log$ of its vocabulary size).
#
# ### Exercise 3.3 — One-hot encoding
#
# Return an `(n, n_classes)` float array with `Y[i, y[i]] = 1`. Use `n_classes` for the width:
# a mini-batch may not contain every class.

# %%
def one_hot(y, n_classes):
    ### BEGIN SOLUTION
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y
    ### END SOLUTION


check("p03.one_hot", one_hot)

# %% [markdown]
# ### Exercise 3.4 — Cross-entropy from logits
#
# Return the mean cross-entropy (a float) for one-hot `Y` and logits `Z`. Sum over classes,
# average over samples, and use your log-softmax.

# %%
def cross_entropy(Y, logits):
    ### BEGIN SOLUTION
    return float(-np.sum(Y * log_softmax(logits)) / Y.shape[0])
    ### END SOLUTION


check("p03.cross_entropy", cross_entropy)

# %% [markdown]
# ## 3. The gradient
#
# Differentiating $-\log p_{i,y_i} = -z_{i,y_i} + \operatorname{logsumexp}(z_i)$ with respect
# to $z_{ik}$ gives $p_{ik} - Y_{ik}$: once again **prediction minus target**. The chain rule
# through $Z = XW + b$ then gives, with an L2 penalty $\frac\alpha2\|W\|_F^2$,
#
# $$\nabla_W J = \frac1n X^\top (P - Y) + \alpha W \in \mathbb R^{d\times K}, \qquad
#   \nabla_b J = \frac1n \sum_i (P_{i,:} - Y_{i,:}) \in \mathbb R^K .$$
#
# Note that $\sum_k (p_{ik} - Y_{ik}) = 0$: the logit gradients of each sample sum to zero,
# which is why the unpenalised intercepts are only defined up to a common constant (our
# estimator and scikit-learn both report them centred).
#
# ### Exercise 3.5 — The gradient
#
# Return `(grad_W, grad_b)` with shapes `(d, K)` and `(K,)`.

# %%
def softmax_gradient(X, Y, W, b, alpha=0.0):
    ### BEGIN SOLUTION
    R = softmax(X @ W + b) - Y
    n = X.shape[0]
    return X.T @ R / n + alpha * W, R.sum(axis=0) / n
    ### END SOLUTION


check("p03.gradient", softmax_gradient)

# %% [markdown]
# ## Experiment 1 — Three classes in the plane
#
# **Hypothesis.** The boundary between classes $j$ and $k$ is where $z_j = z_k$, a straight
# line, so softmax regression carves the plane into convex wedge-shaped regions. Training by
# gradient descent with your functions should drive the loss from $\log 3 = 1.10$ towards the
# minimum that the library's L-BFGS finds.

# %%
X3, y3 = make_blobs(n_samples=300, centers=[[-2, 0], [2, 0], [0, 3]], cluster_std=1.1, random_state=0)
Y3 = reference.one_hot(y3, 3)
W, b, lr, losses = np.zeros((2, 3)), np.zeros(3), 0.5, []
for _ in range(300 if QUICK else 1000):
    losses.append(reference.cross_entropy(Y3, X3 @ W + b))
    gW, gb = reference.softmax_gradient(X3, Y3, W, b)
    W, b = W - lr * gW, b - lr * gb
best = SoftmaxRegression(C=np.inf, solver="lbfgs").fit(X3, y3)
best_loss = reference.cross_entropy(Y3, best.decision_function(X3))
print(f"start: log 3 = {np.log(3):.3f}; GD after {len(losses)} steps: {losses[-1]:.4f}; "
      f"L-BFGS optimum: {best_loss:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_loss_curves({"gradient descent": np.array(losses) - best_loss + 1e-12}, ax=axes[0],
                 title="cross-entropy − optimum")
plot_decision_boundary(best.predict, X3, y3, ax=axes[1], resolution=100 if QUICK else 250,
                       cmap="viridis", title="softmax regression: linear wedges")
plt.tight_layout(); plt.show()

# %% [markdown]
# **What happened.** The loss starts at exactly $\log 3$ (all logits zero, uniform guess) and
# falls linearly on the log scale towards the optimum; the regions meet along straight lines.
#
# ## Experiment 2 — Handwritten digits: what does the model learn?
#
# The **digits** dataset ships with scikit-learn: 1 797 images of 8×8 pixels (grey levels
# 0–16), ten classes. Each column $W_{:,k}$ has one weight per pixel, so we can *draw* it.
#
# **Hypothesis.** Each class's weights should look like a blurry template of that digit
# (positive where its ink usually is, negative where other digits' ink is), and the mistakes
# should fall between look-alike pairs such as 1/8, 3/8 or 4/9.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

digits = load_digits()
X_tr, X_te, y_tr, y_te = train_test_split(digits.data, digits.target, test_size=0.3,
                                          random_state=0, stratify=digits.target)
scaler = StandardScaler().fit(X_tr)
X_tr_s, X_te_s = scaler.transform(X_tr), scaler.transform(X_te)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # GD stops at max_iter, on purpose
    gd = SoftmaxRegression(C=0.1, solver="gd", max_iter=300 if QUICK else 3000).fit(X_tr_s, y_tr)
lb = SoftmaxRegression(C=0.1, solver="lbfgs").fit(X_tr_s, y_tr)
print(f"GD ({gd.n_iter_} epochs): test accuracy {gd.score(X_te_s, y_te):.4f}")
print(f"L-BFGS ({lb.n_iter_} iterations): test accuracy {lb.score(X_te_s, y_te):.4f}")

fig, axes = plt.subplots(2, 5, figsize=(10, 4.4))
lim = np.abs(lb.coef_).max()
for k, ax in enumerate(axes.ravel()):
    ax.imshow(lb.coef_[k].reshape(8, 8), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(f"class {k}"); ax.axis("off")
fig.suptitle("Learned weights W[:, k] as 8×8 images (red: evidence for k, blue: against)")
plt.tight_layout(); plt.show()

# %%
def confusion(y_true, y_pred, K):
    M = np.zeros((K, K), dtype=int)
    np.add.at(M, (y_true, y_pred), 1)
    return M


cm = confusion(y_te, lb.predict(X_te_s), 10)
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.imshow(cm, cmap="Blues")
for i in range(10):
    for j in range(10):
        if cm[i, j]:
            ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10),
       title="Confusion matrix (test set)")
plt.show()
off = cm - np.diag(np.diag(cm))
i, j = np.unravel_index(off.argmax(), off.shape)
print(f"most frequent confusion: true {i} predicted as {j} ({off[i, j]} times)")

# %% [markdown]
# **What happened.** Several weight images are readable: 0 has a blue hole in the middle
# with red ink around it (a pixel lit in the centre is evidence *against* a zero), 1 a
# central red stroke, 7 a red top bar with blue below. Others are blotchy: with an L2
# penalty and standardised pixels the weights only need to separate the classes, not look
# like them. Still, a linear classifier is a bank of templates matched by dot products. The confusion matrix is almost diagonal (about 96–97 % test
# accuracy); its few errors are between digits that share strokes. A template cannot model
# "a loop *above* a stroke": that needs features that combine pixels, i.e. hidden layers
# (Project 11.5).
#
# ## Experiment 3 — Temperature: sharpening and flattening the softmax
#
# **Hypothesis.** Dividing the logits by a temperature $T$ before the softmax leaves the
# argmax unchanged but changes the confidence: $T \to 0$ gives a one-hot distribution,
# $T \to \infty$ a uniform one. This is exactly the `temperature` knob of LLM sampling
# (Project 14).

# %%
z_img = lb.decision_function(X_te_s[:1])[0]
fig, ax = plt.subplots(figsize=(7, 3))
for k, T in enumerate([0.25, 1.0, 4.0]):
    ax.bar(np.arange(10) + (k - 1) * 0.27, reference.softmax((z_img / T)[None])[0], width=0.27,
           label=f"T = {T}")
ax.set(xticks=range(10), xlabel="class", ylabel="probability",
       title=f"softmax(z / T) for one test image (true label {y_te[0]})")
ax.legend(); plt.show()

# %% [markdown]
# **What happened.** The bars' order never changes, only their spread: temperature trades
# confidence for diversity without changing the ranking.
#
# ## Comparison with scikit-learn
#
# `sklearn.linear_model.LogisticRegression` with the default lbfgs solver fits exactly this
# multinomial model with the objective $C\sum_i \ell_i + \frac12\|W\|^2$. Same `C`, same
# strictly convex problem in $W$ (intercepts centred), so the two must agree up to the
# solvers' stopping tolerances: we assert probabilities within $2\times10^{-5}$ and identical
# test predictions, and the GD model's accuracy within 2 points (it stops early on purpose).

# %%
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

sk = SkLogisticRegression(C=0.1, tol=1e-10, max_iter=10_000).fit(X_tr_s, y_tr)
dp = np.abs(lb.predict_proba(X_te_s) - sk.predict_proba(X_te_s)).max()
print(f"sklearn test accuracy {sk.score(X_te_s, y_te):.4f}; ours (L-BFGS) {lb.score(X_te_s, y_te):.4f}; "
      f"max |Δp| = {dp:.1e}; max |ΔW| = {np.abs(lb.coef_ - sk.coef_).max():.1e}")
assert dp < 2e-5
assert (lb.predict(X_te_s) == sk.predict(X_te_s)).all()
assert abs(gd.score(X_te_s, y_te) - sk.score(X_te_s, y_te)) <= 0.02

# %% [markdown]
# ## What you learned
#
# - The **softmax** turns $K$ logits into a distribution; subtracting each row's max makes it
#   overflow-proof, and **log-sum-exp** makes its log underflow-proof.
# - The **cross-entropy** with one-hot targets is $-\log p_{\text{correct}}$; a uniform guess
#   costs $\log K$.
# - Its gradient is again prediction minus target, $\frac1n X^\top(P - Y)$; intercepts are
#   only defined up to a constant.
# - A linear classifier is a set of templates: you can read the weights as images and its
#   errors in a confusion matrix.
# - **Temperature** rescales confidence without changing the ranking.
# - Your estimator equals scikit-learn's multinomial logistic regression on digits.
#
# **Next:** Project 04 asks how to keep flexible models from memorising noise:
# regularization. Glossary: [softmax](../../../docs/GLOSSARY.md#softmax),
# [log-sum-exp](../../../docs/GLOSSARY.md#log-sum-exp),
# [one-hot encoding](../../../docs/GLOSSARY.md#one-hot-encoding),
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [logit](../../../docs/GLOSSARY.md#logit),
# [confusion matrix](../../../docs/GLOSSARY.md#confusion-matrix),
# [temperature](../../../docs/GLOSSARY.md#temperature).
