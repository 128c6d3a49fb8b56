"""Links of the Seedance provider."""
