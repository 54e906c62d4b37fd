"""The on-sale waiting room of a show: who queues, in what order, who is let in, and the signed
admission pass that the hold paths check.

The queue lives in Redis (it survives a restart of any process and is shared by every
replica); the room's settings live in PostgreSQL (inventory.waiting_rooms) with a copy in Redis
for the admission job. Order: everyone who joins before `on_sale_at` gets a random score below
1, drawn when they join and never shown, so at on-sale they stand in a random order; everyone
later gets 1 + their arrival number (first come, first served). Admission lets the next
`rate / 60` places in each second, in one script, so replicas running the job at the same time
admit each place once. The rate is the organizer's, or with `auto` the rate at which the
pipeline confirms bookings (measured from the hold store's count of sold bookings, smoothed,
with headroom); either way it slows in proportion to the share of holds refused for want of
places. A waiting user's status is one round trip to Redis, no database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from boxoffice.inventory.ports import RoomCounters
from boxoffice.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from boxoffice.kernel.live import LiveFeed


class AdmissionRequired(Forbidden):
    title = "Admission required"


class NotInQueue(NotFound):
    pass


class QueueClosed(Conflict):
    pass


class ChallengeFailed(InvalidRequest):
    pass


@dataclass(frozen=True)
class Room:
    """A show's waiting room, as its organizer set it."""

    show_id: uuid.UUID
    opens_at: datetime
    on_sale_at: datetime
    admission_rate: int  # buyers let in per minute (with auto_rate: to start with)
    pass_ttl_seconds: int
    max_tickets_per_customer: int | None
    updated_at: datetime
    auto_rate: bool = False  # follow the rate at which bookings are confirmed

    def out(self) -> dict[str, Any]:
        return {
            "show_id": self.show_id,
            "opens_at": self.opens_at,
            "on_sale_at": self.on_sale_at,
            "admission_rate": "auto" if self.auto_rate else self.admission_rate,
            "auto_start_rate": self.admission_rate if self.auto_rate else None,
            "pass_ttl_seconds": self.pass_ttl_seconds,
            "max_tickets_per_customer": self.max_tickets_per_customer,
        }


def queue_path(show_id: uuid.UUID) -> str:
    return f"/api/v1/shows/{show_id}/queue"


def waitlist_path(show_id: uuid.UUID) -> str:
    return f"/api/v1/shows/{show_id}/waitlist"


def no_pass(show_id: uuid.UUID) -> AdmissionRequired:
    return AdmissionRequired(
        "This show's on-sale has a waiting room: join the queue, and hold seats with the "
        "admission pass it gives you (header X-Admission-Pass).",
        queue=queue_path(show_id),
        reason="missing",
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Pass:
    show_id: uuid.UUID
    user_id: uuid.UUID
    entry: str
    expires: int  # unix seconds


class Signer:
    """HMAC-SHA256 over a small JSON body: admission passes and join challenges. Checking one
    is a hash, no store: the hold fast path verifies a pass without a round trip."""

    def __init__(self, secret: bytes) -> None:
        self._pass_key = hmac.new(secret, b"admission-pass", hashlib.sha256).digest()
        self._challenge_key = hmac.new(secret, b"queue-challenge", hashlib.sha256).digest()

    @staticmethod
    def _sign(key: bytes, body: dict[str, Any]) -> str:
        raw = orjson.dumps(body)
        return f"{_b64(raw)}.{_b64(hmac.new(key, raw, hashlib.sha256).digest())}"

    @staticmethod
    def _open(key: bytes, token: str) -> dict[str, Any] | None:
        raw_b64, _, mac_b64 = token.partition(".")
        try:
            raw, mac = _unb64(raw_b64), _unb64(mac_b64)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, hmac.new(key, raw, hashlib.sha256).digest()):
            return None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    def issue_pass(self, p: Pass) -> str:
        return self._sign(
            self._pass_key,
            {"s": p.show_id.hex, "u": p.user_id.hex, "q": p.entry, "e": p.expires},
        )

    def check_pass(
        self, token: str | None, show_id: uuid.UUID, user_id: uuid.UUID, now: float
    ) -> Pass:
        """The pass, or AdmissionRequired saying why it does not admit this customer here."""
        where = queue_path(show_id)
        if not token:
            raise no_pass(show_id)
        body = self._open(self._pass_key, token) if len(token) <= 1024 else None
        if body is None or not isinstance(body.get("e"), int):
            raise AdmissionRequired(
                "This admission pass is not valid.", queue=where, reason="invalid"
            )
        if body.get("s") != show_id.hex:
            raise AdmissionRequired(
                "This admission pass is for another show.", queue=where, reason="other-show"
            )
        if body.get("u") != user_id.hex:
            raise AdmissionRequired(
                "This admission pass belongs to another customer.",
                queue=where,
                reason="other-customer",
            )
        if body["e"] <= now:
            raise AdmissionRequired(
                "This admission pass has expired; join the queue again.",
                queue=where,
                reason="expired",
            )
        return Pass(show_id, user_id, str(body.get("q", "")), body["e"])

    def challenge(self, show_id: uuid.UUID, user_id: uuid.UUID, bits: int, now: float) -> str:
        return self._sign(
            self._challenge_key,
            {
                "s": show_id.hex,
                "u": user_id.hex,
                "b": bits,
                "e": int(now) + 300,
                "n": secrets.token_hex(8),
            },
        )

    def check_solution(
        self, challenge: str, solution: str, show_id: uuid.UUID, user_id: uuid.UUID, now: float
    ) -> None:
        """The join's proof of work: SHA-256(challenge ":" solution) starts with `b` zero bits."""
        body = self._open(self._challenge_key, challenge) if len(challenge) <= 1024 else None
        if (
            body is None
            or body.get("s") != show_id.hex
            or body.get("u") != user_id.hex
            or not isinstance(body.get("e"), int)
            or not isinstance(body.get("b"), int)
        ):
            raise ChallengeFailed("This challenge was not issued to you for this show.")
        if body["e"] <= now:
            raise ChallengeFailed("This challenge has expired; ask for a new one.")
        if not solves(challenge, solution, body["b"]):
            raise ChallengeFailed("The solution does not solve the challenge.")


def solves(challenge: str, solution: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0 if bits > 0 else True


def solve(challenge: str, bits: int) -> str:
    """What a client does to join (the web UI does the same in JavaScript)."""
    n = 0
    while not solves(challenge, str(n), bits):
        n += 1
    return str(n)


# KEYS: users, entries, order, seq, admitted. ARGV: user, entry, before on-sale (1/0), draw.
# A place drawn at random only while admission has not begun: once it has, everyone queues
# at the end, so no one can be slipped in ahead of places already let in.
_JOIN = """
local found = redis.call('HGET', KEYS[1], ARGV[1])
if found then return {0, found} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
local score
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[5]) == 0 then
  score = ARGV[4]
else
  score = 1 + redis.call('INCR', KEYS[4])
end
redis.call('ZADD', KEYS[3], score, ARGV[2])
return {1, ARGV[2]}
"""

# KEYS: order, admitted, at, credit. ARGV: now (ms), rate per minute, on-sale (ms), '1' for
# an automatic rate, the hold store's counts of bookings sold, holds granted and holds refused
# for want of places, the headroom over the confirmation rate, the smoothing time (ms).
# Measures first: the confirmation rate (per minute) and the share of holds refused, each an
# exponentially weighted mean over the smoothing time, updated at most once a second from the
# growth of the counts (replicas passing the same or older counts change nothing). Then adds
# the admissions earned since the last run at the resulting rate (at most two seconds' worth
# are banked, so an empty queue does not save up a burst) and lets in that many of the next
# places in order. Answers the places let in, the rate and the confirmation rate (as text).
_ADMIT = """
local now = tonumber(ARGV[1])
local start = tonumber(ARGV[3])
if now < start then return {0, ARGV[2], '0'} end
local c = redis.call('HMGET', KEYS[4], 'last', 'credit', 'm_at', 'm_sold', 'm_held', 'm_refused',
  'confirm', 'refusal')
local last = tonumber(c[1] or start)
local credit = tonumber(c[2] or '1')
local confirm = tonumber(c[7] or '0')
local refusal = tonumber(c[8] or '0')
local sold, held, refused = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local m_at = tonumber(c[3] or '0')
if m_at == 0 then
  redis.call('HSET', KEYS[4], 'm_at', now, 'm_sold', sold, 'm_held', held, 'm_refused', refused)
elseif now - m_at >= 1000 and sold >= tonumber(c[4]) and held >= tonumber(c[5]) then
  local dt = now - m_at
  local w = 1 - math.exp(-dt / tonumber(ARGV[9]))
  confirm = confirm + w * ((sold - tonumber(c[4])) * 60000 / dt - confirm)
  local dh, dr = held - tonumber(c[5]), refused - tonumber(c[6])
  if dh + dr > 0 then refusal = refusal + w * (dr / (dh + dr) - refusal) end
  redis.call('HSET', KEYS[4], 'm_at', now, 'm_sold', sold, 'm_held', held, 'm_refused', refused,
    'confirm', confirm, 'refusal', refusal)
end
local per_minute = tonumber(ARGV[2])
if ARGV[4] == '1' then per_minute = math.max(per_minute, confirm * tonumber(ARGV[8])) end
per_minute = per_minute * math.max(0.1, 1 - refusal)
local rate = per_minute / 60000
if now > last then credit = credit + (now - last) * rate end
credit = math.min(credit, math.max(1, rate * 2000))
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
local k = math.min(math.floor(credit), redis.call('ZCARD', KEYS[1]) - n)
if k > 0 then
  local ids = redis.call('ZRANGE', KEYS[1], n, n + k - 1)
  for _, id in ipairs(ids) do redis.call('HSET', KEYS[3], id, ARGV[1]) end
  credit = credit - k
end
k = math.max(k, 0)
redis.call('INCRBY', KEYS[2], k)
redis.call('HSET', KEYS[4], 'last', math.max(now, last), 'credit', credit, 'rate', per_minute)
return {k, tostring(per_minute), tostring(confirm)}
"""

# With `auto`, admission runs this much above the measured confirmation rate (buyers who
# browse and leave, or pay slowly, do not hold the line back), and never below the room's
# starting rate; the measurements are smoothed over this many milliseconds.
AUTO_HEADROOM = 1.25
SMOOTHING_MS = 5000

ROOMS = "bx:wr:rooms"  # the shows with a waiting room (the admission job's list)


class QueueFeed(LiveFeed):
    """The line's "now serving": after each admission step, a room's figures go to everyone
    watching its line (`GET /shows/{id}/queue/stream`), one message per room, not one per
    customer; a waiting customer knows their place in line (`ahead` + `admitted_so_far` of
    their status) and sees it come nearer without asking."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis, "queue", "queue", batch_seconds=0.2)


def _keys(show_id: uuid.UUID) -> dict[str, str]:
    base = f"bx:wr:{{{show_id.hex}}}"  # one hash slot per room
    return {
        name: f"{base}:{name}"
        for name in ("cfg", "users", "entries", "order", "seq", "admitted", "at", "credit")
    }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Queue:
    """The waiting rooms' queues, in Redis."""

    def __init__(self, redis: Redis, signer: Signer, pow_bits: int) -> None:
        self.redis = redis
        self.signer = signer
        self.pow_bits = pow_bits
        self._join = redis.register_script(_JOIN)
        self._admit = redis.register_script(_ADMIT)

    async def configure(self, room: Room) -> None:
        k = _keys(room.show_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                k["cfg"],
                mapping={
                    "opens_ms": _ms(room.opens_at),
                    "on_sale_ms": _ms(room.on_sale_at),
                    "rate": room.admission_rate,
                    "ttl": room.pass_ttl_seconds,
                    "max_tickets": room.max_tickets_per_customer or 0,
                    "updated_ms": _ms(room.updated_at),
                    "auto": int(room.auto_rate),
                },
            )
            pipe.sadd(ROOMS, room.show_id.hex)
            await pipe.execute()

    async def room(self, show_id: uuid.UUID) -> Room | None:
        """The room as every replica sees it at once (the copy in Redis)."""
        raw = await self.redis.hgetall(_keys(show_id)["cfg"])
        if not raw:
            return None
        cfg = {_text(key): int(value) for key, value in raw.items()}
        return Room(
            show_id=show_id,
            opens_at=_at_ms(cfg["opens_ms"]),
            on_sale_at=_at_ms(cfg["on_sale_ms"]),
            admission_rate=cfg["rate"],
            pass_ttl_seconds=cfg["ttl"],
            max_tickets_per_customer=cfg["max_tickets"] or None,
            updated_at=_at_ms(cfg["updated_ms"]),
            auto_rate=bool(cfg.get("auto", 0)),
        )

    async def remove(self, show_id: uuid.UUID) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.srem(ROOMS, show_id.hex)
            pipe.delete(*_keys(show_id).values())
            await pipe.execute()

    async def join(self, room: Room, user_id: uuid.UUID, now: datetime) -> tuple[str, bool]:
        """The customer's place (entry id) and whether it is new."""
        k = _keys(room.show_id)
        entry = f"{room.show_id.hex}{secrets.token_hex(12)}"
        before = "1" if now < room.on_sale_at else "0"
        draw = repr(secrets.randbits(52) / 2**52)
        new, found = await self._join(
            keys=[k["users"], k["entries"], k["order"], k["seq"], k["admitted"]],
            args=[user_id.hex, entry, before, draw],
        )
        return _text(found), bool(new)

    async def rooms(self) -> list[uuid.UUID]:
        return [uuid.UUID(_text(raw)) for raw in await self.redis.smembers(ROOMS)]

    async def admit(self, show_id: uuid.UUID, now: datetime, counters: RoomCounters) -> int:
        """One admission step for the room: the number of places let in."""
        k = _keys(show_id)
        raw = await self.redis.hgetall(k["cfg"])
        cfg = {_text(key): int(value) for key, value in raw.items()}
        if not cfg or cfg.get("sold_out"):
            return 0
        let_in, _, _ = await self._admit(
            keys=[k["order"], k["admitted"], k["at"], k["credit"]],
            args=[
                _ms(now),
                cfg["rate"],
                cfg["on_sale_ms"],
                cfg.get("auto", 0),
                counters.sold,
                counters.granted,
                counters.refused,
                AUTO_HEADROOM,
                SMOOTHING_MS,
            ],
        )
        return int(let_in)

    async def figures(self, show_id: uuid.UUID) -> dict[str, Any]:
        """How many joined, how many were let in, whether admission waits for seats, and the
        admission job's rates (per minute: the one it admits at, the confirmations it sees)."""
        k = _keys(show_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(k["order"])
            pipe.get(k["admitted"])
            pipe.hget(k["cfg"], "sold_out")
            pipe.hmget(k["credit"], ["rate", "confirm", "refusal"])
            total, admitted, sold_out, (rate, confirm, refusal) = await pipe.execute()
        return {
            "in_queue": int(total),
            "admitted_so_far": int(admitted or 0),
            "sold_out": bool(int(sold_out or 0)),
            "admitting_per_minute": None if rate is None else round(float(rate), 1),
            "confirmed_per_minute": round(float(confirm or 0), 1),
            "refused_share": round(float(refusal or 0), 3),
        }

    async def announce(self, show_id: uuid.UUID) -> None:
        figures = await self.figures(show_id)
        await self.redis.publish(f"queue:{show_id.hex}", orjson.dumps(figures))

    async def set_sold_out(self, show_id: uuid.UUID, sold_out: bool) -> None:
        """Nothing left to hold: admission pauses and everyone waiting is told; it goes on
        when places come back (expired holds, failed or cancelled bookings)."""
        k = _keys(show_id)
        if await self.redis.exists(k["cfg"]):
            await self.redis.hset(k["cfg"], "sold_out", int(sold_out))

    async def status(
        self, room: Room, entry: str, user_id: uuid.UUID, now: datetime
    ) -> dict[str, Any]:
        k = _keys(room.show_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(k["entries"], entry)
            pipe.zrank(k["order"], entry)
            pipe.hget(k["at"], entry)
            pipe.get(k["admitted"])
            pipe.zcard(k["order"])
            pipe.hget(k["cfg"], "sold_out")
            pipe.hget(k["credit"], "rate")
            owner, rank, at, admitted, total, sold_out, rate = await pipe.execute()
        if owner is None or _text(owner) != user_id.hex or rank is None:
            raise NotInQueue("No such place in a queue of yours.")
        n = int(admitted or 0)
        out: dict[str, Any] = {
            "queue_id": entry,
            "show_id": room.show_id,
            "on_sale_at": room.on_sale_at,
            "in_queue": int(total),
            "admitted_so_far": n,
            "position": None,
            "ahead": None,
            "eta_seconds": None,
            "admission_pass": None,
            "pass_expires_at": None,
        }
        if at is not None:
            expires = int(at) // 1000 + room.pass_ttl_seconds
            if expires <= now.timestamp():
                return {**out, "state": "expired", "pass_expires_at": _at(expires)}
            token = self.signer.issue_pass(Pass(room.show_id, user_id, entry, expires))
            return {
                **out,
                "state": "admitted",
                "position": 0,
                "ahead": 0,
                "admission_pass": token,
                "pass_expires_at": _at(expires),
            }
        if sold_out is not None and int(sold_out):
            return {**out, "state": "sold_out", "waitlist": waitlist_path(room.show_id)}
        if admitted is None:  # before on-sale: the order is drawn then
            return {**out, "state": "waiting"}
        ahead = max(0, int(rank) - n)
        per_minute = float(rate) if rate is not None else room.admission_rate
        wait = math.ceil((ahead + 1) * 60 / max(per_minute, 1.0))
        return {
            **out,
            "state": "waiting",
            "position": ahead + 1,
            "ahead": ahead,
            "eta_seconds": wait,
        }

    def challenge(self, show_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        return {
            "challenge": self.signer.challenge(show_id, user_id, self.pow_bits, time.time()),
            "difficulty_bits": self.pow_bits,
        }


def _text(value: bytes | str) -> str:  # whether or not the client decodes answers
    return value.decode() if isinstance(value, bytes) else str(value)


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _at_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
