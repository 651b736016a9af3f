"""Add each family's learning curve to meta-models saved before they existed: ``python tools/add_learning_curves.py
--metadataset PATH MODEL [MODEL ...]`` (a model's description ``MODEL.json`` gains ``learning_curves``).

``MetaModel.fit`` measures the curves (``metamodel._curves.error_exponents``) on its training data; a model
trained before that has none, and a fit with it compares refits by their scores on the search's rows. The curves
depend only on the training data (medians over the strategies scored at two sizes), so this computes them as
``fit`` would: on the meta-dataset ``--metadataset`` (the one the model was trained on: the shipped one for the
shipped model) restricted to the model's own training tasks (``train_task_names``: a held-out benchmark's
model gets nothing of its held-out groups). The networks and every other field are left as they are.

The shipped model's were added so (2026-12-06), from a store of the shipped meta-dataset:
``automl-meta metadataset import src/automl_meta/assets/metadataset.csv.gz --metadataset /tmp/md.sqlite`` then
``python tools/add_learning_curves.py --metadataset /tmp/md.sqlite src/automl_meta/assets/metamodel.npz``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    from automl_meta.metadataset import MetaDataset
    from automl_meta.metafeatures import FEATURE_NAMES
    from automl_meta.metamodel._curves import error_exponents
    from automl_meta.metamodel._model import _rows_of

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadataset", required=True, help="the meta-dataset the models were trained on")
    parser.add_argument("models", nargs="+", type=Path)
    args = parser.parse_args()
    data = MetaDataset(args.metadataset).training_data()
    for model in args.models:
        path = model if model.name.endswith(".json") else model.with_name(model.name + ".json")
        description = json.loads(path.read_text())
        names = set(description["train_task_names"])
        own = data.subset(np.flatnonzero([str(n) in names for n in data.task_names]))
        description["learning_curves"] = {"exponents": error_exponents(own, _rows_of(own.metafeatures, FEATURE_NAMES))}
        path.write_text(json.dumps(description))
        print(f"{path}: {len(own.task_ids)} training tasks; {description['learning_curves']['exponents']}")


if __name__ == "__main__":
    main()
