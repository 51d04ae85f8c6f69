"""The start page (notebooks/00_start_here.ipynb) and its Markdown twin (docs/course-map.md)."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.config import assignments
from tests.paths import ROOT
from tests.dlcourse.companion_tools import assert_committed_clean, companion, run_without_errors

START = companion("00_start_here")
DOC = ROOT / "docs" / "course-map.md"

#: The glossary pairs the course promises (English, Chinese).
REQUIRED_TERMS = [
    ("overfitting", "过拟合"), ("underfitting", "欠拟合"), ("generalization", "泛化"),
    ("training error", "训练误差"), ("generalization error", "泛化误差"), ("validation set", "验证集"),
    ("K-fold cross-validation", "K折交叉验证"), ("model selection", "模型选择"),
    ("early stopping", "提前停止"), ("regularization", "正则化"), ("weight decay", "权重衰减"),
    ("L2 norm penalty", "L2范数惩罚"), ("dropout", "丢弃法"), ("drop probability", "丢弃概率"),
    ("vanishing gradients", "梯度消失"), ("exploding gradients", "梯度爆炸"),
    ("activation function", "激活函数"), ("initialization", "初始化"),
    ("Xavier initialization", "Xavier随机初始化"), ("symmetry", "对称性"),
    ("batch normalization", "批量归一化"), ("momentum", "动量"), ("optimizer", "优化器"),
    ("learning rate", "学习率"), ("minibatch SGD", "小批量随机梯度下降"),
    ("dropout", "暂退法"), ("forward propagation", "前向传播"), ("batch normalization", "批量规范化"),
    ("Xavier initialization", "Xavier初始化"), ("early stopping", "早停"),
    ("gradient clipping", "梯度裁剪"), ("residual connection / residual network", "残差连接"),
    ("layer normalization", "层规范化"), ("Kaiming (He) initialization", "Kaiming初始化"),
    ("ridge regression", "岭回归"), ("label noise", "标签噪声"), ("double descent", "双下降"),
]


def _markdown(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("|---")]


@pytest.fixture(scope="module")
def page() -> str:
    return _markdown(nbformat.read(START, as_version=4))


def test_start_page_is_committed_clean():
    """Is the start page committed without outputs, counts or execution metadata?"""
    assert_committed_clean(START)


@pytest.mark.parametrize("text_of", ["notebook", "doc"])
def test_glossary_pairs_every_required_term(page, text_of):
    """Does each required term appear with its Chinese term in one glossary row?"""
    text = page if text_of == "notebook" else DOC.read_text(encoding="utf-8")
    rows = _table_rows(text)
    for english, chinese in REQUIRED_TERMS:
        assert any(f"| {english} |" in row and chinese in row for row in rows), (english, chinese)


def test_doc_has_the_same_tables_as_the_notebook(page):
    """Are the course map and the glossary of docs/course-map.md the notebook's, row for row?"""
    assert _table_rows(DOC.read_text(encoding="utf-8")) == _table_rows(page)


def test_map_lists_companion_then_assignment_in_course_order(page):
    """Does the map name, in order, each companion and its assignment, and do those files exist?"""
    ids = assignments(ROOT)
    assert ids == ["01_fitting", "02_weight_decay", "03_dropout", "04_stability", "05_remedies"]
    rows = [row for row in _table_rows(page) if re.match(r"\| 0[1-5] \|", row)]
    assert [row[2:4] for row in rows] == [name[:2] for name in ids]
    for row, name in zip(rows, ids):
        companion_path, assignment_path = f"notebooks/{name}.ipynb", f"release/{name}/{name}.ipynb"
        assert row.index(companion_path) < row.index(assignment_path), row
        assert (ROOT / companion_path).exists() and (ROOT / assignment_path).exists(), name


def test_page_explains_every_way_to_check_work(page):
    """Are the visible checks, hints, self-check summary, Validate button and CLI all explained?"""
    for phrase in ("check cell", "Hint 1", "summary(", "Validate", "python -m autograder validate",
                   "Hidden checks"):
        assert phrase in page, phrase


@pytest.mark.slow
def test_start_page_runs_and_reports_the_environment():
    """Does the start page run in a fresh kernel and print the versions and the thread count?"""
    _, printed = run_without_errors("00_start_here")
    assert "torch 2." in printed and "1 thread" in printed and "digits load offline" in printed
