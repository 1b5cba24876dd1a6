-- wrk script: authenticated GET of one path (the token comes from the environment).
local token = os.getenv("SAMVERKA_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
