"""`reportgen check`: load, validate, compute and render everything in memory; write nothing.

The same stages as a build (build.load_project, the workers), with every problem
collected, and the checks only `check` makes (protected portals' addresses, a data
file two clients read).
"""

from __future__ import annotations

import time
from dataclasses import replace

from .audit import address_warnings
from .build import load_project, raise_if_failed
from .buildoptions import BuildOptions, BuildResult
from .datafiles import files_read_twice
from .errors import InputError


def check_project(options: BuildOptions) -> BuildResult:
    """Load, validate, compute and render everything in memory; write nothing."""
    started = time.perf_counter()
    from .site import SiteRenderer
    from .workers import ClientTask, WorkerSetup, run_tasks

    options = replace(options, preview=True)  # an unset password variable is a warning here
    project = load_project(options)
    problems = list(project.warnings)
    try:
        SiteRenderer(project.config, project.assets).shared_files()  # the agency's landing page
    except InputError as exc:
        problems.extend(exc.problems)
    tasks = [ClientTask(c.id, "", None, render=False) for c in project.selected]
    setup = WorkerSetup(options, project.config, project.assets, staging=None)
    outcomes = run_tasks(setup, tasks, options.jobs, None)
    for outcome in outcomes:
        problems.extend(outcome.problems)
    problems.extend(
        [*address_warnings(project.selected), *files_read_twice(project.selected, None, options.project)]
    )
    warnings = raise_if_failed(problems, options.strict)
    infos = tuple(sorted({p for p in problems if p.severity == "info"}))
    return BuildResult(
        clients=len(project.selected),
        reports=sum(o.reports for o in outcomes),
        warnings=warnings,
        infos=infos,
        seconds=time.perf_counter() - started,
    )
