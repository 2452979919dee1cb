import numpy as np

from unsuplab.checks import Wrong, exercise, expect_close, expect_shape


def test_feedback_states_and_messages(capsys):
    @exercise("Ex")
    def check(value):
        if value is None:
            raise NotImplementedError
        if value == "crash":
            raise KeyError("k")
        expect_close(value, [1.0, 2.0], "the vector")
        return "well done"

    assert check([1.0, 2.0]).ok
    assert "[ok] Ex: correct. well done" in capsys.readouterr().out
    bad = check([1.0, 3.0])
    assert not bad and bad.status == "wrong" and "the vector is 3 at index (1,), expected 2" in bad.message
    todo = check(None)
    assert todo.status == "todo" and "not attempted" in str(todo)
    crash = check("crash")
    assert crash.status == "wrong" and "KeyError" in crash.message


def test_expect_helpers_name_the_problem():
    import pytest

    with pytest.raises(Wrong, match=r"should have shape \(2, 3\)"):
        expect_shape(np.zeros((3, 2)), (2, 3), "codes")
    with pytest.raises(Wrong, match="NaN"):
        expect_close([np.nan], [1.0], "loss")
