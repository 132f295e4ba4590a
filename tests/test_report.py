"""coalm-env report: report.md, the plots, and the HTML page (driven in headless Chromium when present)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from coalm_env.cli import main
from coalm_env.report import write_report
from coalm_env.report.html import embed_json
from coalm_env.rollout import RolloutConfig, run_rollouts

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EVIL = '<img src=x onerror="window.__pwned=1"></script><b>bold</b>'


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two rollout dirs on Travel (oracle, random x 4 episodes); one user turn holds markup."""
    root = tmp_path_factory.mktemp("runs")
    dirs = []
    for policy in ("oracle", "random"):
        out = root / policy
        run_rollouts(RolloutConfig("coalm/Travel-v0", policy, user="agenda", episodes=4, out_dir=str(out)),
                     progress=False)
        dirs.append(out)
    path = dirs[0] / "trajectories.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["messages"][1]["content"] = EVIL  # the opening user turn
    lines[0] = json.dumps(first)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dirs


@pytest.fixture(scope="module")
def report(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    pytest.importorskip("matplotlib", reason="the plots need matplotlib: pip install 'coalm-env[plot]'")
    label = "coalm/Travel-v0 test | {} | agenda"
    write_report(runs, out, compare=[(label.format("oracle"), label.format("random"))])
    return out


def test_report_md_and_plots(report: Path) -> None:
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "| coalm/Travel-v0 test \\| oracle \\| agenda" in md  # the label's bars escaped in the table
    assert "## Paired comparison" in md and "McNemar exact p" in md
    assert "## Success per policy and persona" in md
    for name in ("success_by_policy_persona.png", "pass_hat_k.png", "turns_tool_calls.png", "reward_components.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in md


def test_html_is_self_contained_and_escaped(report: Path) -> None:
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert EVIL not in page and "\\u003cimg src=x" in page  # the data cannot close its script element
    assert page.count("</script>") == 2


def test_embed_json_nan_and_markup() -> None:
    text = embed_json({"x": float("nan"), "s": "</script><!--"})
    assert json.loads(text) == {"x": None, "s": "</script><!--"} and "<" not in text


def test_report_cli(runs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", *map(str, runs), "--out", str(tmp_path), "--no-plots",
                 "--compare", "| oracle |", "| random |"]) == 0
    assert "2 cells, 8 episodes" in capsys.readouterr().out
    assert "Paired comparison" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_goal_falls_back_to_the_id(runs: list[Path]) -> None:
    from coalm_env.report.load import GoalLookup, load_dir

    ep = load_dir(runs[0])[0]
    text, source = GoalLookup().goal(ep.trajectory)
    assert source == "domain" and text
    ep.trajectory.env_id = "coalm/NoSuch-v0"
    assert GoalLookup().goal(ep.trajectory) == (ep.trajectory.scenario_id, "id")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped with the install line when either is absent."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (in the [dev] extra)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_page_in_chromium(browser, report: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: errors.append(f"request {req.url}") if not req.url.startswith(("file:", "data:")) else None)
    page.goto((report / "report.html").as_uri())
    summary = page.locator("#summary-table tbody tr")
    assert summary.count() == 2
    page.click("#summary-table th:has-text('success')")  # sort ascending: random (0.0) first
    assert "random" in summary.first.inner_text()
    page.click("#summary-table th:has-text('success')")  # descending
    assert "oracle" in summary.first.inner_text()

    page.select_option("#f-cell", "coalm/Travel-v0 test | oracle | agenda")
    page.select_option("#f-outcome", "success")
    rows = page.locator("#episodes-table tbody tr")
    assert 0 < rows.count() <= 4 and page.locator("#count").inner_text().endswith("of 8 episodes")
    page.select_option("#f-outcome", "")
    page.click("#episodes-table tbody tr >> nth=0")
    transcript = page.locator("#transcript")
    assert "goal_met" in transcript.inner_text() or "stop:" in transcript.inner_text()
    assert page.locator("#goal").inner_text().strip()  # the goal, from the domain
    assert page.locator(".event.user").count() >= 2 and page.locator(".event.agent").count() >= 2
    assert page.locator(".call").count() >= 1 and page.locator(".components").count() >= 1
    assert EVIL in page.locator(".event.user pre").first.inner_text()  # shown as text, not markup
    assert page.evaluate("window.__pwned") is None and page.locator("#transcript b").count() == 0
    page.locator("#viewer-section").scroll_into_view_if_needed()
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    if os.environ.get("COALM_REPORT_SCREENSHOT"):  # keep a copy to look at
        shutil.copy(shot, os.environ["COALM_REPORT_SCREENSHOT"])
    assert errors == []
    page.close()
