"""Run a student's code in a throw-away process, so that a crash or a hang costs one check, never the kernel.

Why a *zygote*: forking a process whose TensorFlow or JAX runtime already runs its thread pools deadlocks the
child (measured: a Keras ``train_on_batch`` in a child forked after the kernel trained once never returns on
TensorFlow or JAX; PyTorch is fine). So one helper process, the zygote, is forked when the locked setup cell
imports the checks, before the lesson ran any tensor op; for each call it forks a fresh child. The call (the
check and the student's functions and classes, defined in the notebook) travels by cloudpickle; the child runs
it under a memory limit with stdout captured and sends the result back through a pipe; the kernel waits at most
``timeout`` seconds and then kills the child. ``os._exit``, a segfault, an allocation far beyond memory or
``while True`` end the child, and the check reports it in one line. Cost per call: a fork and a pickle, plus
the child's own runtime start (about 0.1 s for NumPy code, 1-2 s for a TensorFlow model, 5-6 s on JAX).
"""

import ctypes
import os
import pickle
import select
import signal
import socket
import sys

EXIT_SIGNALS = {getattr(signal, n): n for n in ("SIGSEGV", "SIGABRT", "SIGKILL", "SIGBUS", "SIGFPE", "SIGILL")}


def _die_with_parent():
    """Linux: this process gets SIGKILL when its parent dies (no orphan keeps running a student's loop)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit_memory(gigabytes):
    """Address space of this child: what it already maps plus ``gigabytes``, so a huge allocation fails here."""
    import resource

    try:
        with open("/proc/self/status") as status:
            mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        limit = mapped + int(gigabytes * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, ValueError, StopIteration):
        pass


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd):
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(payload, fd, memory_gb):
    """Run one call and write ``((kind, value), printed)`` to ``fd``; never returns."""
    import io

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel's interrupt is for the kernel; we have a timeout
    _die_with_parent()
    _limit_memory(memory_gb)
    printed = io.StringIO()
    sys.stdout = sys.stderr = printed
    try:
        import cloudpickle

        result = ("ok", cloudpickle.loads(payload)())
    except BaseException as exc:  # every failure of the student's code, SystemExit included
        result = ("raised", f"{type(exc).__name__}: {exc}")
    try:
        data = pickle.dumps((result, printed.getvalue()))
    except Exception as exc:
        data = pickle.dumps((("raised", f"the result could not be sent back ({exc})"), printed.getvalue()))
    _write_all(fd, data)
    os._exit(0)


def _zygote(sock, memory_gb):
    """Fork one child per request; report its pid, then its exit status and what it sent. Never returns."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    stream = sock.makefile("rwb")
    while header := stream.readline():
        payload = stream.read(int(header))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            stream.close()
            sock.close()
            os.close(read_end)
            _child(payload, write_end, memory_gb)
        os.close(write_end)
        stream.write(b"%d\n" % pid)
        stream.flush()
        data = _read_all(read_end)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        stream.write(b"%d %d\n" % (status, len(data)) + data)
        stream.flush()
    os._exit(0)


def _probe():
    """The zygote's children can run tensor ops (they cannot when it was forked after the runtime started). Without
    Keras imported in the kernel no runtime can have started: nothing to try (lesson 19 is NumPy and pandas)."""
    if "keras" not in sys.modules:
        return 2.0
    import keras

    return float(keras.ops.convert_to_numpy(keras.ops.add(1.0, 1.0)))


class Outcome:
    """What happened to one isolated call: ``kind`` is ok, raised, crashed, timeout or unavailable."""

    def __init__(self, kind, value=None, printed=""):
        self.kind, self.value, self.printed = kind, value, printed


class Zygote:
    def __init__(self, memory_gb=4.0):
        self.memory_gb, self.pid, self.sock, self.buffer, self.healthy = memory_gb, None, None, b"", None

    def start(self):
        parent_end, zygote_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            parent_end.close()
            _zygote(zygote_end, self.memory_gb)
        zygote_end.close()
        self.pid, self.sock = pid, parent_end
        return self

    def _recv(self, size=None, deadline=None):
        """``size`` bytes, or one line when ``size`` is None; None when ``deadline`` (a monotonic time) passes."""
        import time

        while True:
            if size is None and b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                return line
            if size is not None and len(self.buffer) >= size:
                data, self.buffer = self.buffer[:size], self.buffer[size:]
                return data
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.sock], [], [], wait)[0]:
                return None
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the isolation helper process ended")
            self.buffer += chunk

    def call(self, task, timeout):
        """Run ``task()`` (picklable by cloudpickle) in a fresh child; an :class:`Outcome`."""
        import time

        import cloudpickle

        payload = cloudpickle.dumps(task)  # before anything is sent: a pickling error leaves the channel clean
        self.sock.sendall(b"%d\n" % len(payload) + payload)
        child = int(self._recv())
        header = self._recv(deadline=time.monotonic() + timeout)
        timed_out = header is None
        if timed_out:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
            header = self._recv()
        status, size = map(int, header.split())
        data = self._recv(size) if size else b""
        if timed_out:
            return Outcome("timeout", timeout)
        if data:
            (kind, value), printed = pickle.loads(data)
            return Outcome(kind, value, printed)
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            return Outcome("crashed", EXIT_SIGNALS.get(number, f"signal {number}"))
        return Outcome("crashed", f"exit code {os.WEXITSTATUS(status)}")

    def check_health(self, timeout=120):
        if self.healthy is None:
            try:
                self.healthy = self.call(_probe, timeout).kind == "ok"
            except (OSError, ConnectionError, ValueError):
                self.healthy = False
        return self.healthy


_ZYGOTE = None


def start(memory_gb=4.0):
    """Fork the zygote now (call it before the kernel runs any tensor op); idempotent."""
    global _ZYGOTE
    if _ZYGOTE is None and hasattr(os, "fork"):
        _ZYGOTE = Zygote(memory_gb).start()
    return _ZYGOTE


def run(task, timeout):
    """``task()`` in an isolated child: an :class:`Outcome`; kind ``unavailable`` when there is no healthy zygote
    or the task cannot be pickled (the caller then runs it in the kernel)."""
    if _ZYGOTE is None or not _ZYGOTE.check_health():
        return Outcome("unavailable", "no isolation helper process")
    try:
        return _ZYGOTE.call(task, timeout)
    except (ConnectionError, OSError) as exc:
        _ZYGOTE.healthy = False
        return Outcome("unavailable", f"the isolation helper process failed ({exc})")
    except Exception as exc:  # cloudpickle refused something in the call
        return Outcome("unavailable", f"it cannot be sent to a separate process ({type(exc).__name__}: {exc})")
