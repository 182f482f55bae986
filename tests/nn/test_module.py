"""The Module system: registration, traversal, state_dict, hooks, modes, devices/dtypes, init,
containers, utils; and the seed page (nn.Linear.txt) with the numbers the math gives."""

import copy
import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from helpers import needs_torch, torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("step", lucid.zeros(1))
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Identity()
        self.fc2 = nn.Linear(3, 2, bias=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# ---------------------------------------------------------------------------- the seed page
def test_seed_page_example_1():
    x = lucid.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    linear = nn.Linear(in_features=3, out_features=2, bias=False)
    linear.weight.data = lucid.Tensor([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]).data
    out = linear(x)
    assert out.tolist() == [[32.0, 50.0]]
    out.backward()
    assert x.grad.tolist() == [[11.0, 13.0, 15.0]]  # the page wrongly prints W
    assert linear.weight.grad.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    assert linear.bias is None


def test_seed_page_example_2():
    x = lucid.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    linear = nn.Linear(in_features=2, out_features=2, bias=True)
    linear.weight.data = lucid.Tensor([[5.0, 6.0], [7.0, 8.0]]).data
    linear.bias.data = lucid.Tensor([9.0, 10.0]).data
    out = linear(x)
    assert out.tolist() == [[26.0, 33.0], [48.0, 63.0]]  # the page says 75
    out.backward()
    assert x.grad.tolist() == [[12.0, 14.0], [12.0, 14.0]]
    assert linear.weight.grad.tolist() == [[4.0, 6.0], [4.0, 6.0]]
    assert linear.bias.grad.tolist() == [2.0, 2.0]
    assert repr(out) == "Tensor([[26., 33.],\n        [48., 63.]], grad=None)"


def test_seed_page_simple_model_trains():
    class SimpleModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(in_features=4, out_features=3)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(in_features=3, out_features=1)

        def forward(self, x):
            return self.fc2(self.relu(self.fc1(x)))

    model = SimpleModel()
    x = lucid.Tensor([[0.5, -1.2, 3.3, 0.7]], requires_grad=True)
    target = lucid.Tensor([[1.5]])
    losses = []
    for _ in range(30):
        loss = ((model(x) - target) ** 2).mean()
        model.zero_grad()
        loss.backward()
        with lucid.no_grad():
            for p in model.parameters():
                p.data -= 0.05 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]
    assert x.grad is not None and x.grad.shape == (1, 4)


# ---------------------------------------------------------------------------- registration
def test_registration_and_one_home():
    net = Net()
    assert set(net._modules) == {"fc1", "act", "fc2"}
    assert "fc1" not in net.__dict__
    assert isinstance(net.fc1.weight, nn.Parameter)
    net.fc1 = None  # reassigning to another type unregisters
    assert "fc1" not in net._modules and net.fc1 is None
    with pytest.raises(AttributeError, match="nope"):
        net.nope


def test_setattr_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_named_traversal_and_state_dict_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert list(net.state_dict()) == ["step", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_buffers()] == ["step"]
    assert net.count_parameters() == 4 * 3 + 3 + 3 * 2
    assert isinstance(net.state_dict()["fc1.weight"], type(net.fc1.weight.data))
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_shared_parameter_appears_once():
    a = nn.Linear(3, 3)
    b = nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    params = list(seq.parameters())
    assert len(params) == 3
    assert sum(p is a.weight for p in params) == 1
    x = lucid.randn(2, 3)
    seq(x).sum().backward()
    # both uses accumulate into the one shared tensor
    assert a.weight.grad is not None and a.weight.grad is b.weight.grad


def test_non_persistent_buffer_not_in_state_dict():
    net = Net()
    net.register_buffer("scratch", lucid.ones(2), persistent=False)
    assert "scratch" not in net.state_dict()
    assert any(n == "scratch" for n, _ in net.named_buffers())


# ---------------------------------------------------------------------------- load_state_dict
def test_load_state_dict_copies_and_casts():
    src, dst = Net(), Net()
    state = {k: np.asarray(v, dtype=np.float64).copy() for k, v in src.state_dict().items()}
    result = dst.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in dst.state_dict().items():
        assert v.dtype == np.float32
        np.testing.assert_allclose(v, state[k], rtol=1e-6)
    state["fc1.weight"][...] = 123.0  # the caller's array is not aliased
    assert not np.any(dst.fc1.weight.data == 123.0)


@pytest.mark.parametrize("mutate, match", [
    (lambda s: s.pop("fc1.bias"), "Missing key"),
    (lambda s: s.__setitem__("extra", np.zeros(1)), "Unexpected key"),
    (lambda s: s.__setitem__("fc2.weight", np.zeros((3, 3))), "size mismatch"),
])
def test_load_state_dict_rejects_and_leaves_module_unchanged(mutate, match):
    src, dst = Net(), Net()
    before = {k: v.copy() for k, v in dst.state_dict().items()}
    state = {k: v.copy() for k, v in src.state_dict().items()}
    mutate(state)
    with pytest.raises((KeyError, RuntimeError), match=match):
        dst.load_state_dict(state)
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_non_strict_reports_keys():
    dst = Net()
    state = dict(Net().state_dict())
    state.pop("fc1.bias")
    state["extra"] = np.zeros(1)
    result = dst.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]


def test_state_dict_errors_are_keyerror_and_runtimeerror():
    with pytest.raises(KeyError):
        Net().load_state_dict({})
    with pytest.raises(RuntimeError):
        Net().load_state_dict({})


# ---------------------------------------------------------------------------- modes, hooks, grads
def test_train_eval_recurse_and_zero_grad():
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(lucid.randn(2, 4)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert np.all(net.fc1.weight.grad == 0)
    net.zero_grad()
    assert net.fc1.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hooks_and_pre_hooks():
    net = Net()
    calls = []
    h1 = net.fc1.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].shape)))
    h2 = net.fc1.register_forward_hook(lambda m, args, out: out * 0)
    out = net(lucid.randn(2, 4))
    assert calls == [("pre", (2, 4))]
    np.testing.assert_allclose(out.numpy(), 0.0)  # the hook replaced fc1's output
    h1.remove()
    h2.remove()
    net(lucid.randn(2, 4))
    assert len(calls) == 1


def test_full_backward_hook_sees_input_and_output_grads():
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_full_backward_hook(
        lambda m, gin, gout: seen.append((gin[0].numpy().copy(), gout[0].numpy().copy())))
    x = lucid.randn(4, 3, requires_grad=True)
    G = lucid.randn(4, 2)
    layer(x).backward(G)
    assert len(seen) == 1
    gin, gout = seen[0]
    np.testing.assert_allclose(gout, G.numpy())
    np.testing.assert_allclose(gin, G.numpy() @ layer.weight.numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad, gin, rtol=1e-6)


def test_lucid_backward_hook_on_output():
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_backward_hook(lambda out, grad: seen.append(grad.shape))
    layer(lucid.randn(4, 3)).sum().backward()
    assert seen == [(4, 2)]


def test_to_dtype_keeps_parameter_objects():
    net = Net()
    weight = net.fc1.weight
    net.double()
    assert net.fc1.weight is weight and weight.dtype == lucid.float64
    assert net.step.dtype == lucid.float64
    out = net(lucid.randn(2, 4, dtype=lucid.float64))
    assert out.dtype == lucid.float64
    net.to(lucid.float32)
    assert weight.dtype == lucid.float32


def test_deepcopy_gives_independent_parameters():
    net = Net()
    clone = copy.deepcopy(net)
    clone.fc1.weight.data[...] = 0
    assert not np.all(net.fc1.weight.data == 0)
    assert isinstance(clone.fc1.weight, nn.Parameter)


def test_repr_is_torch_like():
    text = repr(Net())
    assert text.startswith("Net(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)")
    assert "(fc2): Linear(in_features=3, out_features=2, bias=False)" in text


# ---------------------------------------------------------------------------- containers
def test_sequential_index_slice_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    assert len(seq[1:]) == 2 and isinstance(seq[1:], nn.Sequential)
    seq.append(nn.Identity())
    assert len(seq) == 4
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert seq(lucid.randn(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError):
        seq[10]
    with pytest.raises(TypeError):
        nn.Sequential(lambda x: x)


def test_module_list_dict_parameter_list_dict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(2, 2)})
    md["b"] = nn.Linear(2, 1)
    assert list(md.keys()) == ["a", "b"] and "b" in md
    pl = nn.ParameterList([nn.Parameter(lucid.ones(2)), lucid.zeros(3)])
    assert [p.shape for p in pl] == [(2,), (3,)] and all(isinstance(p, nn.Parameter) for p in pl)
    pd = nn.ParameterDict({"w": nn.Parameter(lucid.ones(2))})
    assert list(dict(pd.named_parameters())) == ["w"]


# ---------------------------------------------------------------------------- init
def test_linear_init_bound_uses_in_features():
    lucid.random.seed(0)
    layer = nn.Linear(1000, 10)
    bound = 1 / math.sqrt(1000)
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound


def test_init_is_reproducible_with_seed():
    lucid.random.seed(3)
    a = nn.Linear(5, 4).weight.numpy().copy()
    lucid.random.seed(3)
    b = nn.Linear(5, 4).weight.numpy().copy()
    np.testing.assert_array_equal(a, b)


def test_init_distributions():
    t = lucid.empty(400, 300)
    nn.init.kaiming_uniform_(t, nonlinearity="relu")
    assert abs(t.numpy().max() - math.sqrt(6 / 300)) < 0.01
    nn.init.xavier_normal_(t)
    assert abs(t.numpy().std() - math.sqrt(2 / 700)) < 0.003
    nn.init.trunc_normal_(t, std=1.0, a=-0.5, b=0.5)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 0.5
    nn.init.constant_(t, 0.25)
    assert np.all(t.numpy() == 0.25)
    q = lucid.empty(5, 8)
    nn.init.orthogonal_(q)
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, np.eye(5), atol=1e-5)
    nn.init.kaiming_uniform(t)  # Lucid's name: bound sqrt(6 / fan_in)
    assert t.numpy().max() <= math.sqrt(6 / 300)
    with pytest.raises(ValueError, match="fan"):
        nn.init.xavier_uniform_(lucid.empty(3))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(t, mode="fan_middle")
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))


def test_linear_bad_input():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="3.*\\(4, 5\\)"):
        layer(lucid.randn(4, 5))


# ---------------------------------------------------------------------------- against torch
@needs_torch
@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_linear_matches_torch(dtype, tol):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 4)).astype(dtype)
    G = rng.standard_normal((5, 2, 3)).astype(dtype)
    layer = nn.Linear(4, 3).to(dtype)
    ref = torch.nn.Linear(4, 3).to(getattr(torch, dtype))
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.numpy()))
        ref.bias.copy_(torch.tensor(layer.bias.numpy()))
    lx = lucid.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out, tout = layer(lx), ref(tx)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    (out * lucid.Tensor(G)).sum().backward()
    (tout * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(lx.grad, tx.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=tol, atol=tol)


@needs_torch
def test_bilinear_matches_torch():
    rng = np.random.default_rng(1)
    layer = nn.Bilinear(3, 4, 2).double()
    ref = torch.nn.Bilinear(3, 4, 2).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.numpy()))
        ref.bias.copy_(torch.tensor(layer.bias.numpy()))
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    G = rng.standard_normal((5, 2))
    la, lb = lucid.Tensor(a, requires_grad=True), lucid.Tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (layer(la, lb) * lucid.Tensor(G)).sum().backward()
    (ref(ta, tb) * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(la.grad, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-10)


@needs_torch
def test_clip_grad_norm_and_value_match_torch():
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(7) * 5]
    lp = [nn.Parameter(lucid.zeros(g.shape, dtype=lucid.float64)) for g in grads]
    tp = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(lp, tp, grads):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    for norm_type in (2.0, 1.0, float("inf")):
        for p, q, g in zip(lp, tp, grads):
            p.grad = g.copy()
            q.grad = torch.tensor(g)
        total = nn.utils.clip_grad_norm_(lp, 1.5, norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(tp, 1.5, norm_type)
        assert total.item() == pytest.approx(ttotal.item(), rel=1e-10)
        for p, q in zip(lp, tp):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6)
    nn.utils.clip_grad_value_(lp, 0.1)
    torch.nn.utils.clip_grad_value_(tp, 0.1)
    for p, q in zip(lp, tp):
        np.testing.assert_allclose(p.grad, q.grad.numpy())


@needs_torch
def test_pad_sequence_and_vector_round_trip():
    seqs = [lucid.randn(3, 2), lucid.randn(1, 2), lucid.randn(4, 2)]
    out = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    ref = torch.nn.utils.rnn.pad_sequence([torch.tensor(s.numpy()) for s in seqs],
                                          batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    net = Net()
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (net.count_parameters(),)
    nn.utils.vector_to_parameters(vec * 0 + 1, net.parameters())
    assert all(np.all(p.numpy() == 1) for p in net.parameters())
    with pytest.raises(ValueError, match="does not fit"):
        nn.utils.vector_to_parameters(lucid.ones(3), net.parameters())
