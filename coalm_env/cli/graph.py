"""``coalm-env graph ENV_ID --out FILE``: the domain's API graph as an image, DOT or node-link JSON.

Nodes are APIs (orange ones write state), edges are data dependencies labelled ``field -> param``.
``.json`` (networkx node-link) and ``.dot``/``.gv`` need nothing extra; ``.png``/``.svg``/``.pdf`` need
matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import networkx as nx

from coalm_env.backend.graph import ApiGraph
from coalm_env.cli.rollout import parse_options
from coalm_env.errors import ConfigError, DependencyNotInstalled
from coalm_env.resolve import domain_for

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
_MAX_EDGE_LABELS = 40  # past this the picture is unreadable with labels


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("graph", help="draw or export a domain's API dependency graph")
    p.add_argument("env_id", help="a registered id (see `coalm-env list`)")
    p.add_argument("--scenario", default=None, metavar="ID", help="the graph of this scenario (default: the domain's)")
    p.add_argument("--out", required=True, metavar="FILE", help="output: .png/.svg/.pdf (matplotlib), .dot or .json")
    p.add_argument("--env-option", action="append", default=[], metavar="KEY=VALUE", help="domain option (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    writer = _writer(out.suffix.lower())
    domain = domain_for(args.env_id, **parse_options(args.env_option))
    scenario = domain.get_scenario(args.scenario) if args.scenario else None
    graph = domain.api_graph(scenario)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer(graph, out, args.env_id)
    print(f"{len(graph)} APIs, {graph.graph.number_of_edges()} dependency edges; wrote {out}")
    return 0


def _writer(suffix: str) -> Any:
    if suffix == ".json":
        return lambda g, out, title: out.write_text(json.dumps(node_link(g), indent=2) + "\n", encoding="utf-8")
    if suffix in (".dot", ".gv"):
        return lambda g, out, title: out.write_text(to_dot(g, title), encoding="utf-8")
    if suffix in IMAGE_SUFFIXES:
        return draw
    raise ConfigError(f"cannot write a graph as {suffix or 'a file without suffix'!r}",
                      hint="use --out FILE.png, .svg, .pdf, .dot or .json")


def plain_graph(graph: ApiGraph) -> nx.DiGraph:
    """A copy of the API graph with JSON-able attributes only (no handlers)."""
    out = nx.DiGraph()
    for name in graph.names:
        spec = graph.spec(name)
        out.add_node(name, description=spec.description, parameters=spec.parameters, returns=spec.returns,
                     writes=spec.writes, tags=list(spec.tags))
    for u, v, data in graph.graph.edges(data=True):
        out.add_edge(u, v, fields=[list(pair) for pair in data["fields"]])
    return out


def node_link(graph: ApiGraph) -> dict[str, Any]:
    """networkx node-link data of :func:`plain_graph` (``nx.node_link_graph`` reads it back)."""
    return nx.node_link_data(plain_graph(graph), edges="edges")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: ApiGraph, title: str = "api_graph") -> str:
    """Graphviz DOT text of the graph."""
    lines = [f"digraph {_quote(title)} {{", "  rankdir=LR;", "  node [shape=box, style=filled];"]
    for name in graph.names:
        spec = graph.spec(name)
        color = "orange" if spec.writes else "lightblue"
        lines.append(f"  {_quote(name)} [label={_quote(spec.signature())}, fillcolor={color}];")
    for u, v, data in graph.graph.edges(data=True):
        label = "\n".join(f"{f} -> {p}" for f, p in data["fields"])
        lines.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(label)}];")
    return "\n".join(lines) + "\n}\n"


def _layout(g: nx.DiGraph) -> dict[str, Any]:
    if g.number_of_nodes() and nx.is_directed_acyclic_graph(g):
        for layer, names in enumerate(nx.topological_generations(g)):
            for name in names:
                g.nodes[name]["layer"] = layer
        return nx.multipartite_layout(g, subset_key="layer")
    return nx.spring_layout(g, seed=0)


def draw(graph: ApiGraph, out: Path, title: str = "") -> None:
    """Draw the graph with matplotlib (no pyplot, so no global backend state is touched)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise DependencyNotInstalled("matplotlib", "plot") from exc
    g = nx.DiGraph(graph.graph.edges(data=True))
    g.add_nodes_from(graph.names)
    pos = _layout(g)
    size = max(6.0, 1.2 * len(g) ** 0.5 * 3)
    fig = Figure(figsize=(size * 1.4, size))
    ax = fig.add_subplot()
    colors = ["orange" if graph.spec(n).writes else "lightblue" for n in g.nodes]
    nx.draw_networkx(g, pos, ax=ax, node_color=colors, node_size=1200, font_size=8, arrows=True, arrowsize=14)
    if g.number_of_edges() <= _MAX_EDGE_LABELS:
        labels = {(u, v): ", ".join(f"{f}->{p}" for f, p in d["fields"]) for u, v, d in g.edges(data=True)}
        nx.draw_networkx_edge_labels(g, pos, edge_labels=labels, ax=ax, font_size=6)
    ax.set_title(title)
    ax.set_axis_off()
    fig.savefig(out, bbox_inches="tight", dpi=120)
