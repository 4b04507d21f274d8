"""The protocol registry and its decorator: ``@protocol("name")`` registers a protocol factory."""

from __future__ import annotations

from collections.abc import Callable

from proctor.control.core import ControlProtocol
from proctor.registry import Registry

ProtocolFactory = Callable[..., ControlProtocol]

PROTOCOLS: Registry[ProtocolFactory] = Registry("protocol")
protocol = PROTOCOLS.register
