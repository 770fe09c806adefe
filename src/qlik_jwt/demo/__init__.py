"""``qlik-jwt demo``: the emulated tenant and the embedding web app, provisioned, in one process.

Use :class:`~qlik_jwt.demo.run.Demo` (a context manager giving a
:class:`~qlik_jwt.demo.run.DemoInfo`); the CLI only parses flags and waits for Ctrl-C.
"""

from __future__ import annotations
