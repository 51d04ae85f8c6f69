"""Figures show Chinese text: a CJK font from a wheel (no download), no missing glyph (tofu)."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dlcourse.i18n import language_of, localize  # noqa: E402
from dlcourse.i18n.figures import FONT_FAMILY, add_cjk_font, localize_figures  # noqa: E402
from tests.i18n.message_tools import english_left, numbers  # noqa: E402

CHINESE = "训练误差与泛化误差：暂退法（dropout）"


def _draw(title: str) -> list[str]:
    """Draw a figure titled `title`; return matplotlib's missing-glyph warnings."""
    fig, ax = plt.subplots()
    ax.set_title(title)
    ax.set_xlabel("迭代周期")
    ax.plot([0, 1], [1, -1], label="训练损失")
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    plt.close(fig)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_the_default_font_would_show_tofu():
    """The control: without the CJK font, matplotlib reports missing glyphs (the test can fail)."""
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"], "font.family": ["sans-serif"]}):
        assert _draw(CHINESE) != []


def test_the_wheel_font_renders_every_chinese_glyph():
    assert add_cjk_font() == FONT_FAMILY
    from noto_cjk_sans_otc import FONT_PATH
    assert FONT_PATH.is_file()  # shipped inside the wheel: no system font, no download
    assert _draw(CHINESE) == []
    assert _draw("loss −0.5 ± 0.1, λ = 10⁻³, η, ‖w‖²") == []  # Latin, Greek and math signs too


@pytest.mark.parametrize("lang, expected", [("zh", "检查信息和图表现在使用中文。"),
                                            ("en", "Checks and figures now speak English.")])
def test_figure_texts_follow_the_language(lang, expected):
    """A figure's English text is shown in the chosen language when it is drawn."""
    localize_figures()
    fig, ax = plt.subplots()
    ax.set_title("Checks and figures now speak English.")
    with language_of(lang):
        fig.canvas.draw()
    assert ax.get_title() == expected
    plt.close(fig)


FIGURE_TEXTS = Path(__file__).with_name("figure_texts.txt")  #: the notebooks' figure texts, one repr a line


def _figure_texts() -> list[str]:
    return [ast.literal_eval(line) for line in FIGURE_TEXTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_figure_text_renders_in_chinese():
    """Titles, labels and legends of the notebooks' plots: no English left, the same numbers, and a
    redraw (which localizes the already translated text) changes nothing."""
    texts = _figure_texts()
    assert len(texts) >= 200
    rendered = [(en, localize(en, "zh")) for en in texts]
    assert [f"{en!r} -> {zh!r}" for en, zh in rendered if english_left(zh)] == []
    assert [f"{en!r} -> {zh!r}" for en, zh in rendered if numbers(en) != numbers(zh)] == []
    assert [f"{en!r} -> {zh!r}" for en, zh in rendered if localize(zh, "zh") != zh] == []
    assert english_left("train vs test error") != [], "the check can fail: English left untranslated"
