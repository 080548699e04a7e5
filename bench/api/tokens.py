"""Print one API token per line for the members of every bureau and town.

The same service function as `flask --app portal users token USERNAME`, called for
101 users in one process: the CLI would start the app 101 times (seconds each).
Spreading the load over 101 agencies keeps each one's quota lock (a row lock per
limiting agency) from becoming the bottleneck, as in a real district.

Usage (JIYUN_* settings from the environment): python bench/api/tokens.py
"""

from sqlalchemy import select

from portal import create_app
from portal.accounts.models import User
from portal.accounts.service import create_api_token
from portal.extensions import db

MEMBERS = [f"b{n:02d}.member" for n in range(1, 73)] + [f"t{n:02d}.member" for n in range(1, 30)]


def main():
    app = create_app()
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username.in_(MEMBERS))).all()
        if len(users) != len(MEMBERS):
            raise SystemExit(f"expected {len(MEMBERS)} demo members, found {len(users)}")
        tokens = [create_api_token(db.session, user, "bench-api")[1] for user in users]
        db.session.commit()
    print("\n".join(tokens))


if __name__ == "__main__":
    main()
