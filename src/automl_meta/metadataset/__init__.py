"""The meta-dataset: tasks, their meta-features and every evaluation, in SQLite or any SQLAlchemy database.

>>> from automl_meta.metadataset import MetaDataset
>>> store = MetaDataset("my-metadataset.sqlite")   # doctest: +SKIP
"""

from automl_meta.data import HOME_ENV, data_home
from automl_meta.metadataset._location import DEFAULT_FILENAME, resolve_url, safe_url
from automl_meta.metadataset._sqlite import lost_creation_race, serialize_sqlite_transactions
from automl_meta.metadataset._stats import record_provenance, stats
from automl_meta.metadataset._store import SHIPPED_FILE, MetaDataset, TrainingData, shipped_path
from automl_meta.metadataset._transfer import EXPORT_COLUMNS

__all__ = ["MetaDataset", "TrainingData", "shipped_path", "SHIPPED_FILE", "resolve_url", "safe_url", "data_home", "HOME_ENV",
           "DEFAULT_FILENAME", "EXPORT_COLUMNS", "record_provenance", "stats", "lost_creation_race",
           "serialize_sqlite_transactions"]
