"""`lifelong token`: create, list and revoke a user's API tokens."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from lifelong.accounts.models import ApiToken, User
from lifelong.accounts.services import create_token, revoke_token


class Command(BaseCommand):
    help = "Manage API tokens: `token create NAME`, `token list NAME`, `token revoke NAME TOKEN`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="Print a new token for a user (shown only once).")
        create.add_argument("username")
        create.add_argument("--name", default="CLI token", help="What the token is for.")
        listing = sub.add_parser("list", help="A user's tokens, newest first.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token, by its hint or its id.")
        revoke.add_argument("username")
        revoke.add_argument("token", help="The hint shown by `token list` (ll_…), or the id.")

    def handle(self, *args, action: str, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}.")
        if action == "create":
            _, raw = create_token(user, options["name"])
            # The raw token alone on stdout, so scripts can capture it; the note goes to stderr.
            self.stdout.write(raw)
            self.stderr.write("Keep it safe: it cannot be shown again.")
        elif action == "list":
            self._list(user)
        else:
            self._revoke(user, options["token"])

    def _list(self, user: User) -> None:
        tokens = list(user.tokens.all())
        if not tokens:
            self.stdout.write(f"{user.username} has no API tokens.")
        for t in tokens:
            state = "active" if t.is_active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M}"
            used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            self.stdout.write(
                f"{t.pk}\t{t.hint}…\t{t.name}\tcreated {t.created_at:%Y-%m-%d}\t{used}\t{state}"
            )

    def _revoke(self, user: User, key: str) -> None:
        key = key.rstrip("…").strip()
        match = Q(hint=key) | Q(hint__startswith=key) if len(key) >= 6 else Q(pk__in=[])
        if key.isdigit():
            match |= Q(pk=int(key))
        tokens = list(ApiToken.objects.filter(match, user=user))
        if not tokens:
            raise CommandError(f"{user.username} has no token {key!r}; see `token list`.")
        if len(tokens) > 1:
            raise CommandError(f"{key!r} matches {len(tokens)} tokens; give the id instead.")
        revoke_token(tokens[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {tokens[0]}."))
