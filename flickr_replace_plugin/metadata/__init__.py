"""Metadata follows the new file: what the file says (read), and what to change on Flickr (plan)."""
