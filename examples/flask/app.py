"""A Flask app with its own users and sign-in, embedding Qlik with
``qlik_jwt.integrations.flask`` (``pip install qlik-jwt[flask]``).

Run it against the demo's emulated tenant (README, "Drop-in integrations")::

    qlik-jwt demo --app-origin http://localhost:8002       # terminal 1
    set -a; . .qlik-jwt/demo/host-app.env; set +a          # terminal 2
    python examples/flask/app.py                           # open http://localhost:8002

Users live in memory here; yours live in your database. The session is Flask's own
(a signed cookie); set ``FLASK_SECRET_KEY`` to keep sign-ins across restarts.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, make_response, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash, generate_password_hash

from qlik_jwt import Settings, UserClaims
from qlik_jwt.integrations.flask import QlikEmbedding
from qlik_jwt.web import DEMO_USERS

PORT = int(os.environ.get("PORT", "8002"))
# The host's users (yours live in a database): password hashes and who each person is.
PASSWORDS = {u.username: generate_password_hash(u.password) for u in DEMO_USERS}
PEOPLE = {u.username: u for u in DEMO_USERS}


def csrf_token() -> str:
    """The host's CSRF token for this session, made on first use."""
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(32)
    return str(session["csrf_token"])


def check_form_csrf() -> None:
    """The host's own forms: same origin and the session's token in a hidden field."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        abort(403)
    given = request.form.get("csrf_token", "")
    if not hmac.compare_digest(given.encode(), csrf_token().encode()):
        abort(403)


def create_app(settings: Settings, *, secret_key: str | None = None, **qlik_options: Any) -> Flask:
    """The host app; ``qlik_options`` go to :class:`QlikEmbedding` (signer, clocks)."""
    app = Flask(__name__, root_path=str(Path(__file__).parent))
    app.secret_key = secret_key or os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")

    def identify() -> UserClaims | None:
        """The one function qlik-jwt needs: the signed-in user as Qlik should see them."""
        person = PEOPLE.get(session.get("username", ""))
        if person is None:
            return None
        return UserClaims(
            sub=f"demo|{person.username}",  # stable for the person: Qlik finds users by it
            name=person.name,
            email=person.email,
            email_verified=person.email_verified,  # only what your app has verified
            groups=person.groups,
        )

    qlik = QlikEmbedding(settings, identify=identify, csrf_token=csrf_token, **qlik_options)
    app.register_blueprint(qlik.blueprint)
    app.add_template_global(csrf_token)

    def no_store(body: str, status: int = 200) -> Response:
        response = make_response(body, status)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def analytics() -> ResponseReturnValue:
        fragment = qlik.fragment()  # None: nobody signed in
        if fragment is None:
            return redirect("/sign-in", 303)
        return no_store(render_template("page.html", qlik=fragment, username=session["username"]))

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> ResponseReturnValue:
        if request.method == "GET":
            return no_store(render_template("sign_in.html", problem=""))
        check_form_csrf()
        username = request.form.get("username", "")
        stored = PASSWORDS.get(username)
        if stored is None or not check_password_hash(stored, request.form.get("password", "")):
            problem = "Unknown user name or wrong password."
            return no_store(render_template("sign_in.html", problem=problem), 401)
        session.clear()  # a new session (and CSRF token) at sign-in
        session["username"] = username
        return redirect("/", 303)

    @app.post("/sign-out")
    def sign_out() -> ResponseReturnValue:
        check_form_csrf()
        session.clear()
        return redirect("/sign-in", 303)

    return app


if __name__ == "__main__":
    create_app(Settings.load()).run(host="127.0.0.1", port=PORT)
