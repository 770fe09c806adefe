"""The emulator's HTTP and websocket surfaces, one module each."""
