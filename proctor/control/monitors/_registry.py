"""The monitor registry and its decorator: ``@monitor("name")`` registers a monitor factory."""

from __future__ import annotations

from collections.abc import Callable

from proctor.control.core import Monitor
from proctor.registry import Registry

MonitorFactory = Callable[..., Monitor]

MONITORS: Registry[MonitorFactory] = Registry("monitor")
monitor = MONITORS.register
