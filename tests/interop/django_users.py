"""A Django project's user table, made by Django itself, for tests/django_interop.rs.

    django_users.py sqlite <path>             migrate django.contrib.auth into a SQLite file
    django_users.py postgres <url> <schema>   the same in a PostgreSQL schema
followed by commands on stdin, one per line, answered with one line each:
    create <username> <password> <active 0|1>   prints the new user's id
    password <username> <new password>          set_password + save; prints the new hash
    hash <username>                             prints the stored hash
    deactivate <username>                       prints ok
    check <username> <password>                 prints true or false (Django's check_password)
    last_login <username>                       prints the user's last_login
and Simple JWT's own code, with the blacklist app, ROTATE_REFRESH_TOKENS and
BLACKLIST_AFTER_ROTATION, signing with $SIMPLEJWT_SECRET:
    obtain <username> <password>                prints the pair as JSON
    refresh <refresh token>                     prints the new tokens as JSON, or "error <detail>"
    blacklist <refresh token>                   prints ok, or "error <detail>"
    verify <refresh token>                      prints valid, or "error <detail>"
"""
import json
import sys

import django

from django_settings import configure

configure(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

if sys.argv[1] == "postgres":
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {sys.argv[3]}")
call_command("migrate", verbosity=0)
print("ready", flush=True)

for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    command, args = words[0], words[1:]
    if command == "create":
        user = User.objects.create_user(args[0], password=args[1], is_active=args[2] == "1")
        print(user.id, flush=True)
    elif command == "password":
        user = User.objects.get(username=args[0])
        user.set_password(args[1])
        user.save()
        print(user.password, flush=True)
    elif command == "hash":
        print(User.objects.get(username=args[0]).password, flush=True)
    elif command == "deactivate":
        User.objects.filter(username=args[0]).update(is_active=False)
        print("ok", flush=True)
    elif command == "check":
        user = User.objects.get(username=args[0])
        print("true" if user.check_password(args[1]) else "false", flush=True)
    elif command == "last_login":
        print(User.objects.get(username=args[0]).last_login, flush=True)
    elif command in ("obtain", "refresh", "blacklist", "verify"):
        from rest_framework.exceptions import ValidationError
        from rest_framework_simplejwt.exceptions import TokenError
        from rest_framework_simplejwt.serializers import (
            TokenObtainPairSerializer,
            TokenRefreshSerializer,
        )
        from rest_framework_simplejwt.tokens import RefreshToken

        try:
            if command == "obtain":
                s = TokenObtainPairSerializer(data={"username": args[0], "password": args[1]})
                s.is_valid(raise_exception=True)
                print(json.dumps(s.validated_data), flush=True)
            elif command == "refresh":
                s = TokenRefreshSerializer(data={"refresh": args[0]})
                s.is_valid(raise_exception=True)
                print(json.dumps(s.validated_data), flush=True)
            elif command == "blacklist":
                RefreshToken(args[0]).blacklist()
                print("ok", flush=True)
            else:
                RefreshToken(args[0])
                print("valid", flush=True)
        except (TokenError, ValidationError, Exception) as e:  # noqa: BLE001
            print("error", str(e).replace("\n", " "), flush=True)
