"""Every `oauth_problem` an OAuth 1.0a server may answer with (HTTP 401, plain text), for Flickr.

Flickr's own codes exist for four of them (the contract's 96, 97, 98, 100); an expired or revoked
token keeps 98 and a rejected key 100, as earlier versions reported them (a host that re-authorises
on 98 still does). The others carry no code (null), so a host never mistakes our reading for
Flickr's word. Each says what to do next.
Retryable only where a new attempt can help: every attempt is signed afresh (new nonce and
timestamp), which cures `nonce_used`; `timestamp_refused` is not retried, because a clock that
is off stays off until the user sets it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..result import FLICKR_ADVICE

AUTH_AGAIN = "run `flickr-replace auth` again"
APP_GARDEN = "https://www.flickr.com/services/apps/"
WRITE = f"{AUTH_AGAIN} and allow 'write' access"


@dataclass(frozen=True)
class Problem:
    code: int | None
    advice: str
    retryable: bool = False


PROBLEMS: dict[str, Problem] = {
    # Flickr's codes, with the advice every error of that code carries
    **{name: Problem(code, FLICKR_ADVICE[code]) for name, code in
       (("signature_invalid", 96), ("parameter_absent", 97), ("token_rejected", 98), ("consumer_key_unknown", 100))},
    "timestamp_refused": Problem(None, "this computer's clock is off, so Flickr refused the request's time: "
                                       "set the clock right (turn on network time), then try again"),
    "nonce_used": Problem(None, "Flickr saw this request's nonce before (a replayed request); "
                                "a retry is signed afresh", retryable=True),
    "signature_method_rejected": Problem(None, "Flickr takes only HMAC-SHA1 signatures: something between "
                                               "this computer and Flickr changed the request (a proxy?)"),
    "version_rejected": Problem(None, "Flickr refused the OAuth version: something between this computer "
                                      "and Flickr changed the request (a proxy?)"),
    "parameter_rejected": Problem(None, f"Flickr refused a value of the signed request: {AUTH_AGAIN}"),
    "token_expired": Problem(98, f"the token has expired: {AUTH_AGAIN}"),
    "token_revoked": Problem(98, f"the token was revoked (the app's access was removed on flickr.com): "
                                   f"{AUTH_AGAIN}"),
    "token_used": Problem(None, f"the token was used already: {AUTH_AGAIN}"),
    "consumer_key_rejected": Problem(100, f"Flickr rejected this API key (disabled?): check it in the App "
                                           f"Garden ({APP_GARDEN}) or get a new one"),
    "consumer_key_refused": Problem(None, f"Flickr refused this API key for now (over its limits?): wait an "
                                          f"hour, then try again; the App Garden shows the key ({APP_GARDEN})"),
    "permission_denied": Problem(None, f"the token lacks the permission this needs: {WRITE}"),
    "permission_unknown": Problem(None, f"Flickr does not know the permission asked for: {WRITE}"),
    "verifier_invalid": Problem(None, f"the authorisation code was not accepted: {AUTH_AGAIN} and type "
                                      "the code the page shows"),
    "additional_authorization_required": Problem(None, f"Flickr needs more authorisation for this: {WRITE}"),
    "user_refused": Problem(None, f"access was refused on Flickr's page: {WRITE}"),
}
BARE_401 = Problem(None, f"Flickr refused the credentials without saying why: check api_key and "
                         f"api_secret, or {AUTH_AGAIN}")


def problem_of(name: str) -> Problem:
    """What an oauth_problem means; an unknown word is not retried and sends the user to `auth`."""
    if not name:
        return BARE_401
    return PROBLEMS.get(name, Problem(None, f"Flickr refused the request: {AUTH_AGAIN}"))
