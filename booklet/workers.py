"""The one seam for workers: forked local processes, or a Dask cluster's (`--scheduler`).

`map_unordered(fn, args, jobs, shared, scheduler)` calls `fn(shared, *a)` for each `a` in
`args` and yields `(index, result)` as each call ends. Locally, `shared` (fonts, an essay
laid out) is inherited by forked workers, never pickled; on a cluster it is sent once to
each worker that needs it. Everything else passes as picklable values.
"""

import os

CLUSTER_EXTRA = "pip install 'booklet[cluster]'"

_SHARED = None  # what the forked workers of the running pool inherit (set while it runs)
_IN_WORKER = False  # set in forked workers: they work in turn, starting no workers


def map_unordered(fn, args, jobs=None, shared=None, scheduler=None, lost=None):
    """fn(shared, *a) for each a in args; yield (index, result) as each ends.

    With `scheduler`, on that Dask cluster, `args` taken only as tasks are sent;
    `lost(index, error)` gives the result of a task whose worker died, on the retry too.
    """
    if scheduler:
        return on_cluster(fn, args, shared, scheduler, lost)
    args = list(args)
    jobs = min(jobs or os.cpu_count() or 1, len(args))
    if jobs <= 1 or not can_fork():
        return ((index, fn(shared, *a)) for index, a in enumerate(args))
    return in_workers(fn, args, jobs, shared)


def _quiet_worker():
    """A worker leaves signals to its parent, which ends it; no traceback on the way out."""
    import signal

    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def can_fork():
    """Whether this process may start forked workers."""
    import multiprocessing

    # A worker (a library's handout) may not start workers of its own: it works in turn.
    if _IN_WORKER or multiprocessing.current_process().daemon:
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _call_inherited(fn, a):
    return fn(_SHARED, *a)


def in_workers(fn, args, processes, shared=None):
    """fn(shared, *a) on forked workers; yield (i, result) as each ends.

    Workers share the parent's imports (and fonts). A worker that dies — out of memory, a
    crash in a C library — is an error (BrokenProcessPool), never a wait for ever; on an
    error or Ctrl-C, the workers are stopped at once.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    global _SHARED
    previous, _SHARED = _SHARED, shared  # the pool forks its workers after this
    executor = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("fork"), initializer=_quiet_worker
    )
    try:
        futures = {executor.submit(_call_inherited, fn, a): index for index, a in enumerate(args)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BaseException:
        # Stop now: the workers are killed (a library sweeps the temporary file a write
        # cut short leaves), then the executor is shut down and waited for. Not
        # shutdown(wait=False) alone: exiting then can strand idle workers for ever.
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            process.kill()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        _SHARED = previous
    executor.shutdown()


def require_distributed():
    """Dask's distributed, imported; one line saying what to install when it is not (exit 2)."""
    import click

    try:
        import distributed  # noqa: F401
    except ImportError:
        error = click.ClickException(
            f"--scheduler needs Dask's distributed, which is not installed: {CLUSTER_EXTRA}"
        )
        error.exit_code = 2
        raise error from None


def connect(scheduler):
    """A Dask client of the scheduler at this address; one line when it cannot be had."""
    import click

    require_distributed()
    from distributed import Client

    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise click.ClickException(f"no Dask scheduler at {scheduler}: {error}") from None


def on_cluster(fn, args, shared, scheduler, lost=None):
    """fn(shared, *a) on a Dask cluster's workers; yield (i, result) as each ends.

    Tasks are not pure (each build runs, never a cached result); one whose worker dies
    is run again on another, as the scheduler allows (`allowed-failures`), then `lost`.
    A few tasks a worker thread are sent at a time, so the command holds only those
    tasks' files; Ctrl-C cancels what has not started.
    """
    from distributed import as_completed

    client = connect(scheduler)
    futures = {}
    try:
        # Sent to each worker once (when it first needs it), not with every task.
        parcel = client.scatter(shared, hash=False) if shared is not None else None
        threads = sum(client.nthreads().values())
        window = max(8, 4 * threads)
        pending = enumerate(args)

        def send(count):
            for index, a in pending:
                future = client.submit(fn, parcel, *a, pure=False, retries=1)
                futures[future] = index
                done.add(future)
                count -= 1
                if count <= 0:
                    return

        done = as_completed(loop=client.loop)
        send(window)
        for future in done:
            index = futures.pop(future)
            send(1)
            if future.status == "error" and lost is not None:
                error = future.exception()
                if type(error).__name__ == "KilledWorker":
                    yield index, lost(index, error)
                    continue
            yield index, future.result()
    except BaseException:
        client.cancel(list(futures), force=True)
        raise
    finally:
        client.close()
