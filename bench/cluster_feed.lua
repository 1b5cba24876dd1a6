-- wrk script: the feed (20 items) of each tenant in tokens.txt ("slug token" per line), in turn,
-- so a cluster run spreads the load over the store nodes exactly as the single-node run does.
local entries = {}
for line in io.lines(os.getenv("SAMVERKA_TOKENS")) do
  local slug, token = line:match("^(%S+)%s+(%S+)$")
  if slug then entries[#entries + 1] = { slug = slug, token = token } end
end
local i = 0
request = function()
  i = i % #entries + 1
  local e = entries[i]
  return wrk.format("GET", "/t/" .. e.slug .. "/api/v1/news?limit=20",
                    { ["Authorization"] = "Bearer " .. e.token })
end
