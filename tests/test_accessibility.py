"""The site's colours meet WCAG 2.1 AA: every token of the Pygments styles that conf.py picks.

The browser test (tests/test_browser.py) checks the built pages themselves with axe-core; this
measures, without a browser, what the pages' code blocks are made of, token by token.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Text, _TokenType

from tests.contrast import TEXT_AA, ratio, rgb

ROOT = Path(__file__).resolve().parent.parent

# Furo's text colour in a code block whose style gives plain text none (furo/__init__.py).
FURO_FALLBACK_FOREGROUND = {"pygments_style": "black", "pygments_dark_style": "white"}


def configured_styles() -> dict[str, str]:
    """``pygments_style`` and ``pygments_dark_style`` as conf.py assigns them."""
    tree = ast.parse((ROOT / "conf.py").read_text(encoding="utf-8"))
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in FURO_FALLBACK_FOREGROUND
    }


def token_contrasts(style: StyleMeta, fallback: str) -> list[tuple[float, str, str, str]]:
    """Each token's (ratio, token, colour, background), lowest first, as Sphinx's CSS draws it.

    Every token type that Pygments names in CSS, and the line numbers (plain and special).
    """
    background = style.background_color
    text = style.style_for_token(Text)["color"]
    default = f"#{text}" if text else fallback
    rows = []
    tokens: set[_TokenType] = set(STANDARD_TYPES) | set(style.styles)
    for token in tokens:
        found = style.style_for_token(token)
        colour = f"#{found['color']}" if found["color"] else default
        behind = f"#{found['bgcolor']}" if found["bgcolor"] else background
        rows.append((ratio(colour, behind), str(token), colour, behind))
    numbers = style.line_number_color
    numbers_behind = style.line_number_background_color
    rows.append(
        (
            ratio(
                default if numbers in ("inherit", "transparent") else numbers,
                background if numbers_behind in ("inherit", "transparent") else numbers_behind,
            ),
            "line number",
            numbers,
            numbers_behind,
        )
    )
    special = (style.line_number_special_color, style.line_number_special_background_color)
    rows.append((ratio(*special), "special line number", *special))
    return sorted(rows)


def test_conf_py_picks_a_light_and_a_dark_style() -> None:
    styles = configured_styles()
    assert set(styles) == {"pygments_style", "pygments_dark_style"}
    assert rgb(get_style_by_name(styles["pygments_style"]).background_color) != rgb(
        get_style_by_name(styles["pygments_dark_style"]).background_color
    )


@pytest.mark.parametrize("setting", ["pygments_style", "pygments_dark_style"])
def test_every_token_of_the_code_style_reaches_4_5_to_1(setting: str) -> None:
    name = configured_styles()[setting]
    rows = token_contrasts(get_style_by_name(name), FURO_FALLBACK_FOREGROUND[setting])
    low = [f"{token}: {colour} on {behind} is {r:.2f}:1" for r, token, colour, behind in rows]
    assert rows[0][0] >= TEXT_AA, f"{name}: " + "; ".join(low[:5])


def test_the_measurement_catches_the_styles_the_site_had_before() -> None:
    """friendly's comments are below AA: the token test would have failed on the old light style."""
    friendly = token_contrasts(get_style_by_name("friendly"), "black")
    assert friendly[0][0] < TEXT_AA
    comment = next(row for row in friendly if row[1] == "Token.Comment.Single")
    assert comment[2] == "#60a0b0"
    assert comment[0] == pytest.approx(2.57, abs=0.01)  # what axe-core measured on the pages


def test_contrast_ratio_is_wcag_s() -> None:
    assert ratio("#000000", "#ffffff") == pytest.approx(21)
    assert ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey
    assert ratio("rgb(118, 118, 118)", "white") == ratio("#767676", "#fff")
    with pytest.raises(ValueError, match="not an opaque colour"):
        rgb("rgba(0, 0, 0, 0.5)")
