"""The offline Qlik Cloud tenant emulator."""
