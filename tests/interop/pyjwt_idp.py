"""An identity provider written with PyJWT, for the remote-keys tests.

Generates an RSA and an EC key, serves their JWK Set over HTTP on a loopback
port (Python's own http.server, in this separate process), and prints one
JSON line: the set's URL, the issuer, and tokens signed by PyJWT. Runs until
its standard input closes.
"""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
unpublished = ec.generate_private_key(ec.SECP256R1())

rsa_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
rsa_jwk.update(kid="py-rsa", alg="RS256", use="sig")
ec_jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
# No `alg`: the curve alone says ES256.
ec_jwk.update(kid="py-ec", use="sig")
# An encryption key beside them, which must be skipped.
enc_jwk = dict(rsa_jwk, kid="py-enc", use="enc", alg="RSA-OAEP-256")
jwks = json.dumps({"keys": [enc_jwk, rsa_jwk, ec_jwk]}).encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/jwks.json":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "public, max-age=300")
        self.send_header("Content-Length", str(len(jwks)))
        self.end_headers()
        self.wfile.write(jwks)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
issuer = f"{base}/realms/py"


def sign(key, alg, kid, **extra):
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "py-user",
        "user_id": "py-user",
        "token_type": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
    }
    claims.update(extra)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


print(
    json.dumps(
        {
            "jwks_url": f"{base}/jwks.json",
            "issuer": issuer,
            "rs256": sign(rsa_key, "RS256", "py-rsa"),
            "es256": sign(ec_key, "ES256", "py-ec"),
            "expired": sign(rsa_key, "RS256", "py-rsa", exp=int(time.time()) - 10),
            "other_issuer": sign(rsa_key, "RS256", "py-rsa", iss="https://other.example"),
            "unpublished": sign(unpublished, "ES256", "py-unpublished"),
            "wrong_alg": sign(rsa_key, "PS256", "py-rsa"),
        }
    ),
    flush=True,
)
sys.stdin.read()
