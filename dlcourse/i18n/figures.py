"""Figures in the chosen language: a CJK font, and every text of a figure localized when drawn."""

from __future__ import annotations

from functools import cache

FONT_FAMILY = "Noto Sans CJK SC"  #: from the noto-cjk-sans-otc wheel: no download, no system font


@cache
def add_cjk_font() -> str:
    """Register the wheel's Noto Sans CJK with matplotlib and make it the fallback of the default
    family, so Chinese glyphs render (no tofu) and Latin text keeps its usual look."""
    import matplotlib
    from matplotlib import font_manager
    from noto_cjk_sans_otc import FONT_PATH

    font_manager.fontManager.addfont(str(FONT_PATH))
    families = [f for f in matplotlib.rcParams["font.family"] if f != FONT_FAMILY]
    matplotlib.rcParams["font.family"] = [*families, FONT_FAMILY]  # a glyph missing in the first comes from it
    return FONT_FAMILY


@cache
def localize_figures() -> None:
    """From now on, a figure's titles, labels, legends and annotations are localized when it is drawn."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from . import language, localize

    add_cjk_font()
    draw = Figure.draw

    def draw_localized(self, renderer):
        if language() != "en":
            for text in self.findobj(Text):
                original = text.get_text()
                translated = localize(original) if original else original
                if translated != original:
                    text.set_text(translated)
        return draw(self, renderer)

    Figure.draw = draw_localized
