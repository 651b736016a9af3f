"""A fit's fingerprint, to show that a refactoring changed no behaviour: ``python tools/fit_fingerprint.py``.

Three seeded fits on the bundled penguins, sequential (``n_jobs=1``) and bounded by trials, not seconds, so that
nothing depends on the machine's speed: a classification with the ensemble, a regression, and an MLP-only
classification (the torch training loop). For each it prints the leaderboard (trial, family, score to 10
decimals, status, strategy), the members of the final model, and a SHA-256 of the fitted model's predictions
on held-out rows (to full precision). Run it before and after a change and ``diff`` the outputs;
``--save DIR`` also writes each fit's predictions (``DIR/<n>.npy``) and ``--compare DIR`` prints the largest
difference from those saved, for a change that is allowed to move them by float rounding.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

FITS = {
    "classification, ensemble": dict(target="species", kind="classifier", params=dict(n_trials=12)),
    "regression": dict(target="body_mass_g", kind="regressor", params=dict(n_trials=10)),
    "mlp only": dict(target="species", kind="classifier", params=dict(n_trials=4, families=["mlp"])),
}


def fingerprint(name: str, target: str, kind: str, params: dict) -> tuple[str, np.ndarray]:
    from sklearn.model_selection import train_test_split

    from automl_meta import AutoMetaClassifier, AutoMetaRegressor
    from automl_meta.examples import load_example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        task = load_example("penguins", target=target)
        X_train, X_test, y_train, _ = train_test_split(task.X, task.y, test_size=0.25, random_state=0)
        cls = AutoMetaClassifier if kind == "classifier" else AutoMetaRegressor
        model = cls(metadataset=False, random_state=0, n_jobs=1, device="cpu", **params).fit(X_train, y_train, task_name=name)
        predicted = model.predict_proba(X_test) if kind == "classifier" else model.predict(X_test)
    lines = [f"## {name}"]
    for row in model.leaderboard_.itertuples():
        lines.append(f"{row.trial:3d} {row.family:10s} {row.score:.10f} {row.status:8s} {row.strategy}")
    lines.append("final: " + " + ".join(f"{m['weight']:.4f}*{m['strategy']}" for m in model.ensemble_))
    lines.append(f"best_score_ {model.best_score_:.10f}")
    predicted = np.ascontiguousarray(predicted, dtype=np.float64)
    lines.append("predictions sha256 " + hashlib.sha256(predicted.tobytes()).hexdigest())
    return "\n".join(lines), predicted


def main(argv=None) -> None:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--save", type=Path, help="write each fit's predictions here")
    parser.add_argument("--compare", type=Path, help="the largest difference from the predictions saved here")
    args = parser.parse_args(argv)
    for i, (name, spec) in enumerate(FITS.items()):
        text, predicted = fingerprint(name, **spec)
        print(text, flush=True)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            np.save(args.save / f"{i}.npy", predicted)
        if args.compare:
            print(f"largest difference from {args.compare}/{i}.npy: {np.abs(predicted - np.load(args.compare / f'{i}.npy')).max():.3g}")


if __name__ == "__main__":
    main()
