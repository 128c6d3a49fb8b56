"""Hooks of the Seedance provider."""
