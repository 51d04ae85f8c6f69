"""The glossary's key terms, and how the editions must use them (tests/i18n/test_glossary.py).

Every key term has an English pattern and the Chinese term of D2L-zh 2.x (PyTorch) as written in the
start page's glossary; `ZH_ACCEPTED` are the substrings a Chinese sentence may use for it (e.g.
暂退层 for a dropout layer). MXNet-era aliases (the glossary's "v1: ...") appear nowhere else.
"""

from __future__ import annotations

import re

#: English pattern (case-insensitive, at a word start) -> the Chinese term (glossary) and accepted forms
KEY_TERMS: dict[str, tuple[str, tuple[str, ...]]] = {
    r"overfit": ("过拟合", ("过拟合",)),
    r"underfit": ("欠拟合", ("欠拟合",)),
    r"generali[sz]": ("泛化", ("泛化",)),
    r"weight decay": ("权重衰减", ("权重衰减",)),
    r"dropout": ("暂退法", ("暂退",)),
    r"batch norm": ("批量规范化", ("批量规范化",)),
    r"vanishing gradient": ("梯度消失", ("梯度消失", "消失")),
    r"exploding gradient": ("梯度爆炸", ("梯度爆炸", "爆炸")),
    r"(?:k-fold )?cross-validation": ("K折交叉验证", ("交叉验证",)),
    r"early stopping": ("早停", ("早停", "提前停止")),
    r"regulari[sz]": ("正则化", ("正则化",)),
    r"validation set": ("验证集", ("验证集",)),
    r"hyper-?parameter": ("超参数", ("超参数",)),
    r"label noise": ("标签噪声", ("标签噪声",)),
    r"ridge regression": ("岭回归", ("岭回归",)),
    r"gradient clipping": ("梯度裁剪", ("梯度裁剪",)),
    r"layer norm": ("层规范化", ("层规范化",)),
    r"momentum": ("动量", ("动量",)),
    r"learning rate": ("学习率", ("学习率",)),
    r"forward hook": ("前向钩子", ("前向钩子", "钩子")),
    r"residual": ("残差连接", ("残差",)),
    r"bias.variance": ("偏差-方差权衡", ("偏差-方差", "偏差–方差", "偏差—方差")),
    r"backprop": ("反向传播", ("反向传播",)),
    r"forward propagation": ("前向传播", ("前向传播",)),
    r"training mode": ("训练模式", ("训练模式",)),
    r"evaluation mode": ("评估模式", ("评估模式",)),
}

#: MXNet-era (D2L-zh v1) terms the PyTorch edition replaced: only the glossary may show them
OLD_ALIASES = ("丢弃法", "丢弃概率", "正向传播", "批量归一化", "Xavier随机初始化")

_NOT_PROSE = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]*\$|<[^>\n]+>|\]\([^)]*\)|https?://\S+", re.S)
WINDOW = 60  #: the other language's term must follow a term's first use within this many characters


def prose(markdown: str) -> str:
    """The words of a markdown cell: code, formulas, tags and link targets blanked (same length)."""
    return _NOT_PROSE.sub(lambda m: " " * len(m.group()), markdown)


def english_match(pattern: str, text: str):
    return re.search(rf"(?<![A-Za-z_]){pattern}", text, re.I)


def contains_zh(text: str, accepted: tuple[str, ...]) -> bool:
    return any(form in text for form in accepted)


def first_use_problems(cells: list[str], lang: str, terms=KEY_TERMS) -> list[str]:
    """Key terms whose first use in `cells` (markdown, in order) is not followed, on its line and
    within WINDOW characters, by the other language's term."""
    found = []
    for pattern, (zh, accepted) in terms.items():
        for cell in cells:
            text = prose(cell)
            if lang == "en":
                hit = english_match(pattern, text)
                if hit is None:
                    continue
                after = text[hit.start():].split("\n")[0][:WINDOW + len(hit.group())]
                if not contains_zh(after, accepted):
                    found.append(f"first use of {hit.group()!r} has no {zh} after it: "
                                 f"{text[hit.start():].split(chr(10))[0][:80]!r}")
            else:
                starts = [i for i in (text.find(form) for form in accepted) if i >= 0]
                if not starts:
                    continue
                start = min(starts)
                after = text[start:].split("\n")[0][:WINDOW]
                if english_match(pattern, after) is None:
                    found.append(f"first use of {zh} has no English term ({pattern}) after it: "
                                 f"{text[start:].split(chr(10))[0][:80]!r}")
            break
    return found


def consistency_problems(pairs: list[tuple[str, str]], terms=KEY_TERMS) -> list[str]:
    """(English cell, its translation) pairs where the English uses a key term and the
    translation does not use the glossary's Chinese term."""
    found = []
    for english, chinese in pairs:
        text = prose(english)
        for pattern, (zh, accepted) in terms.items():
            if english_match(pattern, text) and not contains_zh(chinese, accepted):
                found.append(f"{english_match(pattern, text).group()!r} is not rendered as {zh} in: "
                             f"{chinese.strip()[:80]!r}")
    return found


def alias_problems(text: str) -> list[str]:
    return [f"MXNet-era term {alias} (use the PyTorch edition's)" for alias in OLD_ALIASES if alias in text]
