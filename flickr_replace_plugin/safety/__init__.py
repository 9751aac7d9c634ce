"""The safety net: checks that keep a replace from destroying the wrong photo, and the way back."""
