"""lucid.optim.lr_scheduler against torch.optim.lr_scheduler: the lr of every parameter group
(and the cycled momentum) after construction and after each of 30 steps."""

import json
import math
import warnings

import numpy as np
import pytest

import lucid.nn as nn
import lucid.optim as optim
from lucid.optim import lr_scheduler as sched
from helpers import needs_torch, torch

STEPS = 30
ATOL = 1e-12


def _lucid_opt(kind="sgd"):
    params = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    if kind == "adam":
        return optim.Adam(groups, lr=0.1)
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _torch_opt(kind="sgd"):
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _trace(opt, scheduler, steps=STEPS, metrics=None):
    """get_last_lr(), the groups' lr and momentum, after construction and after each step."""
    rows = [(list(scheduler.get_last_lr()), [g["lr"] for g in opt.param_groups], _momenta(opt))]
    for i in range(steps):
        opt.step()  # no gradients: a no-op, but the order torch expects
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
        rows.append((list(scheduler.get_last_lr()), [g["lr"] for g in opt.param_groups],
                     _momenta(opt)))
    return rows


def _assert_same_trace(ours, theirs):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        for what, x, y in zip(("get_last_lr", "group lr", "momentum"), a, b):
            np.testing.assert_allclose(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                                       rtol=0, atol=ATOL, err_msg=f"{what} at epoch {i}")


def _both(lib):
    return (sched, _lucid_opt) if lib == "lucid" else (torch.optim.lr_scheduler, _torch_opt)


CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5), "sgd"),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 20], gamma=0.3), "sgd"),
    ("ExponentialLR", dict(gamma=0.9), "sgd"),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001), "sgd"),  # past T_max it rises again
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.002), "sgd"),
    ("CosineAnnealingWarmRestarts", dict(T_0=7), "sgd"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), "sgd"),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                      mode="triangular2"), "sgd"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.95),
     "adam"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False), "sgd"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS), "sgd"),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=6, pct_start=0.25,
                        anneal_strategy="linear", div_factor=10.0), "adam"),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, three_phase=True,
                        final_div_factor=100.0), "sgd"),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.95), "sgd"),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=8), "sgd"),
    ("LinearLR", dict(), "sgd"),
    ("ConstantLR", dict(factor=0.5, total_iters=6), "sgd"),
    ("PolynomialLR", dict(total_iters=12, power=2.0), "sgd"),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1 + epoch)), "sgd"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 0.9 ** e, lambda e: 1 + e % 3]), "sgd"),
]


@needs_torch
@pytest.mark.parametrize("name,kwargs,kind", CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_lr_sequence_matches_torch(name, kwargs, kind):
    traces = []
    for lib in ("lucid", "torch"):
        module, make_opt = _both(lib)
        opt = make_opt(kind)
        traces.append(_trace(opt, getattr(module, name)(opt, **kwargs)))
    _assert_same_trace(*traces)
    lrs = [row[1][0] for row in traces[0]]
    assert max(lrs) > min(lrs)  # the schedule did something


def _sequential(module, opt):
    return module.SequentialLR(opt, [module.LinearLR(opt, start_factor=0.1, total_iters=5),
                                     module.ExponentialLR(opt, gamma=0.9)], milestones=[5])


def _sequential3(module, opt):
    return module.SequentialLR(opt, [module.ConstantLR(opt, factor=0.5, total_iters=3),
                                     module.CosineAnnealingLR(opt, T_max=8),
                                     module.StepLR(opt, step_size=3, gamma=0.5)],
                               milestones=[4, 12])


def _chained(module, opt):
    return module.ChainedScheduler([module.ConstantLR(opt, factor=0.5, total_iters=4),
                                    module.ExponentialLR(opt, gamma=0.9),
                                    module.MultiStepLR(opt, milestones=[10, 20])])


@needs_torch
@pytest.mark.parametrize("build", [_sequential, _sequential3, _chained])
def test_composed_schedulers_match_torch(build):
    traces = []
    for lib in ("lucid", "torch"):
        module, make_opt = _both(lib)
        opt = make_opt()
        traces.append(_trace(opt, build(module, opt)))
    _assert_same_trace(*traces)


METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.8999, 0.91, 0.92, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.4,
           0.4, 0.41, 0.4, 0.4, 0.4, 0.39995, 0.4, 0.4, 0.4, 0.4, 0.4, 0.3, 0.3, 0.3, 0.3]


@needs_torch
@pytest.mark.parametrize("kwargs,sign", [
    (dict(mode="min", patience=2), 1),
    (dict(mode="max", patience=1, factor=0.5, cooldown=2), -1),
    (dict(mode="min", patience=0, threshold=0.01, threshold_mode="abs", min_lr=[0.02, 0.001]),
     1),
    (dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs", eps=0.009), -1),
    (dict(patience=1, factor=0.5, min_lr=0.02), 1),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs, sign):
    metrics = [sign * m for m in METRICS]
    traces = []
    for lib in ("lucid", "torch"):
        module, make_opt = _both(lib)
        opt = make_opt()
        traces.append(_trace(opt, module.ReduceLROnPlateau(opt, **kwargs), metrics=metrics))
    _assert_same_trace(*traces)
    assert traces[0][-1][1] != traces[0][0][1]  # it reduced something


@needs_torch
def test_noam_scheduler_formula():
    """lr = factor · d^(−1/2) · min(s^(−1/2), s · w^(−3/2)), s = max(step, 1): checked against
    torch's LambdaLR running the same formula on base lr 1."""
    d_model, warmup, factor = 64, 8, 2.0

    def noam(step):
        s = max(step, 1)
        return factor * d_model ** -0.5 * min(s ** -0.5, s * warmup ** -1.5)

    opt = _lucid_opt()
    ours = _trace(opt, sched.NoamScheduler(opt, d_model, warmup, factor=factor))
    topt = _torch_opt()
    for g in topt.param_groups:
        g["lr"] = 1.0
    theirs = _trace(topt, torch.optim.lr_scheduler.LambdaLR(topt, noam))
    _assert_same_trace(ours, theirs)
    lrs = [row[0][0] for row in ours]
    assert int(np.argmax(lrs)) == warmup  # the peak is at the end of the warm-up
    assert lrs[warmup] == pytest.approx(factor * d_model ** -0.5 * warmup ** -0.5)


@needs_torch
def test_step_with_explicit_epoch_uses_the_closed_form():
    traces = []
    for lib in ("lucid", "torch"):
        module, make_opt = _both(lib)
        opt = make_opt()
        s1 = module.StepLR(opt, step_size=3, gamma=0.5)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (4, 9, 2, 7):
                s1.step(epoch)
                lrs.append(list(s1.get_last_lr()))
        opt2 = make_opt()
        s2 = module.CosineAnnealingWarmRestarts(opt2, T_0=3, T_mult=2)
        for i in range(20):
            s2.step(i * 0.7)  # fractional epochs
            lrs.append(list(s2.get_last_lr()))
        traces.append(lrs)
    np.testing.assert_allclose(traces[0], traces[1], rtol=0, atol=ATOL)


# ---------------------------------------------------------------------- Lucid semantics
def test_scheduler_steps_at_construction():
    """Lucid 2 did not step in the constructor, so its lrs ran one epoch behind PyTorch's."""
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=0.1)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    assert s.last_epoch == 0
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        opt.step()
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.025], rtol=0, atol=ATOL)
    assert s.last_lr == s.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_lambda_lr_accepts_both_argument_orders():
    fn = lambda epoch: 0.5 ** epoch
    runs = []
    for make in (lambda o: sched.LambdaLR(o, fn), lambda o: sched.LambdaLR(fn, o),
                 lambda o: sched.LambdaLR(lr_lambda=fn, optimizer=o)):
        opt = _lucid_opt()
        runs.append(_trace(opt, make(opt), steps=5))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][3][0] == pytest.approx([0.1 * 0.125, 0.05 * 0.125])


@pytest.mark.parametrize("name,args", [
    ("StepLR", dict(step_size=3)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=25)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2")),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.9 ** e)),
    ("ReduceLROnPlateau", dict(patience=1)),
    ("NoamScheduler", dict(model_size=16, warmup_steps=4)),
])
def test_state_dict_round_trip(name, args):
    """Resume: fresh optimizer and scheduler, load both state dicts, continue identically."""
    metric = lambda i: 1.0 / (1 + i % 4)

    def make():
        opt = _lucid_opt()
        return opt, getattr(sched, name)(opt, **args)

    def advance(opt, s, start, n, out):
        for i in range(start, start + n):
            opt.step()
            s.step(metric(i)) if name == "ReduceLROnPlateau" else s.step()
            out.append([g["lr"] for g in opt.param_groups] + _momenta(opt))

    opt, s = make()
    advance(opt, s, 0, 7, [])
    saved_opt, saved_sched = opt.state_dict(), s.state_dict()
    json.dumps(saved_sched)  # plain data: numbers, strings, lists, dicts
    expected, got = [], []
    advance(opt, s, 7, 12, expected)

    opt2, s2 = make()
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved_sched)
    advance(opt2, s2, 7, 12, got)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_composed_state_dict_round_trip():
    def make():
        opt = _lucid_opt()
        return opt, _sequential3(sched, opt)

    opt, s = make()
    for _ in range(6):
        s.step()
    saved_opt, saved = opt.state_dict(), s.state_dict()
    expected = []
    for _ in range(10):
        s.step()
        expected.append(s.get_last_lr())
    opt2, s2 = make()
    opt2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    got = []
    for _ in range(10):
        s2.step()
        got.append(s2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _lucid_opt()
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="total_steps=3"):
        s.step()


def test_verbose_prints_the_new_lr(capsys):
    opt = _lucid_opt()
    s = sched.ExponentialLR(opt, gamma=0.5, verbose=True)
    s.step()
    assert "5.0000e-02" in capsys.readouterr().out


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("build,exc,match", [
    (lambda o: sched.ReduceLROnPlateau(o, mode="minimum"), ValueError, "'minimum'"),
    (lambda o: sched.ReduceLROnPlateau(o, threshold_mode="relative"), ValueError, "'relative'"),
    (lambda o: sched.ReduceLROnPlateau(o, factor=1.5), ValueError, "1.5"),
    (lambda o: sched.CyclicLR(o, 0.01, 0.1, mode="zigzag"), ValueError, "'zigzag'"),
    (lambda o: sched.CyclicLR(o, 0.01, 0.1, scale_fn=abs, scale_mode="epoch"), ValueError,
     "'epoch'"),
    (lambda o: sched.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="quad"), ValueError,
     "'quad'"),
    (lambda o: sched.OneCycleLR(o, 0.1), ValueError, "total_steps"),
    (lambda o: sched.OneCycleLR(o, 0.1, total_steps=0), ValueError, "0"),
    (lambda o: sched.StepLR(o, step_size=0), ValueError, "0"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=-2), ValueError, "-2"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "0"),
    (lambda o: sched.LinearLR(o, start_factor=0.0), ValueError, "0.0"),
    (lambda o: sched.ConstantLR(o, factor=2.0), ValueError, "2.0"),
    (lambda o: sched.MultiplicativeLR(o, lr_lambda=3), TypeError, "int"),
    (lambda o: sched.LambdaLR(o, [lambda e: 1.0]), ValueError, "2 lr_lambdas"),
    (lambda o: sched.CyclicLR(o, [0.1], 0.2), ValueError, "one value per parameter group"),
    (lambda o: sched.NoamScheduler(o, model_size=0, warmup_steps=10), ValueError, "0"),
    (lambda o: sched.StepLR("not an optimizer", step_size=2), TypeError, "str"),
    (lambda o: sched.StepLR(o, step_size=2, last_epoch=5), KeyError, "initial_lr"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2)], milestones=[3]), ValueError,
     "milestones"),
    (lambda o: sched.ChainedScheduler([sched.StepLR(o, 2), sched.ReduceLROnPlateau(o)]),
     ValueError, "ReduceLROnPlateau"),
    (lambda o: sched.ChainedScheduler([sched.StepLR(_lucid_opt(), 2)], optimizer=o), ValueError,
     "same optimizer"),
])
def test_bad_input_raises(build, exc, match):
    with pytest.raises(exc, match=match):
        build(_lucid_opt())


def test_cycle_momentum_needs_a_momentum_optimizer():
    opt = optim.Adagrad([nn.Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        sched.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="momentum"):
        sched.OneCycleLR(opt, 0.1, total_steps=10)
    s = sched.CyclicLR(opt, 0.01, 0.1, step_size_up=2, cycle_momentum=False)
    s.step()
    assert math.isclose(opt.param_groups[0]["lr"], 0.055)
