"""Large string-keyed tables stored in shards that load on first use, so a start-up reads only what a question needs.

jieba's prefix dictionary (about 580,000 keys) and USE's piece prefixes (250,000) take 0.11 s and 0.065 s to
unmarshal as one ``dict``, though a question looks up keys that start with a few dozen characters. A
``ShardedDict`` keeps one ``marshal`` blob per first character (or first two) and unmarshals a blob when a key
starting with them is first looked up or set.
"""

from __future__ import annotations

import marshal
import struct
from collections import defaultdict
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["ShardedDict", "sharded_bytes"]

_MAGIC = b"SHRD1"
_HEADER = struct.Struct("<5sQQ")  # magic, length of the marshalled shard table, length of the shards after it


def sharded_bytes(table: Mapping[str, Any], extra: Any = None, prefix_chars: int = 1) -> bytes:
    """``table`` as a file ``ShardedDict.from_bytes`` reads: a shard table (with ``extra``, any data ``marshal`` can
    hold, read back as ``.extra``), then one marshalled dict per distinct start of the keys (their first
    ``prefix_chars`` characters: 2 where most keys share a first character, as sentencepiece's ▁ pieces do)."""
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in table.items():
        groups[key[:prefix_chars]][key] = value
    blobs, places, offset = [], {}, 0
    for start, group in groups.items():
        blob = marshal.dumps(group)
        places[start] = (offset, len(blob))
        blobs.append(blob)
        offset += len(blob)
    shard_table = marshal.dumps((places, extra, prefix_chars))
    return _HEADER.pack(_MAGIC, len(shard_table), offset) + shard_table + b"".join(blobs)


class ShardedDict(MutableMapping[str, Any]):
    """A string-keyed dict whose shards (one per start of the keys) are unmarshalled on first use.

    Lookups and assignments load only the shard of the key; iteration and ``len`` load every shard.
    """

    def __init__(
        self, blob: bytes, places: dict[str, tuple[int, int]], start: int, extra: Any = None, prefix_chars: int = 1
    ) -> None:
        self._blob = memoryview(blob)
        self._prefix_chars = prefix_chars
        self._places = places
        self._start = start
        self._shards: dict[str, dict[str, Any]] = {}
        self.extra = extra

    @classmethod
    def from_bytes(cls, blob: bytes) -> ShardedDict:
        """Read what ``sharded_bytes`` wrote.

        Raises:
            ValueError: if ``blob`` is not such a file, is cut short or its shard table is damaged.
        """
        if len(blob) < _HEADER.size:
            raise ValueError("too short for a sharded table")
        magic, table_size, body = _HEADER.unpack_from(blob)
        start = _HEADER.size + table_size
        if magic != _MAGIC:
            raise ValueError("not a sharded table")
        if start + body != len(blob):
            raise ValueError(f"a sharded table of {start + body} bytes, but {len(blob)} were read")
        try:
            places, extra, prefix_chars = marshal.loads(memoryview(blob)[_HEADER.size : start])
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"damaged shard table: {exc}") from exc
        if (
            not isinstance(places, dict)
            or not isinstance(prefix_chars, int)
            or prefix_chars < 1
            or any(
                not (isinstance(p, tuple) and len(p) == 2 and p[0] >= 0 and p[0] + p[1] <= body)
                for p in places.values()
            )
        ):
            raise ValueError("damaged shard table")
        return cls(blob, places, start, extra, prefix_chars)

    def _shard(self, start: str) -> dict[str, Any]:
        shard = self._shards.get(start)
        if shard is None:
            place = self._places.get(start)
            if place is None:
                shard = {}
            else:
                offset, size = place
                shard = marshal.loads(self._blob[self._start + offset : self._start + offset + size])
                if not isinstance(shard, dict):
                    raise ValueError(f"damaged shard for {start!r}")
            self._shards[start] = shard
        return shard

    def get(self, key: str, default: Any = None) -> Any:
        return self._shard(key[: self._prefix_chars]).get(key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._shard(key[: self._prefix_chars])

    def __getitem__(self, key: str) -> Any:
        return self._shard(key[: self._prefix_chars])[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._shard(key[: self._prefix_chars])[key] = value

    def __delitem__(self, key: str) -> None:
        del self._shard(key[: self._prefix_chars])[key]

    def _all_shards(self) -> list[dict[str, Any]]:
        for start in self._places:
            self._shard(start)
        return list(self._shards.values())

    def __iter__(self) -> Iterator[str]:
        for shard in self._all_shards():
            yield from shard

    def __len__(self) -> int:
        return sum(len(shard) for shard in self._all_shards())

    @property
    def shards_loaded(self) -> int:
        """How many shards have been unmarshalled so far."""
        return len(self._shards)

    def load_all(self) -> None:
        """Unmarshal every shard now (e.g. before a pass over a whole corpus)."""
        self._all_shards()
