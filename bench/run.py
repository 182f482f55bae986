"""Side-by-side training benchmark: Lucid against PyTorch on the workloads of ``workloads.py``.

Run ``python -m bench`` (or ``python bench/run.py``) from the repository root. Each
(framework, workload) pair runs in a fresh subprocess (``run.py _worker ...``) with a timeout, so
one framework's imports, allocator state or thread pools cannot touch the other's numbers, and
the peak memory of a pair is that process's own. A worker builds the model from the shared NumPy
weights, runs ``--warmup`` steps (the first one's loss is the loss-match check; warm-up is not
timed), picks a number of steps per round so that a round lasts about ``--round-time`` seconds,
and times ``--rounds`` rounds. A round's time is its mean ms/step; the table shows the median and
the min over rounds, the Lucid/PyTorch ratio of medians, each framework's fraction of the ideal
time from the limit probe (``probe.py``), and the peak memory of a step (see README.md).

Flags: ``--threads N`` (BLAS and PyTorch threads, default 1), ``--workloads mlp,cnn``,
``--frameworks lucid,torch``, ``--rounds R``, ``--passes P`` (each pair P times, interleaved,
rounds pooled), ``--warmup W``, ``--round-time S``, ``--steps K``
(fixed steps per round), ``--timeout S`` (per pair), ``--json PATH`` (default
``bench/results.json``), ``--no-probe``, ``--profile DIR`` (cProfile of the timed rounds,
one ``.prof`` file per pair; timings are then inflated), ``--keep-openblas-env``.
The exit status is 1 when a pair failed or timed out or a first-step loss did not match.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:    # ``python bench/run.py`` puts bench/, not the root, on the path
    sys.path.insert(0, ROOT)
from bench._common import THREAD_VARS, loaded_blas, set_thread_env  # noqa: E402

WORKLOADS = ("mlp", "cnn", "attn", "tiny")
FRAMEWORKS = ("lucid", "torch")
LABELS = {"lucid": "Lucid", "torch": "PyTorch"}
# Set on some processors for old OpenBLAS builds; they slow a current NumPy's GEMM, so the
# benchmark subprocesses (only they) run without them. See bench/README.md.
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
LOSS_RTOL = 1e-4
MARKER = "BENCH_JSON "
DEFAULT_JSON = os.path.join(ROOT, "bench", "results.json")


# ---------------------------------------------------------------------------------------------
# Memory: resident set size of this process, from /proc/self/status
# ---------------------------------------------------------------------------------------------

def _status_kb(field):
    """``VmRSS`` / ``VmHWM`` of this process in kB, or None where /proc is not there."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Reset VmHWM (the peak RSS) to the current RSS; Linux >= 4.0 ("5" > clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim_heap():
    """Give free heap pages back to the OS (glibc ``malloc_trim``), so the RSS baseline
    holds only live memory; a no-op where there is no glibc."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _peak_rss_kb(reset_ok):
    if reset_ok:
        hwm = _status_kb("VmHWM")
        if hwm is not None:
            return hwm, "VmHWM after clear_refs"
    import resource
    # ru_maxrss is in kB on Linux; it cannot be reset, so it may include import-time peaks.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss (not reset)"


# ---------------------------------------------------------------------------------------------
# The worker: one (framework, workload) pair, in its own process
# ---------------------------------------------------------------------------------------------

def worker(args):
    """Build, warm up, time; print one MARKER line with the result as JSON."""
    for var in THREAD_VARS:     # when run by hand; the parent already set them
        os.environ.setdefault(var, str(args.threads))
    import gc

    from bench import workloads as W

    fw = W.ADAPTERS[args.framework](args.threads)
    # Prime: one step of a throwaway copy runs the lazy imports and one-off initialisation
    # (PyTorch's autograd thread and kernel caches are 8 MB of RSS), which would otherwise be
    # counted as the memory of a step. Its memory goes back to the OS before the baseline.
    prime = W.build(args.workload, fw)
    prime.step()
    del prime
    gc.collect()
    _trim_heap()
    t0 = time.perf_counter()
    setup = W.build(args.workload, fw)
    build_s = time.perf_counter() - t0
    gc.collect()
    _trim_heap()
    rss_base = _status_kb("VmRSS")
    reset_ok = _reset_peak_rss()

    # Warm-up: step 1's loss is computed from the shared initial weights (the match check).
    losses, warm_ms = [], []
    for _ in range(max(1, args.warmup)):
        t = time.perf_counter()
        losses.append(fw.item(setup.step()))
        warm_ms.append((time.perf_counter() - t) * 1e3)
    typical_ms = min(warm_ms[1:] or warm_ms)
    steps = args.steps or max(1, round(args.round_time * 1e3 / typical_ms))

    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    rounds_ms = []
    loss = None
    for _ in range(args.rounds):
        if profiler:
            profiler.enable()
        t = time.perf_counter()
        for _ in range(steps):
            loss = setup.step()
        rounds_ms.append((time.perf_counter() - t) * 1e3 / steps)
        if profiler:
            profiler.disable()
    peak_kb, peak_method = _peak_rss_kb(reset_ok)
    rss_end = _status_kb("VmRSS")
    if profiler:
        os.makedirs(args.profile, exist_ok=True)
        path = os.path.join(args.profile, f"{args.framework}-{args.workload}.prof")
        profiler.dump_stats(path)

    import numpy as np
    result = {
        "framework": args.framework,
        "workload": args.workload,
        "status": "ok",
        "version": fw.version,
        "numpy": np.__version__,
        "threads": args.threads,
        "median_ms": statistics.median(rounds_ms),
        "min_ms": min(rounds_ms),
        "rounds_ms": rounds_ms,
        "steps_per_round": steps,
        "warmup_ms": warm_ms,
        "build_s": build_s,
        "first_loss": losses[0],
        "warmup_losses": losses,
        "last_loss": fw.item(loss) if loss is not None else None,
        "loss_dtype": str(loss.dtype) if loss is not None else None,
        "param_spec": [[name, list(shape)] for name, shape in setup.spec],
        "rss_base_mb": rss_base / 1024 if rss_base is not None else None,
        "rss_end_mb": rss_end / 1024 if rss_end is not None else None,
        "peak_mb": (peak_kb - rss_base) / 1024 if rss_base is not None else None,
        # What stays after the last step: gradients, optimizer state, allocator caches.
        "retained_mb": (rss_end - rss_base) / 1024 if None not in (rss_base, rss_end) else None,
        "peak_method": peak_method,
        "blas": loaded_blas(),
        "profile": bool(args.profile),
    }
    print(MARKER + json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# The parent: subprocesses, table, JSON
# ---------------------------------------------------------------------------------------------

def child_env(threads, keep_openblas=False):
    """The environment of every benchmark subprocess, and the OPENBLAS variables it dropped."""
    env = set_thread_env(threads, dict(os.environ))
    dropped = []
    if not keep_openblas:
        for var in OPENBLAS_VARS:
            if var in env:
                dropped.append(f"{var}={env.pop(var)}")
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    return env, dropped


def _parse_marker(stdout):
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return None


def _run_child(cmd, env, timeout):
    """Run ``cmd``; (result dict or None, error text or None, wall seconds)."""
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout:g} s", time.perf_counter() - t
    wall = time.perf_counter() - t
    result = _parse_marker(proc.stdout)
    if proc.returncode != 0 or result is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return None, f"exit {proc.returncode}: " + " | ".join(tail), wall
    return result, None, wall


def run_pair(framework, workload, args, env):
    cmd = [sys.executable, "-m", "bench.run", "_worker", "--framework", framework,
           "--workload", workload, "--threads", str(args.threads), "--rounds", str(args.rounds),
           "--warmup", str(args.warmup), "--round-time", str(args.round_time),
           "--steps", str(args.steps)]
    if args.profile:
        cmd += ["--profile", os.path.abspath(args.profile)]
    result, error, wall = _run_child(cmd, env, args.timeout)
    if result is None:
        status = "timeout" if error.startswith("timeout") else "error"
        result = {"framework": framework, "workload": workload, "status": status,
                  "error": error}
    result["wall_s"] = wall
    return result


def merge_passes(passes):
    """One result from the runs of a pair: the first run's fields, every pass's rounds pooled
    (median and min over all of them), the largest peak memory. A failed pass wins."""
    bad = [r for r in passes if r["status"] != "ok"]
    if bad or len(passes) == 1:
        return bad[0] if bad else passes[0]
    merged = dict(passes[0])
    merged["rounds_ms"] = [ms for r in passes for ms in r["rounds_ms"]]
    merged["median_ms"] = statistics.median(merged["rounds_ms"])
    merged["min_ms"] = min(merged["rounds_ms"])
    merged["peak_mb"] = max(r["peak_mb"] for r in passes)
    merged["passes"] = len(passes)
    merged["wall_s"] = sum(r["wall_s"] for r in passes)
    merged["pass_medians_ms"] = [r["median_ms"] for r in passes]
    return merged


def run_probe(args, env):
    cmd = [sys.executable, "-m", "bench.probe", "--threads", str(args.threads), "--emit-json"]
    result, error, _ = _run_child(cmd, env, args.timeout)
    if result is None:
        print(f"limit probe failed: {error}", file=sys.stderr)
    return result


def summarise(workloads, results, probe):
    """Per workload: ratio, loss match, ideal ms and fractions of it, memory ratio."""
    from bench.workloads import gemm_macs, train_flops
    by = {(r["workload"], r["framework"]): r for r in results}
    summary = {}
    for wl in workloads:
        lu, to = by.get((wl, "lucid"), {}), by.get((wl, "torch"), {})
        s = {"gemm_macs_forward": gemm_macs(wl)[0], "train_flops": train_flops(wl)}
        if probe:
            s["ideal_ms"] = train_flops(wl) / (probe["gflops"] * 1e9) * 1e3
            for r in (lu, to):
                if r.get("status") == "ok":
                    r["fraction_of_ideal"] = s["ideal_ms"] / r["median_ms"]
        if lu.get("status") == "ok" and to.get("status") == "ok":
            s["ratio_median"] = lu["median_ms"] / to["median_ms"]
            s["ratio_min"] = lu["min_ms"] / to["min_ms"]
            ref = to["first_loss"]
            s["loss_rel_diff"] = abs(lu["first_loss"] - ref) / max(abs(ref), 1e-30)
            s["loss_match"] = s["loss_rel_diff"] <= LOSS_RTOL
            s["same_params"] = lu["param_spec"] == to["param_spec"]
            n = min(len(lu["warmup_losses"]), len(to["warmup_losses"]))
            if n > 1:   # after n-1 optimizer steps: a check on backward + optimizer too
                a, b = lu["warmup_losses"][n - 1], to["warmup_losses"][n - 1]
                s["later_loss_rel_diff"] = abs(a - b) / max(abs(b), 1e-30)
                s["later_loss_step"] = n
            # Below about 1 MB, RSS (4 kB pages, allocator arenas) measures noise, not memory.
            if min(lu.get("peak_mb") or 0, to.get("peak_mb") or 0) >= 1.0:
                s["mem_ratio"] = lu["peak_mb"] / to["peak_mb"]
        summary[wl] = s
    return summary


def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def _cell(result, key, spec):
    if not result:
        return "-"
    if result.get("status") != "ok":
        return result.get("status", "-")
    return _fmt(result.get(key), spec)


def format_table(workloads, results, summary, probe):
    by = {(r["workload"], r["framework"]): r for r in results}
    head = ["workload", "ideal ms",
            "Lucid med ms", "Lucid min ms", "PyTorch med ms", "PyTorch min ms", "ratio",
            "Lucid % ideal", "PyTorch % ideal", "Lucid peak MB", "PyTorch peak MB", "mem ratio",
            "loss match"]
    rows = []
    for wl in workloads:
        lu, to, s = by.get((wl, "lucid")), by.get((wl, "torch")), summary[wl]
        if "loss_match" in s:
            match = f"{'yes' if s['loss_match'] else 'NO'} ({s['loss_rel_diff']:.1e})"
            if not s["same_params"]:
                match += " params differ"
        else:
            match = "n/a"
        pct = [_fmt(r.get("fraction_of_ideal") * 100, ".1f") if r and r.get(
            "fraction_of_ideal") is not None else "-" for r in (lu, to)]
        rows.append([wl, _fmt(s.get("ideal_ms"), ".3g"),
                     _cell(lu, "median_ms", ".3f"), _cell(lu, "min_ms", ".3f"),
                     _cell(to, "median_ms", ".3f"), _cell(to, "min_ms", ".3f"),
                     _fmt(s.get("ratio_median"), ".2f"), pct[0], pct[1],
                     _cell(lu, "peak_mb", ".1f"), _cell(to, "peak_mb", ".1f"),
                     _fmt(s.get("mem_ratio"), ".2f"), match])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
            + " |")
    return "\n".join(lines)


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads and torch.set_num_threads (default 1)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                        help="comma-separated subset of lucid,torch")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    parser.add_argument("--passes", type=int, default=1,
                        help="run every pair this many times, interleaved, pooling the rounds")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed steps first; the first gives the checked loss (default 3)")
    parser.add_argument("--round-time", type=float, default=0.3,
                        help="target seconds per round, sets the steps per round (default 0.3)")
    parser.add_argument("--steps", type=int, default=0,
                        help="fixed steps per round instead of --round-time")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed for one (framework, workload) subprocess")
    parser.add_argument("--json", default=DEFAULT_JSON, help="where to write the results")
    parser.add_argument("--no-probe", action="store_true", help="skip the GEMM limit probe")
    parser.add_argument("--profile", metavar="DIR",
                        help="write cProfile stats of the timed rounds to DIR/<fw>-<wl>.prof")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the subprocesses")
    args = parser.parse_args(argv)
    args.workloads = _split(parser, args.workloads, WORKLOADS, "--workloads")
    args.frameworks = _split(parser, args.frameworks, FRAMEWORKS, "--frameworks")
    for name in ("threads", "rounds", "warmup", "passes"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.steps < 0 or args.round_time <= 0 or args.timeout <= 0:
        parser.error("--steps must be >= 0, --round-time and --timeout > 0")
    return args


def _split(parser, text, allowed, flag):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        parser.error(f"{flag}: unknown {bad or 'empty list'}; choose from {','.join(allowed)}")
    return names


def main(argv=None):
    args = parse_args(argv)
    env, dropped = child_env(args.threads, args.keep_openblas_env)
    have_torch = importlib.util.find_spec("torch") is not None
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    probe = None
    if not args.no_probe:
        say(f"limit probe: float32 GEMM with NumPy, {args.threads} thread(s) ...")
        probe = run_probe(args, env)

    # With --passes P every pair runs P times, the passes interleaved (lucid, torch, lucid,
    # ...) so that a change in the machine's load hits both frameworks alike.
    runs = {}
    for p in range(args.passes):
        for wl in args.workloads:
            for fw in args.frameworks:
                if fw == "torch" and not have_torch:
                    runs[wl, fw] = [{"framework": fw, "workload": wl, "status": "skipped",
                                     "error": "torch is not installed"}]
                    continue
                if p and runs[wl, fw][-1]["status"] != "ok":
                    continue    # failed or timed out once: do not pay for it again
                say(f"{LABELS[fw]} {wl}" + (f" (pass {p + 1}/{args.passes})" if p else "")
                    + " ...")
                r = run_pair(fw, wl, args, env)
                if r["status"] != "ok":     # the exception line; the JSON keeps the full tail
                    say(f"  {r['status']}: {r.get('error', '').split(' | ')[-1]}")
                runs.setdefault((wl, fw), []).append(r)
    results = [merge_passes(rs) for rs in runs.values()]

    summary = summarise(args.workloads, results, probe)
    versions = {r["framework"]: r.get("version") for r in results if r.get("status") == "ok"}
    numpy_version = next((r["numpy"] for r in results if r.get("numpy")), None)
    meta = {
        "command": " ".join([os.path.basename(sys.executable), "-m", "bench"]
                            + (sys.argv[1:] if argv is None else list(argv))),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "threads": args.threads, "rounds": args.rounds, "passes": args.passes,
        "warmup": args.warmup,
        "round_time_s": args.round_time, "steps": args.steps or "auto",
        "python": platform.python_version(), "numpy": numpy_version,
        "lucid": versions.get("lucid"), "torch": versions.get("torch"),
        "cpu": _cpu_name(), "cpus": os.cpu_count(), "platform": platform.platform(),
        "openblas_env_dropped": dropped, "torch_installed": have_torch,
        "loss_rtol": LOSS_RTOL, "profile": bool(args.profile),
    }
    report = {"meta": meta, "probe": probe, "summary": summary, "results": results}

    print()
    gemm = f"{probe['gflops']:.1f} GFLOP/s" if probe else "not measured"
    print(f"Lucid vs PyTorch, one training step (fwd, loss, bwd, optimizer), float32, "
          f"{args.threads} thread(s), {args.rounds} rounds x {args.passes} pass(es); "
          f"{meta['cpu']}")
    print(f"float32 GEMM peak (NumPy): {gemm}; ideal = GEMM FLOPs of a step / peak; "
          f"ratio = Lucid median / PyTorch median")
    if not have_torch and "torch" in args.frameworks:
        print("PyTorch is not installed: its rows are skipped.")
    if args.profile:
        print(f"cProfile was on (stats in {args.profile}): times are inflated.")
    print(format_table(args.workloads, results, summary, probe))
    for wl, s in summary.items():
        if "later_loss_rel_diff" in s and s["later_loss_rel_diff"] > 1e-3:
            print(f"note: {wl}: losses drift apart by step {s['later_loss_step']} "
                  f"(rel diff {s['later_loss_rel_diff']:.1e}): check backward / optimizer")

    path = os.path.abspath(args.json)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    print(f"results written to {os.path.relpath(path)}")

    failed = [f"{r['framework']}/{r['workload']}" for r in results
              if r["status"] in ("error", "timeout")]
    mismatched = [wl for wl, s in summary.items() if s.get("loss_match") is False]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    if mismatched:
        print(f"LOSS MISMATCH: {', '.join(mismatched)}")
    return 1 if failed or mismatched else 0


def _worker_main(argv):
    parser = argparse.ArgumentParser(prog="bench.run _worker")
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--round-time", type=float, default=0.3)
    parser.add_argument("--steps", type=int, default=0)
    parser.add_argument("--profile", default=None)
    return worker(parser.parse_args(argv))


def entry(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        rc = _worker_main(argv[1:])
        # The result is printed: skip interpreter teardown (PyTorch's takes seconds).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return main(argv)


if __name__ == "__main__":
    sys.exit(entry())
