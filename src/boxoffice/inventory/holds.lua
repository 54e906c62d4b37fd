-- boxoffice hold store: every key of a show shares the hash tag {s:<show>} so one script
-- touches one slot. Seat values in <p>st: "0" available, "B" blocked, "S" sold,
-- "H<hold_id>" held while <p>exp scores that hold in the future.
-- Holds live in <p>h:<hold_id> (fields user, seats, ga, n (places), sp and gp (the prices
-- quoted when the seats were held, aligned with seats and ga), booking, state, expires).
-- <p>u:<user> scores the user's holds, live or being paid for, by expiry, and <p>uc:<user>
-- counts their places; <p>ub:<user> counts the places sold to them (for the waiting room's
-- limit per customer); <p>r:<booking> marks a booking whose hold and sale were released (so a
-- repeated release changes nothing). With a waiting room, a hold keeps the entry of the pass
-- it was made with (field pass), and <p>spent lists the passes whose booking was sold; meta
-- counts sold bookings (sold_n) and, while the room is open, holds granted (held_n) and
-- refused for want of places (refused_n): the admission job's measurements.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function split(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for item in string.gmatch(s, '[^,]+') do out[#out + 1] = item end
  return out
end

local function pairs_of(csv)
  local out = {}
  for _, pair in ipairs(split(csv)) do
    local area, qty = string.match(pair, '([^:]+):([^:]+)')
    out[#out + 1] = {area, tonumber(qty)}
  end
  return out
end

-- General-admission areas whose held-or-sold count this call changed: announced with the seats.
local touched = {}

local function add_places(p, area, qty)
  redis.call('HINCRBY', p .. 'gau', area, qty)
  touched[area] = true
end

-- A hold no longer counts towards its user's places (sold, released or expired).
local function uncount(p, user, hold_id, n)
  if redis.call('ZREM', p .. 'u:' .. user, hold_id) == 1 then
    redis.call('DECRBY', p .. 'uc:' .. user, tonumber(n or '1'))
  end
end

-- Release one hold, held or sold, with its seats and GA places; returns the freed seat ids.
local function free_hold(p, hold_id)
  local hk = p .. 'h:' .. hold_id
  local h = redis.call('HMGET', hk, 'seats', 'ga', 'state', 'user', 'n')
  local freed = {}
  if h[4] then uncount(p, h[4], hold_id, h[5]) end
  redis.call('ZREM', p .. 'exp', hold_id)
  if not h[3] then return freed end
  local marker = h[3] == 'sold' and 'S' or ('H' .. hold_id)
  for _, seat in ipairs(split(h[1])) do
    if redis.call('HGET', p .. 'st', seat) == marker then
      redis.call('HSET', p .. 'st', seat, '0')
      freed[#freed + 1] = seat
    end
  end
  for _, g in ipairs(pairs_of(h[2])) do add_places(p, g[1], -g[2]) end
  redis.call('DEL', hk)
  return freed
end

local function announce(p, show, kind, seats, ver)
  local msg = {show = show, state = kind}
  if #seats > 0 then msg.seats = seats end
  if next(touched) then
    -- What each touched area has left, as the seat map counts it (capacity - held - sold).
    local left = {}
    for area in pairs(touched) do
      local cap = tonumber(redis.call('HGET', p .. 'gac', area) or '0')
      left[area] = math.max(0, cap - tonumber(redis.call('HGET', p .. 'gau', area) or '0'))
    end
    msg.ga = left
  end
  -- cjson writes an empty table as {} and numbers with 14 significant digits
  -- (1.7953190586575e+15): the empty seat list and the version go in as written text.
  local body = string.sub(cjson.encode(msg), 1, -2)
  if #seats == 0 then body = body .. ',"seats":[]' end
  redis.call('PUBLISH', 'seats:' .. show, body .. ',"version":' .. string.format('%d', ver) .. '}')
end

local function changed(p, show, kind, seats)
  local ver = redis.call('HINCRBY', p .. 'meta', 'ver', 1)
  if #seats > 0 or next(touched) then announce(p, show, kind, seats, ver) end
  touched = {}
  return ver
end

-- Purge holds whose time is up (at most `limit`); returns freed seat ids.
local function purge(p, now, limit)
  local expired = redis.call('ZRANGE', p .. 'exp', '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  local freed = {}
  for _, hold_id in ipairs(expired) do
    for _, seat in ipairs(free_hold(p, hold_id)) do freed[#freed + 1] = seat end
  end
  return freed, #expired
end

-- Places a user has in live holds and holds being paid for: the counter, less the holds whose
-- time ran out (few at a time: each is taken off once).
local function places_of(p, user, now)
  local key = p .. 'u:' .. user
  for _, hold_id in ipairs(redis.call('ZRANGE', key, '-inf', now, 'BYSCORE')) do
    uncount(p, user, hold_id, redis.call('HGET', p .. 'h:' .. hold_id, 'n'))
  end
  return math.max(0, tonumber(redis.call('GET', p .. 'uc:' .. user) or '0'))
end

-- Both user keys live at least until `expires` (the user's latest hold).
local function keep_user_keys(p, user, now, expires)
  local left = redis.call('PTTL', p .. 'uc:' .. user)
  if left < 0 or now + left < expires then
    redis.call('PEXPIREAT', p .. 'u:' .. user, expires)
    redis.call('PEXPIREAT', p .. 'uc:' .. user, expires)
  end
end

local op = ARGV[1]
local p = ARGV[2]      -- key prefix "{s:<show>}:"
local show = ARGV[3]
local now = now_ms()

if op == 'hold' then
  -- ARGV: 4 hold_id, 5 user, 6 ttl_ms, 7 seat csv, 8 ga csv (area:qty), 9 idem key or '',
  --       10 request fingerprint (for the idempotency key), 11 places one customer may have
  --       in live holds and pending bookings, 12 seat prices csv, 13 GA unit prices csv,
  --       14 '1' if the customer showed a valid pass of the show's waiting room, 15 the pass's
  --       queue entry or ''
  local meta = redis.call('HMGET', p .. 'meta', 'loaded', 'status', 'sales_start', 'sales_end', 'max',
    'room', 'room_max')
  if meta[1] ~= '1' then return {'unloaded'} end
  if meta[2] ~= 'published' then return {'closed', meta[2]} end
  if now < tonumber(meta[3]) or now > tonumber(meta[4]) then return {'not_on_sale', meta[3], meta[4]} end
  local room_on = meta[6] and meta[6] ~= '' and now >= tonumber(meta[6])
  local pass_entry = ARGV[15] or ''
  if room_on then
    if ARGV[14] ~= '1' then return {'admission'} end
    if pass_entry ~= '' and redis.call('SISMEMBER', p .. 'spent', pass_entry) == 1 then
      return {'pass_spent'}
    end
  end
  if ARGV[9] ~= '' then
    local previous = redis.call('GET', ARGV[9])
    if previous then
      local hold_id, fingerprint = string.match(previous, '([^|]+)|(.*)')
      if fingerprint ~= ARGV[10] then return {'key_reused'} end
      return {'repeat', hold_id}
    end
  end
  local seats = split(ARGV[7])
  local ga = pairs_of(ARGV[8])
  local count = #seats
  for _, g in ipairs(ga) do count = count + g[2] end
  if count > tonumber(meta[5]) then return {'too_many', meta[5]} end
  local freed = purge(p, now, 50)
  if #freed > 0 or next(touched) then changed(p, show, 'available', freed) end
  local unknown, taken = {}, {}
  for _, seat in ipairs(seats) do
    local v = redis.call('HGET', p .. 'st', seat)
    if not v then
      unknown[#unknown + 1] = seat
    elseif v ~= '0' then
      local live = true
      if string.sub(v, 1, 1) == 'H' then
        local score = redis.call('ZSCORE', p .. 'exp', string.sub(v, 2))
        live = score and tonumber(score) > now
      end
      if live then taken[#taken + 1] = seat end
    end
  end
  if #unknown > 0 then return {'unknown', table.concat(unknown, ',')} end
  if #taken > 0 then
    if room_on then redis.call('HINCRBY', p .. 'meta', 'refused_n', 1) end
    return {'taken', table.concat(taken, ',')}
  end
  for _, g in ipairs(ga) do
    local cap = redis.call('HGET', p .. 'gac', g[1])
    if not cap then return {'unknown_area', g[1]} end
    local used = tonumber(redis.call('HGET', p .. 'gau', g[1]) or '0')
    if used + g[2] > tonumber(cap) then
      if room_on then redis.call('HINCRBY', p .. 'meta', 'refused_n', 1) end
      return {'ga_full', g[1], tostring(tonumber(cap) - used)}
    end
  end
  -- Last, as the costliest checks that refuse least often (most refusals in an on-sale are
  -- seats taken).
  local held = places_of(p, ARGV[5], now)
  if held + count > tonumber(ARGV[11]) then
    return {'too_many_holds', ARGV[11]}
  end
  local room_max = tonumber(meta[7] or '0') or 0
  if room_max > 0 then
    -- The on-sale's limit: places held, awaiting payment and bought, together.
    local have = held + math.max(0, tonumber(redis.call('GET', p .. 'ub:' .. ARGV[5]) or '0'))
    if have + count > room_max then return {'ticket_limit', tostring(room_max), tostring(have)} end
  end
  local hold_id = ARGV[4]
  local marker = 'H' .. hold_id
  local expires = now + tonumber(ARGV[6])
  for _, seat in ipairs(seats) do redis.call('HSET', p .. 'st', seat, marker) end
  for _, g in ipairs(ga) do add_places(p, g[1], g[2]) end
  local hk = p .. 'h:' .. hold_id
  redis.call('HSET', hk, 'user', ARGV[5], 'seats', ARGV[7], 'ga', ARGV[8], 'n', count,
    'sp', ARGV[12], 'gp', ARGV[13], 'state', 'held', 'expires', expires, 'created', now)
  if pass_entry ~= '' then redis.call('HSET', hk, 'pass', pass_entry) end
  if room_on then redis.call('HINCRBY', p .. 'meta', 'held_n', 1) end
  redis.call('PEXPIREAT', hk, expires + 86400000)
  redis.call('ZADD', p .. 'exp', expires, hold_id)
  redis.call('ZADD', p .. 'u:' .. ARGV[5], expires, hold_id)
  redis.call('INCRBY', p .. 'uc:' .. ARGV[5], count)
  keep_user_keys(p, ARGV[5], now, expires)
  if ARGV[9] ~= '' then redis.call('SET', ARGV[9], hold_id .. '|' .. ARGV[10], 'PX', ARGV[6]) end
  local ver = changed(p, show, 'held', seats)
  return {'ok', tostring(expires), tostring(ver)}

elseif op == 'release' then
  -- ARGV: 4 hold_id, 5 user ('' = anyone, for the saga)
  local hk = p .. 'h:' .. ARGV[4]
  local h = redis.call('HMGET', hk, 'user', 'state', 'booking')
  if not h[1] then return {'missing'} end
  if ARGV[5] ~= '' and h[1] ~= ARGV[5] then return {'not_yours'} end
  if h[2] == 'sold' then return {'sold'} end
  local freed = free_hold(p, ARGV[4])
  changed(p, show, 'available', freed)
  return {'ok', tostring(#freed)}

elseif op == 'attach' then
  -- Tie a live hold to a booking and extend it: ARGV 4 hold_id, 5 user, 6 booking, 7 extend_ms.
  -- The hold keeps counting towards its user's places until it is sold or released. No booking
  -- starts once the show is not on sale (a payment already under way may still complete).
  local meta = redis.call('HMGET', p .. 'meta', 'status', 'sales_start', 'sales_end')
  if meta[1] and meta[1] ~= 'published' then return {'closed', meta[1]} end
  if meta[3] and now > tonumber(meta[3]) then return {'not_on_sale', meta[2], meta[3]} end
  local hk = p .. 'h:' .. ARGV[4]
  local h = redis.call('HMGET', hk, 'user', 'state', 'booking', 'expires')
  if not h[1] then return {'missing'} end
  if h[1] ~= ARGV[5] then return {'not_yours'} end
  if h[3] and h[3] ~= ARGV[6] then return {'attached', h[3]} end
  if h[2] == 'sold' then return {'sold'} end
  if tonumber(h[4]) <= now then return {'expired'} end
  local expires = math.max(tonumber(h[4]), now + tonumber(ARGV[7]))
  redis.call('HSET', hk, 'booking', ARGV[6], 'expires', expires)
  -- XX: a hold that stopped counting (its first time ran out) does not count again
  redis.call('ZADD', p .. 'u:' .. h[1], 'XX', expires, ARGV[4])
  keep_user_keys(p, h[1], now, expires)
  redis.call('ZADD', p .. 'exp', expires, ARGV[4])
  redis.call('PEXPIREAT', hk, expires + 86400000)
  return {'ok', tostring(expires)}

elseif op == 'sell' then
  -- Turn a live hold of this booking into sold seats: ARGV 4 hold_id, 5 booking.
  -- Answers the hold's seats, GA places and customer, which PostgreSQL then records.
  local meta = redis.call('HMGET', p .. 'meta', 'status', 'sales_end')
  if meta[1] and meta[1] ~= 'published' then return {'closed', meta[1]} end
  if redis.call('EXISTS', p .. 'r:' .. ARGV[5]) == 1 then return {'released'} end
  local hk = p .. 'h:' .. ARGV[4]
  local h = redis.call('HMGET', hk, 'booking', 'state', 'expires', 'seats', 'user', 'ga', 'n', 'pass')
  if not h[1] then return {'missing'} end
  if h[1] ~= ARGV[5] then return {'attached', h[1]} end
  if h[2] == 'sold' then return {'ok', h[4], h[6], h[5]} end
  if tonumber(h[3]) <= now then return {'expired'} end
  local seats = split(h[4])
  for _, seat in ipairs(seats) do redis.call('HSET', p .. 'st', seat, 'S') end
  redis.call('HSET', hk, 'state', 'sold')
  redis.call('ZREM', p .. 'exp', ARGV[4])
  uncount(p, h[5], ARGV[4], h[7])
  local bought = p .. 'ub:' .. h[5]
  redis.call('INCRBY', bought, tonumber(h[7] or '1'))
  redis.call('PEXPIREAT', bought, tonumber(meta[2] or now) + 86400000)
  if h[8] and h[8] ~= '' then
    -- The pass admitted one booking session: it has bought, so it holds no more.
    redis.call('SADD', p .. 'spent', h[8])
    redis.call('PEXPIRE', p .. 'spent', 7200000)
  end
  redis.call('HINCRBY', p .. 'meta', 'sold_n', 1)
  changed(p, show, 'sold', seats)
  return {'ok', h[4], h[6], h[5]}

elseif op == 'release_booking' then
  -- A booking failed or was cancelled: free its hold, held or sold, and what PostgreSQL had
  -- sold it. ARGV 4 hold_id, 5 booking, 6 sold seat csv, 7 sold GA csv, 8 the booking's
  -- customer (or ''). Once per booking.
  if not redis.call('SET', p .. 'r:' .. ARGV[5], '1', 'NX', 'PX', 2592000000) then
    return {'done'}
  end
  local freed = {}
  local h = redis.call('HMGET', p .. 'h:' .. ARGV[4], 'booking', 'state', 'user', 'n')
  if h[2] and (not h[1] or h[1] == ARGV[5]) then
    if h[2] == 'sold' then redis.call('DECRBY', p .. 'ub:' .. h[3], tonumber(h[4] or '1')) end
    freed = free_hold(p, ARGV[4])
  else
    -- The hold is gone (sold long ago, or Redis was rebuilt from PostgreSQL): free the sale.
    local places = 0
    for _, seat in ipairs(split(ARGV[6])) do
      places = places + 1
      if redis.call('HGET', p .. 'st', seat) == 'S' then
        redis.call('HSET', p .. 'st', seat, '0')
        freed[#freed + 1] = seat
      end
    end
    for _, g in ipairs(pairs_of(ARGV[7])) do
      add_places(p, g[1], -g[2])
      places = places + g[2]
    end
    if ARGV[8] and ARGV[8] ~= '' and places > 0 then
      redis.call('DECRBY', p .. 'ub:' .. ARGV[8], places)
    end
  end
  changed(p, show, 'available', freed)
  return {'ok', tostring(#freed)}

elseif op == 'meta' then
  -- Copy a show's status and sales window from PostgreSQL: ARGV 4 the copy's version (ms),
  -- then field/value pairs. An older copy never overwrites a newer one.
  if tonumber(redis.call('HGET', p .. 'meta', 'synced') or '0') > tonumber(ARGV[4]) then
    return {'stale'}
  end
  local fields = {'synced', ARGV[4]}
  for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', p .. 'meta', unpack(fields))
  return {'ok'}

elseif op == 'close' then
  -- The show was cancelled: end every hold that has not been sold.
  local freed, n = purge(p, '+inf', 1000000)
  changed(p, show, 'available', freed)
  return {'ok', tostring(n)}

elseif op == 'purge' then
  local freed, n = purge(p, now, 500)
  if n > 0 then changed(p, show, 'available', freed) end
  return {'ok', tostring(n)}
end
return {'bad_op'}
