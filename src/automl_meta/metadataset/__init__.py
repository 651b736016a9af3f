"""The meta-dataset: tasks, their meta-features and every evaluation, in SQLite or any SQLAlchemy database.

>>> from automl_meta.metadataset import MetaDataset
>>> store = MetaDataset("my-metadataset.sqlite")   # doctest: +SKIP
"""

from automl_meta.metadataset._stats import record_provenance, stats
from automl_meta.metadataset._store import MetaDataset, TrainingData, shipped_path

__all__ = ["MetaDataset", "TrainingData", "shipped_path", "stats", "record_provenance"]
