"""A Hypothesis state machine of one show's booking flow, without I/O.

The machine keeps a small reference model of the hold store, the booking saga and the payment
service, and drives the project's own rules wherever they exist (make_hold_request, new_hold_id,
can_cancel, refundable, check_refund, ticket_code, verify_ticket_code). The model stores the same
facts more than once (seat states and hold records, a GA counter and the holds and bookings it
counts, payment fields and a money ledger), and the invariants check that every copy agrees and
that the invariants of DESIGN.md hold after every step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

from boxoffice.booking.domain import (
    FINAL,
    NotCancellable,
    Status,
    can_cancel,
    ticket_code,
    verify_ticket_code,
)
from boxoffice.inventory.domain import HoldRequest, make_hold_request, new_hold_id, show_of_hold
from boxoffice.kernel.errors import InvalidRequest
from boxoffice.payment.domain import (
    InvalidRefund,
    PaymentStatus,
    RefundNotAllowed,
    check_refund,
    refundable,
)

SHOW = uuid.UUID(int=0xB0C5)
SEATS = frozenset(range(1, 7))
UNKNOWN_SEATS = (7, 8)
AREA, CAPACITY = 1, 4
MAX_PER_BOOKING = 4
SEAT_PRICE, GA_PRICE = 2500, 1000
HOLD_TTL = 600_000  # ms, as in the hold store
PAYMENT_TIMEOUT = 60_000
EXTEND = PAYMENT_TIMEOUT + 60_000  # what booking asks attach to extend a hold to
SECRET = b"model-ticket-secret"
TOKENS = ("tok_success", "tok_success", "tok_decline", "tok_timeout")  # mostly paying
CAPTURED_ONCE = (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)


@dataclass
class Hold:
    id: str
    seats: tuple[int, ...]
    ga: int
    expires: int
    booking: str | None = None
    sold: bool = False


@dataclass
class Ticket:
    id: uuid.UUID
    place: str
    code: str
    valid: bool = True


@dataclass
class Booking:
    id: str
    hold_id: str
    seats: tuple[int, ...]
    ga: int
    amount: int
    deadline: int
    status: Status = Status.PENDING
    tickets: list[Ticket] = field(default_factory=list)


@dataclass
class Payment:
    booking_id: str
    amount: int
    token: str
    status: PaymentStatus = PaymentStatus.PROCESSING
    answered: bool = False
    captures: int = 0
    refunded: int = 0


class BookingModel(RuleBasedStateMachine):
    holds_made = Bundle("holds")
    bookings_made = Bundle("bookings")

    def __init__(self) -> None:
        super().__init__()
        self.now = 1_000_000
        self.show_started = False
        self.seat_state: dict[int, str] = dict.fromkeys(SEATS, "0")  # "0", "H<hold>", "S"
        self.ga_used = 0  # held + sold, as the hold store counts
        self.holds: dict[str, Hold] = {}
        self.bookings: dict[str, Booking] = {}
        self.payments: dict[str, Payment] = {}  # by booking id: one payment per booking
        self.ledger: list[tuple[str, str, int]] = []  # (booking, "charge" | "refund", amount)

    # -- helpers mirroring the hold store (holds.lua) -------------------------------------

    def _snapshot(self) -> tuple[object, ...]:
        return (
            dict(self.seat_state),
            self.ga_used,
            {k: (h.seats, h.ga, h.expires, h.booking, h.sold) for k, h in self.holds.items()},
            {k: b.status for k, b in self.bookings.items()},
            {k: (p.status, p.refunded, p.captures) for k, p in self.payments.items()},
            len(self.ledger),
        )

    def _place(self, request: HoldRequest) -> str:
        """The hold script's answer: a new hold id, or why not (nothing changes then)."""
        if self.show_started:
            return "not_on_sale"
        if request.count > MAX_PER_BOOKING:
            return "too_many"
        if any(s not in SEATS for s in request.seat_ids):
            return "unknown"
        if any(self.seat_state[s] != "0" for s in request.seat_ids):
            return "taken"
        wanted = sum(q for _, q in request.ga)
        if self.ga_used + wanted > CAPACITY:
            return "ga_full"
        hold_id = new_hold_id(SHOW)
        assert show_of_hold(hold_id) == SHOW
        assert hold_id not in self.holds
        for seat in request.seat_ids:
            self.seat_state[seat] = "H" + hold_id
        self.ga_used += wanted
        self.holds[hold_id] = Hold(hold_id, request.seat_ids, wanted, self.now + HOLD_TTL)
        return hold_id

    def _free(self, hold: Hold) -> None:
        """Release a hold (the 'release' op and expiry), or a sale (the 'unsell' op)."""
        mark = "S" if hold.sold else "H" + hold.id
        for seat in hold.seats:
            if self.seat_state[seat] == mark:
                self.seat_state[seat] = "0"
        self.ga_used -= hold.ga
        del self.holds[hold.id]

    # -- helpers mirroring the saga and the payment service -------------------------------

    def _refund(self, booking_id: str, amount: int) -> None:
        payment = self.payments[booking_id]
        check_refund(payment.status, payment.amount, payment.refunded, amount)
        payment.refunded += amount
        if payment.refunded == payment.amount:
            payment.status = PaymentStatus.REFUNDED
        self.ledger.append((booking_id, "refund", amount))

    def _end(self, booking: Booking, status: Status) -> None:
        """booking.failed / booking.cancelled, and what inventory and payment do about it."""
        event(f"booking: {booking.status} -> {status}")
        booking.status = status
        for ticket in booking.tickets:
            ticket.valid = False
        hold = self.holds.get(booking.hold_id)
        if hold is not None and hold.booking == booking.id:
            self._free(hold)
        payment = self.payments[booking.id]
        if payment.status == PaymentStatus.PROCESSING:
            payment.status = PaymentStatus.VOIDED
        elif left := refundable(payment.status, payment.amount, payment.refunded):
            self._refund(booking.id, left)

    def _payment_completed(self, booking: Booking) -> None:
        assert booking.status == Status.PENDING, "only a pending booking's payment is processing"
        hold = self.holds.get(booking.hold_id)
        if hold is None or hold.booking != booking.id or hold.expires <= self.now:
            self._end(booking, Status.EXPIRED)
            return
        for seat in hold.seats:
            assert self.seat_state[seat] == "H" + hold.id
            self.seat_state[seat] = "S"
        hold.sold = True
        places = [f"seat:{s}" for s in hold.seats] + [f"area:{AREA}:{n}" for n in range(hold.ga)]
        for place in places:
            ticket_id = uuid.uuid4()
            booking.tickets.append(
                Ticket(ticket_id, place, ticket_code(SECRET, ticket_id, SHOW, place))
            )
        booking.status = Status.CONFIRMED
        event("booking: PENDING -> CONFIRMED")

    # -- rules ----------------------------------------------------------------------------

    @rule(
        target=holds_made,
        seats=st.lists(st.sampled_from(sorted(SEATS)), max_size=3)
        | st.lists(st.sampled_from(sorted(SEATS) + list(UNKNOWN_SEATS)), min_size=1, max_size=5),
        places=st.sampled_from([0, 0, 1, 2, 3]),
    )
    def place_hold(self, seats: list[int], places: int) -> object:
        ga = [(AREA, places)] if places else []
        malformed = len(set(seats)) != len(seats) or len(seats) + places == 0
        try:
            request = make_hold_request(seats, ga)
        except InvalidRequest:
            assert malformed
            return multiple()
        assert not malformed
        assert request.count == len(seats) + places
        before = self._snapshot()
        answer = self._place(request)
        event(f"hold: {'ok' if answer in self.holds else answer}")
        if answer not in self.holds:
            assert self._snapshot() == before, f"a refused hold ({answer}) changed something"
            return multiple()
        return answer

    @rule(hold_id=consumes(holds_made))
    def release_hold(self, hold_id: str) -> None:
        hold = self.holds.get(hold_id)
        if hold is None or hold.booking is not None:
            return  # UnknownHold / HoldInUse
        self._free(hold)

    @rule(hold_id=consumes(holds_made), token=st.sampled_from(TOKENS), target=bookings_made)
    def book(self, hold_id: str, token: str) -> object:
        hold = self.holds.get(hold_id)
        if hold is None or hold.booking is not None or hold.sold:
            return multiple()  # UnknownHold / HoldInUse
        booking_id = uuid.uuid4().hex
        amount = len(hold.seats) * SEAT_PRICE + hold.ga * GA_PRICE
        hold.booking = booking_id
        hold.expires = max(hold.expires, self.now + 1000)
        self.bookings[booking_id] = Booking(
            booking_id, hold_id, hold.seats, hold.ga, amount, self.now + PAYMENT_TIMEOUT
        )
        self.payments[booking_id] = Payment(booking_id, amount, token)
        return booking_id

    @rule(booking_id=bookings_made)
    def provider_answers(self, booking_id: str) -> None:
        payment = self.payments[booking_id]
        if payment.answered or payment.token == "tok_timeout":
            return  # answered once (deduplicated by payment id), or never answers
        payment.answered = True
        booking = self.bookings[booking_id]
        if payment.token == "tok_decline":
            voided = payment.status == PaymentStatus.VOIDED
            payment.status = PaymentStatus.FAILED
            if not voided:
                self._end(booking, Status.FAILED)
            return
        payment.captures += 1
        self.ledger.append((booking_id, "charge", payment.amount))
        if payment.status == PaymentStatus.VOIDED:
            # The booking gave up while the provider was busy: give the money back at once.
            event("payment: captured after the booking ended")
            payment.status = PaymentStatus.CAPTURED
            self._refund(booking_id, payment.amount)
            return
        payment.status = PaymentStatus.CAPTURED
        self._payment_completed(booking)

    @rule(ms=st.sampled_from([1_000, 30_000, 61_000, 130_000, 601_000]))
    def time_passes(self, ms: int) -> None:
        self.now += ms
        # The hold sweeper: holds whose time is up free their seats.
        for hold in list(self.holds.values()):
            if not hold.sold and hold.expires <= self.now:
                self._free(hold)
        # The saga sweeper: pending bookings past their deadline fail.
        for booking in self.bookings.values():
            if booking.status == Status.PENDING and booking.deadline < self.now:
                self._end(booking, Status.FAILED)

    @precondition(lambda self: any(b.status == Status.PENDING for b in self.bookings.values()))
    @rule()
    def hold_store_loses_its_holds(self) -> None:
        """Redis restarted empty and was reloaded from PostgreSQL: sales survive, holds do not."""
        for hold in list(self.holds.values()):
            if not hold.sold:
                self._free(hold)

    @rule(booking_id=bookings_made)
    def cancel(self, booking_id: str) -> None:
        booking = self.bookings[booking_id]
        refused = booking.status in FINAL or self.show_started
        before = self._snapshot()
        try:
            can_cancel(booking.status, self.show_started)
        except NotCancellable:
            assert refused
            assert self._snapshot() == before
            return
        assert not refused
        self._end(booking, Status.CANCELLED)

    @rule(booking_id=bookings_made, asked=st.integers(1, 20_000))
    def admin_refunds(self, booking_id: str, asked: int) -> None:
        payment = self.payments[booking_id]
        left = payment.amount - payment.refunded if payment.status in CAPTURED_ONCE else 0
        try:
            check_refund(payment.status, payment.amount, payment.refunded, asked)
        except RefundNotAllowed:
            assert left == 0
            return
        except InvalidRefund:
            assert asked > left > 0
            return
        assert 0 < asked <= left
        self._refund(booking_id, asked)

    @precondition(lambda self: not self.show_started and len(self.bookings) >= 2)
    @rule()
    def show_starts(self) -> None:
        self.show_started = True

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def no_seat_is_held_twice_or_sold_twice(self) -> None:
        assert set(self.seat_state) == SEATS
        for seat in SEATS:
            holders = [h.id for h in self.holds.values() if not h.sold and seat in h.seats]
            owners = [
                b.id
                for b in self.bookings.values()
                if any(t.valid and t.place == f"seat:{seat}" for t in b.tickets)
            ]
            assert len(holders) <= 1, f"seat {seat} held by {holders}"
            assert len(owners) <= 1, f"seat {seat} sold to {owners}"
            assert not (holders and owners), f"seat {seat} both held and sold"
            expected = "H" + holders[0] if holders else ("S" if owners else "0")
            assert self.seat_state[seat] == expected

    @invariant()
    def held_and_sold_places_stay_within_the_show(self) -> None:
        for hold in self.holds.values():
            assert set(hold.seats) <= SEATS
            assert len(hold.seats) + hold.ga <= MAX_PER_BOOKING
        held = sum(h.ga for h in self.holds.values() if not h.sold)
        sold = sum(b.ga for b in self.bookings.values() if b.status == Status.CONFIRMED)
        assert self.ga_used == held + sold
        assert 0 <= self.ga_used <= CAPACITY

    @invariant()
    def a_booking_in_flight_keeps_its_hold(self) -> None:
        for booking in self.bookings.values():
            hold = self.holds.get(booking.hold_id)
            if hold is not None:
                assert hold.booking == booking.id
                assert hold.sold == (booking.status == Status.CONFIRMED)
            if booking.status == Status.CONFIRMED:
                assert hold is not None and hold.sold
            elif booking.status in FINAL:
                assert hold is None

    @invariant()
    def confirmed_bookings_have_valid_signed_tickets_and_no_one_else_does(self) -> None:
        codes = set()
        for booking in self.bookings.values():
            valid = [t for t in booking.tickets if t.valid]
            if booking.status == Status.CONFIRMED:
                assert len(valid) == len(booking.seats) + booking.ga
                for ticket in valid:
                    assert verify_ticket_code(SECRET, ticket.code, SHOW, ticket.place)
                    assert not verify_ticket_code(SECRET, ticket.code, SHOW, "seat:999")
                    codes.add(ticket.code)
            else:
                assert valid == []
        assert len(codes) == sum(
            len(b.tickets) for b in self.bookings.values() if b.status == Status.CONFIRMED
        )

    @invariant()
    def money_follows_the_bookings(self) -> None:
        assert set(self.payments) == set(self.bookings), "one payment per booking"
        for booking_id, payment in self.payments.items():
            booking = self.bookings[booking_id]
            charged = sum(a for b, kind, a in self.ledger if b == booking_id and kind == "charge")
            refunded = sum(a for b, kind, a in self.ledger if b == booking_id and kind == "refund")
            assert payment.captures <= 1
            assert charged == payment.captures * payment.amount
            assert refunded == payment.refunded
            assert 0 <= refunded <= charged, "a refund never exceeds the charge"
            assert refundable(payment.status, payment.amount, payment.refunded) == (
                charged - refunded if payment.status in CAPTURED_ONCE else 0
            )
            if booking.status == Status.CONFIRMED:
                assert payment.captures == 1, "a confirmed booking has exactly one capture"
                assert payment.status in CAPTURED_ONCE
            elif booking.status == Status.PENDING:
                assert payment.status == PaymentStatus.PROCESSING
                assert payment.captures == 0
            else:
                assert payment.captures == 0 or refunded == charged, (
                    f"{booking.status} booking kept {charged - refunded}"
                )
                assert payment.status != PaymentStatus.PROCESSING
        total_charged = sum(a for _, kind, a in self.ledger if kind == "charge")
        total_refunded = sum(a for _, kind, a in self.ledger if kind == "refund")
        assert total_refunded <= total_charged


BookingModel.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_booking_model = BookingModel.TestCase
