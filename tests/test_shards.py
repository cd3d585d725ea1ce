"""A sharded table reads back what was stored, loads only the shards it is asked about, and rejects a damaged file."""

import pytest

from assistant.base.shards import ShardedDict, sharded_bytes

TABLE = {"火": 3, "火线": 0, "火线提拔": 12, "提拔": 7, "▁c": 1, "▁ca": 2, "▁p": 4, "a": 5}


@pytest.mark.parametrize("prefix_chars", [1, 2])
def test_it_reads_back_the_table_and_its_extra(prefix_chars: int):
    table = ShardedDict.from_bytes(sharded_bytes(TABLE, extra=("total", 42), prefix_chars=prefix_chars))
    assert table.extra == ("total", 42)
    assert {key: table[key] for key in TABLE} == TABLE
    assert table.get("火线") == 0 and "火线" in table
    assert table.get("水") is None and table.get("水", -1) == -1 and "水" not in table and 7 not in table
    assert dict(table) == TABLE and len(table) == len(TABLE)


def test_a_look_up_loads_only_the_shard_of_its_key():
    by_first = ShardedDict.from_bytes(sharded_bytes(TABLE))
    assert by_first.shards_loaded == 0
    assert by_first.get("火线提拔") == 12 and by_first.get("火山") is None
    assert by_first.shards_loaded == 1
    by_two = ShardedDict.from_bytes(sharded_bytes(TABLE, prefix_chars=2))
    assert by_two.get("▁ca") == 2
    assert by_two.shards_loaded == 1  # the ▁c shard, not the ▁p one
    assert by_two.get("▁p") == 4 and by_two.shards_loaded == 2


def test_assignments_and_deletions_keep_the_rest_of_a_shard():
    table = ShardedDict.from_bytes(sharded_bytes(TABLE))
    table["火线干部"] = 9
    table["水"] = 1
    del table["火"]
    assert table.get("火线") == 0 and table["火线干部"] == 9 and table["水"] == 1 and "火" not in table
    with pytest.raises(KeyError):
        table["火"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-3],  # cut short
        lambda blob: b"XXXXX" + blob[5:],  # not a sharded table
        lambda blob: blob[:10],
        lambda blob: b"",
        lambda blob: blob + b"more",
    ],
)
def test_a_damaged_file_is_refused(damage):
    with pytest.raises(ValueError):
        ShardedDict.from_bytes(damage(sharded_bytes(TABLE, extra=1)))
