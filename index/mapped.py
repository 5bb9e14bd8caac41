"""Segment readers that read the memory-mapped segment file in place.

Whoosh maps each compound segment file (``.seg``) and hands out its parts as
``BufferFile`` objects, but the pinned whoosh3 builds every ``BufferFile`` on
``io.BytesIO(buffer)``, which copies the buffer: each reader of each segment
held a private copy of the index in anonymous memory (at 100,000 emails,
~570 MB per searching thread, and several seconds to open the readers).
:class:`MappedSegmentReader` is Whoosh's ``SegmentReader`` with the one
difference that the parts read straight from the map, so the index costs
page cache, shared and reclaimable, not heap.
"""

from __future__ import annotations

from whoosh.codec.base import Segment
from whoosh.fields import Schema
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.reading import SegmentReader

__all__ = ["MappedSegmentReader"]


class _ViewFile:
    """A read-only file over a memoryview: what ``BufferFile`` needs of ``BytesIO``, no copy."""

    __slots__ = ("_view", "_pos")

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start, end = self._pos, len(self._view)
        if size is not None and size >= 0:
            end = min(end, start + size)
        self._pos = max(start, end)
        return self._view[start:end].tobytes()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        view, start = self._view, self._pos
        end = len(view)
        if size is not None and size >= 0:
            end = min(end, start + size)
        newline = bytes(view[start:end]).find(b"\n") if end > start else -1
        return self.read((newline + 1) if newline >= 0 else end - start)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._view)
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass  # the view itself is released by BufferFile.close


class _MappedPart(BufferFile):
    def __init__(self, view: memoryview, name: str | None = None) -> None:
        super().__init__(b"", name=name)
        self._buf = view
        self.file = _ViewFile(view)


class _MappedCompound(CompoundStorage):
    def open_file(self, name: str, *args, **kwargs):
        if self._source is None or self.is_closed:  # not mapped (or closed): Whoosh's own way
            return super().open_file(name, *args, **kwargs)
        offset, length = self.range(name)
        return _MappedPart(memoryview(self._source)[offset : offset + length], name=name)


class MappedSegmentReader(SegmentReader):
    """``SegmentReader`` (whoosh3 3.54.0) whose compound segment parts are views of the map."""

    def __init__(self, storage: FileStorage, schema: Schema, segment: Segment) -> None:
        if not segment.is_compound():
            super().__init__(storage, schema, segment)
            return
        self.schema = schema
        self.is_closed = False
        self._segment = segment
        self._segid = segment.segment_id()
        self._gen = None
        dbfile = storage.open_file(segment.make_filename(segment.COMPOUND_EXT))
        files = _MappedCompound(dbfile, use_mmap=storage.supports_mmap)
        self._storage = OverlayStorage(files, storage)
        self._codec = segment.codec()
        self._terms = self._codec.terms_reader(self._storage, segment)
        self._perdoc = self._codec.per_document_reader(self._storage, segment)
