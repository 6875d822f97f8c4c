"""Unit tests for the pvout package (stdlib unittest)."""
