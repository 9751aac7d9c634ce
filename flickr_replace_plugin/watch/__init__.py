"""Watching an export folder: replace each image once it has stopped changing (`flickr-replace watch`)."""
