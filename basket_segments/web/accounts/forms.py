"""The account pages' forms, with Flask-WTF's CSRF tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from basket_segments.web.accounts.models import User, db, username_key
from basket_segments.web.accounts.passwords import password_problem

USERNAME_RULE = r"^[A-Za-z0-9_.@-]+$"
TAKEN = "That username is taken; choose another."


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Keep me logged in")


class SignupForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            InputRequired(),
            Length(3, 80),
            Regexp(USERNAME_RULE, message="Use letters, digits and . _ @ - only."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            InputRequired(),
            EqualTo("password", message="The two passwords differ."),
        ],
    )

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.username.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_username(self, field: StringField) -> None:
        if db.session.scalar(sa.select(User).filter_by(username_key=username_key(field.data))):
            raise ValidationError(TAKEN)


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired()])
    password = PasswordField("New password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired(),
            EqualTo("password", message="The two passwords differ."),
        ],
    )

    def validate_current(self, field: PasswordField) -> None:
        if not check_password_hash(current_user.password_hash, field.data or ""):
            raise ValidationError("That is not your current password.")

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", current_user.username)
        if problem:
            raise ValidationError(problem)
