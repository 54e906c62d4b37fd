// @ts-check
// GENERATED from the OpenAPI document of boxoffice 1.0.0 by
// scripts/gen_api_client.py: do not edit. Change the API, then run
//   uv run python scripts/gen_api_client.py
// tests/unit/gateway/test_api_client_fresh.py fails while this file is stale.
import { call, enc, follow, url } from "./http.js";

/** @typedef {import("./api-types").components["schemas"]} Schemas */
/** @typedef {import("./api-types").operations} Operations */
/**
 * @template T, R
 * @typedef {import("./http.js").Answer<T, R>} Answer
 */

/**
 * Register: POST /api/v1/auth/register → 201 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["RegisterIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["register"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function register(args) {
  return call(`/api/v1/auth/register`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Login: POST /api/v1/auth/login → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["LoginIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["login"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function login(args) {
  return call(`/api/v1/auth/login`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Refresh: POST /api/v1/auth/refresh → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["RefreshIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["refresh"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function refresh(args) {
  return call(`/api/v1/auth/refresh`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Password Reset: POST /api/v1/auth/password-reset → 202 (none).
 *
 * Mail a reset link to the account of this email, if there is one: the answer is 202
 * either way (nobody learns which emails have accounts). The link is good for 30 minutes,
 * once; at most one mail a minute per account.
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["ResetRequestIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function passwordReset(args) {
  return call(`/api/v1/auth/password-reset`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * Password Reset Confirm: POST /api/v1/auth/password-reset/confirm → 204 (none).
 *
 * Set a new password with the mailed token; every session of the account ends.
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["ResetConfirmIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function passwordResetConfirm(args) {
  return call(`/api/v1/auth/password-reset/confirm`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * Verify Email: POST /api/v1/auth/verify-email → 204 (none).
 *
 * The welcome mail's link: the address is verified.
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["VerifyIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function verifyEmail(args) {
  return call(`/api/v1/auth/verify-email`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * Change Email: POST /api/v1/users/me/email → 202 (none).
 *
 * Ask to change my address (with my password): a link goes to the new address, good for
 * 24 hours; the address changes when it is used (POST /auth/email-change/confirm).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["EmailChangeIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function changeEmail(args) {
  return call(`/api/v1/users/me/email`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * Confirm Email Change: POST /api/v1/auth/email-change/confirm → 200 (json).
 *
 * The link of the mail to the new address: it becomes the account's; every session ends
 * (log in with the new address).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["VerifyIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["confirmEmailChange"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function confirmEmailChange(args) {
  return call(`/api/v1/auth/email-change/confirm`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Logout: POST /api/v1/auth/logout → 204 (none).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["RefreshIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function logout(args) {
  return call(`/api/v1/auth/logout`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * Me: GET /api/v1/users/me → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["me"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function me(args = {}) {
  return call(`/api/v1/users/me`, { method: "GET", response: "json" }, args);
}

/**
 * Change Me: PATCH /api/v1/users/me → 200 (json).
 *
 * Change my name, phone number (E.164; null removes it, and texts with it) and whether I
 * want texts (`sms_opt_in`, needs a number). Only the fields given change.
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["ProfileIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["changeMe"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function changeMe(args) {
  return call(`/api/v1/users/me`, { method: "PATCH", response: "json", body: "required" }, args);
}

/**
 * Change my password: POST /api/v1/users/me/password → 204 (none).
 *
 * Needs the current password (a wrong one: 422). Ends every session of the user: all refresh tokens are revoked, access tokens run out within their lifetime.
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["PasswordChangeIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<null, R>>}
 */
export function changePassword(args) {
  return call(`/api/v1/users/me/password`, { method: "POST", response: "none", body: "required" }, args);
}

/**
 * List Users: GET /api/v1/admin/users → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{email?: any, role?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listUsers"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listUsers(args = {}) {
  return call(`/api/v1/admin/users`, { method: "GET", response: "json", query: ["email", "role", "limit", "offset"] }, args);
}

/**
 * Create User: POST /api/v1/admin/users → 201 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["AdminUserIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createUser"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function createUser(args) {
  return call(`/api/v1/admin/users`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Get User: GET /api/v1/admin/users/{user_id} → 200 (json).
 *
 * @param {string} userId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getUser"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getUser(userId, args = {}) {
  return call(`/api/v1/admin/users/${enc(userId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Set Roles: PATCH /api/v1/admin/users/{user_id} → 200 (json).
 *
 * @param {string} userId
 * @template {boolean} [R=false]
 * @param {{body: Schemas["RolesIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["setRoles"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function setRoles(userId, args) {
  return call(`/api/v1/admin/users/${enc(userId)}`, { method: "PATCH", response: "json", body: "required" }, args);
}

/**
 * Events the identity service parked after failing: GET /api/v1/admin/dead-letters/identity → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listIdentityDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listIdentityDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/identity`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/identity/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayIdentityDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayIdentityDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/identity/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * List Venues: GET /api/v1/venues → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{city?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listVenues"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listVenues(args = {}) {
  return call(`/api/v1/venues`, { method: "GET", response: "json", query: ["city", "limit", "offset"] }, args);
}

/**
 * Create Venue: POST /api/v1/venues → 201 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["VenueIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createVenue"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function createVenue(args) {
  return call(`/api/v1/venues`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Get Venue: GET /api/v1/venues/{venue_id} → 200 (json).
 *
 * @param {string} venueId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getVenue"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getVenue(venueId, args = {}) {
  return call(`/api/v1/venues/${enc(venueId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Create Hall: POST /api/v1/venues/{venue_id}/halls → 201 (json).
 *
 * @param {string} venueId
 * @template {boolean} [R=false]
 * @param {{body: Schemas["HallIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createHall"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function createHall(venueId, args) {
  return call(`/api/v1/venues/${enc(venueId)}/halls`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Get Hall: GET /api/v1/halls/{hall_id} → 200 (json).
 *
 * @param {string} hallId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getHall"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getHall(hallId, args = {}) {
  return call(`/api/v1/halls/${enc(hallId)}`, { method: "GET", response: "json" }, args);
}

/**
 * List Events: GET /api/v1/events → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{category?: any, q?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listEvents"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listEvents(args = {}) {
  return call(`/api/v1/events`, { method: "GET", response: "json", query: ["category", "q", "limit", "offset"] }, args);
}

/**
 * Create Event: POST /api/v1/events → 201 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["EventIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createEvent"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function createEvent(args) {
  return call(`/api/v1/events`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Get Event: GET /api/v1/events/{event_id} → 200 (json).
 *
 * @param {string} eventId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getEvent"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getEvent(eventId, args = {}) {
  return call(`/api/v1/events/${enc(eventId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Browse Shows: GET /api/v1/shows → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{city?: any, event_id?: any, from?: any, to?: any, category?: any, mine?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["browseShows"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function browseShows(args = {}) {
  return call(`/api/v1/shows`, { method: "GET", response: "json", query: ["city", "event_id", "from", "to", "category", "mine", "limit", "offset"] }, args);
}

/**
 * Create Show: POST /api/v1/shows → 201 (json).
 *
 * @template {boolean} [R=false]
 * @param {{body: Schemas["ShowIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createShow"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function createShow(args) {
  return call(`/api/v1/shows`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Get Show: GET /api/v1/shows/{show_id} → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getShow"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getShow(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Update Show: PATCH /api/v1/shows/{show_id} → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{body: Schemas["ShowPatch"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["updateShow"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function updateShow(showId, args) {
  return call(`/api/v1/shows/${enc(showId)}`, { method: "PATCH", response: "json", body: "required" }, args);
}

/**
 * Publish Show: POST /api/v1/shows/{show_id}/publish → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["publishShow"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function publishShow(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/publish`, { method: "POST", response: "json" }, args);
}

/**
 * Cancel Show: POST /api/v1/shows/{show_id}/cancel → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{body?: Operations["cancelShow"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["cancelShow"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function cancelShow(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/cancel`, { method: "POST", response: "json", body: "optional" }, args);
}

/**
 * Events the catalog service parked after failing: GET /api/v1/admin/dead-letters/catalog → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listCatalogDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listCatalogDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/catalog`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/catalog/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayCatalogDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayCatalogDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/catalog/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * Seat Map: GET /api/v1/shows/{show_id}/seats → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{ifNoneMatch?: string, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["seatMap"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function seatMap(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/seats`, { method: "GET", response: "json", headers: {"if-none-match": "ifNoneMatch"} }, args);
}

/**
 * Seat Stream: GET /api/v1/shows/{show_id}/seats/stream → 200 (stream).
 *
 * @param {string} showId
 * @returns {EventSource}
 */
export function seatStream(showId) {
  return new EventSource(url(`/api/v1/shows/${enc(showId)}/seats/stream`));
}

/**
 * Place Hold: POST /api/v1/shows/{show_id}/holds → 201 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{xAdmissionPass?: string, idempotencyKey?: string, body: Schemas["HoldIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["placeHold"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function placeHold(showId, args) {
  return call(`/api/v1/shows/${enc(showId)}/holds`, { method: "POST", response: "json", headers: {"X-Admission-Pass": "xAdmissionPass", "Idempotency-Key": "idempotencyKey"}, idempotent: true, body: "required" }, args);
}

/**
 * Get Hold: GET /api/v1/holds/{hold_id} → 200 (json).
 *
 * @param {string} holdId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getHold"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getHold(holdId, args = {}) {
  return call(`/api/v1/holds/${enc(holdId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Release Hold: DELETE /api/v1/holds/{hold_id} → 204 (none).
 *
 * @param {string} holdId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<null, R>>}
 */
export function releaseHold(holdId, args = {}) {
  return call(`/api/v1/holds/${enc(holdId)}`, { method: "DELETE", response: "none" }, args);
}

/**
 * Get Waiting Room: GET /api/v1/shows/{show_id}/waiting-room → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getWaitingRoom"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getWaitingRoom(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/waiting-room`, { method: "GET", response: "json" }, args);
}

/**
 * Put Waiting Room: PUT /api/v1/shows/{show_id}/waiting-room → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{body: Schemas["RoomIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["putWaitingRoom"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function putWaitingRoom(showId, args) {
  return call(`/api/v1/shows/${enc(showId)}/waiting-room`, { method: "PUT", response: "json", body: "required" }, args);
}

/**
 * Delete Waiting Room: DELETE /api/v1/shows/{show_id}/waiting-room → 204 (none).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<null, R>>}
 */
export function deleteWaitingRoom(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/waiting-room`, { method: "DELETE", response: "none" }, args);
}

/**
 * Queue Challenge: GET /api/v1/shows/{show_id}/queue/challenge → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["queueChallenge"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function queueChallenge(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/queue/challenge`, { method: "GET", response: "json" }, args);
}

/**
 * Join Queue: POST /api/v1/shows/{show_id}/queue → 201 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{body: Schemas["JoinIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["joinQueue"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function joinQueue(showId, args) {
  return call(`/api/v1/shows/${enc(showId)}/queue`, { method: "POST", response: "json", body: "required" }, args);
}

/**
 * Queue Stream: GET /api/v1/shows/{show_id}/queue/stream → 200 (stream).
 *
 * @param {string} showId
 * @returns {EventSource}
 */
export function queueStream(showId) {
  return new EventSource(url(`/api/v1/shows/${enc(showId)}/queue/stream`));
}

/**
 * Queue Status: GET /api/v1/queue/{queue_id} → 200 (json).
 *
 * @param {string} queueId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["queueStatus"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function queueStatus(queueId, args = {}) {
  return call(`/api/v1/queue/${enc(queueId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Join Waitlist: POST /api/v1/shows/{show_id}/waitlist → 201 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{body?: Operations["joinWaitlist"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["joinWaitlist"]["responses"]["201"]["content"]["application/json"], R>>}
 */
export function joinWaitlist(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/waitlist`, { method: "POST", response: "json", body: "optional" }, args);
}

/**
 * My Waitlist Place: GET /api/v1/shows/{show_id}/waitlist/me → 200 (json).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["myWaitlistPlace"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function myWaitlistPlace(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/waitlist/me`, { method: "GET", response: "json" }, args);
}

/**
 * Leave Waitlist: DELETE /api/v1/shows/{show_id}/waitlist/me → 204 (none).
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<null, R>>}
 */
export function leaveWaitlist(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/waitlist/me`, { method: "DELETE", response: "none" }, args);
}

/**
 * Events the inventory service parked after failing: GET /api/v1/admin/dead-letters/inventory → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listInventoryDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listInventoryDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/inventory`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/inventory/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayInventoryDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayInventoryDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/inventory/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * Live Channel: GET /api/v1/live → 200 (stream).
 *
 * The customer's own live channel (the bearer token says whose).
 *
 * @param {Record<string, (data: any) => void>} on
 * @returns {{close: () => void}}
 */
export function liveChannel(on) {
  return follow(`/api/v1/live`, on);
}

/**
 * List Bookings: GET /api/v1/bookings → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{all?: any, status?: any, show_id?: any, user_id?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listBookings"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listBookings(args = {}) {
  return call(`/api/v1/bookings`, { method: "GET", response: "json", query: ["all", "status", "show_id", "user_id", "limit", "offset"] }, args);
}

/**
 * Create Booking: POST /api/v1/bookings → 202 (json).
 *
 * @template {boolean} [R=false]
 * @param {{idempotencyKey?: string, body: Schemas["BookingIn"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["createBooking"]["responses"]["202"]["content"]["application/json"], R>>}
 */
export function createBooking(args) {
  return call(`/api/v1/bookings`, { method: "POST", response: "json", headers: {"Idempotency-Key": "idempotencyKey"}, idempotent: true, body: "required" }, args);
}

/**
 * Get Booking: GET /api/v1/bookings/{booking_id} → 200 (json).
 *
 * @param {string} bookingId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getBooking"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getBooking(bookingId, args = {}) {
  return call(`/api/v1/bookings/${enc(bookingId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Cancel Booking: POST /api/v1/bookings/{booking_id}/cancel → 200 (json).
 *
 * @param {string} bookingId
 * @template {boolean} [R=false]
 * @param {{body?: Operations["cancelBooking"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["cancelBooking"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function cancelBooking(bookingId, args = {}) {
  return call(`/api/v1/bookings/${enc(bookingId)}/cancel`, { method: "POST", response: "json", body: "optional" }, args);
}

/**
 * My Tickets: GET /api/v1/tickets → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["myTickets"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function myTickets(args = {}) {
  return call(`/api/v1/tickets`, { method: "GET", response: "json", query: ["limit", "offset"] }, args);
}

/**
 * Ticket Qr: GET /api/v1/tickets/{ticket_id}/qr → 200 (text).
 *
 * @param {string} ticketId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<string, R>>}
 */
export function ticketQr(ticketId, args = {}) {
  return call(`/api/v1/tickets/${enc(ticketId)}/qr`, { method: "GET", response: "text" }, args);
}

/**
 * Show Sales: GET /api/v1/shows/{show_id}/sales → 200 (json).
 *
 * Sales of one show, for its organizer or an admin.
 *
 * @param {string} showId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["showSales"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function showSales(showId, args = {}) {
  return call(`/api/v1/shows/${enc(showId)}/sales`, { method: "GET", response: "json" }, args);
}

/**
 * Stuck Sagas: GET /api/v1/admin/sagas/stuck → 200 (json).
 *
 * Bookings still PENDING after `older_than` seconds, with the step they stopped at.
 *
 * @template {boolean} [R=false]
 * @param {{older_than?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["stuckSagas"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function stuckSagas(args = {}) {
  return call(`/api/v1/admin/sagas/stuck`, { method: "GET", response: "json", query: ["older_than", "limit"] }, args);
}

/**
 * Fail Saga: POST /api/v1/admin/sagas/{booking_id}/fail → 200 (json).
 *
 * @param {string} bookingId
 * @template {boolean} [R=false]
 * @param {{body?: Operations["failSaga"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["failSaga"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function failSaga(bookingId, args = {}) {
  return call(`/api/v1/admin/sagas/${enc(bookingId)}/fail`, { method: "POST", response: "json", body: "optional" }, args);
}

/**
 * Events the booking service parked after failing: GET /api/v1/admin/dead-letters/booking → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listBookingDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listBookingDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/booking`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/booking/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayBookingDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayBookingDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/booking/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * Get Payment: GET /api/v1/payments/{payment_id} → 200 (json).
 *
 * @param {string} paymentId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["getPayment"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function getPayment(paymentId, args = {}) {
  return call(`/api/v1/payments/${enc(paymentId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Booking Payment: GET /api/v1/bookings/{booking_id}/payment → 200 (json).
 *
 * @param {string} bookingId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["bookingPayment"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function bookingPayment(bookingId, args = {}) {
  return call(`/api/v1/bookings/${enc(bookingId)}/payment`, { method: "GET", response: "json" }, args);
}

/**
 * Refund: POST /api/v1/payments/{payment_id}/refund → 200 (json).
 *
 * @param {string} paymentId
 * @template {boolean} [R=false]
 * @param {{idempotencyKey?: string, body?: Operations["refund"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["refund"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function refund(paymentId, args = {}) {
  return call(`/api/v1/payments/${enc(paymentId)}/refund`, { method: "POST", response: "json", headers: {"Idempotency-Key": "idempotencyKey"}, idempotent: true, body: "optional" }, args);
}

/**
 * Events the payment service parked after failing: GET /api/v1/admin/dead-letters/payment → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listPaymentDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listPaymentDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/payment`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/payment/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayPaymentDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayPaymentDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/payment/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * My Notifications: GET /api/v1/notifications → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{unread?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["myNotifications"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function myNotifications(args = {}) {
  return call(`/api/v1/notifications`, { method: "GET", response: "json", query: ["unread", "limit", "offset"] }, args);
}

/**
 * Mark Read: POST /api/v1/notifications/read → 200 (json).
 *
 * Mark every unread notification of mine read.
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["markRead"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function markRead(args = {}) {
  return call(`/api/v1/notifications/read`, { method: "POST", response: "json" }, args);
}

/**
 * Unread Count: GET /api/v1/notifications/unread → 200 (json).
 *
 * How many of my notifications are unread (the bell). New ones are also pushed on
 * `GET /api/v1/live` as `notification` events carrying this count.
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["unreadCount"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function unreadCount(args = {}) {
  return call(`/api/v1/notifications/unread`, { method: "GET", response: "json" }, args);
}

/**
 * Mark One Read: POST /api/v1/notifications/{notification_id}/read → 200 (json).
 *
 * Mark one notification of mine read (0 if it was read, or is not mine).
 *
 * @param {string} notificationId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["markOneRead"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function markOneRead(notificationId, args = {}) {
  return call(`/api/v1/notifications/${enc(notificationId)}/read`, { method: "POST", response: "json" }, args);
}

/**
 * My Preferences: GET /api/v1/users/me/notification-preferences → 200 (json).
 *
 * What I am told of, by kind and channel (email, SMS, in-app).
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["myPreferences"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function myPreferences(args = {}) {
  return call(`/api/v1/users/me/notification-preferences`, { method: "GET", response: "json" }, args);
}

/**
 * Change Preferences: PATCH /api/v1/users/me/notification-preferences → 200 (json).
 *
 * Turn channels on or off per kind: `{"show_changed": {"email": false}}`. A
 * transactional mail (tickets, refunds, failed or cancelled bookings) stays on: 422
 * `locked-preference`; an unknown kind: 422 `unknown-kind`.
 *
 * @template {boolean} [R=false]
 * @param {{body: Operations["changePreferences"]["requestBody"]["content"]["application/json"], raw?: R, signal?: AbortSignal}} args
 * @returns {Promise<Answer<Operations["changePreferences"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function changePreferences(args) {
  return call(`/api/v1/users/me/notification-preferences`, { method: "PATCH", response: "json", body: "required" }, args);
}

/**
 * Sms Status: POST /api/v1/sms/status → 204 (none).
 *
 * The SMS provider's delivery report (form-encoded MessageSid, MessageStatus, ErrorCode),
 * signed in X-Twilio-Signature; a failed or undelivered text makes its delivery failed.
 *
 * @template {boolean} [R=false]
 * @param {{ref?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<null, R>>}
 */
export function smsStatus(args = {}) {
  return call(`/api/v1/sms/status`, { method: "POST", response: "none", query: ["ref"] }, args);
}

/**
 * Deliveries: GET /api/v1/admin/deliveries → 200 (json).
 *
 * Mail deliveries, newest first; `state=dead` lists the ones that gave up.
 *
 * @template {boolean} [R=false]
 * @param {{state?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["deliveries"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function deliveries(args = {}) {
  return call(`/api/v1/admin/deliveries`, { method: "GET", response: "json", query: ["state", "limit", "offset"] }, args);
}

/**
 * Retry Delivery: POST /api/v1/admin/deliveries/{delivery_id}/retry → 200 (json).
 *
 * Send a failed or dead mail again, from its first attempt.
 *
 * @param {string} deliveryId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["retryDelivery"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function retryDelivery(deliveryId, args = {}) {
  return call(`/api/v1/admin/deliveries/${enc(deliveryId)}/retry`, { method: "POST", response: "json" }, args);
}

/**
 * Inbox: GET /api/v1/admin/dev-inbox → 200 (json).
 *
 * The mail the development sink received, newest first (only where `boxoffice up`
 * runs the sink: no BOXOFFICE_SMTP_URL).
 *
 * @template {boolean} [R=false]
 * @param {{to?: any, limit?: any, offset?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["inbox"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function inbox(args = {}) {
  return call(`/api/v1/admin/dev-inbox`, { method: "GET", response: "json", query: ["to", "limit", "offset"] }, args);
}

/**
 * Inbox Mail: GET /api/v1/admin/dev-inbox/{mail_id} → 200 (json).
 *
 * @param {string} mailId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["inboxMail"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function inboxMail(mailId, args = {}) {
  return call(`/api/v1/admin/dev-inbox/${enc(mailId)}`, { method: "GET", response: "json" }, args);
}

/**
 * Inbox Mail Html: GET /api/v1/admin/dev-inbox/{mail_id}/html → 200 (text).
 *
 * The signed link of a mail's `html_url` (no Authorization: a frame cannot send one).
 *
 * @param {string} mailId
 * @template {boolean} [R=false]
 * @param {{expires?: any, signature?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<string, R>>}
 */
export function inboxMailHtml(mailId, args = {}) {
  return call(`/api/v1/admin/dev-inbox/${enc(mailId)}/html`, { method: "GET", response: "text", query: ["expires", "signature"] }, args);
}

/**
 * Inbox Attachment: GET /api/v1/admin/dev-inbox/{mail_id}/attachments/{index} → 200 (text).
 *
 * @param {string} mailId
 * @param {string} index
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<string, R>>}
 */
export function inboxAttachment(mailId, index, args = {}) {
  return call(`/api/v1/admin/dev-inbox/${enc(mailId)}/attachments/${enc(index)}`, { method: "GET", response: "text" }, args);
}

/**
 * Events the notification service parked after failing: GET /api/v1/admin/dead-letters/notification → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{include_replayed?: any, limit?: any, raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["listNotificationDeadLetters"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function listNotificationDeadLetters(args = {}) {
  return call(`/api/v1/admin/dead-letters/notification`, { method: "GET", response: "json", query: ["include_replayed", "limit"] }, args);
}

/**
 * Run a parked event through its consumer again: POST /api/v1/admin/dead-letters/notification/{dead_letter_id}/replay → 200 (json).
 *
 * @param {string} deadLetterId
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["replayNotificationDeadLetter"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function replayNotificationDeadLetter(deadLetterId, args = {}) {
  return call(`/api/v1/admin/dead-letters/notification/${enc(deadLetterId)}/replay`, { method: "POST", response: "json" }, args);
}

/**
 * Live: GET /health/live → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["live"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function live(args = {}) {
  return call(`/health/live`, { method: "GET", response: "json" }, args);
}

/**
 * Ready: GET /health/ready → 200 (json).
 *
 * @template {boolean} [R=false]
 * @param {{raw?: R, signal?: AbortSignal}} [args]
 * @returns {Promise<Answer<Operations["ready"]["responses"]["200"]["content"]["application/json"], R>>}
 */
export function ready(args = {}) {
  return call(`/health/ready`, { method: "GET", response: "json" }, args);
}

/** Every operation by name, for tooling and tests. */
export const operations = Object.freeze({
  register,
  login,
  refresh,
  passwordReset,
  passwordResetConfirm,
  verifyEmail,
  changeEmail,
  confirmEmailChange,
  logout,
  me,
  changeMe,
  changePassword,
  listUsers,
  createUser,
  getUser,
  setRoles,
  listIdentityDeadLetters,
  replayIdentityDeadLetter,
  listVenues,
  createVenue,
  getVenue,
  createHall,
  getHall,
  listEvents,
  createEvent,
  getEvent,
  browseShows,
  createShow,
  getShow,
  updateShow,
  publishShow,
  cancelShow,
  listCatalogDeadLetters,
  replayCatalogDeadLetter,
  seatMap,
  seatStream,
  placeHold,
  getHold,
  releaseHold,
  getWaitingRoom,
  putWaitingRoom,
  deleteWaitingRoom,
  queueChallenge,
  joinQueue,
  queueStream,
  queueStatus,
  joinWaitlist,
  myWaitlistPlace,
  leaveWaitlist,
  listInventoryDeadLetters,
  replayInventoryDeadLetter,
  liveChannel,
  listBookings,
  createBooking,
  getBooking,
  cancelBooking,
  myTickets,
  ticketQr,
  showSales,
  stuckSagas,
  failSaga,
  listBookingDeadLetters,
  replayBookingDeadLetter,
  getPayment,
  bookingPayment,
  refund,
  listPaymentDeadLetters,
  replayPaymentDeadLetter,
  myNotifications,
  markRead,
  unreadCount,
  markOneRead,
  myPreferences,
  changePreferences,
  smsStatus,
  deliveries,
  retryDelivery,
  inbox,
  inboxMail,
  inboxMailHtml,
  inboxAttachment,
  listNotificationDeadLetters,
  replayNotificationDeadLetter,
  live,
  ready,
});
