"""Programs the fault and concurrency tests run as separate processes: ``python tests/_workers.py JOB ARGS``.

* ``search STORE_URL STUDY_URL N_TRIALS SEED``: one searcher of a team sharing one meta-dataset and one study;
* ``fit STUDY_URL N_TRIALS BARRIER_DIR N_PROCESSES``: one of several fits sharing a study; prints its model's candidates and choice as JSON;
* ``write STORE_URL``: records batches of 50 evaluations, one transaction each, until it is killed.
"""

from __future__ import annotations

import os
import sys
import warnings



def _task():
    from automl_meta.data import Task
    from helpers import make_mixed_frame

    frame = make_mixed_frame(n=150, seed=3)  # every process builds the same task: same fingerprint
    return Task(frame.drop(columns=["y_binary", "y_multi", "y_reg"]), frame["y_binary"], name="shared-task")


def search_job(store_url: str, study_url: str, n_trials: str, seed: str) -> None:
    from automl_meta.evaluate import Evaluator
    from automl_meta.search import search
    from automl_meta.space import Strategy

    warm = [Strategy.default("linear"), Strategy.default("knn")]  # every teammate starts from the same advice
    with Evaluator(cv=3, isolate=False, random_state=0) as evaluator:
        result = search(_task(), n_trials=int(n_trials), enqueue=warm, storage=study_url, study_name="team",
                        metadataset=store_url, families=["linear", "knn"], evaluator=evaluator, random_state=int(seed))
    print(len(result.evaluations), flush=True)


def fit_job(study_url: str, n_trials: str, barrier: str, n_processes: str) -> None:
    import json
    import time
    from pathlib import Path

    from automl_meta import AutoMetaClassifier

    task = _task()
    # "at once": every process imported and built its task before any searches (a slow start-up under load let
    # one process finish before the other had begun a trial)
    (Path(barrier) / str(os.getpid())).touch()
    while len(list(Path(barrier).iterdir())) < int(n_processes):
        time.sleep(0.05)
    model = AutoMetaClassifier(n_trials=int(n_trials), storage=study_url, metadataset=False, warm_start=False,
                               families=["linear", "knn"], cv=3, n_jobs=1).fit(task.X, task.y)
    board = model.leaderboard_[model.leaderboard_["origin"] != "ensemble"]
    print(json.dumps({"trials": sorted(int(n) for n in board["trial"]),
                      "ran_here": sorted(int(n) for n in board.loc[board["ran_here"].astype(bool), "trial"]),
                      "model": [[str(m["strategy"]), round(m["weight"], 6)] for m in model.ensemble_],
                      "score": model.best_score_}), flush=True)


def write_job(store_url: str) -> None:
    from automl_meta.evaluate import Evaluation
    from automl_meta.metadataset import MetaDataset
    from automl_meta.space import Strategy

    store = MetaDataset(store_url)
    from helpers import stored

    task_id = stored(store, _task())
    batch = [Evaluation(Strategy("linear", {"reg_strength": 0.01 * (i + 1)}), "roc_auc", "ok", score=0.5 + i / 1000,
                        fit_seconds=0.01) for i in range(50)]
    i = 0
    while True:
        store.add_evaluations(task_id, batch, origin=f"batch{i}")
        print(i, flush=True)
        i += 1


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    {"search": search_job, "fit": fit_job, "write": write_job}[sys.argv[1]](*sys.argv[2:])
