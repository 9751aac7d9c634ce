"""The safety net's parts: checks that keep a replace from destroying the wrong photo, the backup of
what it overwrites, the journal of what was sent, and putting a backup back. The pipeline's stages
use them; `undo` (undoing.py, above the core) runs a backup through the whole pipeline again."""
