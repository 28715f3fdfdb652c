"""A small OpenID Connect provider for the tests, run as its own process on 127.0.0.1.

It behaves as ProConnect does where Rebond depends on it: discovery, an authorization page
(the person types the e-mail address of the identity), the token endpoint (client secret,
single-use codes, PKCE S256 checked), userinfo as a signed JWT (``application/jwt``) or JSON,
the JWKS of its own RSA key, and the end of session. The authorization form also takes test
switches to misbehave: a wrong nonce, an expired ID token, a signature by another key, another
``acr``, a userinfo about another ``sub``.

    python tests/oidc_provider.py CLIENT_ID CLIENT_SECRET

prints ``port <n>`` once listening, and stops by itself when its standard input closes (the
test process ended) or after ``--lifetime`` seconds (600 by default).
"""

import argparse
import base64
import datetime
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "test-key-1"


class Provider:
    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = ""  # set once the port is known
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.log: list[dict] = []
        self.lock = threading.Lock()

    # --- helpers
    def sign(self, claims: dict, *, other_key: bool = False) -> str:
        return jwt.encode(claims, self.other_key if other_key else self.key, algorithm="RS256",
                          headers={"kid": KID})

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def discovery(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/session/end",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["eidas1", "eidas2"],
            "scopes_supported": ["openid", "email", "given_name", "usual_name", "siret"],
        }

    # --- endpoints
    def authorize_page(self, params: dict) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        return (
            "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Fournisseur d'identité de test</title></head><body><main>"
            "<h1>Fournisseur d'identité de test</h1>"
            f"<form method='post' action='/authorize'>{hidden}"
            "<p><label for='email'>Adresse électronique</label><br>"
            "<input id='email' name='email' type='email' required></p>"
            "<p><label for='given_name'>Prénom</label><br><input id='given_name' name='given_name' value='Agnès'></p>"
            "<p><label for='usual_name'>Nom</label><br><input id='usual_name' name='usual_name' value='Durand'></p>"
            "<p><button type='submit'>Se connecter</button></p></form></main></body></html>"
        )

    def authorize(self, form: dict):
        """The person chose an identity: a code for the client, back to its redirect_uri."""
        if form.get("client_id") != self.client_id or form.get("response_type") != "code":
            return 400, {"error": "invalid_request"}
        if form.get("code_challenge_method") != "S256" or not form.get("code_challenge"):
            return 400, {"error": "invalid_request", "error_description": "PKCE S256 required"}
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = dict(form)
            self.log.append({"event": "authorize", **{k: v for k, v in form.items() if k != "email"},
                             "email": form.get("email")})
        query = urlencode({"code": code, "state": form.get("state", "")})
        return 302, f"{form['redirect_uri']}?{query}"

    def token(self, form: dict):
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None:
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        pkce_ok = secrets.compare_digest(challenge, grant["code_challenge"])
        with self.lock:
            self.log.append({"event": "token", "pkce_ok": pkce_ok})
        if not pkce_ok:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"}
        now = int(time.time())
        sub = "sub-" + hashlib.sha256(grant["email"].lower().encode()).hexdigest()[:16]
        claims = {
            "iss": self.issuer, "aud": self.client_id, "sub": sub, "iat": now, "auth_time": now,
            "exp": now - 3600 if grant.get("expired") else now + 300,
            "nonce": "not-the-nonce" if grant.get("wrong_nonce") else grant.get("nonce"),
            "acr": grant.get("acr") or (grant.get("acr_values") or "eidas1").split()[0],
        }
        id_token = self.sign(claims, other_key=bool(grant.get("bad_signature")))
        access = secrets.token_urlsafe(24)
        with self.lock:
            self.access_tokens[access] = {**grant, "sub": sub, "id_token": id_token}
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 60, "id_token": id_token}

    def userinfo(self, authorization: str):
        grant = self.access_tokens.get(authorization.removeprefix("Bearer ").strip())
        if grant is None:
            return 401, {"error": "invalid_token"}
        claims = {
            "sub": "someone-else" if grant.get("other_sub") else grant["sub"], "email": grant["email"],
            "given_name": grant.get("given_name", ""), "usual_name": grant.get("usual_name", ""),
            "siret": "22940028800010",
        }
        if grant.get("userinfo") == "json":
            return 200, claims
        now = int(time.time())
        return 200, ("application/jwt", self.sign({**claims, "iss": self.issuer, "aud": self.client_id, "iat": now}))

    def end_session(self, query: dict):
        hint = query.get("id_token_hint", "")
        known = any(grant["id_token"] == hint for grant in self.access_tokens.values())
        with self.lock:
            self.log.append({"event": "end_session", "known_id_token": known, "state": query.get("state")})
        target = query.get("post_logout_redirect_uri")
        if not known or not target:
            return 400, {"error": "invalid_request"}
        return 302, f"{target}?{urlencode({'state': query.get('state', '')})}"

    # --- WSGI
    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        form = {}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        if path == "/.well-known/openid-configuration":
            status, body = 200, self.discovery()
        elif path == "/jwks":
            status, body = 200, self.jwks()
        elif path == "/authorize" and method == "GET":
            status, body = 200, ("text/html; charset=utf-8", self.authorize_page(query))
        elif path == "/authorize" and method == "POST":
            status, body = self.authorize(form)
        elif path == "/token" and method == "POST":
            status, body = self.token(form)
        elif path == "/userinfo":
            status, body = self.userinfo(environ.get("HTTP_AUTHORIZATION", ""))
        elif path == "/session/end":
            status, body = self.end_session(query)
        elif path == "/_log":
            with self.lock:
                status, body = 200, list(self.log)
        else:
            status, body = 404, {"error": "not_found"}
        reasons = {200: "200 OK", 302: "302 Found", 400: "400 Bad Request", 401: "401 Unauthorized",
                   404: "404 Not Found"}
        if status == 302:
            start_response(reasons[302], [("Location", body), ("Content-Length", "0")])
            return [b""]
        if isinstance(body, tuple):
            content_type, text = body
        else:
            content_type, text = "application/json", json.dumps(body)
        data = text.encode()
        start_response(reasons[status], [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("client_id")
    parser.add_argument("client_secret")
    parser.add_argument("--lifetime", type=float, default=600)
    args = parser.parse_args()
    if start := os.environ.get("REBOND_TEST_CLOCK"):  # the tests' clock, moved by CI
        import time_machine

        time_machine.travel(datetime.datetime.fromisoformat(start), tick=True).start()
    provider = Provider(args.client_id, args.client_secret)
    server = make_server("127.0.0.1", 0, provider, server_class=ThreadingServer, handler_class=QuietHandler)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port {server.server_port}", flush=True)

    def watch_stdin():
        sys.stdin.read()  # returns when the test process closes the pipe (or dies)

    watcher = threading.Thread(target=watch_stdin, daemon=True)
    watcher.start()
    watcher.join(timeout=args.lifetime)
    server.shutdown()


if __name__ == "__main__":
    main()
