"""Pure scoring functions: ``(trajectory, scenario, ...) -> metrics``. One scorer per metric.

Metric keys are stable snake_case names; :data:`METRICS` documents every one.
"""

from coalm_env.scoring.core import METRICS, DenseComponents, GraphCredit, dense_components, finalize_metrics, graph_credit, mean_metrics

__all__ = ["METRICS", "DenseComponents", "GraphCredit", "dense_components", "finalize_metrics", "graph_credit", "mean_metrics"]
