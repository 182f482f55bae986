"""lucid.optim against torch.optim: same start, same gradients, same numbers (float64).

The gradient of each parameter is g(θ) = θ³ − θ/2 + c (the gradient of a separable quartic with
a random linear term), so it changes with θ, flips sign for some coordinates (which exercises
Rprop and the moment estimates), and is the same function on both sides.
"""

import copy
import json

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.optim as optim
from helpers import needs_torch, torch

STEPS = 5
TOL = dict(rtol=1e-9, atol=1e-11)


@pytest.fixture
def torch64():
    """torch's scalar optimizer state (ASGD's eta, NAdam's mu_product) follows the default
    dtype; float64 makes both sides compute in the same precision."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _start(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    consts = [0.3 * rng.standard_normal(a.shape) for a in arrays]
    return arrays, consts


def _grad(theta, c):
    return theta ** 3 - 0.5 * theta + c


def _run_lucid(cls, kwargs, arrays, consts, steps=STEPS, groups=None):
    params = [nn.Parameter(a.copy()) for a in arrays]
    opt = cls(groups(params) if groups else params, **kwargs)
    history = []
    for _ in range(steps):
        for p, c in zip(params, consts):
            p.grad = _grad(p.data, c)
        opt.step()
        history.append([p.data.copy() for p in params])
    return history, opt, params


def _run_torch(cls, kwargs, arrays, consts, steps=STEPS, groups=None):
    params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
    opt = cls(groups(params) if groups else params, **kwargs)
    history = []
    for _ in range(steps):
        for p, c in zip(params, consts):
            p.grad = torch.from_numpy(_grad(p.detach().numpy(), c))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, opt, params


def _assert_same_history(ours, theirs):
    for step, (a_list, b_list) in enumerate(zip(ours, theirs)):
        for a, b in zip(a_list, b_list):
            np.testing.assert_allclose(a, b, **TOL, err_msg=f"after step {step + 1}")


def _assert_same_state(lopt, lparams, topt, tparams):
    for lp, tp in zip(lparams, tparams):
        ours = lopt.state.get(lp, {})
        theirs = topt.state.get(tp, {})
        assert set(ours) == set(theirs), (sorted(ours), sorted(theirs))
        for key, value in ours.items():
            expected = theirs[key]
            expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
            np.testing.assert_allclose(np.asarray(value, dtype=np.float64), expected, **TOL,
                                       err_msg=key)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),  # Lucid 2's bug: first buffer
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.2, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-3)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True, betas=(0.5, 0.9))),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("Adamax", dict(lr=0.05, maximize=True, eps=1e-2)),
    ("Adamax", dict(lr=0.05, betas=(0.7, 0.9))),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.1)),
    ("NAdam", dict(lr=0.05, maximize=True, betas=(0.8, 0.99), eps=1e-4)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9))),  # ρ_t > 5 from step 3: both branches run
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.05, maximize=True, betas=(0.8, 0.9))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.08))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=2)),  # averaging starts inside 5 steps
    ("ASGD", dict(lr=0.05, weight_decay=0.1, t0=0)),
    ("ASGD", dict(lr=0.05, maximize=True)),
]


@needs_torch
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{sorted(k)}" for n, k in CASES])
def test_matches_torch(name, kwargs, torch64):
    arrays, consts = _start()
    steps = 8 if name == "RAdam" else STEPS
    ours, lopt, lparams = _run_lucid(getattr(optim, name), kwargs, arrays, consts, steps)
    theirs, topt, tparams = _run_torch(getattr(torch.optim, name), kwargs, arrays, consts, steps)
    _assert_same_history(ours, theirs)
    _assert_same_state(lopt, lparams, topt, tparams)
    # the parameters did move (a test that cannot fail is no test)
    assert not np.allclose(ours[-1][0], arrays[0])


@needs_torch
@pytest.mark.parametrize("name,kwargs,groups", [
    ("SGD", dict(lr=0.01, momentum=0.9),
     lambda ps: [{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "momentum": 0.5}]),
    ("Adam", dict(lr=0.01),
     lambda ps: [{"params": [ps[0]], "lr": 0.1, "betas": (0.5, 0.9)}, {"params": ps[1]}]),
    ("RMSprop", dict(lr=0.01),
     lambda ps: [{"params": [ps[0]], "centered": True}, {"params": [ps[1]], "lr": 0.05}]),
])
def test_param_groups_match_torch(name, kwargs, groups, torch64):
    arrays, consts = _start(1)
    ours, lopt, _ = _run_lucid(getattr(optim, name), kwargs, arrays, consts, groups=groups)
    theirs, topt, _ = _run_torch(getattr(torch.optim, name), kwargs, arrays, consts,
                                 groups=groups)
    _assert_same_history(ours, theirs)
    assert [g["lr"] for g in lopt.param_groups] == [g["lr"] for g in topt.param_groups]


@needs_torch
def test_param_group_added_later(torch64):
    arrays, consts = _start(2)
    results = []
    for lib, cls in ((lucid, optim.SGD), (torch, torch.optim.SGD)):
        if lib is lucid:
            params = [nn.Parameter(a.copy()) for a in arrays]
        else:
            params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
        opt = cls([params[0]], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [params[1]], "lr": 0.01})
        for _ in range(3):
            for p, c in zip(params, consts):
                data = p.data if lib is lucid else p.detach().numpy()
                g = _grad(data, c)
                p.grad = g if lib is lucid else torch.from_numpy(g)
            opt.step()
        results.append([np.array(p.data if lib is lucid else p.detach().numpy())
                        for p in params])
        assert opt.param_groups[1]["momentum"] == 0.9  # filled from the defaults
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TOL)


@needs_torch
def test_linear_model_training_matches_torch(torch64):
    """The real loop: forward, backward through lucid's autograd, step, on copied weights."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
    lin = nn.Linear(5, 3)
    lin.weight.data = rng.standard_normal((3, 5))
    lin.bias.data = rng.standard_normal(3)
    tlin = torch.nn.Linear(5, 3)
    with torch.no_grad():
        tlin.weight.copy_(torch.tensor(lin.weight.data))
        tlin.bias.copy_(torch.tensor(lin.bias.data))
    for name, kwargs in [("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
                         ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True))]:
        lopt = getattr(optim, name)(lin.parameters(), **kwargs)
        topt = getattr(torch.optim, name)(tlin.parameters(), **kwargs)
        lx, tx = lucid.tensor(x), torch.tensor(x)
        for _ in range(STEPS):
            lopt.zero_grad()
            loss = ((lin(lx) - lucid.tensor(y)) ** 2).mean()
            loss.backward()
            lopt.step()
            topt.zero_grad()
            tloss = ((tlin(tx) - torch.tensor(y)) ** 2).mean()
            tloss.backward()
            topt.step()
            np.testing.assert_allclose(float(loss), tloss.item(), **TOL)
        np.testing.assert_allclose(lin.weight.data, tlin.weight.detach().numpy(), **TOL)
        np.testing.assert_allclose(lin.bias.data, tlin.bias.detach().numpy(), **TOL)


# ---------------------------------------------------------------------- LBFGS
def _rosenbrock(x0, x1):
    return (1 - x0) ** 2 + 100 * (x1 - x0 ** 2) ** 2


@needs_torch
@pytest.mark.parametrize("kwargs,steps", [
    # Without a line search, unit steps on Rosenbrock are erratic and amplify rounding
    # differences (1e-16 growing to 1e-7 after ~60 iterations), so those runs stay short.
    (dict(lr=1, max_iter=10), 2),
    (dict(lr=0.5, max_iter=7, history_size=3), 3),
    (dict(lr=1, max_iter=20, line_search_fn="strong_wolfe"), 4),
    (dict(lr=1, max_iter=10, history_size=4, line_search_fn="strong_wolfe"), 8),
])
def test_lbfgs_rosenbrock_matches_torch(kwargs, steps, torch64):
    start = np.array([-1.5, 2.0])
    lx = nn.Parameter(start.copy())
    tx = torch.nn.Parameter(torch.tensor(start.copy()))
    lopt = optim.LBFGS([lx], **kwargs)
    topt = torch.optim.LBFGS([tx], **kwargs)

    def lclosure():
        lopt.zero_grad()
        loss = _rosenbrock(lx[0], lx[1])
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = _rosenbrock(tx[0], tx[1])
        loss.backward()
        return loss

    for _ in range(steps):
        lloss = lopt.step(lclosure)
        tloss = topt.step(tclosure)
        np.testing.assert_allclose(float(lloss), tloss.item(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(lx.data, tx.detach().numpy(), rtol=1e-8, atol=1e-10)
    lstate, tstate = lopt.state[lx], topt.state[tx]
    assert lstate["func_evals"] == tstate["func_evals"]
    assert lstate["n_iter"] == tstate["n_iter"]
    if kwargs.get("line_search_fn"):
        np.testing.assert_allclose(lx.data, [1.0, 1.0], atol=1e-5)  # it really minimises


def test_lbfgs_rejects_groups_and_unknown_line_search():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="'wolfe'"):
        optim.LBFGS([a], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="closure"):
        optim.LBFGS([a]).step()


# ---------------------------------------------------------------------- checkpoints
ROUND_TRIP = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("NAdam", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Rprop", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=1)),
]


@pytest.mark.parametrize("name,kwargs", ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_round_trip_gives_identical_steps(name, kwargs):
    arrays, consts = _start(4)
    cls = getattr(optim, name)
    _, opt, params = _run_lucid(cls, kwargs, arrays, consts, steps=3)
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0, 1]
    assert set(saved["state"]) == {0, 1}

    # a fresh optimizer (other hyperparameters even) on copies of the parameters
    clones = [nn.Parameter(p.data.copy()) for p in params]
    other = cls(clones, lr=123.0)
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == kwargs["lr"]
    # the state was copied: scribbling on the snapshot changes nothing
    for entry in saved["state"].values():
        for value in entry.values():
            if isinstance(value, np.ndarray):
                value[...] = np.nan
    for _ in range(2):
        for ps in (params, clones):
            for p, c in zip(ps, consts):
                p.grad = _grad(p.data, c)
        opt.step()
        other.step()
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.data, q.data)


@needs_torch
@pytest.mark.parametrize("name,kwargs", CASES[1::4], ids=[n for n, _ in CASES[1::4]])
def test_state_dict_layout_matches_torch(name, kwargs, torch64):
    arrays, consts = _start()
    _, lopt, _ = _run_lucid(getattr(optim, name), kwargs, arrays, consts, steps=2)
    _, topt, _ = _run_torch(getattr(torch.optim, name), kwargs, arrays, consts, steps=2)
    ours, theirs = lopt.state_dict(), topt.state_dict()
    assert [g["params"] for g in ours["param_groups"]] == \
        [g["params"] for g in theirs["param_groups"]]
    assert {k: set(v) for k, v in ours["state"].items()} == \
        {k: set(v) for k, v in theirs["state"].items()}
    for key, value in kwargs.items():
        assert ours["param_groups"][0][key] == theirs["param_groups"][0][key]


@needs_torch
@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.05, amsgrad=True)),
                                         ("ASGD", dict(lr=0.05, t0=1)),
                                         ("NAdam", dict(lr=0.05))])
def test_loads_a_torch_optimizer_state_dict(name, kwargs, torch64):
    """The layout is PyTorch's, so a torch checkpoint's state (tensors, 0-d step counts and
    all) loads and continues with the same numbers."""
    arrays, consts = _start(7)
    _, topt, tparams = _run_torch(getattr(torch.optim, name), kwargs, arrays, consts, steps=3)
    params = [nn.Parameter(p.detach().numpy().copy()) for p in tparams]
    opt = getattr(optim, name)(params, lr=1.0)
    opt.load_state_dict(topt.state_dict())
    for _ in range(2):
        for ps in (params, tparams):
            for p, c in zip(ps, consts):
                data = p.data if isinstance(p, nn.Parameter) else p.detach().numpy()
                g = _grad(data, c)
                p.grad = g if isinstance(p, nn.Parameter) else torch.from_numpy(g)
        opt.step()
        topt.step()
    for p, q in zip(params, tparams):
        np.testing.assert_allclose(p.data, q.detach().numpy(), **TOL)


def test_lbfgs_state_dict_round_trip():
    def make():
        x = nn.Parameter(np.array([-1.2, 1.0]))
        return x, optim.LBFGS([x], max_iter=3, history_size=5)

    def closure_for(x, opt):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(x[0], x[1])
            loss.backward()
            return loss
        return closure

    x, opt = make()
    for _ in range(2):
        opt.step(closure_for(x, opt))
    y, other = make()
    y.data = x.data.copy()
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    for _ in range(2):
        opt.step(closure_for(x, opt))
        other.step(closure_for(y, other))
    np.testing.assert_array_equal(x.data, y.data)


def test_load_state_dict_validates_before_changing_anything():
    arrays, consts = _start(5)
    _, opt, params = _run_lucid(optim.Adam, dict(lr=0.05), arrays, consts, steps=2)
    good = opt.state_dict()
    before_state = {id(p): {k: (v.copy() if isinstance(v, np.ndarray) else v)
                            for k, v in opt.state[p].items()} for p in params}
    before_groups = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                                   for g in opt.param_groups])

    two_groups = copy.deepcopy(good)
    two_groups["param_groups"].append(copy.deepcopy(good["param_groups"][0]))
    wrong_size = copy.deepcopy(good)
    wrong_size["param_groups"][0]["params"] = [0]
    bad_index = copy.deepcopy(good)
    bad_index["state"][7] = bad_index["state"].pop(1)
    bad_shape = copy.deepcopy(good)
    bad_shape["state"][1]["exp_avg"] = np.zeros(5)
    bad_lr = copy.deepcopy(good)
    bad_lr["param_groups"][0]["lr"] = -1.0
    bad_lr["state"][0]["step"] = 99
    for bad, match in [(two_groups, "2 parameter groups"), (wrong_size, "1 parameters"),
                       (bad_index, "index 7"), (bad_shape, r"\(5,\)"), (bad_lr, "-1.0"),
                       ({"state": {}}, "param_groups")]:
        with pytest.raises(ValueError, match=match):
            opt.load_state_dict(bad)
        assert [{k: v for k, v in g.items() if k != "params"}
                for g in opt.param_groups] == before_groups
        for p in params:
            for k, v in before_state[id(p)].items():
                np.testing.assert_array_equal(opt.state[p][k], v)


def test_state_dict_is_a_snapshot_and_json_friendly():
    arrays, consts = _start(6)
    _, opt, params = _run_lucid(optim.SGD, dict(lr=0.1, momentum=0.9), arrays, consts, 2)
    saved = opt.state_dict()
    buf = saved["state"][0]["momentum_buffer"].copy()
    for p, c in zip(params, consts):
        p.grad = _grad(p.data, c)
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], buf)
    json.dumps(saved["param_groups"])  # hyperparameters are plain data


def test_load_casts_state_to_the_parameter_dtype():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1)
    opt.load_state_dict({"state": {0: {"step": 2, "exp_avg": np.ones(3),
                                       "exp_avg_sq": np.ones(3)}},
                         "param_groups": [dict(opt.state_dict()["param_groups"][0])]})
    assert opt.state[p]["exp_avg"].dtype == np.float32
    assert opt.state[p]["step"] == 2


# ---------------------------------------------------------------------- the base class
def test_in_place_updates_keep_arrays_and_dtype():
    for name, kwargs in CASES:
        p = nn.Parameter(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        opt = getattr(optim, name)([p], **kwargs)
        data = p.data
        version = p._version
        p.grad = (data ** 3 + 0.1).astype(np.float32)
        opt.step()
        state_arrays = {k: v for k, v in opt.state[p].items() if isinstance(v, np.ndarray)}
        p.grad = (p.data ** 3 + 0.1).astype(np.float32)
        opt.step()
        assert p.data is data, name  # updated in place
        assert p.data.dtype == np.float32, name
        assert p._version == version + 2, name
        for k, v in state_arrays.items():
            assert opt.state[p][k] is v, (name, k)  # state updated in place too
            assert v.dtype == np.float32, (name, k)


def test_params_without_grad_are_skipped():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert not opt.state.get(b)
    assert opt.state[a]["step"] == 1


def test_gradient_of_the_wrong_shape_raises_before_any_update():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))
    opt = optim.SGD([a, b], lr=0.1)
    a.grad, b.grad = np.ones(3), np.ones(1)  # (1,) would broadcast silently in place
    with pytest.raises(ValueError, match=r"\(3,\).*\(1,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(3))


def test_zero_grad():
    p = nn.Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(3)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not p.grad.any()
    opt.zero_grad()
    assert p.grad is None


def test_step_returns_the_closure_loss_evaluated_with_grad():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        assert lucid.grad_enabled()
        loss.backward()
        return loss

    with lucid.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 4.0
    np.testing.assert_allclose(p.data, [1.0])  # 2 − 0.25 · 4


def test_accepts_generators_tensors_and_a_single_group_dict():
    lin = nn.Linear(3, 2)
    assert len(optim.SGD(lin.parameters(), lr=0.1).param_groups[0]["params"]) == 2
    opt = optim.SGD({"params": lin.weight, "lr": 0.3})
    assert len(opt.param_groups[0]["params"]) == 1
    assert opt.param_groups[0]["params"][0] is lin.weight
    assert opt.param_groups[0]["lr"] == 0.3


def test_repr_names_the_class_and_hyperparameters():
    text = repr(optim.SGD([nn.Parameter(np.ones(1))], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


def test_import_lucid_optim_gives_lr_scheduler():
    import lucid.optim.lr_scheduler as sched
    assert lucid.optim.lr_scheduler is sched
    assert issubclass(sched.StepLR, sched.LRScheduler)


# ---------------------------------------------------------------------- bad input
ALL = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "Adagrad",
       "Adadelta", "ASGD", "LBFGS"]


@pytest.mark.parametrize("name", ALL)
def test_negative_learning_rate_raises(name):
    with pytest.raises(ValueError, match="-0.5"):
        getattr(optim, name)([nn.Parameter(np.ones(2))], lr=-0.5)


@pytest.mark.parametrize("name,kwargs,match", [
    ("Adam", dict(betas=(1.0, 0.999)), "1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), "-0.1"),
    ("NAdam", dict(betas=(0.9,)), "pair"),
    ("Adamax", dict(eps=-1e-8), "-1e-08"),
    ("RAdam", dict(weight_decay=-0.01), "-0.01"),
    ("SGD", dict(momentum=-0.9), "-0.9"),
    ("SGD", dict(nesterov=True), "Nesterov"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "0.1"),
    ("RMSprop", dict(alpha=-0.99), "-0.99"),
    ("Rprop", dict(etas=(1.5, 1.2)), "1.5"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), "0.1"),
    ("Adagrad", dict(lr_decay=-1.0), "-1.0"),
    ("Adadelta", dict(rho=1.5), "1.5"),
    ("NAdam", dict(momentum_decay=-4e-3), "-0.004"),
    ("SGD", dict(lr="fast"), "fast"),
])
def test_invalid_hyperparameters_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([nn.Parameter(np.ones(2))], **kwargs)


def test_bad_params_raise():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="list"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)

    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="-2"):
        opt.add_param_group({"params": [b], "lr": -2})
    assert len(opt.param_groups) == 1  # the failed adds changed nothing
