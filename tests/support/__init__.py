"""Test support shared by every suite: one copy of each fake, fixture builder and server.

Import it as a package, ``from tests.support.media import make_png``, from test modules,
conftest files and helper modules alike (relative imports such as ``from .conftest``
stay for what a single folder shares).

Why ``tests.support`` is importable (pytest runs with ``--import-mode=importlib``, see
``pyproject.toml``):

* ``tests/`` has no ``__init__.py``, so pytest cannot place test files in a package and
  names each module after its path from the rootdir (the repository root, where
  ``pyproject.toml`` is): ``tests/unit/shared_client/test_flows.py`` becomes
  ``tests.unit.shared_client.test_flows``. Before importing it pytest imports its parents
  ``tests`` and ``tests.unit.shared_client`` as namespace packages whose ``__path__`` is
  the folder itself, so ``tests.support`` (a regular package, this folder) resolves through
  ``sys.modules["tests"]`` without anything on ``sys.path``. This works from any current
  directory and in both virtualenvs (Airflow 3.3 and 2.11).
* With another rootdir (``--rootdir tests``), module names no longer start with
  ``tests.``; ``tests/conftest.py`` then appends the repository root to ``sys.path`` so
  the same imports still work.
* Outside pytest (``scripts/bad_input_table.py`` imports ``tests.reliability``), put the
  repository root on ``sys.path`` first, as that script does.
* Do not add ``tests/__init__.py``: the repository root has an ``__init__.py`` of its own
  (the ComfyUI entry point), so pytest would then import ``tests/conftest.py`` as a
  module of a package named after the checkout folder (``<checkout>.tests.conftest``)
  while test modules import ``tests``: the same files under two names.

Modules (import only what a test needs; heavy libraries are imported lazily):

* :mod:`tests.support.paths`: the repository root and fixed files in the tree.
* :mod:`tests.support.media`: PNG bytes and files, data URIs, MP4 probing and building.
* :mod:`tests.support.airflow`: Airflow task-context fakes (``ti``, ``task_state_store``,
  ``outlet_events``, XCom, Variables), connections from the environment, in-memory object
  storage.
* :mod:`tests.support.provider`: the provider unit suite's operator and prediction helpers.
* :mod:`tests.support.airflow_deployment`: a real Airflow 3 deployment (e2e, reliability).
* :mod:`tests.support.diagnosis`: what a failed e2e test prints about the Airflows it used.
* :mod:`tests.support.flows`: drives ``shared_client.flows`` generators with a script.
* :mod:`tests.support.clients`: one async interface over the sync and async clients.
* :mod:`tests.support.net`: ports, API envelopes, a loopback HTTP server base.
* :mod:`tests.support.comfy`: the node's socket values and the ``comfy_api`` stand-in.
* :mod:`tests.support.env`: temporary environment variables outside of fixtures.
"""
