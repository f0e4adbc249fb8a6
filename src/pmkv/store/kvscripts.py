"""Lua scripts (run with EVAL through the REST API) that keep KV updates atomic.

List keys hold JSON arrays of strings, as the app reads them. The scripts decode them
with ``cjson`` but never re-encode with it (cjson writes ``/`` as ``\\/`` and reorders
nothing we could rely on); they build the array text themselves, byte-identical to
``JSON.stringify`` of an array of strings. Records are replaced only by compare-and-set
on their exact current text, so no script ever re-encodes a record.
"""

from __future__ import annotations

# Shared helpers: JSON text of an array of strings, exactly as JSON.stringify writes it.
_PRELUDE = r"""
local function esc(c)
  if c == '"' then return '\\"' end
  if c == '\\' then return '\\\\' end
  if c == '\b' then return '\\b' end
  if c == '\f' then return '\\f' end
  if c == '\n' then return '\\n' end
  if c == '\r' then return '\\r' end
  if c == '\t' then return '\\t' end
  local b = string.byte(c)
  if b == 127 then return c end
  return string.format('\\u%04x', b)
end
local function encode(list)
  local parts = {}
  for i, s in ipairs(list) do
    parts[i] = '"' .. string.gsub(s, '[%c"\\]', esc) .. '"'
  end
  return '[' .. table.concat(parts, ',') .. ']'
end
local function decode(key)
  local raw = redis.call('GET', key)
  if not raw then return {} end
  local ok, list = pcall(cjson.decode, raw)
  if not ok or type(list) ~= 'table' then
    return redis.error_reply('pmkv: ' .. key .. ' does not hold a JSON array')
  end
  local n = 0
  for k, v in pairs(list) do
    if type(k) ~= 'number' or type(v) ~= 'string' then
      return redis.error_reply('pmkv: ' .. key .. ' is not a JSON array of strings')
    end
    n = n + 1
  end
  if n ~= #list then
    return redis.error_reply('pmkv: ' .. key .. ' is not a JSON array of strings')
  end
  return list
end
local function index_of(list, member)
  for i, v in ipairs(list) do
    if v == member then return i end
  end
  return nil
end
local function list_add(key, member)
  local list = decode(key)
  if list.err then return list end
  if index_of(list, member) then return 0 end
  list[#list + 1] = member
  redis.call('SET', key, encode(list))
  return 1
end
local function list_remove(key, member)
  local list = decode(key)
  if list.err then return list end
  local kept, found = {}, 0
  for _, v in ipairs(list) do
    if v == member then found = 1 else kept[#kept + 1] = v end
  end
  if found == 1 then redis.call('SET', key, encode(kept)) end
  return found
end
"""

# KEYS[1] list; ARGV[1] member -> 1 added, 0 already there.
LIST_ADD = _PRELUDE + "return list_add(KEYS[1], ARGV[1])"

# KEYS[1] list; ARGV[1] member -> 1 removed, 0 absent.
LIST_REMOVE = _PRELUDE + "return list_remove(KEYS[1], ARGV[1])"

# KEYS[1] list -> the array re-encoded by `encode` (tests compare it with to_js_json).
LIST_ECHO = (
    _PRELUDE
    + """
local list = decode(KEYS[1])
if list.err then return list end
return encode(list)
"""
)

# KEYS = n keys; ARGV = expected_1, new_1, ..., expected_n, new_n.
# Sets each key whose current text equals its expected text; returns 1/0 per key.
CAS = """
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[2 * i - 1] then
    redis.call('SET', key, ARGV[2 * i])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""

# KEYS[1] story, KEYS[2] stories list, KEYS[3] epic; ARGV[1] story text, ARGV[2] id,
# ARGV[3] "nx" to write only when the id is free. -1 epic missing, 0 not written ("nx"
# and taken) or replaced an existing story, 1 a new story written and listed.
WRITE_STORY = (
    _PRELUDE
    + """
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local existed = redis.call('EXISTS', KEYS[1])
if existed == 1 and ARGV[3] == 'nx' then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if existed == 1 then return 0 end
local added = list_add(KEYS[2], ARGV[2])
if type(added) == 'table' then return added end
return 1
"""
)

# KEYS[1] story, KEYS[2] stories list, KEYS[3] epic; ARGV[1] story text, ARGV[2] id,
# ARGV[3] the epic text the caller read, ARGV[4] that epic with the id in storyIds.
# -1 epic missing, 0 id taken, 1 created and listed (epic changed since it was read:
# the caller appends to storyIds itself), 2 created, listed and added to storyIds.
# The same script creates an epic: KEYS epic / epics list / project, ARGV epic text,
# name, the project text read and that project with the name in epicIds.
CREATE_STORY = (
    _PRELUDE
    + """
local epic = redis.call('GET', KEYS[3])
if not epic then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
local added = list_add(KEYS[2], ARGV[2])
if type(added) == 'table' then return added end
if epic ~= ARGV[3] then return 1 end
redis.call('SET', KEYS[3], ARGV[4])
return 2
"""
)

# KEYS[1] a new record, KEYS[2] its list; ARGV[1] its text, ARGV[2] its name.
# 0 the key exists (nothing written), 1 written and listed.
CREATE_LISTED = (
    _PRELUDE
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
local added = list_add(KEYS[2], ARGV[2])
if type(added) == 'table' then return added end
return 1
"""
)

# KEYS[1] the stories list, KEYS[2..] its story keys as the caller last saw the list;
# ARGV[1] that list's text, ARGV[2..] the ids. When the list still has that text:
# {1, active ids...} (records that exist and are not deleted); otherwise {0, current list
# text or ""} and the caller asks again with the new keys. Every key is declared, and a
# caller that remembers the list needs one round trip. The plain-text probe skips
# decoding records that cannot say "deleted": true.
ACTIVE_IDS = r"""
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return {0, current or ''} end
local out = {1}
for i = 2, #KEYS do
  local key = KEYS[i]
  local text = redis.call('GET', key)
  if text then
    local active = true
    if string.find(text, '"deleted"%s*:%s*true') then
      local ok, record = pcall(cjson.decode, text)
      if not ok then return redis.error_reply('pmkv: ' .. key .. ' is not valid JSON') end
      active = type(record) ~= 'table' or record['deleted'] ~= true
    end
    if active then out[#out + 1] = ARGV[i] end
  end
end
return out
"""

# KEYS = story keys; ARGV[1] "1" to count archived stories, ARGV[1 + i] the epic of
# KEYS[i]. Returns the analytics (queries.analytics, same rules) as JSON text, so only
# the aggregates cross the network. Numbers are doubles in Lua: a point value counts
# when it is integral and within +-2^53, as it would be an int after parse_json.
ANALYTICS = """
local function bucket(t, key, name, default)
  local v = t[name]
  if type(v) ~= 'string' then v = default end
  return v
end
local function add(b, key, points)
  b.count[key] = (b.count[key] or 0) + 1
  b.points[key] = (b.points[key] or 0) + points
end
local function breakdown() return {count = {}, points = {}} end
local r = {stories = 0, points = 0, by_status = breakdown(), by_priority = breakdown(),
           by_epic = breakdown(), by_manager = breakdown()}
for i, key in ipairs(KEYS) do
  local text = redis.call('GET', key)
  if text then
    local ok, s = pcall(cjson.decode, text)
    if not ok then return redis.error_reply('pmkv: ' .. key .. ' is not valid JSON') end
    if type(s) == 'table' and s['deleted'] ~= true
        and (ARGV[1] == '1' or s['archived'] ~= true) then
      local points = 0
      local e = s['estimate']
      if type(e) == 'table' then
        local p = e['storyPoints']
        if type(p) == 'number' and p == math.floor(p) and math.abs(p) <= 9007199254740992 then
          points = p
        end
      end
      r.stories = r.stories + 1
      r.points = r.points + points
      add(r.by_status, bucket(s, key, 'status', 'todo'), points)
      add(r.by_priority, bucket(s, key, 'priority', 'medium'), points)
      add(r.by_epic, ARGV[i + 1], points)
      add(r.by_manager, bucket(s, key, 'manager', 'unassigned'), points)
    end
  end
end
return cjson.encode(r)
"""

# KEYS = story keys; ARGV[1] = the query as JSON (queries.StoryQuery fields). Returns a
# flat array i1, text1, i2, text2, ... of the stories that MAY match: a superset that the
# caller filters exactly with queries.matches. Structured filters are exact; text and tag
# (case-insensitive in Python, with Unicode case folding) are judged here only when both
# sides are ASCII, where folding is plain lower-casing -- anything else is kept.
SEARCH_CANDIDATES = r"""
local q = cjson.decode(ARGV[1])
local function set_of(list)
  if type(list) ~= 'table' then return nil end
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local status, priority, manager = set_of(q.status), set_of(q.priority), set_of(q.manager)
local function ascii(s) return not string.find(s, '[\128-\255]') end
local function field_ok(s, name, default, set)
  if set == nil then return true end
  local v = s[name]
  if v == nil then v = default end
  return type(v) == 'string' and set[v] == true
end
local function has(hay, needle)
  if not ascii(hay) then return true end
  return string.find(string.lower(hay), needle, 1, true) ~= nil
end
local text = nil
if type(q.text) == 'string' and q.text ~= '' and ascii(q.text) then
  text = string.lower(q.text)
end
local tag = (type(q.tag) == 'string' and ascii(q.tag)) and string.lower(q.tag) or nil
local function text_hit(s)
  for _, name in ipairs({'id', 'title', 'summary', 'description'}) do
    local v = s[name]
    if type(v) == 'string' and has(v, text) then return true end
  end
  for _, name in ipairs({'tags', 'acceptanceCriteria'}) do
    local items = s[name]
    if type(items) == 'table' then
      for _, v in ipairs(items) do
        if type(v) == 'string' and has(v, text) then return true end
      end
    end
  end
  return false
end
local function tag_hit(s)
  local tags = s.tags
  if type(tags) ~= 'table' then return false end
  for _, t in ipairs(tags) do
    if type(t) == 'string' and (not ascii(t) or string.lower(t) == tag) then return true end
  end
  return false
end
local out = {}
for i, key in ipairs(KEYS) do
  local raw = redis.call('GET', key)
  if raw then
    local ok, s = pcall(cjson.decode, raw)
    local keep = true
    if ok and type(s) == 'table' then
      if s.deleted == true and q.include_deleted ~= true then keep = false end
      if keep and type(q.archived) == 'boolean' and ((s.archived == true) ~= q.archived) then
        keep = false
      end
      keep = keep and field_ok(s, 'status', 'todo', status)
        and field_ok(s, 'priority', 'medium', priority)
        and field_ok(s, 'manager', 'unassigned', manager)
      if keep and tag then keep = tag_hit(s) end
      if keep and text then keep = text_hit(s) end
    end
    if keep then
      out[#out + 1] = i
      out[#out + 1] = raw
    end
  end
end
return out
"""

# KEYS[1] old story, KEYS[2] old list, KEYS[3] new story, KEYS[4] new list;
# ARGV[1] new story text, ARGV[2] id. 1 moved, 0 target id taken, -2 source missing.
MOVE_STORY = (
    _PRELUDE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1])
local r = list_remove(KEYS[2], ARGV[2])
if type(r) == 'table' then return r end
r = list_add(KEYS[4], ARGV[2])
if type(r) == 'table' then return r end
return 1
"""
)
