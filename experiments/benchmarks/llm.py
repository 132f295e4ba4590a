"""LLM rollout throughput: episodes/s against the number of live episodes, and env time vs generation time.

    python -m experiments.benchmarks.llm [--model PATH] [--sizes 1,4,16,32] [--policy react]
    python -m experiments.benchmarks.llm --vocab 8192 --compact --threads 1   # the committed results

The policy is an LLM policy (``react`` or ``chat``) on the ``hf`` backend -- by default the tiny random
2-layer model of the tests (``tests/llm_fixtures.py``, built into a temporary folder, no network; its
600-token vocabulary makes a Travel prompt ~1,300 tokens), with ``--vocab V`` a small random Llama with a
V-token BPE tokenizer trained on the env's own prompts (:mod:`experiments.benchmarks.llm_model`; prompts
of a few hundred tokens, as with real tokenizers) -- and the user is the agenda user on ``coalm/Travel-v0``.
``--token-costs`` adds the per-token cost of one generate on real prompts at batch 1 and 32 (prefill and
decode tokens/s), which bounds the speed-up batching can give on the machine. For each N the lock-step runner
(:func:`coalm_env.rollout.run_rollouts`, ``RolloutConfig(batch_size=N)``) keeps N episodes live, so one
batched ``generate`` serves up to N agent steps; N=1 is one episode at a time. Reported per N:
episodes/s, agent steps/s, the speed-up over N=1, and per agent step the generation time (the runner's
policy clock; also the mean ``StepRecord.extra["latency_s"]``, the batch time shared evenly) against the
env time (wall time outside the policy and user calls: env steps, tool execution, scoring, resets).

Prints a table and writes JSON under ``experiments/results/`` (``llm-<env>.json``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from coalm_env.rollout import RolloutConfig, run_rollouts
from experiments.benchmarks import save_results

ROOT = Path(__file__).resolve().parents[2]


def tiny_model() -> Path:
    """The tests' tiny model (built once per process into a temporary folder)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from llm_fixtures import build_tiny_model

    return build_tiny_model()


def one_size(env_id: str, policy: Any, n: int, episodes: int, seed: int, env_options: dict[str, Any]) -> dict[str, Any]:
    result = run_rollouts(RolloutConfig(env_id, policy, "agenda", episodes=episodes, seed=seed, batch_size=n,
                                        env_options=env_options), progress=False)
    t = result.timing
    steps = max(t["steps"], 1.0)
    env_s = t["wall_s"] - t["policy_s"] - t["user_s"]
    latencies = [s.extra["latency_s"] for tr in result.trajectories for s in tr.steps if "latency_s" in s.extra]
    errors = sum(tr.metrics.get("internal_errors", 0) for tr in result.trajectories)
    return {
        "live_episodes": n,
        "episodes": episodes,
        "agent_steps": int(t["steps"]),
        "episodes_per_s": t["episodes_per_s"],
        "steps_per_s": t["steps_per_s"],
        "wall_s": t["wall_s"],
        "generation_ms_per_step": 1000 * t["policy_s"] / steps,
        "record_latency_ms_per_step": 1000 * sum(latencies) / len(latencies) if latencies else None,
        "env_ms_per_step": 1000 * env_s / steps,
        "user_ms_per_step": 1000 * t["user_s"] / steps,
        "internal_errors": errors,
    }


def serve_comparison(env_id: str, model: Path, policy_name: str, sizes: list[int], episodes: int, seed: int,
                     max_tokens: int, env_options: dict[str, Any]) -> list[dict[str, Any]]:
    """Lock-step vs async runner against ``transformers serve`` on ``model`` (CPU): episodes/s per N."""
    sys.path.insert(0, str(ROOT / "tests"))
    from llm_servers import TransformersServe

    from coalm_env.llm import make_generator
    from coalm_env.rollout_async import run_rollouts_async
    from policies.chat import ChatPolicy
    from policies.react import ReactPolicy

    serve = TransformersServe(model)
    rows = []
    try:
        gen = make_generator(f"openai:{model}@{serve.url}/v1,max_tokens={max_tokens}", concurrency=64)
        policy = {"react": ReactPolicy, "chat": ChatPolicy}[policy_name](gen)
        run_rollouts(RolloutConfig(env_id, policy, "agenda", episodes=1, env_options=env_options), progress=False)
        for n in sizes:
            config = RolloutConfig(env_id, policy, "agenda", episodes=max(n, episodes), seed=seed, batch_size=n,
                                   env_options=env_options)
            for runner in ("lockstep", "async"):
                result = (run_rollouts(config, progress=False) if runner == "lockstep"
                          else run_rollouts_async(config, concurrency=n))
                t = result.timing
                rows.append({"runner": runner, "live_episodes": n, "episodes": config.episodes,
                             "agent_steps": int(t["steps"]), "episodes_per_s": t["episodes_per_s"],
                             "steps_per_s": t["steps_per_s"], "wall_s": t["wall_s"],
                             "llm_errors": sum(1 for tr in result.trajectories if tr.stop_reason
                                               and tr.stop_reason.value == "errored")})
                print(f"serve {runner} N={n}: {t['episodes_per_s']:.3g} episodes/s", flush=True)
    finally:
        serve.stop()
    return rows


def model_name(args: Any, bench: dict[str, Any] | None) -> str:
    if args.model:
        return args.model
    if bench:
        return (f"random-llama-{bench['layers']}x{bench['hidden_size']} ({bench['parameters'] / 1e6:.1f}M params, "
                f"BPE vocab {bench['vocab_size']} on the env's prompts; experiments/benchmarks/llm_model.py)")
    return "tiny-random-2-layer (tests/llm_fixtures.py)"


def token_costs(env_id: str, policy: Any, sizes: list[int], max_tokens: int,
                env_options: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-token cost of one batched generate on real first-step prompts: prefill (``max_tokens=1``) and
    decode (``max_tokens`` minus that), as tokens/s, for each batch size (the prompts of distinct episodes)."""
    import dataclasses
    import time

    import gymnasium as gym

    env = gym.make(env_id, user="agenda", **env_options)
    prompts = []
    for i in range(max(sizes)):
        obs, _ = env.reset(seed=i)
        prompts.append(policy.request(obs)[0])
    gen = policy.generator
    base = policy.params() or gen.params
    rows = []
    for n in sizes:
        batch = prompts[:n]
        lengths = [len(gen.tokenizer(gen.render(m), add_special_tokens=False)["input_ids"]) for m in batch]
        prompt_tokens, padded = sum(lengths), n * max(lengths)
        timings = {}
        for k in (1, max_tokens):
            params = dataclasses.replace(base, max_tokens=k, stop=())
            gen.generate(batch, params=params, seeds=list(range(n)))  # warm
            t0 = time.perf_counter()
            outs = gen.generate(batch, params=params, seeds=list(range(n)))
            timings[k] = (time.perf_counter() - t0, sum(o.completion_tokens or 0 for o in outs))
        (t1, _), (tk, ck) = timings[1], timings[max_tokens]
        decode_tokens = max(ck - n, 1)
        rows.append({"batch": n, "prompt_tokens_mean": prompt_tokens / n, "padded_tokens": padded, "prefill_s": t1,
                     "prefill_tokens_per_s": prompt_tokens / t1, "generate_s": tk, "completion_tokens": ck,
                     "decode_s": tk - t1, "decode_tokens_per_s": decode_tokens / max(tk - t1, 1e-9),
                     "decode_ms_per_step": 1000 * (tk - t1) / max(max_tokens - 1, 1)})
    env.close()
    return rows


def batching_bound(costs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most a batch of N can speed up one agent step on this machine, from the measured costs: the
    batch-1 step time over the batch-N time per episode (prefill and decode each), and the share of the
    batch-N time spent in prefill (compute-bound on a CPU: no faster per token in a batch)."""
    one = next((r for r in costs if r["batch"] == 1), None)
    big = max(costs, key=lambda r: r["batch"])
    if one is None or big is one:
        return None
    n = big["batch"]
    per_episode = (big["prefill_s"] + big["decode_s"]) / n
    return {"batch": n, "step_s_batch_1": one["generate_s"], "step_s_per_episode_batch_n": per_episode,
            "speedup_bound": one["generate_s"] / per_episode,
            "prefill_speedup": (one["prefill_s"] * n) / big["prefill_s"],
            "decode_speedup": (one["decode_s"] * n) / big["decode_s"],
            "prefill_share_batch_n": big["prefill_s"] / (big["prefill_s"] + big["decode_s"])}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env-id", default="coalm/Travel-v0")
    p.add_argument("--model", default=None, help="hf model folder or id (default: the tests' tiny model)")
    p.add_argument("--policy", default="react", choices=["react", "chat"])
    p.add_argument("--sizes", default="1,4,16,32", help="comma-separated numbers of live episodes")
    p.add_argument("--episodes", type=int, default=32, help="episodes per size (at least the size; N=1 uses --episodes-single)")
    p.add_argument("--episodes-single", type=int, default=8, help="episodes for N=1")
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--max-turns", type=int, default=3)
    p.add_argument("--max-steps-per-turn", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/llm-<env>.json)")
    p.add_argument("--serve-sizes", default="",
                   help="also compare the lock-step and async runners against `transformers serve` for these N "
                        "(comma-separated; e.g. 1,8)")
    p.add_argument("--serve-episodes", type=int, default=8, help="episodes per N for --serve-sizes")
    p.add_argument("--skip-hf", action="store_true", help="only the --serve-sizes comparison")
    p.add_argument("--vocab", type=int, default=0,
                   help="build the benchmark model (experiments/benchmarks/llm_model.py): a BPE tokenizer of this "
                        "vocabulary trained on the env's prompts and a small random Llama (0: the tests' tiny model)")
    p.add_argument("--hidden", type=int, default=256, help="hidden size of the --vocab model")
    p.add_argument("--layers", type=int, default=4, help="layers of the --vocab model")
    p.add_argument("--threads", type=int, default=0,
                   help="torch intra-op threads (0: torch's default). On a shared, loaded CPU box use 1: with more "
                        "threads than free cores the OpenMP threads wait on each other and small-batch decoding "
                        "gets ~15x slower")
    p.add_argument("--compact", action="store_true", help="the react policy's compact CRA prompt (compact=1)")
    p.add_argument("--token-costs", default="1,32",
                   help="also time one generate on real prompts for these batch sizes: prefill (max_tokens=1) and "
                        "decode (the rest) tokens/s")
    args = p.parse_args(argv)
    load_start = os.getloadavg()[0]

    from coalm_env.llm import make_generator
    from policies.chat import ChatPolicy
    from policies.react import ReactPolicy

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    bench = None
    if args.vocab and not args.model:
        from experiments.benchmarks.llm_model import build_bench_model

        path, bench = build_bench_model(args.vocab, args.hidden, args.layers)
        model = str(path)
    else:
        model = args.model or str(tiny_model())
    generator = make_generator(f"hf:{model},max_tokens={args.max_tokens},device={args.device}")  # loaded once
    options = {"compact": "1"} if args.compact and args.policy == "react" else {}
    policy = {"react": ReactPolicy, "chat": ChatPolicy}[args.policy](generator, **options)
    env_options = {"max_turns": args.max_turns, "max_steps_per_turn": args.max_steps_per_turn}
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    if not args.skip_hf:
        one_size(args.env_id, policy, 1, 1, args.seed, env_options)  # warm-up: domain build, first generate
    for n in [] if args.skip_hf else sizes:
        episodes = args.episodes_single if n == 1 else max(n, args.episodes)
        rows.append(one_size(args.env_id, policy, n, episodes, args.seed, env_options))
        print(f"N={n}: {rows[-1]['episodes_per_s']:.3g} episodes/s", flush=True)
    base = next((r["episodes_per_s"] for r in rows if r["live_episodes"] == 1), None)
    for r in rows:
        r["speedup_vs_1"] = r["episodes_per_s"] / base if base else None
    results = {
        "env_id": args.env_id,
        "policy": f"{args.policy}:hf:{model_name(args, bench)}" + (",compact=1" if options else ""),
        "model": bench or {"vocab_size": len(generator.tokenizer) if hasattr(generator, "tokenizer") else None},
        "user": "agenda",
        "generation": {"max_tokens": args.max_tokens, "temperature": 0.0, "device": generator.device,
                       "torch_threads": __import__("torch").get_num_threads()},
        "env_options": env_options,
        "date": datetime.date.today().isoformat(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_avg_1m_at_start": load_start, "load_avg_1m_at_end": os.getloadavg()[0],
                    "time_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
        "rows": rows,
    }
    if args.serve_sizes:
        serve_sizes = [int(x) for x in args.serve_sizes.split(",") if x.strip()]
        results["serve"] = serve_comparison(args.env_id, Path(model), args.policy, serve_sizes, args.serve_episodes,
                                            args.seed, args.max_tokens, env_options)
        print(tabulate(results["serve"], headers="keys", floatfmt=".3g"))
    print(tabulate(rows, headers="keys", floatfmt=".3g"))
    if args.token_costs and not args.skip_hf:
        results["token_costs"] = token_costs(args.env_id, policy, [int(x) for x in args.token_costs.split(",")],
                                             args.max_tokens, env_options)
        print(tabulate(results["token_costs"], headers="keys", floatfmt=".3g"))
        results["batching_bound"] = batching_bound(results["token_costs"])
        print("batching bound:", results["batching_bound"])
    results["machine"]["load_avg_1m_at_end"] = os.getloadavg()[0]
    save_results(results, args.out, f"llm-{args.env_id.replace('/', '_')}.json")
    return results


if __name__ == "__main__":
    main()
