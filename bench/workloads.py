"""The four training workloads of the side-by-side benchmark, written once for both frameworks.

Each model is defined by ONE function that receives a framework adapter (``fw.nn``, ``fw.F``,
``fw.optim``): the Lucid and the PyTorch model are the same code, so they cannot drift apart.
Both start from the same weights, drawn with NumPy from a fixed seed (see :func:`make_weights`)
and copied into the model, and see the same fixed batch. One benchmark step is a full training
step: ``zero_grad``, forward, loss, ``backward``, ``optimizer.step()``.

========  =====================================================================================
mlp       784-512-512-10 ReLU MLP, batch 128, cross-entropy, SGD(lr=0.01, momentum=0.9)
cnn       LeNet-like: conv 5x5 (1->6), relu, maxpool 2, conv 5x5 (6->16), relu, maxpool 2,
          fc 256->120, relu, fc 120->84, relu, fc 84->10; batch 64x1x28x28; cross-entropy; Adam
attn      pre-norm transformer block on (16, 64, 128) inputs: x + proj(attn(LN(x))) with 4 heads
          of 32, then x + fc2(gelu(fc1(LN(x)))) with 128->512->128, then mean over the sequence
          and a linear head to 10 classes; cross-entropy; Adam. Built from Linear, LayerNorm,
          matmul and softmax in both frameworks (not a fused MultiheadAttention).
tiny      32-32-1 ReLU MLP, batch 8, MSE, SGD(lr=0.01): measures per-op overhead
========  =====================================================================================

:func:`gemm_macs` counts each workload's multiply-accumulates per training step analytically,
for the limit probe (``bench/probe.py``).
"""

import math
import zlib

import numpy as np

SEED = 1234
NUM_CLASSES = 10

# Hyper-parameters, shared by both frameworks.
MLP_BATCH, MLP_SIZES = 128, (784, 512, 512, 10)
CNN_BATCH = 64
ATTN_BATCH, ATTN_SEQ, ATTN_DIM, ATTN_HEADS, ATTN_HIDDEN = 16, 64, 128, 4, 512
TINY_BATCH, TINY_SIZES = 8, (32, 32, 1)
SGD_LR, SGD_MOMENTUM, ADAM_LR = 0.01, 0.9, 1e-3

WORKLOADS = ("mlp", "cnn", "attn", "tiny")

DESCRIPTIONS = {
    "mlp": "MLP 784-512-512-10, batch 128, CE, SGD momentum",
    "cnn": "LeNet-like 2 conv 5x5 + pool + 3 fc, batch 64x1x28x28, CE, Adam",
    "attn": "pre-norm transformer block, 4 heads, d 128, seq 64, batch 16, CE, Adam",
    "tiny": "MLP 32-32-1, batch 8, MSE, SGD (per-op overhead)",
}


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:   # not installed as a distribution: the version is only informative
        return "?"


# ---------------------------------------------------------------------------------------------
# Framework adapters: the only place where Lucid and PyTorch are told apart.
# ---------------------------------------------------------------------------------------------

class LucidAdapter:
    """Lucid's namespaces plus the four conversions the workloads need."""

    name = "lucid"

    def __init__(self, threads=None):
        import lucid
        import lucid.nn as nn
        import lucid.nn.functional as F
        import lucid.optim as optim
        self.lib, self.nn, self.F, self.optim = lucid, nn, F, optim
        self.version = getattr(lucid, "__version__", None) or _dist_version("lucid")

    def tensor(self, array):
        """A float32 (or int64) tensor that needs no gradient, holding a copy of ``array``."""
        return self.lib.tensor(np.array(array))

    def set_param(self, param, array):
        if tuple(param.shape) != array.shape:
            raise ValueError(f"parameter shape {tuple(param.shape)} != weights {array.shape}")
        param.data = np.array(array, dtype=np.float32)

    def item(self, t):
        return float(t.item())


class TorchAdapter:
    """PyTorch's namespaces; ``threads`` goes to ``torch.set_num_threads``."""

    name = "torch"

    def __init__(self, threads=None):
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        if threads:
            torch.set_num_threads(threads)
        self.lib, self.nn, self.F, self.optim = torch, nn, F, optim
        self.version = torch.__version__

    def tensor(self, array):
        return self.lib.from_numpy(np.array(array))

    def set_param(self, param, array):
        if tuple(param.shape) != array.shape:
            raise ValueError(f"parameter shape {tuple(param.shape)} != weights {array.shape}")
        with self.lib.no_grad():
            param.copy_(self.lib.from_numpy(np.array(array, dtype=np.float32)))

    def item(self, t):
        return float(t.item())


ADAPTERS = {"lucid": LucidAdapter, "torch": TorchAdapter}


# ---------------------------------------------------------------------------------------------
# The models, each written once against an adapter.
# ---------------------------------------------------------------------------------------------

def _mlp_model(fw, sizes):
    nn, F = fw.nn, fw.F

    class MLP(nn.Module):
        """Linear layers with ReLU between them (none after the last)."""

        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(sizes[0], sizes[1])
            self.fc2 = nn.Linear(sizes[1], sizes[2])
            if len(sizes) > 3:
                self.fc3 = nn.Linear(sizes[2], sizes[3])

        def forward(self, x):
            h = F.relu(self.fc1(x))
            if len(sizes) > 3:
                return self.fc3(F.relu(self.fc2(h)))
            return self.fc2(h)

    return MLP()


def _cnn_model(fw):
    nn, F = fw.nn, fw.F

    class LeNet(nn.Module):
        """(N, 1, 28, 28) -> conv5 -> (N, 6, 24, 24) -> pool -> (N, 6, 12, 12) -> conv5 ->
        (N, 16, 8, 8) -> pool -> (N, 16, 4, 4) = 256 features -> 120 -> 84 -> 10."""

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.pool = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(256, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, NUM_CLASSES)

        def forward(self, x):
            h = self.pool(F.relu(self.conv1(x)))
            h = self.pool(F.relu(self.conv2(h)))
            h = h.reshape(h.shape[0], 256)
            h = F.relu(self.fc1(h))
            h = F.relu(self.fc2(h))
            return self.fc3(h)

    return LeNet()


def _attn_model(fw):
    nn, F = fw.nn, fw.F
    d, heads = ATTN_DIM, ATTN_HEADS
    head_dim = d // heads
    scale = 1.0 / math.sqrt(head_dim)

    class Block(nn.Module):
        """Pre-norm transformer block and a classifier head, on (B, T, d) inputs.

        q, k, v = split(qkv(LN1(x))) as (B, H, T, d/H);  a = softmax(q k^T / sqrt(d/H)) v;
        x = x + proj(a as (B, T, d));  x = x + fc2(gelu(fc1(LN2(x))));  logits = head(mean_T x).
        """

        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d)
            self.fc1 = nn.Linear(d, ATTN_HIDDEN)
            self.fc2 = nn.Linear(ATTN_HIDDEN, d)
            self.head = nn.Linear(d, NUM_CLASSES)

        def forward(self, x):
            b, t, _ = x.shape
            qkv = self.qkv(self.ln1(x)).reshape(b, t, 3, heads, head_dim)
            q = qkv[:, :, 0].swapaxes(1, 2)          # (B, H, T, hd)
            k = qkv[:, :, 1].swapaxes(1, 2)
            v = qkv[:, :, 2].swapaxes(1, 2)
            att = F.softmax((q @ k.swapaxes(-2, -1)) * scale, dim=-1)   # (B, H, T, T)
            a = (att @ v).swapaxes(1, 2).reshape(b, t, d)
            x = x + self.proj(a)
            x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
            return self.head(x.mean(dim=1))

    return Block()


# ---------------------------------------------------------------------------------------------
# Weights and data
# ---------------------------------------------------------------------------------------------

def _rng(name, workload):
    """A generator seeded by (SEED, workload, parameter name): independent of creation order."""
    return np.random.default_rng([SEED, zlib.crc32(workload.encode()), zlib.crc32(name.encode())])


def make_weights(workload, spec):
    """float32 arrays for ``spec`` = [(name, shape)], the same in every process.

    Matrices and conv kernels: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = prod(shape[1:])
    (PyTorch's default bound). 1-D ``weight`` (norm scales): 1 + U(-0.1, 0.1); 1-D ``bias``:
    U(-0.1, 0.1). Non-trivial scales and shifts so that every parameter's gradient path counts.
    """
    out = {}
    for name, shape in spec:
        rng = _rng(name, workload)
        if len(shape) >= 2:
            bound = 1.0 / math.sqrt(math.prod(shape[1:]))
            arr = rng.uniform(-bound, bound, shape)
        elif name.endswith("weight"):
            arr = 1.0 + rng.uniform(-0.1, 0.1, shape)
        else:
            arr = rng.uniform(-0.1, 0.1, shape)
        out[name] = arr.astype(np.float32)
    return out


def make_data(workload):
    """The fixed batch (inputs, targets) as NumPy arrays: float32 inputs; int64 class labels,
    or float32 regression targets for ``tiny``."""
    rng = np.random.default_rng([SEED, zlib.crc32(workload.encode()), 0])
    if workload == "mlp":
        x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]))
        y = rng.integers(0, NUM_CLASSES, MLP_BATCH)
    elif workload == "cnn":
        x = rng.standard_normal((CNN_BATCH, 1, 28, 28))
        y = rng.integers(0, NUM_CLASSES, CNN_BATCH)
    elif workload == "attn":
        x = rng.standard_normal((ATTN_BATCH, ATTN_SEQ, ATTN_DIM))
        y = rng.integers(0, NUM_CLASSES, ATTN_BATCH)
    elif workload == "tiny":
        x = rng.standard_normal((TINY_BATCH, TINY_SIZES[0]))
        y = rng.standard_normal((TINY_BATCH, TINY_SIZES[-1])).astype(np.float32)
    else:
        raise ValueError(f"unknown workload {workload!r}; expected one of {WORKLOADS}")
    return x.astype(np.float32), y


# ---------------------------------------------------------------------------------------------
# Building a training step
# ---------------------------------------------------------------------------------------------

class Setup:
    """A ready-to-run workload: ``step()`` runs one training step and returns the loss tensor.

    ``spec`` lists (parameter name, shape) as the model registered them, so that the harness
    can check that both frameworks built the same model.
    """

    def __init__(self, fw, model, optimizer, loss_fn, x, y, spec):
        self.fw, self.model, self.optimizer = fw, model, optimizer
        self.loss_fn, self.x, self.y, self.spec = loss_fn, x, y, spec

    def step(self):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss


def build(workload, fw):
    """Model, optimizer, loss and data of ``workload`` in framework adapter ``fw``."""
    if workload == "mlp":
        model = _mlp_model(fw, MLP_SIZES)
    elif workload == "cnn":
        model = _cnn_model(fw)
    elif workload == "attn":
        model = _attn_model(fw)
    elif workload == "tiny":
        model = _mlp_model(fw, TINY_SIZES)
    else:
        raise ValueError(f"unknown workload {workload!r}; expected one of {WORKLOADS}")

    params = list(model.named_parameters())
    spec = [(name, tuple(int(s) for s in p.shape)) for name, p in params]
    weights = make_weights(workload, spec)
    for name, p in params:
        fw.set_param(p, weights[name])

    plist = [p for _, p in params]
    if workload == "mlp":
        optimizer = fw.optim.SGD(plist, lr=SGD_LR, momentum=SGD_MOMENTUM)
    elif workload == "tiny":
        optimizer = fw.optim.SGD(plist, lr=SGD_LR)
    else:
        optimizer = fw.optim.Adam(plist, lr=ADAM_LR)

    loss_fn = fw.F.mse_loss if workload == "tiny" else fw.F.cross_entropy
    x, y = make_data(workload)
    return Setup(fw, model, optimizer, loss_fn, fw.tensor(x), fw.tensor(y), spec)


# ---------------------------------------------------------------------------------------------
# FLOPs, for the limit probe
# ---------------------------------------------------------------------------------------------

def _layers(workload):
    """GEMM-like layers as (label, forward MACs, operands whose gradient backward computes).

    A weighted layer (linear, conv) computes the weight gradient (one GEMM the size of the
    forward) and, unless its input is the data batch, the input gradient (another). A matmul of
    two activations (attention) computes both operands' gradients.
    """
    if workload in ("mlp", "tiny"):
        sizes, n = (MLP_SIZES, MLP_BATCH) if workload == "mlp" else (TINY_SIZES, TINY_BATCH)
        return [(f"fc{i + 1}", n * a * b, 1 if i == 0 else 2)
                for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    if workload == "cnn":
        n = CNN_BATCH
        return [("conv1", n * 24 * 24 * 6 * (1 * 5 * 5), 1),
                ("conv2", n * 8 * 8 * 16 * (6 * 5 * 5), 2),
                ("fc1", n * 256 * 120, 2), ("fc2", n * 120 * 84, 2),
                ("fc3", n * 84 * NUM_CLASSES, 2)]
    if workload == "attn":
        tokens = ATTN_BATCH * ATTN_SEQ
        d = ATTN_DIM
        # q k^T and att v: per (batch, head), T x hd x T and T x T x hd MACs.
        att = ATTN_BATCH * ATTN_HEADS * ATTN_SEQ * ATTN_SEQ * (d // ATTN_HEADS)
        return [("qkv", tokens * d * 3 * d, 2), ("q k^T", att, 2), ("att v", att, 2),
                ("proj", tokens * d * d, 2), ("fc1", tokens * d * ATTN_HIDDEN, 2),
                ("fc2", tokens * ATTN_HIDDEN * d, 2), ("head", ATTN_BATCH * d * NUM_CLASSES, 2)]
    raise ValueError(f"unknown workload {workload!r}; expected one of {WORKLOADS}")


def gemm_macs(workload):
    """(forward MACs, training-step MACs) of the GEMM-like work of one step.

    Elementwise work (activations, norms, softmax, the optimizer) is memory-bound and not
    counted, so ``2 * MACs / peak GEMM FLOP/s`` is a lower bound on the step time.
    """
    layers = _layers(workload)
    forward = sum(m for _, m, _ in layers)
    train = sum(m * (1 + grads) for _, m, grads in layers)
    return forward, train


def train_flops(workload):
    """FLOPs (2 per MAC) of the GEMM-like work of one training step."""
    return 2 * gemm_macs(workload)[1]
