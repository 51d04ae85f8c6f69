"""Student ids are kept as given; each has a folder name that maps back to it."""

from __future__ import annotations

import unicodedata

import pytest

from autograder.inputs.ids import folder_name, id_from_folder, normalize_id

IDS = ["alice", "Zoë", "Zoé", "张伟", "ann.lee@uni.edu", "a/b", "a%2Fb", "50%", "O'Brien", "Ann Lee",
       ".hidden", "-rf", "x" * 300, "x" * 299 + "y", "tab\there", "~"]


def test_normalize_id_is_nfc_and_trimmed():
    """Are an NFD id (as macOS writes file names) and its NFC form the same id?"""
    nfd = unicodedata.normalize("NFD", "Zoë")
    assert nfd != "Zoë" and normalize_id(f" {nfd}\n") == "Zoë"


@pytest.mark.parametrize("student_id", IDS)
def test_folder_name_round_trips(student_id):
    """Does every id that fits in a folder name come back from it, unchanged?"""
    folder = folder_name(student_id)
    assert "/" not in folder and folder not in (".", "..") and not folder.startswith((".", "-"))
    assert len(folder.encode()) <= 255
    if len(student_id) < 100:
        assert id_from_folder(folder) == student_id


def test_no_two_ids_share_a_folder():
    """Do accent-only-different ids, and ids that look like an encoding, get distinct folders?"""
    folders = [folder_name(i) for i in IDS]
    assert len(set(folders)) == len(IDS)


def test_plain_ids_are_their_own_folder():
    assert [folder_name(i) for i in ["alice", "Zoë", "张伟", "ann.lee@uni.edu"]] == \
        ["alice", "Zoë", "张伟", "ann.lee@uni.edu"]
    assert folder_name("a/b") == "a%2Fb" and folder_name("50%") == "50%25"


def test_hand_written_folder_with_percent_is_its_own_id():
    """A folder `50%` (not made by folder_name) is the student `50%`."""
    assert id_from_folder("50%") == "50%" and id_from_folder("%zz") == "%zz"


def test_an_empty_id_is_refused():
    with pytest.raises(ValueError, match="empty"):
        folder_name("")
