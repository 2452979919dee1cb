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


def test_nan_from_the_student_never_passes(capsys):
    @exercise("Ex")
    def check(student_fn):
        got = float(student_fn(2.0))
        if abs(got - 4.0) > 1e-3:  # a comparison that NaN makes vacuous: the guard must still catch it
            raise Wrong("not 4")

    assert check(lambda x: x * 2).ok
    bad = check(lambda x: np.float32("nan"))
    assert bad.status == "wrong" and "returned NaN" in bad.message
    assert check(lambda x: {"a": np.array([1.0, np.nan])}).status == "wrong"


def test_expect_close_rejects_infinity_and_a_broken_expectation():
    import pytest

    with pytest.raises(Wrong, match="NaN or infinity"):
        expect_close([np.inf], [1.0], "psnr")
    with pytest.raises(ValueError, match="the check itself is wrong"):
        expect_close([1.0], [np.nan], "psnr")


def test_a_check_cell_with_the_wrong_arguments_blames_the_cell_not_the_student():
    @exercise("Ex")
    def check(student_fn):
        return "fine"

    broken = check(lambda: 1, "extra")
    assert broken.status == "broken" and not broken
    assert "mistake in the lesson's check cell, not in your code" in broken.message
    assert "your code raised" not in broken.message


def test_checks_raise_only_under_nbgrader(monkeypatch):
    """The mode is the one the checks saw when they were defined (the setup cell's import), not the environment
    an answer cell can change later (issue 27: ``os.environ.pop("NBGRADER_EXECUTION")``)."""
    import pytest

    import unsuplab.checks as checks

    def todo():
        raise NotImplementedError

    def define():
        @exercise("Ex")
        def check(student_fn):
            expect_close(student_fn(), 1.0, "the value")
        return check

    monkeypatch.setattr(checks, "_MODE", "")
    check = define()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # too late: a student's check never raises
    assert check(todo).status == "todo" and check(lambda: 2.0).status == "wrong"
    for mode in ("autograde", "validate"):
        monkeypatch.setattr(checks, "_MODE", mode)
        check = define()
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)  # the game: popped after the import
        assert check(lambda: 1.0).ok
        with pytest.raises(AssertionError, match="not attempted"):
            check(todo)
        with pytest.raises(AssertionError, match=r"the value is 2, expected 1"):
            check(lambda: 2.0)


def test_to_numpy_uses_keras_for_any_backend_tensor():
    import keras

    from unsuplab.checks import to_numpy

    assert isinstance(to_numpy(keras.ops.ones((2,))), np.ndarray)
    assert to_numpy([1, 2]).tolist() == [1, 2]


def test_models_and_classes_reach_the_check_untouched():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])

    @exercise("Ex")
    def check(student_model, student_class):
        assert student_model is model and student_class is dict

    assert check(model, dict).ok
