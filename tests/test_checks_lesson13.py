import numpy as np

from unsuplab.checks import lesson13


def _todo(*args):
    raise NotImplementedError()


def _right(distances, query_labels, database_labels, k):
    nearest = np.argsort(distances, axis=1)[:, :k]
    return np.mean(database_labels[nearest] == query_labels[:, None])


def test_precision_check_accepts_right_and_names_each_mistake(capsys):
    def farthest(d, q, db, k):
        return _right(-d, q, db, k)

    def per_query(d, q, db, k):
        return np.mean(db[np.argsort(d, axis=1)[:, :k]] == q[:, None], axis=1)

    assert lesson13.precision_at_k(_right)
    wrong = lesson13.precision_at_k(farthest)
    assert wrong.status == "wrong" and "largest distance" in wrong.message
    assert "return their mean" in lesson13.precision_at_k(per_query).message
    assert lesson13.precision_at_k(_todo).status == "todo"
    assert "[ok]" in capsys.readouterr().out


def test_hamming_check_rejects_counting_agreeing_bits():
    def right(a, b):
        return (a[:, None, :] != b[None, :, :]).sum(-1)

    def agree(a, b):
        return (a[:, None, :] == b[None, :, :]).sum(-1)

    assert lesson13.hamming(right)
    wrong = lesson13.hamming(agree)
    assert wrong.status == "wrong" and "bits that agree" in wrong.message
    assert lesson13.hamming(_todo).status == "todo"
