# %% [markdown]
# # Project 11.5 — Neural networks from scratch
#
# Softmax regression (Project 03) draws straight lines between classes. Stack two of them with a
# nonlinearity in between and you get a **neural network**, a model that can learn curved
# boundaries, and later, language. Everything after this project (attention, GPT, LoRA) is
# built from the ideas you build by hand here:
#
# - a network is a chain of simple **layers**, each with a *forward* pass (compute the output)
#   and a *backward* pass (turn the gradient of the loss w.r.t. its output into gradients
#   w.r.t. its input and its parameters): **backpropagation** is the chain rule, applied layer by
#   layer, in reverse;
# - a **gradient check** (finite differences) tells you when a backward pass is wrong;
# - **initialisation** decides whether signals survive many layers or vanish/explode;
# - the **optimizer** (SGD, momentum, Adam) decides how fast and how stably training goes.
#
# **You will:** write the backward passes of a Linear layer, ReLU and softmax cross-entropy;
# write a gradient checker; write the momentum and Adam updates; then run experiments with the
# library versions (`ml2llm.neural`): ≥ 97 % on handwritten digits, a decision boundary on
# spirals, optimizers compared, vanishing and exploding signals measured layer by layer, a
# learning-rate finder, and depth against width at the same parameter count. Finally you prove
# that the NumPy network computes *exactly* the gradients PyTorch's autograd does.
#
# **Prerequisites:** Project 03 (softmax, cross-entropy), matrix calculus at the level of
# $\partial (x W)/\partial W$. **Time:** about 12 hours.
#
# Terms in **bold** link to the [glossary](../../../docs/GLOSSARY.md).

# %%
# Find the repository root (no hard-coded paths) so `ml2llm` and `utils` import from anywhere.
import sys
from pathlib import Path

root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "curriculum.toml").exists())
sys.path.insert(0, str(root))

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ml2llm import check, is_quick
from ml2llm.neural.gradcheck import check_module_gradients, relative_error
from ml2llm.neural.layers import (BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sequential,
                                  Sigmoid, Tanh, summary)
from ml2llm.neural.losses import SoftmaxCrossEntropy
from ml2llm.neural.lr_finder import lr_range_test, suggest_lr
from ml2llm.neural.model import layer_statistics, make_mlp, mlp_n_params, mlp_sizes_for_budget
from ml2llm.neural.optim import SGD, Adam
from ml2llm.neural.train import accuracy, fit_classifier, predict
from ml2llm.viz import plot_decision_boundary, plot_loss_curves
from utils.data_generators import make_spirals
from utils.device import ensure_seed

ensure_seed(0)
QUICK = is_quick()  # ML2LLM_QUICK=1: smaller experiments, same code path
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Layers and the chain rule
#
# A two-layer network for $C$ classes computes, for a batch $X \in \mathbb R^{N\times D}$,
#
# $$H = \mathrm{ReLU}(X W_1 + b_1),\qquad Z = H W_2 + b_2,\qquad
#   L = -\frac1N\sum_{i} \log \operatorname{softmax}(Z_i)_{y_i}.$$
#
# *Why the nonlinearity?* Without it, $X W_1 W_2$ is still one linear map: depth buys nothing.
# ReLU bends the space piecewise-linearly; with enough hidden units any continuous function can
# be approximated.
#
# **Backpropagation.** Each layer receives $\bar y = \partial L/\partial y$ (the *upstream*
# gradient, same shape as its output) and returns $\bar x = \partial L/\partial x$ for the layer
# below, storing the gradients of its own parameters on the way. The loss is a scalar, so every
# gradient has the shape of the thing it is the gradient of — the best bug detector you have.
#
# For a Linear layer $y = xW + b$ with $x \in \mathbb R^{N\times D_{in}}$,
# $W \in \mathbb R^{D_{in}\times D_{out}}$, the chain rule gives
#
# $$\bar x = \bar y\, W^\top,\qquad \bar W = x^\top \bar y,\qquad \bar b = \textstyle\sum_{i} \bar y_i .$$
#
# Check the shapes: $(N, D_{out})(D_{out}, D_{in})$ for $\bar x$; $(D_{in}, N)(N, D_{out})$ for
# $\bar W$. The bias is added to every row, so its gradient *sums* over the batch.
#
# ### Exercise 11.5.1 — Linear backward
#
# Return `(dx, dW, db)` for `y = x @ W + b`, given `x` (N, D_in), `W` (D_in, D_out) and the
# upstream gradient `dout` (N, D_out).

# %%
def linear_backward(x, W, dout):
    ### BEGIN SOLUTION
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    ### END SOLUTION


check("p11_5.linear_backward", linear_backward)

# %% [markdown]
# ### Exercise 11.5.2 — ReLU backward
#
# $\mathrm{ReLU}(x) = \max(0, x)$, so its local derivative is $1$ where $x > 0$ and $0$ where
# $x < 0$. At exactly $0$ it is undefined; like PyTorch, use $0$. Return `dx` given the forward
# input `x` and the upstream gradient `dout`.
#
# A unit whose input is negative for every sample passes *no* gradient back: it is a **dead
# ReLU** and never recovers. Keep that in mind for the initialisation experiment.

# %%
def relu_backward(x, dout):
    ### BEGIN SOLUTION
    return dout * (x > 0)
    ### END SOLUTION


check("p11_5.relu_backward", relu_backward)

# %% [markdown]
# ### Exercise 11.5.3 — Softmax cross-entropy, forward and backward
#
# With $p = \operatorname{softmax}(z)$ and a one-hot target, the gradient of the mean
# cross-entropy w.r.t. the logits is remarkably simple:
#
# $$\frac{\partial L}{\partial z_{ic}} = \frac{1}{N}\bigl(p_{ic} - [c = y_i]\bigr).$$
#
# Compute the loss stably with log-sum-exp:
# $\log p_{ic} = z_{ic} - m_i - \log\sum_k e^{z_{ik} - m_i}$ with $m_i = \max_k z_{ik}$
# (Project 03). Return `(loss, dlogits)`.

# %%
def softmax_cross_entropy(logits, y):
    ### BEGIN SOLUTION
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(n), y].mean()
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1.0
    return loss, grad / n
    ### END SOLUTION


check("p11_5.softmax_cross_entropy", softmax_cross_entropy)

# %% [markdown]
# ## 2. Never trust a backward pass you have not checked
#
# The centred difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$$
#
# has error $O(\varepsilon^2)$ (Taylor: the $f''$ terms cancel), the one-sided version only
# $O(\varepsilon)$. We compare with the **relative error**
# $\max|a-n| \,/\, \max(|a| + |n|)$, which does not care about the gradient's scale. In float64
# with $\varepsilon = 10^{-6}$ a correct gradient gives $\sim 10^{-9}$; a bug gives $10^{-2}$ or
# worse. (Too small an $\varepsilon$ is worse, not better: round-off $\approx 10^{-16}/\varepsilon$.)
#
# ### Exercise 11.5.4 — A centred-difference gradient
#
# `f` takes an array shaped like `x` and returns a float. Return the array of partial
# derivatives. Loop over `np.ndindex(x.shape)`; perturb a **copy** of `x` (never the caller's
# array).

# %%
def numerical_gradient(f, x, eps=1e-6):
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad
    ### END SOLUTION


check("p11_5.numerical_gradient", numerical_gradient)

# %% [markdown]
# The library's `check_module_gradients` does this for a whole layer: it back-propagates a
# random projection $L = \sum_{ij} y_{ij} R_{ij}$ of the output and compares the input gradient
# and *every* parameter gradient with finite differences. Here is every layer of
# `ml2llm.neural.layers` (BatchNorm's input gradient is a difference of nearly equal terms, so
# round-off lifts its error to ~1e-6; the others sit near 1e-9 and below).

# %%
rng = np.random.default_rng(0)
x_check = rng.normal(size=(6, 5))
bn = BatchNorm1d(5)
bn.gamma.data = rng.normal(size=5)
layers_to_check = {
    "Linear": Linear(5, 4, random_state=0), "ReLU": ReLU(), "LeakyReLU": LeakyReLU(0.1),
    "Tanh": Tanh(), "Sigmoid": Sigmoid(), "BatchNorm1d (train)": bn,
    "Dropout (eval)": Dropout(0.5).eval(),
    "Linear→Tanh→Linear": Sequential(Linear(5, 4, random_state=1), Tanh(), Linear(4, 3, random_state=2)),
}
for name, layer in layers_to_check.items():
    errs = check_module_gradients(layer, x_check, eps=1e-5 if "BatchNorm" in name else 1e-6)
    worst = max(errs.values())
    print(f"{name:22s} max relative error {worst:.1e}  {'OK' if worst < 1e-5 else 'WRONG'}")
    assert worst < 1e-5

# %% [markdown]
# ## 3. A network that reads handwritten digits
#
# The library packages your functions into layer objects with state: `Linear` caches its input
# in `forward` and sets `W.grad`, `b.grad` in `backward`; `Sequential` runs the layers forward,
# then backward in reverse. A training step is always the same five lines:
#
# ```python
# logits = model.forward(X_batch)                 # 1. forward
# loss = loss_fn.forward(logits, y_batch)         # 2. loss
# model.backward(loss_fn.backward())              # 3. backward: every p.grad is set
# optimizer.step()                                # 4. update every parameter
# ```
#
# The digits dataset (1 797 8×8 images, scikit-learn ships it) is small enough to train on a
# laptop core in a second. Our target: **≥ 97 % test accuracy** on a held-out split.

# %%
X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits / 16.0  # pixel values 0..16 → 0..1
Xtr, Xte, ytr, yte = train_test_split(X_digits, y_digits, test_size=0.25, random_state=0,
                                      stratify=y_digits)
net = make_mlp([64, 128, 10], activation="relu", init="he", random_state=0)
print(summary(net))
t0 = time.perf_counter()
hist = fit_classifier(net, Xtr, ytr, Adam(net.parameters(), lr=2e-3), epochs=15 if QUICK else 40,
                      batch_size=32, X_val=Xte, y_val=yte)
test_acc = accuracy(net, Xte, yte)
print(f"trained in {time.perf_counter() - t0:.1f} s; test accuracy {test_acc:.3f}")
assert test_acc >= 0.97

fig, axes = plt.subplots(1, 3, figsize=(13, 3.3))
plot_loss_curves({"mini-batch loss": hist["loss"]}, ax=axes[0], title="Digits: training loss")
axes[1].plot(hist["train_acc"], label="train")
axes[1].plot(hist["val_acc"], label="test")
axes[1].set(xlabel="epoch", ylabel="accuracy", title="Accuracy", ylim=(0.8, 1.001))
axes[1].legend()
wrong = np.flatnonzero(predict(net, Xte) != yte)[:8]
axes[2].imshow(np.hstack([Xte[i].reshape(8, 8) for i in wrong]) if len(wrong) else np.zeros((8, 8)),
               cmap="gray_r")
axes[2].set(title="misclassified: " + " ".join(f"{yte[i]}→{predict(net, Xte[i:i + 1])[0]}" for i in wrong[:5]))
axes[2].axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Experiment 1 — What does a hidden layer buy? (spirals)
#
# **Hypothesis.** Three interleaved spirals cannot be separated by straight lines, so softmax
# regression (a network with no hidden layer) is stuck near chance, while one hidden layer of
# ReLUs can carve a curved boundary.
#
# **Experiment.** Same data, same optimizer (Adam), two models: `[2, 3]` (linear) and
# `[2, 64, 64, 3]`.

# %%
X_sp, y_sp = make_spirals(n_samples=450, n_classes=3, noise=0.15, turns=1.0, random_state=0)
models = {"linear (softmax regression)": [2, 3], "MLP 2→64→64→3": [2, 64, 64, 3]}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
for ax, (name, sizes) in zip(axes, models.items()):
    m = make_mlp(sizes, random_state=0)
    fit_classifier(m, X_sp, y_sp, Adam(m.parameters(), lr=1e-2), epochs=150 if QUICK else 400,
                   batch_size=64)
    acc = accuracy(m, X_sp, y_sp)
    plot_decision_boundary(lambda Z, m=m: predict(m, Z), X_sp, y_sp, ax=ax,
                           resolution=120 if QUICK else 250, title=f"{name}: train acc {acc:.2f}")
    print(f"{name:28s} training accuracy {acc:.3f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The linear model can only cut the plane into three wedges (about 1/3 to
# 1/2 accuracy); the MLP follows the arms. Each ReLU unit contributes one fold line, and the
# second layer combines folds into curves: the boundary you see is piecewise linear.
#
# ## 4. Optimizers: momentum and Adam
#
# Plain SGD steps along $-\eta g$. On a long narrow valley (Project 01's badly conditioned
# loss) it zig-zags across the steep walls while creeping along the floor.
#
# **Momentum** (heavy ball) keeps a running sum of gradients, so oscillating components cancel
# and the consistent direction accelerates (PyTorch's form):
#
# $$v_t = \mu v_{t-1} + g_t,\qquad \theta_t = \theta_{t-1} - \eta\, v_t .$$
#
# With constant gradient the step grows to $\eta g/(1-\mu)$: momentum 0.9 is a 10× larger
# effective learning rate along consistent directions.
#
# ### Exercise 11.5.5 — SGD with momentum
#
# Return `(new_param, new_velocity)`; do not modify the inputs.

# %%
def sgd_momentum_step(param, grad, velocity, lr, momentum=0.9):
    ### BEGIN SOLUTION
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity
    ### END SOLUTION


check("p11_5.sgd_momentum_step", sgd_momentum_step)

# %% [markdown]
# **Adam** keeps two running averages per parameter: of the gradient ($m$, momentum) and of
# its square ($v$, how large that coordinate's gradients usually are), and divides one by the
# square root of the other, so every coordinate moves at roughly the same rate $\eta$ whatever
# its gradient's scale (a learned, diagonal preconditioner):
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,$$
# $$\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t},\quad
#   \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}.$$
#
# *Why the bias correction?* $m$ and $v$ start at 0, so early averages are biased towards 0
# ($m_1 = 0.1\, g_1$); dividing by $1-\beta^t$ removes exactly that bias ($\hat m_1 = g_1$).
#
# ### Exercise 11.5.6 — One Adam step
#
# `t` is the 1-based step number. Return `(new_param, new_m, new_v)`.

# %%
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


check("p11_5.adam_step", adam_step)

# %% [markdown]
# ## Experiment 2 — SGD vs momentum vs Adam on the same problem
#
# **Hypothesis.** From the same initial weights and the same mini-batches, momentum beats
# plain SGD at the same learning rate, and Adam, whose per-coordinate scaling makes it
# insensitive to gradient scale, gets there fastest with its default-ish rate.
#
# **Experiment.** The spirals MLP, three optimizers, identical seeds (so identical weights and
# batch order), loss per mini-batch.

# %%
opt_makers = {
    "SGD η=0.05": lambda ps: SGD(ps, lr=0.05),
    "momentum η=0.05, μ=0.9": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "Adam η=0.01": lambda ps: Adam(ps, lr=0.01),
}
opt_hist, opt_acc = {}, {}
for name, make_opt in opt_makers.items():
    m = make_mlp([2, 64, 64, 3], random_state=1)
    h = fit_classifier(m, X_sp, y_sp, make_opt(m.parameters()), epochs=40 if QUICK else 200,
                       batch_size=64, random_state=1)
    opt_hist[name], opt_acc[name] = h["loss"], accuracy(m, X_sp, y_sp)
    print(f"{name:24s} final loss {np.mean(h['loss'][-7:]):.3f}  accuracy {opt_acc[name]:.3f}")
smooth = lambda a, k=7: np.convolve(a, np.ones(k) / k, mode="valid")
plot_loss_curves({k: smooth(v) for k, v in opt_hist.items()}, xlabel="mini-batch step",
                 title="Same weights, same batches, three optimizers")
plt.show()

# %% [markdown]
# **What happened.** Momentum's curve drops several times faster than SGD's at the same $\eta$
# (its effective step along consistent directions is $\eta/(1-\mu) = 10\eta$); Adam is fastest
# early. Which is best at the end depends on tuning: Adam's advantage is that its default
# works across problems, which is why it (as AdamW) trains nearly every transformer.
#
# ## Experiment 3 — Vanishing and exploding signals, layer by layer
#
# **Hypothesis.** In a deep network each layer multiplies the spread of the activations by
# roughly $\sqrt{D_{in}}\,\sigma_W \cdot (\text{activation's gain})$. If that factor is below 1
# the signal (and the gradient) shrinks geometrically with depth: **vanishing**; above 1 it
# grows: **exploding**. The initialisations that keep it at 1:
#
# - **Xavier/Glorot** $\operatorname{Var}(W) = 2/(D_{in} + D_{out})$ for tanh (gain ≈ 1 near 0);
# - **He/Kaiming** $\operatorname{Var}(W) = 2/D_{in}$ for ReLU, which zeroes half of its inputs
#   and so halves the second moment.
#
# **Experiment.** A 10-layer, 128-wide MLP on a batch of digits; one forward and backward
# pass; the standard deviation of every hidden layer's activations and of the gradient reaching
# it, for five (activation, init) pairs.

# %%
depth, width = 10, 128
configs = {
    "sigmoid, N(0, 0.01²)": ("sigmoid", 0.01),
    "tanh, N(0, 0.01²)": ("tanh", 0.01),
    "tanh, Xavier": ("tanh", "xavier"),
    "ReLU, He": ("relu", "he"),
    "ReLU, N(0, 0.2²)": ("relu", 0.2),
}
Xb, yb = Xtr[:256], ytr[:256]
all_stats = {}
for name, (act, init) in configs.items():
    m = make_mlp([64] + [width] * depth + [10], activation=act, init=init, random_state=0)
    all_stats[name] = layer_statistics(m, Xb, yb)
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for name, stats in all_stats.items():
    layers_ = [s["layer"] for s in stats]
    axes[0].semilogy(layers_, [s["act_std"] for s in stats], "o-", ms=3, label=name)
    axes[1].semilogy(layers_, [s["grad_std"] for s in stats], "o-", ms=3, label=name)
axes[0].set(xlabel="hidden layer", ylabel="std of activations", title="Forward: activations")
axes[1].set(xlabel="hidden layer", ylabel="std of ∂L/∂activation", title="Backward: gradients")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
for name, stats in all_stats.items():
    ratio = stats[0]["grad_std"] / stats[-1]["grad_std"]
    print(f"{name:22s} activation std layer 1 → {depth}: {stats[0]['act_std']:.1e} → "
          f"{stats[-1]['act_std']:.1e};  gradient std ratio first/last layer {ratio:.1e}")

# %% [markdown]
# **What happened.** With tiny weights the tanh activations shrink by ~10× per layer and the
# gradients reaching the first layers are orders of magnitude smaller than at the top: those
# layers barely learn. The sigmoid is worse in a different way: its outputs sit at 0.5 (not
# centred) and its slope is at most 1/4, so gradients shrink at least 4× per layer. Xavier
# (tanh) and He (ReLU) keep both curves flat across all ten layers. Too large a scale for ReLU
# (σ = 0.2 > √(2/128) ≈ 0.125) makes activations grow geometrically: exploding. The same
# arithmetic reappears in Project 11.75, where the "layers" are time steps sharing one matrix.
#
# ## Experiment 4 — Finding a learning rate
#
# **Hypothesis.** Sweeping the learning rate geometrically during a short run shows three
# regimes: too small (loss flat), good (loss falls fast), too large (loss explodes). A good
# rate is where the loss falls fastest, about a decade below the explosion.
#
# **Experiment.** The LR range test on digits with plain SGD, $10^{-4} \to 10^{2}$ over a few
# hundred mini-batches; then train with the suggested rate and with rates 10× and 100× larger.

# %%
m = make_mlp([64, 128, 10], random_state=0)
lrs, lr_losses = lr_range_test(m, SGD(m.parameters()), Xtr, ytr, lr_min=1e-4, lr_max=100.0,
                               n_steps=150 if QUICK else 400, batch_size=32)
lr_suggested = suggest_lr(lrs, lr_losses)
print(f"suggested learning rate: {lr_suggested:.3g} (loss minimum at {lrs[np.argmin(lr_losses)]:.3g})")
trial_hist = {}
for factor in (1, 10, 100):
    m = make_mlp([64, 128, 10], random_state=0)
    h = fit_classifier(m, Xtr, ytr, SGD(m.parameters(), lr=factor * lr_suggested), epochs=5,
                       batch_size=32)
    trial_hist[f"η = {factor}× suggested ({factor * lr_suggested:.2g}): test acc {accuracy(m, Xte, yte):.2f}"] = h["loss"]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
axes[0].semilogx(lrs, lr_losses)
axes[0].axvline(lr_suggested, color="g", ls="--", label=f"suggested {lr_suggested:.2g}")
axes[0].set(xlabel="learning rate", ylabel="smoothed loss", title="LR range test (SGD, digits)")
axes[0].legend()
plot_loss_curves(trial_hist, ax=axes[1], title="Training with the suggested rate and larger ones",
                 xlabel="mini-batch step")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What happened.** The curve is flat for tiny rates, dips, then shoots up once steps
# overshoot the valley (Project 01's $2/\lambda_{\max}$ cliff, now for a non-quadratic loss).
# The suggested rate trains steadily. Ten times larger (near the curve's minimum) is faster but
# much noisier: it works, right at the edge. A hundred times larger blows up in the first steps
# and never recovers (test accuracy at chance). The suggestion is a safe start, not the
# optimum: the finder gives you the *range*, and the best rate usually lies between the
# suggestion and the minimum. It costs one short run and replaces a blind grid search over $\eta$.
#
# ## Experiment 5 — Deep and narrow or shallow and wide?
#
# **Hypothesis.** At a fixed **parameter count**, a deeper network can represent more complex
# functions (compositions), but on a small tabular-like problem depth mostly adds optimisation
# difficulty; there is a sweet spot at modest depth.
#
# **Experiment.** Networks with 1 to 8 hidden layers, each with the width that gives ≈ 20 000
# parameters (`mlp_sizes_for_budget`), trained identically (Adam, He init) on digits and on
# the spirals; test accuracy against depth.

# %%
depths = [1, 2, 4, 8] if QUICK else [1, 2, 3, 4, 6, 8, 12]
seeds = [0] if QUICK else [0, 1, 2]
Xsp_tr, Xsp_te, ysp_tr, ysp_te = train_test_split(X_sp, y_sp, test_size=0.3, random_state=0)
results = {"digits": [], "spirals": []}
for d in depths:
    for task, (A, a, B_, b_), n_in, n_out in [("digits", (Xtr, ytr, Xte, yte), 64, 10),
                                              ("spirals", (Xsp_tr, ysp_tr, Xsp_te, ysp_te), 2, 3)]:
        sizes = mlp_sizes_for_budget(n_in, n_out, d, 20_000 if task == "digits" else 5_000)
        accs = []
        for s in seeds:
            m = make_mlp(sizes, random_state=s)
            fit_classifier(m, A, a, Adam(m.parameters(), lr=2e-3), batch_size=32, random_state=s,
                           epochs=(12 if task == "digits" else 40) if QUICK else (30 if task == "digits" else 200))
            accs.append(accuracy(m, B_, b_))
        results[task].append(np.mean(accs))
        print(f"{task:8s} depth {d:2d}  width {sizes[1]:4d}  params {mlp_n_params(sizes):6,d}  "
              f"test acc {np.mean(accs):.3f}")
fig, ax = plt.subplots(figsize=(6, 3.6))
for task, accs in results.items():
    ax.plot(depths, accs, "o-", label=f"{task} ({'20k' if task == 'digits' else '5k'} params)")
ax.set(xscale="log", xlabel="number of hidden layers (width adjusted)", ylabel="test accuracy",
       title="Depth vs width at an equal parameter count")
ax.set_xticks(depths, [str(d) for d in depths])
ax.legend()
plt.show()

# %% [markdown]
# **What happened.** On digits, one wide hidden layer is as good as anything and accuracy
# slips as depth grows (in full mode, 12 layers of 39 units fall to about 0.95): the classes
# are nearly separable after one nonlinearity, and each extra layer only makes every layer
# narrower and the network harder to optimise. On the spirals the single very wide layer learns
# slowest (with the quick-mode budget it clearly lags; given enough epochs every shape gets
# there): composing folds builds the curved boundary more efficiently than placing hundreds of
# folds side by side. Depth pays when the function is compositional *and* the network stays
# easy to optimise; very deep plain MLPs need normalisation and residual connections, the two
# things the transformer adds (Project 12).
#
# ## Proof: the same gradients and the same training as PyTorch
#
# The library's gradients are tested against PyTorch autograd layer by layer in
# `tests/neural/`. Here is the whole-network version: copy our weights into a PyTorch MLP
# (PyTorch stores `weight = W.T`), run both in float64 on the same digits batch, and compare
# the loss and every parameter gradient. Then train both with SGD + momentum on the same
# mini-batches for 30 steps: the loss curves must coincide. Tolerance: we require agreement
# with PyTorch autograd to 1e-6; float64 arithmetic in a different order typically agrees to ~1e-14.

# %%
import torch

torch.set_num_threads(1)
ours = make_mlp([64, 32, 32, 10], activation="tanh", init="xavier", random_state=3)
lin = [layer for layer in ours.layers if isinstance(layer, Linear)]
theirs = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                             torch.nn.Tanh(), torch.nn.Linear(32, 10)).double()
with torch.no_grad():
    for ours_lin, t_lin in zip(lin, [theirs[0], theirs[2], theirs[4]]):
        t_lin.weight.copy_(torch.tensor(ours_lin.W.data.T))
        t_lin.bias.copy_(torch.tensor(ours_lin.b.data))
loss_fn = SoftmaxCrossEntropy()
loss_ours = loss_fn.forward(ours.forward(Xtr[:128]), ytr[:128])
ours.backward(loss_fn.backward())
loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(Xtr[:128])), torch.tensor(ytr[:128]))
loss_t.backward()
worst = max(max(relative_error(o.W.grad, t.weight.grad.numpy().T), relative_error(o.b.grad, t.bias.grad.numpy()))
            for o, t in zip(lin, [theirs[0], theirs[2], theirs[4]]))
print(f"loss: ours {loss_ours:.15f}, torch {loss_t.item():.15f}")
print(f"max relative gradient difference over all parameters: {worst:.1e}")
assert abs(loss_ours - loss_t.item()) < 1e-10 and worst < 1e-6

opt_ours = SGD(ours.parameters(), lr=0.1, momentum=0.9)
opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
batches = np.random.default_rng(0).permutation(len(Xtr))[: 30 * 32].reshape(30, 32)
curve_ours, curve_t = [], []
for idx in batches:
    curve_ours.append(loss_fn.forward(ours.forward(Xtr[idx]), ytr[idx]))
    ours.backward(loss_fn.backward())
    opt_ours.step()
    opt_t.zero_grad()
    lt = torch.nn.functional.cross_entropy(theirs(torch.tensor(Xtr[idx])), torch.tensor(ytr[idx]))
    lt.backward()
    opt_t.step()
    curve_t.append(lt.item())
gap = np.max(np.abs(np.array(curve_ours) - np.array(curve_t)))
print(f"30 SGD+momentum steps: max |loss_ours − loss_torch| = {gap:.1e}")
assert gap < 1e-6

# %% [markdown]
# Speed: `benchmarks/bench_mlp.py` times one epoch of this NumPy MLP against a PyTorch CPU MLP
# of the same architecture (both single-threaded); the ratio is in this project's README.
#
# ## What you learned
#
# - **Backpropagation** is the chain rule applied layer by layer in reverse; each layer needs
#   only its cached forward values and the upstream gradient. You wrote the backward passes of
#   Linear ($\bar x = \bar y W^\top$, $\bar W = x^\top \bar y$, $\bar b = \sum \bar y$), ReLU
#   and softmax cross-entropy ($p - \mathrm{onehot}$).
# - A **gradient check** with centred differences and relative error catches backward bugs;
#   every layer here passes it, and the whole network equals PyTorch autograd to ~1e-15.
# - A hidden layer turns lines into curves (spirals); ≥ 97 % on digits takes a few seconds.
# - **Initialisation** sets the per-layer gain: too small vanishes, too large explodes; Xavier
#   (tanh) and He (ReLU) keep signals alive through depth.
# - **Momentum** averages away oscillation; **Adam** rescales each coordinate by its gradient
#   history, with bias correction for the first steps.
# - The **learning-rate finder** picks $\eta$ in one short run; at equal parameter count, depth
#   helps only when the problem is compositional and the network can still be optimised.
#
# **Next:** Project 11.75 reuses these layers through *time*: a recurrent network is a deep
# network whose layers share one weight matrix, and Experiment 3's arithmetic becomes the
# vanishing-gradient problem that motivated attention.
#
# Glossary: [backpropagation](../../../docs/GLOSSARY.md#backpropagation),
# [gradient check](../../../docs/GLOSSARY.md#gradient-check),
# [activation function](../../../docs/GLOSSARY.md#activation-function),
# [cross-entropy](../../../docs/GLOSSARY.md#cross-entropy),
# [weight initialization](../../../docs/GLOSSARY.md#weight-initialization),
# [vanishing gradients](../../../docs/GLOSSARY.md#vanishing-gradients),
# [momentum](../../../docs/GLOSSARY.md#momentum),
# [Adam](../../../docs/GLOSSARY.md#adam),
# [learning rate](../../../docs/GLOSSARY.md#learning-rate),
# [batch normalization](../../../docs/GLOSSARY.md#batch-normalization),
# [dropout](../../../docs/GLOSSARY.md#dropout).
