-- wrk script: GET /search with a rotation of realistic queries (words, inflections, names,
-- type filters and type-ahead prefixes) on the Jönköping-scale tenant. Token: -H Authorization.
local queries = {
  "q=f%C3%B6rvaltningar",                     -- förvaltningar (stemmed)
  "q=tj%C3%A4nsteresa",                       -- tjänsteresa
  "q=semester&type=page",
  "q=budget+uppf%C3%B6ljning",
  "q=anna&type=person",
  "q=johansson",
  "q=f%C3%B6rv&prefix=1",                     -- type-ahead
  "q=upphandling&type=document",
  "q=diarienummer+2024",
  "q=hemtj%C3%A4nst",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/t/jonkoping/api/v1/search?" .. queries[(i % #queries) + 1])
end
