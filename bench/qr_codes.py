"""1,000 distinct ticket QR codes: the qrcode package's default mask search vs. the fixed
mask petitions/qr.py uses, CPU time for the module matrix and for the page's SVG.

Every code is also decoded back (zxing-cpp) for a sample, so the fast path is checked to be
a correct one. Usage: .venv/bin/python bench/qr_codes.py [--n 1000] [--runs 3]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qrcode  # noqa: E402
from qrcode.constants import ERROR_CORRECT_M  # noqa: E402

from bench.harness import machine  # noqa: E402
from petitions.core import qr  # noqa: E402
from petitions.core.tokens import new_token  # noqa: E402

BASE = "https://act.example.org/t/"


def default_mask(data: str):
    """What qrcode does out of the box: try all eight masks, keep the best-scoring one."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=qr.BORDER)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def fixed_mask(data: str):
    qr.matrix.cache_clear()  # measure the work, not the cache
    return qr.matrix(data)


def fixed_mask_svg(data: str):
    qr.matrix.cache_clear()
    return qr.svg(data)


def cpu_seconds(fn, urls) -> float:
    t0 = time.process_time()
    for u in urls:
        fn(u)
    return time.process_time() - t0


def check_decodes(urls) -> int:
    import zxingcpp
    from PIL import Image

    ok = 0
    for u in urls:
        img = Image.open(__import__("io").BytesIO(qr.png(u, scale=4)))
        ok += [r.text for r in zxingcpp.read_barcodes(img)] == [u]
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {
        "default mask search": [],
        "fixed mask": [],
        "fixed mask + SVG": [],
    }
    for _ in range(args.runs):
        urls = [BASE + new_token() for _ in range(args.n)]  # distinct tickets each run
        results["default mask search"].append(cpu_seconds(default_mask, urls))
        results["fixed mask"].append(cpu_seconds(fixed_mask, urls))
        results["fixed mask + SVG"].append(cpu_seconds(fixed_mask_svg, urls))
    med = {k: statistics.median(v) for k, v in results.items()}
    sample = [BASE + new_token() for _ in range(100)]
    report = {
        "machine": machine(),
        "codes": args.n,
        "runs": args.runs,
        "cpu_seconds_median": {k: round(v, 3) for k, v in med.items()},
        "ms_per_code": {k: round(v / args.n * 1000, 3) for k, v in med.items()},
        "speedup_fixed_vs_default": round(med["default mask search"] / med["fixed mask"], 1),
        "under_one_second_for_1000": med["fixed mask + SVG"] * 1000 / args.n < 1.0,
        "decoded_back_of_100": check_decodes(sample),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
