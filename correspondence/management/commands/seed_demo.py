"""Demo data for development: two seller accounts, their users, support staff and
a few hundred cases in every state and age, with messages and attachments.

Idempotent: users and accounts are looked up before they are created, and an
account that already has cases gets no more. Development only: the passwords
are public.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import (
    WAITING_ON_SELLER,
    Case,
    CaseHistory,
    CaseState,
    CaseView,
    Membership,
    SellerAccount,
    SupportTeam,
    Turn,
    new_case_id,
)
from correspondence.models import Attachment, Message, SavedReply, attachment_path, new_token
from correspondence.services import search_index_rebuild

SELLER_PASSWORD = "demo-seller-pass"
AGENT_PASSWORD = "demo-agent-pass"
ADMIN_PASSWORD = "demo-admin-pass"

ACCOUNTS = {
    "Demo Shop": (["seller@example.com", "colleague@example.com"], 320),
    "Other Store": (["other@example.com", "other-colleague@example.com"], 60),
}
# Our own teams: their names are in the catalogue, so the case page shows them in
# the reader's language (a team an operator adds shows as it was typed).
TEAMS = [
    gettext_noop("Seller Support"),
    gettext_noop("Payments"),
    gettext_noop("Listings & Catalogue"),
    gettext_noop("Fulfilment by Marketplace"),
]

SUBJECTS = [
    "Refund not received for order 402-{n}",
    "Problème de remboursement — commande {n}",
    "Listing suppressed: missing safety information (ASIN B0{n})",
    "Paiement non reçu depuis le {n} du mois",
    "Erreur lors du téléversement du fichier d'inventaire",
    "Inventory file rejected: column “prix” not recognised",
    "Account health: late shipment rate above target",
    "Demande de dérogation pour la catégorie Épicerie",
    "Buy Box lost after price change",
    "Customer says package was never delivered ({n})",
    "Facture de frais de stockage incorrecte",
    "Brand registry: trademark číslo {n} not found",
    "Return label not generated for order 171-{n}",
    "Réclamation A à Z : garantie refusée à tort",
    "Shipment FBA{n} received with missing units",
    "Modification de l'adresse de l'entrepôt",
    "+33 phone number shown on listing by mistake",
    "=Invoice total differs from settlement report",
]
SELLER_LINES = [
    "Hello, could you please look into this? I have attached the details.",
    "Bonjour, pouvez-vous vérifier ce problème ? Merci d'avance.",
    "This has been blocking our sales for three days.",
    "Merci pour votre retour, voici les informations demandées.",
]
SUPPORT_LINES = [
    "Thank you for contacting Seller Support. We have reviewed your case.",
    "Nous avons transmis votre demande à l'équipe concernée.",
    "Please send us the invoice for the affected units so we can continue.",
    "The issue has been corrected; changes may take 24 hours to appear.",
]
# Agents' internal notes: on some cases, never shown to sellers.
NOTE_LINES = [
    "Checked the payout ledger: the transfer left on our side, waiting on the bank.",
    "Vendeur déjà relancé par téléphone, il renvoie la facture demain.",
    "Same pattern as last month's listing suppression; asked Listings to confirm.",
]
STATE_WEIGHTS = {
    CaseState.OPEN: 10,
    CaseState.PENDING_SUPPORT: 14,
    CaseState.NEEDS_ATTENTION: 10,
    CaseState.ANSWERED: 14,
    CaseState.TRANSFERRED: 6,
    CaseState.REOPENED: 4,
    CaseState.RESOLVED: 42,
}

# Saved replies agents start from (title, English, French), placeholders included.
SAVED_REPLIES = [
    (
        "Greeting and case ID",
        "Hello,\n\nThank you for contacting Seller Support about case {case_id}.\n\n"
        "Best regards,\n{agent_name}",
        "Bonjour,\n\nMerci d'avoir contacté le Support vendeur au sujet du dossier "
        "{case_id}.\n\nCordialement,\n{agent_name}",
    ),
    (
        "Ask for the invoice",
        "Please send us the invoice for the affected units so we can continue.",
        "Merci de nous envoyer la facture des unités concernées pour que nous puissions "
        "poursuivre.",
    ),
    (
        "Refund issued",
        "The refund has been issued; it reaches {seller_email}'s account within 5 business days.",
        "Le remboursement a été effectué ; il arrivera sur le compte de {seller_email} sous "
        "5 jours ouvrés.",
    ),
]

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273fd80000000049454e44ae426082"
)
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
FILES = [
    ("facture-été.pdf", TINY_PDF, "application/pdf"),
    ("screenshot.png", TINY_PNG, "image/png"),
    ("inventory.csv", "sku,prix,quantité\nA-1,12.50,3\n".encode(), "text/csv"),
    ("notes.txt", b"Order numbers: 402-1234567-1234567\n", "text/plain"),
]


class Command(BaseCommand):
    help = "Create demo accounts, users and a few hundred cases (idempotent, development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=20261127)

    def handle(self, *args, **options) -> None:
        rng = random.Random(options["seed"])
        with transaction.atomic():
            agent, users = self._people()
            teams = [SupportTeam.objects.get_or_create(name=name)[0] for name in TEAMS]
            for title, body_en, body_fr in SAVED_REPLIES:
                SavedReply.objects.get_or_create(
                    title=title, defaults={"body_en": body_en, "body_fr": body_fr}
                )
            created = 0
            for name, (emails, count) in ACCOUNTS.items():
                account, _new = SellerAccount.objects.get_or_create(name=name)
                joined = timezone.now() - timedelta(days=500)  # before every demo case
                for email in emails:
                    Membership.objects.get_or_create(
                        account=account, user=users[email], defaults={"added_at": joined}
                    )
                if not account.cases.exists():
                    members = [users[e] for e in emails]
                    created += self._cases(rng, account, members, agent, teams, count)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new cases)."))
        self.stdout.write(
            "Demo logins (development only):\n"
            f"  seller@example.com     / {SELLER_PASSWORD}  (Demo Shop)\n"
            f"  colleague@example.com  / {SELLER_PASSWORD}  (Demo Shop)\n"
            f"  other@example.com      / {SELLER_PASSWORD}  (Other Store)\n"
            f"  agent@example.com      / {AGENT_PASSWORD}   (support agent, /admin/)\n"
            f"  admin@example.com      / {ADMIN_PASSWORD}   (superuser, /admin/)"
        )

    def _people(self):
        User = get_user_model()
        users = {}
        for emails, _count in ACCOUNTS.values():
            for email in emails:
                users[email] = self._user(User, email, SELLER_PASSWORD)
        agent = self._user(User, "agent@example.com", AGENT_PASSWORD, is_staff=True)
        self._user(User, "admin@example.com", ADMIN_PASSWORD, is_staff=True, is_superuser=True)
        group = Group.objects.filter(name="Support agents").first()
        if group is not None:
            agent.groups.add(group)
        return agent, users

    @staticmethod
    def _user(User, email: str, password: str, **flags):
        user, created = User.objects.get_or_create(email=email, defaults=flags)
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def _cases(self, rng, account, members, agent, teams, count) -> int:
        now = timezone.now()
        states = list(STATE_WEIGHTS)
        weights = list(STATE_WEIGHTS.values())
        cases, messages, history, views = [], [], [], []
        clock = timedelta(days=settings.CASELOG_AUTO_RESOLVE_AFTER_DAYS)
        used_ids = set(Case.objects.values_list("id", flat=True))
        for _i in range(count):
            case_id = new_case_id()
            while case_id in used_ids:
                case_id = new_case_id()
            used_ids.add(case_id)
            state = rng.choices(states, weights)[0]
            # Recent cases are the busy ones; resolved ones spread over a year.
            age_days = rng.uniform(0, 20) if state != CaseState.RESOLVED else rng.uniform(1, 400)
            created = now - timedelta(days=age_days, minutes=rng.randint(0, 1440))
            owner = rng.choice(members)
            subject = rng.choice(SUBJECTS).format(n=rng.randint(1000000, 9999999))
            case = Case(
                id=case_id,
                account=account,
                created_at=created,
                state=state,
                primary_email=owner.email,
                cc_list=[m.email for m in members if m != owner and rng.random() < 0.3],
                short_description=subject,
                last_activity_at=created,
                opened_by=owner,
            )
            steps = self._story(state)
            when = created
            for index, (direction, new_state) in enumerate(steps):
                if index:
                    when = min(now, when + timedelta(hours=rng.uniform(1, 60)))
                if direction == Message.Direction.FROM_SUPPORT:
                    case.support_activity_at = when
                author = agent if direction == Message.Direction.FROM_SUPPORT else owner
                lines = SUPPORT_LINES if author == agent else SELLER_LINES
                messages.append(
                    Message(
                        case=case,
                        author=author,
                        direction=direction,
                        subject=subject if index == 0 else f"RE: {subject}",
                        body=rng.choice(lines) + "\n\n" + rng.choice(lines),
                        sent_at=when,
                        recipients=[case.primary_email, *case.cc_list],
                    )
                )
                history.append(
                    CaseHistory(
                        case=case,
                        actor=author,
                        changed_at=when,
                        field=CaseHistory.Field.STATE,
                        old_value=steps[index - 1][1] if index else "",
                        new_value=new_state,
                    )
                )
            if state.turn == Turn.SUPPORT and len(steps) > 1 and rng.random() < 0.5:
                # The agent who answered it before handles it again.
                case.assignee = agent
                history.append(
                    CaseHistory(
                        case=case,
                        actor=agent,
                        changed_at=when,
                        field=CaseHistory.Field.ASSIGNEE,
                        old_value="",
                        new_value=agent.email,
                    )
                )
            if rng.random() < 0.15:
                messages.append(
                    Message(
                        case=case,
                        author=agent,
                        direction=Message.Direction.NOTE,
                        body=rng.choice(NOTE_LINES),
                        sent_at=when,
                        recipients=[],
                    )
                )
            if state == CaseState.TRANSFERRED:
                case.support_team = rng.choice(teams[1:])
            else:
                case.support_team = teams[0]
            case.last_activity_at = when
            if state.facts.closed:
                case.resolved_at = when
            if state.turn == Turn.SUPPORT:
                case.waiting_since = when
            if state in WAITING_ON_SELLER:
                # The clock started at the answer; no demo case is already past it.
                case.auto_resolve_at = max(when + clock, now + timedelta(hours=rng.uniform(6, 160)))
            # Most cases were read since their last change: the log marks the rest.
            for member in members:
                if rng.random() < 0.85:
                    views.append(CaseView(user=member, case=case, seen_at=when))
            cases.append(case)
        Case.objects.bulk_create(cases)
        Message.objects.bulk_create(messages)
        CaseHistory.objects.bulk_create(history)
        CaseView.objects.bulk_create(views)
        self._attachments(rng, messages)
        search_index_rebuild(case_ids=[case.id for case in cases])
        return len(cases)

    @staticmethod
    def _story(state: str) -> Sequence[tuple[str, str]]:
        seller, support = Message.Direction.FROM_SELLER, Message.Direction.FROM_SUPPORT
        opened = (seller, CaseState.OPEN)
        return {
            CaseState.OPEN: [opened],
            CaseState.PENDING_SUPPORT: [
                opened,
                (support, CaseState.ANSWERED),
                (seller, CaseState.PENDING_SUPPORT),
            ],
            CaseState.NEEDS_ATTENTION: [opened, (support, CaseState.NEEDS_ATTENTION)],
            CaseState.ANSWERED: [opened, (support, CaseState.ANSWERED)],
            CaseState.TRANSFERRED: [opened, (support, CaseState.TRANSFERRED)],
            CaseState.REOPENED: [
                opened,
                (support, CaseState.RESOLVED),
                (support, CaseState.REOPENED),
            ],
            CaseState.RESOLVED: [opened, (support, CaseState.RESOLVED)],
        }[CaseState(state)]

    @staticmethod
    def _attachments(rng, messages: list[Message]) -> None:
        attachments = []
        for message in messages:
            if rng.random() > 0.2:
                continue
            for name, data, content_type in rng.sample(FILES, rng.randint(1, 3)):
                attachment = Attachment(
                    message=message,
                    token=new_token(),
                    original_name=name,
                    size=len(data),
                    content_type=content_type,
                    uploaded_at=message.sent_at,
                )
                attachment.file.name = default_storage.save(
                    attachment_path(attachment, name), ContentFile(data)
                )
                attachments.append(attachment)
        Attachment.objects.bulk_create(attachments)
