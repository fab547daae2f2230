"""Sandbox carriers: synthetic back offices served over real HTTP for tests, demo and benchmarks."""
