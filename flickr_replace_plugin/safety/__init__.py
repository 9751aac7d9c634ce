"""The safety net: checks that keep a replace from destroying the wrong photo, the backup of what it
overwrites, the journal of what was sent, and the way back (undo)."""
