"""Benchmark: 1,000 distinct waitlist badges on sheets vs. drawing the same 1,000 QR codes alone.

Run: .venv/bin/python bench/badges.py [--runs 3] [--count 1000]

Each measurement runs in a fresh subprocess (cold: imports done, fonts not yet
registered), so its peak memory is its own: tracemalloc's peak of Python allocations
and the process's max RSS. The baseline, in the same run, draws the same QR codes
with petitions.core.qr.draw onto a bare reportlab canvas at the same slots, nothing else.
Goal (issue 4): under 3 s and under 200 MB peak.
"""

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

URL = "https://act.example.org/p/fund-a-seat-for-every-child"
NAMES = ["Ana", "Luis", "María José", "Keisha", "Darnell", "Priya", "Wei", "Fatima", "Carmen",
         "Jamal", "Sofía", "Aaliyah", "Miguel", "Yesenia", "Omar", "محمد", "王小明",
         "Bartholomew-Alexandrina Montgomery"]  # fmt: skip


def badges(count: int, distinct_qr: bool):
    from petitions.badges.pdf import Badge

    return [
        Badge(
            number=f"#{n * 7 + 1:,}",
            title="Fund a seat for every child on the waitlist",
            line_above="I'm on the waitlist",
            line_below="Every child deserves a great school",
            first_name=NAMES[n % len(NAMES)],
            qr_url=f"{URL}?b={n}" if distinct_qr else URL,
        )
        for n in range(count)
    ]


def child(scenario: str, count: int, trace: bool) -> dict:
    from reportlab.pdfgen.canvas import Canvas

    from petitions.badges.pdf import render
    from petitions.badges.services import STOCKS
    from petitions.core import qr

    stock = STOCKS["avery-5392"]
    if trace:  # slows Python down many times: traced runs are not timed
        tracemalloc.start()
    t0 = time.perf_counter()
    out = io.BytesIO()
    if scenario.startswith("badges"):
        pages = render(out, badges(count, scenario.endswith("distinct")), stock, cut_lines=True)
    else:  # baseline: the QR codes alone, same slots, bare canvas
        distinct = scenario.endswith("distinct")
        c = Canvas(out, pagesize=(stock.page_width, stock.page_height), pageCompression=1)
        slots = stock.slots()
        side = 0.27 * (stock.height - 0.12 * min(stock.width, stock.height))
        pages = 0
        for n in range(count):
            x, y, w, _h = slots[n % len(slots)]
            qr.draw(c, f"{URL}?b={n}" if distinct else URL, x + w - side - 13, y + 13, side)
            if n % len(slots) == len(slots) - 1:
                c.showPage()
                pages += 1
        c.showPage()
        c.save()
        pages += 1
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "tracemalloc_peak_mb": peak / 1e6,
        "maxrss_mb": maxrss_kb / 1024,
        "pages": pages,
        "pdf_kb": len(out.getvalue()) / 1024,
    }


def run(scenario: str, count: int, trace: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", scenario, "--count", str(count)]
        + (["--trace"] if trace else []),
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--child")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.count, args.trace)))
        return
    scenarios = [
        ("qr-same", "baseline: the same 1,000 QR codes alone (one petition URL)"),
        ("badges-same", "1,000 distinct badges on Avery 5392 sheets (one petition URL)"),
        ("qr-distinct", "baseline: 1,000 different QR codes alone (worst case)"),
        ("badges-distinct", "1,000 badges, each with a different QR code (worst case)"),
    ]
    results = {}
    for _ in range(args.runs):  # interleaved, so drift hits every scenario alike
        for key, _label in scenarios:
            results.setdefault(key, []).append(run(key, args.count))
    traced = {key: run(key, args.count, trace=True) for key, _label in scenarios}
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"median of {args.runs} runs, {args.count} badges\n")
    print(
        "| scenario | seconds | × its QR baseline | tracemalloc peak MB | max RSS MB | pages | PDF KB |"
    )
    print("|---|---|---|---|---|---|---|")
    med = {k: {f: statistics.median(r[f] for r in rs) for f in rs[0]} for k, rs in results.items()}
    for key, label in scenarios:
        m = med[key]
        base = med["qr-" + key.split("-", 1)[1]]["seconds"]
        ratio = f"{m['seconds'] / base:.2f}" if key.startswith("badges") else "1.00"
        print(
            f"| {label} | {m['seconds']:.3f} | {ratio} | {traced[key]['tracemalloc_peak_mb']:.1f} | "
            f"{m['maxrss_mb']:.0f} | {m['pages']:.0f} | {m['pdf_kb']:.0f} |"
        )
    ok = med["badges-same"]["seconds"] < 3 and med["badges-same"]["maxrss_mb"] < 200
    print(f"\ngoal (< 3 s, < 200 MB) for 1,000 badges: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
