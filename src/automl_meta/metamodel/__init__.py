"""The neural meta-model: which strategies will do well on a task, with uncertainty and fit time.

>>> from automl_meta.metamodel import MetaModel
>>> model = MetaModel().fit(MetaDataset().training_data())       # doctest: +SKIP
>>> model.recommend(task, k=5)                                    # doctest: +SKIP
"""

from automl_meta.metamodel._baselines import NearestTasks, StaticPortfolio
from automl_meta.metamodel._default import SHIPPED_MODEL, default_metamodel_path, resolve_metamodel
from automl_meta.metamodel._model import MetaModel, Recommendation
from automl_meta.metamodel._targets import normalized_scores

__all__ = ["MetaModel", "Recommendation", "normalized_scores", "StaticPortfolio", "NearestTasks", "resolve_metamodel", "default_metamodel_path", "SHIPPED_MODEL"]
