"""Normalisation layers as fused ops: batch, instance, layer, group and RMS norm, and GRN.

Every norm here is one computation seen through a different reshape. The input x is viewed as
``view`` (a reshape, no copy); statistics are taken over the ``axes`` of that view; the affine
parameters are reshaped to ``param_view``, which broadcasts against the view from the right:

    norm            x              view                    axes     param_view
    batch_norm      (N, C, *S)     (N, C, prod S)          (0, 2)   (C, 1)
    instance_norm   (N, C, *S)     (N, C, prod S)          (2,)     (C, 1)
    layer_norm      (*B, *D)       (prod B, prod D)        (1,)     (prod D,)
    group_norm      (N, C, *S)     (N, G, C/G, prod S)     (2, 3)   (G, C/G, 1)
    rms_norm        (*B, *D)       (prod B, prod D)        (1,)     (prod D,)  (no centring)

Over each set of M elements that share statistics (one "group"):

    mu = mean(x),  var = mean((x - mu)^2)  (biased),  r = 1 / sqrt(var + eps)
    x_hat = (x - mu) r,   y = gamma x_hat + beta

and, with G = dL/dy and g_hat = G gamma, the closed-form gradient (the mean and the variance
depend on every x of the group, which gives the two correction terms):

    dL/dx     = (r / M) (M g_hat - sum(g_hat) - x_hat sum(g_hat x_hat))
    dL/dgamma = sum of G x_hat over everything but gamma's axes,  dL/dbeta = sum of G likewise.

RMS norm drops the centring (mu = 0, var = mean(x^2)) and with it the sum(g_hat) term. In eval
mode batch/instance norm use running statistics: constants, so dL/dx = g_hat r.

The composite forms (mean/var ops) live in the tests as the oracle of these fused ops.
"""

import math

from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.ops._util import sum_to

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "global_response_norm"]


def _moments(xv, axes, center, eps):
    """(mean or None, 1/sqrt(var + eps)) over ``axes``, kept; written with methods and operators
    so that on Tensors it records a graph (used by backward under create_graph)."""
    if center:
        mean = xv.mean(axis=axes, keepdims=True)
        xc = xv - mean
    else:
        mean, xc = None, xv
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return mean, (var + eps) ** -0.5


class _Layout:
    """The shapes of one call: ``view`` (x's shape seen as), ``axes`` (statistics run over
    them), ``param_view`` (gamma/beta's shape seen as, right-aligned), and from these the einsum
    specs that reduce without building a temporary product: over the axes ("abc->b" for batch
    norm's (N, C, L) view) and over everything but gamma's axes."""

    def __init__(self, view, axes, param_view):
        self.view, self.axes, self.param_view = tuple(view), tuple(axes), tuple(param_view)
        letters = "abcdefghijklmnop"[:len(view)]
        full_pv = (1,) * (len(view) - len(param_view)) + self.param_view
        kept = "".join(c for i, c in enumerate(letters) if i not in axes)
        own = "".join(c for i, c in enumerate(letters) if full_pv[i] != 1)
        self.reduce = f"{letters}->{kept}"            # sum over the axes
        self.dot = f"{letters},{letters}->{kept}"     # sum of a product over the axes
        self.param_reduce = f"{letters}->{own}"       # sum down to gamma's axes
        self.param_dot = f"{letters},{letters}->{own}"
        self.stat_shape = tuple(1 if i in axes else n for i, n in enumerate(view))
        self.count = math.prod(view[a] for a in axes)
        # gamma constant over each group (batch/instance norm): sums over a group can be taken
        # on G itself and scaled by gamma afterwards
        self.per_group = all(full_pv[a] == 1 for a in axes)
        # is (statistic x gamma), broadcast, smaller than x? (yes for group norm's per-channel
        # gamma, which is constant along the spatial axis; no for layer norm's)
        self.small_scale = any(s == 1 and p == 1 and n > 1
                               for s, p, n in zip(self.stat_shape, full_pv, view))


class Normalize(Function):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta, statistics over ``axes`` of ``view``.

    Keyword arguments (see the module docstring for the layouts):
    ``view``: the shape x is seen as; ``axes``: the axes of the view the statistics run over;
    ``param_view``: the shape weight and bias are seen as (broadcasting from the right);
    ``eps``; ``center``: subtract the mean (False gives RMS norm); ``stats``: a (mean, var) pair
    of constants (running statistics, broadcastable to the view) to use instead of the batch's;
    ``on_stats(mean, var)``: called with the batch statistics (kept axes, biased var) so that a
    caller can update running statistics without computing them a second time.

    Backward has two forms of the same closed formula: on raw arrays it works in place with
    einsum reductions (no temporary products, two allocations); under create_graph it is written
    with operators and recomputes the statistics from x with differentiable ops, so even the
    second derivative is right.
    """

    def forward(ctx, x, weight=None, bias=None, *, view, axes, param_view, eps, center=True,
                stats=None, on_stats=None):
        xp = ctx.xp
        lay = _Layout(view, axes, param_view)
        xv = x.reshape(view)
        # the output has x's dtype, whatever the parameters' (their grads get theirs back)
        w = None if weight is None else weight.reshape(param_view).astype(x.dtype, copy=False)
        b = None if bias is None else bias.reshape(param_view).astype(x.dtype, copy=False)
        fixed = stats is not None
        if fixed:
            mean = stats[0].astype(x.dtype, copy=False)
            inv_std = 1.0 / xp.sqrt(stats[1].astype(x.dtype, copy=False) + eps)
        elif center:
            mean = xv.mean(axis=axes, keepdims=True)
            out = xv - mean  # fresh: from here on the output is built in it, in place
        else:
            mean = None
            out = xv.copy()  # never write into the input
        if not fixed:
            var = xp.einsum(lay.dot, out, out).reshape(lay.stat_shape) / lay.count
            inv_std = 1.0 / xp.sqrt(var + eps)
            if on_stats is not None:
                on_stats(mean, var)
        if fixed or w is None or lay.per_group:
            # per group an affine map: y = x * scale + shift, one multiply and one add
            scale = inv_std if w is None else inv_std * w
            if fixed:
                shift = -mean * scale if b is None else b - mean * scale
                out = xv * scale
                out += shift
            else:
                out *= scale
                if b is not None:
                    out += b
        else:
            if lay.small_scale:  # group norm: inv_std * w is (N, G, C/G, 1), far smaller than x
                out *= inv_std * w
            else:  # layer norm: inv_std * w would be as large as x
                out *= inv_std
                out *= w
            if b is not None:
                out += b
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.inv_std, ctx.fixed, ctx.eps, ctx.center = mean, inv_std, fixed, eps, center
        ctx.layout = lay
        ctx.bias_shape = None if bias is None else bias.shape
        return out.reshape(x.shape)

    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs = (tuple(ctx.needs_input_grad) + (False, False))[:3]
        if ctx._create_graph:
            grads = _backward_graph(ctx, x, weight, grad, *needs)
        else:
            grads = _backward_raw(ctx, x, weight, grad, *needs)
        grad_x, grad_w, grad_b = grads
        return (None if grad_x is None else grad_x.reshape(x.shape),
                None if grad_w is None else grad_w.reshape(weight.shape),
                None if grad_b is None else grad_b.reshape(ctx.bias_shape))


def _backward_raw(ctx, x, weight, grad, need_x, need_w, need_b):
    """The closed form on raw arrays: einsum for every sum, the rest in place."""
    xp, lay, count = ctx.xp, ctx.layout, ctx.layout.count
    mean, inv_std = ctx.mean, ctx.inv_std
    gv = grad.reshape(lay.view)
    w = None if weight is None else weight.reshape(lay.param_view)
    x_hat = x.reshape(lay.view) - mean if mean is not None else x.reshape(lay.view).copy()
    x_hat *= inv_std
    grad_x = grad_w = grad_b = None
    if w is None or lay.per_group:
        sum_g = xp.einsum(lay.reduce, gv) if (need_b or ctx.center) else None
        sum_gx = xp.einsum(lay.dot, gv, x_hat)
        if need_w:
            grad_w = sum_to(sum_gx.reshape(lay.stat_shape), lay.param_view)
        if need_b:
            grad_b = sum_to(sum_g.reshape(lay.stat_shape), lay.param_view)
        if need_x:
            scale = inv_std if w is None else inv_std * w
            if ctx.fixed:
                return gv * scale, grad_w, grad_b
            # dx = scale (G - sum(G)/M - x_hat sum(G x_hat)/M), built in x_hat's memory
            x_hat *= (sum_gx / count).reshape(lay.stat_shape)
            grad_x = xp.subtract(gv, x_hat, out=x_hat)
            if ctx.center:
                grad_x -= (sum_g / count).reshape(lay.stat_shape)
            grad_x *= scale
        return grad_x, grad_w, grad_b
    if need_w:
        grad_w = xp.einsum(lay.param_dot, gv, x_hat)
    if need_b:
        grad_b = xp.einsum(lay.param_reduce, gv)
    if need_x:
        g_hat = gv * w
        if ctx.fixed:
            g_hat *= inv_std
            return g_hat, grad_w, grad_b
        sum_ghx = xp.einsum(lay.dot, g_hat, x_hat).reshape(lay.stat_shape)
        sum_gh = xp.einsum(lay.reduce, g_hat).reshape(lay.stat_shape) if ctx.center else None
        x_hat *= sum_ghx / count
        g_hat -= x_hat
        if ctx.center:
            g_hat -= sum_gh / count
        g_hat *= inv_std
        grad_x = g_hat
    return grad_x, grad_w, grad_b


def _backward_graph(ctx, x, weight, grad, need_x, need_w, need_b):
    """The same closed form with operators and methods only, so that on Tensors (under
    create_graph) it records a graph; the batch statistics are recomputed from x so that their
    dependence on x is part of that graph."""
    lay, count = ctx.layout, ctx.layout.count
    axes, pv = lay.axes, lay.param_view
    xv = x.reshape(lay.view)
    mean, inv_std = ctx.mean, ctx.inv_std
    if not ctx.fixed:
        mean, inv_std = _moments(xv, axes, ctx.center, ctx.eps)
    x_hat = xv * inv_std if mean is None else (xv - mean) * inv_std
    gv = grad.reshape(lay.view)
    grad_x = grad_w = grad_b = None
    if need_w:
        grad_w = sum_to(gv * x_hat, pv)
    if need_b:
        grad_b = sum_to(gv, pv)
    if need_x:
        g_hat = gv if weight is None else gv * weight.reshape(pv)
        if ctx.fixed:
            grad_x = g_hat * inv_std
        else:
            inner = g_hat - x_hat * ((g_hat * x_hat).sum(axis=axes, keepdims=True) / count)
            if ctx.center:
                inner = inner - g_hat.sum(axis=axes, keepdims=True) / count
            grad_x = inner * inv_std
    return grad_x, grad_w, grad_b


# ---------------------------------------------------------------------------- argument checks
def _raw(t):
    return t._data if isinstance(t, Tensor) else t


def _check_float(name, x):
    kind = getattr(getattr(_raw(x), "dtype", None), "kind", None)
    if kind != "f":
        raise TypeError(f"{name} expects a floating-point input, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")


def _check_param(name, what, t, shape):
    if t is not None and tuple(t.shape) != tuple(shape):
        raise ValueError(f"{name}: {what} should have shape {tuple(shape)}, got "
                         f"{tuple(t.shape)}")


def _check_channel_params(name, channels, running_mean, running_var, weight, bias):
    """Each of the four per-channel tensors must be None or of shape (channels,)."""
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_param(name, what, t, (channels,))


def _shape_tuple(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(n) for n in normalized_shape)


def _update_running(running, batch, momentum):
    """running <- (1 - momentum) running + momentum batch, in place (Tensor or raw array)."""
    array = _raw(running)
    array[...] = (1 - momentum) * array + momentum * batch
    if isinstance(running, Tensor):
        running._bump_version()


# ---------------------------------------------------------------------------- the functions
def batch_norm(input_, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over the batch and spatial axes, one statistic per channel.

    x: (N, C) or (N, C, *S); running_mean, running_var, weight, bias: (C,) or None.
    training=True: normalise with the batch's mean and biased variance over (N, *S), and, when
    running statistics are given, update them in place as PyTorch does:
    running_mean <- (1 - momentum) running_mean + momentum mean,
    running_var <- (1 - momentum) running_var + momentum var * M / (M - 1) (the unbiased
    variance, M = N * prod(S)). training=False: normalise with the running statistics.
    y = (x - mean) / sqrt(var + eps) * weight + bias, same shape as x.
    """
    _check_float("batch_norm", input_)
    if input_.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, *), got shape "
                         f"{tuple(input_.shape)}")
    shape = tuple(input_.shape)
    channels = shape[1]
    _check_channel_params("batch_norm", channels, running_mean, running_var, weight, bias)
    # (N, C, *S) seen as (N, C, L): the statistics run over axes 0 and 2
    view = (shape[0], channels, math.prod(shape[2:]))
    kw = dict(view=view, axes=(0, 2), param_view=(channels, 1), eps=eps)
    if training:
        count = view[0] * view[2]
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {shape}")
        if (running_mean is None) != (running_var is None):
            raise ValueError("batch_norm: give both running_mean and running_var, or neither")
        if running_mean is not None:
            def on_stats(mean, var):
                _update_running(running_mean, mean.reshape(channels), momentum)
                _update_running(running_var, var.reshape(channels) * (count / (count - 1)),
                                momentum)
            kw["on_stats"] = on_stats
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given when not "
                             "training (training=False normalises with them)")
        kw["stats"] = (_raw(running_mean).reshape(channels, 1),
                       _raw(running_var).reshape(channels, 1))
    return Normalize.apply(input_, weight, bias, **kw)


def instance_norm(input_, running_mean=None, running_var=None, weight=None, bias=None,
                  training=True, momentum=0.1, eps=1e-5, *, use_input_stats=None):
    """Instance normalisation: each (sample, channel) over its own spatial axes.

    x: (N, C, *S) with S non-empty; weight, bias, running_mean, running_var: (C,) or None.
    ``training`` (PyTorch's ``use_input_stats``, accepted too) True: statistics of each
    instance, and running statistics (if given) move towards the batch average of the instance
    means and unbiased variances. False: normalise with the running statistics.
    """
    if use_input_stats is not None:
        training = use_input_stats
    _check_float("instance_norm", input_)
    if input_.ndim < 3:
        raise ValueError(f"instance_norm expects an input of shape (N, C, *S) with at least "
                         f"one spatial axis, got shape {tuple(input_.shape)}")
    shape = tuple(input_.shape)
    n, channels = shape[0], shape[1]
    _check_channel_params("instance_norm", channels, running_mean, running_var, weight, bias)
    count = math.prod(shape[2:])
    kw = dict(view=(n, channels, count), axes=(2,), param_view=(channels, 1), eps=eps)
    if training:
        if count <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                             f"training, got input of shape {shape}")
        if (running_mean is None) != (running_var is None):
            raise ValueError("instance_norm: give both running_mean and running_var, or neither")
        if running_mean is not None:
            def on_stats(mean, var):
                _update_running(running_mean, mean.reshape(n, channels).mean(axis=0), momentum)
                unbiased = var.reshape(n, channels) * (count / (count - 1))
                _update_running(running_var, unbiased.mean(axis=0), momentum)
            kw["on_stats"] = on_stats
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var must be given when "
                             "not using input statistics")
        kw["stats"] = (_raw(running_mean).reshape(1, channels, 1),
                       _raw(running_var).reshape(1, channels, 1))
    return Normalize.apply(input_, weight, bias, **kw)


def layer_norm(input_, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing axes ``normalized_shape`` (D).

    x: (*, *D); weight, bias: D or None. Each position of the leading axes is normalised over
    its D elements: y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance).
    """
    _check_float("layer_norm", input_)
    dims = _shape_tuple(normalized_shape)
    shape = tuple(input_.shape)
    if len(dims) == 0 or len(dims) > len(shape) or shape[len(shape) - len(dims):] != dims:
        raise ValueError(f"layer_norm: expected an input whose trailing shape is "
                         f"normalized_shape {dims}, got shape {shape}")
    _check_param("layer_norm", "weight", weight, dims)
    _check_param("layer_norm", "bias", bias, dims)
    size = math.prod(dims)
    view = (math.prod(shape) // size if size else 0, size)  # (rows, D flattened)
    return Normalize.apply(input_, weight, bias, view=view, axes=(1,), param_view=(size,),
                           eps=eps)


def group_norm(input_, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: the C channels split into ``num_groups`` groups of C/G channels;
    each (sample, group) is normalised over its channels and spatial positions.

    x: (N, C, *S); weight, bias: (C,) or None (one scale and shift per channel).
    """
    _check_float("group_norm", input_)
    shape = tuple(input_.shape)
    if len(shape) < 2:
        raise ValueError(f"group_norm expects an input of shape (N, C, *), got shape {shape}")
    n, channels = shape[0], shape[1]
    if not isinstance(num_groups, int) or num_groups <= 0 or channels % num_groups:
        raise ValueError(f"group_norm: the {channels} channels of input shape {shape} cannot be "
                         f"split into num_groups={num_groups} equal groups")
    _check_param("group_norm", "weight", weight, (channels,))
    _check_param("group_norm", "bias", bias, (channels,))
    per_group = channels // num_groups
    view = (n, num_groups, per_group, math.prod(shape[2:]))
    return Normalize.apply(input_, weight, bias, view=view, axes=(2, 3),
                           param_view=(num_groups, per_group, 1), eps=eps)


def rms_norm(input_, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing axes ``normalized_shape`` (D).

    y = x / sqrt(mean(x^2) + eps) * weight; no centring and no bias. eps=None uses the
    machine epsilon of x's dtype, as PyTorch does.
    """
    _check_float("rms_norm", input_)
    dims = _shape_tuple(normalized_shape)
    shape = tuple(input_.shape)
    if len(dims) == 0 or len(dims) > len(shape) or shape[len(shape) - len(dims):] != dims:
        raise ValueError(f"rms_norm: expected an input whose trailing shape is "
                         f"normalized_shape {dims}, got shape {shape}")
    _check_param("rms_norm", "weight", weight, dims)
    if eps is None:
        eps = _machine_eps(_raw(input_))
    size = math.prod(dims)
    view = (math.prod(shape) // size if size else 0, size)
    return Normalize.apply(input_, weight, None, view=view, axes=(1,), param_view=(size,),
                           eps=eps, center=False)


def _machine_eps(array):
    # float16 / float32 / float64 without importing numpy: 2^-(mantissa bits)
    return {2: 2.0 ** -10, 4: 2.0 ** -23, 8: 2.0 ** -52}[array.dtype.itemsize]


def global_response_norm(input_, gamma, beta, eps=1e-6):
    """Global response normalisation (ConvNeXt-V2), channels first.

    x: (N, C, *S); gamma, beta: (C,) or (1, C, 1, ..., 1).
    G_nc = ||x_nc||_2 over the spatial axes S;  N_nc = G_nc / (mean_c G_nc + eps);
    y = gamma * (x * N) + beta + x.
    (Lucid 2 took the channel mean over a size-1 axis, so N was ~1, and multiplied x by beta
    instead of adding the residual x.)
    """
    from lucid.ops import sqrt
    if input_.ndim < 3:
        raise ValueError(f"global_response_norm expects an input of shape (N, C, *S), got "
                         f"shape {tuple(input_.shape)}")
    channels = input_.shape[1]
    pshape = (1, channels) + (1,) * (input_.ndim - 2)
    for what, t in (("gamma", gamma), ("beta", beta)):
        if math.prod(t.shape) != channels or (t.ndim > 1 and tuple(t.shape) != pshape):
            raise ValueError(f"global_response_norm: {what} should have shape ({channels},) or "
                             f"{pshape} for input of shape {tuple(input_.shape)}, got "
                             f"{tuple(t.shape)}")
    gamma, beta = gamma.reshape(pshape), beta.reshape(pshape)
    spatial = tuple(range(2, input_.ndim))
    g = sqrt((input_ * input_).sum(axis=spatial, keepdims=True))
    n = g / (g.mean(axis=1, keepdims=True) + eps)
    return gamma * (input_ * n) + beta + input_
