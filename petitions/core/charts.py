"""Small server-drawn SVG charts (no JavaScript on the page)."""

from markupsafe import Markup, escape


def bar_chart_svg(
    series: list[tuple[str, int]],
    title: str,
    width: int = 640,
    height: int = 200,
    max_labels: int = 8,
) -> Markup:
    """Bars for (label, value) pairs, with a few x labels and the maximum on the y axis."""
    pad_l, pad_b, pad_t = 40, 24, 10
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    top = max((v for _, v in series), default=0) or 1
    n = max(len(series), 1)
    bar_w = plot_w / n
    step = max(1, -(-n // max_labels))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" '
        'stroke="#6b7480"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="11" text-anchor="end" '
        f'fill="#1b1f24">{top}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" font-size="11" text-anchor="end" '
        'fill="#1b1f24">0</text>',
    ]
    for i, (label, value) in enumerate(series):
        h = plot_h * value / top
        x = pad_l + i * bar_w
        parts.append(
            f'<rect x="{x + bar_w * 0.1:.1f}" y="{pad_t + plot_h - h:.1f}" '
            f'width="{bar_w * 0.8:.1f}" height="{h:.1f}" fill="#0b5cad">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if i % step == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" font-size="11" '
                f'text-anchor="middle" fill="#1b1f24">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
