"""Smoke test of the side-by-side benchmark harness (``python -m bench``, issue 5).

Runs the harness end to end on the ``tiny`` workload with one short round (a few seconds: one
subprocess per framework) and checks the JSON it writes and the first-step loss match. Speed is
never asserted. The pieces that need no subprocess (the FLOP counts, the summary, the table, the
skipped-PyTorch path, argument errors) are checked in-process.
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:    # bench/ is not an installed package: import it from the checkout
    sys.path.insert(0, ROOT)

from bench import probe, run, workloads  # noqa: E402
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def test_harness_tiny_end_to_end(tmp_path):
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "bench", "--workloads", "tiny", "--rounds", "1",
           "--warmup", "2", "--round-time", "0.05", "--no-probe", "--timeout", "60",
           "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["meta"]["threads"] == 1 and report["meta"]["rounds"] == 1
    results = {r["framework"]: r for r in report["results"]}
    lu = results["lucid"]
    assert lu["status"] == "ok", lu
    assert len(lu["rounds_ms"]) == 1 and lu["median_ms"] > 0 and lu["min_ms"] > 0
    assert lu["loss_dtype"].endswith("float32")
    assert lu["param_spec"] == [["fc1.weight", [32, 32]], ["fc1.bias", [32]],
                                ["fc2.weight", [1, 32]], ["fc2.bias", [1]]]
    assert lu["peak_mb"] is not None and np.isfinite(lu["last_loss"])
    # Two optimizer steps were taken during warm-up: the loss must have gone down.
    assert lu["warmup_losses"][1] < lu["warmup_losses"][0]
    assert "| tiny" in proc.stdout
    if HAVE_TORCH:
        to = results["torch"]
        assert to["status"] == "ok", to
        s = report["summary"]["tiny"]
        assert s["loss_match"] is True and s["same_params"] is True
        assert abs(lu["first_loss"] - to["first_loss"]) <= 1e-4 * abs(to["first_loss"])
        assert s["ratio_median"] == pytest.approx(lu["median_ms"] / to["median_ms"])
        assert "yes (" in proc.stdout
    else:
        assert results["torch"]["status"] == "skipped"


def test_python_bench_run_py_entry_point(tmp_path):
    """``python bench/run.py`` works from any directory (it puts the root on sys.path)."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"), "--help"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--threads" in proc.stdout


def test_torch_missing_is_skipped_cleanly(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    out = tmp_path / "r.json"
    rc = run.main(["--workloads", "tiny", "--frameworks", "torch", "--no-probe",
                   "--json", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["results"][0]["status"] == "skipped"
    assert "PyTorch is not installed" in capsys.readouterr().out


def test_bad_arguments_are_rejected():
    for argv in (["--workloads", "mlp,nope"], ["--frameworks", "jax"], ["--rounds", "0"],
                 ["--threads", "0"], ["--workloads", ""]):
        with pytest.raises(SystemExit):
            run.parse_args(argv)
    assert run.parse_args(["--workloads", "cnn, mlp"]).workloads == ["cnn", "mlp"]


def test_child_env_sets_threads_and_drops_openblas_overrides(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    env, dropped = run.child_env(3)
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "3"
    assert "OPENBLAS_CORETYPE" not in env and dropped == ["OPENBLAS_CORETYPE=Haswell"]
    env, dropped = run.child_env(1, keep_openblas=True)
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and dropped == []


def test_flop_counts_match_hand_counts():
    # mlp: 128 x (784*512 + 512*512 + 512*10) MACs forward; backward skips dX of fc1.
    fwd = 128 * (784 * 512 + 512 * 512 + 512 * 10)
    assert workloads.gemm_macs("mlp") == (fwd, 3 * fwd - 128 * 784 * 512)
    # cnn conv1: 24x24 outputs x 6 channels x 25 taps per sample.
    assert workloads.gemm_macs("cnn")[0] == 64 * (24 * 24 * 6 * 25 + 8 * 8 * 16 * 150
                                                  + 256 * 120 + 120 * 84 + 84 * 10)
    # attn: every layer's input needs a gradient, so a step is 3x the forward.
    fwd, train = workloads.gemm_macs("attn")
    assert train == 3 * fwd
    assert workloads.train_flops("tiny") == 2 * workloads.gemm_macs("tiny")[1]


def test_weights_and_data_are_deterministic_and_order_free():
    spec = [("a.weight", (4, 3)), ("a.bias", (4,)), ("n.weight", (3,))]
    w1 = workloads.make_weights("mlp", spec)
    w2 = workloads.make_weights("mlp", spec[::-1])
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])
        assert w1[k].dtype == np.float32
    assert np.abs(w1["a.weight"]).max() <= 1 / np.sqrt(3)
    assert np.all(np.abs(w1["n.weight"] - 1) <= 0.1)
    x1, y1 = workloads.make_data("cnn")
    x2, y2 = workloads.make_data("cnn")
    assert x1.shape == (64, 1, 28, 28) and x1.dtype == np.float32 and y1.dtype == np.int64
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    with pytest.raises(ValueError, match="unknown workload"):
        workloads.make_data("resnet")


def test_summary_and_table_from_fake_results():
    def fake(fw, med, loss, peak):
        return {"framework": fw, "workload": "mlp", "status": "ok", "median_ms": med,
                "min_ms": med * 0.9, "first_loss": loss, "warmup_losses": [loss, loss / 2],
                "param_spec": [["fc1.weight", [512, 784]]], "peak_mb": peak}
    results = [fake("lucid", 20.0, 2.30001, 30.0), fake("torch", 10.0, 2.3, 20.0)]
    probe_result = {"gflops": 100.0}
    summary = run.summarise(["mlp"], results, probe_result)["mlp"]
    assert summary["ratio_median"] == pytest.approx(2.0)
    assert summary["loss_match"] is True and summary["mem_ratio"] == pytest.approx(1.5)
    ideal = workloads.train_flops("mlp") / 100e9 * 1e3
    assert summary["ideal_ms"] == pytest.approx(ideal)
    assert results[1]["fraction_of_ideal"] == pytest.approx(ideal / 10.0)
    table = run.format_table(["mlp"], results, {"mlp": summary}, probe_result)
    assert "yes (4.3e-06)" in table and "2.00" in table
    # A loss off by 1e-3 relative is a mismatch, and the table says so.
    results[0]["first_loss"] = 2.3 * (1 + 1e-3)
    summary = run.summarise(["mlp"], results, probe_result)
    assert summary["mlp"]["loss_match"] is False
    assert "NO (" in run.format_table(["mlp"], results, summary, probe_result)


def test_probe_measures_a_small_gemm():
    gflops = probe.gemm_gflops(64, 2, np)
    assert np.isfinite(gflops) and gflops > 0


def test_passes_pool_their_rounds():
    a = {"status": "ok", "rounds_ms": [3.0, 5.0], "median_ms": 4.0, "peak_mb": 2.0,
         "wall_s": 1.0, "first_loss": 1.5}
    b = {"status": "ok", "rounds_ms": [1.0, 2.0, 9.0], "median_ms": 2.0, "peak_mb": 3.0,
         "wall_s": 2.0, "first_loss": 1.5}
    m = run.merge_passes([a, b])
    assert m["rounds_ms"] == [3.0, 5.0, 1.0, 2.0, 9.0]
    assert m["median_ms"] == 3.0 and m["min_ms"] == 1.0 and m["peak_mb"] == 3.0
    assert m["passes"] == 2 and m["pass_medians_ms"] == [4.0, 2.0]
    failed = {"status": "timeout", "error": "timeout after 1 s"}
    assert run.merge_passes([a, failed]) is failed
    assert run.merge_passes([a]) is a


@pytest.mark.parametrize("script, args, expect", [
    ("bench.bench_core", ["--rounds", "1"], "1024^2 matmul"),
    ("bench.bench_conv", ["--rounds", "1", "--inner", "1"], "lucid  median"),
    ("bench.bench_lstm", ["--rounds", "1"], "lucid "),
])
def test_micro_benchmarks_run_to_their_report(script, args, expect):
    # each script once, with one round: its command line and report still work
    done = subprocess.run([sys.executable, "-m", script, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout
