"""For the checks' tests (issue 27): a twin of the library's reference that the checks do not refuse as delegation.

The checks refuse the reference itself, a subclass that adds nothing and a function that only calls it. A test
that wants the library's own computation graded (to show the check agrees with the library) passes a twin: a new
function object with the reference's code, or a subclass holding the reference's own methods.
"""

import inspect
import types


def twin(reference):
    if inspect.isclass(reference):
        methods = {k: v for k, v in vars(reference).items() if inspect.isfunction(v)}
        return type(reference.__name__, (reference,), methods)
    copy = types.FunctionType(reference.__code__, reference.__globals__, reference.__name__,
                              reference.__defaults__, reference.__closure__)
    copy.__kwdefaults__ = reference.__kwdefaults__
    return copy
