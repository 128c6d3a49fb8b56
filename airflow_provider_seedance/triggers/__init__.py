"""Triggers of the Seedance provider."""
