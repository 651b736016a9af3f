"""Design the v2 common set (src/automl_meta/collect/common_set.json): ``python tools/select_common_set.py``.

Greedy coverage portfolio over the v1 shipped meta-dataset, with the v1 shipped meta-model filling the scores
of strategies a task did not evaluate; see automl_meta.collect._design.select_common_set.
"""
import json, time
import numpy as np
from automl_meta.metadataset import MetaDataset
from automl_meta.metamodel import MetaModel, SHIPPED_MODEL
from automl_meta.collect._design import select_common_set, sobol_strategies, COMMON_SET_FILE
import tempfile
from pathlib import Path
store = MetaDataset(Path(tempfile.mkdtemp()) / "v1.sqlite")
store.import_file(Path(__file__).resolve().parent.parent / "src/automl_meta/assets/metadataset.csv.gz")
data = store.training_data()
common_v1 = []
for s, o in zip(data.strategies, data.origin):
    if o == "common" and s not in common_v1:
        common_v1.append(s)
v1_design = sobol_strategies(32, 0)
print("v1 common set reproduced by the Sobol design:", set(common_v1) == set(v1_design), len(common_v1))
model = MetaModel.load(SHIPPED_MODEL)
t = time.perf_counter()
chosen, curve = select_common_set(data, model, n=64, start=v1_design)
print(f"selected in {time.perf_counter()-t:.1f} s; mean best normalized score v1 set -> 64: {curve[0]:.4f} ... {curve[-1]:.4f}")
from collections import Counter
print(Counter(s.family for s in chosen))
COMMON_SET_FILE.write_text(json.dumps({
    "how": "greedy coverage portfolio (automl_meta.collect._design.select_common_set) started from the v1 common set "
           "(sobol_strategies(32, 0)), pool = every strategy of the v1 shipped meta-dataset + 512 Sobol points, "
           "scores = recorded normalized scores, else the v1 shipped meta-model's predictions, over the 173 v1 tasks; "
           "at most 20% of the set per family",
    "command": "python tools/select_common_set.py",
    "mean_best_normalized_score_after_each_addition": [round(c, 5) for c in curve],
    "strategies": [s.to_dict() for s in chosen]}, indent=1))
