"""Which new passwords are accepted (NIST SP 800-63B, 5.1.1.2), and equal-time checks.

A new password needs ``MIN_PASSWORD_LENGTH`` characters and must not be easy to
guess: not a common password, not repetitive or sequential, not the username.
zxcvbn judges it against its frequency lists of common passwords, words and
names, with the username and the product's name as context.
"""

from __future__ import annotations

import functools
import secrets

from flask import current_app
from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from basket_segments.settings import setting
from basket_segments.web.accounts.models import username_key

#: Longest password accepted; NIST SP 800-63B asks to allow at least 64 characters.
MAX_PASSWORD_LENGTH = 256
#: Lowest zxcvbn score of a new password: 2 is "about a million guesses or more", out of
#: reach of throttled online guessing, while passphrases of a few common words pass.
MIN_PASSWORD_SCORE = 2
#: zxcvbn refuses longer input; a longer password is judged by its start.
ZXCVBN_LENGTH = 72
#: Words of this site that a password should not lean on.
SITE_WORDS = ("basket", "segments", "basketsegments")


@functools.cache
def dummy_hash() -> str:
    """A hash checked when the username is unknown, so that answer takes as long."""
    return generate_password_hash(secrets.token_hex(16))


def password_problem(password: str, username: str) -> str | None:
    """Why ``username`` may not use ``password`` (NIST SP 800-63B, 5.1.1.2), or None."""
    minimum = setting(current_app.config, "MIN_PASSWORD_LENGTH")
    if len(password) < minimum:
        return f"Use at least {minimum} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if username and username_key(password) == username_key(username):
        return "Do not use your username as your password."
    strength = zxcvbn(password[:ZXCVBN_LENGTH], user_inputs=[username or "", *SITE_WORDS])
    if strength["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = strength["feedback"]
    advice = [feedback["warning"], *feedback["suggestions"]]
    return " ".join(["This password is too easy to guess.", *filter(None, advice)])
