"""USE's prepared copy gives the package's own vectors, and a damaged or stale copy is prepared again."""

from pathlib import Path

import numpy as np
import pytest

from assistant.search.use_cache import load_use

TEXTS = ["坚持严管厚爱", "容错纠错 applies when?", "第十三条 ２０２４年", "  ", "Ⅻ 五百 ①"]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return load_use(1, None).encode(TEXTS)


def _copy_files(cache: Path) -> dict[str, Path]:
    [folder] = (cache / "use").iterdir()
    return {p.name: p for p in folder.iterdir()}


def test_the_prepared_copy_gives_the_package_vectors(tmp_path: Path, reference: np.ndarray):
    older_copy = tmp_path / "use" / "0123456789abcdef"
    older_copy.mkdir(parents=True)
    (older_copy / "tokenizer.marshal").write_bytes(b"from another version")
    prepared_now = load_use(1, tmp_path).encode(TEXTS)
    assert not older_copy.exists()
    assert set(_copy_files(tmp_path)) == {"tokenizer.marshal", "arrays.bin", "probes.npy"}
    from_copy = load_use(1, tmp_path).encode(TEXTS)
    assert np.array_equal(prepared_now, reference)
    assert np.array_equal(from_copy, reference)


@pytest.mark.parametrize("damage", ["truncate", "wrong_ids", "wrong_vectors", "short_arrays", "changed_weight"])
def test_a_damaged_copy_is_replaced(tmp_path: Path, reference: np.ndarray, damage: str):
    import marshal

    load_use(1, tmp_path)
    files = _copy_files(tmp_path)
    damaged_file = files[{"wrong_vectors": "probes.npy", "short_arrays": "arrays.bin", "changed_weight": "arrays.bin"}
                         .get(damage, "tokenizer.marshal")]  # fmt: skip
    if damage == "short_arrays":
        files["arrays.bin"].write_bytes(files["arrays.bin"].read_bytes()[:-4096])
    elif damage == "changed_weight":
        blob = bytearray(files["arrays.bin"].read_bytes())
        blob[-4096:] = bytes(4096)
        files["arrays.bin"].write_bytes(bytes(blob))
    elif damage == "truncate":
        files["tokenizer.marshal"].write_bytes(files["tokenizer.marshal"].read_bytes()[:5000])
    elif damage == "wrong_ids":
        state = marshal.loads(files["tokenizer.marshal"].read_bytes())
        state["ids"][0][1] += 1
        files["tokenizer.marshal"].write_bytes(marshal.dumps(state))
    else:
        np.save(files["probes.npy"], np.zeros((3, 512), np.float32))
    damaged = damaged_file.read_bytes()
    assert np.array_equal(load_use(1, tmp_path).encode(TEXTS), reference)
    assert damaged_file.read_bytes() != damaged  # prepared again
    assert np.array_equal(load_use(1, tmp_path).encode(TEXTS), reference)


def test_a_cache_folder_that_cannot_be_written_still_gives_vectors(tmp_path: Path, reference: np.ndarray):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    assert np.array_equal(load_use(1, blocked).encode(TEXTS), reference)
