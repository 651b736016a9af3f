"""The neural meta-model: which strategies will do well on a task, with uncertainty and fit time.

>>> from automl_meta.metamodel import MetaModel
>>> model = MetaModel().fit(MetaDataset().training_data())       # doctest: +SKIP
>>> model.recommend(task, k=5)                                    # doctest: +SKIP
"""

from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio
from automl_meta.metamodel._curves import score_at
from automl_meta.metamodel._default import SHIPPED_MODEL, USER_MODEL_NAME, prefetch_metamodel, resolve_metamodel
from automl_meta.metamodel._model import MetaModel, Recommendation
from automl_meta.metamodel._persist import FORMAT_VERSION
from automl_meta.metamodel._persist import migrate as migrate_metamodel
from automl_meta.metamodel._targets import normalized_scores
from automl_meta.metamodel._timing import machine_factor

__all__ = ["MetaModel", "Recommendation", "normalized_scores", "machine_factor", "StaticPortfolio", "NearestTasks", "resolve_metamodel", "prefetch_metamodel", "SHIPPED_MODEL", "USER_MODEL_NAME",
           "FORMAT_VERSION", "migrate_metamodel", "score_at"]
