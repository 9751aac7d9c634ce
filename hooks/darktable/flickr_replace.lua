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
    whole export is one run of flickr-replace (its tickets polled together), and at the end one
    summary counts replaced / uploaded / pending / skipped / failed and names each image that
    was not replaced, and why
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

-- Runs flickr-replace once for every entry not yet decided, and reads each file's JSON result
-- back. A single image gets --original (its source image) and, when tagged, --photo-id. In a
-- batch of several, each export gets a note NAME.EXT.flickr.json beside it naming its source
-- image as `original` (read as that file's --original: the ids in the source's own sidecars are
-- found, a new photo's id is recorded next to the source, the journal names the source) and,
-- when tagged, its `photo_id`. In the GUI the exports and notes are in a folder of this batch's
-- own, so nothing an earlier export left in darktable's temporary folder is read.
local function run_batch(executable, entries)
  local args = { "replace", "--json", "--" .. upload_mode() }
  if upload_missing() then args[#args + 1] = "--upload-missing" end
  local todo, sidecars = {}, {}
  for _i, entry in ipairs(entries) do
    if not entry.result then todo[#todo + 1] = entry end
  end
  if #todo == 0 then return end
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

  local out, code, err = run_flickr_replace(executable, args)
  for _i, sidecar in ipairs(sidecars) do os.remove(sidecar) end
  local by_path = {}
  for line in out:gmatch("[^\r\n]+") do
    if line:sub(1, 1) == "{" then
      local result = json_decode(line)
      if type(result) == "table" and type(result.path) == "string" then by_path[result.path] = result end
    end
  end
  for _i, entry in ipairs(todo) do
    entry.result = by_path[entry.file] or { status = "failed", error = { message = string.format(
      _("flickr-replace exited with %d: %s"), code, last_line(err) or _("no output")) } }
    remember_upload(entry)
  end
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

local function finalize(storage, image_table, extra_data)
  if extra_data.error then
    report(extra_data.error)
    return
  end
  dt.print(string.format(_("Flickr: sending %d images"), #extra_data.entries))
  local ok, err = pcall(run_batch, extra_data.executable, extra_data.entries)
  remove_batch_files(extra_data)
  if not ok then error(err, 0) end
  for _i, entry in ipairs(extra_data.entries) do dt.print_log(describe(entry)) end
  report(summary(extra_data.entries))
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

if dt.configuration.has_gui then
  dt.register_storage(MODULE, _(LABEL), store, finalize, supported, initialize)
  script_data.destroy = function() dt.destroy_storage(MODULE) end
else
  dt.register_event(MODULE, "intermediate-export-image", on_intermediate_export)
  script_data.destroy = function() dt.destroy_event(MODULE, "intermediate-export-image") end
end

return script_data
