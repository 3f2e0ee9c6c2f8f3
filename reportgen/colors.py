"""Present: WCAG 2 contrast for chart colours (pure, no dependencies).

Chart text must reach WCAG AA (4.5:1) against what it sits on, whatever brand
colour a client picked: `readable_on` chooses, for text on a coloured fill,
between the page's ink and white, and nudges the fill darker or lighter by the
smallest step that lets one of them reach the minimum when neither does.
"""

from __future__ import annotations

from functools import lru_cache

AA = 4.5  # WCAG 2 AA for normal-size text (chart labels are small)


def parse_hex(color: str) -> tuple[int, int, int]:
    """`#rrggbb` or `#rgb` → (r, g, b), each 0–255."""
    digits = color.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[float, ...]) -> str:
    """(r, g, b), each 0–255 (rounded, clamped) → `#rrggbb`."""
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    # sRGB's 0.04045 (WCAG 2 quotes 0.03928: no 8-bit value falls between them).
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str | tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""
    r, g, b = parse_hex(color) if isinstance(color, str) else color
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str | tuple[int, int, int], b: str | tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, 1 to 21, symmetric."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def best_text(fill: str, dark: str, light: str = "#ffffff") -> str:
    """Of two text colours, the one that contrasts more with `fill` (dark on a tie)."""
    return dark if contrast_ratio(dark, fill) >= contrast_ratio(light, fill) else light


def mix(color: str, toward: str, amount: float) -> str:
    """`color` moved `amount` (0–1) of the way to `toward`, in sRGB."""
    a, b = parse_hex(color), parse_hex(toward)
    return to_hex(tuple(x + (y - x) * amount for x, y in zip(a, b, strict=True)))


# Pure functions of their strings, asked for by every page and pie chart of a client with
# the same colours: memoised (a page costs ~4 ms of contrast arithmetic otherwise).
@lru_cache(maxsize=1024)
def readable_on(fill: str, dark: str, light: str = "#ffffff", minimum: float = AA) -> tuple[str, str]:
    """(fill, text colour) with the text reaching `minimum` against the fill.

    The fill is kept when `dark` or `light` text reaches the minimum on it (the one
    that contrasts more is chosen); otherwise it is darkened (for light text) or
    lightened (for dark text) by the smallest step in 1 % steps that gets there,
    whichever of the two changes it less. Needs `dark` and `light` to reach the
    minimum against each other.
    """
    fill = to_hex(parse_hex(fill))
    text = best_text(fill, dark, light)
    if contrast_ratio(text, fill) >= minimum:
        return fill, text
    candidates = []
    for text, toward in ((light, "#000000"), (dark, "#ffffff")):
        for step in range(1, 101):
            moved = mix(fill, toward, step / 100)
            if contrast_ratio(text, moved) >= minimum:
                candidates.append((step, moved, text))
                break
    if not candidates:
        raise ValueError(f"{dark} and {light} do not reach {minimum}:1 on any fill")
    _step, moved, text = min(candidates)
    return moved, text


@lru_cache(maxsize=256)
def text_color_on(color: str, backgrounds: tuple[str, ...], minimum: float = AA) -> str:
    """`color` itself when, as text, it reaches `minimum` against every one of
    `backgrounds`; otherwise the nearest colour that does: `color` moved toward black
    or toward white by the smallest 1 % step that gets there (black on light
    backgrounds, white on dark ones)."""
    color = to_hex(parse_hex(color))
    candidates = []
    for toward in ("#000000", "#ffffff"):
        for step in range(0, 101):
            moved = mix(color, toward, step / 100)
            if all(contrast_ratio(moved, back) >= minimum for back in backgrounds):
                candidates.append((step, moved))
                break
    if not candidates:
        raise ValueError(f"no text colour reaches {minimum}:1 on all of {backgrounds}")
    return min(candidates)[1]


# The theme's light surfaces (reportgen.css): the card, the page, table heads and code.
SURFACES = ("#ffffff", "#f8fafc", "#f1f5f9")
INK = "#0f172a"  # reportgen.css --ink


def brand_palette(brand: str) -> dict[str, str]:
    """The CSS variables a client's brand colour gives the theme, each readable (AA):

    --brand       the colour as given: decoration only (the masthead's top border)
    --brand-ink   the brand as text (links, the eyebrow, "Show the numbers") on every
                  surface of the theme, darkened when the brand is too light
    --brand-fill  the brand as a background (buttons), nudged when no text reaches AA on it
    --brand-on    the text colour on --brand-fill (the page's ink or white)
    """
    brand = to_hex(parse_hex(brand))
    fill, on = readable_on(brand, INK)
    return {
        "--brand": brand,
        "--brand-ink": text_color_on(brand, SURFACES),
        "--brand-fill": fill,
        "--brand-on": on,
    }


@lru_cache(maxsize=256)
def brand_css(brand: str) -> str:
    """`brand_palette` as CSS declarations, for a page's `:root{…}`."""
    return ";".join(f"{name}:{value}" for name, value in brand_palette(brand).items())
