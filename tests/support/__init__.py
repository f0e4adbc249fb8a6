"""Helpers that start the real parts (engine, gateway) for the test suite."""
