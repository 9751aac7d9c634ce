--[[
  flickr_replace.lua - replace photos already on Flickr from darktable's export module

  Part of flickr-replace; MIT license.
]]
--[[
  flickr_replace - an export target "Flickr (replace existing)"

  Each exported image replaces the file of a photo that is already on Flickr; its title, tags,
  comments, faves and URL stay. The work is done by the `flickr-replace` command line tool; this
  script only hands it each exported file and which photo it belongs to, and shows the outcome.

  Which photo: the exported temporary file carries no Flickr id of its own, so the id is taken
  from the source image in darktable -- a tag `flickr:photo_id=N` or `flickr:id=N` (also written
  as the hierarchy flickr|photo_id|N) -- and passed as --photo-id. The source file's path is
  passed as --original: without a tag flickr-replace looks there (its sidecars NAME.EXT.xmp,
  NAME.xmp, NAME.EXT.flickr.yaml/.json, its embedded metadata and a Flickr download or
  account-export file name), an uploaded image's id is recorded there, and `flickr-replace
  history SOURCE` lists its exports. Nothing is read from or left in darktable's temporary folder.

  ADDITIONAL SOFTWARE NEEDED FOR THIS SCRIPT
  * flickr-replace (installed with pip), authorised once with `flickr-replace auth`

  USAGE
  * start this script from script_manager, or add `dofile("/path/to/flickr_replace.lua")` to
    luarc
  * optionally set, in preferences > lua options, where flickr-replace is and whether to use
    Flickr's asynchronous replace (the default: the tool waits for Flickr's ticket)
  * select images, choose "Flickr (replace existing)" as the export target, press export: the
    whole export is one run of flickr-replace (its tickets polled together); at the end a short
    message counts what happened, and the lighttable module "Flickr" lists each image with what
    happened to it and, for one not sent, why and what to do
  * turn on "upload missing images" to upload images that are not on Flickr yet: each is then
    tagged flickr:photo_id=N in darktable's library, so its next export replaces that photo
  * with darktable-cli (no GUI) pass `--luacmd 'dofile("/path/to/flickr_replace.lua")'`: every
    image darktable-cli exports replaces its Flickr photo, and the exported file is kept

  CAVEATS
  * Linux and macOS: commands run through /bin/sh, every argument single-quoted.
  * Supported export formats: JPEG, PNG, TIFF, WebP.
]]

local dt = require "darktable"

local MODULE = "flickr_replace"
local MIN_API = "9.0.0" -- darktable 4.2; 5.x reports 9.4 and later
local LABEL = "Flickr (replace existing)"
local SUPPORTED_EXTENSIONS = { jpg = true, jpeg = true, png = true, tif = true, tiff = true, webp = true }

-- lua-scripts' dtutils when the script runs from script_manager; the script must also work
-- dropped in on its own, so everything else it needs is written here.
local has_du, du = pcall(require, "lib/dtutils")

local function _(msgid)
  return dt.gettext and dt.gettext.gettext and dt.gettext.gettext(msgid) or msgid
end

local function api_at_least(wanted)
  local have = {}
  for n in dt.configuration.api_version_string:gmatch("%d+") do have[#have + 1] = tonumber(n) end
  local i = 1
  for n in wanted:gmatch("%d+") do
    local a, b = have[i] or 0, tonumber(n)
    if a ~= b then return a > b end
    i = i + 1
  end
  return true
end

if has_du then
  du.check_min_api_version(MIN_API, MODULE)
elseif not api_at_least(MIN_API) then
  dt.print(string.format(_("%s needs darktable's Lua API %s or later, this is %s"),
    MODULE, MIN_API, dt.configuration.api_version_string))
  error("Minimum API " .. MIN_API .. " not met for " .. MODULE .. ".", 0)
end

local script_data = {}
script_data.metadata = {
  name = _("flickr replace"),
  purpose = _("replace photos already on Flickr with darktable exports"),
  author = "flickr-replace contributors",
  help = _("the comment at the top of flickr_replace.lua, and `flickr-replace --help`"),
}

if dt.configuration.running_os == "windows" then
  dt.print(_("Flickr: flickr_replace runs on Linux and macOS only"))
  return script_data
end

-- Registering a preference hangs darktable-cli (4.2), which has no preferences dialog; reading
-- one works there, from the same darktablerc the GUI writes.
if dt.configuration.has_gui then
  dt.preferences.register(MODULE, "executable", "string",
    _("flickr-replace: command"),
    _("path of the flickr-replace command, or just its name to search PATH and ~/.local/bin"),
    "flickr-replace")
  dt.preferences.register(MODULE, "mode", "enum",
    _("flickr-replace: upload mode"),
    _("async: Flickr processes the file in the background and flickr-replace waits for its ticket; "
      .. "sync: Flickr answers when the replace is done"),
    "async", "async", "sync")
  dt.preferences.register(MODULE, "upload_missing", "bool",
    _("flickr-replace: upload missing images"),
    _("upload images that carry no Flickr id as new (private) photos, then tag them flickr:photo_id=N; "
      .. "an image that seems to be on Flickr already is not uploaded twice"),
    false)
end

local NOT_FOUND = _("Flickr: flickr-replace not found; install it or set its path in preferences > lua options")

local function upload_mode()
  local mode = dt.preferences.read(MODULE, "mode", "enum")
  return (mode == "sync") and "sync" or "async"
end

local function upload_missing()
  return dt.preferences.read(MODULE, "upload_missing", "bool") == true
end

local function report(message)
  dt.print(message)
  dt.print_log(message)
end

-- POSIX sh takes everything between single quotes literally, so closing the quote, adding an
-- escaped quote and reopening it is a complete encoding: no name can end or extend a command.
local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read_all(path)
  local fh = io.open(path, "rb")
  if not fh then return "" end
  local text = fh:read("a") or ""
  fh:close()
  return text
end

local function is_executable(path)
  return os.execute("test -f " .. sh_quote(path) .. " && test -x " .. sh_quote(path)) == true
end

-- The preference may name the command or give its path. A darktable started from a desktop menu
-- often lacks ~/.local/bin (where `pip install --user` puts it) on PATH, so look there too.
local function find_executable()
  local wanted = dt.preferences.read(MODULE, "executable", "string")
  if wanted == nil or wanted == "" then wanted = "flickr-replace" end
  local home = os.getenv("HOME") or ""
  if wanted:sub(1, 2) == "~/" then wanted = home .. wanted:sub(2) end
  if wanted:find("/", 1, true) then
    return is_executable(wanted) and wanted or nil
  end
  local dirs = {}
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do dirs[#dirs + 1] = dir end
  if home ~= "" then dirs[#dirs + 1] = home .. "/.local/bin" end
  for _i, dir in ipairs(dirs) do
    local candidate = dir .. "/" .. wanted
    if is_executable(candidate) then return candidate end
  end
  return nil
end

-- A small JSON reader: flickr-replace --json prints one object per file, and darktable ships no
-- JSON library. Returns nil for anything malformed.
local function json_decode(text)
  local pos = 1
  local value

  local function skip() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end

  local escapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

  local function string_value()
    local parts = {}
    pos = pos + 1
    while true do
      local c = text:sub(pos, pos)
      if c == "" then error("unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(parts) end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        if e == "u" then
          local code = tonumber(text:sub(pos + 2, pos + 5), 16) or error("bad \\u escape")
          pos = pos + 6
          if code >= 0xD800 and code <= 0xDBFF and text:sub(pos, pos + 1) == "\\u" then
            local low = tonumber(text:sub(pos + 2, pos + 5), 16) or 0
            code = 0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)
            pos = pos + 6
          end
          parts[#parts + 1] = utf8.char(code)
        else
          parts[#parts + 1] = escapes[e] or error("bad escape")
          pos = pos + 2
        end
      else
        local stop = text:find('["\\]', pos) or #text + 1
        parts[#parts + 1] = text:sub(pos, stop - 1)
        pos = stop
      end
    end
  end

  -- the items of an object or array up to `close`, each read by `item`
  local function items(close, item)
    pos = pos + 1; skip()
    if text:sub(pos, pos) == close then pos = pos + 1; return end
    while true do
      item(); skip()
      local sep = text:sub(pos, pos)
      pos = pos + 1
      if sep == close then return end
      if sep ~= "," then error("expected ','") end
    end
  end

  value = function()
    skip()
    local c = text:sub(pos, pos)
    if c == "{" then
      local obj = {}
      items("}", function()
        skip()
        if text:sub(pos, pos) ~= '"' then error("expected key") end
        local key = string_value()
        skip()
        if text:sub(pos, pos) ~= ":" then error("expected ':'") end
        pos = pos + 1
        obj[key] = value()
      end)
      return obj
    elseif c == "[" then
      local arr = {}
      items("]", function() arr[#arr + 1] = value() end)
      return arr
    elseif c == '"' then
      return string_value()
    end
    -- null becomes nil, so a null field reads as absent
    if text:sub(pos, pos + 3) == "true" then pos = pos + 4; return true end
    if text:sub(pos, pos + 4) == "false" then pos = pos + 5; return false end
    if text:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if num and num ~= "" then pos = pos + #num; return tonumber(num) end
    error("unexpected character")
  end

  local ok, result = pcall(value)
  return ok and result or nil
end

-- The photo id from the source image's tags. More than one different id means the tags disagree,
-- and guessing would replace the wrong photo.
local function photo_ids_from_tags(image)
  local ids, seen = {}, {}
  for _i, tag in ipairs(image:get_tags()) do
    local name = tag.name or ""
    local id = name:match("^flickr:photo_id=(%d+)$") or name:match("^flickr:id=(%d+)$")
      or name:match("^flickr|photo_id|(%d+)$") or name:match("^flickr|id|(%d+)$")
    if id and not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  return ids
end

-- An argument that begins with "-" would be read as an option.
local function as_path_argument(path)
  if path:sub(1, 1) == "-" then return "./" .. path end
  return path
end

local function source_path(image)
  return as_path_argument(image.path .. "/" .. image.filename)
end

-- A JSON string: what the tool reads a file's source image from when a batch has several images.
local function json_string(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

-- Writes `text` to `path`; returns `path` when written, so the caller can remove it afterwards.
local function write_sidecar(path, text)
  local fh = io.open(path, "w")
  if not fh then return nil end
  fh:write(text)
  fh:close()
  return path
end

-- What a run may leave beside an export: the note written for it, and an id file an older
-- flickr-replace wrote there. All of it goes with the export.
local BESIDE_EXPORT = { ".flickr.json", ".flickr.yaml" }

local function remove_export(file)
  os.remove(file)
  for _i, suffix in ipairs(BESIDE_EXPORT) do os.remove(file .. suffix) end
end

-- A new empty folder inside `near`, made with mktemp (no other program writes into it); nil when
-- it cannot be made.
local function new_private_folder(near)
  local pipe = io.popen("mktemp -d " .. sh_quote(near .. "/flickr-replace.XXXXXX") .. " 2>/dev/null", "r")
  if not pipe then return nil end
  local folder = pipe:read("l")
  pipe:close()
  if folder == nil or folder == "" then return nil end
  return folder
end

-- Runs flickr-replace with every argument quoted; stderr goes to a private temp file so that its
-- message can be shown when there is no JSON result (a configuration error, exit 2).
local function run_flickr_replace(executable, args)
  local quoted = { sh_quote(executable) }
  for _i, arg in ipairs(args) do quoted[#quoted + 1] = sh_quote(arg) end
  local errfile = os.tmpname()
  local command = table.concat(quoted, " ") .. " </dev/null 2>" .. sh_quote(errfile)
  local pipe = io.popen(command, "r")
  local out = pipe:read("a") or ""
  local _closed, how, code = pipe:close()
  local err = read_all(errfile)
  os.remove(errfile)
  if how == "signal" then code = 128 + code end
  return out, code or 0, err
end

local function last_line(text)
  local last = nil
  for line in text:gmatch("[^\r\n]+") do
    if line:match("%S") then last = line end
  end
  return last
end

-- Why an image was not replaced, with what to do about it in darktable.
local function advice(result)
  local err = type(result.error) == "table" and result.error or {}
  local reason, message = err.reason, tostring(err.message or _("failed"))
  if reason == "no_photo_id" then
    return _("no Flickr id: tag the image flickr:photo_id=N, or turn on uploading missing images "
      .. "(preferences > lua options)")
  elseif reason == "probably_on_flickr" then
    local id = message:match("photos? (%d+)")
    return string.format(_("probably on Flickr already as photo %s, not uploaded twice: tag the image "
      .. "flickr:photo_id=%s"), id or "?", id or "N")
  elseif reason == "duplicate_target" then
    return _("another image of this export names the same photo: export them one at a time")
  end
  return message
end

local function describe(entry)
  local result = entry.result
  local status = type(result.status) == "string" and result.status or "failed"
  local message = string.format("Flickr: %s %s", entry.name, status)
  if type(result.photo_id) == "string" then
    local origin = entry.tagged and _("darktable tag") or result.source
    message = message .. string.format(_(" photo %s"), result.photo_id)
    if type(origin) == "string" then message = message .. string.format(_(" (id from %s)"), origin) end
  end
  if type(result.error) == "table" and result.error.message then
    message = message .. ": " .. tostring(result.error.message)
  end
  return message
end

-- An image uploaded as a new photo: tagged, so its next export replaces that photo.
local function remember_upload(entry)
  local id = entry.result.photo_id
  if entry.result.status == "uploaded" and type(id) == "string" and id:match("^%d+$") then
    dt.tags.attach(dt.tags.create("flickr:photo_id=" .. id), entry.image)
  end
end

-- One entry per exported image: {image, name, file, args = the id argument, result}.
local function prepare(image, exported)
  local entry = { image = image, name = image.filename, file = as_path_argument(exported) }
  local ids = photo_ids_from_tags(image)
  if #ids > 1 then
    entry.result = { status = "failed", error = { message = string.format(
      _("its tags name different photos (%s): keep one flickr:photo_id tag"), table.concat(ids, ", ")) } }
  elseif #ids == 1 then
    entry.tagged, entry.photo_id = true, ids[1]
  end
  return entry
end

-- The command line for every entry not yet decided, and the entries it covers. A single image
-- gets --original (its source image) and, when tagged, --photo-id. In a batch of several, each
-- export gets a note NAME.EXT.flickr.json beside it naming its source image as `original` (read
-- as that file's --original: the ids in the source's own sidecars are found, a new photo's id is
-- recorded next to the source, the journal names the source) and, when tagged, its `photo_id`.
-- The exports and notes are in a folder of this batch's own, so nothing an earlier export left
-- in darktable's temporary folder is read. Returns args, the entries, the notes written.
local function batch_command(entries, options)
  options = options or {}
  local args = { "replace", "--json", "--" .. upload_mode() }
  if options.upload_missing == nil and upload_missing() or options.upload_missing then
    args[#args + 1] = "--upload-missing"
    if options.privacy then args[#args + 1] = "--privacy=" .. options.privacy end
  end
  local todo, sidecars = {}, {}
  for _i, entry in ipairs(entries) do
    if not entry.result then todo[#todo + 1] = entry end
  end
  for _i, entry in ipairs(todo) do
    if #todo == 1 then
      args[#args + 1] = "--original=" .. source_path(entry.image)
      if entry.photo_id then args[#args + 1] = "--photo-id=" .. entry.photo_id end
    else
      local note = '{"original": ' .. json_string(entry.image.path .. "/" .. entry.image.filename)
      if entry.photo_id then note = note .. ', "photo_id": ' .. json_string(entry.photo_id) end
      sidecars[#sidecars + 1] = write_sidecar(entry.file .. ".flickr.json", note .. "}\n")
    end
  end
  for _i, entry in ipairs(todo) do args[#args + 1] = entry.file end
  return args, todo, sidecars
end

-- A --json line as a table, or nil for anything else the tool printed.
local function json_line(line)
  if line:sub(1, 1) ~= "{" then return nil end
  local result = json_decode(line)
  if type(result) == "table" and type(result.path) == "string" then return result end
  return nil
end

-- Each entry gets its result (or says why there is none), and an upload is tagged.
local function take_results(todo, by_path, code, err)
  for _i, entry in ipairs(todo) do
    entry.result = by_path[entry.file] or { status = "failed", error = { message = string.format(
      _("flickr-replace exited with %d: %s"), code, last_line(err) or _("no output")) } }
    remember_upload(entry)
  end
end

-- Runs flickr-replace once for every entry not yet decided, and reads each file's JSON result back.
local function run_batch(executable, entries)
  local args, todo, sidecars = batch_command(entries)
  if #todo == 0 then return end
  local out, code, err = run_flickr_replace(executable, args)
  for _i, sidecar in ipairs(sidecars) do os.remove(sidecar) end
  local by_path = {}
  for line in out:gmatch("[^\r\n]+") do
    local result = json_line(line)
    if result then by_path[result.path] = result end
  end
  take_results(todo, by_path, code, err)
end

local STATUSES = { "replaced", "uploaded", "pending", "skipped", "failed" }

-- One message for the whole export: darktable shows a message only until the next replaces it.
local function summary(entries)
  local counts, problems = {}, {}
  for _i, status in ipairs(STATUSES) do counts[status] = 0 end
  for _i, entry in ipairs(entries) do
    local status = entry.result.status
    if counts[status] == nil then status = "failed" end
    counts[status] = counts[status] + 1
    if status == "failed" then
      problems[#problems + 1] = string.format("%s: %s", entry.name, advice(entry.result))
    end
  end
  local parts = {}
  for _i, status in ipairs(STATUSES) do parts[#parts + 1] = string.format("%d %s", counts[status], _(status)) end
  local text = string.format(_("Flickr: %d images: %s"), #entries, table.concat(parts, ", "))
  if #problems > 0 then text = text .. ". " .. _("Not replaced: ") .. table.concat(problems, "; ") end
  return text
end

-- Export target (GUI) -------------------------------------------------------------------------

local function supported(storage, format)
  return SUPPORTED_EXTENSIONS[string.lower(format.extension or "")] == true
end

-- Returns nothing, so darktable exports the images it chose. A table returned here (even the
-- `images` it passed in) becomes the export job's image list, which darktable 4.2 frees twice:
-- darktable crashed ("double free or corruption") after an export or two.
local function initialize(storage, format, images, high_quality, extra_data)
  extra_data.executable = find_executable()
  extra_data.entries, extra_data.names, extra_data.folders = {}, {}, {}
  if not extra_data.executable then
    -- Printed in finalize: a message here would be overwritten by darktable's export messages.
    extra_data.error = NOT_FOUND
  end
end

-- darktable exports each image to NAME.EXT in its temporary folder, where an earlier export may
-- have left files beside that name; the export moves into this batch's own folder (a subfolder
-- per repeated name, as two sources may share a file name). Returns the new path, or nil.
local function set_aside(extra_data, exported)
  local near, name = exported:match("^(.*)/([^/]+)$")
  if not near then return nil end
  extra_data.folder = extra_data.folder or new_private_folder(near)
  if not extra_data.folder then return nil end
  local seen = (extra_data.names[name] or 0) + 1
  extra_data.names[name] = seen
  local folder = extra_data.folder
  if seen > 1 then
    folder = folder .. "/" .. seen
    if not os.execute("mkdir " .. sh_quote(folder)) then return nil end
    extra_data.folders[#extra_data.folders + 1] = folder
  end
  local moved = folder .. "/" .. name
  if not os.rename(exported, moved) then return nil end
  return moved
end

-- Each exported file is only collected here: the whole batch goes to flickr-replace in finalize.
-- An export that will not be sent is removed at once: nothing else removes it.
local function store(storage, image, format, filename, number, total, high_quality, extra_data)
  if extra_data.error then
    os.remove(filename)
    return
  end
  local moved = set_aside(extra_data, filename)
  if not moved then
    os.remove(filename)
    extra_data.entries[#extra_data.entries + 1] = { image = image, name = image.filename, result = {
      status = "failed", error = { message = _("its export could not be set aside in darktable's temporary "
        .. "folder: check that the folder is writable and has free space") } } }
    return
  end
  extra_data.entries[#extra_data.entries + 1] = prepare(image, moved)
end

-- The exports live in darktable's temporary folder only to be sent: they, what was written
-- beside them, and the batch's folders go.
local function remove_batch_files(extra_data)
  for _i, entry in ipairs(extra_data.entries) do
    if entry.file then remove_export(entry.file) end
  end
  for i = #extra_data.folders, 1, -1 do os.remove(extra_data.folders[i]) end
  if extra_data.folder then os.remove(extra_data.folder) end
end

-- The module's (defined below): the export's report goes to its list, in the module's words.
local show_results, outcome_of, record_sent, metadata_left_out

-- What was replaced or uploaded, for "select changed since sent".
local function sent_images(entries)
  local sent = {}
  for _i, entry in ipairs(entries) do
    local status = entry.result and entry.result.status
    if status == "replaced" or status == "uploaded" then sent[#sent + 1] = entry.image end
  end
  return sent
end

local function finalize(storage, image_table, extra_data)
  if extra_data.error then
    report(extra_data.error)
    return
  end
  dt.print(string.format(_("Flickr: sending %d images"), #extra_data.entries))
  local ok, err = pcall(run_batch, extra_data.executable, extra_data.entries)
  remove_batch_files(extra_data)
  if not ok then error(err, 0) end
  record_sent(sent_images(extra_data.entries))
  local results = {}
  for _i, entry in ipairs(extra_data.entries) do results[#results + 1] = outcome_of(entry) end
  show_results(_("last export:"), results, metadata_left_out(extra_data.entries))
end

-- Without a GUI (darktable-cli) ---------------------------------------------------------------

-- darktable-cli has no export module to choose a target in, so every image it exports is sent.
-- The file is darktable-cli's requested output, so it is kept.
local function on_intermediate_export(event, image, filename, format, storage)
  if not supported(storage, format) then
    report(string.format(_("Flickr: %s not replaced: export format %s is not supported"),
      image.filename, tostring(format.extension)))
    return
  end
  local executable = find_executable()
  if not executable then
    report(NOT_FOUND)
    return
  end
  local entries = { prepare(image, filename) }
  run_batch(executable, entries)
  report(describe(entries[1]))
  if entries[1].result.status == "failed" then report(summary(entries)) end
end

-- The lighttable module "Flickr" ------------------------------------------------------------
-- It acts on the selected images: each action is also in `script_data.actions`, so other scripts
-- (and tests) do what a click does, and each returns once its batch has finished with a table of
-- per-image results {image, name, status, reason, message, photo_id}.

local OPEN_COMMANDS = { linux = "xdg-open", macos = "open", windows = "start" }
local PRIVACY_WORDS = { "private", "friends", "family", "friends-and-family", "public" }
local SENT_FILE = (dt.configuration.config_dir or ".") .. "/flickr_replace_sent.tsv"
local POLL_MS = 200
local EXPORT_SHARE = 0.4 -- of the progress bar: exporting; the rest: the tool's results

-- The image as darktable names it: its file name, and the version when it is a duplicate.
local function image_name(image)
  local version = image.duplicate_index or 0
  if version > 0 then return string.format(_("%s (version %d)"), image.filename, version) end
  return image.filename
end

local function megabytes(bytes)
  return string.format("%.1f", (tonumber(bytes) or 0) / 1048576)
end

-- Every `reason` the tool gives (README), as a sentence about the image in darktable's words.
local REASON_WORDS = {
  no_file = "its export went missing before it was sent: replace it again",
  not_a_file = "its export went missing before it was sent: replace it again",
  empty = "its export is empty: replace it again",
  not_an_image = "its export is not an image Flickr takes: choose JPEG, PNG or TIFF in the export module",
  raw = "a raw file cannot go to Flickr: choose JPEG, PNG or TIFF in the export module",
  video = "its photo on Flickr is a video, and Flickr cannot replace videos",
  too_big = "its export is %s MB, over Flickr's limit of %s MB: set a smaller size in the export module",
  no_photo_id = "it is not on Flickr yet: turn on \"upload missing\" in the Flickr module, or use \"link\" to find its photo",
  conflict = "its Flickr ids disagree: use \"remove id\", then \"link\"",
  duplicate_target = "another selected image goes to the same Flickr photo: send them one at a time",
  not_found = "its photo %s is no longer on Flickr: use \"remove id\", then upload it again",
  not_owner = "its photo %s belongs to someone else: use \"remove id\"",
  not_similar = "its photo %s shows a different picture: check its id (\"remove id\", then \"link\")",
  unchanged = "Flickr already has exactly this version",
  changed_while_sending = "its export changed while it was being sent: replace it again",
  backup_failed = "its photo's current version could not be saved first, so nothing was sent: check the connection and free disk space, and replace it again",
  backup_damaged = "the saved earlier version is damaged, so nothing was put back",
  no_backup = "there is no saved earlier version of its photo to put back",
  probably_on_flickr = "it looks like photo %s, already on Flickr: not uploaded twice; use \"link\" to tag it",
  vetoed = "a flickr-replace plugin stopped it",
  interrupted = "not sent: the batch was cancelled",
  duplicate_version = "its Flickr id %s is also on %s: a duplicate carries its source's id; use \"remove id\" on one of them",
  no_id = "it has no Flickr id: use \"link\" to find its photo",
}
local UNREACHABLE = "Flickr can't be reached: check the connection and export again"

-- A plain sentence for one result of the tool: never a path or a command-line option.
local function plain_words(result, photo_id)
  local err = type(result.error) == "table" and result.error or {}
  local reason = err.reason
  local message = tostring(err.message or "")
  if reason == "too_big" then
    local numbers = {}
    for n in message:gmatch("(%d+) bytes") do numbers[#numbers + 1] = n end
    return string.format(_(REASON_WORDS.too_big), megabytes(result.bytes or numbers[1]), megabytes(numbers[#numbers]))
  elseif reason == "probably_on_flickr" then
    return string.format(_(REASON_WORDS.probably_on_flickr), message:match("photos? (%d+)") or "?")
  elseif reason == "duplicate_version" then
    return message -- the module's own reason, already in words
  elseif reason == "interrupted" and result.status == "failed" then
    return _("cancelled while it was being sent: its photo keeps either its old picture or the new one whole; replace it again to be sure")
  elseif reason and REASON_WORDS[reason] then
    return string.format(_(REASON_WORDS[reason]), photo_id or result.photo_id or "?")
  elseif err.origin == "network" then
    return _(UNREACHABLE)
  elseif err.code == 96 or err.code == 97 or err.code == 98 or err.code == 100 then
    return _("Flickr did not accept the sign-in: authorise flickr-replace again (flickr-replace auth)")
  elseif err.origin == "flickr" then
    return string.format(_("Flickr refused it: %s"), message)
  elseif result.status == "pending" then
    return _("Flickr is still processing it; flickr-replace finishes it the next time it runs")
  end
  return message
end

-- The outcome of one image for callers and the module's list.
local function outcome(image, status, reason, message, photo_id)
  return { image = image, name = image_name(image), status = status, reason = reason, message = message,
           photo_id = photo_id }
end

function outcome_of(entry)
  local result = entry.result or { status = "failed" }
  local err = type(result.error) == "table" and result.error or {}
  local photo_id = type(result.photo_id) == "string" and result.photo_id or entry.photo_id
  local said = result.status == "failed" or result.status == "skipped" or result.status == "pending"
    or (err.message or "") ~= ""
  local message = said and plain_words(result, photo_id) or (photo_id and string.format(_("photo %s"), photo_id) or "")
  return outcome(entry.image, result.status or "failed", err.reason, message, photo_id)
end

-- What was sent, and when: one line per image `KEY <tab> FINGERPRINT`, in darktable's config
-- folder, so "select changed since sent" works after a restart. The fingerprint is darktable's
-- change time where its Lua API has it (newer than 4.2), else the edit history in the image's XMP
-- sidecar (4.2, which darktable keeps up to date by default).
local function image_key(image)
  return image.path .. "/" .. image.filename .. "#" .. tostring(image.duplicate_index or 0)
end

local function history_hash(text)
  local h = 5381
  for i = 1, #text do h = (h * 33 + text:byte(i)) % 4294967296 end
  return string.format("%08x", h)
end

local function fingerprint(image)
  local ok, stamp = pcall(function() return image.change_timestamp end)
  if ok and stamp then return "t" .. tostring(stamp) end
  local xmp = read_all(image.sidecar or "")
  local history = xmp:match("<darktable:history>.-</darktable:history>") or ""
  local stop = xmp:match('darktable:history_end="(%d+)"') or "0"
  return "h" .. stop .. "-" .. history_hash(history)
end

local function read_sent()
  local sent = {}
  for line in read_all(SENT_FILE):gmatch("[^\n]+") do
    local key, mark = line:match("^(.*)\t([^\t]*)$")
    if key then sent[key] = mark end
  end
  return sent
end

function record_sent(images)
  if #images == 0 then return end
  local sent = read_sent()
  for _i, image in ipairs(images) do sent[image_key(image)] = fingerprint(image) end
  local fh = io.open(SENT_FILE .. ".new", "w")
  if not fh then return end
  for key, mark in pairs(sent) do fh:write(key, "\t", mark, "\n") end
  fh:close()
  os.rename(SENT_FILE .. ".new", SENT_FILE)
end

-- The module's widgets and state --------------------------------------------------------------

local ui = {}
local state = { last = {}, running = false }

local function module_privacy()
  local word = dt.preferences.read(MODULE, "privacy", "enum")
  for _i, known in ipairs(PRIVACY_WORDS) do if word == known then return word end end
  return "private"
end

local NO_METADATA = "exported without title, description, tags, date or place: turn on the export "
  .. "module's metadata preferences (EXIF data, metadata, geo tags, tags) to bring them to Flickr"

-- A sent export that carried no metadata at all (the tool's `metadata.in_file` is empty): said
-- once a session, as the export module's settings are the same for every image.
function metadata_left_out(entries)
  if state.told_metadata then return nil end
  for _i, entry in ipairs(entries) do
    local metadata = entry.result and entry.result.metadata
    if type(metadata) == "table" and type(metadata.in_file) == "table" and #metadata.in_file == 0 then
      state.told_metadata = true
      return string.format(_("%s was %s"), entry.name or image_name(entry.image), _(NO_METADATA))
    end
  end
  return nil
end

-- The last batch, one line per image, in the module; a short toast for the whole. `no_metadata`,
-- when given, is one more line for the list, and the toast points to it.
function show_results(title, results, no_metadata)
  state.last = results
  local lines, counts, order, not_sent = { title }, {}, {}, 0
  for _i, r in ipairs(results) do
    local line = string.format("%s: %s", r.name, _(r.status))
    if r.message and r.message ~= "" then line = line .. " - " .. r.message end
    lines[#lines + 1] = line
    if not counts[r.status] then order[#order + 1] = r.status end
    counts[r.status] = (counts[r.status] or 0) + 1
    if r.status == "failed" or r.status == "skipped" then not_sent = not_sent + 1 end
  end
  if ui.report then -- a line per image, cut to the panel's width; the whole of it as the tooltip
    ui.report.label = table.concat(lines, "\n")
    ui.report.tooltip = table.concat(lines, "\n")
  end
  local parts = {}
  for _i, status in ipairs(order) do
    if status ~= "failed" and status ~= "skipped" then parts[#parts + 1] = string.format("%d %s", counts[status], _(status)) end
  end
  if not_sent > 0 then parts[#parts + 1] = string.format(_("%d not sent"), not_sent) end
  local toast = string.format(_("Flickr: %s"), table.concat(parts, ", "))
  if not_sent > 0 then toast = toast .. _(" - see the Flickr module") end
  if no_metadata then
    lines[#lines + 1] = no_metadata
    toast = toast .. "; " .. _("exported without metadata - see the Flickr module")
  end
  for _i, line in ipairs(lines) do dt.print_log("Flickr module: " .. line) end
  report(toast)
end

-- A background job with a progress bar; cancel is shown only while something can be stopped.
local function start_job(text, on_cancel)
  local job = { percent = 0, valid = true }
  if dt.gui.create_job then
    job = dt.gui.create_job(text, true, function(j) on_cancel(j) end)
  end
  return job
end

local function set_progress(job, fraction, text)
  if job.valid then job.percent = math.max(0, math.min(1, fraction)) end
  if ui.status then ui.status.label = text end
  dt.print_log(string.format("Flickr progress %d%%: %s", math.floor(fraction * 100 + 0.5), text))
end

-- Runs the tool in the background, its stdout into a file read line by line while darktable stays
-- responsive (dt.control.sleep lets the cancel button's callback run). The tool runs in a process
-- group of its own where setsid exists, so cancel's SIGINT reaches it: it then reports files not
-- started as skipped (reason interrupted) and keeps pending tickets saved.
local function spawn(executable, args, folder)
  local quoted = { sh_quote(executable) }
  for _i, arg in ipairs(args) do quoted[#quoted + 1] = sh_quote(arg) end
  local out, err, status = folder .. "/out.jsonl", folder .. "/err.txt", folder .. "/status"
  local inner = "trap '' INT; " .. table.concat(quoted, " ") .. " </dev/null >" .. sh_quote(out) .. " 2>" .. sh_quote(err)
    .. "; echo $? >" .. sh_quote(status)
  local group = os.execute("command -v setsid >/dev/null 2>&1") and "setsid " or ""
  local pipe = io.popen(group .. "sh -c " .. sh_quote(inner) .. " >/dev/null 2>&1 </dev/null & echo $!", "r")
  local pid = pipe and pipe:read("l")
  if pipe then pipe:close() end
  return { pid = tonumber(pid), out = out, err = err, status = status, group = group ~= "",
           progress = folder .. "/progress.jsonl" }
end

local function interrupt(run)
  if not run.pid or run.interrupted then return end
  run.interrupted = true
  if run.group then os.execute("kill -INT -- -" .. run.pid .. " 2>/dev/null") end
  os.execute("pkill -INT -P " .. run.pid .. " 2>/dev/null")
end

-- Reads the lines a running program appends to `path`: each call hands every new whole line to
-- `each` (a line still being written waits for the next call).
local function tail(path)
  local fh, pending = nil, ""
  return function(each)
    fh = fh or io.open(path, "r")
    if not fh then return end
    pending = pending .. (fh:read("a") or "")
    while true do
      local stop = pending:find("\n", 1, true)
      if not stop then break end
      local line = pending:sub(1, stop - 1)
      pending = pending:sub(stop + 1)
      each(line)
    end
  end, function() if fh then fh:close() end end
end

-- Waits for the run to end, calling on_result(result) for each JSON result line as it arrives,
-- and on_stage(event) for each line of its stage stream (replace --progress-json).
local function follow(run, on_result, on_stage)
  local results, close_results = tail(run.out)
  local stages, close_stages = tail(run.progress)
  while true do
    local finished = read_all(run.status) ~= ""
    if on_stage then
      stages(function(line)
        local event = line:sub(1, 1) == "{" and json_decode(line)
        if type(event) == "table" and event.event == "stage" then on_stage(event) end
      end)
    end
    results(function(line)
      local result = json_line(line)
      if result then on_result(result) end
    end)
    if finished then break end
    dt.control.sleep(POLL_MS)
  end
  close_results()
  close_stages()
  local code = tonumber(read_all(run.status):match("%d+")) or 1
  return code, read_all(run.err)
end

-- The export module's format (its settings as the user left them), or JPEG when it is not one
-- Flickr takes or cannot be read.
local function export_format()
  local ok, name = pcall(dt.preferences.read, "darktable", "plugins/lighttable/export/format_name", "string")
  local made, format = pcall(dt.new_format, ok and name ~= "" and name or "jpeg")
  if not made or not format or not SUPPORTED_EXTENSIONS[string.lower(format.extension or "")] then
    format = dt.new_format("jpeg")
  end
  for _i, side in ipairs({ "width", "height" }) do
    local got, value = pcall(dt.preferences.read, "darktable", "plugins/lighttable/export/" .. side, "integer")
    if got and tonumber(value) and value > 0 then format["max_" .. side] = value end
  end
  return format
end

-- An earlier version of the same source carrying the same id: a duplicate (ctrl+d) copies its
-- source's tags, and would replace its source's photo. The earliest version keeps the id.
local function twin_with_id(image, photo_id)
  for _i, other in ipairs(image:get_group_members() or {}) do
    if other.id ~= image.id and other.path == image.path and other.filename == image.filename
      and (other.duplicate_index or 0) < (image.duplicate_index or 0) then
      local ids = photo_ids_from_tags(other)
      if #ids == 1 and ids[1] == photo_id then return other end
    end
  end
  return nil
end

local function failed(reason, words)
  return { status = "failed", error = { reason = reason, message = words } }
end

-- Exports each image into its own subfolder of `folder` (named as the source, so an upload's
-- title is the image's name); an entry per image as `prepare` makes it.
local function export_all(images, folder, job, cancelled)
  local format, entries = export_format(), {}
  for i, image in ipairs(images) do
    set_progress(job, EXPORT_SHARE * (i - 1) / #images, string.format(_("exporting %s (%d of %d)"), image_name(image), i, #images))
    local sub = folder .. "/" .. i
    local stem = image.filename:match("^(.*)%.[^.]*$") or image.filename
    local file = sub .. "/" .. stem .. "." .. format.extension
    local entry
    if cancelled() then
      entry = { image = image, name = image_name(image), result = failed("interrupted", "") }
      entry.result.status = "skipped"
    elseif os.execute("mkdir " .. sh_quote(sub)) and (format:write_image(image, file) or true) and read_all(file) ~= "" then
      entry = prepare(image, file)
    else
      entry = { image = image, name = image_name(image), result = failed(nil,
        _("darktable could not export it: check free space in darktable's temporary folder")) }
    end
    local twin = entry.photo_id and not entry.result and twin_with_id(image, entry.photo_id)
    if twin then
      entry.result = failed("duplicate_version", string.format(_(REASON_WORDS.duplicate_version), entry.photo_id, image_name(twin)))
    end
    entries[#entries + 1] = entry
  end
  return entries
end

local function remove_tree(folder)
  if folder and folder:find("/flickr%-replace%.[^/]*$") then os.execute("rm -rf " .. sh_quote(folder)) end
end

-- How far one image is once it reached a stage of the tool's stream, and the words for it (%s:
-- the image's name); nil for a stage this version does not know.
local function stage_progress(event)
  local stage = event.stage
  if stage == "checking" then return 0.05, _("checking %s")
  elseif stage == "sending" then
    local size = tonumber(event.size) or 0
    local part = size > 0 and (tonumber(event.sent) or 0) / size or 0
    return 0.1 + 0.6 * part, string.format(_("sending %%s: %s of %s MB"), megabytes(event.sent), megabytes(size))
  elseif stage == "processing" then return 0.75, _("Flickr is processing %s")
  elseif stage == "metadata" then return 0.9, _("bringing title, tags, date and place of %s to Flickr")
  end
  return nil
end

-- The job's bar over the tool's part of a batch: each image's share only grows (a retried upload
-- starts its bytes again, the bar does not go back). Returns bar(path, share, words).
local function batch_bar(job, todo)
  local shares, index = {}, {}
  for i, entry in ipairs(todo) do shares[i], index[entry.file] = 0, i end
  return function(path, share, words)
    local i = index[path]
    if not i then return end
    shares[i] = math.max(shares[i], share)
    local sum = 0
    for _j, value in ipairs(shares) do sum = sum + value end
    set_progress(job, EXPORT_SHARE + (1 - EXPORT_SHARE) * sum / #todo,
      string.format(_("%s (%d of %d)"), string.format(words, todo[i].name), i, #todo))
  end
end

-- One batch of the tool over exports of `images`: `command(entries, progress_file)` gives its
-- args and the entries it covers; returns the per-image outcomes. `title` names the job.
local function run_exported(images, title, command, after)
  if state.running then
    report(_("Flickr: a batch is still running; wait for it or cancel it"))
    return {}
  end
  local executable = find_executable()
  if not executable then
    report(NOT_FOUND)
    return {}
  end
  local folder = new_private_folder(dt.configuration.tmp_dir)
  if not folder then
    report(_("Flickr: darktable's temporary folder is not writable: check its free space"))
    return {}
  end
  state.running = true
  local run, was_cancelled = nil, false
  state.cancel = function()
    was_cancelled = true
    if run then interrupt(run) end
  end
  local job = start_job(title, state.cancel)
  local ok, results = pcall(function()
    local entries = export_all(images, folder, job, function() return was_cancelled end)
    local args, todo = command(entries, folder .. "/progress.jsonl")
    if #todo > 0 and not was_cancelled then
      local by_path, bar = {}, batch_bar(job, todo)
      set_progress(job, EXPORT_SHARE, string.format(_("sending %d images to Flickr"), #todo))
      run = spawn(executable, args, folder)
      if was_cancelled then interrupt(run) end
      local code, err = follow(run, function(result)
        by_path[result.path] = result
        bar(result.path, 1, "%s: " .. _(result.status or "?"))
      end, function(event)
        local share, words = stage_progress(event)
        if share then bar(event.path, share, words) end
      end)
      after(todo, by_path, code, err)
    end
    for _i, entry in ipairs(entries) do
      if not entry.result then entry.result = failed("interrupted", "") entry.result.status = "skipped" end
    end
    local out = {}
    for _i, entry in ipairs(entries) do out[#out + 1] = outcome_of(entry) end
    return out
  end)
  remove_tree(folder)
  state.running, state.cancel = false, nil
  if job.valid then job.valid = false end
  if not ok then error(results, 0) end
  if was_cancelled then
    if ui.status then ui.status.label = _("cancelled: what was sent finishes, or stays pending and is finished next time") end
  elseif ui.status then
    ui.status.label = ""
  end
  return results
end

local function selected_or(images)
  if images and #images > 0 then return images end
  return dt.gui.action_images or dt.gui.selection() or {}
end

local actions = {}

-- Stops the running batch as the job's cancel button does: what has not been sent is not sent.
function actions.cancel()
  if state.cancel then state.cancel() end
end

function actions.replace(images)
  images = selected_or(images)
  local options = { upload_missing = ui.upload_missing and ui.upload_missing.value or upload_missing(),
                    privacy = module_privacy() }
  local no_metadata
  local results = run_exported(images, string.format(_("Flickr: replacing %d images"), #images),
    function(entries, progress_file)
      local args, todo, _notes = batch_command(entries, options)
      table.insert(args, 2, "--progress-json=" .. progress_file)
      return args, todo
    end,
    function(todo, by_path, code, err)
      take_results(todo, by_path, code, err)
      record_sent(sent_images(todo))
      no_metadata = metadata_left_out(todo)
    end)
  show_results(_("last replace:"), results, no_metadata)
  return results
end

-- The tool on photo ids, not files (undo): one line per photo id, each mapped back to its images.
local function run_on_ids(images, args_for, title)
  local results, by_id, ids = {}, {}, {}
  for _i, image in ipairs(images) do
    local found = photo_ids_from_tags(image)
    if #found ~= 1 then
      results[#results + 1] = outcome(image, "skipped", "no_id", _(REASON_WORDS.no_id))
    else
      if not by_id[found[1]] then ids[#ids + 1] = found[1] end
      by_id[found[1]] = by_id[found[1]] or {}
      table.insert(by_id[found[1]], image)
    end
  end
  local executable = find_executable()
  if #ids > 0 and not executable then report(NOT_FOUND) return results end
  if #ids > 0 then
    local job = start_job(title, function() end)
    set_progress(job, 0.1, title)
    local out, code, err = run_flickr_replace(executable, args_for(ids))
    job.valid = false
    local seen = {}
    for line in out:gmatch("[^\r\n]+") do
      local result = json_line(line)
      local id = result and (result.photo_id or result.path)
      for _i, image in ipairs(by_id[id] or {}) do
        seen[id] = true
        local r = outcome_of({ image = image, result = result, photo_id = id })
        results[#results + 1] = r
      end
    end
    for _i, id in ipairs(ids) do
      if not seen[id] then
        for _j, image in ipairs(by_id[id]) do
          results[#results + 1] = outcome(image, "failed", nil, string.format(_("flickr-replace exited with %d: %s"),
            code, last_line(err) or _("no output")), id)
        end
      end
    end
  end
  return results
end

function actions.undo(images)
  local results = run_on_ids(selected_or(images), function(ids)
    local args = { "undo", "--json" }
    for _i, id in ipairs(ids) do args[#args + 1] = id end
    return args
  end, _("Flickr: putting back the earlier versions"))
  show_results(_("last undo:"), results)
  return results
end

function actions.link(images)
  local todo, results = {}, {}
  for _i, image in ipairs(selected_or(images)) do
    if #photo_ids_from_tags(image) > 0 then
      results[#results + 1] = outcome(image, "already", nil, string.format(_("photo %s"), photo_ids_from_tags(image)[1]))
    else
      todo[#todo + 1] = image
    end
  end
  if #todo > 0 then
    local linked = run_exported(todo, string.format(_("Flickr: finding %d images on Flickr"), #todo),
      function(entries)
        local args, covered = { "link", "--json" }, {}
        for _i, entry in ipairs(entries) do
          if not entry.result then covered[#covered + 1] = entry args[#args + 1] = entry.file end
        end
        return args, covered
      end,
      function(covered, by_path, code, err)
        for _i, entry in ipairs(covered) do
          local r = by_path[entry.file]
          if r and r.status == "linked" and type(r.photo_id) == "string" then
            dt.tags.attach(dt.tags.create("flickr:photo_id=" .. r.photo_id), entry.image)
            entry.result = { status = "linked", photo_id = r.photo_id }
          elseif r then
            local words = r.status == "ambiguous" and _("more than one photo on Flickr could be it: tag it flickr:photo_id=N by hand")
              or r.status == "unmatched" and _("no photo on Flickr matches it") or plain_words(r)
            entry.result = { status = r.status or "failed", error = { message = words } }
          else
            entry.result = failed(nil, string.format(_("flickr-replace exited with %d: %s"), code, last_line(err) or _("no output")))
          end
        end
      end)
    for _i, r in ipairs(linked) do results[#results + 1] = r end
  end
  show_results(_("last link:"), results)
  return results
end

function actions.remove_id(images)
  local results = {}
  for _i, image in ipairs(selected_or(images)) do
    local removed = {}
    for _j, tag in ipairs(image:get_tags()) do
      local name = tag.name or ""
      if name:match("^flickr:photo_id=%d+$") or name:match("^flickr:id=%d+$") or name:match("^flickr|photo_id|%d+$")
        or name:match("^flickr|id|%d+$") then
        dt.tags.detach(tag, image)
        removed[#removed + 1] = name:match("(%d+)$")
      end
    end
    results[#results + 1] = outcome(image, #removed > 0 and "removed" or "skipped", nil,
      #removed > 0 and string.format(_("no longer linked to photo %s"), table.concat(removed, ", ")) or _("it had no Flickr id"))
  end
  show_results(_("last remove id:"), results)
  return results
end

-- Returns the images edited since they were last sent (and selects them), then their outcomes.
function actions.select_changed()
  local sent, changed, results = read_sent(), {}, {}
  for _i, image in ipairs(dt.database) do
    local mark = sent[image_key(image)]
    if mark and mark ~= fingerprint(image) then
      changed[#changed + 1] = image
      results[#results + 1] = outcome(image, "changed", nil, _("edited since it was last sent"))
    end
  end
  dt.gui.selection(changed)
  show_results(string.format(_("%d images changed since they were sent:"), #changed), results)
  return changed, results
end

function actions.open(image)
  image = image or selected_or(nil)[1]
  if not image then return {} end
  local ids = photo_ids_from_tags(image)
  if #ids ~= 1 then
    local results = { outcome(image, "skipped", "no_id", _(REASON_WORDS.no_id)) }
    show_results(_("open on Flickr:"), results)
    return results
  end
  local url = "https://www.flickr.com/photos/me/" .. ids[1]
  local opener = OPEN_COMMANDS[dt.configuration.running_os] or "xdg-open"
  os.execute(opener .. " " .. sh_quote(url) .. " >/dev/null 2>&1 &")
  return { outcome(image, "opened", nil, url, ids[1]) }
end

-- The widgets: buttons call the actions on the selected images; settings are kept as preferences.
local function button(label, tooltip, action)
  return dt.new_widget("button") { label = label, tooltip = tooltip, clicked_callback = function() action() end }
end

local function build_module()
  ui.upload_missing = dt.new_widget("check_button") {
    label = _("upload missing"), value = upload_missing(),
    tooltip = _("upload images that are not on Flickr yet as new photos, and tag them with their id"),
    clicked_callback = function(w) dt.preferences.write(MODULE, "upload_missing", "bool", w.value) end,
  }
  local privacy_index = 1
  for i, word in ipairs(PRIVACY_WORDS) do if word == module_privacy() then privacy_index = i end end
  ui.privacy = dt.new_widget("combobox") {
    label = _("privacy of uploads"), tooltip = _("who may see a photo uploaded as new"),
    selected = privacy_index, changed_callback = function(w)
      dt.preferences.write(MODULE, "privacy", "enum", PRIVACY_WORDS[w.selected] or "private")
    end,
    table.unpack(PRIVACY_WORDS),
  }
  ui.status = dt.new_widget("label") { label = "", halign = "start", ellipsize = "end" }
  ui.report = dt.new_widget("label") { label = _("select images, then replace them on Flickr"), halign = "start",
                                       selectable = true, ellipsize = "end" }
  ui.box = dt.new_widget("box") {
    orientation = "vertical",
    button(_("replace on Flickr"), _("export the selected images with the export module's format and replace their photos"),
      function() actions.replace() end),
    ui.upload_missing,
    ui.privacy,
    dt.new_widget("box") { orientation = "horizontal",
      button(_("open on Flickr"), _("show the selected image's photo in the browser"), function() actions.open() end),
      button(_("undo last replace"), _("put back each photo's version from before its last replace"), function() actions.undo() end) },
    dt.new_widget("box") { orientation = "horizontal",
      button(_("link"), _("find the photo on Flickr of each selected image without an id, and tag it"), function() actions.link() end),
      button(_("remove id"), _("forget the selected images' Flickr ids"), function() actions.remove_id() end) },
    button(_("select changed since sent"), _("select the images edited after their last replace or upload"),
      function() actions.select_changed() end),
    ui.status,
    ui.report,
  }
  return ui.box
end

local function register_gui()
  dt.register_storage(MODULE, _(LABEL), store, finalize, supported, initialize)
  dt.preferences.register(MODULE, "privacy", "enum", _("flickr-replace: privacy of uploads"),
    _("who may see a photo uploaded as new"), "private", table.unpack(PRIVACY_WORDS))
  dt.register_lib(MODULE, _("Flickr"), true, false,
    { [dt.gui.views.lighttable] = { "DT_UI_CONTAINER_PANEL_RIGHT_CENTER", 100 } }, build_module(), nil, nil)
  dt.register_event(MODULE, "shortcut", function() actions.replace() end, _("Flickr: replace selected images"))
  script_data.destroy = function()
    dt.destroy_storage(MODULE)
    dt.destroy_event(MODULE, "shortcut")
    dt.gui.libs[MODULE].visible = false
  end
  script_data.destroy_method = "hide"
  script_data.restart = function() dt.gui.libs[MODULE].visible = true end
  script_data.show = script_data.restart
end

if dt.configuration.has_gui then
  register_gui()
else
  dt.register_event(MODULE, "intermediate-export-image", on_intermediate_export)
  script_data.destroy = function() dt.destroy_event(MODULE, "intermediate-export-image") end
end
script_data.actions = actions

return script_data
