"""The HTML report in a real browser: headless Chromium (Debian's package,
installed by the Makefile) loads the page written from sample data; the
rendered DOM must have one heat-map row per cohort, every chart drawn, and
no script errors. A screenshot is left in the test's temp folder."""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import duckdb
import pytest

from conftest import NRR, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Dom(HTMLParser):
    """Counts what the checks need in the rendered DOM."""

    def __init__(self):
        super().__init__()
        self.stack, self.cohort_rows, self.svgs, self.body = [], 0, 0, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        if tag == "tr" and attrs.get("class") == "cohort" and "heatmap" in self.stack:
            self.cohort_rows += 1
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.stack.append(attrs.get("id", "table"))

    def handle_endtag(self, tag):
        if tag == "table" and self.stack:
            self.stack.pop()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    subprocess.run([NRR, "--quiet", "run", "--report", "--input", ROOT / "sample_data/snapshots", "--fx-rates",
                    ROOT / "sample_data/fx_rates.parquet", "--segment-by", "plan,region", "--output", out], check=True)
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium")
def test_report_renders_in_chromium(report, tmp_path):
    page = report / "report.html"
    assert page.is_file()
    html = page.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html, "the page fetches nothing"
    profile = tmp_path / "profile"
    run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                          "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom = Dom()
    dom.feed(run.stdout)
    assert dom.body.get("data-render") == "done", "the script did not finish"
    assert "data-errors" not in dom.body, dom.body.get("data-errors")
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line and re.search(r"error|uncaught", line, re.I)]
    assert not console, console
    cohorts = duckdb.sql(
        f"select count(distinct cohort_month) from read_parquet('{report}/cohort_matrix/**/*.parquet', hive_partitioning=true) "
        "where segment_name = 'all'").fetchone()[0]
    assert dom.cohort_rows == cohorts > 10
    assert dom.svgs >= 5, "two waterfalls and three trend charts"

    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1280,2200",
                    "--virtual-time-budget=5000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, text=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_report_command_takes_a_segment_and_an_html_path(report, tmp_path):
    target = tmp_path / "growth.html"
    subprocess.run([NRR, "--quiet", "report", "--output", report, "--html", target, "--segment", "plan=growth"], check=True)
    text = target.read_text()
    assert '"selected":' in text and "<svg" not in text  # charts are drawn by the page's own script
    bad = subprocess.run([NRR, "report", "--output", report, "--segment", "plan=nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "plan=growth" in bad.stderr
