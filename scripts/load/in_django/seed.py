"""The load test's data: a seller account with its users and 120 cases, another account.

Arguments: users, password, the account's name, the other account's name.
Prints who is who as JSON: the sellers' e-mails, the account's case ids, the
other account's case ids (never to be shown to a seller), the agents' e-mails.
"""

import json
import sys
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Case, CaseState, Membership, SellerAccount, new_case_id

User = get_user_model()
users, password, account_name, other_name = int(sys.argv[1]), *sys.argv[2:5]
# A throwaway database: few hash iterations, so logging in is not the load measured
# (the stored iteration count is what a login checks against).
hashed = PBKDF2PasswordHasher().encode(password, "loadtestsalt", iterations=1000)
states = [
    CaseState.OPEN,
    CaseState.PENDING_SUPPORT,
    CaseState.ANSWERED,
    CaseState.NEEDS_ATTENTION,
    CaseState.TRANSFERRED,
    CaseState.REOPENED,
]


def create_user(email, **flags):
    user = User.objects.create_user(email, None, **flags)
    user.password = hashed
    user.save(update_fields=["password"])
    return user


def account(name, emails, count):
    acc = SellerAccount.objects.create(name=name)
    for email in emails:
        Membership.objects.create(account=acc, user=create_user(email))
    now = timezone.now()
    cases = [
        Case(
            id=new_case_id(),
            account=acc,
            created_at=now - timedelta(hours=i),
            last_activity_at=now - timedelta(hours=i),
            state=states[i % len(states)],
            primary_email=emails[i % len(emails)],
            cc_list=[],
            short_description=f"{name} case {i} refund order {1000 + i}",
        )
        for i in range(count)
    ]
    Case.objects.bulk_create(cases)
    return [c.id for c in cases]


emails = [f"load{i}@load.example" for i in range(users)]
mine = account(account_name, emails, 120)
foreign = account(other_name, ["other@load.example"], 30)
agents = [f"agent{i}@support.example" for i in range(2)]
for email in agents:
    create_user(email, is_staff=True).groups.add(Group.objects.get(name="Support agents"))
print(json.dumps({"emails": emails, "cases": mine, "foreign": foreign, "agents": agents}))
