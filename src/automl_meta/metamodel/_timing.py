"""How a strategy's cross-validation seconds grow with the rows: the meta-model's time head predicts them at
the task's own size, and this module carries them to the size and folds a fit will actually use.

The time head learns from evaluations at up to the meta-dataset's largest fidelity (10,000 rows); a user's
task can be much larger, and the quantile-scaled meta-features cannot tell 50,000 rows from 10,000. Fit time
follows a power law in the rows over that range for every family (linear models about 1, kernels and
neighbours more, boosted trees less), so the seconds are extrapolated with each family's exponent, measured
on the strategies the meta-dataset scored on the same data at two sizes (a task's base and large fidelity).
"""

from __future__ import annotations

import math

import numpy as np

#: Exponent of a family without enough measured pairs: fit time linear in the rows.
DEFAULT_EXPONENT = 1.0
#: Exponents are kept in this range: measured ones outside it come from overheads at small sizes.
EXPONENT_RANGE = (0.3, 2.0)
#: A family needs this many (strategy, data) pairs measured at two sizes for its own exponent.
MIN_PAIRS = 5


def size_exponents(data, task_rows: np.ndarray) -> dict[str, float]:
    """Per family, the median of d log(seconds) / d log(rows) over the successful evaluations of one strategy
    on one named task at two sizes at least twice apart (``task_rows``: each task's rows)."""
    usable = (data.status == "ok") & np.isfinite(data.fit_seconds) & (data.fit_seconds > 0)
    slopes = two_size_slopes(data, task_rows, data.fit_seconds, usable)
    return {family: float(np.clip(np.median(values), *EXPONENT_RANGE))
            for family, values in slopes.items() if len(values) >= MIN_PAIRS}


def two_size_slopes(data, task_rows: np.ndarray, values: np.ndarray, usable: np.ndarray) -> dict[str, list]:
    """Per family, d log(value) / d log(rows) of each strategy evaluated on one named task at two sizes at least
    twice apart (a task's base and large fidelity): ``values`` one per evaluation (its seconds, its error), of
    the evaluations where ``usable``; an evaluation's rows are its own, else its task's (``task_rows``)."""
    at_size: dict[tuple, list] = {}
    for i in np.flatnonzero(usable):
        t = data.eval_task[i]
        rows = data.n_rows[i] if data.n_rows is not None and np.isfinite(data.n_rows[i]) else task_rows[t]
        if np.isfinite(rows) and rows > 0:  # a size unknown (no meta-feature for it) pairs with nothing
            at_size.setdefault((str(data.task_names[t]), data.strategies[i].key), []).append((rows, values[i], i))
    slopes: dict[str, list] = {}
    for measured in at_size.values():
        (n_small, v_small, i), (n_large, v_large, _) = min(measured), max(measured)
        if n_large >= 2 * n_small:
            slopes.setdefault(data.strategies[i].family, []).append(np.log(v_large / v_small) / np.log(n_large / n_small))
    return slopes


def exponent_of(family_columns: np.ndarray, families: list[str], exponents: dict[str, float]) -> np.ndarray:
    """Each encoded strategy's size exponent, from the one-hot family columns of its encoding."""
    per_family = np.array([exponents.get(f, DEFAULT_EXPONENT) for f in families])
    return family_columns @ per_family


def to_task_size(seconds: np.ndarray, eval_rows, task_rows: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """Training targets: seconds of evaluations made on a subsample (a fit's search rows) carried to the task's
    own size, the size its meta-features describe (unchanged where either size is unknown)."""
    if eval_rows is None:
        return seconds
    known = np.isfinite(eval_rows) & (eval_rows > 0) & np.isfinite(task_rows) & (task_rows > 0)
    ratio = np.where(known, task_rows / np.where(known, eval_rows, 1.0), 1.0)
    return seconds * np.power(ratio, exponent)


def rescale(seconds: np.ndarray, exponent: np.ndarray, from_rows: float, to_rows: float,
            from_folds: int | None, to_folds: int | None) -> np.ndarray:
    """Cross-validation seconds measured over ``from_rows`` rows and ``from_folds`` folds, carried to
    ``to_rows`` and ``to_folds``: each fold is one fit, on (folds - 1) / folds of the rows (one fit: all)."""
    out = seconds * np.power(max(to_rows, 1.0) / max(from_rows, 1.0), exponent)
    if from_folds and to_folds:
        out = out * (to_folds / from_folds) * np.power(_fit_share(to_folds) / _fit_share(from_folds), exponent)
    return out


def _fit_share(folds: int) -> float:
    return (folds - 1) / folds if folds > 1 else 1.0


def _fit_rows(n_rows: float, folds: int | None) -> float:
    """The rows of one fit of a cross-validation over ``n_rows`` rows (all of them for one fit)."""
    return max(n_rows * _fit_share(max(int(folds or 1), 1)), 1.0)


#: Beyond the largest training task, fit seconds grow at least linearly in the rows: the fixed costs that make
#: the measured exponents low between 1,000 and 10,000 rows are spent by then (on held-out tasks of 20,000-55,000
#: rows the measured exponents under-predicted the zero-shot fit several-fold).
MIN_EXTRAPOLATION_EXPONENT = 1.0


#: Seconds per optimizer step of an MLP on a GPU, where a step is bound by kernel launches, not arithmetic, at
#: the space's widths: measured on an NVIDIA H200 (``bench_device.py``, 200,000 rows, depth 2), 1.25 ms at
#: width 128 / batch 128 and 1.56 ms at width 512 / batch 512 (benchmarks/results/device_mlp.csv); rounded up.
GPU_STEP_SECONDS = 2e-3


#: An MLP's seconds per optimizer step on one CPU thread: a fixed cost per two layers plus the arithmetic,
#: ~batch x width^2 x depth multiply-adds. Fitted to ``bench_device.py`` on one thread (1.22 ms a step at width
#: 128 / batch 128, 16.2 ms at 512 / 512, depth 2; benchmarks/results/device_mlp.csv).
CPU_STEP_FIXED_SECONDS = 1.0e-3
CPU_STEP_SECONDS_PER_FLOP = 5.6e-11


def mlp_steps(params: dict, n_rows: float, folds: int) -> int:
    """Optimizer steps of an MLP's cross-validation (one fit when ``folds`` is 1) if early stopping never
    stops it: ``max_epochs`` passes over each fit's rows in batches."""
    fit_rows = _fit_rows(n_rows, folds)
    return int(params.get("max_epochs", 100)) * math.ceil(fit_rows / int(params.get("batch_size", 128))) * max(int(folds or 1), 1)


def on_device(seconds: np.ndarray, strategies, n_rows: float, folds: int, device: str | None) -> np.ndarray:
    """An MLP's predicted seconds held to its optimizer steps at the device's cost per step.

    On the CPU the steps give an upper bound (early stopping only shortens the fit) that the time head, which
    learnt from tasks of at most 10,000 rows and from networks that mostly stopped early there, can fall far
    below on a larger task (a width-129, depth-4 MLP at 22,500 rows: 1.4 s predicted, 43 s measured; the bound
    said 43 s): the predicted seconds are raised to it. On a GPU (``device`` "cuda...") a step is bound by
    kernel launches (:data:`GPU_STEP_SECONDS` per two layers), far below its CPU time for wide networks and
    large batches, and the network trains with a GPU's batch (``space.for_gpu``): the predicted
    seconds are lowered to it, so that a recommendation on a GPU machine does not
    shy away from the networks a GPU makes cheap. Other families are left as predicted."""
    gpu = device is not None and str(device).startswith("cuda")
    out = np.array(seconds, dtype=float, copy=True)
    families, params = _columns(strategies, ("depth", "width", "batch_size", "max_epochs"))
    mlp = families == "mlp"
    if not mlp.any():
        return out
    depth = np.maximum(np.nan_to_num(params["depth"][mlp], nan=2).astype(int), 1)
    width = np.nan_to_num(params["width"][mlp], nan=128)
    batch = np.nan_to_num(params["batch_size"][mlp], nan=128)
    epochs = np.nan_to_num(params["max_epochs"][mlp], nan=100)
    if gpu:  # the batch a GPU trains with (space.for_gpu): raised to GPU_MIN_BATCH where an epoch keeps its steps
        from automl_meta.space import GPU_BATCH_MIN_STEPS, GPU_MIN_BATCH

        if _fit_rows(n_rows, folds) >= GPU_BATCH_MIN_STEPS * GPU_MIN_BATCH:
            batch = np.maximum(batch, GPU_MIN_BATCH)
    n_folds = max(int(folds or 1), 1)
    steps = epochs * np.ceil(_fit_rows(n_rows, folds) / batch) * n_folds
    if gpu:
        out[mlp] = np.minimum(out[mlp], steps * GPU_STEP_SECONDS * depth / 2)
    else:
        per_step = CPU_STEP_FIXED_SECONDS * depth / 2 + CPU_STEP_SECONDS_PER_FLOP * batch * width**2 * depth
        out[mlp] = np.maximum(out[mlp], steps * per_step)
    return out


def _columns(strategies, names) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The strategies' families and the hyperparameters ``names`` as arrays (NaN where a family has none): from a
    :class:`~automl_meta.metamodel._pool.CandidatePool`'s columns as they are, else read off each strategy."""
    if hasattr(strategies, "params") and hasattr(strategies, "families"):
        return strategies.families, {name: strategies.params[name] for name in names}
    strategies = list(strategies)
    return (np.array([s.family for s in strategies], dtype=str),
            {name: np.array([float(s.params.get(name, np.nan)) for s in strategies]) for name in names})


#: One CPU thread's seconds per unit of a tree ensemble's work, a unit being one row x one level x one column
#: tried at a split (rows x log2(rows / min_samples_leaf) x max(1, max_features x columns) per tree): the lower
#: end of scikit-learn's forests fitted on one thread, 5,000-60,000 rows x 8-40 columns (random forests
#: 6.1e-8-1.1e-7, extra trees 7e-9-4.5e-8: their splits draw thresholds instead of sorting).
TREE_SECONDS_PER_UNIT = {"random_forest": 5e-8, "extra_trees": 6e-9}


#: A histogram booster's seconds on one CPU thread (LightGBM, scikit-learn's HistGradientBoosting), the lower end
#: of those measured on 240-100,000 rows x 30-3,000 columns (2026-12-06, AMD EPYC, the other core busy): each tree
#: bins every row of every column into histograms (3.1-4.6 ns a row x column for stumps, whatever share of the
#: columns a tree samples), and each split scans two leaves' histograms, a column's bins each (1.5-3.2 ns a
#: leaf x column x bin for 7-60 leaves). XGBoost is left out: on a GPU it costs a fraction of that.
BOOSTER_SECONDS_PER_ROW_COLUMN = 2e-9
BOOSTER_SECONDS_PER_LEAF_BIN = 1e-9
#: The bins of a column's histogram (LightGBM's and scikit-learn's default ``max_bin``), or its rows when fewer.
BOOSTER_BINS = 255
#: Each booster's (leaves, rows a leaf needs at least, trees) hyperparameters.
_BOOSTER_PARAMS = {"lightgbm": ("num_leaves", "min_child_samples", "n_estimators"),
                   "hist_gb": ("max_leaf_nodes", "min_samples_leaf", "max_iter")}
#: Rounds a HistGradientBoosting with early stopping runs at least (scikit-learn's n_iter_no_change, 10, + 1).
_EARLY_STOPPED_ROUNDS = 11


def tree_floor(seconds: np.ndarray, strategies, n_rows: float, n_features: float | None, folds: int) -> np.ndarray:
    """A forest's or a histogram booster's predicted seconds held to at least its trees' work at
    :data:`TREE_SECONDS_PER_UNIT` (forests) and :data:`BOOSTER_SECONDS_PER_ROW_COLUMN` and
    :data:`BOOSTER_SECONDS_PER_LEAF_BIN` (boosters).

    The time head learnt from tasks of at most 10,000 rows, and a forest's cost grows as rows x log(rows) x the
    columns tried: on held-out tables of 20,000-75,000 rows it under-predicted random forests up to 7-fold
    (a 261-tree forest on 28,011 rows: 5.2 s predicted, 37.7 s measured). A booster's grows with the columns
    times rows and bins: on 300 rows x 3,000 columns a 60-leaf LightGBM of 468 trees was predicted 3.2 s of
    5-fold cross-validation and timed out after 9.9 s (its trees took 129 ms each). Unchanged without
    ``n_features``."""
    out = np.array(seconds, dtype=float, copy=True)
    if not n_features or not n_rows:
        return out
    folds = max(int(folds or 1), 1)
    fit_rows = max(n_rows * _fit_share(folds), 2.0)
    families, params = _columns(strategies, ("min_samples_leaf", "max_features", "n_estimators", "num_leaves",
                                             "min_child_samples", "max_leaf_nodes", "max_iter", "early_stopping"))
    for family, per_unit in TREE_SECONDS_PER_UNIT.items():
        rows = families == family
        if not rows.any():
            continue
        leaf = np.maximum(np.nan_to_num(params["min_samples_leaf"][rows], nan=1).astype(int), 1)
        tried = np.maximum(1.0, np.nan_to_num(params["max_features"][rows], nan=0.5) * n_features)
        trees = np.nan_to_num(params["n_estimators"][rows], nan=128).astype(int)
        work = trees * fit_rows * np.log2(np.maximum(fit_rows / leaf, 2.0)) * tried
        out[rows] = np.maximum(out[rows], folds * work * per_unit)
    for family, names in _BOOSTER_PARAMS.items():
        rows = families == family
        if rows.any():
            least = _booster_seconds(fit_rows, n_features, *(params[name][rows] for name in (*names, "early_stopping")))
            out[rows] = np.maximum(out[rows], folds * least)
    return out


def _booster_seconds(fit_rows: float, n_features: float, leaves, leaf_rows, trees, early_stopping) -> np.ndarray:
    """The least seconds of one fit of a histogram booster: its rounds (those early stopping runs at least) times a
    tree's binning and its splits' scans, with no more leaves than its rows can fill (half of rows over the
    least rows of a leaf: a lower bound)."""
    fillable = np.maximum(fit_rows / (2 * np.maximum(np.nan_to_num(leaf_rows, nan=20), 1)), 2)
    leaves = np.minimum(np.nan_to_num(leaves, nan=31), fillable)
    rounds = np.nan_to_num(trees, nan=100)
    rounds = np.where(np.nan_to_num(early_stopping, nan=0) > 0, np.minimum(rounds, _EARLY_STOPPED_ROUNDS), rounds)
    per_tree = (fit_rows * n_features * BOOSTER_SECONDS_PER_ROW_COLUMN
                + 2 * (leaves - 1) * n_features * min(fit_rows, BOOSTER_BINS) * BOOSTER_SECONDS_PER_LEAF_BIN)
    return rounds * per_tree


#: Seconds of :func:`_reference_work` (the fastest of its repeats) on the kind of machine that measured the
#: shipped meta-dataset's times (2-core AMD EPYC, Python 3.11, measured 2026-12-05 with the other core busy
#: with a benchmark): a machine that takes twice as long fits models about twice as slowly.
REFERENCE_WORK_SECONDS = 0.0062
#: The speed factor is kept in this range: beyond it the measurement says more about a hiccup than the machine.
MACHINE_FACTOR_RANGE = (0.5, 8.0)


def _reference_work() -> None:
    """A fixed piece of single-threaded work like a model fit's: a NumPy sort and an interpreted loop."""
    np.sort(np.random.default_rng(0).random(100_000))
    total = 0
    for i in range(50_000):
        total += i


def machine_factor(repeats: int = 3) -> float:
    """How many seconds this machine takes now for one second of the meta-dataset's machine: the fastest of
    ``repeats`` runs of a reference workload (after one to warm up) over its time there, in
    :data:`MACHINE_FACTOR_RANGE`. About 15 ms x (repeats + 1) on the reference machine.

    Predicted seconds come from the machine that built the meta-dataset; a laptop with another job running may
    be several times slower, and a warm start predicted to take a quarter of the budget would then take all of
    it. Multiplying the predictions by this factor keeps the time filters true to the machine the fit runs on."""
    import time

    _reference_work()
    best = math.inf
    for _ in range(max(int(repeats), 1)):
        start = time.perf_counter()
        _reference_work()
        best = min(best, time.perf_counter() - start)
    return float(np.clip(best / REFERENCE_WORK_SECONDS, *MACHINE_FACTOR_RANGE))
