"""bench_endtoend with each automl_meta fit also scored with its bags cut to their first set (side file)."""
import copy, csv, logging, os, runpy, sys
logging.basicConfig(level=logging.WARNING, format="%(relativeCreated)7.0f %(name)s %(message).200s")
logging.getLogger("automl_meta.estimator").setLevel(logging.INFO)
sys.path.insert(0, os.getcwd())
import harness.peers as peers
from automl_meta.estimator._ensemble import EnsembleModel

SIDE = os.environ["SETS_SIDE"]
_orig = peers.test_score

def _cut(model, k):
    """bags (equal weights, a multiple of k models beyond k) cut to their first k fold models; how many cut"""
    n = 0
    if isinstance(model, EnsembleModel) and model.weights and all(w == 1.0 for w in model.weights) \
            and len(model.models) > k and len(model.models) % k == 0:
        model.models, model.weights = model.models[:k], model.weights[:k]
        return 1
    for m in getattr(model, "models", None) or []:
        n += _cut(m, k)
    return n

def test_score(metric, model, X, y):
    score = _orig(metric, model, X, y)
    one = copy.deepcopy(model)
    cut = _cut(one.best_estimator_, int(one.cv_)) if hasattr(one, "best_estimator_") else 0
    first = _orig(metric, one, X, y) if cut else score
    with open(SIDE, "a") as f:
        csv.writer(f).writerow([getattr(model, "task_name_", ""), len(X), score, first, cut])
    print(f"  sets: all {score:.5f} first set {first:.5f} ({cut} bags cut)", flush=True)
    return score

peers.test_score = test_score
sys.argv = ["bench_endtoend.py"] + sys.argv[1:]
runpy.run_path("bench_endtoend.py", run_name="__main__")
