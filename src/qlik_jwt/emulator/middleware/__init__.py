"""ASGI middleware of the emulator, outermost first: CORS, faults, rate limit, origin gate,
body limit."""
