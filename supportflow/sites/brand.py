"""A site's brand colour, and the text colour that stays readable on it (WCAG contrast)."""

from __future__ import annotations

DARK_INK = "#1b2330"
LIGHT_INK = "#ffffff"


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two `#rrggbb` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ink_on(brand: str) -> str:
    """White or near-black, whichever reads better on `brand` (launcher, header, buttons)."""
    return LIGHT_INK if contrast(brand, LIGHT_INK) >= contrast(brand, DARK_INK) else DARK_INK
