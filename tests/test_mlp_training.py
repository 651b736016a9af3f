"""The MLP family's one training loop (models/_mlp_training.py): a fit against a plain PyTorch reference loop, and
fold models trained at once as one stacked network against the same models fitted one by one."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold

from automl_meta.models import TorchMLPClassifier, TorchMLPRegressor, build_model
from automl_meta.models import fit_pipelines_stacked, is_stackable
from automl_meta.models._torch_mlp import fit_stacked
from automl_meta.space import Strategy

# Without dropout the stacked fit repeats the separate fits' arithmetic (same initial weights, batches,
# validation rows, AdamW steps), and a fit repeats the reference loop's: predictions agree to float32 rounding.
# This is the tolerance.
TOLERANCE = 1e-5


def _reference_fit(model, X, y):
    """What ``model.fit(X, y)`` computes, written as the plain PyTorch loop of the documentation (one network,
    ``nn.Sequential`` forward, the loss's mean over a batch): the seeded validation split, one shuffled order per
    epoch, batches of one row skipped, AdamW, early stopping on the validation loss, the best epoch's weights."""
    import copy

    import torch

    p = model._prepare(X, y)
    net = model._network(p.X.shape[1], p.n_out, p.seed)
    loss_fn = model._loss_per_row()
    Xt, yt = torch.as_tensor(p.X), torch.as_tensor(p.target)
    opt = torch.optim.AdamW(net.parameters(), lr=model.learning_rate, weight_decay=model.weight_decay)
    generator = torch.Generator().manual_seed(p.seed)
    batch = min(model.batch_size, len(p.train))
    best, best_state, since_best, epochs = np.inf, None, 0, 0
    for epoch in range(model.max_epochs):
        epochs = epoch + 1
        net.train()
        order = p.train[torch.randperm(len(p.train), generator=generator).numpy()]
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            if len(rows) < 2:
                continue
            opt.zero_grad()
            loss_fn(net(Xt[rows]), yt[rows]).mean().backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            val = float(loss_fn(net(Xt[p.val]), yt[p.val]).mean())
        if val < best - 1e-6:
            best, best_state, since_best = val, copy.deepcopy(net.state_dict()), 0
        else:
            since_best += 1
            if since_best >= model.patience:
                break
    net.load_state_dict(best_state)
    return net.eval(), epochs


@pytest.mark.parametrize("estimator", [TorchMLPClassifier, TorchMLPRegressor])
def test_a_fit_is_the_reference_training_loop(estimator):
    """One network fitted (a stack of one) is the network the plain loop trains: same epochs, same predictions."""
    import torch

    rng = np.random.default_rng(5)
    X = rng.normal(size=(250, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) if estimator is TorchMLPClassifier else X[:, 0] + 0.3 * rng.normal(size=250)
    make = lambda: estimator(dropout=0.0, max_epochs=60, patience=4, batch_size=32, learning_rate=0.01,  # noqa: E731
                             random_state=3, device="cpu")
    fitted = make().fit(X, y)
    net, epochs = _reference_fit(make(), X, y)
    assert fitted.n_epochs_ == epochs and 4 < epochs < 60  # early stopping happened, on the same epoch
    with torch.no_grad():
        np.testing.assert_allclose(fitted.model_(torch.as_tensor(X)).numpy(), net(torch.as_tensor(X)).numpy(),
                                   atol=TOLERANCE, rtol=0)


def _data(n=603, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.choice(["x", "y", "z"], p=[0.45, 0.45, 0.1], size=n)})
    X.loc[0, "c"] = "once"  # a category in one row: the fold that tests it encodes one column fewer
    X.loc[rng.random(n) < 0.05, "a"] = np.nan
    label = np.where(X["a"].fillna(0) + (X["c"] == "x") + 0.5 * X["b"] ** 2 > 0.6, "yes", "no")
    value = 2 * X["a"].fillna(0) + np.sin(X["b"]) + (X["c"] == "y")
    return X, pd.Series(label), pd.Series(value)


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_stacked_fold_models_equal_separate_fits(kind):
    X, label, value = _data()
    y = label if kind == "binary" else value
    splitter = StratifiedKFold(5, shuffle=True, random_state=0) if kind == "binary" else KFold(5, shuffle=True, random_state=0)
    folds = list(splitter.split(X, y))
    template = build_model(Strategy("mlp", {"dropout": 0.0, "max_epochs": 40, "batch_size": 64}), kind, device="cpu")
    assert is_stackable(template) and not is_stackable(build_model(Strategy.default("linear"), kind))
    separate = [clone(template).fit(X.iloc[train], y.iloc[train]) for train, _ in folds]
    stacked = fit_pipelines_stacked(template, [(X.iloc[train], y.iloc[train]) for train, _ in folds])
    widths = {p.named_steps["model"].n_features_in_ for p in stacked}
    assert len(widths) == 2  # the folds' encoders differ: inputs were padded to the widest
    for one, many, (_, test) in zip(separate, stacked, folds):
        a, b = one.named_steps["model"], many.named_steps["model"]
        assert (a.n_epochs_, a.n_features_in_) == (b.n_epochs_, b.n_features_in_)
        out = (lambda p: p.predict_proba(X.iloc[test])) if kind == "binary" else (lambda p: p.predict(X.iloc[test]))
        np.testing.assert_allclose(out(many), out(one), atol=TOLERANCE, rtol=0)


def test_stacked_early_stopping_is_per_member():
    """Members stop at their own epochs, each keeping its own best weights, as alone."""
    rng = np.random.default_rng(3)
    Xs = [rng.normal(size=(200, 4)).astype(np.float32) for _ in range(3)]
    ys = [x[:, 0] + (0.2 + i) * rng.normal(size=200) for i, x in enumerate(Xs)]  # noisier and noisier
    make = lambda: TorchMLPRegressor(dropout=0.0, max_epochs=200, patience=3, learning_rate=0.01, random_state=1,  # noqa: E731
                                     device="cpu")
    alone = [make().fit(x, y) for x, y in zip(Xs, ys)]
    together = fit_stacked([make() for _ in Xs], Xs, ys)
    assert [m.n_epochs_ for m in together] == [m.n_epochs_ for m in alone]
    assert len({m.n_epochs_ for m in together}) > 1 and max(m.n_epochs_ for m in together) < 200
    for a, b, x in zip(alone, together, Xs):
        np.testing.assert_allclose(b.predict(x), a.predict(x), atol=TOLERANCE * 10, rtol=0)


def test_stacked_with_dropout_learns_as_well():
    """With dropout the masks come from one random stream (other draws, same distribution): the models
    differ, their quality does not."""
    X, label, _ = _data(seed=1)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, label))
    template = build_model(Strategy("mlp", {"dropout": 0.3, "max_epochs": 60}), "binary", device="cpu")
    from sklearn.metrics import roc_auc_score

    def auc(model, test):
        return roc_auc_score(label.iloc[test] == "yes", model.predict_proba(X.iloc[test])[:, 1])

    separate = [auc(clone(template).fit(X.iloc[tr], label.iloc[tr]), te) for tr, te in folds]
    stacked = [auc(m, te) for m, (_, te) in zip(fit_pipelines_stacked(template, [(X.iloc[tr], label.iloc[tr]) for tr, _ in folds]), folds)]
    assert np.mean(stacked) > 0.85 and abs(np.mean(stacked) - np.mean(separate)) < 0.03


def test_stacked_with_dropout_is_reproducible():
    """The masks come from the members' seeds: the same fit twice predicts the same, whatever the process's
    global random state (the same strategy once scored differently from run to run), and leaves it as it was."""
    import torch

    X, label, _ = _data(seed=2)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, label))
    template = build_model(Strategy("mlp", {"dropout": 0.3, "max_epochs": 15}), "binary", device="cpu")
    datasets = [(X.iloc[tr], label.iloc[tr]) for tr, _ in folds]
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        before = torch.get_rng_state()
        runs.append([m.predict_proba(X) for m in fit_pipelines_stacked(template, datasets)])
        assert torch.equal(torch.get_rng_state(), before)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_fit_stacked_refuses_different_architectures():
    X = np.zeros((40, 3), dtype=np.float32)
    y = np.array([0, 1] * 20)
    with pytest.raises(ValueError, match="one architecture"):
        fit_stacked([TorchMLPClassifier(width=16), TorchMLPClassifier(width=32)], [X, X], [y, y])


def test_cross_validation_of_an_mlp_uses_the_stacked_fit(tasks_by_kind):
    """cross_validate scores the same fold models as fitting them one by one."""
    from automl_meta.evaluate import cross_validate
    from automl_meta.evaluate._cv import _folds

    task = tasks_by_kind["binary"]
    strategy = Strategy("mlp", {"dropout": 0.0, "max_epochs": 20})
    result = cross_validate(strategy, task, cv=3, device="cpu")
    y = task.y.reset_index(drop=True)
    X = task.X.reset_index(drop=True)
    folds = _folds(task, np.arange(task.n_rows), 3, 0)
    template = build_model(strategy, task.kind, n_rows=len(folds[0][0]), device="cpu")
    from sklearn.metrics import get_scorer

    scorer = get_scorer(task.metric)
    expected = [scorer(clone(template).fit(X.iloc[tr], y.iloc[tr]), X.iloc[te], y.iloc[te]) for tr, te in folds]
    np.testing.assert_allclose(result.fold_scores, expected, atol=1e-6)


def test_members_with_different_classes_are_fitted_one_by_one():
    """A class absent from one member's rows (a rare class in one fold) changes its output width: those members
    are fitted as alone, with their own classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3)).astype(np.float32)
    y = np.array(["a", "b"] * 44 + ["c", "c"])
    fitted = fit_stacked([TorchMLPClassifier(max_epochs=5, device="cpu") for _ in range(2)], [X, X[:88]], [y, y[:88]])
    assert list(fitted[0].classes_) == ["a", "b", "c"] and list(fitted[1].classes_) == ["a", "b"]
    assert fitted[1].predict_proba(X).shape == (90, 2)


def test_a_time_limit_stops_starting_epochs_and_keeps_the_best_one():
    from automl_meta.models import build_model, with_time_limit
    from automl_meta.space import Strategy

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(600, 4), columns=list("abcd"))
    y = (X["a"] + X["b"] > 0).astype(int)
    strategy = Strategy("mlp", {**Strategy.default("mlp").params, "max_epochs": 50})
    limited = with_time_limit(build_model(strategy, "binary", device="cpu"), 0.0).fit(X, y)
    free = build_model(strategy, "binary", device="cpu").fit(X, y)
    assert limited.named_steps["model"].n_epochs_ == 1 < free.named_steps["model"].n_epochs_
    assert limited.predict_proba(X).shape == (600, 2)
    tree = with_time_limit(build_model(Strategy.default("hist_gb"), "binary", device="cpu"), 0.0)
    assert "max_seconds" not in tree.named_steps["model"].get_params()  # a family without epochs is unchanged
