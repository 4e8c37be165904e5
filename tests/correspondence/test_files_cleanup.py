"""`files_removed_on_failure`: the one clean-up for files written before a failure."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from correspondence.services import files_removed_on_failure


class TransactionFailed(Exception):
    pass


def write_then_fail(names: list[str], *, write: bool = True) -> None:
    with files_removed_on_failure() as written:
        for name in names:
            written.append(name)  # noted before the write, as the services do
            if write:
                default_storage.save(name, ContentFile(b"x"))
        raise TransactionFailed


def test_it_deletes_every_file_written_when_the_block_fails():
    names = ["attachments/aa/one.txt", "attachments/bb/two.txt"]
    with pytest.raises(TransactionFailed):
        write_then_fail(names)
    assert not any(default_storage.exists(name) for name in names)


def test_it_keeps_the_files_when_the_block_succeeds():
    with files_removed_on_failure() as written:
        written.append("attachments/cc/kept.txt")
        default_storage.save("attachments/cc/kept.txt", ContentFile(b"x"))
    assert default_storage.exists("attachments/cc/kept.txt")


def test_a_name_noted_but_never_written_is_no_error():
    with pytest.raises(TransactionFailed):
        write_then_fail(["attachments/dd/never.txt"], write=False)
