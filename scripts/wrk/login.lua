-- POST /api/token/ with the quickstart's demo user (one argon2 hash per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username": "demo", "password": "demo-password"}'
