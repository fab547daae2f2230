"""Carrier file formats: shared components and one spec per protocol family."""
