"""Django's own hashers, driven from the command line for tests/django_interop.rs.

    django_hashes.py make <password>     one hash per hasher, as JSON lines
    django_hashes.py check <password> <encoded>   prints true or false
    django_hashes.py revoke <encoded>    Simple JWT's revoke claim for the hash
"""
import json
import sys

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ],
    INSTALLED_APPS=[],
    SECRET_KEY="interop",
    REST_FRAMEWORK={},
)
django.setup()

from django.contrib.auth.hashers import check_password, get_hasher, make_password  # noqa: E402

command = sys.argv[1]
if command == "make":
    password = sys.argv[2]
    for name in [
        "pbkdf2_sha256",
        "pbkdf2_sha1",
        "argon2",
        "bcrypt_sha256",
        "bcrypt",
        "scrypt",
        "md5",
    ]:
        print(json.dumps({"hasher": name, "encoded": make_password(password, hasher=name)}))
    print(json.dumps({"hasher": "unusable", "encoded": make_password(None)}))
elif command == "check":
    print("true" if check_password(sys.argv[2], sys.argv[3]) else "false")
elif command == "revoke":
    from rest_framework_simplejwt.utils import get_md5_hash_password

    print(get_md5_hash_password(sys.argv[2]))
