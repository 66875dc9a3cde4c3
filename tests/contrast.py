"""WCAG 2.1 contrast: relative luminance and contrast ratio of sRGB colours, and where they are set.

Shared by the tests that measure the site's colours: the Pygments styles, the timeline (light as
its SVG draws it, dark as the extension's stylesheet recolours it on Furo's page) and the
browser test, which reads the colours the browser computed.
"""

from __future__ import annotations

import re
from pathlib import Path

#: WCAG 2.1 AA minimums: 1.4.3 for text, 1.4.11 for the graphical objects that carry meaning.
TEXT_AA = 4.5
GRAPHICS_AA = 3.0

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}


def rgb(colour: str) -> tuple[int, int, int]:
    """The channels of ``#rgb``, ``#rrggbb``, ``rgb(...)``, opaque ``rgba(...)``, white, black."""
    colour = colour.strip().lower()
    if colour in _NAMED:
        return _NAMED[colour]
    if match := _HEX.fullmatch(colour):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return r, g, b
    if (match := _RGB.fullmatch(colour)) and match.group(4) in (None, "1", "100%"):
        r, g, b = (round(float(value)) for value in match.groups()[:3])
        return r, g, b
    msg = f"not an opaque colour: {colour!r}"
    raise ValueError(msg)


def luminance(colour: str) -> float:
    """Relative luminance, as WCAG 2.1 defines it (0 for black, 1 for white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(linear, rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(foreground: str, background: str) -> float:
    """The contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def css_rules(text: str) -> list[tuple[list[str], dict[str, str]]]:
    """The innermost rules of a stylesheet: each rule's selectors and declarations, in order."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {}
        for declaration in body.split(";"):
            name, colon, value = declaration.partition(":")
            if colon:
                declarations[name.strip()] = value.strip()
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def furo_dark_variables() -> dict[str, str]:
    """The CSS variables of Furo's dark mode, from the stylesheet of the installed Furo."""
    import furo

    styles = Path(furo.__file__).parent / "theme" / "furo" / "static" / "styles" / "furo.css"
    variables: dict[str, str] = {}
    for selectors, declarations in css_rules(styles.read_text(encoding="utf-8")):
        if "body[data-theme=dark]" in selectors:
            variables.update((k, v) for k, v in declarations.items() if k.startswith("--"))
    return variables


def resolve(value: str, variables: dict[str, str]) -> str:
    """``value`` with ``var(--name, fallback)`` replaced by the variable's value, else fallback."""
    match = re.fullmatch(r"var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)", value.strip())
    if match is None:
        return value.strip()
    name, fallback = match.groups()
    if name in variables:
        return resolve(variables[name], variables)
    if fallback is None:
        msg = f"undefined CSS variable {name} without a fallback"
        raise ValueError(msg)
    return resolve(fallback, variables)
