"""``coalm-env play ENV_ID --as user|agent``: a person in the terminal in either seat (:mod:`coalm_env.play`)."""

from __future__ import annotations

import argparse

from coalm_env.cli.rollout import parse_options


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="play one episode yourself, as the agent or as the user; saved like a rollout")
    p.add_argument("env_id", help="a registered id, e.g. coalm/Travel-v0")
    p.add_argument("--as", dest="seat", choices=["agent", "user"], required=True,
                   help="agent: type replies and tool calls (name(arg=value)); user: type the user's turns "
                        "(/bye: goal met, /quit: give up)")
    p.add_argument("--policy", default="rule", help="the agent when you play the user (default: rule)")
    p.add_argument("--user", default=None, help="the user when you play the agent (default: the domain's)")
    p.add_argument("--seed", type=int, default=0, help="episode seed (default: 0)")
    p.add_argument("--split", default="test", help="scenario split (default: test)")
    p.add_argument("--scenario", default=None, metavar="ID", help="play this scenario")
    p.add_argument("--env-option", action="append", default=[], metavar="KEY=VALUE", help="env/domain option")
    p.add_argument("--out", default="runs/play", metavar="DIR", help="output directory (default: runs/play)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coalm_env.play import play

    play(args.env_id, args.seat, policy=args.policy, user=args.user, seed=args.seed, split=args.split,
         scenario_id=args.scenario, out_dir=args.out, env_options=parse_options(args.env_option))
    print(f"wrote {args.out}/")
    return 0
