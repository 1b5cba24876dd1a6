-- wrk script: each request goes to the next tenant in tokens.txt ("slug token" per line),
-- so every tenant store is touched in turn and the pool's LRU bound is exercised.
local entries = {}
for line in io.lines(os.getenv("SAMVERKA_TOKENS")) do
  local slug, token = line:match("^(%S+)%s+(%S+)$")
  if slug then entries[#entries + 1] = { slug = slug, token = token } end
end
local i = 0
request = function()
  i = i % #entries + 1
  local e = entries[i]
  return wrk.format("GET", "/t/" .. e.slug .. "/api/v1/news?limit=5", { ["Authorization"] = "Bearer " .. e.token })
end
