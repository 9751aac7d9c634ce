"""Finding which of the user's Flickr photos a file with no id is (`flickr-replace link`)."""
