"""jax.monitoring: named events recorded by a program, dispatched to the listeners
registered for their kind (events, durations, time spans, scalars), as JAX's. mirax
itself records none of JAX's own events (its compile times and cache hits): listeners
hear what the program records."""

__all__ = [
    "clear_event_listeners", "record_event", "record_event_duration_secs", "record_event_time_span",
    "record_scalar", "register_event_duration_secs_listener", "register_event_listener",
    "register_event_time_span_listener", "register_scalar_listener", "unregister_event_duration_listener",
    "unregister_event_listener", "unregister_event_time_span_listener", "unregister_scalar_listener",
]

_listeners = {"event": [], "duration": [], "time_span": [], "scalar": []}


def _record(kind, /, *args, **kwargs):
    for callback in _listeners[kind]:
        callback(*args, **kwargs)


def record_event(event: str, **kwargs) -> None:
    """Record an event: each event listener is called with (event, **kwargs)."""
    _record("event", event, **kwargs)


def record_event_duration_secs(event: str, duration: float, **kwargs) -> None:
    """Record an event's duration in seconds."""
    _record("duration", event, duration, **kwargs)


def record_event_time_span(event: str, start_time: float, end_time: float, **kwargs) -> None:
    """Record an event's start and end times."""
    _record("time_span", event, start_time, end_time, **kwargs)


def record_scalar(event: str, value, **kwargs) -> None:
    """Record a scalar value of an event."""
    _record("scalar", event, value, **kwargs)


def _register(kind):
    def register(callback) -> None:
        _listeners[kind].append(callback)
    return register


def _unregister(kind):
    def unregister(callback) -> None:
        if callback not in _listeners[kind]:
            raise AssertionError  # as JAX's assert
        _listeners[kind].remove(callback)
    return unregister


register_event_listener = _register("event")
register_event_duration_secs_listener = _register("duration")
register_event_time_span_listener = _register("time_span")
register_scalar_listener = _register("scalar")
unregister_event_listener = _unregister("event")
unregister_event_duration_listener = _unregister("duration")
unregister_event_time_span_listener = _unregister("time_span")
unregister_scalar_listener = _unregister("scalar")


def clear_event_listeners():
    """Unregister every listener of every kind."""
    for listeners in _listeners.values():
        listeners.clear()
