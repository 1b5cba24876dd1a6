#!/usr/bin/env python3
"""A small OpenID Connect provider for the functional tests (loopback only).

Serves HTTPS on 127.0.0.1 with a self-signed certificate generated at start-up (written to
--dir as cert.pem, which the test hands to `samverka serve --oidc-ca-file`), and real keys
generated at start-up (RSA 2048 and P-256), so every signature the server verifies is real.

Endpoints:
  GET  /.well-known/openid-configuration   discovery
  GET  /jwks                               published public keys
  GET  /authorize                          auto-approves the configured user: 302 back to
                                           redirect_uri with code and state
  POST /token                              client_secret_basic, single-use code, redirect_uri
                                           and PKCE (S256) checked; answers with an ID token
  POST /control                            the test's knobs (JSON object, see control())
  GET  /control/stats                      request counters

Prints "ready PORT" on stdout once it listens. Stops on SIGTERM or when stdin closes.
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

LOCK = threading.Lock()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key(alg):
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(entry):
    pub = entry["key"].public_key()
    if entry["alg"] == "ES256":
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(pub))
    else:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
    jwk.update({"kid": entry["kid"], "alg": entry["alg"], "use": "sig"})
    return jwk


def make_certificate(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "samverka test idp")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


DEFAULT_MODE = {
    "sign": "normal",  # normal | wrong_key | unpublished_kid | none | hs256
    "aud": None,  # replaces aud (string or list)
    "azp": None,
    "iss": None,  # replaces iss
    "exp_offset": 300,
    "iat_offset": 0,
    "nonce": None,  # replaces the nonce
    "down": False,  # every endpoint but /control answers 503
    "deny": False,  # /authorize answers error=access_denied
    # RFC 9207: "none" (not promised in discovery, not sent: as Entra ID), "issuer" (promised and
    # sent), "omit" (promised, not sent), or another URL (promised, that URL sent)
    "iss_param": "none",
}


class State:
    def __init__(self, clients):
        self.clients = clients  # client_id -> secret
        self.keys = []
        self.active = None
        self.user = {"sub": "sub-anna", "email": "anna@eksjo.se"}
        self.mode = dict(DEFAULT_MODE)
        self.codes = {}
        self.stats = {"discovery": 0, "jwks": 0, "authorize": 0, "token": 0}
        self.add_key("RS256")

    def add_key(self, alg, replace=True):
        entry = {"kid": "k-" + secrets.token_hex(6), "alg": alg, "key": new_key(alg)}
        if replace:
            self.keys = [entry]
        else:
            self.keys.append(entry)
        self.active = entry


STATE = None
ISSUER = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test prints what matters
        pass

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/control/stats":
            with LOCK:
                return self.send_json(200, dict(STATE.stats))
        with LOCK:
            down = STATE.mode["down"]
        if down:
            return self.send_json(503, {"error": "temporarily_unavailable"})
        if url.path == "/.well-known/openid-configuration":
            with LOCK:
                STATE.stats["discovery"] += 1
                iss_promised = STATE.mode["iss_param"] != "none"
            return self.send_json(
                200,
                {
                    "issuer": ISSUER,
                    "authorization_endpoint": ISSUER + "/authorize",
                    "token_endpoint": ISSUER + "/token",
                    "jwks_uri": ISSUER + "/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    "authorization_response_iss_parameter_supported": iss_promised,
                },
            )
        if url.path == "/jwks":
            with LOCK:
                STATE.stats["jwks"] += 1
                keys = [public_jwk(k) for k in STATE.keys]
            return self.send_json(200, {"keys": keys})
        if url.path == "/authorize":
            return self.authorize(urllib.parse.parse_qs(url.query))
        self.send_json(404, {"error": "not_found"})

    def authorize(self, q):
        one = lambda k: (q.get(k) or [""])[0]
        with LOCK:
            STATE.stats["authorize"] += 1
            if one("client_id") not in STATE.clients or one("response_type") != "code":
                return self.send_json(400, {"error": "invalid_request"})
            if one("code_challenge_method") != "S256" or not one("code_challenge"):
                return self.send_json(400, {"error": "invalid_request", "why": "pkce"})
            if "openid" not in one("scope").split():
                return self.send_json(400, {"error": "invalid_scope"})
            redirect_uri = one("redirect_uri")
            if not redirect_uri.startswith("http://"):
                return self.send_json(400, {"error": "invalid_request", "why": "redirect_uri"})
            sep = "&" if "?" in redirect_uri else "?"
            iss_param = STATE.mode["iss_param"]
            named = {} if iss_param in ("none", "omit") else {
                "iss": ISSUER if iss_param == "issuer" else iss_param}
            if STATE.mode["deny"]:
                params = {"error": "access_denied", "state": one("state"), **named}
                return self.redirect(redirect_uri + sep + urllib.parse.urlencode(params))
            code = secrets.token_urlsafe(24)
            STATE.codes[code] = {
                "client_id": one("client_id"),
                "redirect_uri": redirect_uri,
                "challenge": one("code_challenge"),
                "nonce": one("nonce"),
                "user": dict(STATE.user),
            }
        params = {"code": code, "state": one("state"), **named}
        self.redirect(redirect_uri + sep + urllib.parse.urlencode(params))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if url.path == "/control":
            return self.control(json.loads(body or b"{}"))
        with LOCK:
            down = STATE.mode["down"]
        if down:
            return self.send_json(503, {"error": "temporarily_unavailable"})
        if url.path == "/token":
            return self.token(urllib.parse.parse_qs(body.decode()))
        self.send_json(404, {"error": "not_found"})

    def token(self, form):
        one = lambda k: (form.get(k) or [""])[0]
        with LOCK:
            STATE.stats["token"] += 1
            auth = self.headers.get("Authorization") or ""
            if not auth.startswith("Basic "):
                return self.send_json(401, {"error": "invalid_client"})
            try:
                raw = base64.b64decode(auth[6:]).decode()
                cid, secret = (urllib.parse.unquote_plus(p) for p in raw.split(":", 1))
            except Exception:
                return self.send_json(401, {"error": "invalid_client"})
            if STATE.clients.get(cid) != secret:
                return self.send_json(401, {"error": "invalid_client"})
            if one("grant_type") != "authorization_code":
                return self.send_json(400, {"error": "unsupported_grant_type"})
            grant = STATE.codes.pop(one("code"), None)
            if not grant or grant["client_id"] != cid or grant["redirect_uri"] != one("redirect_uri"):
                return self.send_json(400, {"error": "invalid_grant"})
            verifier = one("code_verifier")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return self.send_json(400, {"error": "invalid_grant", "why": "pkce"})
            id_token = self.id_token(cid, grant)
        self.send_json(
            200,
            {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300, "id_token": id_token},
        )

    def id_token(self, cid, grant):
        m = STATE.mode
        now = int(time.time())
        claims = {
            "iss": m["iss"] or ISSUER,
            "sub": grant["user"]["sub"],
            "aud": m["aud"] if m["aud"] is not None else cid,
            "exp": now + m["exp_offset"],
            "iat": now + m["iat_offset"],
            "nonce": m["nonce"] if m["nonce"] is not None else grant["nonce"],
        }
        if m["azp"]:
            claims["azp"] = m["azp"]
        for k, v in grant["user"].items():
            if k != "sub":
                claims[k] = v
        key = STATE.active
        if m["sign"] == "none":
            header = b64url(json.dumps({"alg": "none", "kid": key["kid"]}).encode())
            return header + "." + b64url(json.dumps(claims).encode()) + "."
        if m["sign"] == "hs256":
            return jwt.encode(claims, "a-shared-secret", algorithm="HS256", headers={"kid": key["kid"]})
        kid = key["kid"]
        signer = key["key"]
        if m["sign"] == "wrong_key":
            signer = new_key(key["alg"])
        elif m["sign"] == "unpublished_kid":
            signer = new_key(key["alg"])
            kid = "k-unpublished-" + secrets.token_hex(4)
        return jwt.encode(claims, signer, algorithm=key["alg"], headers={"kid": kid})

    def control(self, req):
        with LOCK:
            if req.get("reset"):
                STATE.mode = dict(DEFAULT_MODE)
            if "user" in req:
                STATE.user = dict(req["user"])
            if req.get("rotate"):
                STATE.add_key(STATE.active["alg"])
            if "alg" in req:
                STATE.add_key(req["alg"])
            for k in DEFAULT_MODE:
                if k in req:
                    STATE.mode[k] = req[k]
            out = {"kids": [k["kid"] for k in STATE.keys], "active": STATE.active["kid"]}
        self.send_json(200, out)


def main():
    global STATE, ISSUER
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--client", action="append", default=[], help="CLIENT_ID:SECRET")
    args = ap.parse_args()
    clients = dict(c.split(":", 1) for c in args.client)
    STATE = State(clients)
    cert, key = make_certificate(args.dir)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    ISSUER = "https://127.0.0.1:%d" % port
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print("ready %d" % port, flush=True)
    # Ends when the test closes our stdin (or kills us).
    try:
        sys.stdin.read()
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
