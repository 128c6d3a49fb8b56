"""Example_dags of the Seedance provider."""
