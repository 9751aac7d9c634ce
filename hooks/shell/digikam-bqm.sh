# digiKam Batch Queue Manager, "Custom Script" tool: replace each queued image's photo on Flickr.
#
# Paste this whole file into the tool (Base Tools > Custom Tools > Custom Script) and put it last
# in a queue whose earlier tools make the version you want on Flickr (resize, sharpen, ...).
# digiKam runs the text with /bin/sh once per image, after pasting two file names into it, each
# within double quotes, wherever its keyword (a dollar sign and INPUT or OUTPUT) appears: the
# image this step receives, and the file digiKam expects back. The tags of the image come in the
# environment variable TAGSPATH, ';'-separated. A file name that contains a double quote, a
# dollar sign or a backquote can break that pasted text; that is digiKam's doing, so each name is
# pasted exactly once, straight into a variable (and never into a comment).
# Needs flickr-replace-step (hooks/shell/ of flickr-replace) on PATH, or its full path below.
# digiKam waits 60 s for a script: for very large files add --no-wait and finish the replaces
# later with `flickr-replace tickets`.

input=$INPUT
output=$OUTPUT

# digiKam always expects a new output file; this step leaves the image as it is.
cp -- "$input" "$output" || exit

# A digiKam tag flickr:photo_id=N or flickr:id=N, at the top or under any parent tag, names the
# photo. Without one, flickr-replace finds the id in the received image: its metadata (where
# digiKam writes tags), its sidecars and its name.
photo_id=$(printf '%s\n' "$TAGSPATH" | tr ';' '\n' |
  sed -n 's#^\(.*/\)\{0,1\}flickr:\(photo_\)\{0,1\}id=\([0-9][0-9]*\)$#\3#p' | head -n 1)

# flickr-replace's exit status is the step's: 127 reads in digiKam as "Command not found".
if [ -n "$photo_id" ]; then
  flickr-replace-step replace --photo-id "$photo_id" "$output"
else
  flickr-replace-step replace --original="$input" "$output"
fi
