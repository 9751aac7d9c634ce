"""A replace as one pipeline: the stages a file goes through, listed once in `stages.py`, each a
small function given the run's `Services` and the file's `FileRun`."""
