"""ASGI middleware of the emulator, outermost first: latency, CORS, faults, rate limit, origin
gate, body limit."""
